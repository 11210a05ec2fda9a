"""lamina: fast, dependable CPU linear algebra for deep learning.

NumPy arrays in, NumPy arrays out.  The public API validates and converts its inputs,
picks a backend through the plugin registry (the Cython core unless a plugin's arrays or
an explicit request say otherwise) and calls typed Cython kernels with an explicit thread
count.

Examples
--------
>>> import numpy as np, lamina
>>> float(lamina.dot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]))
32.0
"""

from lamina import blas, datasets, decomposition, linalg, losses, nn, plugins, solvers, sparse
from lamina._build_info import VERSION as __version__
from lamina._config import get_isa, get_num_threads, set_num_threads, threads
from lamina._errors import (
    BackendNotImplemented,
    ConvergenceWarning,
    LinAlgError,
    LinAlgWarning,
    PluginWarning,
)
from lamina._registry import backend_opts, explain
from lamina._validation import check_random_state
from lamina.blas import axpy, dot, gemm, matmul, matvec, outer, vector_norm

__all__ = [
    "__version__",
    "BackendNotImplemented",
    "ConvergenceWarning",
    "LinAlgError",
    "LinAlgWarning",
    "PluginWarning",
    "axpy",
    "backend_opts",
    "check_random_state",
    "blas",
    "datasets",
    "decomposition",
    "dot",
    "explain",
    "gemm",
    "get_isa",
    "get_num_threads",
    "linalg",
    "matmul",
    "losses",
    "matvec",
    "nn",
    "outer",
    "plugins",
    "set_num_threads",
    "solvers",
    "sparse",
    "threads",
    "vector_norm",
]
