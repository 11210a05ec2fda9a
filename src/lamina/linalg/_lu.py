"""LU factorization with partial pivoting and what is built on it: lu_factor, lu_solve,
lu, solve, inv, det, slogdet."""

import warnings

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError, LinAlgWarning
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import (
    empty_stack,
    eps,
    estimate_inverse_norm1,
    matrices,
    norm1,
    prepare,
    rhs_is_vector,
    solve_stack,
    work_copy,
)

__all__ = ["det", "inv", "lu", "lu_factor", "lu_solve", "slogdet", "solve"]


def _getrf(m2d, overwrite, threads):
    """(LU factors in a Fortran array, ipiv, info) of one matrix."""
    f = work_copy(m2d, overwrite, threads=threads)
    ipiv = np.zeros(min(f.shape), dtype=np.intp)
    info = _lapack.getrf(f, ipiv, threads)
    return f, ipiv, info


def _zero_pivot_message(info, what):
    return (f"{what}: the matrix is singular, U[{info - 1}, {info - 1}] (pivot {info}) "
            "is exactly zero")


def _getrs(lu_f, ipiv, b_f, trans, threads):
    _lapack.getrs(lu_f, ipiv, b_f, trans, threads)


def _rcond_from_lu(lu_f, ipiv, anorm, threads, norm="1"):
    """Reciprocal condition number estimate in the 1- (or inf-) norm, as LAPACK's gecon."""
    n = lu_f.shape[0]
    if n == 0:
        return np.inf
    if anorm == 0:
        return 0.0
    if not np.all(np.diagonal(lu_f)):
        return 0.0
    transposed = norm == "inf"   # ||A^-1||_inf = ||A^-T||_1

    def solve(x, trans):
        b = np.array(x, dtype=lu_f.dtype, order="F").reshape(n, 1)
        _lapack.getrs(lu_f, ipiv, b, bool(trans) != transposed, threads)
        return b[:, 0]

    with np.errstate(over="ignore", invalid="ignore"):
        ainv = estimate_inverse_norm1(n, solve, lu_f.dtype)
    if not np.isfinite(ainv) or ainv == 0:
        return 0.0
    return 1.0 / anorm / ainv


@dispatchable("lu_factor")
def lu_factor(a, overwrite_a=False, check_finite=True, *, n_threads=None):
    """LU factorization with partial pivoting, ``P A = L U``, in LAPACK's compact form.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
        Matrix or stack of matrices.
    overwrite_a : bool
        Allow the factors to overwrite ``a`` (done when ``a`` is a Fortran-ordered
        float32/float64 2-D array).
    check_finite : bool
        Raise ValueError on NaN or Inf.
    n_threads : int, optional
        Threads for the level-3 updates.

    Returns
    -------
    lu : ndarray, shape (..., M, N)
        U in the upper triangle, the multipliers of L (unit diagonal implied) below.
    piv : ndarray of intp, shape (..., min(M, N))
        Row ``i`` was interchanged with row ``piv[i]``.

    Warns
    -----
    LinAlgWarning
        When a pivot is exactly zero (the factors are still returned, as SciPy does).

    Notes
    -----
    Blocked right-looking LU with a recursively factored panel and look-ahead (the next
    panel is factored while the other threads update the rest of the trailing matrix);
    2/3 n^3 flops.  The factors are the same, bit for bit, for every ``n_threads``.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lu, piv = lamina.linalg.lu_factor([[1.0, 2.0], [3.0, 4.0]])
    >>> piv
    array([1, 1])
    >>> lu
    array([[3.        , 4.        ],
           [0.33333333, 0.66666667]])
    """
    a = prepare(a, "a", check_finite=check_finite)
    threads = resolve_threads(n_threads)
    m, n = a.shape[-2:]
    if a.ndim == 2:
        f, ipiv, info = _getrf(a, overwrite_a, threads)
        if info:
            warnings.warn(_zero_pivot_message(info, "lu_factor"), LinAlgWarning, stacklevel=3)
        return f, ipiv
    out = empty_stack(a.shape[:-2], m, n, a.dtype)
    pivs = np.empty(a.shape[:-2] + (min(m, n),), dtype=np.intp)
    for idx, mat in matrices(a):
        f, ipiv, info = _getrf(mat, False, threads)
        if info:
            warnings.warn(_zero_pivot_message(info, f"lu_factor (matrix {idx})"),
                          LinAlgWarning, stacklevel=3)
        out[idx] = f
        pivs[idx] = ipiv
    return out, pivs


