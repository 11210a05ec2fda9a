"""CP (CANDECOMP/PARAFAC) decomposition by alternating least squares.

Model: ``X ~ sum_r w_r a_r^(0) o a_r^(1) o ... o a_r^(N-1)`` with unit-norm factor
columns and weights ``w`` (Carroll & Chang 1970, Harshman 1970; the ALS form of Kolda &
Bader, SIAM Review 51(3), 2009, Sec. 3.4).

One ALS sweep updates each factor in turn, holding the others fixed::

    V   = *_{k != n} (A_k^T A_k)               R x R Hadamard product of Gram matrices
    M   = X_(n) @ khatri_rao(A_k, k != n)      MTTKRP: one GEMM, I_n x R
    A_n = M V^-1                               Cholesky solve of the R x R normal equations
    w   = column norms of A_n; A_n /= w        normalization

and evaluates the fit ``1 - ||X - X^|| / ||X||`` from quantities already at hand
(``||X^||^2 = w^T (A_n^T A_n * V) w``, ``<X, X^> = sum(M * A_n w)``), so checking
convergence costs no reconstruction (in float64; float32 forms the residual with one
GEMM, since the difference of squares would resolve the fit only to ~1e-3 there).  It
stops when the fit improves by less than ``tol``.  Cost per sweep: N GEMMs of
I_n x prod_{k != n} I_k x R flops (the MTTKRPs) plus O(R^2 sum I_k) for the Gram
matrices and solves.  Initialization: the leading left singular vectors of each
unfolding (lamina's SVD; random columns complete it when R > I_k), or Gaussian random
factors.

``V`` is singular when factors are collinear (over-estimated rank, degenerate data); the
solve then adds a ridge of ``eps * trace(V)`` and retries, so the sweep continues.
"""

import math
import warnings

import numpy as np

import lamina
from lamina_tensor._base import TensorEstimator, check_int, check_option, check_tol
from lamina_tensor._tensor import (
    frobenius,
    gram,
    khatri_rao,
    leading_left_singular_vectors,
    unfold,
)

__all__ = ["CP"]


def _mttkrp_t(unfolding, kr):
    """The MTTKRP transposed, ``(unfolding @ kr).T`` (R x I_n), as one lamina GEMM.

    With the long contraction (prod of the other sizes) and R small, computing the
    R x I_n product reads both operands in their stored order and runs faster than the
    I_n x R one.
    """
    return lamina.gemm(kr, unfolding, trans_a=True, trans_b=True)


def _solve_normal(v, mt):
    """A (I x R) with A @ v = M for symmetric positive (semi)definite v (R x R), given
    mt = M^T (R x I)."""
    try:
        factor = lamina.linalg.cho_factor(v, lower=True, check_finite=False)
    except lamina.LinAlgError:
        eps = float(np.finfo(v.dtype).eps)
        ridge = eps * max(float(np.trace(v)), float(np.finfo(v.dtype).tiny)) * v.shape[0]
        factor = lamina.linalg.cho_factor(v + ridge * np.eye(v.shape[0], dtype=v.dtype),
                                          lower=True, check_finite=False)
    return np.ascontiguousarray(lamina.linalg.cho_solve(factor, mt, check_finite=False).T)


def _column_norms(a):
    norms = np.asarray(lamina.vector_norm(a, axis=0), dtype=a.dtype)
    return norms


