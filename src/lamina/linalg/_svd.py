"""Singular value decomposition and what is built on it: svd, svdvals, pinv,
matrix_rank."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _eigen, _lapack
from lamina._registry import dispatchable
from lamina.blas import matmul, vector_norm
from lamina.linalg._common import (
    eps,
    matrices,
    prepare,
    require_finite,
    safe_scale,
    work_copy,
)

__all__ = ["matrix_rank", "pinv", "svd", "svdvals"]

_METHODS = ("auto", "gesdd-like", "jacobi")
# QR first when m >= _QR_FIRST * n: the bidiagonal reduction then works on n x n.
_QR_FIRST = 5.0 / 3.0
_JACOBI_SWEEPS = 60


def _not_converged(info, what):
    return LinAlgError(f"svd: the {what} did not converge: {info} super-diagonal "
                       "elements of the bidiagonal form did not reach zero")


def _apply_q(f, tau, inner, ncol, threads):
    """Q @ [[inner, 0], [0, I]] (m x ncol) with Q from geqrf's reflectors in f (m x n)."""
    m, n = f.shape
    out = np.zeros((m, ncol), dtype=f.dtype, order="F")
    out[:n, :n] = inner
    if ncol > n:
        out[np.arange(n, ncol), np.arange(n, ncol)] = 1
    _lapack.ormqr(False, f, tau, out, threads)
    return out


def _bidiagonal_svd(f, full, vectors, threads):
    """SVD of the m x n (m >= n) work matrix f by bidiagonal reduction + QR iteration:
    (u m x ncol, s, v n x n) with f = u[:, :n] diag(s) v^T."""
    m, n = f.shape
    d = np.zeros(n, dtype=f.dtype)
    e = np.zeros(max(n, 1), dtype=f.dtype)
    tauq = np.zeros(n, dtype=f.dtype)
    taup = np.zeros(n, dtype=f.dtype)
    _eigen.gebrd(f, d, e, tauq, taup, threads)
    u = v = None
    if vectors:
        ncol = m if full else n
        u = np.zeros((m, ncol), dtype=f.dtype, order="F")
        u[:, :n] = f
        _lapack.orgqr(u, tauq, n, threads)
        v = np.zeros((n, n), dtype=f.dtype, order="F")
        v[0, 0] = 1
        if n > 1:
            p = np.array(f[:n - 1, 1:].T, order="F")
            _lapack.orgqr(p, taup[:n - 1], n - 1, threads)
            v[1:, 1:] = p
    info = _eigen.bdsqr(d, e, u[:, :n] if u is not None else None, v, threads)
    if info:
        raise _not_converged(info, "bidiagonal QR iteration")
    return u, d, v


def _jacobi_svd(f, full, vectors, threads):
    """One-sided Jacobi SVD after a column-pivoted QR (Drmac-Veselic preconditioning):
    A P = Q R, R^T V_x = U_x S  =>  A = (Q V_x) S (P U_x)^T."""
    m, n = f.shape
    jpvt = np.zeros(n, dtype=np.intp)
    tau = np.zeros(n, dtype=f.dtype)
    _lapack.geqp2(f, jpvt, tau)
    x = np.array(np.triu(f[:n]).T, order="F")
    vx = np.eye(n, dtype=f.dtype, order="F") if vectors else None
    sweeps = _eigen.jacobi(x, vx, _JACOBI_SWEEPS, threads)
    if sweeps < 0:
        raise LinAlgError(f"svd: one-sided Jacobi did not converge in {_JACOBI_SWEEPS} "
                          "sweeps")
    s = np.asarray(vector_norm(x, axis=0), dtype=f.dtype) if n else np.zeros(0, f.dtype)
    order = np.argsort(-s, kind="stable")
    s = s[order]
    if not vectors:
        return None, s, None
    x = x[:, order]
    vx = vx[:, order]
    good = s > 0
    ux = np.zeros((n, n), dtype=f.dtype)
    ux[:, good] = x[:, good] / s[good]
    if not np.all(good):
        # Orthonormal completion for the zero singular values.
        from lamina.linalg._qr import qr

        q, _ = qr(np.concatenate([ux[:, good], np.eye(n, dtype=f.dtype)], axis=1),
                  mode="reduced", n_threads=threads)
        ux[:, ~good] = q[:, int(good.sum()):n]
    u = _apply_q(f, tau, vx, m if full else n, threads)
    v = np.empty((n, n), dtype=f.dtype)
    v[jpvt] = ux
    return u, s, v