@dispatchable("lu_solve")
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True, *,
             n_threads=None):
    """Solve ``A x = b`` (or ``A^T x = b``) from :func:`lu_factor`'s output.

    Parameters
    ----------
    lu_and_piv : tuple (lu, piv)
        Factors from :func:`lu_factor`: one matrix (N, N) with piv (N,), or a stack
        (..., N, N) with piv (..., N).
    b : array_like, shape (N,) or (..., N, K)
        With a stack of factors, the batch dimensions broadcast as in
        :func:`numpy.linalg.solve`; a 1-D ``b`` is one right-hand side for every matrix.
    trans : {0, 1, 2}
        0 solves ``A x = b``, 1 and 2 solve ``A^T x = b`` (real data).
    overwrite_b : bool
        Allow the solution to overwrite ``b``.
    check_finite : bool

    Returns
    -------
    x : ndarray, shape of ``b`` (broadcast over the stack)

    Examples
    --------
    >>> import lamina
    >>> f = lamina.linalg.lu_factor([[2.0, 0.0], [0.0, 4.0]])
    >>> lamina.linalg.lu_solve(f, [2.0, 2.0])
    array([1. , 0.5])
    """
    try:
        lu_, piv = lu_and_piv
    except (TypeError, ValueError):
        raise TypeError("lu_and_piv must be the (lu, piv) pair from lu_factor") from None
    lu_ = prepare(lu_, "lu", square=True, check_finite=check_finite)
    piv = np.asarray(piv)
    n = lu_.shape[-1]
    if (piv.shape != lu_.shape[:-1] or piv.dtype.kind not in "iu"
            or (piv.size and (piv.min() < 0 or piv.max() >= n))):
        raise ValueError(f"piv must be integer row indices in [0, {n}) of shape "
                         f"{lu_.shape[:-1]} (one row per matrix of lu), got {piv!r}")
    if trans not in (0, 1, 2, "N", "T", "C"):
        raise ValueError(f"trans must be 0, 1 or 2, got {trans!r}")
    transpose = trans in (1, 2, "T", "C")
    b = as_float_array(b, "b", min_ndim=1, check_finite=check_finite)
    vector = rhs_is_vector(lu_, b, "lu")
    dtype = result_dtype(lu_, b)
    threads = resolve_threads(n_threads)

    def one(a_index, lu2, rhs, overwrite=False):
        x = work_copy(rhs, overwrite, dtype)
        _lapack.getrs(np.asarray(lu2, dtype=dtype, order="F"),
                      np.ascontiguousarray(piv[a_index], dtype=np.intp), x, transpose,
                      threads)
        return x

    if lu_.ndim == 2:
        x = one((), lu_, b[:, None] if vector else b, overwrite_b)
        return x[:, 0] if vector else x
    return solve_stack(lu_, b, vector, dtype, lambda i, lu2, rhs, _: one(i, lu2, rhs))


@dispatchable("lu")
def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False, *,
       n_threads=None):
    """LU decomposition ``A = P L U`` with explicit factors, as :func:`scipy.linalg.lu`.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
    permute_l : bool
        Return ``(P L, U)`` instead.
    overwrite_a, check_finite : bool
    p_indices : bool
        Return the permutation as row indices ``p`` with ``A = L[p] @ U``.

    Returns
    -------
    p : ndarray, shape (..., M, M) (or (..., M) with ``p_indices``)
    l : ndarray, shape (..., M, K), unit lower trapezoidal, K = min(M, N)
    u : ndarray, shape (..., K, N), upper trapezoidal

    Examples
    --------
    >>> import numpy as np, lamina
    >>> p, l, u = lamina.linalg.lu([[1.0, 2.0], [3.0, 4.0]])
    >>> bool(np.allclose(p @ l @ u, [[1.0, 2.0], [3.0, 4.0]]))
    True
    """
    a = prepare(a, "a", check_finite=check_finite)
    threads = resolve_threads(n_threads)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    ls = np.zeros(batch + (m, k), dtype=a.dtype)
    us = np.zeros(batch + (k, n), dtype=a.dtype)
    perms = np.empty(batch + (m,), dtype=np.intp)
    for idx, mat in matrices(a):
        f, ipiv, _ = _getrf(mat, overwrite_a and a.ndim == 2, threads)
        ls[idx] = np.tril(f[:, :k], -1)
        lv = ls[idx]
        lv[np.arange(k), np.arange(k)] = 1
        us[idx] = np.triu(f[:k, :])
        perm = np.arange(m)
        for i, p in enumerate(ipiv):
            if p != i:
                perm[i], perm[p] = perm[p], perm[i]
        perms[idx] = np.argsort(perm)      # A = (L U)[p]
    if permute_l:
        pl = np.take_along_axis(ls, perms[..., :, None], axis=-2) if m else ls
        return pl, us
    if p_indices:
        return perms, ls, us
    pmat = np.zeros(batch + (m, m), dtype=a.dtype)
    np.put_along_axis(pmat, perms[..., :, None], 1, axis=-1)
    return pmat, ls, us


