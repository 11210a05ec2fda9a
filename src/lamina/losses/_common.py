"""Validation shared by the loss functions: reductions, weights, gradient buffers."""

import numpy as np

from lamina._validation import as_float_array, check_out

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def prediction(x, name, dtype=None, ndim=None):
    """The prediction as float32/float64 (its dtype is the result dtype)."""
    return as_float_array(x, name, dtype=dtype, ndim=ndim)


def target_like(t, name, shape, dtype):
    """A float target of exactly ``shape``, converted to ``dtype``."""
    t = as_float_array(t, name)
    if t.shape != tuple(shape):
        raise ValueError(f"{name} must have the prediction's shape {tuple(shape)}, got {t.shape}")
    return np.ascontiguousarray(t, dtype=dtype)


def check_no_nan(arr, name):
    if arr.size and np.isnan(arr).any():
        i = np.unravel_index(int(np.argmax(np.isnan(arr))), arr.shape)
        where = i[0] if len(i) == 1 else i
        raise ValueError(f"{name} contains NaN (first at index {where})")


def sample_weights(sample_weight, n, dtype):
    """None, or a contiguous non-negative finite weight vector of length n."""
    if sample_weight is None:
        return None
    w = as_float_array(sample_weight, "sample_weight", ndim=1)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight must have length {n} (one weight per sample), got "
                         f"shape {w.shape}")
    w = np.ascontiguousarray(w, dtype=dtype)
    if w.size and not np.isfinite(w).all():
        raise ValueError("sample_weight must be finite")
    if w.size and (w < 0).any():
        i = int(np.argmax(w < 0))
        raise ValueError(f"sample_weight must be non-negative, got {w[i]} at index {i}")
    return w


def grad_buffer(grad_out, shape, dtype, *inputs):
    """(buffer the kernel writes, buffer to return).

    The kernel needs a C-contiguous buffer that shares no memory with the inputs; a
    ``grad_out`` that is not (a strided view, or one aliasing an input) is filled from a
    private buffer afterwards, so every valid ``grad_out`` works.
    """
    if grad_out is None:
        g = np.empty(shape, dtype=dtype)
        return g, g
    check_out(grad_out, shape, dtype, name="grad_out")
    if grad_out.flags.c_contiguous and not any(
            a is not None and np.may_share_memory(grad_out, a) for a in inputs):
        return grad_out, grad_out
    return np.empty(shape, dtype=dtype), grad_out


def finish_grad(work, grad_out):
    if work is not grad_out:
        grad_out[...] = work
    return grad_out


def scalar_result(total, dtype):
    return np.dtype(dtype).type(total)
