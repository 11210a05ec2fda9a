"""Cholesky factorization: cholesky, cho_factor, cho_solve."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import (
    empty_stack,
    matrices,
    prepare,
    rhs_is_vector,
    solve_stack,
    work_copy,
)

__all__ = ["cho_factor", "cho_solve", "cholesky"]


def _potrf_lower(mat, lower, overwrite, dtype, threads, what):
    """Lower factor L (strict upper triangle zeroed) of the symmetric
    matrix given by the lower (or, ``lower=False``, upper) triangle of ``mat``.

    The upper case factors ``mat.T``: its lower triangle is ``mat``'s upper one, and
    U = L^T."""
    src = mat if lower else mat.T
    # The kernel takes any strides, so a C- or F-ordered input is copied as it lies (no
    # transposing copy) or, with overwrite, factored where it is.
    if overwrite and src.dtype == dtype and src.flags.writeable and (
            src.flags.f_contiguous or src.flags.c_contiguous):
        c = src
    else:
        c = np.array(src, dtype=dtype, order="K", copy=True)
    info = _lapack.potrf(c, threads)
    if info:
        raise LinAlgError(f"{what}: the matrix is not positive definite: the leading "
                          f"minor of order {info} is not positive")
    return c


def _potrs_lower(c, x, threads):
    """x := A^-1 x with A = L L^T, L the lower triangle of c; x Fortran (n, k)."""
    _lapack.trsm(True, True, False, c, x, threads)
    _lapack.trsm(True, False, False, c.T, x, threads)


@dispatchable("cholesky")
def cholesky(a, lower=False, overwrite_a=False, check_finite=True, *, n_threads=None):
    """Cholesky factor of a symmetric positive definite matrix, like
    :func:`scipy.linalg.cholesky`.

    Parameters
    ----------
    a : array_like, shape (..., N, N)
        Only the triangle named by ``lower`` is read.
    lower : bool
        Return L with ``a = L L^T`` (else U with ``a = U^T U``, SciPy's default).
    overwrite_a, check_finite : bool
    n_threads : int, optional

    Returns
    -------
    c : ndarray, shape (..., N, N)
        The triangular factor; the other triangle is zero.

    Raises
    ------
    LinAlgError
        Naming the leading minor that is not positive definite.

    Notes
    -----
    Blocked right-looking algorithm (TRSM and SYRK updates); 1/3 n^3 flops;
    unconditionally backward stable.

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]], lower=True)
    array([[2., 0.],
           [1., 2.]])
    """
    a = prepare(a, "a", square=True, check_finite=check_finite)
    return _factor(a, lower, overwrite_a, resolve_threads(n_threads), "cholesky")


def _factor(a, lower, overwrite_a, threads, what):
    """The factor of one matrix or of each matrix of a stack (the other triangle zero)."""
    n = a.shape[-1]
    out = empty_stack(a.shape[:-2], n, n, a.dtype)
    for idx, mat in matrices(a):
        where = what if a.ndim == 2 else f"{what} (matrix {idx})"
        c = _potrf_lower(mat, lower, overwrite_a and a.ndim == 2, a.dtype, threads, where)
        if a.ndim == 2:
            return c if lower else c.T
        out[idx] = c if lower else c.T
    return out


@dispatchable("cho_factor")
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True, *, n_threads=None):
    """Cholesky factorization for :func:`cho_solve`, like :func:`scipy.linalg.cho_factor`.

    Returns
    -------
    c : ndarray, shape (N, N) or (..., N, N)
        The factor in the triangle named by ``lower``; the other triangle is zero
        (it is not used by :func:`cho_solve`).  A stack of matrices gives a stack of
        factors.
    lower : bool

    Examples
    --------
    >>> import lamina
    >>> c, low = lamina.linalg.cho_factor([[4.0, 2.0], [2.0, 5.0]])
    >>> lamina.linalg.cho_solve((c, low), [8.0, 9.0])
    array([1.375, 1.25 ])
    """
    a = prepare(a, "a", square=True, check_finite=check_finite)
    return _factor(a, lower, overwrite_a, resolve_threads(n_threads), "cho_factor"), bool(lower)


@dispatchable("cho_solve")
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True, *, n_threads=None):
    """Solve ``A x = b`` from :func:`cho_factor`'s output.

    Parameters
    ----------
    c_and_lower : tuple (c, lower)
        From :func:`cho_factor`: one factor (N, N) or a stack (..., N, N).
    b : array_like, shape (N,) or (..., N, K)
        With a stack of factors, batch dimensions broadcast as in
        :func:`numpy.linalg.solve`; a 1-D ``b`` is one right-hand side for every matrix.
    overwrite_b, check_finite : bool

    Examples
    --------
    >>> import lamina
    >>> f = lamina.linalg.cho_factor([[4.0, 0.0], [0.0, 9.0]], lower=True)
    >>> lamina.linalg.cho_solve(f, [4.0, 9.0])
    array([1., 1.])
    """
    try:
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise TypeError("c_and_lower must be the (c, lower) pair from cho_factor") from None
    c = prepare(c, "c", square=True, check_finite=check_finite)
    b = as_float_array(b, "b", min_ndim=1, check_finite=check_finite)
    vector = rhs_is_vector(c, b, "c")
    dtype = result_dtype(c, b)
    threads = resolve_threads(n_threads)

    def one(c2, rhs, overwrite):
        x = work_copy(rhs, overwrite, dtype)
        if c2.shape[0] and x.shape[1]:
            _potrs_lower(np.asarray(c2 if lower else c2.T, dtype=dtype), x, threads)
        return x

    if c.ndim == 2:
        x = one(c, b[:, None] if vector else b, overwrite_b)
        return x[:, 0] if vector else x
    return solve_stack(c, b, vector, dtype, lambda _, c2, rhs, where: one(c2, rhs, False))