def _solve_one(mat, rhs, assume_a, lower, transposed, overwrite_a, overwrite_b, threads,
               where=""):
    """Solve one system; rhs is 2-D (n, k)."""
    dtype = result_dtype(mat, rhs)
    n = mat.shape[0]
    x = work_copy(rhs, overwrite_b, dtype)
    if n == 0:
        return x
    if assume_a == "pos":
        from lamina.linalg._cholesky import _potrf_lower, _potrs_lower
        c = _potrf_lower(mat, lower, overwrite_a, dtype, threads, "solve" + where)
        _potrs_lower(c, x, threads)
        return x
    f = work_copy(mat, overwrite_a, dtype, threads)
    anorm = norm1(f.T if transposed else f)
    ipiv = np.zeros(n, dtype=np.intp)
    info = _lapack.getrf(f, ipiv, threads)
    if info:
        raise LinAlgError(_zero_pivot_message(info, "solve" + where))
    rcond = _rcond_from_lu(f, ipiv, anorm, threads, "inf" if transposed else "1")
    if rcond < eps(dtype):
        warnings.warn(f"solve{where}: ill-conditioned matrix (rcond={rcond:.4g}): the "
                      "result may not be accurate", LinAlgWarning, stacklevel=4)
    _lapack.getrs(f, ipiv, x, transposed, threads)
    return x


@dispatchable("solve")
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a="gen", transposed=False, *, n_threads=None):
    """Solve ``a x = b`` for a square ``a``, like :func:`scipy.linalg.solve`.

    Parameters
    ----------
    a : array_like, shape (..., N, N)
    b : array_like, shape (N,), (N, K) or (..., N, K)
    lower : bool
        With ``assume_a="pos"``: use the lower triangle of ``a`` (default the upper).
    overwrite_a, overwrite_b, check_finite : bool
    assume_a : {"gen", "sym", "pos"}
        "gen" and "sym": LU with partial pivoting (a symmetric matrix is solved by the
        general route); "pos": Cholesky (raises if ``a`` is not positive definite).
    transposed : bool
        Solve ``a.T x = b``.
    n_threads : int, optional

    Returns
    -------
    x : ndarray, shape of ``b`` (broadcast over the stack)

    Raises
    ------
    LinAlgError
        ``a`` is exactly singular (names the zero pivot) or, with "pos", not positive
        definite (names the leading minor).

    Warns
    -----
    LinAlgWarning
        When the estimated reciprocal condition number is below machine epsilon.

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.solve([[3.0, 1.0], [1.0, 2.0]], [9.0, 8.0])
    array([2., 3.])
    """
    if assume_a in ("gen", "general", None):
        assume_a = "gen"
    elif assume_a in ("sym", "symmetric", "her", "hermitian"):
        assume_a = "sym"
    elif assume_a in ("pos", "positive definite"):
        assume_a = "pos"
    else:
        raise ValueError(f"assume_a must be 'gen', 'sym' or 'pos', got {assume_a!r}")
    a = prepare(a, "a", square=True, check_finite=check_finite)
    b = as_float_array(b, "b", min_ndim=1, check_finite=check_finite)
    threads = resolve_threads(n_threads)
    vector = rhs_is_vector(a, b)
    dtype = result_dtype(a, b)
    if a.ndim == 2:
        rhs = b[:, None] if vector else b
        x = _solve_one(a, rhs, assume_a, lower, transposed, overwrite_a, overwrite_b, threads)
        return x[:, 0] if vector else x
    return solve_stack(a, b, vector, dtype, lambda _, a2, rhs2, where: _solve_one(
        a2, rhs2, assume_a, lower, transposed, False, False, threads, where))


