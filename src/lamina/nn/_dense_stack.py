"""The training step of a Sequential made only of Dense layers, on a compiled engine.

``Sequential.fit`` runs a model whose layers are all plain :class:`Dense` layers (activation
None, ReLU, sigmoid or tanh: the ones the GEMM epilogue applies) through this step instead
of the layers' ``forward``/``backward`` methods.  ``lamina._kernels._nn.DenseStack`` makes
exactly the kernel calls those methods make, in the same order and with the same
arguments, so every result is the same bit for bit (tested) -- from C: one call gathers the
mini-batch and runs every forward product, one call runs the whole backward pass (weight
and bias gradients, and the input gradients with the ReLU backward fused into them).  The
buffers are allocated once per batch size and the checks are made once per ``fit``.

Why it pays: a training step's products stream megabytes through each core's L2, and the
interpreter's own data is evicted with the rest.  The first Python operation after a
product then costs several microseconds instead of a fraction of one (``np.empty`` 0.3 ->
4.7 us, ``lamina.get_num_threads`` 0.8 -> 8.4 us right after a 128 x 512 x 512 float32
product).  On a 784-512-512-10 step (batch 128) the engine takes 7% less time than the
layers' own passes.
"""

import numpy as np

from lamina._kernels import _gemm, _nn
from lamina.nn._layers import _ACTIVATION_KINDS, Dense
from lamina.nn._optim import SGD

__all__ = ["DenseStackStep"]

_EPILOGUE = {None: _gemm.ACT_NONE, "relu": _gemm.ACT_RELU, "sigmoid": _gemm.ACT_SIGMOID,
             "tanh": _gemm.ACT_TANH}


def _plain(a, dtype):
    """A writeable C-contiguous ndarray of ``dtype``: what the engine takes (it refuses
    anything else; fit then uses the layers, which check and convert)."""
    return (isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous
            and a.flags.writeable)


class DenseStackStep:
    """Forward and backward passes of a Dense-only model for ``fit`` (see the module)."""

    def __init__(self, layers, dtype, X_rows, n_threads):
        self.layers = list(layers)
        self.dtype = dtype
        self.nt = n_threads
        kinds = [-1 if layer.activation is None else _ACTIVATION_KINDS[layer.activation]
                 for layer in self.layers]
        self._engine = _nn.DenseStack(
            [layer.weight for layer in self.layers], [layer.bias for layer in self.layers],
            [layer.grad_weight for layer in self.layers],
            [layer.grad_bias for layer in self.layers],
            [_EPILOGUE[layer.activation] for layer in self.layers], kinds,
            _gemm.ACT_RELU_MASK, n_threads)
        self._engine.set_source(X_rows)
        self._buffers = {}
        self._bound = None
        self._last = None
        self._sgd = None

    @classmethod
    def for_model(cls, model, X_rows, n_threads):
        """The step for ``model`` trained on the rows of ``X_rows`` when every layer is a
        built, plain Dense layer with an activation the GEMM epilogue applies; None
        otherwise (``fit`` then calls the layers)."""
        layers = model.layers
        if not layers or len(layers) > _nn.DENSE_STACK_MAX or X_rows is None \
                or X_rows.dtype != model.model_dtype:
            return None
        for layer in layers:
            if type(layer) is not Dense or layer.activation not in _EPILOGUE \
                    or layer.weight is None:
                return None
            arrays = [layer.weight, layer.grad_weight]
            if layer.use_bias:
                arrays += [layer.bias, layer.grad_bias]
            if not all(_plain(a, model.model_dtype) for a in arrays):
                return None
        return cls(layers, model.model_dtype, X_rows, n_threads)

    def _batch_buffers(self, batch):
        bufs = self._buffers.get(batch)
        if bufs is None:
            dt, layers = self.dtype, self.layers
            bufs = (np.empty((batch, layers[0].weight.shape[0]), dt),           # x
                    [np.empty((batch, layer.units), dt) for layer in layers],   # outputs
                    [np.empty((batch, layer.units), dt) for layer in layers],   # dz
                    [np.empty((batch, layer.units), dt) for layer in layers],   # dL/dy
                    np.empty(batch))                                            # row losses
            self._buffers[batch] = bufs
        if self._bound != batch:
            self._engine.bind(*bufs[:4])
            self._bound = batch
        return bufs

    def gather_forward(self, idx):
        """The mini-batch of rows ``idx`` gathered and run forward (training mode); returns
        the model's output (a buffer reused by the next step of this batch size)."""
        bufs = self._batch_buffers(idx.size)
        self._engine.gather_forward(idx)
        self._last = bufs
        return bufs[1][-1]

    def loss_buffers(self):
        """(gradient, row losses) buffers for the loss of the last forward pass's output:
        the top layer's dL/dy buffer, which nothing else of this step writes."""
        _, _, _, gs, row_loss = self._last
        return gs[-1], row_loss

    def backward_parameters(self, grad):
        """Every layer's weight and bias gradients for the loss gradient ``grad`` of the
        last forward pass's output (what ``Sequential.backward_parameters`` computes).
        A gradient from a custom loss is converted like the layers convert it."""
        if grad is not self._last[3][-1]:
            grad = np.ascontiguousarray(grad, dtype=self.dtype)
            top = self.layers[-1]
            if grad.shape != self._last[1][-1].shape:
                raise ValueError(f"{top!r}: backward got gradient of shape {grad.shape}, "
                                 f"expected {self._last[1][-1].shape}")
        self._engine.backward_parameters(grad)

    def takes_optimizer(self, optimizer):
        """Whether :meth:`optimizer_step` can stand for ``optimizer.step()``: a plain SGD
        attached to exactly these layers' parameters (weight, bias per layer, in order).
        Its momentum buffers are then handed to the engine."""
        if type(optimizer) is not SGD:
            return False
        expected = []
        for layer in self.layers:
            expected.append((layer.weight, layer.grad_weight))
            if layer.use_bias:
                expected.append((layer.bias, layer.grad_bias))
        pairs = optimizer._pairs
        if len(pairs) != len(expected) or any(
                p is not q or g is not h for (p, g), (q, h) in zip(pairs, expected, strict=True)):
            return False
        if optimizer.momentum:
            if any(state[0].size != p.size for (p, _), state in zip(pairs, optimizer.state,
                                                                  strict=True)):
                return False       # optimizer.step() reports the mismatch
            states = iter(state[0] for state in optimizer.state)
            self._engine.set_velocities([(next(states), next(states) if layer.use_bias
                                          else None) for layer in self.layers])
        self._sgd = optimizer
        return True

    def optimizer_step(self):
        """``optimizer.step()`` of the SGD accepted by :meth:`takes_optimizer`, in one call
        (the same update of every parameter)."""
        opt = self._sgd
        opt.iterations += 1
        self._engine.sgd_step(opt.lr, opt.momentum, opt.weight_decay, opt.nesterov,
                              opt.iterations == 1)

    def commit(self):
        """Leave the layers as their own passes would have: the last step's input, output
        and pre-activation on each layer (the buffers are not written again)."""
        if self._last is None:
            return
        xb, outs, _, _, _ = self._last
        for i, layer in enumerate(self.layers):
            layer._x = outs[i - 1] if i else xb
            layer._z = layer._y = outs[i]
        self._buffers = {}
        self._last = None
