"""Level-3 BLAS: matmul, gemm (with fused bias + activation), trsm, trmm, syrk.

All run on lamina's packed GEMM (``lamina._kernels._gemm``): any memory order and strides
are read in place by the packing routines, results are bitwise identical for every
thread count, and ``out`` may overlap an input (the product is then computed into a
temporary first, never silently wrong).
"""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _blas2, _gemm
from lamina._registry import dispatchable
from lamina._validation import as_float_array, check_out, check_scalar, result_dtype

__all__ = ["gemm", "matmul", "syrk", "trmm", "trsm"]

ACTIVATIONS = tuple(_gemm.ACTIVATIONS)


def _kernel_view(x, dtype):
    """x as `dtype` with strides the kernels can address (whole elements)."""
    x = x.astype(dtype, copy=False)
    if any(s % x.itemsize for s in x.strides):
        x = np.ascontiguousarray(x)
    return x


def _overlaps(out, *arrays):
    return any(a is not None and np.may_share_memory(out, a) for a in arrays)


def _finish(out, target):
    if out is None or out is target:
        return target
    out[...] = target
    return out


def _activation_code(activation):
    if activation is None:
        return _gemm.ACT_NONE
    if isinstance(activation, str) and activation in _gemm.ACTIVATIONS:
        return _gemm.ACTIVATIONS[activation]
    raise ValueError(f"activation must be None or one of {ACTIVATIONS}, got {activation!r}")


@dispatchable("gemm")
def gemm(a, b, c=None, *, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, bias=None,
         activation=None, out=None, n_threads=None):
    """General matrix product ``act(alpha * op(a) @ op(b) + beta * c + bias)``.

    ``op(x)`` is ``x`` or ``x.T``.  The bias (one value per column) and the activation are
    applied to each tile of the result while it is still in cache: the fused forward pass
    of a dense layer, at the cost of the product alone.

    Parameters
    ----------
    a : array_like, shape (m, k) (or (k, m) with ``trans_a``)
    b : array_like, shape (k, n) (or (n, k) with ``trans_b``)
    c : array_like, optional
        Broadcastable to (m, n); required when ``beta != 0``.  With ``beta == 0`` it is
        ignored entirely (NaN in ``c`` does not propagate), as in BLAS.
    alpha, beta : float
        Scalars.  ``alpha == 0`` does not read ``a`` or ``b`` (BLAS semantics).
    trans_a, trans_b : bool
        Use the transpose (a view: nothing is copied).
    bias : array_like, shape (n,), optional
        Added to every row after the product.
    activation : {None, "relu", "gelu", "sigmoid", "tanh"}
        Applied last.  ``"gelu"`` is the exact form ``x * Phi(x)``; ``"relu"`` keeps NaN.
    out : ndarray, shape (m, n), optional
        Result array of the result dtype.  May be ``c`` (in-place update) and may overlap
        ``a`` or ``b`` (handled through a temporary).
    n_threads : int, optional
        Threads (default: :func:`lamina.get_num_threads`).  Results do not depend on it.

    Returns
    -------
    ndarray, shape (m, n)
        float32 if every input is float32, else float64.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.gemm(np.eye(2), [[1.0, -2.0], [3.0, -4.0]], bias=[0.5, 0.5], activation="relu")
    array([[1.5, 0. ],
           [3.5, 0. ]])
    """
    alpha = check_scalar(alpha, "alpha")
    beta = check_scalar(beta, "beta")
    act = _activation_code(activation)
    a = as_float_array(a, "a", ndim=2)
    b = as_float_array(b, "b", ndim=2)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    (m, k), (k2, n) = op_a.shape, op_b.shape
    if k != k2:
        raise ValueError(f"gemm: op(a) has shape {op_a.shape} and op(b) has shape "
                         f"{op_b.shape}; inner dimensions {k} and {k2} differ")
    arrays = [a, b]
    if beta != 0:
        if c is None:
            raise ValueError("gemm: c is required when beta != 0")
        c = as_float_array(c, "c")
        try:
            np.broadcast_shapes(c.shape, (m, n))
        except ValueError:
            raise ValueError(f"gemm: c has shape {c.shape}, not broadcastable to the "
                             f"result shape {(m, n)}") from None
        if c.ndim > 2:
            raise ValueError(f"gemm: c has shape {c.shape}, not broadcastable to the "
                             f"result shape {(m, n)}")
        arrays.append(c)
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        if bias.shape[0] != n:
            raise ValueError(f"gemm: bias has shape {bias.shape}, expected ({n},) "
                             f"(one value per column of the result)")
        arrays.append(bias)
    dtype = result_dtype(*arrays)
    threads = resolve_threads(n_threads)
    if out is not None:
        check_out(out, (m, n), dtype)
    op_a = _kernel_view(op_a, dtype)
    op_b = _kernel_view(op_b, dtype)
    if bias is not None:
        bias = np.ascontiguousarray(bias, dtype=dtype)
    in_place = (out is not None and not _overlaps(out, op_a, op_b, bias)
                and not any(s % out.itemsize for s in out.strides))
    if beta != 0:
        if in_place and c is out:
            target = out
        else:
            target = out if in_place and not _overlaps(out, c) else np.empty((m, n), dtype)
            target[...] = c
    else:
        target = out if in_place else np.empty((m, n), dtype)
    _gemm.gemm(alpha, op_a, op_b, beta, target, bias, act, threads)
    return _finish(out, target)


