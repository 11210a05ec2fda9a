"""Matrix decompositions as scikit-learn-compatible estimators.

:class:`PCA` (full SVD, covariance eigendecomposition, randomized), :class:`TruncatedSVD`
(dense or sparse), :class:`NMF` (coordinate descent and multiplicative updates),
:class:`LinearDiscriminantAnalysis` (svd and eigen solvers, shrinkage), :class:`ALS`
(alternating least squares for collaborative filtering, explicit and implicit feedback)
and :func:`low_rank_approximation`, with
scikit-learn's estimator conventions (``fit`` / ``transform`` / ``fit_transform`` /
``inverse_transform``, ``get_params`` / ``set_params``, clone-able, picklable, usable in
a scikit-learn ``Pipeline`` and ``GridSearchCV``) but no run-time dependency on it.

Every estimator, lamina's own included, registers under the ``lamina.decompositions``
entry points: :func:`get` looks one up by name and :func:`available` lists them.

Examples
--------
>>> import numpy as np, lamina.decomposition
>>> X = np.abs(np.random.default_rng(0).standard_normal((30, 6)))
>>> nmf = lamina.decomposition.get("nmf")(n_components=2, init="random", random_state=0)
>>> nmf.fit_transform(X).shape
(30, 2)
"""

from lamina.decomposition._als import ALS
from lamina.decomposition._base import NotFittedError
from lamina.decomposition._lda import LinearDiscriminantAnalysis, ledoit_wolf
from lamina.decomposition._nmf import NMF, nndsvd_init
from lamina.decomposition._pca import PCA, TruncatedSVD, low_rank_approximation, svd_flip
from lamina.decomposition._registry import available, get

__all__ = [
    "ALS",
    "LinearDiscriminantAnalysis",
    "NMF",
    "NotFittedError",
    "PCA",
    "TruncatedSVD",
    "available",
    "get",
    "ledoit_wolf",
    "low_rank_approximation",
    "nndsvd_init",
    "svd_flip",
]
