"""Tensor decompositions for lamina: Tucker (HOSVD, HOOI) and CP (ALS).

scikit-learn-style estimators registered under the ``lamina.decompositions`` entry
points (``tucker``, ``cp``), computed with lamina's SVD, Cholesky solves and GEMM.  The
tensor helpers (unfoldings, mode-n products, Khatri-Rao products) are public too.

Examples
--------
>>> import numpy as np
>>> import lamina.decomposition
>>> X = np.random.default_rng(0).standard_normal((20, 6, 5))
>>> model = lamina.decomposition.get("tucker")(rank=(4, 3, 3)).fit(X)
>>> model.core_.shape
(4, 3, 3)
"""

from lamina_tensor._cp import CP
from lamina_tensor._tensor import fold, khatri_rao, mode_dot, multi_mode_dot, unfold
from lamina_tensor._tucker import Tucker

__version__ = "0.1.0"

__all__ = ["CP", "Tucker", "fold", "khatri_rao", "mode_dot", "multi_mode_dot", "unfold"]
