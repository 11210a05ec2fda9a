"""Level-1 BLAS: the public, validated, dispatchable wrappers around ``_kernels._blas1``."""

import math
import operator

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _blas1
from lamina._registry import dispatchable
from lamina._validation import as_float_array, check_out, check_scalar, result_dtype

__all__ = ["asum", "axpy", "dot", "iamax", "nrm2", "scal", "vector_norm"]


def _vector(x, name, dtype=None):
    return as_float_array(x, name, ndim=1, dtype=dtype)


def _pair(x, y, xname="x", yname="y"):
    x = _vector(x, xname)
    y = _vector(y, yname)
    if x.shape != y.shape:
        raise ValueError(f"{xname} and {yname} must have the same length, got shapes "
                         f"{x.shape} and {y.shape}")
    dtype = result_dtype(x, y)
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False), dtype


@dispatchable("dot")
def dot(x, y, *, n_threads=None):
    """Dot product of two vectors.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Real vectors of equal length (any strides).

    Returns
    -------
    numpy.float32 or numpy.float64
        ``sum(x * y)``, in float32 only if both inputs are float32.

    Raises
    ------
    ValueError
        If the inputs are not 1-D or differ in length.
    TypeError
        For complex or non-numeric input.

    Examples
    --------
    >>> import lamina
    >>> float(lamina.dot([1, 2, 3], [4, 5, 6]))
    32.0
    """
    x, y, dtype = _pair(x, y)
    return dtype.type(_blas1.dot(x, y, resolve_threads(n_threads)))


@dispatchable("axpy")
def axpy(alpha, x, y, *, out=None, n_threads=None):
    """Return ``alpha * x + y``.

    Parameters
    ----------
    alpha : float
        Scalar multiplier.
    x, y : array_like, shape (n,)
        Vectors of equal length.
    out : ndarray, optional
        Where to write the result; may be ``y`` itself to update it in place.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.axpy(2.0, np.array([1.0, 2.0]), np.array([10.0, 20.0]))
    array([12., 24.])
    """
    alpha = check_scalar(alpha, "alpha")
    x, y, dtype = _pair(x, y)
    if out is None:
        result = y.copy()
    else:
        check_out(out, y.shape, dtype)
        in_place = out is y and (x is y or not np.may_share_memory(x, y))
        if in_place:
            result = out
        else:
            # out aliases an input in some other way: work on a private copy first.
            result = y.copy()
            _blas1.axpy(alpha, x, result, resolve_threads(n_threads))
            out[...] = result
            return out
    _blas1.axpy(alpha, x, result, resolve_threads(n_threads))
    return result


@dispatchable("scal")
def scal(alpha, x, *, out=None, n_threads=None):
    """Return ``alpha * x`` (``out=x`` scales in place).

    Examples
    --------
    >>> import lamina
    >>> lamina.blas.scal(3.0, [1.0, 2.0])
    array([3., 6.])
    """
    alpha = check_scalar(alpha, "alpha")
    x = _vector(x, "x")
    if out is None:
        result = x.copy()
    else:
        check_out(out, x.shape, x.dtype)
        if out is not x:
            out[...] = x
        result = out
    _blas1.scal(alpha, result, resolve_threads(n_threads))
    return result


@dispatchable("nrm2")
def nrm2(x, *, n_threads=None):
    """Euclidean norm of a vector, free of overflow and underflow.

    Computed in one pass for ordinary data; when the sum of squares would overflow or the
    entries are tiny, a second pass rescales by an exact power of two (as reference BLAS
    guarantees).  NaN propagates; an infinite entry gives Inf.

    Examples
    --------
    >>> import lamina
    >>> float(lamina.blas.nrm2([3.0, 4.0]))
    5.0
    >>> round(float(lamina.blas.nrm2([3e200, 4e200])) / 1e200, 12)   # no overflow
    5.0
    """
    x = _vector(x, "x")
    return x.dtype.type(_blas1.nrm2(x, resolve_threads(n_threads)))


