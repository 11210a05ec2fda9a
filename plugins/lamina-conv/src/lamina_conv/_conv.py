"""Conv2D: 2-D convolution (cross-correlation, NCHW) as im2col + lamina's GEMM.

Forward, with P = N*OH*OW output pixels and K = C/groups*KH*KW taps per group::

    cols (C*KH*KW, P)      = im2col(pad(x))                        data movement only
    Z[group] (O/g, P)      = act(W[group] @ cols[group] + b)        lamina.gemm, bias (as
                                                                     the broadcast C operand)
                                                                     and activation fused
    y (N, O, OH, OW)       = Z reshaped and transposed               one copy

(Channel-major Z keeps the long dimension P as the GEMM's n, the shape lamina's GEMM runs
fastest, and makes the final transpose a copy of contiguous OH*OW runs.)

Backward, with G (O, P) the gradient of the pre-activation in channel-major order::

    dW[group] = G[group] @ cols[group].T       lamina.gemm (trans_b)
    db        = G.sum(axis=1)
    dcols     = W[group].T @ G[group]          lamina.gemm (trans_a)

(with one filter per group, as in depthwise convolution, the two backward products are
lamina.matvec and lamina.outer).
    dx        = col2im(dcols), cropped

Every multiply-add runs in lamina's packed GEMM; NumPy only moves data (the im2col
gather, the col2im scatter-add, two transposing copies) and applies the activation's
derivative element-wise.  Cost: 2*P*K*O flops per GEMM (three per step), and the column
matrix takes K*groups*P elements of memory, kept between forward and backward in
training.
"""

import math

import numpy as np

import lamina
from lamina.nn import Layer
from lamina_conv._im2col import col2im, conv_geometry, im2col, normalize_padding, pad, pair

__all__ = ["Conv2D"]

_FUSED = ("relu", "sigmoid", "tanh")


def check_nchw(layer, x):
    """x as an ndarray of the layer's dtype and built shape (N, C, H, W), else ValueError."""
    if not layer.built:
        raise RuntimeError(f"{layer!r} is not built yet: call it on an input (or "
                           "build(input_shape)) first")
    x = np.asarray(x)
    if x.dtype.kind == "c":
        raise TypeError(f"{layer!r}: complex inputs are not supported")
    if x.ndim != 4 or tuple(x.shape[1:]) != layer.input_shape:
        raise ValueError(f"{layer!r} expects inputs of shape (batch, "
                         f"{', '.join(map(str, layer.input_shape))}) (NCHW), got shape "
                         f"{x.shape}")
    return x.astype(layer.dtype, copy=False)


def check_grad(layer, grad, expected):
    grad = np.asarray(grad)
    if grad.shape != expected:
        raise ValueError(f"{layer!r}: backward got a gradient of shape {grad.shape}, "
                         f"expected {expected}")
    return grad.astype(layer.dtype, copy=False)


def require_image_shape(layer, input_shape):
    if len(input_shape) != 3:
        raise ValueError(f"{layer!r} expects (batch, channels, height, width) inputs, got "
                         f"per-sample shape {tuple(input_shape)}")


