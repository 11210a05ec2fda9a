"""lamina's core layers: Dense, activations, Dropout, BatchNorm1d, LayerNorm, Flatten, Softmax.

Dense runs its forward pass through lamina's GEMM with the bias and activation fused into
the epilogue (applied to each output tile while it is in cache); its backward pass is two
GEMMs (input gradient and weight gradient) and a column sum (bias gradient).  Element-wise
work runs in the kernels of ``lamina._kernels._nn``; normalization layers use NumPy
reductions in the glue.
"""

import math

import numpy as np

from lamina._kernels import _gemm, _nn
from lamina.nn._base import Layer, threads

__all__ = [
    "GELU",
    "BatchNorm1d",
    "Dense",
    "Dropout",
    "Flatten",
    "LayerNorm",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]

_ACTIVATION_KINDS = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3, "gelu": 4}
# activations the GEMM epilogue fuses (gelu's backward needs the pre-activation, kept apart)
_FUSED_EPILOGUE = ("relu", "sigmoid", "tanh")


def _flat(a):
    return a.reshape(-1)


def _product(a, b, out, bias=None, activation=_gemm.ACT_NONE):
    """out = activation(a @ b + bias) on lamina's GEMM kernel.

    The layers validate their arrays once (dtype, shapes, layout), so they call the kernel
    directly and skip ``lamina.gemm``'s per-call checks, which cost as much as the product
    itself at the small shapes of a training step.
    """
    _gemm.gemm(1.0, a, b, 0.0, out, bias, activation, threads())
    return out


def _rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _own_backward(layer):
    """The layer's backward passes are Dense's own (a subclass overriding either one must
    have it called, so the fused path does not apply)."""
    cls = type(layer)
    return cls.backward is Dense.backward and cls.backward_parameters is Dense.backward_parameters


class Dense(Layer):
    """Fully connected layer ``y = activation(x @ W + b)``.

    Parameters
    ----------
    units : int
        Output features.
    activation : {None, "relu", "sigmoid", "tanh", "gelu"}
        Applied in the GEMM epilogue (relu, sigmoid, tanh) or right after it (gelu).
    use_bias : bool, default True
    init : {"auto", "he", "xavier"}
        Weight initialization: He (normal, std sqrt(2/fan_in)) for ReLU-family layers,
        Xavier/Glorot (uniform, limit sqrt(6/(fan_in+fan_out))) otherwise; "auto" picks by
        activation.
    random_state : int or Generator, optional
        Seed for the initial weights (default: the model's generator).

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.nn import Dense
    >>> layer = Dense(3, activation="relu", random_state=0)
    >>> layer(np.ones((2, 4), dtype=np.float32)).shape
    (2, 3)
    """

    layer_name = "dense"

    def __init__(self, units, *, activation=None, use_bias=True, init="auto",
                 random_state=None):
        super().__init__()
        if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        if activation is not None and activation not in ("relu", "sigmoid", "tanh", "gelu"):
            raise ValueError(f"Dense: unknown activation {activation!r}; use None, 'relu', "
                             "'sigmoid', 'tanh' or 'gelu'")
        if init not in ("auto", "he", "xavier"):
            raise ValueError(f"Dense: init must be 'auto', 'he' or 'xavier', got {init!r}")
        self.units = int(units)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.init = init
        self.random_state = random_state
        self.weight = self.bias = None
        self.grad_weight = self.grad_bias = None
        self._x = self._y = self._z = None

    def _build(self, input_shape, rng):
        if len(input_shape) != 1:
            raise ValueError(f"{self!r} expects flat inputs (batch, features), got per-sample "
                             f"shape {input_shape}; add a Flatten layer first")
        fan_in, fan_out = input_shape[0], self.units
        rng = _rng(self.random_state) if self.random_state is not None else rng
        scheme = self.init if self.init != "auto" else (
            "he" if self.activation in ("relu", "gelu") else "xavier")
        if scheme == "he":
            w = rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
        self.weight = w.astype(self.dtype)
        self.grad_weight = np.zeros_like(self.weight)
        if self.use_bias:
            self.bias = np.zeros(fan_out, dtype=self.dtype)
            self.grad_bias = np.zeros_like(self.bias)

    def output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x, training=False):
        x = self._check_input(x)
        fused = _gemm.ACTIVATIONS[self.activation] if self.activation in _FUSED_EPILOGUE \
            else _gemm.ACT_NONE
        z = _product(x, self.weight, np.empty((x.shape[0], self.units), self.dtype),
                     self.bias, fused)
        if self.activation == "gelu":
            y = np.empty_like(z)
            _nn.activation_forward(4, _flat(z), _flat(y), 0.0, threads())
        else:
            y = z
        if training:
            self._x, self._z, self._y = x, z, y
        return y

    def backward(self, grad):
        return self._input_gradient(self.backward_parameters(grad))

    def _input_gradient(self, dz):
        return _product(dz, self.weight.T, np.empty(self._x.shape, self.dtype))

    def backward_parameters(self, grad):
        """The weight and bias gradients only; returns the pre-activation gradient (the
        input gradient, one more GEMM, is left to :meth:`backward`)."""
        self._require_forward("_x")
        dz = self._preactivation_grad(grad)
        self._parameter_gradients(dz)
        return dz

    def _preactivation_grad(self, grad):
        grad = self._check_grad(grad)
        if self.activation is None:
            return grad
        dz = np.empty_like(grad)
        _nn.activation_backward(_ACTIVATION_KINDS[self.activation], _flat(self._z),
                                _flat(self._y), _flat(grad), _flat(dz), 0.0, threads())
        return dz

    def _check_grad(self, grad):
        grad = np.ascontiguousarray(grad, dtype=self.dtype)
        if grad.shape != self._y.shape:
            raise ValueError(f"{self!r}: backward got gradient of shape {grad.shape}, "
                             f"expected {self._y.shape}")
        return grad

    def _parameter_gradients(self, dz):
        _product(self._x.T, dz, self.grad_weight)
        if self.use_bias:
            _nn.column_sums(dz, self.grad_bias, threads())

    def _backward_parameters_preactivation(self, dz):
        """:meth:`backward_parameters` for a gradient already with respect to the
        pre-activation (a ReLU backward fused into the product above); returns it."""
        dz = self._check_grad(dz)
        self._parameter_gradients(dz)
        return dz

    def _feeds_relu_backward(self, below):
        """True when this layer's input is the output of `below`, a Dense layer with a
        ReLU, from the last forward pass: then :meth:`_backward_into_relu` applies."""
        return (isinstance(below, Dense) and below.activation == "relu"
                and self._x is not None and self._x is below._y
                and _own_backward(self) and _own_backward(below))

    def _backward_into_relu(self, grad, preactivation):
        """Parameter gradients, then the gradient with respect to the pre-activation of
        the ReLU layer below (whose output is this layer's input ``x``): the input-gradient
        product masked by ``x > 0`` tile by tile inside the GEMM, so the gradient with
        respect to ``x`` is never written out and read back.  ``preactivation``: `grad`
        is already with respect to this layer's pre-activation (its own ReLU fused the
        same way by the layer above)."""
        dz = (self._backward_parameters_preactivation(grad) if preactivation
              else self.backward_parameters(grad))
        out = np.empty(self._x.shape, self.dtype)
        _gemm.gemm_relu_mask(dz, self.weight.T, self._x, out, threads())
        return out

    def parameters(self):
        self._require_built("parameters")
        params = {"weight": self.weight}
        if self.use_bias:
            params["bias"] = self.bias
        return params

    def gradients(self):
        self._require_built("gradients")
        grads = {"weight": self.grad_weight}
        if self.use_bias:
            grads["bias"] = self.grad_bias
        return grads

    def get_config(self):
        return {"units": self.units, "activation": self.activation,
                "use_bias": self.use_bias, "init": self.init}