@dispatchable("asum")
def asum(x, *, n_threads=None):
    """Sum of absolute values of a vector.

    Examples
    --------
    >>> import lamina
    >>> float(lamina.blas.asum([1.0, -2.0, 3.0]))
    6.0
    """
    x = _vector(x, "x")
    return x.dtype.type(_blas1.asum(x, resolve_threads(n_threads)))


@dispatchable("iamax")
def iamax(x):
    """Index of the first entry of largest absolute value.

    If ``x`` holds NaN, the index of the first NaN (NumPy's ``argmax`` convention).

    Raises
    ------
    ValueError
        For an empty vector.

    Examples
    --------
    >>> import lamina
    >>> lamina.blas.iamax([1.0, -5.0, 5.0])
    1
    """
    x = _vector(x, "x")
    if x.shape[0] == 0:
        raise ValueError("iamax of an empty vector is undefined (x has shape (0,))")
    return int(_blas1.iamax(x))


def _norm_order(ord):
    if isinstance(ord, str):
        raise ValueError(f"ord={ord!r} is not a vector norm order; use a number, inf or -inf")
    try:
        value = float(ord)
    except (TypeError, ValueError):
        raise TypeError(f"ord must be a real number, got {ord!r}") from None
    if math.isnan(value):
        raise ValueError("ord must not be NaN")
    return value


@dispatchable("vector_norm")
def vector_norm(x, ord=2, axis=None, keepdims=False):
    """Vector norm, with the semantics of :func:`numpy.linalg.vector_norm`.

    Parameters
    ----------
    x : array_like
        Input of any shape.
    ord : {2, 1, inf, -inf, 0, other real}, default 2
        ``sum(|x|**ord)**(1/ord)``; ``inf`` is ``max|x|``, ``-inf`` is ``min|x|``, ``0`` counts
        non-zeros.  Order 2 never overflows or underflows (see :func:`lamina.blas.nrm2`),
        and other positive orders are scaled by ``max|x|`` likewise.
    axis : None, int or tuple of int
        Axes over which to compute; None flattens.
    keepdims : bool
        Keep the reduced axes with length one.

    Returns
    -------
    float32/float64 scalar or ndarray

    Examples
    --------
    >>> import numpy as np, lamina
    >>> float(lamina.vector_norm([3.0, 4.0]))
    5.0
    >>> lamina.vector_norm(np.array([[3.0, 4.0], [6.0, 8.0]]), axis=1)
    array([ 5., 10.])
    """
    x = as_float_array(x, "x")
    order = _norm_order(ord)
    ndim = x.ndim
    if axis is None:
        axes = tuple(range(ndim))
    else:
        raw = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        try:
            axes = tuple(sorted(operator.index(a) % ndim if -ndim <= operator.index(a) < ndim
                                else _bad_axis(a, ndim) for a in raw))
        except TypeError:
            raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}"
                            ) from None
        if len(set(axes)) != len(axes):
            raise ValueError(f"axis {axis!r} repeats an axis")
    kept = tuple(d for d in range(ndim) if d not in axes)
    out_shape = tuple(x.shape[d] for d in kept)
    if ndim == 0:
        value = abs(float(x)) if order != 0 else float(x != 0)
        result = x.dtype.type(value)
        return result
    if len(axes) == ndim and ndim == 1:
        result = x.dtype.type(_blas1.vector_norm(x, order, resolve_threads(None)))
    else:
        moved = np.transpose(x, kept + axes)
        n = math.prod(x.shape[d] for d in axes)
        rows = moved.reshape(math.prod(out_shape), n)
        flat = np.empty(rows.shape[0], dtype=x.dtype)
        _blas1.vector_norm_rows(rows, order, flat)
        result = flat.reshape(out_shape)
        if not out_shape:
            result = x.dtype.type(result[()])
    if keepdims:
        shape = tuple(1 if d in axes else x.shape[d] for d in range(ndim))
        result = np.asarray(result).reshape(shape)
    return result


def _bad_axis(a, ndim):
    raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
