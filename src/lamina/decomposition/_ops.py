"""Products used by the estimators, all on lamina's GEMM/SYRK/SpMM kernels."""

import numpy as np

from lamina.blas import gemm, syrk
from lamina.sparse import CSR

__all__ = ["gram", "matmul", "transpose_csr"]

# Products of fewer multiply-adds than this run on one thread: the iterative fits call
# many small ones, and waking a thread team for each costs more than it saves (much more
# when the cores are shared with other work).
SERIAL_WORK = 1 << 23


def _threads(work):
    return 1 if work < SERIAL_WORK else None


def matmul(a, b, *, trans_a=False, trans_b=False, out=None):
    """op(a) @ op(b) on lamina's GEMM (dense operands)."""
    m = a.shape[1] if trans_a else a.shape[0]
    k = a.shape[0] if trans_a else a.shape[1]
    n = b.shape[0] if trans_b else b.shape[1]
    return gemm(a, b, trans_a=trans_a, trans_b=trans_b, out=out,
                n_threads=_threads(m * n * k))


def gram(a, *, trans=True):
    """The full symmetric Gram matrix a.T @ a (``trans``) or a @ a.T, by SYRK."""
    n, k = (a.shape[1], a.shape[0]) if trans else a.shape
    g = syrk(a, trans=trans, lower=True, n_threads=_threads(n * n * k // 2))
    n = g.shape[0]
    if n > 1:
        upper = ~np.tri(n, dtype=bool)
        np.copyto(g, g.T, where=upper)
    return g


def transpose_csr(a):
    """The CSR of a.T for a lamina :class:`~lamina.sparse.CSR` (a counting sort)."""
    m, n = a.shape
    counts = np.bincount(a.indices, minlength=n)
    indptr = np.zeros(n + 1, dtype=a.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    rows = np.repeat(np.arange(m, dtype=a.indices.dtype), np.diff(a.indptr))
    order = np.argsort(a.indices, kind="stable")
    return CSR(a.data[order], rows[order].astype(a.indices.dtype, copy=False), indptr, (n, m))
