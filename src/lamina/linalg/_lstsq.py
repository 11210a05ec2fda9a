"""Linear least squares by QR: full rank through blocked Householder QR, rank-deficient
and under-determined problems through column-pivoted QR and a second QR that yields the
minimum-norm solution (a complete orthogonal decomposition)."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import eps, estimate_inverse_norm1, norm1, prepare, work_copy

__all__ = ["lstsq"]


def _triangular_rcond(r, threads):
    """1-norm reciprocal condition estimate of the upper triangular r (LAPACK's trcon)."""
    n = r.shape[0]
    if n == 0:
        return np.inf
    if not np.all(np.diagonal(r)):
        return 0.0
    rn = norm1(np.triu(r))
    if rn == 0:
        return 0.0

    def solve(x, trans):
        b = np.array(x, dtype=r.dtype, order="F").reshape(n, 1)
        _lapack.trsm(True, bool(trans), False, r.T if trans else r, b, threads)
        return b[:, 0]

    with np.errstate(over="ignore", invalid="ignore"):
        inv_norm = estimate_inverse_norm1(n, solve, r.dtype)
    if not np.isfinite(inv_norm) or inv_norm == 0:
        return 0.0
    return 1.0 / rn / inv_norm


def _singular_values(a, threads):
    from lamina.linalg._svd import svdvals

    return svdvals(a, check_finite=False, n_threads=threads)


def _upper_solve(r, x, threads):
    _lapack.trsm(True, False, False, r, x, threads)


def _full_rank_tall(f, tau, b, threads):
    """x, residual sums for m >= n with R = f[:n, :n] well conditioned."""
    m, n = f.shape
    qtb = b                                   # Fortran (m, k), overwritten with Q^T b
    _lapack.ormqr(True, f, tau, qtb, threads)
    x = np.array(qtb[:n], order="F")
    _upper_solve(f[:n, :n], x, threads)
    if m > n:
        tail = qtb[n:].astype(np.float64)
        res = (tail * tail).sum(axis=0).astype(f.dtype)
    else:
        res = np.empty(0, dtype=f.dtype)
    return x, res


def _minimum_norm(a_f, b, rcond, threads):
    """Minimum-norm least-squares solution for any rank via A P = Q [R11 R12; 0 0].

    With rank r, y solves min ||y|| s.t. S y = c, S = [R11 R12] (r x n), c = (Q^T b)[:r];
    the QR factorization S^T = Z T gives y = Z T^-T c.  Then x = P y."""
    m, n = a_f.shape
    k = min(m, n)
    f = a_f
    jpvt = np.zeros(n, dtype=np.intp)
    tau = np.zeros(k, dtype=f.dtype)
    _lapack.geqp2(f, jpvt, tau)
    rdiag = np.abs(np.diagonal(f)[:k])
    rank = int(np.count_nonzero(rdiag > rcond * rdiag[0])) if k and rdiag[0] > 0 else 0
    nrhs = b.shape[1]
    x = np.zeros((n, nrhs), dtype=f.dtype, order="F")
    if rank == 0:
        return x, rank, rdiag
    qtb = b
    _lapack.ormqr(True, f[:, :k].copy(order="F"), tau, qtb, threads)
    c = np.array(qtb[:rank], order="F")
    s_t = np.array(np.triu(f[:rank, :]).T, order="F")        # (n, r)
    tau2 = np.zeros(rank, dtype=f.dtype)
    _lapack.geqrf(s_t, tau2, threads)
    # T^T w = c with T = triu(s_t[:r, :r]): a lower solve with T^T.
    t = s_t[:rank, :rank]
    _lapack.trsm(True, True, False, np.triu(t).T, c, threads)
    y = np.zeros((n, nrhs), dtype=f.dtype, order="F")
    y[:rank] = c
    _lapack.ormqr(False, s_t, tau2, y, threads)
    x[jpvt] = y
    return x, rank, rdiag


@dispatchable("lstsq")
def lstsq(a, b, rcond=None, overwrite_a=False, overwrite_b=False, check_finite=True, *,
          n_threads=None):
    """Least-squares solution of ``a x = b``, like :func:`scipy.linalg.lstsq`.

    Parameters
    ----------
    a : array_like, shape (M, N)
    b : array_like, shape (M,) or (M, K)
    rcond : float, optional
        Relative cut-off for the rank: columns whose pivoted ``|R[i, i]|`` is below
        ``rcond * |R[0, 0]|`` are treated as zero.  Default ``eps * max(M, N)``.
    overwrite_a, overwrite_b, check_finite : bool
    n_threads : int, optional

    Returns
    -------
    x : ndarray, shape (N,) or (N, K)
        The minimum-norm least-squares solution.
    residues : ndarray, shape () / (K,) or (0,)
        Squared 2-norms of the residual columns when M > N and the rank is N, else empty.
    rank : int
        Effective rank.
    s : ndarray, shape (min(M, N),)
        Singular values of ``a``, non-increasing (:func:`svdvals`; of the triangular
        factor R, which has the same ones, when the full-rank QR path ran).

    Notes
    -----
    Full-rank over-determined problems (the rank decided by a condition estimate of R,
    as LAPACK's gelsy does) use blocked Householder QR: x = R^-1 (Q^T b)[:N].  Otherwise
    column-pivoted QR decides the rank (``|R[i, i]| > rcond |R[0, 0]|``) and a second QR
    gives the minimum-norm solution, as gelsy does; the rank is therefore decided by the
    pivoted R, which tracks the singular values within modest factors (it may differ from
    ``count(s > rcond * s[0])`` for values right at the threshold).

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> x, res, rank, s = lamina.linalg.lstsq(a, [1.0, 2.0, 3.0])
    >>> np.round(x, 12), rank
    (array([1., 1.]), 2)
    >>> bool(np.allclose(s, np.linalg.svd(a, compute_uv=False)))
    True
    """
    a = prepare(a, "a", check_finite=check_finite)
    if a.ndim != 2:
        raise ValueError(f"a must be 2-dimensional, got shape {a.shape}")
    b = as_float_array(b, "b", ndim=(1, 2), check_finite=check_finite)
    m, n = a.shape
    if b.shape[0] != m:
        raise ValueError(f"b has shape {b.shape}, incompatible with a of shape {a.shape}")
    dtype = result_dtype(a, b)
    if rcond is None or rcond < 0:
        rcond = eps(dtype) * max(m, n, 1)
    threads = resolve_threads(n_threads)
    vector = b.ndim == 1
    b2 = b[:, None] if vector else b
    nrhs = b2.shape[1]
    k = min(m, n)

    def finish(x, res, rank, rdiag):
        if vector:
            x = x[:, 0]
            res = res[0] if res.size else res
        return x, res, rank, rdiag

    if k == 0:
        x = np.zeros((n, nrhs), dtype=dtype)
        res = np.zeros(nrhs, dtype=dtype) if m > 0 and n == 0 else np.empty(0, dtype=dtype)
        if m > 0 and n == 0:
            bb = b2.astype(np.float64)
            res = (bb * bb).sum(axis=0).astype(dtype)
        return finish(x, res, 0, np.empty(0, dtype=dtype))
    f = work_copy(a, overwrite_a, dtype, threads)
    qtb = work_copy(b2, overwrite_b, dtype)
    if m >= n:
        # The rank-deficient fallback restarts from A: keep a copy only when A itself is
        # about to be overwritten.
        keep = np.array(f, order="F") if f is a else None
        tau = np.zeros(n, dtype=dtype)
        _lapack.geqrf(f, tau, threads)
        if _triangular_rcond(f[:n, :n], threads) > rcond:
            sv = _singular_values(np.triu(f[:n, :n]), threads)
            x, res = _full_rank_tall(f, tau, qtb, threads)
            return finish(x, res, n, sv)
        f = keep if keep is not None else np.array(a, dtype=dtype, order="F")
    sv = _singular_values(f, threads)
    x, rank, _ = _minimum_norm(f, qtb, rcond, threads)
    return finish(x, np.empty(0, dtype=dtype), rank, sv)
