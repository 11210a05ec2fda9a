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

import os as _os

# libgomp's idle threads spin for a long while (its default spin count) before they sleep.
# Where other processes want the cores too (shared CI runners, laptops, a second
# OpenMP runtime in the process), a spinning thread takes time slices from the very thread
# it waits for, and two-thread kernels were measured 10-30x slower than one thread.  A
# short spin keeps hand-offs fast on an idle machine and yields the core on a busy one.
# Must be set before the first kernel module loads libgomp; an explicit OMP_WAIT_POLICY or
# GOMP_SPINCOUNT of the user's is kept.  ``lamina info`` shows the setting in force.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "1000"

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
