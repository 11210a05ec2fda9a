"""Randomized truncated SVD (Halko, Martinsson and Tropp) with scikit-learn's defaults."""

import numbers

import numpy as np

from lamina._config import resolve_threads
from lamina._registry import dispatchable
from lamina._validation import as_float_array, check_random_state
from lamina.blas import matmul
from lamina.sparse import CSR, as_csr, csr_matmat, csr_rmatmat, is_sparse

__all__ = ["randomized_svd"]

_NORMALIZERS = ("auto", "QR", "LU", "none")


def _csr_transpose(a):
    """The CSR form of a CSR matrix's transpose (a counting sort of the entries)."""
    m, n = a.shape
    counts = np.diff(a.indptr)
    rows = np.repeat(np.arange(m, dtype=a.indices.dtype), counts)
    order = np.argsort(a.indices, kind="stable")
    indptr = np.zeros(n + 1, dtype=a.indptr.dtype)
    np.cumsum(np.bincount(a.indices, minlength=n), out=indptr[1:])
    return CSR(np.ascontiguousarray(a.data[order]), np.ascontiguousarray(rows[order]),
               indptr, (n, m))


class _Operator:
    """``A @ X`` and ``A.T @ X`` for a dense array or a CSR matrix, through lamina's GEMM
    or CSR kernels (the transpose of a CSR matrix is built once)."""

    def __init__(self, a, threads, at=None):
        self.a = a
        self.threads = threads
        self.sparse = isinstance(a, CSR)
        self._at = at
        self.shape = a.shape
        self.dtype = a.dtype

    @property
    def at(self):
        if self._at is None:
            self._at = _csr_transpose(self.a)
        return self._at

    def transposed(self):
        if self.sparse:
            return _Operator(self.at, self.threads, at=self.a)
        return _Operator(self.a.T, self.threads)

    def matmat(self, x):
        if self.sparse:
            return csr_matmat(self.a, x, n_threads=self.threads)
        return matmul(self.a, x, n_threads=self.threads)

    def rmatmat(self, x):
        if self.sparse:
            # a scatter over A's rows: no transpose is formed, A and x are read in order
            return csr_rmatmat(self.a, x, n_threads=self.threads)
        # (x^T A)^T: a short, wide product with A read in its own (row) order, which
        # lamina's GEMM does without packing A (faster than A^T x for few columns).
        return matmul(np.ascontiguousarray(x.T), self.a, n_threads=self.threads).T


def _range_finder(op, size, n_iter, normalizer, rng, threads):
    """An orthonormal (m x size) basis Q approximating the range of A, by subspace
    iteration on a Gaussian test matrix with LU or QR re-normalization."""
    from lamina.linalg._lu import lu
    from lamina.linalg._qr import qr

    q = np.asarray(rng.normal(size=(op.shape[1], size)))
    if op.dtype == np.float32:
        q = q.astype(np.float32)
    if normalizer == "auto":
        normalizer = "none" if n_iter <= 2 else "LU"

    def normalize(y):
        if normalizer == "LU":
            return lu(y, permute_l=True, check_finite=False, n_threads=threads)[0]
        if normalizer == "QR":
            return qr(y, mode="reduced", check_finite=False, n_threads=threads)[0]
        return y

    for _ in range(n_iter):
        q = normalize(op.matmat(q))
        q = normalize(op.rmatmat(q))
    return qr(op.matmat(q), mode="reduced", check_finite=False, n_threads=threads)[0]


