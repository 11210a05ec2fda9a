"""MaxPool2D and AvgPool2D over NCHW inputs.

Both read the pooling windows through one strided view of the (padded) input, without
copying it per window.  Max pooling records the arg-max offset of each window (the first
one on ties, NaN wins as in NumPy's argmax) and routes the gradient there; average
pooling spreads it evenly.  The backward passes add KH*KW shifted planes, each a
vectorized NumPy operation over the whole batch.
"""

import numpy as np

from lamina.nn import Layer
from lamina_conv._conv import check_grad, check_nchw, require_image_shape
from lamina_conv._im2col import conv_geometry, crop, normalize_padding, pad, pair, plane, windows

__all__ = ["AvgPool2D", "MaxPool2D"]


class _Pool2D(Layer):
    def __init__(self, pool_size=2, *, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.pool_size = pair(pool_size, f"{name}: pool_size")
        self.stride = self.pool_size if stride is None else pair(stride, f"{name}: stride")
        self.padding = normalize_padding(padding)
        if not isinstance(self.padding, str) and any(
                p > k // 2 for p, k in zip(self.padding, self.pool_size, strict=True)):
            raise ValueError(f"{name}: padding {self.padding} must be at most half the pool "
                             f"size {self.pool_size} (else some windows see only padding)")
        self._cache = None

    def _geometry(self, input_shape):
        require_image_shape(self, input_shape)
        return conv_geometry(input_shape[1:], self.pool_size, self.stride, (1, 1),
                             self.padding, repr(self))

    def output_shape(self, input_shape):
        _, out_hw = self._geometry(input_shape)
        return (input_shape[0],) + out_hw

    def _build(self, input_shape, rng):
        self._pads, self._out_hw = self._geometry(input_shape)

    def _padded_shape(self, x_shape):
        top, bottom, left, right = self._pads
        return x_shape[:2] + (x_shape[2] + top + bottom, x_shape[3] + left + right)

    def _planes(self):
        kh_n, kw_n = self.pool_size
        for kh in range(kh_n):
            for kw in range(kw_n):
                yield kh * kw_n + kw, plane(kh, kw, self.stride, (1, 1), self._out_hw)

    def get_config(self):
        return {"pool_size": list(self.pool_size), "stride": list(self.stride),
                "padding": self.padding if isinstance(self.padding, str)
                else list(self.padding)}


class MaxPool2D(_Pool2D):
    """Maximum over each window (padding counts as -inf).

    Parameters
    ----------
    pool_size : int or (int, int), default 2
    stride : int or (int, int), optional
        Defaults to ``pool_size`` (non-overlapping windows).
    padding : int, (int, int), "valid" or "same", default 0
        At most half the pool size.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_conv import MaxPool2D
    >>> MaxPool2D(2)(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    layer_name = "max_pool_2d"

    def forward(self, x, training=False):
        x = check_nchw(self, x)
        xp = pad(x, self._pads, -np.inf)
        win = windows(xp, self.pool_size, self.stride, (1, 1), self._out_hw)
        flat = win.reshape(win.shape[:4] + (-1,))                 # one copy of the windows
        arg = np.argmax(flat, axis=-1)
        y = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        self._cache = (arg, x.shape) if training else None
        return y

    def backward(self, grad):
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(training=True)")
        arg, x_shape = self._cache
        grad = check_grad(self, grad, arg.shape)
        dxp = np.zeros(self._padded_shape(x_shape), self.dtype)
        for k, sl in self._planes():
            dxp[sl] += np.where(arg == k, grad, 0)
        return crop(dxp, self._pads, x_shape[2:])


class AvgPool2D(_Pool2D):
    """Mean over each window.

    Parameters
    ----------
    pool_size : int or (int, int), default 2
    stride : int or (int, int), optional
        Defaults to ``pool_size``.
    padding : int, (int, int), "valid" or "same", default 0
        Zero padding, at most half the pool size.
    count_include_pad : bool, default True
        Divide by the full window size (padding counted as zeros), as PyTorch's default;
        False divides by the number of real pixels in each window.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_conv import AvgPool2D
    >>> AvgPool2D(2)(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    layer_name = "avg_pool_2d"

    def __init__(self, pool_size=2, *, stride=None, padding=0, count_include_pad=True):
        super().__init__(pool_size, stride=stride, padding=padding)
        self.count_include_pad = bool(count_include_pad)

    def _build(self, input_shape, rng):
        super()._build(input_shape, rng)
        kh, kw = self.pool_size
        if self.count_include_pad or not any(self._pads):
            self._scale = np.full(self._out_hw, 1.0 / (kh * kw), self.dtype)
        else:
            ones = pad(np.ones((1, 1) + tuple(input_shape[1:])), self._pads)
            count = windows(ones, self.pool_size, self.stride, (1, 1),
                            self._out_hw).sum(axis=(-2, -1))[0, 0]
            self._scale = (1.0 / count).astype(self.dtype)

    def forward(self, x, training=False):
        x = check_nchw(self, x)
        xp = pad(x, self._pads)
        y = np.zeros(x.shape[:2] + self._out_hw, self.dtype)
        for _, sl in self._planes():
            y += xp[sl]
        y *= self._scale
        self._cache = x.shape if training else None
        return y

    def backward(self, grad):
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(training=True)")
        x_shape = self._cache
        grad = check_grad(self, grad, (x_shape[0], x_shape[1]) + self._out_hw)
        share = grad * self._scale
        dxp = np.zeros(self._padded_shape(x_shape), self.dtype)
        for _, sl in self._planes():
            dxp[sl] += share
        return crop(dxp, self._pads, x_shape[2:])

    def get_config(self):
        return {**super().get_config(), "count_include_pad": self.count_include_pad}
