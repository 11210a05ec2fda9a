"""Window geometry and the im2col / col2im data movement shared by the layers.

Layout.  For an input ``x`` of shape (N, C, H, W), zero-padded to (N, C, Hp, Wp), the
column matrix is stored transposed: ``cols[c, i, j, n, oh, ow] = xp[n, c, i*dh + oh*sh,
j*dw + ow*sw]``, viewed as a (C*KH*KW, N*OH*OW) matrix.  Its rows are contiguous per
(channel, kernel offset), so

* the gather is a single copy out of a strided view of ``xp`` whose innermost axis is a
  row of the image (contiguous for stride 1): no Python loop over pixels;
* the rows of one convolution group form one contiguous block of the matrix;
* the GEMMs read it either way round through their packing (``trans_a``/``trans_b``).

col2im (the adjoint, used by the input gradient) adds the KH*KW shifted planes back in
KH*KW vectorized slice additions (into a channel-major buffer, the column matrix's row
order): overlapping windows make a single strided scatter impossible without
``np.add.at``, which is an order of magnitude slower.
"""

import math

import numpy as np

__all__ = ["col2im", "conv_geometry", "crop", "im2col", "normalize_padding", "pad", "pair",
           "plane", "windows"]


def pair(value, name, *, minimum=1):
    """An int or a pair of ints as ``(a, b)``, each ``>= minimum``."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        value = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) == 2 and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
        value = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def normalize_padding(padding):
    """Validated padding spec: "same", "valid", or (pad_h, pad_w)."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a pair of ints, 'same' or 'valid', "
                             f"got {padding!r}")
        return padding
    return pair(padding, "padding", minimum=0)


def conv_geometry(in_hw, kernel, stride, dilation, padding, owner):
    """(pads, out_hw) where pads = (top, bottom, left, right).

    "same" pads so that the output has ``ceil(in / stride)`` rows and columns, the extra
    pixel of an odd total going to the bottom/right (as TensorFlow; for stride 1 this is
    the output size of PyTorch's "same").
    """
    pads, out = [], []
    for size, k, s, d, p in zip(in_hw, kernel, stride, dilation,
                                (padding, padding) if isinstance(padding, str) else padding,
                                strict=True):
        span = d * (k - 1) + 1
        if p == "valid":
            lo = hi = 0
        elif p == "same":
            total = max((math.ceil(size / s) - 1) * s + span - size, 0)
            lo, hi = total // 2, total - total // 2
        else:
            lo = hi = p
        n = (size + lo + hi - span) // s + 1
        if size + lo + hi < span or n < 1:
            raise ValueError(f"{owner}: the (dilated) window {span} does not fit in the padded "
                             f"input of size {size + lo + hi} (input {tuple(in_hw)}, padding "
                             f"{padding!r})")
        pads += [lo, hi]
        out.append(n)
    return tuple(pads), tuple(out)


def pad(x, pads, value=0.0):
    """x (N, C, H, W) padded with ``value`` by pads = (top, bottom, left, right)."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    xp[:, :, top:top + h, left:left + w] = x
    return xp


def windows(xp, kernel, stride, dilation, out_hw):
    """Read-only view (N, C, OH, OW, KH, KW) of the windows of padded ``xp``."""
    sn, sc, sh, sw = xp.strides
    n, c = xp.shape[:2]
    return np.lib.stride_tricks.as_strided(
        xp, shape=(n, c) + tuple(out_hw) + tuple(kernel),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
        writeable=False)


def im2col(xp, kernel, stride, dilation, out_hw):
    """The transposed column matrix (C*KH*KW, N*OH*OW) of padded ``xp`` (a new array)."""
    n, c = xp.shape[:2]
    win = windows(xp, kernel, stride, dilation, out_hw)       # (N, C, OH, OW, KH, KW)
    cols = np.empty((c,) + tuple(kernel) + (n,) + tuple(out_hw), dtype=xp.dtype)
    np.copyto(cols, win.transpose(1, 4, 5, 0, 2, 3))
    return cols.reshape(c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])


def plane(kh, kw, stride, dilation, out_hw):
    """Slices of the padded input read by kernel offset (kh, kw) for every output pixel."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (slice(None), slice(None),
            slice(kh * dh, kh * dh + sh * (oh - 1) + 1, sh),
            slice(kw * dw, kw * dw + sw * (ow - 1) + 1, sw))


def col2im(cols, x_shape, pads, kernel, stride, dilation, out_hw, dtype):
    """Adjoint of :func:`im2col` (of the padded input), cropped: the (N, C, H, W) input
    gradient, C-contiguous.

    The planes are added into a channel-major (C, N, Hp, Wp) buffer, the layout of the
    column matrix's rows, so each of the KH*KW additions reads its source in order; one
    transposing copy at the end gives NCHW.
    """
    n, c, h, w = x_shape
    top, bottom, left, right = pads
    cols = cols.reshape((c, kernel[0], kernel[1], n) + tuple(out_hw))
    acc = np.zeros((c, n, h + top + bottom, w + left + right), dtype=dtype)
    for kh in range(kernel[0]):
        for kw in range(kernel[1]):
            acc[plane(kh, kw, stride, dilation, out_hw)] += cols[:, kh, kw]
    return np.ascontiguousarray(acc[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3))


def crop(dxp, pads, in_hw):
    """The unpadded part of a padded-input gradient, C-contiguous."""
    top, _, left, _ = pads
    if not any(pads):
        return dxp
    return np.ascontiguousarray(dxp[:, :, top:top + in_hw[0], left:left + in_hw[1]])
