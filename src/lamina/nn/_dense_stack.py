"""The training step of a Sequential made only of Dense layers, on preallocated buffers.

``Sequential.fit`` runs a model whose layers are all plain :class:`Dense` layers (activation
None, ReLU, sigmoid or tanh: the ones the GEMM epilogue applies) through this step instead
of the layers' ``forward``/``backward`` methods.  It makes exactly the kernel calls those
methods make, in the same order and with the same arguments, so every result is the same
bit for bit (tested); what it leaves out is the Python around them.  Each step writes into
buffers allocated once per batch size, and the per-call checks are done once per ``fit``.

Why it pays: a training step's products stream megabytes through each core's L2, and the
interpreter's own data is evicted with the rest.  The first Python operation after a
product then costs several microseconds instead of a fraction of one (``np.empty`` 0.3 ->
4.7 us, ``lamina.get_num_threads`` 0.8 -> 8.4 us right after a 128 x 512 x 512 float32
product).  Over the few dozen such operations of a 784-512-512-10 step, the layer-by-layer
path took 7% longer than the same kernels called from a lean loop.
"""

import numpy as np

from lamina._kernels import _gemm, _nn
from lamina.nn._layers import _ACTIVATION_KINDS, Dense, _own_backward

__all__ = ["DenseStackStep"]

_EPILOGUE = {None: _gemm.ACT_NONE, "relu": _gemm.ACT_RELU, "sigmoid": _gemm.ACT_SIGMOID,
             "tanh": _gemm.ACT_TANH}


class DenseStackStep:
    """Forward and backward passes of a Dense-only model for ``fit`` (see the module)."""

    def __init__(self, layers, dtype, n_threads):
        self.layers = list(layers)
        self.dtype = dtype
        self.nt = n_threads
        self._acts = [_EPILOGUE[layer.activation] for layer in self.layers]
        self._kinds = [None if layer.activation is None else _ACTIVATION_KINDS[layer.activation]
                       for layer in self.layers]
        self._weights_t = [layer.weight.T for layer in self.layers]
        self._buffers = {}
        self._last = None

    @classmethod
    def for_model(cls, model, n_threads):
        """The step for ``model`` when every layer is a built, plain Dense layer with an
        activation the GEMM epilogue applies; None otherwise (``fit`` then calls the
        layers)."""
        layers = model.layers
        if not layers:
            return None
        for layer in layers:
            if (type(layer) is not Dense or not _own_backward(layer)
                    or layer.activation not in _EPILOGUE or layer.weight is None
                    or layer.weight.dtype != model.model_dtype):
                return None
        return cls(layers, model.model_dtype, n_threads)

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
        return bufs

    def gather_forward(self, X_rows, idx):
        """The mini-batch ``X_rows[idx]`` gathered and run forward (training mode); returns
        the model's output (a buffer reused by the next step of this batch size)."""
        x, outs, _, _, _ = bufs = self._batch_buffers(idx.size)
        nt = self.nt
        _nn.gather_rows(X_rows, idx, x, nt)
        for layer, act, out in zip(self.layers, self._acts, outs, strict=True):
            _gemm.gemm(1.0, x, layer.weight, 0.0, out, layer.bias, act, nt)
            x = out
        self._last = bufs
        return x

    def loss_buffers(self):
        """(gradient, row losses) buffers for the loss of the last forward pass's output:
        the top layer's dL/dy buffer, which nothing else of this step writes."""
        _, _, _, gs, row_loss = self._last
        return gs[-1], row_loss

    def backward_parameters(self, grad):
        """Every layer's weight and bias gradients for the loss gradient ``grad`` of the
        last forward pass's output (what ``Sequential.backward_parameters`` computes)."""
        xb, outs, dzs, gs, _ = self._last
        layers, kinds, nt = self.layers, self._kinds, self.nt
        preactivation = False
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            x = outs[i - 1] if i else xb
            if preactivation or kinds[i] is None:
                dz = grad
            else:
                dz = dzs[i]
                _nn.activation_backward(kinds[i], outs[i].reshape(-1), outs[i].reshape(-1),
                                        grad.reshape(-1), dz.reshape(-1), 0.0, nt)
            _gemm.gemm(1.0, x.T, dz, 0.0, layer.grad_weight, None, 0, nt)
            if layer.use_bias:
                _nn.column_sums(dz, layer.grad_bias, nt)
            if i == 0:
                break
            if layers[i - 1].activation == "relu":
                grad = dzs[i - 1]
                _gemm.gemm_relu_mask(dz, self._weights_t[i], x, grad, nt)
                preactivation = True
            else:
                grad = gs[i - 1]
                _gemm.gemm(1.0, dz, self._weights_t[i], 0.0, grad, None, 0, nt)
                preactivation = False

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