@dispatchable("randomized_svd")
def randomized_svd(a, n_components, n_oversamples=10, n_iter="auto",
                   power_iteration_normalizer="auto", random_state=None, flip_sign=True,
                   *, transpose="auto", n_threads=None):
    """Truncated SVD by randomized subspace iteration, like
    :func:`sklearn.utils.extmath.randomized_svd`.

    Parameters
    ----------
    a : array_like or sparse matrix, shape (M, N)
        Dense input, or a SciPy sparse matrix / :class:`lamina.sparse.CSR` (multiplied
        with lamina's CSR kernels, never densified).
    n_components : int
        Number of singular triplets K.
    n_oversamples : int
        Extra random directions p (the basis has K + p columns).  Default 10.
    n_iter : int or "auto"
        Power iterations q; "auto" is 7 when K < 0.1 min(M, N), else 4 (scikit-learn's
        rule).
    power_iteration_normalizer : {"auto", "QR", "LU", "none"}
        Re-normalization between power iterations; "auto" is "none" for q <= 2, else
        "LU" (cheaper than QR, as in scikit-learn).
    random_state : None, int, numpy RandomState or Generator
        The Gaussian test matrix is drawn as scikit-learn draws it
        (``random_state.normal(size=(N, K + p))``).
    flip_sign : bool
        Make the largest-magnitude entry of each column of U positive (scikit-learn's
        convention, ``svd_flip`` on U), so results are deterministic.
    transpose : bool or "auto"
        Work on ``a.T`` ("auto": when M < N).
    n_threads : int, optional

    Returns
    -------
    U : ndarray, shape (M, K)
    s : ndarray, shape (K,)
    Vh : ndarray, shape (K, N)

    Notes
    -----
    Halko, Martinsson and Tropp (SIAM Review 53, 2011), algorithm 4.4 with LU steps
    (Li et al. 2017): ``Q = orth((A A^T)^q A Omega)``, then the small SVD of ``Q^T A``.
    All products go through lamina's GEMM (or CSR kernels), the normalizations through
    lamina's LU and QR, the small SVD through :func:`lamina.linalg.svd`.  About
    ``(4q + 4) M N (K + p)`` flops, nearly all of them tall-skinny GEMM.  The expected
    error is within HMT's bound ``(1 + 4 sqrt(min(M, N)(K + p)) / (p - 1))^(1/(2q+1))
    sigma_{K+1}`` (for p >= 2) of the best rank-K approximation.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 40))
    >>> u, s, vh = lamina.linalg.randomized_svd(a, 5, random_state=0)
    >>> bool(np.allclose(u * s @ vh, a))
    True
    """
    if not isinstance(n_components, numbers.Integral) or n_components < 1:
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
    if not isinstance(n_oversamples, numbers.Integral) or n_oversamples < 0:
        raise ValueError(f"n_oversamples must be a non-negative integer, got "
                         f"{n_oversamples!r}")
    if power_iteration_normalizer not in _NORMALIZERS:
        raise ValueError(f"power_iteration_normalizer must be one of {_NORMALIZERS}, got "
                         f"{power_iteration_normalizer!r}")
    if n_iter != "auto" and (not isinstance(n_iter, numbers.Integral) or n_iter < 0):
        raise ValueError(f"n_iter must be a non-negative integer or 'auto', got {n_iter!r}")
    threads = resolve_threads(n_threads)
    if is_sparse(a):
        a = as_csr(a, "a", check_finite=True)
    else:
        a = as_float_array(a, "a", ndim=2, check_finite=True)
    m, n = a.shape
    if n_components > min(m, n):
        raise ValueError(f"n_components={n_components} must be <= min(M, N) = {min(m, n)} "
                         f"for a of shape {a.shape}")
    rng = check_random_state(random_state)
    if n_iter == "auto":
        n_iter = 7 if n_components < 0.1 * min(m, n) else 4
    if transpose == "auto":
        transpose = m < n
    op = _Operator(a, threads)
    if transpose:
        op = op.transposed()
    size = min(n_components + n_oversamples, *op.shape)
    q = _range_finder(op, size, int(n_iter), power_iteration_normalizer, rng, threads)
    # B = Q^T A (size x N'), computed as (A^T Q)^T.
    b = np.ascontiguousarray(op.rmatmat(q).T)
    from lamina.linalg._svd import svd

    uhat, s, vt = svd(b, full_matrices=False, check_finite=False, n_threads=threads)
    u = matmul(q, uhat, n_threads=threads)
    if transpose:
        u, vt = vt.T, u.T
    u = np.ascontiguousarray(u[:, :n_components])
    vt = np.ascontiguousarray(vt[:n_components])
    s = s[:n_components]
    if flip_sign:
        rows = np.argmax(np.abs(u), axis=0)
        signs = np.sign(u[rows, np.arange(u.shape[1])])
        signs[signs == 0] = 1
        u *= signs
        vt *= signs[:, None]
    return u, s, vt