class _Activation(Layer):
    kind = None
    slope = 0.0

    def forward(self, x, training=False):
        x = np.ascontiguousarray(self._check_input(x))
        y = np.empty_like(x)
        _nn.activation_forward(self.kind, _flat(x), _flat(y), self.slope, threads())
        if training:
            self._x, self._y = x, y
        return y

    def backward(self, grad):
        self._require_forward("_y")
        grad = np.ascontiguousarray(grad, dtype=self.dtype)
        if grad.shape != self._y.shape:
            raise ValueError(f"{self!r}: backward got gradient of shape {grad.shape}, "
                             f"expected {self._y.shape}")
        out = np.empty_like(grad)
        _nn.activation_backward(self.kind, _flat(self._x), _flat(self._y), _flat(grad),
                                _flat(out), self.slope, threads())
        return out

    _x = _y = None


class ReLU(_Activation):
    """``max(x, 0)`` element-wise (NaN propagates)."""

    layer_name = "relu"
    kind = 0


class LeakyReLU(_Activation):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""

    layer_name = "leaky_relu"
    kind = 1

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.slope = float(negative_slope)

    def get_config(self):
        return {"negative_slope": self.slope}


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``, evaluated without overflow for any x."""

    layer_name = "sigmoid"
    kind = 2


class Tanh(_Activation):
    """Hyperbolic tangent."""

    layer_name = "tanh"
    kind = 3


class GELU(_Activation):
    """Exact GELU ``x * Phi(x)`` (the error-function form, as PyTorch's default)."""

    layer_name = "gelu"
    kind = 4


class Softmax(Layer):
    """Softmax over the last axis (max-subtracted, so it never overflows).

    For training a classifier prefer ``loss="softmax_cross_entropy"`` on raw logits: the
    fused loss is faster and more accurate than Softmax followed by a log-loss.
    """

    layer_name = "softmax"
    _y = None

    def forward(self, x, training=False):
        x = self._check_input(x)
        shifted = x - x.max(axis=-1, keepdims=True)
        y = np.exp(shifted)
        y /= y.sum(axis=-1, keepdims=True)
        if training:
            self._y = y
        return y

    def backward(self, grad):
        self._require_forward("_y")
        y = self._y
        return y * (grad - (grad * y).sum(axis=-1, keepdims=True))


class Dropout(Layer):
    """Inverted dropout: zero each element with probability ``rate`` while training and
    scale the survivors by ``1/(1-rate)``; the identity at inference.

    Parameters
    ----------
    rate : float in [0, 1)
    random_state : int or Generator, optional
        Seed of the mask stream (reproducible training).
    """

    layer_name = "dropout"

    def __init__(self, rate=0.5, *, random_state=None):
        super().__init__()
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.random_state = random_state
        self._gen = _rng(random_state)
        self._mask = None

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.rate == 0.0:
            self._mask = None if not training else np.ones_like(x)
            return x
        keep = self._gen.random(x.shape) >= self.rate
        self._mask = keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, grad):
        self._require_forward("_mask")
        return grad * self._mask

    def get_config(self):
        return {"rate": self.rate}