def _svd_tall(a, full, vectors, method, threads, overwrite):
    """(u, s, v) of an m x n matrix with m >= n, a = u[:, :n] diag(s) v^T."""
    m, n = a.shape
    f = work_copy(a, overwrite, threads=threads)
    require_finite(f, "svd")
    scale = safe_scale(f, f.dtype)
    if scale != 1.0:
        f /= scale
    if method == "jacobi":
        u, s, v = _jacobi_svd(f, full, vectors, threads)
    elif m >= _QR_FIRST * n and n > 0:
        tau = np.zeros(n, dtype=f.dtype)
        _lapack.geqrf(f, tau, threads)
        r = np.array(np.triu(f[:n]), order="F")
        ur, s, v = _bidiagonal_svd(r, False, vectors, threads)
        u = _apply_q(f, tau, ur, m if full else n, threads) if vectors else None
    else:
        u, s, v = _bidiagonal_svd(f, full, vectors, threads)
    if scale != 1.0:
        s *= scale
    return u, s, v


def _svd_2d(a, full, vectors, method, threads, overwrite):
    """(u, s, vt) of one matrix."""
    m, n = a.shape
    if m >= n:
        u, s, v = _svd_tall(a, full, vectors, method, threads, overwrite)
        return u, s, (v.T if v is not None else None)
    # Wide: a^T = v s u^T.
    v, s, u = _svd_tall(a.T, full, vectors, method, threads, False)
    return u, s, (v.T if v is not None else None)


def _empty_svd(a, full, vectors):
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    s = np.zeros(batch + (0,), dtype=a.dtype)
    if not vectors:
        return s
    ku, kv = (m, n) if full else (0, 0)
    u = np.zeros(batch + (m, ku), dtype=a.dtype)
    vt = np.zeros(batch + (kv, n), dtype=a.dtype)
    if full:
        u[..., np.arange(m), np.arange(m)] = 1
        vt[..., np.arange(n), np.arange(n)] = 1
    return u, s, vt


def _svd(a, full_matrices, compute_uv, overwrite_a, check_finite, method, n_threads):
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    a = prepare(a, "a", check_finite=check_finite)
    threads = resolve_threads(n_threads)
    m, n = a.shape[-2:]
    k = min(m, n)
    if k == 0:
        return _empty_svd(a, full_matrices, compute_uv)
    batch = a.shape[:-2]
    ss = np.empty(batch + (k,), dtype=a.dtype)
    us = vts = None
    if compute_uv:
        us = np.empty(batch + (m, m if full_matrices else k), dtype=a.dtype)
        vts = np.empty(batch + ((n if full_matrices else k), n), dtype=a.dtype)
    for idx, mat in matrices(a):
        u, s, vt = _svd_2d(mat, full_matrices, compute_uv, method, threads,
                           overwrite_a and a.ndim == 2)
        ss[idx] = s
        if compute_uv:
            us[idx] = u
            vts[idx] = vt
    if not compute_uv:
        return ss
    return us, ss, vts


@dispatchable("svd")
def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        method="auto", *, n_threads=None):
    """Singular value decomposition ``a = U @ diag(s) @ Vh``, like
    :func:`scipy.linalg.svd`.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
    full_matrices : bool
        U is (M, M) and Vh (N, N); otherwise the economic (M, K) and (K, N), K = min(M, N).
    compute_uv : bool
        False returns ``s`` only (no vectors are formed or rotated).
    overwrite_a, check_finite : bool
    method : {"auto", "gesdd-like", "jacobi"}
        "auto" and "gesdd-like": Householder bidiagonalization (after a QR factorization
        when M >= 5/3 N, or of the transpose for wide input) and the Demmel-Kahan
        bidiagonal QR iteration; absolute accuracy ``O(eps ||A||)`` for every singular
        value.  "jacobi": column-pivoted QR, then one-sided Jacobi on R^T (Drmac and
        Veselic); slower, but for ``A = B D`` with B well conditioned and D diagonal
        (badly scaled columns) every singular value, however small, comes out with
        relative accuracy ``O(kappa(B) eps)``.
    n_threads : int, optional

    Returns
    -------
    U : ndarray, shape (..., M, M) or (..., M, K)
    s : ndarray, shape (..., K)
        Non-negative and non-increasing.
    Vh : ndarray, shape (..., N, N) or (..., K, N)

    Raises
    ------
    LinAlgError
        If the iteration does not converge (not observed in practice).

    Notes
    -----
    The bidiagonal QR iteration (LAPACK's bdsqr algorithm: zero-shift sweeps when a
    shift would spoil the smallest values, relative convergence tests, chase direction
    by the grading) computes the singular values of the bidiagonal matrix to high
    relative accuracy.  Its plane rotations are recorded and applied to cache-sized row
    blocks of U and V.  The orthogonal factors of the reductions are formed and applied
    with lamina's blocked QR kernels (compact WY, GEMM).  The input is scaled into a safe
    range first.  Residuals: ``||A - U S Vh|| = O(max(M, N) eps ||A||)``, ``||U^T U - I||``
    and ``||Vh Vh^T - I||`` = O(M eps), O(N eps).

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> u, s, vh = lamina.linalg.svd(a)
    >>> np.round(s ** 2, 10)
    array([45.,  5.])
    >>> bool(np.allclose(u @ np.diag(s) @ vh, a))
    True
    """
    return _svd(a, full_matrices, compute_uv, overwrite_a, check_finite, method, n_threads)


