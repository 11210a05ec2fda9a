"""Principal component analysis, truncated SVD and low-rank approximation.

* ``PCA``: scikit-learn's model (components sorted by explained variance, signs fixed by
  ``svd_flip``: the largest-magnitude entry of every component is positive) with the
  solvers

  - ``"full"``: the thin SVD of the centered data.  A tall matrix is first reduced by
    lamina's blocked Householder QR (X_c = Q R) and only the small R is decomposed; the
    singular values and right vectors are those of X_c, backward stable (LAPACK's
    gesdd does the same reduction).
  - ``"covariance_eigh"``: the eigen-decomposition of the covariance matrix
    (X^T X by SYRK, centered afterwards), cheapest when n_samples >> n_features; the
    eigenvalues are the squared singular values, accurate relative to the largest.
  - ``"randomized"``: Halko, Martinsson and Tropp's randomized range finder with power
    iterations (``lamina.linalg.randomized_svd``).
  - ``"auto"``: scikit-learn's rule (covariance_eigh for n_features <= 1000 and
    n_samples >= 10 n_features; full when the matrix is at most 500 on a side or a
    variance fraction is asked; randomized when n_components < 0.8 min(shape)).

  The probabilistic PCA model (Tipping and Bishop 1999) gives ``get_covariance``,
  ``get_precision`` (matrix inversion lemma; the small inner system by lamina's
  Cholesky) and ``score_samples`` (Gaussian log-likelihood; log-det from the Cholesky
  factor of the precision).
* ``TruncatedSVD``: the leading singular triplets of uncentered (possibly sparse) data
  by the randomized SVD; sparse products run on lamina's CSR kernels.
* ``low_rank_approximation``: the best rank-r approximation (Eckart-Young) and its
  relative Frobenius error.
"""

import numbers

import numpy as np

from lamina._errors import LinAlgError
from lamina._validation import as_float_array, assert_finite
from lamina.blas import outer
from lamina.decomposition._base import (
    BaseDecomposition,
    TransformerMixin,
    check_int,
    check_is_fitted,
    check_option,
    check_random_state,
)
from lamina.decomposition._ops import gram, matmul
from lamina.sparse import csr_matmat, is_sparse

__all__ = ["PCA", "TruncatedSVD", "low_rank_approximation", "svd_flip"]


def svd_flip(u, v, u_based_decision=False):
    """Fix the signs of singular vectors (scikit-learn's convention).

    With ``u_based_decision=False`` every row of ``v`` is flipped so its largest-
    magnitude entry is positive, and the matching column of ``u`` (if given) with it.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import svd_flip
    >>> svd_flip(None, np.array([[0.1, -0.9], [0.8, 0.2]]))[1]
    array([[-0.1,  0.9],
           [ 0.8,  0.2]])
    """
    if u_based_decision:
        idx = np.argmax(np.abs(u), axis=0)
        signs = np.sign(u[idx, np.arange(u.shape[1])])
    else:
        idx = np.argmax(np.abs(v), axis=1)
        signs = np.sign(v[np.arange(v.shape[0]), idx])
    signs[signs == 0] = 1
    signs = signs.astype(v.dtype if v is not None else u.dtype)
    if u is not None:
        u = u * signs[np.newaxis, :]
    if v is not None:
        v = v * signs[:, np.newaxis]
    return u, v


def _thin_svd_values(X):
    """(S, Vt) of the thin SVD of X; a tall X is reduced by QR first."""
    from lamina.linalg import qr, svd

    m, n = X.shape
    if m >= 2 * n:
        R = qr(X, mode="r", check_finite=False)
        _, S, Vt = svd(R, full_matrices=False, check_finite=False)
    else:
        _, S, Vt = svd(X, full_matrices=False, check_finite=False)
    return S, Vt


