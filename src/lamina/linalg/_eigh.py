"""Symmetric eigendecomposition: eigh and eigvalsh (tridiagonal reduction + implicit QL)."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _eigen, _lapack
from lamina._registry import dispatchable
from lamina.linalg._common import matrices, prepare, raise_not_finite, scale_for_max, work_copy

__all__ = ["eigh", "eigvalsh"]

# With vectors, tridiagonal problems from this size on go to divide and conquer (its merges
# are GEMMs); smaller ones to the QL iteration, rotating the reduction's Q directly.
_DC_MIN = 64


def _check_subset(subset_by_index, n):
    if subset_by_index is None:
        return 0, n - 1
    try:
        lo, hi = (int(v) for v in subset_by_index)
    except (TypeError, ValueError):
        raise ValueError("subset_by_index must be a pair of integers (first, last), got "
                         f"{subset_by_index!r}") from None
    if not 0 <= lo <= hi <= n - 1:
        raise ValueError(f"subset_by_index {subset_by_index!r} is out of range for a "
                         f"{n} x {n} matrix: need 0 <= first <= last <= {n - 1}")
    return lo, hi


def _tridiagonal_q(f, tau, threads):
    """Q of sytrd's reflectors (stored below the sub-diagonal of f): diag(1, Q') where Q'
    is the orthogonal factor of the geqrf-layout reflectors in f[1:, :n-1]."""
    n = f.shape[0]
    z = np.zeros((n, n), dtype=f.dtype, order="F")
    z[0, 0] = 1
    if n > 1:
        q = np.array(f[1:, :n - 1], order="F")
        _lapack.orgqr(q, tau[:n - 1], n - 1, threads)
        z[1:, 1:] = q
    return z


def _eigh_2d(mat, lower, vectors, overwrite, threads):
    n = mat.shape[0]
    f = work_copy(mat if lower else mat.T, overwrite, threads=threads)
    # Only the lower triangle is referenced (the other may hold garbage): its largest
    # magnitude and finiteness come from one pass over it.
    amax, finite = _eigen.lower_max_abs(f)
    if not finite:
        raise_not_finite("eigh")
    scale = scale_for_max(amax, f.dtype)
    if scale != 1.0:
        f /= scale
    d = np.zeros(n, dtype=f.dtype)
    e = np.zeros(n, dtype=f.dtype)
    tau = np.zeros(n, dtype=f.dtype)
    _eigen.sytrd(f, d, e, tau, threads)
    z = None
    if vectors and n >= _DC_MIN:
        w = np.zeros((n, n), dtype=f.dtype, order="F")
        info = _eigen.stedc(d, e, w, threads)
        # Z := Q W with Q = diag(1, Q'), Q' from the reflectors in f[1:, :n-1].
        lower_rows = np.array(w[1:], order="F")
        _lapack.ormqr(False, np.array(f[1:, :n - 1], order="F"), tau[:n - 1], lower_rows,
                      threads)
        z = np.empty((n, n), dtype=f.dtype, order="F")
        z[0] = w[0]
        z[1:] = lower_rows
    else:
        z = _tridiagonal_q(f, tau, threads) if vectors else None
        info = _eigen.steqr(d, e, z, threads)
    if info:
        raise LinAlgError(f"eigh: the implicit QL iteration did not converge: {info} "
                          "off-diagonal elements of the tridiagonal form did not reach zero")
    if scale != 1.0:
        d *= scale
    return d, z


@dispatchable("eigh")
def eigh(a, lower=True, eigvals_only=False, overwrite_a=False, check_finite=True,
         subset_by_index=None, *, n_threads=None):
    """Eigenvalues and eigenvectors of a real symmetric matrix, like
    :func:`scipy.linalg.eigh` (standard problem).

    Parameters
    ----------
    a : array_like, shape (..., M, M)
        Symmetric matrix or stack.  Only the triangle chosen by ``lower`` is read: the
        other is ignored and assumed to mirror it (as SciPy and LAPACK do), so a
        non-symmetric input is treated as the symmetric matrix built from that triangle.
    lower : bool
        Use the lower (default) or the upper triangle.
    eigvals_only : bool
        Return the eigenvalues only (the vectors are never formed: O(M^2) after the
        reduction instead of O(M^3)).
    overwrite_a, check_finite : bool
    subset_by_index : (int, int), optional
        Inclusive indices ``(first, last)`` of the eigenvalues (in ascending order) to
        return, with their vectors.
    n_threads : int, optional

    Returns
    -------
    w : ndarray, shape (..., K)
        Eigenvalues in ascending order.
    v : ndarray, shape (..., M, K)
        Orthonormal eigenvectors, ``v[..., :, i]`` belonging to ``w[..., i]`` (not
        returned with ``eigvals_only``).

    Raises
    ------
    LinAlgError
        If the QL iteration does not converge (not observed in practice).

    Notes
    -----
    Blocked Householder tridiagonalization (LAPACK's sytrd: panels by latrd, the trailing
    rank-2k update through lamina's GEMM), then for the tridiagonal matrix: implicit QL
    with Wilkinson's shift for the values only (O(n^2)); with vectors, Cuppen's divide and
    conquer (LAPACK's stedc: deflation, the secular equation, Gu and Eisenstat's
    orthogonal vectors, one GEMM per merge) from n = 64 on, and below that the QL
    iteration with its rotations applied to cache-sized row blocks of the vectors.  The
    vectors are back-transformed by the reduction's reflectors in compact WY blocks
    (GEMMs).  The input
    is scaled into a safe range first, so matrices near the overflow or underflow threshold
    work.  Residual ``||A - V diag(w) V^T|| = O(n eps ||A||)`` and ``||V^T V - I|| =
    O(n eps)``.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> w, v = lamina.linalg.eigh(a)
    >>> w
    array([1., 3.])
    >>> bool(np.allclose(a @ v, v * w))
    True
    """
    return _eigh(a, lower, eigvals_only, overwrite_a, check_finite, subset_by_index,
                 n_threads)


def _eigh(a, lower, eigvals_only, overwrite_a, check_finite, subset_by_index, n_threads):
    a = prepare(a, "a", square=True, check_finite=check_finite)
    threads = resolve_threads(n_threads)
    n = a.shape[-1]
    if n == 0:
        if subset_by_index is not None:
            _check_subset(subset_by_index, n)
        w = np.empty(a.shape[:-1], dtype=a.dtype)
        return w if eigvals_only else (w, np.empty(a.shape, dtype=a.dtype))
    lo, hi = _check_subset(subset_by_index, n)
    k = hi - lo + 1
    ws = np.empty(a.shape[:-2] + (k,), dtype=a.dtype)
    vs = None if eigvals_only else np.empty(a.shape[:-2] + (n, k), dtype=a.dtype)
    for idx, mat in matrices(a):
        d, z = _eigh_2d(mat, lower, not eigvals_only, overwrite_a and a.ndim == 2, threads)
        ws[idx] = d[lo:hi + 1]
        if vs is not None:
            vs[idx] = z[:, lo:hi + 1]
    if eigvals_only:
        return ws
    if a.ndim == 2:
        vs = np.asfortranarray(vs)
    return ws, vs


@dispatchable("eigvalsh")
def eigvalsh(a, lower=True, overwrite_a=False, check_finite=True, subset_by_index=None, *,
             n_threads=None):
    """Eigenvalues of a real symmetric matrix, ascending, like
    :func:`scipy.linalg.eigvalsh`: :func:`eigh` with ``eigvals_only=True``.

    Examples
    --------
    >>> import lamina
    >>> lamina.linalg.eigvalsh([[2.0, 1.0], [1.0, 2.0]])
    array([1., 3.])
    """
    return _eigh(a, lower, True, overwrite_a, check_finite, subset_by_index, n_threads)