@dispatchable("inv")
def inv(a, overwrite_a=False, check_finite=True, *, n_threads=None):
    """Inverse of a square matrix (or a stack of them), from LU with partial pivoting.

    Raises
    ------
    LinAlgError
        When ``a`` is exactly singular; the message names the zero pivot.

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.inv([[2.0, 0.0], [0.0, 4.0]])
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    a = prepare(a, "a", square=True, check_finite=check_finite)
    threads = resolve_threads(n_threads)
    n = a.shape[-1]
    out = empty_stack(a.shape[:-2], n, n, a.dtype)
    for idx, mat in matrices(a):
        f, ipiv, info = _getrf(mat, overwrite_a and a.ndim == 2, threads)
        where = "" if a.ndim == 2 else f" (matrix {idx})"
        if info:
            raise LinAlgError(_zero_pivot_message(info, "inv" + where))
        x = np.eye(n, dtype=a.dtype, order="F")
        if n:
            _lapack.getrs(f, ipiv, x, False, threads)
        out[idx] = x
    return out


def _slogdet_one(mat, threads):
    n = mat.shape[0]
    if n == 0:
        return 1.0, 0.0
    f, ipiv, info = _getrf(mat, False, threads)
    if info:
        return 0.0, -np.inf
    d = np.diagonal(f)
    swaps = int(np.count_nonzero(ipiv != np.arange(n)))
    sign = (-1.0) ** (swaps + int(np.count_nonzero(d < 0)))
    return sign, float(np.log(np.abs(d).astype(np.float64)).sum())


@dispatchable("slogdet")
def slogdet(a, *, n_threads=None):
    """Sign and natural log of the absolute determinant, like :func:`numpy.linalg.slogdet`.

    Returns
    -------
    sign : ndarray or float
        1, -1, or 0 for a singular matrix.
    logabsdet : ndarray or float
        ``log|det a|`` (``-inf`` when singular); never overflows.

    Examples
    --------
    >>> import lamina
    >>> sign, logdet = lamina.linalg.slogdet([[2.0, 0.0], [0.0, -3.0]])
    >>> float(sign), round(float(logdet), 6)
    (-1.0, 1.791759)
    """
    a = prepare(a, "a", square=True, check_finite=False)
    threads = resolve_threads(n_threads)
    signs = np.empty(a.shape[:-2], dtype=a.dtype)
    logs = np.empty(a.shape[:-2], dtype=a.dtype)
    for idx, mat in matrices(a):
        s, ld = _slogdet_one(mat, threads)
        signs[idx] = s
        logs[idx] = ld
    if a.ndim == 2:
        return signs[()], logs[()]
    return signs, logs


@dispatchable("det")
def det(a, overwrite_a=False, check_finite=True, *, n_threads=None):
    """Determinant from the LU factorization (0 for an exactly singular matrix).

    Examples
    --------
    >>> import lamina
    >>> float(lamina.linalg.det([[1.0, 2.0], [3.0, 4.0]]))
    -2.0
    """
    a = prepare(a, "a", square=True, check_finite=check_finite)
    threads = resolve_threads(n_threads)
    out = np.empty(a.shape[:-2], dtype=a.dtype)
    for idx, mat in matrices(a):
        n = mat.shape[0]
        if n == 0:
            out[idx] = 1
            continue
        f, ipiv, info = _getrf(mat, overwrite_a and a.ndim == 2, threads)
        if info:
            out[idx] = 0
            continue
        swaps = int(np.count_nonzero(ipiv != np.arange(n)))
        # Product in float64 with the input's dtype only at the end: a float32 product
        # of n pivots over/underflows far sooner than the determinant itself.
        with np.errstate(over="ignore"):     # a determinant beyond the dtype's range is inf
            out[idx] = (-1.0) ** swaps * float(np.prod(np.diagonal(f).astype(np.float64)))
    return out[()] if a.ndim == 2 else out
