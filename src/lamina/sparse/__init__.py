"""Sparse matrices: the CSR kernels behind lamina's iterative solvers.

:func:`csr_matvec`, :func:`csr_matmat` and :func:`csr_rmatmat` (``a.T @ b``) multiply a
sparse matrix -- a SciPy sparse matrix or array in any format, or a :class:`CSR` from
:func:`as_csr` -- by a dense vector or matrix.  float32/float64 values, int32/int64
indices (kept as given), OpenMP over row blocks balanced by nonzeros, identical results
for any thread count.  SciPy is never imported by lamina; its sparse types are recognized
by duck typing.

Examples
--------
>>> import numpy as np, scipy.sparse as sp, lamina.sparse
>>> a = lamina.sparse.as_csr(sp.eye(3, format="coo") * 2.0)
>>> a
<lamina CSR 3x3, 3 stored, float64, int32 indices>
>>> lamina.sparse.csr_matvec(a, np.ones(3))
array([2., 2., 2.])
"""

from lamina.sparse._csr import CSR, as_csr, csr_matmat, csr_matvec, csr_rmatmat, is_sparse

__all__ = ["CSR", "as_csr", "csr_matmat", "csr_matvec", "csr_rmatmat", "is_sparse"]
