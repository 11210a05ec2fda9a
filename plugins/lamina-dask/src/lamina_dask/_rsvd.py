"""Randomized SVD and PCA of tall dask arrays.

Halko, Martinsson & Tropp (SIAM Review 53, 2011), algorithm 4.4, with every product that
touches the big matrix done by the blocked matmul (one lamina GEMM per block, summed over
the contraction) and every orthonormalization of a tall basis by TSQR:

1. ``Y = A Omega`` with a Gaussian ``Omega`` (N x (K + p)) drawn on the client exactly as
   lamina's core draws it, so one ``random_state`` gives one sample everywhere;
2. ``q`` power iterations ``Y <- A orth(A^T orth(Y))`` (orth by TSQR; skipped for
   ``power_iteration_normalizer="none"``);
3. ``Q = tsqr(Y).q`` (kept on the workers), ``B = Q^T A`` ((K + p) x N, a reduction over
   the row blocks), the small SVD ``B = U_b S V^T`` by :func:`lamina.linalg.svd` on the
   client, and ``U = Q U_b`` on the workers.

Cost: ``(4q + 4) M N (K + p)`` flops spread over the blocks; traffic per pass is the
(K + p)-column panels, never A.
"""

import numbers

import dask.array as da
import numpy as np

from lamina_dask._common import CORE, as_dask
from lamina_dask._matmul import matmul
from lamina_dask._tsqr import tsqr

_NORMALIZERS = ("auto", "QR", "LU", "none")


def randomized_svd(a, n_components, n_oversamples=10, n_iter="auto",
                   power_iteration_normalizer="auto", random_state=None, flip_sign=True, *,
                   transpose="auto"):
    """Rank-K truncated SVD of a (tall) dask array, distributed; lamina's signature.

    Parameters
    ----------
    a : dask.array.Array, shape (M, N)
        Best chunked by rows with whole rows per chunk; wide input is handled as its
        transpose.
    n_components, n_oversamples, n_iter, power_iteration_normalizer, random_state,
    flip_sign, transpose
        As in :func:`lamina.linalg.randomized_svd`; both "LU" and "QR" normalization
        use TSQR here (an LU of a distributed tall matrix would need a global pivot search).

    Returns
    -------
    u : dask.array.Array, shape (M, K), chunked like ``a``'s rows (persisted)
    s : dask.array.Array, shape (K,)
    vh : dask.array.Array, shape (K, N)

    Examples
    --------
    >>> import dask.array as da, lamina_dask
    >>> a = da.random.default_rng(0).standard_normal((10000, 50), chunks=(2500, 50))
    >>> u, s, vh = lamina_dask.randomized_svd(a, 5, random_state=0)
    >>> u.shape, s.shape, vh.shape
    ((10000, 5), (5,), (5, 50))
    """
    import lamina.linalg

    if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral) \
            or n_components < 1:
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
    if not isinstance(n_oversamples, numbers.Integral) or n_oversamples < 0:
        raise ValueError(f"n_oversamples must be a non-negative integer, got "
                         f"{n_oversamples!r}")
    if power_iteration_normalizer not in _NORMALIZERS:
        raise ValueError(f"power_iteration_normalizer must be one of {_NORMALIZERS}, got "
                         f"{power_iteration_normalizer!r}")
    if n_iter != "auto" and (not isinstance(n_iter, numbers.Integral) or n_iter < 0):
        raise ValueError(f"n_iter must be a non-negative integer or 'auto', got {n_iter!r}")
    a = as_dask(a, "a", ndim=2)
    m, n = a.shape
    if n_components > min(m, n):
        raise ValueError(f"n_components={n_components} must be <= min(M, N) = {min(m, n)} "
                         f"for a of shape {a.shape}")
    rng = lamina.check_random_state(random_state)
    if n_iter == "auto":
        n_iter = 7 if n_components < 0.1 * min(m, n) else 4
    if transpose == "auto":
        transpose = m < n
    op = a.T if transpose else a
    size = min(n_components + n_oversamples, *op.shape)
    normalize = power_iteration_normalizer != "none" and not (
        power_iteration_normalizer == "auto" and n_iter <= 2)
    omega = rng.normal(size=(op.shape[1], size)).astype(a.dtype, copy=False)
    y = matmul(op, da.from_array(omega, chunks=(op.chunks[1], size)))
    for _ in range(int(n_iter)):
        if normalize:
            y = tsqr(y)[0]
        z = matmul(op.T, y)
        if normalize:
            z = tsqr(z)[0]
        y = matmul(op, z)
    q = tsqr(y)[0].persist()
    b = np.asarray(matmul(q.T, op).compute())
    uhat, s, vt = lamina.linalg.svd(b, full_matrices=False, backend=CORE)
    k = n_components
    u = matmul(q, da.from_array(np.ascontiguousarray(uhat[:, :k]), chunks=(q.chunks[1], k)))
    s, vt = s[:k], vt[:k]
    if transpose:
        # U of A is the V of A^T: small, on the client; Vh of A is U of A^T, distributed.
        u, vt = da.from_array(np.ascontiguousarray(vt.T), chunks=(a.chunks[0], k)), u.T
    if flip_sign:
        u = u.persist()
        rows = da.argmax(abs(u), axis=0).compute()
        signs = np.sign(u.vindex[rows, np.arange(k)].compute())
        signs[signs == 0] = 1
        u = u * signs.astype(u.dtype)
        vt = vt * signs.astype(u.dtype)[:, None]
    if not isinstance(vt, da.Array):
        vt = da.from_array(np.ascontiguousarray(vt))
    return u.persist(), da.from_array(s), vt


