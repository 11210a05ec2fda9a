"""BLAS-style operations on NumPy arrays, backed by lamina's kernels.

Level 1: :func:`dot`, :func:`axpy`, :func:`scal`, :func:`nrm2`, :func:`asum`, :func:`iamax`,
:func:`vector_norm`.  Level 2: :func:`gemv`, :func:`ger`, :func:`matvec`, :func:`outer`.
Level 3: :func:`matmul`, :func:`gemm` (with fused bias + activation), :func:`trsm`,
:func:`trmm`, :func:`syrk`.

Every function takes float32 or float64 (other real inputs are converted, see the input
policy in ``lamina._validation``), any strides, returns new arrays unless ``out=`` is given,
and accepts ``backend=`` to choose a backend explicitly.
"""

from lamina.blas._level1 import asum, axpy, dot, iamax, nrm2, scal, vector_norm
from lamina.blas._level2 import gemv, ger, matvec, outer
from lamina.blas._level3 import gemm, matmul, syrk, trmm, trsm

__all__ = [
    "asum",
    "axpy",
    "dot",
    "gemm",
    "gemv",
    "ger",
    "iamax",
    "matmul",
    "matvec",
    "nrm2",
    "outer",
    "scal",
    "syrk",
    "trmm",
    "trsm",
    "vector_norm",
]
