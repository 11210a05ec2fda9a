"""Tucker decomposition: truncated HOSVD and HOOI.

Model: ``X ~ G x_0 U_0 x_1 U_1 ... x_{N-1} U_{N-1}`` with a core ``G`` of shape
(r_0, ..., r_{N-1}) and factor matrices ``U_k`` (I_k, r_k) with orthonormal columns.

* HOSVD (De Lathauwer, De Moor, Vandewalle, SIAM J. Matrix Anal. Appl. 21(4), 2000):
  ``U_k`` = the r_k leading left singular vectors of the mode-k unfolding (lamina's SVD);
  ``G = X x_k U_k^T`` for every k (GEMMs).  Quasi-optimal: its error is at most
  sqrt(N) times the best rank-(r_0, ..., r_{N-1}) error.
* HOOI (same authors, "On the best rank-1 and rank-(R1,...,RN) approximation", 2000):
  starting from HOSVD, each sweep replaces ``U_n`` by the leading left singular vectors
  of ``Y = X x_{k != n} U_k^T`` (mode-n unfolding of size I_n x prod r_k, small), which
  never increases the error.  Stops when the relative error changes by less than ``tol``
  between sweeps.  With orthonormal factors ``||X - X^||^2 = ||X||^2 - ||G||^2``, so the
  error is known without reconstructing X.

Cost per HOOI sweep: the projections are GEMMs of O(prod I_k * r) flops (the first
product of each chain dominates); the SVDs are of I_n x prod_{k != n} r_k matrices.
"""

import math

import numpy as np

from lamina_tensor._base import TensorEstimator, check_int, check_option, check_tol
from lamina_tensor._tensor import (
    frobenius,
    leading_left_singular_vectors,
    multi_mode_dot,
    unfold,
)

__all__ = ["Tucker"]


