"""Cholesky factorization: cholesky, cho_factor, cho_solve."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import empty_stack, matrices, prepare, work_copy

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
    threads = resolve_threads(n_threads)
    n = a.shape[-1]
    out = empty_stack(a.shape[:-2], n, n, a.dtype)
    for idx, mat in matrices(a):
        where = "cholesky" if a.ndim == 2 else f"cholesky (matrix {idx})"
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
    c : ndarray, shape (N, N)
        The factor in the triangle named by ``lower``; the other triangle is zero
        (it is not used by :func:`cho_solve`).
    lower : bool

    Examples
    --------
    >>> import lamina
    >>> c, low = lamina.linalg.cho_factor([[4.0, 2.0], [2.0, 5.0]])
    >>> lamina.linalg.cho_solve((c, low), [8.0, 9.0])
    array([1.375, 1.25 ])
    """
    a = prepare(a, "a", square=True, check_finite=check_finite)
    if a.ndim != 2:
        raise ValueError(f"a must be 2-dimensional, got shape {a.shape}")
    c = _potrf_lower(a, lower, overwrite_a, a.dtype, resolve_threads(n_threads), "cho_factor")
    return (c if lower else c.T), bool(lower)


@dispatchable("cho_solve")
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True, *, n_threads=None):
    """Solve ``A x = b`` from :func:`cho_factor`'s output.

    Parameters
    ----------
    c_and_lower : tuple (c, lower)
    b : array_like, shape (N,) or (N, K)
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
    if c.ndim != 2:
        raise ValueError(f"c must be 2-dimensional, got shape {c.shape}")
    b = as_float_array(b, "b", ndim=(1, 2), check_finite=check_finite)
    n = c.shape[0]
    if b.shape[0] != n:
        raise ValueError(f"b has shape {b.shape}, incompatible with c of shape {c.shape}")
    dtype = result_dtype(c, b)
    b2 = b[:, None] if b.ndim == 1 else b
    x = work_copy(b2, overwrite_b, dtype)
    if n and x.shape[1]:
        low = np.asarray(c if lower else c.T, dtype=dtype)
        _potrs_lower(low, x, resolve_threads(n_threads))
    return x[:, 0] if b.ndim == 1 else x