class Flatten(Layer):
    """Reshape ``(batch, d1, d2, ...)`` to ``(batch, d1*d2*...)``."""

    layer_name = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        x = self._check_input(x)
        return x.reshape(x.shape[0], -1)

    def backward(self, grad):
        self._require_built("backward")
        return np.asarray(grad).reshape((-1,) + self.input_shape)


class _AffineNorm(Layer):
    """Normalization followed by a learned per-feature scale ``gamma`` and shift ``beta``."""

    def _build_affine(self, n):
        self.gamma = np.ones(n, self.dtype)
        self.beta = np.zeros(n, self.dtype)
        self.grad_gamma = np.zeros_like(self.gamma)
        self.grad_beta = np.zeros_like(self.beta)

    def parameters(self):
        self._require_built("parameters")
        return {"gamma": self.gamma, "beta": self.beta}

    def gradients(self):
        self._require_built("gradients")
        return {"gamma": self.grad_gamma, "beta": self.grad_beta}


class BatchNorm1d(_AffineNorm):
    """Batch normalization over the batch axis of ``(batch, features)`` inputs.

    Training normalizes with the batch mean and (biased) variance and updates running
    estimates with ``momentum`` (unbiased variance, as PyTorch); inference uses the running
    estimates.

    Parameters
    ----------
    momentum : float, default 0.1
    eps : float, default 1e-5
    """

    layer_name = "batch_norm_1d"

    def __init__(self, *, momentum=0.1, eps=1e-5):
        super().__init__()
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1], got {momentum}")
        if eps <= 0:
            raise ValueError(f"BatchNorm1d: eps must be positive, got {eps}")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self._cache = None

    def _build(self, input_shape, rng):
        if len(input_shape) != 1:
            raise ValueError(f"{self!r} expects (batch, features) inputs, got per-sample shape "
                             f"{input_shape}")
        n = input_shape[0]
        self._build_affine(n)
        self.running_mean = np.zeros(n, self.dtype)
        self.running_var = np.ones(n, self.dtype)

    def forward(self, x, training=False):
        x = self._check_input(x)
        if training:
            if x.shape[0] < 2:
                raise ValueError(f"{self!r} needs at least 2 samples per batch in training, "
                                 f"got {x.shape[0]}")
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            inv_std = 1.0 / np.sqrt(var + self.eps)
            xhat = (x - mean) * inv_std
            m = self.momentum
            n = x.shape[0]
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * n / (n - 1)
            self._cache = (xhat, inv_std)
        else:
            xhat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return (xhat * self.gamma + self.beta).astype(self.dtype, copy=False)

    def backward(self, grad):
        self._require_forward("_cache")
        xhat, inv_std = self._cache
        n = grad.shape[0]
        self.grad_gamma[...] = (grad * xhat).sum(axis=0)
        self.grad_beta[...] = grad.sum(axis=0)
        dxhat = grad * self.gamma
        return (inv_std / n) * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def get_config(self):
        return {"momentum": self.momentum, "eps": self.eps}


class LayerNorm(_AffineNorm):
    """Layer normalization over the last axis with a learned scale and shift.

    Parameters
    ----------
    eps : float, default 1e-5
    """

    layer_name = "layer_norm"

    def __init__(self, *, eps=1e-5):
        super().__init__()
        if eps <= 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps}")
        self.eps = float(eps)
        self._cache = None

    def _build(self, input_shape, rng):
        self._build_affine(input_shape[-1])

    def forward(self, x, training=False):
        x = self._check_input(x)
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mean) * inv_std
        if training:
            self._cache = (xhat, inv_std)
        return (xhat * self.gamma + self.beta).astype(self.dtype, copy=False)

    def backward(self, grad):
        self._require_forward("_cache")
        xhat, inv_std = self._cache
        axes = tuple(range(grad.ndim - 1))
        self.grad_gamma[...] = (grad * xhat).sum(axis=axes)
        self.grad_beta[...] = grad.sum(axis=axes)
        dxhat = grad * self.gamma
        n = grad.shape[-1]
        return (inv_std / n) * (n * dxhat - dxhat.sum(axis=-1, keepdims=True)
                                - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True))

    def get_config(self):
        return {"eps": self.eps}
