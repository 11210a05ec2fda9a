"""Linear discriminant analysis: a Gaussian classifier with a shared covariance, and the
projection on the directions that best separate the class means.

Solvers (scikit-learn's models and attributes):

* ``"svd"``: no covariance matrix is formed.  The within-class centered data, scaled
  per feature, is decomposed (lamina's QR to reduce a tall matrix, then the SVD of R);
  its right singular vectors whiten the within-class scatter, and a second, small SVD
  of the whitened, prior-weighted class means gives the discriminant directions.
* ``"eigen"``: the generalized symmetric eigenproblem S_b v = lambda S_w v, reduced to a
  standard one by Cholesky whitening (S_w = L L^T, C = L^-1 S_b L^-T, C = Q Lambda Q^T,
  V = L^-T Q; lamina's Cholesky, triangular solves and eigh), so V^T S_w V = I.
  Supports ``shrinkage``: a float in [0, 1] (shrinks every class covariance toward its
  scaled identity) or ``"auto"`` (the Ledoit-Wolf constant, computed on standardized
  features, one Gram matrix by SYRK).
"""

import numbers
import warnings

import numpy as np

from lamina._validation import as_float_array
from lamina.decomposition._base import (
    BaseDecomposition,
    check_int,
    check_is_fitted,
    check_option,
    check_real,
)
from lamina.decomposition._ops import gram, matmul

__all__ = ["LinearDiscriminantAnalysis", "ledoit_wolf"]


def _empirical_covariance(X):
    Xc = X - X.mean(axis=0)
    return gram(Xc) / X.shape[0]


def ledoit_wolf(X):
    """Ledoit-Wolf shrunk covariance of X (n_samples, n_features) and its shrinkage.

    ``(1 - s) S + s mu I`` with S the empirical covariance, mu = trace(S) / n_features
    and the constant s of Ledoit and Wolf (2004) that minimizes the expected squared
    error; computed with one Gram matrix (SYRK).

    Returns
    -------
    covariance : ndarray, shape (n_features, n_features)
    shrinkage : float

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import ledoit_wolf
    >>> cov, s = ledoit_wolf(np.random.default_rng(0).standard_normal((50, 4)))
    >>> cov.shape, bool(0 <= s <= 1)
    ((4, 4), True)
    """
    X = as_float_array(X, "X", ndim=2)
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    emp = gram(Xc) / n
    if p == 1:
        return emp, 0.0
    X2 = Xc ** 2
    trace_terms = X2.sum(axis=0) / n
    mu = float(trace_terms.sum()) / p
    # sum of all entries of X2^T X2 = sum over samples of (row sum of X2)^2
    beta_ = float(np.sum(X2.sum(axis=1, dtype=np.float64) ** 2))
    delta_ = float(np.sum(emp.astype(np.float64) ** 2))      # ||X^T X||_F^2 / n^2
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * float(trace_terms.sum()) + p * mu ** 2) / p
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    shrunk = (1.0 - shrinkage) * emp
    shrunk.flat[::p + 1] += shrinkage * mu
    return shrunk, shrinkage


def _standard_scale(X):
    """(mean, scale) of scikit-learn's StandardScaler (constant features scale 1)."""
    n = X.shape[0]
    mean = X.mean(axis=0, dtype=np.float64)
    var = X.var(axis=0, dtype=np.float64)
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.sqrt(var)
    scale[constant | (scale < 10 * np.finfo(X.dtype).eps)] = 1.0
    return mean.astype(X.dtype), scale.astype(X.dtype)


def _cov(X, shrinkage):
    if shrinkage is None:
        return _empirical_covariance(X)
    if isinstance(shrinkage, str):
        _, scale = _standard_scale(X)
        s, _ = ledoit_wolf(X / scale)
        return scale[:, None] * s * scale[None, :]
    emp = _empirical_covariance(X)
    p = emp.shape[0]
    mu = np.trace(emp) / p
    out = (1.0 - shrinkage) * emp
    out.flat[::p + 1] += shrinkage * mu
    return out