def _matmul_2d(a, b, target, threads):
    """target (m x n) = a @ b for 2-D operands; matrix-vector shapes go to gemv."""
    m, k = a.shape
    n = b.shape[1]
    if n == 1 and m > 1 and target.strides[0] == target.itemsize and k > 0:
        _blas2.gemv(1.0, a, np.ascontiguousarray(b[:, 0]), 0.0, target[:, 0], threads)
    elif m == 1 and n > 1 and target.strides[1] == target.itemsize and k > 0:
        _blas2.gemv(1.0, b.T, np.ascontiguousarray(a[0]), 0.0, target[0], threads)
    else:
        _gemm.gemm(1.0, a, b, 0.0, target, None, _gemm.ACT_NONE, threads)


@dispatchable("matmul")
def matmul(a, b, out=None, *, n_threads=None):
    """Matrix product with :func:`numpy.matmul` semantics.

    1-D operands are promoted (a leading or trailing axis of length 1 is added and removed
    again); operands with more than two dimensions are stacks of matrices whose leading
    dimensions broadcast against each other.

    Parameters
    ----------
    a : array_like, shape (..., m, k) or (k,)
    b : array_like, shape (..., k, n) or (k,)
    out : ndarray, optional
        Result array with the result shape and dtype; may overlap ``a`` or ``b``.
    n_threads : int, optional
        Threads (default: :func:`lamina.get_num_threads`).

    Returns
    -------
    ndarray
        float32 if both inputs are float32, else float64.  A 0-d result for two vectors.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.matmul([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0])
    array([3., 7.])
    >>> lamina.matmul(np.ones((5, 2, 3)), np.ones((3, 4))).shape
    (5, 2, 4)
    """
    if (type(a) is np.ndarray and type(b) is np.ndarray
            and (out is None or type(out) is np.ndarray)):
        # Two 2-D arrays of one float dtype: checked and multiplied at C level.
        fast = _gemm.matmul_plain(a, b, out, resolve_threads(n_threads))
        if fast is not None:
            return fast
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: scalar operands are not allowed, use '*' instead "
                         f"(got shapes {a.shape} and {b.shape})")
    dtype = result_dtype(a, b)
    threads = resolve_threads(n_threads)
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    m, k = a2.shape[-2:]
    k2, n = b2.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: a has shape {a.shape} and b has shape {b.shape}; the "
                         f"core dimension {k} of a does not match {k2} of b")
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: the stack dimensions of a {a.shape} and b {b.shape} do "
                         f"not broadcast") from None
    shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
    if out is not None:
        check_out(out, shape, dtype)
    a2 = _kernel_view(a2, dtype)
    b2 = _kernel_view(b2, dtype)
    safe = (out is not None and out.flags.c_contiguous and not _overlaps(out, a2, b2))
    result = out if safe else np.empty(shape, dtype)
    target = result.reshape(batch + (m, n))
    if target.size:
        if not batch:
            _matmul_2d(a2, b2, target, threads)
        else:
            a3 = np.broadcast_to(a2, batch + (m, k))
            b3 = np.broadcast_to(b2, batch + (k, n))
            for idx in np.ndindex(*batch):
                _matmul_2d(a3[idx], b3[idx], target[idx], threads)
    return _finish(out, result)