@dispatchable("svdvals")
def svdvals(a, overwrite_a=False, check_finite=True, *, n_threads=None):
    """Singular values, non-increasing, like :func:`scipy.linalg.svdvals`.

    Computed without forming any vector: bidiagonal reduction and the Demmel-Kahan QR
    iteration on the values only (see :func:`svd`).

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.svdvals([[0.0, 2.0], [3.0, 0.0]])
    array([3., 2.])
    """
    return _svd(a, False, False, overwrite_a, check_finite, "auto", n_threads)


@dispatchable("pinv")
def pinv(a, rtol=None, *, atol=None, return_rank=False, check_finite=True, n_threads=None):
    """Moore-Penrose pseudo-inverse from the SVD, like :func:`scipy.linalg.pinv`.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
    rtol : float, optional
        Relative cut-off: singular values ``<= atol + rtol * s_max`` are treated as zero.
        Default ``max(M, N) * eps`` when ``atol`` is not given (else 0), as in SciPy.
    atol : float, optional
        Absolute cut-off (default 0).
    return_rank : bool
        Also return the effective rank.
    check_finite : bool
    n_threads : int, optional

    Returns
    -------
    b : ndarray, shape (..., N, M)
    rank : int or ndarray, only with ``return_rank``

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    >>> b = lamina.linalg.pinv(a)
    >>> bool(np.allclose(a @ b @ a, a))
    True
    """
    a = prepare(a, "a", check_finite=check_finite)
    threads = resolve_threads(n_threads)
    m, n = a.shape[-2:]
    atol_ = 0.0 if atol is None else float(atol)
    if atol_ < 0 or (rtol is not None and float(rtol) < 0):
        raise ValueError("atol and rtol must be non-negative")
    if rtol is None:
        rtol_ = max(m, n) * eps(a.dtype) if atol_ == 0 else 0.0
    else:
        rtol_ = float(rtol)
    out = np.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    ranks = np.zeros(a.shape[:-2], dtype=np.intp)
    if min(m, n) > 0:
        for idx, mat in matrices(a):
            u, s, vt = _svd_2d(mat, False, True, "auto", threads, False)
            cut = atol_ + rtol_ * float(s[0])
            r = int(np.count_nonzero(s > cut))
            ranks[idx] = r
            if r:
                w = np.ascontiguousarray(vt[:r].T / s[:r])
                out[idx] = matmul(w, np.ascontiguousarray(u[:, :r].T), n_threads=threads)
    if return_rank:
        return out, (int(ranks) if ranks.ndim == 0 else ranks)
    return out


@dispatchable("matrix_rank")
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None, n_threads=None):
    """Rank from the singular values, like :func:`numpy.linalg.matrix_rank`.

    Parameters
    ----------
    A : array_like, shape (..., M, N), or a vector
    tol : float or array_like, optional
        Absolute threshold: singular values ``> tol`` count.  Default
        ``s_max * rtol`` with ``rtol = max(M, N) * eps``.
    hermitian : bool
        Use the eigenvalues' magnitudes (:func:`eigvalsh`) instead of the SVD.
    rtol : float, optional
        Relative threshold, used when ``tol`` is None.
    n_threads : int, optional

    Returns
    -------
    int or ndarray of int

    Examples
    --------
    >>> import lamina
    >>> int(lamina.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]]))
    1
    """
    A = np.asarray(A) if not isinstance(A, np.ndarray) else A
    if A.ndim < 2:
        a1 = prepare(np.atleast_2d(A), "A", check_finite=False)
        return int(np.any(a1 != 0))
    a = prepare(A, "A", check_finite=True)
    m, n = a.shape[-2:]
    if min(m, n) == 0:
        r = np.zeros(a.shape[:-2], dtype=np.intp)
        return int(r) if r.ndim == 0 else r
    if hermitian:
        from lamina.linalg._eigh import eigvalsh

        s = np.abs(eigvalsh(a, n_threads=n_threads))
        s = -np.sort(-s, axis=-1)
    else:
        s = svdvals(a, n_threads=n_threads)
    if tol is None:
        r_ = max(m, n) * eps(a.dtype) if rtol is None else np.asarray(rtol)[..., None]
        thresh = s[..., :1] * r_
    else:
        thresh = np.asarray(tol)[..., None]
    r = np.count_nonzero(s > thresh, axis=-1)
    return int(r) if np.ndim(r) == 0 else r
