"""The Layer protocol and the few array helpers every layer shares."""

import numpy as np

from lamina._config import resolve_threads

__all__ = ["Layer"]


class Layer:
    """Base class of lamina's layers (and the protocol plugin layers follow).

    A layer is built lazily from the shape of its first input (or by :meth:`build`), then

    * ``forward(x, training)`` returns the output and keeps what ``backward`` needs;
    * ``backward(grad)`` takes the gradient of the loss with respect to the output, stores
      the gradients of the parameters and returns the gradient with respect to the input;
    * ``parameters()`` / ``gradients()`` return dicts of arrays with the same keys (the
      arrays themselves, updated in place by optimizers);
    * ``state_dict()`` / ``load_state_dict()`` save and restore parameters and buffers;
    * ``get_config()`` returns the constructor arguments (JSON-serializable) so a model can
      be saved as arrays plus a description, without pickling code.

    Subclasses set ``layer_name`` (the name registered under ``lamina.layers``).
    """

    layer_name = "layer"

    def __init__(self):
        self.built = False
        self.input_shape = None          # per-sample shape, without the batch dimension
        self.dtype = None

    # -- construction -------------------------------------------------------------------
    def build(self, input_shape, dtype=np.float32, rng=None):
        """Create parameters for per-sample ``input_shape``; returns the output shape."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.dtype = np.dtype(dtype)
        self._build(self.input_shape, rng if rng is not None else np.random.default_rng())
        self.built = True
        return self.output_shape(self.input_shape)

    def _build(self, input_shape, rng):
        pass

    def output_shape(self, input_shape):
        return tuple(input_shape)

    # -- computation --------------------------------------------------------------------
    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def backward_parameters(self, grad):
        """Like :meth:`backward` when the gradient with respect to the input is not needed
        (the first trainable layer of a model during training): stores the parameter
        gradients; what it returns is not used.  Layers override it to skip the work of the
        input gradient (a whole GEMM for ``Dense``); the default runs ``backward``."""
        self.backward(grad)

    def __call__(self, x, training=False):
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:], x.dtype if x.dtype in (np.float32, np.float64)
                       else np.float64)
        return self.forward(self._check_input(x), training)

    # -- parameters and state -----------------------------------------------------------
    def parameters(self):
        return {}

    def gradients(self):
        return {}

    def buffers(self):
        """Non-trainable state saved with the layer (e.g. running statistics)."""
        return {}

    def state_dict(self):
        self._require_built("state_dict")
        state = {k: v.copy() for k, v in self.parameters().items()}
        state.update({k: v.copy() for k, v in self.buffers().items()})
        return state

    def load_state_dict(self, state):
        self._require_built("load_state_dict")
        own = dict(self.parameters())
        own.update(self.buffers())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(f"{self!r}: state mismatch; missing {missing}, unexpected {unexpected}")
        for key, target in own.items():
            value = np.asarray(state[key])
            if value.shape != target.shape:
                raise ValueError(f"{self!r}: {key} has shape {value.shape}, expected "
                                 f"{target.shape}")
            target[...] = value

    def get_config(self):
        return {}

    # -- helpers ------------------------------------------------------------------------
    def _require_built(self, what):
        if not self.built:
            raise RuntimeError(f"{self!r} is not built yet: call it on an input (or "
                               f"build(input_shape)) before {what}()")

    def _check_input(self, x):
        self._require_built("forward")
        if x.ndim < 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"{self!r} expects inputs of shape (batch, "
                             f"{', '.join(map(str, self.input_shape))}), got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _require_forward(self, attr):
        if getattr(self, attr, None) is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(training=True)")

    def __repr__(self):
        config = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({config})"


def threads():
    return resolve_threads(None)
