"""Alternating least squares matrix factorization for collaborative filtering.

R (users x items, sparse) ~ X Y^T.  Each half-step fixes one factor and solves one small
regularized least-squares problem per row of the other (``_decomp.als_solve``: k x k
normal equations factored by lamina's Cholesky kernel, rows in parallel).

* Explicit feedback: min sum over observed (u, i) of (r_ui - x_u.y_i)^2
  + regularization (||X||^2 + ||Y||^2).
* Implicit feedback (Hu, Koren and Volinsky 2008): every (u, i) counts, with preference
  p_ui = [r_ui > 0] and confidence c_ui = 1 + alpha r_ui; the shared Gram matrix Y^T Y is
  computed once per half-step by SYRK, and each row adds only its observed items:
  Y^T C_u Y = Y^T Y + Y_u^T (C_u - I) Y_u.
"""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._kernels import _decomp
from lamina.blas import matvec
from lamina.decomposition._base import (
    BaseDecomposition,
    check_int,
    check_is_fitted,
    check_random_state,
    check_real,
)
from lamina.decomposition._ops import gram, transpose_csr
from lamina.decomposition._progress import progress_bar
from lamina.sparse import CSR
from lamina.sparse._csr import dense_to_csr

__all__ = ["ALS"]


def _index(value, name, n):
    """``value`` as integer indices into n rows, or a ValueError naming ``name``."""
    i = np.asarray(value)
    if i.dtype.kind not in "iu" or np.any(i < 0) or np.any(i >= n):
        raise ValueError(f"{name} must be an integer index (or array of them) in "
                         f"[0, {n}); got {value!r}")
    return i


