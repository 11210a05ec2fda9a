"""Triangular solves."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import prepare, rhs_is_vector, solve_stack, work_copy

__all__ = ["solve_triangular"]


@dispatchable("solve_triangular")
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True, *, n_threads=None):
    """Solve ``op(a) x = b`` for triangular ``a``, like :func:`scipy.linalg.solve_triangular`.

    Parameters
    ----------
    a : array_like, shape (N, N) or (..., N, N)
        Only the triangle named by ``lower`` is read (any strides, no copy).
    b : array_like, shape (N,) or (..., N, K)
        With a stack ``a``, batch dimensions broadcast as in :func:`numpy.linalg.solve`;
        a 1-D ``b`` is one right-hand side for every matrix.
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
    b = as_float_array(b, "b", min_ndim=1, check_finite=check_finite)
    vector = rhs_is_vector(a, b)
    dtype = result_dtype(a, b)
    threads = resolve_threads(n_threads)
    transposed = trans in (1, 2, "T", "C")

    def one(a2, rhs, overwrite, where=""):
        a2 = a2.astype(dtype, copy=False)
        n = a2.shape[0]
        if not unit_diagonal and n:
            zero = np.flatnonzero(np.diagonal(a2) == 0)
            if zero.size:
                raise LinAlgError(f"solve_triangular{where}: singular matrix, diagonal "
                                  f"entry a[{zero[0]}, {zero[0]}] is zero")
        x = work_copy(rhs, overwrite, dtype)
        if n and x.shape[1]:
            op = a2.T if transposed else a2
            op_lower = bool(lower) != transposed
            _lapack.trsm(True, op_lower, bool(unit_diagonal), op, x, threads)
        return x

    if a.ndim == 2:
        x = one(a, b[:, None] if vector else b, overwrite_b)
        return x[:, 0] if vector else x
    return solve_stack(a, b, vector, dtype, lambda _, a2, rhs, where: one(a2, rhs, False,
                                                                           where))