class CP(TensorEstimator):
    """CP decomposition of an N-way array by alternating least squares.

    Axis 0 holds the samples: ``transform`` solves for the sample-mode coefficients of
    new samples given the fitted factors of the other modes (a least-squares fit with the
    weights absorbed), ``inverse_transform`` rebuilds samples from coefficients.

    Parameters
    ----------
    rank : int, default 1
        Number of rank-one components R.
    init : {"svd", "random"}, default "svd"
    max_iter : int, default 200
        Maximum number of ALS sweeps.
    tol : float, default 1e-8
        Stop when the fit ``1 - ||X - X^|| / ||X||`` improves by less than ``tol``.
    random_state : int, Generator or None
        Seed for ``init="random"`` (and the columns that complete an SVD start when
        R exceeds a mode's size).

    Attributes
    ----------
    weights_ : ndarray, shape (R,)
        Component weights (the factors' columns have unit norm), largest first.
    factors_ : list of ndarray
        ``factors_[k]`` has shape (I_k, R).
    fit_ : float
        ``1 - ||X - reconstruct()|| / ||X||`` on the training tensor.
    reconstruction_error_ : float
        ``||X - reconstruct()|| / ||X||``.
    n_iter_ : int
        ALS sweeps run.
    converged_ : bool
        Whether the ``tol`` criterion was met within ``max_iter``.
    n_features_in_, feature_shape_
        ``X.shape[1]`` and ``X.shape[1:]``.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_tensor import CP
    >>> rng = np.random.default_rng(0)
    >>> A, B, C = (rng.standard_normal((n, 3)) for n in (12, 10, 8))
    >>> X = np.einsum("ir,jr,kr->ijk", A, B, C)
    >>> model = CP(rank=3, random_state=0).fit(X)
    >>> model.reconstruction_error_ < 1e-6
    True
    >>> model.transform(X).shape
    (12, 3)
    """

    def __init__(self, rank=1, *, init="svd", max_iter=200, tol=1e-8, random_state=None):
        self.rank = rank
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _initial_factors(self, X, rank, init, rng):
        factors = []
        for k in range(X.ndim):
            size = X.shape[k]
            if init == "random":
                a = rng.standard_normal((size, rank))
            else:
                a = leading_left_singular_vectors(unfold(X, k), min(rank, size))
                if rank > size:
                    a = np.hstack([a, rng.standard_normal((size, rank - size))])
            factors.append(np.ascontiguousarray(a, dtype=X.dtype))
        return factors

    def fit(self, X, y=None):
        """Decompose the tensor ``X`` (axis 0 = samples); returns self."""
        X = self._check_tensor(X, reset=True)
        rank = check_int(self.rank, "rank", low=1)
        init = check_option(self.init, "init", ("svd", "random"))
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        tol = check_tol(self.tol)
        rng = self.random_state if isinstance(self.random_state, np.random.Generator) \
            else np.random.default_rng(self.random_state)
        n_modes = X.ndim
        unfoldings = [unfold(X, k) for k in range(n_modes)]     # one copy per mode, reused
        factors = self._initial_factors(X, rank, init, rng)
        grams = [gram(a) for a in factors]
        norm_x = frobenius(X)
        weights = np.ones(rank, X.dtype)
        fit, converged, n_iter = -math.inf, False, 0
        for n_iter in range(1, max_iter + 1):       # noqa: B007 - n_iter_ after the loop
            for n in range(n_modes):
                others = [k for k in range(n_modes) if k != n]
                v = np.prod([grams[k] for k in others], axis=0)
                kr = khatri_rao([factors[k] for k in others])
                mt = _mttkrp_t(unfoldings[n], kr)
                a = _solve_normal(v, mt)
                weights = _column_norms(a)
                safe = np.where(weights > 0, weights, 1).astype(X.dtype)
                factors[n] = a / safe
                grams[n] = gram(factors[n])
            residual = self._residual(unfoldings[-1], factors[-1] * weights, kr, mt, v,
                                      grams[-1], weights, norm_x)
            new_fit = 1.0 - residual / norm_x if norm_x else 1.0
            if abs(new_fit - fit) <= tol:
                fit, converged = new_fit, True
                break
            fit = new_fit
        if not converged:
            warnings.warn(f"CP-ALS stopped after max_iter={max_iter} sweeps without "
                          f"reaching tol={tol} (fit {fit:.6g})", lamina.ConvergenceWarning,
                          stacklevel=2)
        order = np.argsort(-weights, kind="stable")
        self.weights_ = np.ascontiguousarray(weights[order])
        self.factors_ = [np.ascontiguousarray(a[:, order]) for a in factors]
        self.n_iter_ = n_iter
        self.converged_ = converged
        error = frobenius(X - self.reconstruct()) / norm_x if norm_x else 0.0
        self.reconstruction_error_ = error
        self.fit_ = 1.0 - error
        return self

    @staticmethod
    def _residual(x_last, a_last, kr, mt, v, gram_last, weights, norm_x):
        """||X - X^|| after a sweep.

        float64: from <X, X^> = sum(M * A_n w) and ||X^||^2 = w^T (A_n^T A_n * V) w, with
        no reconstruction (the difference of squares leaves ~1e-8 relative resolution).
        float32: the same formula would resolve only ~1e-3, so the residual
        ``X_(n) - (A_n w) KR^T`` is formed by one GEMM (about one MTTKRP more per sweep).
        """
        if x_last.dtype == np.float32:
            res = lamina.gemm(a_last, kr, x_last, alpha=-1.0, beta=1.0, trans_b=True)
            return frobenius(res)
        inner = float(np.sum(mt.T * a_last))
        model_sq = float(np.sum(gram_last * v * np.outer(weights, weights)))
        return math.sqrt(max(norm_x ** 2 + model_sq - 2 * inner, 0.0))

    def reconstruct(self):
        """The fitted approximation of the training tensor."""
        self._check_fitted()
        return self._expand(self.factors_[0] * self.weights_)

    def _expand(self, coef):
        """Tensor (n, I_1, ...) from sample-mode coefficients (n, R)."""
        kr = khatri_rao(self.factors_[1:])
        return lamina.gemm(coef, kr, trans_b=True).reshape((coef.shape[0],)
                                                           + self.feature_shape_)

    def transform(self, X):
        """Least-squares sample-mode coefficients (n, R) of samples given the other factors
        (the weights are absorbed into the coefficients)."""
        X = self._check_tensor(X, reset=False)
        others = self.factors_[1:]
        v = np.prod([gram(a) for a in others], axis=0)
        kr = khatri_rao(others).astype(X.dtype, copy=False)
        mt = _mttkrp_t(X.reshape(X.shape[0], -1), kr)
        return _solve_normal(v.astype(X.dtype, copy=False), mt)

    def inverse_transform(self, X):
        """Samples (n, I_1, ..., I_{N-1}) rebuilt from coefficients (n, R)."""
        self._check_fitted()
        coef = np.asarray(X)
        if coef.dtype.kind != "f":
            coef = coef.astype(np.float64)
        if coef.ndim != 2 or coef.shape[1] != self.weights_.shape[0]:
            raise ValueError(f"X must have shape (n_samples, {self.weights_.shape[0]}) (the "
                             f"output of transform), got {coef.shape}")
        return self._expand(np.ascontiguousarray(coef))