def _generalized_eigh(A, B):
    """Eigenvalues (ascending) and B-orthonormal eigenvectors of A v = lambda B v."""
    from lamina.linalg import cholesky, eigh, solve_triangular

    L = cholesky(B, lower=True, check_finite=False)
    M = solve_triangular(L, A, lower=True, check_finite=False)        # L^-1 A
    C = solve_triangular(L, np.ascontiguousarray(M.T), lower=True,
                         check_finite=False)                           # L^-1 A L^-T
    C = (C + C.T) / 2
    evals, Q = eigh(C, check_finite=False)
    V = solve_triangular(L, Q, lower=True, trans=1, check_finite=False)   # L^-T Q
    return evals, V


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class LinearDiscriminantAnalysis(BaseDecomposition):
    """Linear discriminant analysis (scikit-learn's model and attributes).

    Parameters
    ----------
    solver : {"svd", "eigen"}
        See the module notes.
    shrinkage : None, "auto" or float in [0, 1]
        Covariance shrinkage (``solver="eigen"`` only).
    priors : array_like, shape (n_classes,), optional
        Class priors (default: the class frequencies).
    n_components : int, optional
        Dimensions kept by ``transform`` (at most min(n_classes - 1, n_features)).
    store_covariance : bool
        Also store ``covariance_`` with the svd solver.
    tol : float
        Relative threshold on singular values of the svd solver (rank detection).

    Attributes
    ----------
    coef_, intercept_ : ndarray
        The linear decision function.
    means_, priors_, scalings_, xbar_, explained_variance_ratio_ : ndarray
    covariance_ : ndarray (eigen solver, or ``store_covariance``)
    classes_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import LinearDiscriminantAnalysis
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((20, 3)), rng.standard_normal((20, 3)) + 3])
    >>> y = np.repeat([0, 1], 20)
    >>> lda = LinearDiscriminantAnalysis().fit(X, y)
    >>> lda.score(X, y), lda.transform(X).shape
    (1.0, (40, 1))
    """

    estimator_name = "lda"
    _estimator_type = "classifier"

    def __init__(self, solver="svd", shrinkage=None, priors=None, n_components=None,
                 store_covariance=False, tol=1e-4):
        self.solver = solver
        self.shrinkage = shrinkage
        self.priors = priors
        self.n_components = n_components
        self.store_covariance = store_covariance
        self.tol = tol

    def _check_shrinkage(self):
        s = self.shrinkage
        if s is None:
            return None
        if isinstance(s, str):
            check_option(s, "shrinkage", ("auto",))
            return s
        if isinstance(s, bool) or not isinstance(s, numbers.Real):
            raise TypeError(f"shrinkage must be None, 'auto' or a float in [0, 1]; got {s!r}")
        return check_real(s, "shrinkage", low=0.0, high=1.0)

    def fit(self, X, y):
        """Fit the model to X (n_samples, n_features) and labels y; returns self."""
        X = self._check_X(X, reset=True)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with one label per sample; got shape {y.shape} "
                             f"for X of shape {X.shape}")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y must not contain NaN or Inf")
        solver = check_option(self.solver, "solver", ("svd", "eigen"))
        shrinkage = self._check_shrinkage()
        tol = check_real(self.tol, "tol", low=0.0)
        self.classes_, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
        n, p = X.shape
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(f"LinearDiscriminantAnalysis needs at least 2 classes; got "
                             f"{n_classes}")
        if n == n_classes:
            raise ValueError("The number of samples must be more than the number of classes.")
        dtype = X.dtype
        if self.priors is None:
            priors = counts.astype(dtype) / float(n)
        else:
            priors = as_float_array(self.priors, "priors", ndim=1, dtype=dtype, copy=True)
            if priors.shape[0] != n_classes:
                raise ValueError(f"priors has {priors.shape[0]} entries for {n_classes} "
                                 f"classes")
            if np.any(priors < 0):
                raise ValueError("priors must be non-negative")
            if abs(float(priors.sum()) - 1.0) > 1e-5:
                warnings.warn("The priors do not sum to 1. Renormalizing", UserWarning,
                              stacklevel=2)
                priors = priors / priors.sum()
        self.priors_ = priors
        max_components = min(n_classes - 1, p)
        if self.n_components is None:
            self._max_components = max_components
        else:
            k = check_int(self.n_components, "n_components", low=1)
            if k > max_components:
                raise ValueError(f"n_components={k} cannot be larger than min(n_features, "
                                 f"n_classes - 1) = {max_components}")
            self._max_components = k
        means = np.zeros((n_classes, p), dtype=np.float64)
        np.add.at(means, y_idx, X)
        self.means_ = (means / counts[:, None]).astype(dtype)
        if solver == "svd":
            if shrinkage is not None:
                raise NotImplementedError("shrinkage is not supported with the 'svd' solver; "
                                          "use solver='eigen'")
            self._solve_svd(X, y_idx, tol)
        else:
            self._solve_eigen(X, y_idx, shrinkage)
        if n_classes == 2:
            self.coef_ = (self.coef_[1, :] - self.coef_[0, :]).reshape(1, -1).astype(dtype)
            self.intercept_ = np.asarray([self.intercept_[1] - self.intercept_[0]],
                                         dtype=dtype)
        return self

    def _class_cov(self, X, y_idx, shrinkage):
        p = X.shape[1]
        cov = np.zeros((p, p), dtype=X.dtype)
        for idx in range(self.classes_.shape[0]):
            cov += self.priors_[idx] * _cov(X[y_idx == idx], shrinkage)
        return cov

    def _solve_eigen(self, X, y_idx, shrinkage):
        dtype = X.dtype
        Sw = self._class_cov(X, y_idx, shrinkage)
        St = _cov(X, shrinkage)
        Sb = St - Sw
        self.covariance_ = Sw
        evals, evecs = _generalized_eigh(Sb, Sw)
        order = np.argsort(evals)[::-1]
        self.explained_variance_ratio_ = (np.sort(evals / np.sum(evals))[::-1]
                                          [:self._max_components]).astype(dtype)
        evecs = np.ascontiguousarray(evecs[:, order], dtype=dtype)
        self.scalings_ = evecs
        proj = matmul(self.means_, evecs)
        self.coef_ = matmul(proj, evecs, trans_b=True)
        self.intercept_ = (-0.5 * np.einsum("ij,ij->i", self.means_, self.coef_)
                           + np.log(self.priors_)).astype(dtype)

    def _solve_svd(self, X, y_idx, tol):
        from lamina.decomposition._pca import _thin_svd_values
        from lamina.linalg import svd

        dtype = X.dtype
        n, p = X.shape
        n_classes = self.classes_.shape[0]
        if self.store_covariance:
            self.covariance_ = self._class_cov(X, y_idx, None)
        Xc = X - self.means_[y_idx]
        self.xbar_ = (self.priors_ @ self.means_).astype(dtype)
        std = Xc.std(axis=0)
        std[std == 0] = 1.0
        fac = 1.0 / n
        Xs = Xc
        Xs /= std
        Xs *= np.sqrt(fac)
        S, Vt = _thin_svd_values(Xs)
        rank = int(np.sum(S > tol))
        scalings = (Vt[:rank, :] / std).T / S[:rank]
        fac = 1.0 / (n_classes - 1)
        B = ((np.sqrt((n * self.priors_) * fac)) * (self.means_ - self.xbar_).T).T
        B = matmul(np.ascontiguousarray(B, dtype=dtype), np.ascontiguousarray(scalings))
        _, S2, Vt2 = svd(B, full_matrices=False, check_finite=False)
        if self._max_components == 0:
            self.explained_variance_ratio_ = np.empty((0,), dtype=dtype)
        else:
            self.explained_variance_ratio_ = (S2 ** 2 / np.sum(S2 ** 2))[
                :self._max_components].astype(dtype)
        rank2 = int(np.sum(S2 > tol * S2[0]))
        self.scalings_ = np.ascontiguousarray(matmul(scalings, Vt2.T[:, :rank2]), dtype=dtype)
        coef = matmul(self.means_ - self.xbar_, self.scalings_)
        intercept = -0.5 * np.sum(coef ** 2, axis=1) + np.log(self.priors_)
        self.coef_ = matmul(coef, self.scalings_, trans_b=True).astype(dtype)
        self.intercept_ = (intercept - self.xbar_ @ self.coef_.T).astype(dtype)

    # -- prediction -----------------------------------------------------------------------
    def decision_function(self, X):
        """Class scores ``X @ coef_.T + intercept_`` (1-D for two classes)."""
        check_is_fitted(self, "coef_")
        X = self._check_X(X, reset=False)
        scores = matmul(X, self.coef_.astype(X.dtype, copy=False), trans_b=True)
        scores += self.intercept_.astype(X.dtype, copy=False)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The most probable class of every sample."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(np.intp)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Posterior class probabilities, shape (n_samples, n_classes)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            prob = np.exp(-np.logaddexp(0, -scores))          # expit without overflow
            return np.column_stack([1.0 - prob, prob])
        return _softmax(scores)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (a log-softmax: no underflow to -inf)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([-np.logaddexp(0, scores), -np.logaddexp(0, -scores)])
        z = scores - scores.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def score(self, X, y):
        """Mean accuracy of :meth:`predict` on X against y."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def transform(self, X):
        """Project X on the discriminant directions (n_samples, n_components)."""
        check_is_fitted(self, "scalings_")
        X = self._check_X(X, reset=False)
        S = self.scalings_.astype(X.dtype, copy=False)
        if self.solver == "svd":
            out = matmul(X - self.xbar_.astype(X.dtype, copy=False), S)
        else:
            out = matmul(X, S)
        return out[:, :self._max_components]

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to (X, y) and project X."""
        if y is None:
            raise ValueError("LinearDiscriminantAnalysis.fit_transform needs y (the labels)")
        return self.fit(X, y).transform(X)

    @property
    def _n_features_out(self):
        return self._max_components