class Tucker(TensorEstimator):
    """Tucker decomposition of an N-way array (HOSVD or HOOI) as an estimator.

    Axis 0 holds the samples: ``transform`` projects new samples onto the factors of the
    other modes, ``inverse_transform`` maps such projections back.  The fitted model
    decomposes the whole training tensor, the sample mode included.

    Parameters
    ----------
    rank : int, sequence of int or None, default None
        Multilinear rank (r_0, ..., r_{N-1}).  An int applies to every mode and is clipped
        to each mode's size (and to the product of the other ranks, above which a rank
        cannot be attained); None keeps every mode's full size.
    method : {"hooi", "hosvd"}, default "hooi"
    max_iter : int, default 100
        Maximum number of HOOI sweeps.
    tol : float, default 1e-8
        HOOI stops when the relative error changes by less than ``tol`` in a sweep.

    Attributes
    ----------
    core_ : ndarray, shape rank_
    factors_ : list of ndarray
        ``factors_[k]`` has shape (I_k, r_k) and orthonormal columns.
    rank_ : tuple of int
        The multilinear rank used.
    reconstruction_error_ : float
        ``||X - reconstruct()|| / ||X||`` on the training tensor.
    n_iter_ : int
        HOOI sweeps run (0 for HOSVD).
    n_features_in_ : int
        ``X.shape[1]``.
    feature_shape_ : tuple of int
        ``X.shape[1:]``.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_tensor import Tucker
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((2, 3, 2))
    >>> U = [np.linalg.qr(rng.standard_normal((n, r)))[0] for n, r in [(10, 2), (8, 3), (6, 2)]]
    >>> X = np.einsum("abc,ia,jb,kc->ijk", G, *U)
    >>> model = Tucker(rank=(2, 3, 2)).fit(X)
    >>> model.reconstruction_error_ < 1e-12
    True
    >>> model.transform(X).shape
    (10, 3, 2)
    """

    def __init__(self, rank=None, *, method="hooi", max_iter=100, tol=1e-8):
        self.rank = rank
        self.method = method
        self.max_iter = max_iter
        self.tol = tol

    def _ranks(self, shape):
        n = len(shape)
        if self.rank is None:
            ranks = list(shape)
        elif isinstance(self.rank, int | np.integer) and not isinstance(self.rank, bool):
            r = check_int(self.rank, "rank", low=1)
            ranks = [min(r, s) for s in shape]
        else:
            try:
                ranks = [check_int(r, "rank[k]", low=1) for r in self.rank]
            except TypeError:
                raise TypeError(f"rank must be None, an int or a sequence of ints, got "
                                f"{self.rank!r}") from None
            if len(ranks) != n:
                raise ValueError(f"rank has {len(ranks)} entries but X has {n} axes "
                                 f"(shape {tuple(shape)})")
            too_big = [k for k in range(n) if ranks[k] > shape[k]]
            if too_big:
                k = too_big[0]
                raise ValueError(f"rank[{k}] = {ranks[k]} exceeds the size {shape[k]} of mode "
                                 f"{k} (X has shape {tuple(shape)})")
        # r_k <= prod_{j != k} r_j, else the mode-k unfolding of the core has fewer columns
        changed = True
        while changed:
            changed = False
            for k in range(n):
                others = math.prod(ranks[:k] + ranks[k + 1:])
                if ranks[k] > others:
                    ranks[k] = others
                    changed = True
        return tuple(ranks)

    def fit(self, X, y=None):
        """Decompose the tensor ``X`` (axis 0 = samples); returns self."""
        X = self._check_tensor(X, reset=True)
        method = check_option(self.method, "method", ("hooi", "hosvd"))
        max_iter = check_int(self.max_iter, "max_iter", low=0)
        tol = check_tol(self.tol)
        ranks = self._ranks(X.shape)
        norm_x = frobenius(X)
        factors = [leading_left_singular_vectors(unfold(X, k), ranks[k])
                   for k in range(X.ndim)]
        n_iter = 0
        error = None
        if method == "hooi" and X.ndim > 1:
            error = _error_from_core(norm_x, multi_mode_dot(X, factors, transpose=True))
            for n_iter in range(1, max_iter + 1):      # noqa: B007 - n_iter_ after the loop
                for k in range(X.ndim):
                    y_k = multi_mode_dot(X, factors, skip=k, transpose=True)
                    factors[k] = leading_left_singular_vectors(unfold(y_k, k), ranks[k])
                core = multi_mode_dot(y_k, [None] * (X.ndim - 1) + [factors[-1]],
                                      transpose=True)
                new_error = _error_from_core(norm_x, core)
                done = abs(error - new_error) <= tol
                error = new_error
                if done:
                    break
        self.factors_ = factors
        self.core_ = multi_mode_dot(X, factors, transpose=True)
        self.rank_ = ranks
        self.n_iter_ = n_iter
        residual = X - self.reconstruct()
        self.reconstruction_error_ = frobenius(residual) / norm_x if norm_x else 0.0
        return self

    def reconstruct(self):
        """The fitted approximation of the training tensor, ``core_ x_k factors_[k]``."""
        self._check_fitted()
        return multi_mode_dot(self.core_, self.factors_)

    def transform(self, X):
        """Project samples onto the factors of modes 1.. : shape (n, r_1, ..., r_{N-1})."""
        X = self._check_tensor(X, reset=False)
        factors = [None] + [u.astype(X.dtype, copy=False) for u in self.factors_[1:]]
        return multi_mode_dot(X, factors, transpose=True)

    def inverse_transform(self, X):
        """Map projections (n, r_1, ..., r_{N-1}) back to tensors (n, I_1, ..., I_{N-1})."""
        self._check_fitted()
        T = np.asarray(X)
        if T.dtype.kind not in "f":
            T = T.astype(np.float64)
        expected = self.rank_[1:]
        if T.ndim != len(self.rank_) or tuple(T.shape[1:]) != expected:
            raise ValueError(f"X must have shape (n_samples, {', '.join(map(str, expected))}) "
                             f"(the output of transform), got {T.shape}")
        return multi_mode_dot(np.ascontiguousarray(T), [None] + self.factors_[1:])


def _error_from_core(norm_x, core):
    """Relative error of an orthonormal Tucker model from its core's norm."""
    if norm_x == 0:
        return 0.0
    return math.sqrt(max(norm_x ** 2 - frobenius(core) ** 2, 0.0)) / norm_x