def _triangular_args(a, b, side, lower, trans_a, name):
    if side not in ("left", "right"):
        raise ValueError(f"{name}: side must be 'left' or 'right', got {side!r}")
    a = as_float_array(a, "a", ndim=2)
    b = as_float_array(b, "b", ndim=2)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{name}: a must be square, got shape {a.shape}")
    need = b.shape[0] if side == "left" else b.shape[1]
    if a.shape[0] != need:
        raise ValueError(f"{name}: a has shape {a.shape} but b has shape {b.shape}; with "
                         f"side={side!r} a must be {need} x {need}")
    dtype = result_dtype(a, b)
    op_a = _kernel_view(a.T if trans_a else a, dtype)
    return op_a, b, dtype, bool(lower) != bool(trans_a)


def _triangular_target(b, dtype, overwrite_b):
    if (overwrite_b and b.dtype == dtype and b.flags.writeable
            and not any(s % b.itemsize for s in b.strides)):
        return b
    return np.array(b, dtype=dtype, order="K", copy=True)


@dispatchable("trsm")
def trsm(a, b, *, alpha=1.0, side="left", lower=False, trans_a=False, unit_diagonal=False,
         overwrite_b=False, n_threads=None):
    """Solve a triangular system with many right-hand sides.

    Returns ``X`` with ``op(a) @ X = alpha * b`` (``side="left"``) or
    ``X @ op(a) = alpha * b`` (``side="right"``), ``op(a) = a`` or ``a.T``.

    Parameters
    ----------
    a : array_like, shape (k, k)
        Triangular matrix; only the triangle selected by ``lower`` is read.
    b : array_like, shape (m, n)
        Right-hand sides; k = m for ``side="left"``, k = n for ``side="right"``.
    alpha : float
    side : {"left", "right"}
    lower : bool
        ``a`` is lower (True) or upper (False, SciPy's default) triangular.
    trans_a : bool
        Use ``a.T``.
    unit_diagonal : bool
        Take the diagonal of ``a`` as ones (it is not read).
    overwrite_b : bool
        Allow the solution to overwrite ``b`` (when its dtype matches).
    n_threads : int, optional

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    LinAlgError
        If ``a`` has an exact zero on its diagonal (and ``unit_diagonal`` is False): the
        system is singular.  The check is O(k); NaN or Inf on the diagonal are not
        singularities and give IEEE results.  (The C-level ``trsm_kernel`` does not check
        and returns the IEEE result of the division by zero.)

    Notes
    -----
    Blocked by diagonal blocks of ``lamina._kernels._gemm.TRI_BLOCK`` rows: each small
    block is solved by substitution and the rest is updated with lamina's GEMM, so the
    bulk of the ``k^2 n`` flops runs in the GEMM micro-kernels.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.blas.trsm([[2.0, 0.0], [1.0, 1.0]], [[2.0], [3.0]], lower=True)
    array([[1.],
           [2.]])
    """
    alpha = check_scalar(alpha, "alpha")
    op_a, b, dtype, low = _triangular_args(a, b, side, lower, trans_a, "trsm")
    if not unit_diagonal and op_a.shape[0]:
        zeros = np.flatnonzero(np.diagonal(op_a) == 0)
        if zeros.size:
            raise LinAlgError(f"trsm: a is singular: diagonal element {int(zeros[0])} is "
                              f"exactly zero")
    x = _triangular_target(b, dtype, overwrite_b)
    if x.size:
        _gemm.trsm(side == "left", low, bool(unit_diagonal), alpha, op_a, x,
                   resolve_threads(n_threads))
    return x