def svdvals(a):
    """Singular values of a tall (or wide) dask array: TSQR, then the SVD of R."""
    import lamina.linalg

    a = as_dask(a, "a", ndim=2)
    if a.shape[0] < a.shape[1]:
        a = a.T
    r = tsqr(a, mode="r").compute()
    return da.from_array(lamina.linalg.svdvals(r, backend=CORE))


class PCA:
    """Principal component analysis of a tall dask array (rows are samples).

    The mean is a dask reduction; the components come from the distributed randomized
    SVD of the centered data (centering is lazy: the centered copy is never stored).

    Parameters
    ----------
    n_components : int
    n_oversamples, n_iter, power_iteration_normalizer, random_state
        Passed to :func:`randomized_svd`.

    Attributes
    ----------
    mean_ : ndarray, shape (N,)
    components_ : ndarray, shape (K, N)
        Principal axes (rows), signs fixed by ``flip_sign``.
    singular_values_ : ndarray, shape (K,)
    explained_variance_ : ndarray, shape (K,)
        ``s**2 / (M - 1)``.
    explained_variance_ratio_ : ndarray, shape (K,)
        Share of the total variance (computed by one more dask reduction).
    n_samples_ : int

    Examples
    --------
    >>> import dask.array as da, lamina_dask
    >>> x = da.random.default_rng(0).standard_normal((20000, 30), chunks=(5000, 30))
    >>> z = lamina_dask.PCA(3, random_state=0).fit_transform(x)
    >>> z.shape
    (20000, 3)
    """

    def __init__(self, n_components, *, n_oversamples=10, n_iter="auto",
                 power_iteration_normalizer="auto", random_state=None):
        self.n_components = n_components
        self.n_oversamples = n_oversamples
        self.n_iter = n_iter
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def fit(self, X, y=None):
        x = as_dask(X, "X", ndim=2)
        m = x.shape[0]
        if m < 2:
            raise ValueError(f"PCA needs at least 2 samples, got {m}")
        self.mean_ = np.asarray(x.mean(axis=0).compute())
        centered = x - self.mean_
        _, s, vt = randomized_svd(centered, self.n_components,
                                  n_oversamples=self.n_oversamples, n_iter=self.n_iter,
                                  power_iteration_normalizer=self.power_iteration_normalizer,
                                  random_state=self.random_state)
        s, vt = da.compute(s, vt)
        total = float((centered * centered).sum().compute()) / (m - 1)
        self.components_ = np.asarray(vt)
        self.singular_values_ = np.asarray(s)
        self.explained_variance_ = self.singular_values_ ** 2 / (m - 1)
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 \
            else np.zeros_like(self.explained_variance_)
        self.n_samples_ = m
        return self

    def transform(self, X):
        """Project ``X`` (dask array) on the components: a lazy dask array (M, K)."""
        if not hasattr(self, "components_"):
            raise ValueError("this PCA is not fitted yet; call fit first")
        x = as_dask(X, "X", ndim=2)
        if x.shape[1] != self.components_.shape[1]:
            raise ValueError(f"X has {x.shape[1]} features, the PCA was fitted on "
                             f"{self.components_.shape[1]}")
        comps = self.components_.T.astype(x.dtype, copy=False)
        return matmul(x - self.mean_.astype(x.dtype), da.from_array(
            comps, chunks=(x.chunks[1], comps.shape[1])))

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        z = as_dask(Z, "Z", ndim=2)
        comps = self.components_.astype(z.dtype, copy=False)
        return matmul(z, da.from_array(comps, chunks=(z.chunks[1], comps.shape[1]))) + \
            self.mean_.astype(z.dtype)
