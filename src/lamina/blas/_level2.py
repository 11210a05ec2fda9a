"""Level-2 BLAS: gemv, ger and the NumPy-style matvec / outer built on them."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _blas2
from lamina._registry import dispatchable
from lamina._validation import as_float_array, check_out, check_scalar, result_dtype

__all__ = ["gemv", "ger", "matvec", "outer"]


def _write_back(out, result):
    if out is None or out is result:
        return result
    out[...] = result
    return out


def _gemv_into(alpha, a, x, beta, y, n_threads):
    """y (contiguous, may be uninitialized when beta == 0) = alpha*a@x + beta*y."""
    _blas2.gemv(alpha, a, np.ascontiguousarray(x), beta, y,
                n_threads)


@dispatchable("gemv")
def gemv(alpha, a, x, beta=0.0, y=None, *, trans=False, out=None, n_threads=None):
    """Matrix-vector product ``alpha * op(a) @ x + beta * y`` with ``op(a) = a or a.T``.

    Parameters
    ----------
    alpha, beta : float
        Scalars.  With ``beta == 0``, ``y`` is ignored entirely (NaN in ``y`` does not
        propagate), as in BLAS.
    a : array_like, shape (m, n)
        Matrix, any strides (row- and column-major both run at full speed).
    x : array_like, shape (n,) (or (m,) when ``trans``)
    y : array_like, optional
        Added when ``beta != 0``.
    trans : bool
        Use ``a.T``.
    out : ndarray, optional
        Output; may be ``y`` for an in-place update.
    n_threads : int, optional
        Threads (default: :func:`lamina.get_num_threads`).  Matrices below
        ``lamina._kernels._blas2.PARALLEL_MIN_ELEMENTS`` (65536) elements run serially.

    Returns
    -------
    ndarray, shape (m,) (or (n,) when ``trans``)

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.blas.gemv(1.0, np.eye(2), [3.0, 4.0])
    array([3., 4.])
    """
    alpha = check_scalar(alpha, "alpha")
    beta = check_scalar(beta, "beta")
    a = as_float_array(a, "a", ndim=2)
    x = as_float_array(x, "x", ndim=1)
    op_a = a.T if trans else a
    m, n = op_a.shape
    if x.shape[0] != n:
        raise ValueError(f"x has shape {x.shape} but op(a) has shape {op_a.shape}: "
                         f"x must have length {n}")
    arrays = [a, x]
    if beta != 0:
        if y is None:
            raise ValueError("y is required when beta != 0")
        y = as_float_array(y, "y", ndim=1)
        if y.shape[0] != m:
            raise ValueError(f"y has shape {y.shape}, expected ({m},) for op(a) of shape "
                             f"{op_a.shape}")
        arrays.append(y)
    dtype = result_dtype(*arrays)
    op_a = op_a.astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    threads = resolve_threads(n_threads)
    if out is not None:
        check_out(out, (m,), dtype)
    safe_out = (out is not None and out.flags.c_contiguous
                and not np.may_share_memory(out, op_a) and not np.may_share_memory(out, x))
    if beta != 0:
        target = out if safe_out else np.empty(m, dtype=dtype)
        if target is not y:
            target[...] = y
    else:
        target = out if safe_out else np.empty(m, dtype=dtype)
    _gemv_into(alpha, op_a, x, beta, target, threads)
    return _write_back(out, target)


@dispatchable("ger")
def ger(alpha, x, y, a, *, out=None, n_threads=None):
    """Rank-1 update ``a + alpha * outer(x, y)``.

    Parameters
    ----------
    alpha : float
    x : array_like, shape (m,)
    y : array_like, shape (n,)
    a : array_like, shape (m, n)
    out : ndarray, optional
        Output; ``out=a`` updates ``a`` in place.
    n_threads : int, optional

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.blas.ger(1.0, [1.0, 2.0], [3.0, 4.0], np.zeros((2, 2)))
    array([[3., 4.],
           [6., 8.]])
    """
    alpha = check_scalar(alpha, "alpha")
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    a = as_float_array(a, "a", ndim=2)
    if a.shape != (x.shape[0], y.shape[0]):
        raise ValueError(f"a has shape {a.shape}, expected (len(x), len(y)) = "
                         f"({x.shape[0]}, {y.shape[0]})")
    dtype = result_dtype(x, y, a)
    x = np.ascontiguousarray(x, dtype=dtype)
    y = np.ascontiguousarray(y, dtype=dtype)
    threads = resolve_threads(n_threads)
    if out is not None:
        check_out(out, a.shape, dtype)
    if out is not None and out is a and not (np.may_share_memory(out, x)
                                             or np.may_share_memory(out, y)):
        target = out
    else:
        target = np.array(a, dtype=dtype, order="K", copy=True)
    _blas2.ger(alpha, x, y, target, True, threads)
    return _write_back(out, target)


@dispatchable("outer")
def outer(x, y, *, out=None, n_threads=None):
    """Outer product ``x[:, None] * y[None, :]``, like :func:`numpy.outer`.

    Inputs of any shape are flattened first, as NumPy does.

    Examples
    --------
    >>> import lamina
    >>> lamina.outer([1.0, 2.0], [1.0, 10.0])
    array([[ 1., 10.],
           [ 2., 20.]])
    """
    x = as_float_array(x, "x").ravel()
    y = as_float_array(y, "y").ravel()
    dtype = result_dtype(x, y)
    x = np.ascontiguousarray(x, dtype=dtype)
    y = np.ascontiguousarray(y, dtype=dtype)
    shape = (x.shape[0], y.shape[0])
    if out is not None:
        check_out(out, shape, dtype)
    safe_out = out is not None and not (np.may_share_memory(out, x)
                                        or np.may_share_memory(out, y))
    target = out if safe_out else np.empty(shape, dtype=dtype)
    _blas2.ger(1.0, x, y, target, False, resolve_threads(n_threads))
    return _write_back(out, target)


@dispatchable("matvec")
def matvec(a, x, *, out=None, n_threads=None):
    """Matrix-vector product over stacks, like :func:`numpy.matvec`.

    Parameters
    ----------
    a : array_like, shape (..., m, n)
    x : array_like, shape (..., n)
        Batch dimensions broadcast against each other.
    out : ndarray, optional, shape (..., m)
    n_threads : int, optional

    Returns
    -------
    ndarray, shape (..., m)

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.matvec(np.array([[1.0, 2.0], [3.0, 4.0]]), [1.0, 1.0])
    array([3., 7.])
    """
    a = as_float_array(a, "a", min_ndim=2)
    x = as_float_array(x, "x", min_ndim=1)
    m, n = a.shape[-2:]
    if x.shape[-1] != n:
        raise ValueError(f"matvec: a has shape {a.shape} and x has shape {x.shape}; the last "
                         f"dimension of x must equal the last of a ({n})")
    try:
        batch = () if a.ndim == 2 and x.ndim == 1 else \
            np.broadcast_shapes(a.shape[:-2], x.shape[:-1])
    except ValueError:
        raise ValueError(f"matvec: batch dimensions of a {a.shape[:-2]} and x {x.shape[:-1]} "
                         "do not broadcast") from None
    dtype = result_dtype(a, x)
    a = a.astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    shape = batch + (m,)
    if out is not None:
        check_out(out, shape, dtype)
    threads = resolve_threads(n_threads)
    result = np.empty(shape, dtype=dtype)
    if not batch:
        _gemv_into(1.0, a, x, 0.0, result, threads)
        return _write_back(out, result)
    a_b = np.broadcast_to(a, batch + (m, n))
    x_b = np.broadcast_to(x, batch + (n,))
    for idx in np.ndindex(*batch):
        _gemv_into(1.0, a_b[idx], x_b[idx], 0.0, result[idx], threads)
    return _write_back(out, result)