@dispatchable("trmm")
def trmm(a, b, *, alpha=1.0, side="left", lower=False, trans_a=False, unit_diagonal=False,
         overwrite_b=False, n_threads=None):
    """Triangular matrix product ``alpha * op(a) @ b`` (left) or ``alpha * b @ op(a)``.

    Parameters are those of :func:`trsm`; only the triangle of ``a`` selected by ``lower``
    is read (the other one is taken as zero).

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.blas.trmm([[2.0, 5.0], [1.0, 1.0]], [[1.0], [2.0]], lower=True)
    array([[2.],
           [3.]])
    """
    alpha = check_scalar(alpha, "alpha")
    op_a, b, dtype, low = _triangular_args(a, b, side, lower, trans_a, "trmm")
    x = _triangular_target(b, dtype, overwrite_b)
    if x.size:
        _gemm.trmm(side == "left", low, bool(unit_diagonal), alpha, op_a, x,
                   resolve_threads(n_threads))
    return x


@dispatchable("syrk")
def syrk(a, c=None, *, alpha=1.0, beta=0.0, lower=False, trans=False, out=None,
         n_threads=None):
    """Symmetric rank-k update of one triangle: ``alpha * a @ a.T + beta * c``.

    Parameters
    ----------
    a : array_like, shape (n, k) (or (k, n) with ``trans``, giving ``alpha * a.T @ a``)
    c : array_like, shape (n, n), optional
        Required when ``beta != 0``; its other strict triangle is copied to the result
        unchanged.  With ``beta == 0`` its values are ignored.
    alpha, beta : float
    lower : bool
        Compute the lower (True) or upper (False) triangle.
    trans : bool
    out : ndarray, shape (n, n), optional
        May be ``c`` (in-place update, the other triangle untouched).
    n_threads : int, optional

    Returns
    -------
    ndarray, shape (n, n)
        The selected triangle holds the update; the other strict triangle holds ``c``'s
        values when ``c`` is given, else zeros.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.blas.syrk([[1.0, 2.0], [3.0, 4.0]], lower=True)
    array([[ 5.,  0.],
           [11., 25.]])
    """
    alpha = check_scalar(alpha, "alpha")
    beta = check_scalar(beta, "beta")
    a = as_float_array(a, "a", ndim=2)
    op_a = a.T if trans else a
    n = op_a.shape[0]
    arrays = [a]
    if c is not None:
        c = as_float_array(c, "c", ndim=2)
        if c.shape != (n, n):
            raise ValueError(f"syrk: c has shape {c.shape}, expected {(n, n)} for a of "
                             f"shape {a.shape}")
        arrays.append(c)
    elif beta != 0:
        raise ValueError("syrk: c is required when beta != 0")
    dtype = result_dtype(*arrays)
    if out is not None:
        check_out(out, (n, n), dtype)
    op_a = _kernel_view(op_a, dtype)
    usable = (out is not None and not _overlaps(out, op_a)
              and not any(s % out.itemsize for s in out.strides))
    if usable and c is out:
        target = out
    else:
        target = out if usable and not (c is not None and _overlaps(out, c)) \
            else np.empty((n, n), dtype)
        if c is None:
            target[...] = 0
        else:
            target[...] = c
    _gemm.syrk(bool(lower), alpha, op_a, beta, target, resolve_threads(n_threads))
    return _finish(out, target)