class Conv2D(Layer):
    """2-D convolution over NCHW inputs: ``y = act(conv(x, W) + b)``.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int, (int, int), "valid" or "same", default 0
        Zero padding on each side; "same" keeps ``ceil(size / stride)`` output pixels
        (an odd total goes to the bottom/right), "valid" is no padding.
    dilation : int or (int, int), default 1
    groups : int, default 1
        Input and output channels are split into ``groups`` independent convolutions;
        both counts must be divisible by it (``groups == in_channels`` is depthwise).
    use_bias : bool, default True
    activation : {None, "relu", "sigmoid", "tanh"}
        Fused into the GEMM epilogue.
    init : {"auto", "he", "xavier"}
        He normal (ReLU) or Glorot uniform weights, chosen by ``activation`` for "auto".
    random_state : int or Generator, optional
        Seed for the initial weights (default: the model's generator).

    Attributes
    ----------
    weight : ndarray, shape (filters, in_channels // groups, KH, KW)
        The PyTorch layout.
    bias : ndarray, shape (filters,)

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_conv import Conv2D
    >>> layer = Conv2D(8, 3, padding="same", activation="relu", random_state=0)
    >>> layer(np.ones((2, 3, 16, 16), dtype=np.float32)).shape
    (2, 8, 16, 16)
    """

    layer_name = "conv2d"

    def __init__(self, filters, kernel_size, *, stride=1, padding=0, dilation=1, groups=1,
                 use_bias=True, activation=None, init="auto", random_state=None):
        super().__init__()
        if isinstance(filters, bool) or not isinstance(filters, int | np.integer) \
                or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
            raise ValueError(f"Conv2D: groups must be a positive integer, got {groups!r}")
        if filters % groups:
            raise ValueError(f"Conv2D: filters ({filters}) must be divisible by groups "
                             f"({groups})")
        if activation is not None and activation not in _FUSED:
            raise ValueError(f"Conv2D: unknown activation {activation!r}; use None, "
                             f"{', '.join(map(repr, _FUSED))} (or a separate activation "
                             "layer)")
        if init not in ("auto", "he", "xavier"):
            raise ValueError(f"Conv2D: init must be 'auto', 'he' or 'xavier', got {init!r}")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "Conv2D: kernel_size")
        self.stride = pair(stride, "Conv2D: stride")
        self.padding = normalize_padding(padding)
        self.dilation = pair(dilation, "Conv2D: dilation")
        self.groups = int(groups)
        self.use_bias = bool(use_bias)
        self.activation = activation
        self.init = init
        self.random_state = random_state
        self.weight = self.bias = self.grad_weight = self.grad_bias = None
        self._cache = None

    # -- construction -------------------------------------------------------------------
    def _geometry(self, input_shape):
        require_image_shape(self, input_shape)
        return conv_geometry(input_shape[1:], self.kernel_size, self.stride, self.dilation,
                             self.padding, repr(self))

    def output_shape(self, input_shape):
        _, out_hw = self._geometry(input_shape)
        return (self.filters,) + out_hw

    def _build(self, input_shape, rng):
        self._pads, self._out_hw = self._geometry(input_shape)
        channels = input_shape[0]
        if channels % self.groups:
            raise ValueError(f"{self!r}: the input's {channels} channels are not divisible "
                             f"by groups={self.groups}")
        kh, kw = self.kernel_size
        fan_in = channels // self.groups * kh * kw
        fan_out = self.filters // self.groups * kh * kw
        if isinstance(self.random_state, np.random.Generator):
            rng = self.random_state
        elif self.random_state is not None:
            rng = np.random.default_rng(self.random_state)
        scheme = self.init if self.init != "auto" else (
            "he" if self.activation == "relu" else "xavier")
        shape = (self.filters, channels // self.groups, kh, kw)
        if scheme == "he":
            w = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, shape)
        self.weight = w.astype(self.dtype)
        self.grad_weight = np.zeros_like(self.weight)
        if self.use_bias:
            self.bias = np.zeros(self.filters, self.dtype)
            self.grad_bias = np.zeros_like(self.bias)

    # -- computation --------------------------------------------------------------------
    def _blocks(self):
        """(row block of cols, row block of the (O, K) weight matrix) per group."""
        k = self.weight[0].size
        o = self.filters // self.groups
        return [(slice(g * k, (g + 1) * k), slice(g * o, (g + 1) * o))
                for g in range(self.groups)]

    def forward(self, x, training=False):
        x = check_nchw(self, x)
        n = x.shape[0]
        oh, ow = self._out_hw
        cols = im2col(pad(x, self._pads), self.kernel_size, self.stride, self.dilation,
                      self._out_hw)
        w2 = self.weight.reshape(self.filters, -1)
        zt = np.empty((self.filters, n * oh * ow), self.dtype)
        for rows, outs in self._blocks():
            # bias as the broadcast C operand (one value per row), activation fused
            bias = None if self.bias is None else self.bias[outs, None]
            lamina.gemm(w2[outs], cols[rows], bias, beta=0.0 if bias is None else 1.0,
                        activation=self.activation, out=zt[outs])
        y = np.ascontiguousarray(zt.reshape(self.filters, n, oh, ow).transpose(1, 0, 2, 3))
        self._cache = (cols, zt, x.shape) if training else None
        return y

    def backward(self, grad):
        return self._backward(grad, input_gradient=True)

    def backward_parameters(self, grad):
        """The parameter gradients only (the first layer of a model in training): skips
        the column-gradient GEMM and col2im, about half of the backward pass."""
        self._backward(grad, input_gradient=False)

    def _backward(self, grad, input_gradient):
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(training=True)")
        cols, zt, x_shape = self._cache
        grad = check_grad(self, grad, (x_shape[0], self.filters) + self._out_hw)
        # (O, N*OH*OW): channel-major like the forward product (may be a view of grad for
        # a batch of one, so it is never modified in place)
        g = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(self.filters, -1)
        if self.activation == "relu":
            g = np.where(zt > 0, g, self.dtype.type(0))
        elif self.activation == "sigmoid":
            g = g * (zt * (1 - zt))
        elif self.activation == "tanh":
            g = g * (1 - zt * zt)
        w2 = self.weight.reshape(self.filters, -1)
        gw2 = self.grad_weight.reshape(self.filters, -1)
        dcols = np.empty_like(cols) if input_gradient else None
        one_filter = self.filters == self.groups
        for rows, outs in self._blocks():
            if one_filter:
                # one output channel per group (depthwise): the two products are a
                # matrix-vector product and an outer product; lamina's level-2 kernels
                # run them several times faster than a GEMM with m = 1
                lamina.matvec(cols[rows], g[outs.start], out=gw2[outs.start])
                if input_gradient:
                    lamina.outer(w2[outs.start], g[outs.start], out=dcols[rows])
            else:
                lamina.gemm(g[outs], cols[rows], trans_b=True, out=gw2[outs])
                if input_gradient:
                    lamina.gemm(w2[outs], g[outs], trans_a=True, out=dcols[rows])
        if self.use_bias:
            np.sum(g, axis=1, out=self.grad_bias)
        if not input_gradient:
            return None
        return col2im(dcols, x_shape, self._pads, self.kernel_size, self.stride,
                      self.dilation, self._out_hw, self.dtype)

    # -- parameters and state -----------------------------------------------------------
    def parameters(self):
        self._need_built()
        params = {"weight": self.weight}
        if self.use_bias:
            params["bias"] = self.bias
        return params

    def gradients(self):
        self._need_built()
        grads = {"weight": self.grad_weight}
        if self.use_bias:
            grads["bias"] = self.grad_bias
        return grads

    def _need_built(self):
        if not self.built:
            raise RuntimeError(f"{self!r} is not built yet")

    def get_config(self):
        return {"filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": list(self.stride),
                "padding": self.padding if isinstance(self.padding, str)
                else list(self.padding),
                "dilation": list(self.dilation), "groups": self.groups,
                "use_bias": self.use_bias, "activation": self.activation, "init": self.init}
