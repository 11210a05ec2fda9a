"""Non-negative matrix factorization X ~ W H (W, H >= 0).

Two solvers, with scikit-learn's objective, regularization scaling, initializations and
stopping rules, so that the same settings give the same model:

* ``"cd"``: cyclic coordinate descent on W, then H (Frobenius loss).  Stops when the
  projected-gradient violation falls below ``tol`` times its first value.
* ``"mu"``: multiplicative updates for the beta-divergences (Frobenius, generalized
  Kullback-Leibler), with the maximization-minimization exponent gamma.  Every 10
  iterations the divergence is evaluated; it stops when its relative decrease is below
  ``tol``.

The Frobenius iterations of both solvers run on ``_kernels._nmf``: one pass over X per
iteration computes X H^T block by block, updates those rows of W while the block is in
cache and accumulates X^T W and W^T W for the H half-step (no general GEMM, no copy or
transpose of X).  The Kullback-Leibler updates use lamina GEMMs and the fused elementwise
loops of ``_kernels._decomp``.

Objective (scikit-learn's scaling of the penalties by the other dimension):
0.5 D(X, WH) + alpha_W l1_ratio n_features |W|_1 + alpha_H l1_ratio n_samples |H|_1
+ 0.5 alpha_W (1 - l1_ratio) n_features ||W||^2 + 0.5 alpha_H (1 - l1_ratio) n_samples ||H||^2.
"""

import numbers
import warnings

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import ConvergenceWarning
from lamina._kernels import _decomp, _nmf
from lamina.decomposition._base import (
    BaseDecomposition,
    TransformerMixin,
    check_int,
    check_is_fitted,
    check_option,
    check_random_state,
    check_real,
)
from lamina.decomposition._ops import matmul
from lamina.decomposition._progress import progress_bar

__all__ = ["NMF", "nndsvd_init"]

EPSILON = float(np.finfo(np.float32).eps)
_BETA = {"frobenius": 2.0, "kullback-leibler": 1.0}
_INITS = ("random", "nndsvd", "nndsvda", "nndsvdar", "custom")


def _beta_value(beta_loss):
    if isinstance(beta_loss, str):
        check_option(beta_loss, "beta_loss", tuple(_BETA))
        return _BETA[beta_loss]
    if isinstance(beta_loss, numbers.Real) and float(beta_loss) in (1.0, 2.0):
        return float(beta_loss)
    raise ValueError(f"beta_loss must be 'frobenius' (2) or 'kullback-leibler' (1); got "
                     f"{beta_loss!r}")


def _norm(x):
    return float(np.sqrt(np.dot(x, x)))


def nndsvd_init(X, n_components, *, variant="nndsvd", random_state=None):
    """Non-negative double SVD initialization of NMF (Boutsidis and Gallopoulos 2008).

    The leading singular triplets of ``X`` (lamina's randomized SVD) are split into
    their positive and negative parts; each W column / H row takes the dominant part.
    ``"nndsvda"`` fills zeros with the mean of X, ``"nndsvdar"`` with small random values.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features), non-negative
    n_components : int
    variant : {"nndsvd", "nndsvda", "nndsvdar"}
    random_state : None, int or numpy.random.RandomState

    Returns
    -------
    W : ndarray, shape (n_samples, n_components)
    H : ndarray, shape (n_components, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import nndsvd_init
    >>> X = np.abs(np.random.default_rng(0).standard_normal((6, 5)))
    >>> W, H = nndsvd_init(X, 2, random_state=0)
    >>> W.shape, H.shape, bool((W >= 0).all() and (H >= 0).all())
    ((6, 2), (2, 5), True)
    """
    from lamina.linalg import randomized_svd

    U, S, V = randomized_svd(X, n_components, random_state=random_state)
    W = np.zeros_like(U)
    H = np.zeros_like(V)
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(V[0, :])
    for j in range(1, n_components):
        x, y = U[:, j], V[j, :]
        x_p, y_p = np.maximum(x, 0), np.maximum(y, 0)
        x_n, y_n = np.abs(np.minimum(x, 0)), np.abs(np.minimum(y, 0))
        x_p_nrm, y_p_nrm = _norm(x_p), _norm(y_p)
        x_n_nrm, y_n_nrm = _norm(x_n), _norm(y_n)
        m_p, m_n = x_p_nrm * y_p_nrm, x_n_nrm * y_n_nrm
        if m_p > m_n:
            u, v, sigma = x_p / x_p_nrm, y_p / y_p_nrm, m_p
        else:
            u, v, sigma = x_n / x_n_nrm, y_n / y_n_nrm, m_n
        lbd = np.sqrt(S[j] * sigma)
        W[:, j] = lbd * u
        H[j, :] = lbd * v
    eps = 1e-6
    W[W < eps] = 0
    H[H < eps] = 0
    if variant == "nndsvda":
        avg = X.mean()
        W[W == 0] = avg
        H[H == 0] = avg
    elif variant == "nndsvdar":
        rng = check_random_state(random_state)
        avg = X.mean()
        W[W == 0] = np.abs(avg * rng.standard_normal(size=int((W == 0).sum())) / 100)
        H[H == 0] = np.abs(avg * rng.standard_normal(size=int((H == 0).sum())) / 100)
    return W.astype(X.dtype, copy=False), H.astype(X.dtype, copy=False)