class ALS(BaseDecomposition):
    """Alternating least squares factorization of a user x item matrix.

    Parameters
    ----------
    n_factors : int
        Latent dimension k.
    regularization : float
        L2 penalty lambda on both factors (> 0 keeps every system positive definite).
    iterations : int
        Alternating sweeps (users, then items).
    implicit : bool
        Implicit feedback (confidence-weighted, every entry counts) instead of explicit
        ratings (only the stored entries count).
    alpha : float
        Confidence scale of implicit feedback: c = 1 + alpha * r.
    random_state : None, int or numpy.random.RandomState
        Initialization of the factors.
    progress : bool
        Show a tqdm progress bar over the sweeps.

    Attributes
    ----------
    user_factors_ : ndarray, shape (n_users, n_factors)
    item_factors_ : ndarray, shape (n_items, n_factors)
    loss_ : list of float
        Training objective after every sweep.
    n_iter_ : int
    n_features_in_ : int
        The number of items.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import ALS
    >>> rng = np.random.default_rng(0)
    >>> R = rng.random((30, 3)) @ rng.random((3, 20))      # planted rank 3, fully observed
    >>> model = ALS(n_factors=3, regularization=1e-3, iterations=30, random_state=0).fit(R)
    >>> bool(abs(model.predict(4, 7) - R[4, 7]) < 1e-2)
    True
    >>> items, scores = model.recommend(0, k=5, exclude_seen=False)
    >>> items.shape
    (5,)
    """

    estimator_name = "als"
    _estimator_type = "recommender"
    _accept_sparse = True

    def __init__(self, n_factors=10, *, regularization=0.01, iterations=15, implicit=False,
                 alpha=40.0, random_state=None, progress=False):
        self.n_factors = n_factors
        self.regularization = regularization
        self.iterations = iterations
        self.implicit = implicit
        self.alpha = alpha
        self.random_state = random_state
        self.progress = progress

    def fit(self, X, y=None):
        """Factor the user x item matrix ``X``.

        Parameters
        ----------
        X : SciPy sparse matrix or array_like, shape (n_users, n_items)
            Ratings (explicit) or interaction counts (implicit); stored zeros and, for a
            dense array, zeros are "not observed".
        y : ignored

        Returns
        -------
        self
        """
        R = self._check_X(X, reset=True)
        if not isinstance(R, CSR):
            R = dense_to_csr(R)
        k = check_int(self.n_factors, "n_factors", low=1)
        reg = check_real(self.regularization, "regularization", low=0.0)
        iterations = check_int(self.iterations, "iterations", low=1)
        alpha = check_real(self.alpha, "alpha", low=0.0)
        implicit = bool(self.implicit)
        if implicit and R.nnz and float(R.data.min()) < 0:
            raise ValueError("implicit feedback needs non-negative X (counts or weights)")
        n_users, n_items = R.shape
        dtype = R.dtype
        Rt = transpose_csr(R)
        rng = check_random_state(self.random_state)
        scale = 0.01 if implicit else 1.0 / np.sqrt(k)
        U = np.zeros((n_users, k), dtype=dtype)
        V = (scale * rng.standard_normal((n_items, k))).astype(dtype)
        threads = resolve_threads(None)
        work = np.empty((max(threads, 1), k * k + 2 * k), dtype=dtype)
        eye = np.zeros((k, k), dtype=dtype)
        self.loss_ = []
        bar = progress_bar(self.progress, total=iterations, desc="ALS")
        try:
            for _ in range(iterations):
                for A, F, G, what in ((R, V, U, "user"), (Rt, U, V, "item")):
                    gram_f = gram(F).astype(dtype, copy=False) if implicit else eye
                    failed = _decomp.als_solve(A.indptr, A.indices, A.data, F, gram_f, G,
                                               work, reg, alpha, implicit, threads)
                    if failed:
                        raise LinAlgError(f"ALS: {failed} {what} system(s) were not positive "
                                          f"definite; use regularization > 0")
                self.loss_.append(self._loss(R, U, V, reg, alpha, implicit))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{self.loss_[-1]:.4g}", refresh=False)
        finally:
            if bar is not None:
                bar.close()
        self.user_factors_ = U
        self.item_factors_ = V
        self.n_iter_ = iterations
        self._seen = R
        return self

    @staticmethod
    def _loss(R, U, V, reg, alpha, implicit):
        rows = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
        pred = np.einsum("ij,ij->i", U[rows], V[R.indices], dtype=np.float64)
        penalty = reg * (float(np.sum(U.astype(np.float64) ** 2))
                         + float(np.sum(V.astype(np.float64) ** 2)))
        if not implicit:
            return float(np.sum((R.data - pred) ** 2)) + penalty
        # sum over all (u, i) of c (p - x.y)^2 = sum_all (x.y)^2 + observed corrections
        gu = gram(U.astype(np.float64))
        gv = gram(V.astype(np.float64))
        total = float(np.sum(gu * gv))
        c = 1.0 + alpha * R.data
        total += float(np.sum(c * (1.0 - pred) ** 2 - pred ** 2))
        return total + penalty

    # -- queries --------------------------------------------------------------------------
    def _user(self, user):
        return _index(user, "user", self.user_factors_.shape[0])

    def _item(self, item):
        return _index(item, "item", self.item_factors_.shape[0])

    def predict(self, user, item):
        """Predicted rating (explicit) or preference (implicit) of ``user`` for ``item``.

        Parameters
        ----------
        user, item : int or array of int (broadcast together)

        Returns
        -------
        float or ndarray
        """
        check_is_fitted(self, "user_factors_")
        u, i = np.broadcast_arrays(self._user(user), self._item(item))
        out = np.einsum("...j,...j->...", self.user_factors_[u], self.item_factors_[i])
        return float(out) if out.ndim == 0 else out

    def recommend(self, user, k=10, exclude_seen=True):
        """The ``k`` items with the highest predicted score for ``user``.

        Parameters
        ----------
        user : int
        k : int
        exclude_seen : bool
            Leave out the items the user has in the training matrix.

        Returns
        -------
        items : ndarray of int, shape (<= k,)
            Best first.
        scores : ndarray, shape (<= k,)
        """
        check_is_fitted(self, "user_factors_")
        u = int(self._user(user))
        k = check_int(k, "k", low=1)
        scores = matvec(self.item_factors_, self.user_factors_[u])
        if exclude_seen:
            seen = self._seen.indices[self._seen.indptr[u]:self._seen.indptr[u + 1]]
            scores[seen] = -np.inf
        return self._top(scores, k)

    def similar_items(self, item, k=10):
        """The ``k`` items whose factors are closest in cosine similarity to ``item``'s
        (the item itself excluded).

        Returns
        -------
        items : ndarray of int, shape (<= k,)
        scores : ndarray, shape (<= k,)
            Cosine similarities, best first.
        """
        check_is_fitted(self, "item_factors_")
        i = int(self._item(item))
        k = check_int(k, "k", low=1)
        V = self.item_factors_
        norms = np.sqrt(np.einsum("ij,ij->i", V, V))
        norms[norms == 0] = 1.0
        scores = matvec(V, V[i]) / (norms * norms[i])
        scores[i] = -np.inf
        return self._top(scores, k)

    @staticmethod
    def _top(scores, k):
        valid = np.flatnonzero(np.isfinite(scores))
        k = min(k, valid.size)
        if k == 0:
            return np.empty(0, dtype=np.intp), scores[:0]
        part = valid[np.argpartition(-scores[valid], k - 1)[:k]]
        order = part[np.argsort(-scores[part], kind="stable")]
        return order, scores[order]

