"""Products used by the estimators, all on lamina's GEMM/SYRK/SpMM kernels."""

import numpy as np

from lamina.blas import gemm, syrk
from lamina.sparse import CSR, csr_matmat

__all__ = ["gram", "matmul", "matmul_tn", "sparse_rmatmul"]


def matmul(a, b, *, trans_a=False, trans_b=False, out=None):
    """op(a) @ op(b) on lamina's GEMM (dense operands)."""
    return gemm(a, b, trans_a=trans_a, trans_b=trans_b, out=out)


def matmul_tn(a, b, out=None):
    """a.T @ b without copying the transpose."""
    return gemm(a, b, trans_a=True, out=out)


def gram(a, *, trans=True):
    """The full symmetric Gram matrix a.T @ a (``trans``) or a @ a.T, by SYRK."""
    g = syrk(a, trans=trans, lower=True)
    n = g.shape[0]
    if n > 1:
        upper = ~np.tri(n, dtype=bool)
        np.copyto(g, g.T, where=upper)
    return g


def sparse_rmatmul(csr_t, b):
    """(A^T) @ b given the CSR of A^T (``csr_t``)."""
    return csr_matmat(csr_t, b)


def transpose_csr(a):
    """The CSR of a.T for a lamina :class:`~lamina.sparse.CSR` (a counting sort)."""
    m, n = a.shape
    counts = np.bincount(a.indices, minlength=n)
    indptr = np.zeros(n + 1, dtype=a.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    rows = np.repeat(np.arange(m, dtype=a.indices.dtype), np.diff(a.indptr))
    order = np.argsort(a.indices, kind="stable")
    return CSR(a.data[order], rows[order].astype(a.indices.dtype, copy=False), indptr, (n, m))
