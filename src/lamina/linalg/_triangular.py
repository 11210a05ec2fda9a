"""Triangular solves."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import prepare, work_copy

__all__ = ["solve_triangular"]


@dispatchable("solve_triangular")
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True, *, n_threads=None):
    """Solve ``op(a) x = b`` for triangular ``a``, like :func:`scipy.linalg.solve_triangular`.

    Parameters
    ----------
    a : array_like, shape (N, N)
        Only the triangle named by ``lower`` is read (any strides, no copy).
    b : array_like, shape (N,) or (N, K)
    trans : {0, 1, 2, "N", "T", "C"}
        ``op(a)`` is ``a`` (0, "N") or ``a.T`` (1, 2, "T", "C").
    lower, unit_diagonal, overwrite_b, check_finite : bool
    n_threads : int, optional

    Raises
    ------
    LinAlgError
        A diagonal entry is exactly zero (named in the message).

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.solve_triangular([[2.0, 1.0], [0.0, 4.0]], [4.0, 8.0])
    array([1., 2.])
    """
    if trans not in (0, 1, 2, "N", "T", "C"):
        raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    a = prepare(a, "a", square=True, check_finite=check_finite)
    if a.ndim != 2:
        raise ValueError(f"a must be 2-dimensional, got shape {a.shape}")
    b = as_float_array(b, "b", ndim=(1, 2), check_finite=check_finite)
    n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError(f"b has shape {b.shape}, incompatible with a of shape {a.shape}")
    dtype = result_dtype(a, b)
    a = a.astype(dtype, copy=False)
    if not unit_diagonal and n:
        zero = np.flatnonzero(np.diagonal(a) == 0)
        if zero.size:
            raise LinAlgError(f"solve_triangular: singular matrix, diagonal entry "
                              f"a[{zero[0]}, {zero[0]}] is zero")
    b2 = b[:, None] if b.ndim == 1 else b
    x = work_copy(b2, overwrite_b, dtype)
    if n and x.shape[1]:
        op = a.T if trans in (1, 2, "T", "C") else a
        op_lower = bool(lower) != (op is not a)
        _lapack.trsm(True, op_lower, bool(unit_diagonal), op, x, resolve_threads(n_threads))
    return x[:, 0] if b.ndim == 1 else x
