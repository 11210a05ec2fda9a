"""Blocked matrix product: one lamina GEMM per pair of blocks, summed over the
contraction.

For ``C = A @ B`` with A cut into blocks ``A[i, k]`` and B into ``B[k, j]`` (the
contraction chunks aligned), task ``(i, k, j)`` computes ``A[i, k] @ B[k, j]`` with
lamina's GEMM and keeps the partial products on the workers; ``C[i, j]`` is then the
tree-sum over k.  Work is ``2 m n k`` flops spread over ``#i * #k * #j`` tasks; the sum
moves ``#k`` partial blocks per output block.  Batched operands broadcast their leading
dimensions block by block, as :func:`lamina.matmul` does within one block.
"""

import dask.array as da

from lamina_dask import _threads
from lamina_dask._common import CORE, as_dask, result_dtype


def _block_product(a, b, n_threads):
    import lamina

    out = lamina.matmul(a, b, n_threads=n_threads, backend=CORE)
    return out.reshape(out.shape[:-1] + (1,) + out.shape[-1:])


def matmul(a, b):
    a = as_dask(a, "a")
    b = as_dask(b, "b")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: operands must be at least 1-dimensional (use * for "
                         "scalars)")
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match in the "
                         "contracted dimension")
    dtype = result_dtype(a, b)
    a, b = a.astype(dtype), b.astype(dtype)
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = a[None, :]
    if b_vec:
        b = b[:, None]
    nd = max(a.ndim, b.ndim)
    a = a[(None,) * (nd - a.ndim)]
    b = b[(None,) * (nd - b.ndim)]
    batch = tuple(range(nd - 2))
    row, k, col = nd - 2, nd - 1, nd
    # Output index (batch..., i, k, j): the contraction index k is kept (length 1 per
    # block) so no block product is concatenated; the sum below reduces it.
    partial = da.blockwise(
        _block_product, batch + (row, k, col),
        a, batch + (row, k),
        b, batch + (k, col),
        n_threads=_threads.current(),
        adjust_chunks={k: 1}, dtype=dtype, concatenate=False)
    out = partial.sum(axis=k, dtype=dtype)
    if a_vec:
        out = out[..., 0, :]
    if b_vec:
        out = out[..., 0]
    return out


def matvec(a, x):
    a = as_dask(a, "a", min_ndim=2)
    x = as_dask(x, "x", min_ndim=1)
    if a.shape[-1] != x.shape[-1]:
        raise ValueError(f"matvec: shapes {a.shape} and {x.shape} do not match")
    return matmul(a, x[..., None])[..., 0]