def _column_variance_sum(X, mean, ddof):
    """sum over columns of the variance of X (dense), without an n x p temporary."""
    n = X.shape[0]
    total = 0.0
    step = max(1, (1 << 22) // max(X.shape[1], 1))
    for start in range(0, n, step):
        block = X[start:start + step] - mean
        total += float(np.einsum("ij,ij->", block, block, dtype=np.float64))
    return total / (n - ddof)


def _sparse_column_variance_sum(A):
    """sum over columns of the (population) variance of a CSR matrix, two-pass."""
    n, p = A.shape
    sums = np.bincount(A.indices, weights=A.data, minlength=p)
    mean = sums / n
    dev = A.data - mean[A.indices]
    nnz = np.bincount(A.indices, minlength=p)
    ss = np.bincount(A.indices, weights=dev * dev, minlength=p) + (n - nnz) * mean ** 2
    return float(ss.sum() / n)


class _Projection(TransformerMixin, BaseDecomposition):
    """What PCA and TruncatedSVD share: ``transform`` through the estimator's
    ``_project`` and the check of projections handed back to ``inverse_transform``."""

    def transform(self, X):
        """Project X on the components (PCA: after centering, whitened if ``whiten``;
        TruncatedSVD: dense or sparse X as given)."""
        check_is_fitted(self, "components_")
        return self._project(self._check_X(X, reset=False))

    def _check_projections(self, X):
        check_is_fitted(self, "components_")
        X = as_float_array(X, "X", ndim=2)
        k = self.components_.shape[0]
        if X.shape[1] != k:
            raise ValueError(f"X has {X.shape[1]} columns, but {type(self).__name__} has "
                             f"{k} components")
        return X


class PCA(_Projection):
    """Principal component analysis (scikit-learn's ``PCA``, on lamina's kernels).

    Parameters
    ----------
    n_components : None, int or float in (0, 1)
        Components to keep: all (``min(n_samples, n_features)``), a count, or the
        smallest number whose cumulated explained variance ratio exceeds the fraction.
    whiten : bool
        Scale the projections to unit variance.
    svd_solver : {"auto", "full", "covariance_eigh", "randomized"}
        See the module notes.
    iterated_power : int or "auto"
        Power iterations of the randomized solver.
    n_oversamples : int
        Extra random vectors of the randomized solver.
    power_iteration_normalizer : {"auto", "QR", "LU", "none"}
    random_state : None, int or numpy.random.RandomState

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray
    mean_ : ndarray, shape (n_features,)
    n_components_, n_samples_ : int
    noise_variance_ : float
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import PCA
    >>> X = np.random.default_rng(0).standard_normal((100, 5)) @ np.diag([5, 3, 1, .1, .1])
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.components_.shape, bool(pca.explained_variance_ratio_.sum() > 0.9)
    ((2, 5), True)
    >>> pca.transform(X).shape
    (100, 2)
    """

    estimator_name = "pca"

    def __init__(self, n_components=None, *, whiten=False, svd_solver="auto",
                 iterated_power="auto", n_oversamples=10, power_iteration_normalizer="auto",
                 random_state=None):
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def _check_n_components(self, n_samples, n_features):
        k = self.n_components
        if k is None:
            return min(n_samples, n_features)
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"n_components must be None, an int or a float in (0, 1); got "
                            f"{k!r}")
        if isinstance(k, numbers.Integral):
            k = int(k)
            if not 1 <= k <= min(n_samples, n_features):
                raise ValueError(f"n_components={k} must be between 1 and min(n_samples, "
                                 f"n_features)={min(n_samples, n_features)}")
            return k
        k = float(k)
        if not 0.0 < k < 1.0:
            raise ValueError(f"a float n_components must be in (0, 1) (a fraction of the "
                             f"variance); got {k}")
        return k

    def _choose_solver(self, X, k):
        solver = check_option(self.svd_solver, "svd_solver",
                              ("auto", "full", "covariance_eigh", "randomized"))
        n, p = X.shape
        if solver == "auto":
            if p <= 1000 and n >= 10 * p:
                solver = "covariance_eigh"
            elif max(n, p) <= 500:
                solver = "full"
            elif isinstance(k, int) and k < 0.8 * min(n, p):
                solver = "randomized"
            else:
                solver = "full"
        if solver == "randomized" and not isinstance(k, int):
            raise ValueError("svd_solver='randomized' needs an integer n_components")
        return solver

    def _fit(self, X):
        if is_sparse(X):
            raise TypeError("PCA does not accept sparse input (centering would make it "
                            "dense); use TruncatedSVD")
        X = self._check_X(X, reset=True)
        n, p = X.shape
        if n < 2:
            raise ValueError(f"PCA needs at least 2 samples; got X of shape {X.shape}")
        k = self._check_n_components(n, p)
        solver = self._choose_solver(X, k)
        self._fit_svd_solver = solver
        self.mean_ = X.mean(axis=0)
        if solver == "randomized":
            self._fit_randomized(X, k)
        else:
            self._fit_full(X, k, solver)
        self.n_samples_ = n
        return X

    def _fit_full(self, X, k, solver):
        n, p = X.shape
        dtype = X.dtype
        if solver == "full":
            S, Vt = _thin_svd_values(X - self.mean_)
            explained = S ** 2 / (n - 1)
        else:
            from lamina.linalg import eigh

            C = gram(X)
            C -= n * outer(self.mean_, self.mean_)
            C /= n - 1
            evals, evecs = eigh(C, check_finite=False)
            evals = evals[::-1].copy()
            evecs = evecs[:, ::-1]
            evals[evals < 0.0] = 0.0
            explained = evals
            S = np.sqrt(evals * (n - 1))
            Vt = evecs.T
        _, Vt = svd_flip(None, Vt)
        total = explained.sum()
        ratio = explained / total if total > 0 else np.zeros_like(explained)
        if isinstance(k, float):
            k = int(np.searchsorted(np.cumsum(ratio, dtype=np.float64), k, side="right")) + 1
            k = min(k, explained.shape[0])
        if k < min(n, p):
            self.noise_variance_ = float(explained[k:].mean())
        else:
            self.noise_variance_ = 0.0
        self.n_components_ = k
        self.components_ = np.ascontiguousarray(Vt[:k], dtype=dtype)
        self.explained_variance_ = explained[:k].astype(dtype)
        self.explained_variance_ratio_ = ratio[:k].astype(dtype)
        self.singular_values_ = S[:k].astype(dtype)

    def _fit_randomized(self, X, k):
        from lamina.linalg import randomized_svd

        n, p = X.shape
        Xc = X - self.mean_
        _, S, Vt = randomized_svd(
            Xc, k, n_oversamples=self.n_oversamples, n_iter=self.iterated_power,
            power_iteration_normalizer=self.power_iteration_normalizer,
            random_state=check_random_state(self.random_state), flip_sign=False)
        _, Vt = svd_flip(None, Vt)
        explained = S ** 2 / (n - 1)
        total = float(np.einsum("ij,ij->", Xc, Xc, dtype=np.float64)) / (n - 1)
        self.n_components_ = k
        self.components_ = np.ascontiguousarray(Vt, dtype=X.dtype)
        self.explained_variance_ = explained.astype(X.dtype)
        self.explained_variance_ratio_ = (explained / total).astype(X.dtype)
        self.singular_values_ = S.astype(X.dtype)
        if k < min(n, p):
            self.noise_variance_ = (total - float(explained.sum())) / (min(n, p) - k)
        else:
            self.noise_variance_ = 0.0

    def fit(self, X, y=None):
        """Fit the model on X (n_samples, n_features); returns self."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit the model and return the projections of X."""
        X = self._fit(X)
        return self._project(X)

    def _project(self, X):
        V = self.components_.astype(X.dtype, copy=False)
        out = matmul(X, V, trans_b=True)
        out -= matmul(self.mean_.astype(X.dtype, copy=False)[None, :], V, trans_b=True)
        if self.whiten:
            scale = np.sqrt(self.explained_variance_).astype(X.dtype)
            scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
            out /= scale
        return out

    def inverse_transform(self, X):
        """Map projections back to the data space."""
        X = self._check_projections(X)
        V = self.components_.astype(X.dtype, copy=False)
        if self.whiten:
            V = np.sqrt(self.explained_variance_.astype(X.dtype))[:, None] * V
        return matmul(X, V) + self.mean_.astype(X.dtype, copy=False)

    # -- probabilistic PCA ----------------------------------------------------------------
    def _weighted_components(self):
        V = self.components_.astype(np.float64)
        ev = self.explained_variance_.astype(np.float64)
        if self.whiten:
            V = V * np.sqrt(ev)[:, None]
        diff = np.where(ev > self.noise_variance_, ev - self.noise_variance_, 0.0)
        return V, ev, diff

    def get_covariance(self):
        """The model covariance ``V^T diag(ev - sigma^2) V + sigma^2 I``."""
        check_is_fitted(self, "components_")
        V, _, diff = self._weighted_components()
        cov = matmul(V.T * diff, V)
        cov.flat[::cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """The inverse of :meth:`get_covariance`, by the matrix inversion lemma (the
        k x k inner system solved with lamina's Cholesky)."""
        from lamina.linalg import cho_factor, cho_solve

        check_is_fitted(self, "components_")
        p = self.components_.shape[1]
        sigma2 = float(self.noise_variance_)
        if self.n_components_ == 0:
            return np.eye(p) / sigma2
        if sigma2 == 0.0:
            cov = self.get_covariance()
            try:
                return cho_solve(cho_factor(cov, lower=True), np.eye(p))
            except LinAlgError:
                raise LinAlgError("PCA: the model covariance is singular (noise_variance_ "
                                  "is 0 and fewer components than features carry "
                                  "variance); the precision does not exist") from None
        V, _, diff = self._weighted_components()
        inner = matmul(V, V, trans_b=True) / sigma2
        with np.errstate(divide="ignore"):
            inner.flat[::inner.shape[0] + 1] += 1.0 / diff
        # inner is symmetric positive definite: (V V^T / s2 + diag(1/diff))
        sol = cho_solve(cho_factor(inner, lower=True), V)
        precision = matmul(V, sol, trans_a=True)
        precision /= -(sigma2 ** 2)
        precision.flat[::p + 1] += 1.0 / sigma2
        return precision

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model."""
        from lamina.linalg import cholesky

        check_is_fitted(self, "components_")
        X = self._check_X(X, reset=False)
        Xr = X.astype(np.float64) - self.mean_
        p = X.shape[1]
        precision = self.get_precision()
        try:
            L = cholesky(precision, lower=True, check_finite=False)
            logdet = 2.0 * float(np.sum(np.log(np.diag(L))))
        except LinAlgError:
            logdet = -np.inf
        quad = np.einsum("ij,ij->i", Xr, matmul(Xr, precision))
        return -0.5 * quad - 0.5 * (p * np.log(2.0 * np.pi) - logdet)

    def score(self, X, y=None):
        """Average log-likelihood of the samples under the model."""
        return float(np.mean(self.score_samples(X)))


class TruncatedSVD(_Projection):
    """Dimensionality reduction by truncated SVD (no centering; sparse input welcome).

    Parameters
    ----------
    n_components : int
        Components to keep (< n_features).
    algorithm : {"randomized"}
    n_iter : int
        Power iterations of the randomized SVD.
    n_oversamples : int
    power_iteration_normalizer : {"auto", "QR", "LU", "none"}
    random_state : None, int or numpy.random.RandomState

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import TruncatedSVD
    >>> X = np.random.default_rng(0).random((50, 8))
    >>> svd = TruncatedSVD(n_components=3, random_state=0)
    >>> svd.fit_transform(X).shape
    (50, 3)
    """

    estimator_name = "truncated_svd"
    _accept_sparse = True

    def __init__(self, n_components=2, *, algorithm="randomized", n_iter=5, n_oversamples=10,
                 power_iteration_normalizer="auto", random_state=None):
        self.n_components = n_components
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit on X (dense or sparse); returns self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit on X and return its projections ``X @ components_.T``."""
        from lamina.linalg import randomized_svd

        check_option(self.algorithm, "algorithm", ("randomized",))
        X = self._check_X(X, reset=True)
        n, p = X.shape
        k = check_int(self.n_components, "n_components", low=1, high=p)
        n_iter = check_int(self.n_iter, "n_iter", low=0)
        # X is dense or already lamina's CSR (converted once, by _check_X)
        _, S, Vt = randomized_svd(
            X, k, n_oversamples=self.n_oversamples, n_iter=n_iter,
            power_iteration_normalizer=self.power_iteration_normalizer,
            random_state=check_random_state(self.random_state), flip_sign=False)
        _, Vt = svd_flip(None, Vt)
        self.components_ = np.ascontiguousarray(Vt, dtype=X.dtype)
        Xt = self._project(X)
        self.explained_variance_ = np.var(Xt, axis=0)
        if is_sparse(X):
            full = _sparse_column_variance_sum(X)
        else:
            full = _column_variance_sum(X, X.mean(axis=0), 0)
        self.explained_variance_ratio_ = (self.explained_variance_ / full).astype(X.dtype)
        self.singular_values_ = S.astype(X.dtype)
        return Xt

    def _project(self, X):
        V = self.components_.astype(X.dtype, copy=False)
        if is_sparse(X):
            return csr_matmat(X, np.ascontiguousarray(V.T))
        return matmul(X, V, trans_b=True)

    def inverse_transform(self, X):
        """Map projections back to the data space (``X @ components_``)."""
        X = self._check_projections(X)
        return matmul(X, self.components_.astype(X.dtype, copy=False))


def low_rank_approximation(a, rank, *, method="auto", random_state=None):
    """Best rank-``rank`` approximation of a matrix and its relative error.

    The truncated SVD ``U_r diag(s_r) V_r^T`` (Eckart-Young: optimal in the Frobenius
    and spectral norms); image compression is the classic use.

    Parameters
    ----------
    a : array_like, shape (m, n)
    rank : int
        1 <= rank <= min(m, n).
    method : {"auto", "full", "randomized"}
        The exact thin SVD, or the randomized one (fast for rank << min(m, n)); "auto"
        picks randomized when rank < min(m, n) / 10 and the matrix is large.
    random_state : None, int or numpy.random.RandomState
        For ``method="randomized"``.

    Returns
    -------
    approx : ndarray, shape (m, n)
    rel_error : float
        ``||a - approx||_F / ||a||_F``.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import low_rank_approximation
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    >>> approx, err = low_rank_approximation(a, 3)
    >>> bool(err < 1e-12)
    True
    """
    from lamina.linalg import randomized_svd, svd

    a = as_float_array(a, "a", ndim=2)
    assert_finite(a, "a")
    m, n = a.shape
    rank = check_int(rank, "rank", low=1, high=max(min(m, n), 1))
    check_option(method, "method", ("auto", "full", "randomized"))
    if method == "auto":
        method = "randomized" if (rank < min(m, n) / 10 and m * n >= 250_000) else "full"
    if method == "full":
        U, S, Vt = svd(a, full_matrices=False, check_finite=False)
        U, S, Vt = U[:, :rank], S[:rank], Vt[:rank]
    else:
        U, S, Vt = randomized_svd(a, rank, random_state=check_random_state(random_state))
    approx = matmul(np.ascontiguousarray(U * S.astype(a.dtype)), Vt)
    num = float(np.einsum("ij,ij->", a - approx, a - approx, dtype=np.float64))
    den = float(np.einsum("ij,ij->", a, a, dtype=np.float64))
    return approx, (float(np.sqrt(num / den)) if den > 0 else 0.0)