class _Divergence:
    """Evaluates the beta-divergence D(X, WH) with reusable buffers."""

    def __init__(self, X, beta, threads):
        self.X = X
        self.beta = beta
        self.threads = threads
        self.WH = np.empty(X.shape, X.dtype)
        self.rows = np.empty(X.shape[0])
        self.rows2 = np.empty(X.shape[0])

    def __call__(self, W, H, *, square_root=True):
        matmul(W, H, out=self.WH)
        if self.beta == 2.0:
            res = _decomp.sq_diff_sum(self.X, self.WH, self.rows, self.threads) / 2.0
        else:
            t1, t2 = _decomp.kl_terms(self.X, self.WH, EPSILON, self.rows, self.rows2,
                                      self.threads)
            sum_wh = float(np.dot(W.sum(axis=0, dtype=np.float64),
                                  H.sum(axis=1, dtype=np.float64)))
            res = t1 + sum_wh - t2
        if square_root:
            return float(np.sqrt(2.0 * max(res, 0.0)))
        return float(res)


class NMF(TransformerMixin, BaseDecomposition):
    """Non-negative matrix factorization ``X ~ W H`` with W, H >= 0.

    scikit-learn's ``NMF`` model and parameters, on lamina's GEMM and Cython kernels.

    Parameters
    ----------
    n_components : int or None
        Rank of the factorization (None: the number of features).
    init : {None, "random", "nndsvd", "nndsvda", "nndsvdar", "custom"}
        Initialization.  None picks ``"nndsvda"`` when ``n_components <= min(X.shape)``,
        else ``"random"`` (scikit-learn's rule).  ``"custom"`` takes ``W`` and ``H``
        passed to ``fit``/``fit_transform``.
    solver : {"cd", "mu"}
        Coordinate descent or multiplicative updates.
    beta_loss : {"frobenius", "kullback-leibler"}
        The divergence; ``"kullback-leibler"`` needs ``solver="mu"``.
    tol : float
        Stopping tolerance (see the module notes).
    max_iter : int
        Maximum number of iterations; reaching it warns with ConvergenceWarning.
    random_state : None, int or numpy.random.RandomState
        For the random and nndsvdar initializations and the randomized SVD of nndsvd.
    alpha_W : float
        Regularization of W (scaled by n_features).
    alpha_H : float or "same"
        Regularization of H (scaled by n_samples); "same" uses alpha_W.
    l1_ratio : float in [0, 1]
        The L1 share of the regularization.
    shuffle : bool
        Randomize the coordinate order of the cd solver.
    progress : bool
        Show a tqdm progress bar over the iterations (needs tqdm).

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        H.
    n_components_ : int
    reconstruction_err_ : float
        The beta-divergence at the end of fit (Frobenius: ``||X - WH||_F``).
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.decomposition import NMF
    >>> X = np.abs(np.random.default_rng(0).standard_normal((20, 8)))
    >>> model = NMF(n_components=3, init="random", random_state=0, max_iter=500)
    >>> W = model.fit_transform(X)
    >>> W.shape, model.components_.shape
    ((20, 3), (3, 8))
    >>> bool(model.reconstruction_err_ < np.sqrt((X ** 2).sum()))
    True
    """

    estimator_name = "nmf"
    _positive_only = True

    def __init__(self, n_components=None, *, init=None, solver="cd", beta_loss="frobenius",
                 tol=1e-4, max_iter=200, random_state=None, alpha_W=0.0, alpha_H="same",
                 l1_ratio=0.0, shuffle=False, progress=False):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.shuffle = shuffle
        self.progress = progress

    # -- parameter checks -----------------------------------------------------------------
    def _validated(self, X, fitting=True):
        n_samples, n_features = X.shape
        k = self.n_components
        if k is None or k == "auto":
            k = n_features
        k = check_int(k, "n_components", low=1)
        solver = check_option(self.solver, "solver", ("cd", "mu"))
        beta = _beta_value(self.beta_loss)
        if solver == "cd" and beta != 2.0:
            raise ValueError(f"solver='cd' minimizes the Frobenius loss only; got "
                             f"beta_loss={self.beta_loss!r} (use solver='mu')")
        init = self.init
        if init is None:
            init = "nndsvda" if k <= min(n_samples, n_features) else "random"
        check_option(init, "init", _INITS)
        if fitting and init.startswith("nndsvd") and k > min(n_samples, n_features):
            raise ValueError(f"init={init!r} needs n_components <= min(n_samples, "
                             f"n_features) = {min(n_samples, n_features)}; got {k}")
        tol = check_real(self.tol, "tol", low=0.0)
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        alpha_W = check_real(self.alpha_W, "alpha_W", low=0.0)
        alpha_H = alpha_W if (isinstance(self.alpha_H, str) and self.alpha_H == "same") \
            else check_real(self.alpha_H, "alpha_H", low=0.0)
        l1_ratio = check_real(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        return k, solver, beta, init, tol, max_iter, alpha_W, alpha_H, l1_ratio

    def _check_nonnegative(self, X, name="X"):
        if X.size and float(X.min()) < 0:
            raise ValueError(f"Negative values in data passed to {type(self).__name__} "
                             f"({name}): NMF needs a non-negative matrix")

    # -- fitting --------------------------------------------------------------------------
    def _initial(self, X, k, init, W, H, update_H, solver):
        n_samples, n_features = X.shape
        dtype = X.dtype
        if not update_H:
            if solver == "mu":
                avg = np.sqrt(X.mean() / k)
                return np.full((n_samples, k), avg, dtype=dtype), H
            return np.zeros((n_samples, k), dtype=dtype), H
        if init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs W and H passed to fit")
            W = self._check_factor(W, (n_samples, k), "W", dtype)
            H = self._check_factor(H, (k, n_features), "H", dtype)
            return W, H
        if init == "random":
            avg = np.sqrt(X.mean() / k)
            rng = check_random_state(self.random_state)
            H = avg * rng.standard_normal(size=(k, n_features)).astype(dtype, copy=False)
            W = avg * rng.standard_normal(size=(n_samples, k)).astype(dtype, copy=False)
            np.abs(H, out=H)
            np.abs(W, out=W)
            return W, H
        return nndsvd_init(X, k, variant=init, random_state=self.random_state)

    def _check_factor(self, A, shape, name, dtype):
        from lamina._validation import as_float_array, assert_finite

        A = as_float_array(A, name, ndim=2, dtype=dtype, copy=True)
        if A.shape != shape:
            raise ValueError(f"{name} has shape {A.shape}, expected {shape}")
        assert_finite(A, name)
        self._check_nonnegative(A, name)
        return A

    def _solve(self, X, W, H, update_H, settings):
        k, solver, beta, init, tol, max_iter, alpha_W, alpha_H, l1_ratio = settings
        n_samples, n_features = X.shape
        l1_W = n_features * alpha_W * l1_ratio
        l1_H = n_samples * alpha_H * l1_ratio
        l2_W = n_features * alpha_W * (1.0 - l1_ratio)
        l2_H = n_samples * alpha_H * (1.0 - l1_ratio)
        threads = resolve_threads(None)
        W = np.ascontiguousarray(W)
        H = np.ascontiguousarray(H)
        bar = progress_bar(self.progress, total=max_iter, desc=f"NMF ({solver})")
        try:
            if solver == "cd":
                W, H, n_iter = _fit_cd(X, W, H, tol, max_iter, l1_W, l1_H, l2_W, l2_H,
                                       update_H, self.shuffle, self.random_state, threads, bar)
            else:
                W, H, n_iter = _fit_mu(X, W, H, beta, tol, max_iter, l1_W, l1_H, l2_W, l2_H,
                                       update_H, threads, bar)
        finally:
            if bar is not None:
                bar.close()
        if n_iter == max_iter and tol > 0:
            warnings.warn(f"Maximum number of iterations {max_iter} reached. Increase "
                          f"max_iter to improve convergence.", ConvergenceWarning,
                          stacklevel=3)
        return W, H, n_iter

    def fit_transform(self, X, y=None, W=None, H=None):
        """Learn the factorization of X and return W.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features), non-negative
        y : ignored
        W, H : array_like, optional
            Starting factors for ``init="custom"``.

        Returns
        -------
        ndarray, shape (n_samples, n_components)
        """
        X = self._check_X(X, reset=True)
        self._check_nonnegative(X)
        settings = self._validated(X)
        k, solver, beta, init = settings[:4]
        W0, H0 = self._initial(X, k, init, W, H, True, solver)
        W, H, n_iter = self._solve(X, W0, H0, True, settings)
        self.reconstruction_err_ = _Divergence(X, beta, resolve_threads(None))(W, H)
        self.n_components_ = H.shape[0]
        self.components_ = H
        self.n_iter_ = n_iter
        return W

    def fit(self, X, y=None, **params):
        """Learn the factorization of X (see :meth:`fit_transform`); returns self."""
        self.fit_transform(X, **params)
        return self

    def transform(self, X):
        """W for new data with the learned H fixed (the same solver and settings).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features), non-negative

        Returns
        -------
        ndarray, shape (n_samples, n_components)
        """
        check_is_fitted(self, "components_")
        X = self._check_X(X, reset=False, dtype=self.components_.dtype)
        self._check_nonnegative(X)
        settings = self._validated(X, fitting=False)
        settings = (self.n_components_,) + settings[1:]
        W0, H = self._initial(X, self.n_components_, None, None, self.components_, False,
                              settings[1])
        W, _, _ = self._solve(X, W0, H, False, settings)
        return W

    def inverse_transform(self, X):
        """The data approximation ``W @ H`` for given ``W``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_components)
            W.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        from lamina._validation import as_float_array

        check_is_fitted(self, "components_")
        W = as_float_array(X, "X", ndim=2)
        if W.shape[1] != self.n_components_:
            raise ValueError(f"X has {W.shape[1]} columns, but {type(self).__name__} has "
                             f"{self.n_components_} components")
        return matmul(W, self.components_.astype(W.dtype, copy=False))


def _tick(bar, **info):
    if bar is not None:
        bar.update(1)
        if info:
            bar.set_postfix(info, refresh=False)


class _Frobenius:
    """The Frobenius-loss iterations on lamina's fused NMF kernels (``_kernels._nmf``).

    W and H^T live in row-major buffers padded with zero columns to a multiple of 64
    bytes; each W half-step is one pass over X that also accumulates X^T W for the H
    half-step (see the kernel module's notes), or for a wide X each H half-step is one
    pass over the columns of X that accumulates X H^T for the next W half-step.  The
    chunks and block sizes depend on the shape only, so results do not depend on the
    thread count.
    """

    # rows of X per block: a block (and the padded factor rows) should stay in L2
    BLOCK_BYTES = 1 << 18
    MAX_BLOCK = 64
    # row chunks, each with its own partial sums: enough for two or more threads to share
    # the pass dynamically (a thread slowed by other work hands its chunks to the others)
    MAX_CHUNKS = 8
    MIN_CHUNK_ROWS = 64
    # ... and their partial sums no larger than half of X or this
    PARTIAL_BYTES = 1 << 24
    # a pass along the rows while its partial sums (m + kp rows of kp) fit in L2
    CACHE_PARTIAL_BYTES = 1 << 20

    def __init__(self, X, W, H, update_H, threads):
        self.X = np.ascontiguousarray(X)
        n, m = X.shape
        k = W.shape[1]
        dtype = X.dtype
        lanes = 64 // dtype.itemsize
        kp = -(-k // lanes) * lanes
        self.k, self.threads, self.update_H = k, threads, update_H
        self.Wp = np.zeros((n, kp), dtype)
        self.Wp[:, :k] = W
        self.Hp = np.zeros((m, kp), dtype)
        self.Hp[:, :k] = H.T
        # One pass over X per iteration, along the rows (the W half-step fused with the
        # accumulation of X^T W) or, for X much wider than tall, along the columns (the
        # H half-step fused with the accumulation of X H^T): whichever keeps the
        # per-chunk partial sums (the other dimension + kp rows of kp) small enough to
        # stay in cache.
        itemsize = dtype.itemsize
        self.by_columns = (update_H and m > n
                           and (m + kp) * kp * itemsize > self.CACHE_PARTIAL_BYTES)
        length, other = (m, n) if self.by_columns else (n, m)
        n_chunks = 1
        partial_bytes = (other + kp) * kp * itemsize
        while (n_chunks < self.MAX_CHUNKS and length >= 2 * n_chunks * self.MIN_CHUNK_ROWS
               and 2 * n_chunks * partial_bytes <= max(self.PARTIAL_BYTES, X.nbytes // 2)):
            n_chunks *= 2
        block = max(8, min(self.MAX_BLOCK, self.BLOCK_BYTES // max(1, other * itemsize)) // 8 * 8)
        self.scratch = np.empty((n_chunks, block, kp), dtype)
        self.partial = (np.empty((n_chunks, other + kp, kp), dtype) if update_H else None)
        self.viol_W = np.empty(n)
        self.viol_H = np.empty(m)
        self.gram_H = np.empty((kp, kp), dtype)
        _nmf.gram(self.Hp, self.gram_H)
        if self.by_columns:
            # the first W half-step's X H^T and H H^T, laid out as the column pass
            # leaves them
            self.partial[1:] = 0
            _nmf.xh_product(self.X, self.Hp, self.partial[0, :n], threads)
            self.partial[0, n:] = self.gram_H
        if not update_H:
            # H is fixed (transform): X H^T is the same at every iteration
            self.XHt = np.empty((n, kp), dtype)
            _nmf.xh_product(self.X, self.Hp, self.XHt, threads)
            self.numerator = np.empty((1, n, kp), dtype)

    def _compact(self, G, l2):
        k = self.k
        G = np.ascontiguousarray(G[:k, :k])
        if l2 != 0.0:
            G.flat[::k + 1] += l2
        return G

    def step(self, cd, perm_W, perm_H, l1_W, l1_H, l2_W, l2_H):
        """One iteration (W, then H when fitting); returns the summed violation (cd)."""
        # multiplicative updates add l2 * W to the denominator themselves
        if not self.update_H:
            np.copyto(self.numerator[0], self.XHt)
            return _nmf.update_rows(
                self.Wp, self._compact(self.gram_H, l2_W if cd else 0.0), self.numerator,
                perm_W, self.viol_W, cd, l1_W, l2_W, 1.0, EPSILON, self.threads)
        if self.by_columns:
            return self._step_by_columns(cd, perm_W, perm_H, l1_W, l1_H, l2_W, l2_H)
        violation = _nmf.fused_pass(
            self.X, self.Wp, self.Hp, self._compact(self.gram_H, l2_W if cd else 0.0),
            perm_W, self.partial, self.scratch, self.viol_W, cd, l1_W, l2_W, 1.0, EPSILON,
            True, self.threads)
        gram_W = self._partial_gram(self.Hp.shape[0])
        violation += _nmf.update_rows(
            self.Hp, self._compact(gram_W, l2_H if cd else 0.0), self.partial, perm_H,
            self.viol_H, cd, l1_H, l2_H, 1.0, EPSILON, self.threads)
        _nmf.gram(self.Hp, self.gram_H)
        return violation

    def _partial_gram(self, rows):
        gram = self.partial[0, rows:].copy()
        for c in range(1, self.partial.shape[0]):
            gram += self.partial[c, rows:]
        return gram

    def _step_by_columns(self, cd, perm_W, perm_H, l1_W, l1_H, l2_W, l2_H):
        n = self.Wp.shape[0]
        # X H^T and H H^T of the current H are the partial sums of the last column pass
        violation = _nmf.update_rows(
            self.Wp, self._compact(self._partial_gram(n), l2_W if cd else 0.0), self.partial,
            perm_W, self.viol_W, cd, l1_W, l2_W, 1.0, EPSILON, self.threads)
        gram_W = np.empty_like(self.gram_H)
        _nmf.gram(self.Wp, gram_W)
        violation += _nmf.column_pass(
            self.X, self.Wp, self.Hp, self._compact(gram_W, l2_H if cd else 0.0), perm_H,
            self.partial, self.scratch, self.viol_H, cd, l1_H, l2_H, 1.0, EPSILON,
            self.threads)
        return violation

    def factors(self):
        k = self.k
        return (np.ascontiguousarray(self.Wp[:, :k]),
                np.ascontiguousarray(self.Hp[:, :k].T))


def _fit_cd(X, W, H, tol, max_iter, l1_W, l1_H, l2_W, l2_H, update_H, shuffle,
            random_state, threads, bar):
    rng = check_random_state(random_state)
    k = W.shape[1]
    identity = np.arange(k, dtype=np.intp)
    solver = _Frobenius(X, W, H, update_H, threads)
    violation_init = 0.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # scikit-learn draws the W order, then the H order
        perm_W = rng.permutation(k).astype(np.intp) if shuffle else identity
        perm_H = rng.permutation(k).astype(np.intp) if shuffle and update_H else identity
        violation = solver.step(True, perm_W, perm_H, l1_W, l1_H, l2_W, l2_H)
        if n_iter == 1:
            violation_init = violation
        _tick(bar, violation=f"{violation:.3g}")
        if violation_init == 0:
            break
        if violation / violation_init <= tol:
            break
    W, H_new = solver.factors()
    return W, (H_new if update_H else H), n_iter


class _MuStop:
    """scikit-learn's stopping rule for multiplicative updates: every 10 iterations,
    stop once the divergence fell by less than ``tol`` times its initial value since the
    last check.  Ticks the progress bar once per iteration."""

    def __init__(self, divergence, W, H, tol, bar):
        self.divergence = divergence
        self.tol = tol
        self.bar = bar
        self.at_init = self.previous = divergence(W, H)

    def done(self, n_iter, factors):
        """After iteration ``n_iter``; ``factors()`` gives the current (W, H)."""
        if not (self.tol > 0 and n_iter % 10 == 0):
            _tick(self.bar)
            return False
        error = self.divergence(*factors())
        _tick(self.bar, error=f"{error:.4g}")
        if (self.previous - error) / self.at_init < self.tol:
            return True
        self.previous = error
        return False


def _fit_mu(X, W, H, beta, tol, max_iter, l1_W, l1_H, l2_W, l2_H, update_H, threads, bar):
    if beta == 2.0:
        return _fit_mu_frobenius(X, W, H, tol, max_iter, l1_W, l1_H, l2_W, l2_H, update_H,
                                 threads, bar)
    # generalized Kullback-Leibler (beta = 1, gamma = 1): numerators (X / WH) H^T and
    # W^T (X / WH), denominators the row / column sums of the other factor
    divergence = _Divergence(X, beta, threads)
    stop = _MuStop(divergence, W, H, tol, bar)
    dtype = X.dtype
    n_samples, n_features = X.shape
    k = W.shape[1]
    H_sum = None
    numW = np.empty((n_samples, k), dtype)
    numH = np.empty((k, n_features), dtype)
    WH = divergence.WH
    tiny = float(np.finfo(np.float64).eps)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        matmul(W, H, out=WH)
        _decomp.kl_ratio(X, WH, EPSILON, threads)
        matmul(WH, H, trans_b=True, out=numW)
        if H_sum is None:
            H_sum = H.sum(axis=1)
        denom = np.broadcast_to(H_sum[None, :], (n_samples, k))
        _decomp.mu_apply(W, numW, denom, l1_W, l2_W, 1.0, EPSILON, threads)
        if update_H:
            matmul(W, H, out=WH)
            _decomp.kl_ratio(X, WH, EPSILON, threads)
            matmul(W, WH, trans_a=True, out=numH)
            W_sum = W.sum(axis=0)
            W_sum[W_sum == 0] = 1.0
            denom = np.broadcast_to(W_sum[:, None], (k, n_features))
            _decomp.mu_apply(H, numH, denom, l1_H, l2_H, 1.0, EPSILON, threads)
            H_sum = None
            H[H < tiny] = 0.0
        if stop.done(n_iter, lambda: (W, H)):
            break
    return W, H, n_iter


def _fit_mu_frobenius(X, W, H, tol, max_iter, l1_W, l1_H, l2_W, l2_H, update_H, threads,
                      bar):
    """Multiplicative updates for the Frobenius loss (gamma = 1) on the fused kernels."""
    stop = _MuStop(_Divergence(X, 2.0, threads), W, H, tol, bar)
    order = np.arange(W.shape[1], dtype=np.intp)
    solver = _Frobenius(X, W, H, update_H, threads)

    def factors():
        W_now, H_now = solver.factors()
        return W_now, (H_now if update_H else H)

    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        solver.step(False, order, order, l1_W, l1_H, l2_W, l2_H)
        if stop.done(n_iter, factors):
            break
    W, H_new = solver.factors()
    return W, (H_new if update_H else H), n_iter
