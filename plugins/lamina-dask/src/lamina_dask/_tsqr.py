"""Tall-skinny QR (TSQR) of a row-chunked dask array.

Demmel, Grigori, Hoemmen & Langou, "Communication-optimal parallel and sequential QR and
LU factorizations" (SIAM J. Sci. Comput. 34, 2012).  With ``A`` cut into row blocks
``A_i`` (m_i x n):

1. each block is factored where it lives, ``A_i = Q_i R_i`` (lamina's Householder QR);
2. the small stacked ``[R_1; R_2; ...]`` (at most ``#blocks * n`` rows) is factored once,
   ``= Q_s R``;
3. ``Q = diag(Q_1, Q_2, ...) Q_s``: block i multiplies its Q_i by its slice of Q_s.

Only the R factors (n x n each) and the slices of Q_s travel; A and Q never leave their
workers.  The complete Q (M x M) follows from the complete local factors: block i's
rows are ``[Q_i[:, :k_i] Q_s[rows of block i], 0, Q_i[:, k_i:], 0]``, the trailing
columns of each ``Q_i`` filling the orthogonal complement block by block.  Q is
orthonormal to working precision and ``A = Q R`` holds with the backward error of
Householder QR.  Any shape works (wide blocks give at most m_i rows of R).
"""

import dask
import dask.array as da
import numpy as np

from lamina_dask import _threads
from lamina_dask._common import CORE, as_dask, rows_whole


def _local_qr(block, mode, n_threads):
    import lamina.linalg

    q, r = lamina.linalg.qr(block, mode=mode, n_threads=n_threads, backend=CORE)
    return q, r[:min(block.shape)]


def _stacked_qr(rs, mode, n_threads):
    import lamina.linalg

    stacked = np.concatenate(rs, axis=0)
    q, r = lamina.linalg.qr(stacked, mode=mode, n_threads=n_threads,
                           backend=CORE)
    return q, r


def _second_q(local, small, start, stop, n_threads):
    import lamina

    k = stop - start
    return lamina.matmul(local[0][:, :k], small[0][start:stop], n_threads=n_threads,
                         backend=CORE)


def _second_q_complete(local, small, start, stop, extra, m, n_threads):
    q_i = local[0]
    head = _second_q(local, small, start, stop, n_threads)
    out = np.zeros((q_i.shape[0], m), dtype=q_i.dtype)
    out[:, :head.shape[1]] = head
    k = stop - start
    first = head.shape[1] + extra
    out[:, first:first + q_i.shape[1] - k] = q_i[:, k:]
    return out


def _pad_rows(r, m):
    out = np.zeros((m, r.shape[1]), dtype=r.dtype)
    out[:r.shape[0]] = r
    return out


def tsqr(a, *, mode="reduced"):
    """QR of a tall dask array by TSQR; returns lazy ``(q, r)`` (or ``r``).

    Parameters
    ----------
    a : dask.array.Array, shape (M, N)
        Chunked by rows (columns are merged into one chunk if needed: keep N modest).
    mode : {"reduced", "complete", "r"}
        As in :func:`lamina.linalg.qr`; ``"r"`` returns only ``r`` (step 3 is skipped).

    Returns
    -------
    q : dask.array.Array, shape (M, K), K = min(M, N) (M for "complete"), chunked like
        ``a``'s rows
    r : dask.array.Array, shape (K, N), upper triangular, one chunk

    Examples
    --------
    >>> import dask.array as da, numpy as np, lamina_dask
    >>> a = da.random.default_rng(0).standard_normal((1000, 5), chunks=(250, 5))
    >>> q, r = lamina_dask.tsqr(a)
    >>> bool(np.allclose((q @ r).compute(), a.compute()))
    True
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = rows_whole(as_dask(a, "a", ndim=2))
    m, n = a.shape
    complete = mode == "complete"
    local_mode = "complete" if complete else "reduced"
    threads = _threads.current()
    dtype = a.dtype
    rows = a.chunks[0]
    blocks = a.to_delayed()[:, 0]
    local = [dask.delayed(_local_qr, nout=2, pure=True)(b, local_mode, threads)
             for b in blocks]
    k_i = [min(r, n) for r in rows]
    small = dask.delayed(_stacked_qr, nout=2, pure=True)([p[1] for p in local], local_mode,
                                                         threads)
    k = min(sum(k_i), n)
    if complete:
        r = da.from_delayed(dask.delayed(_pad_rows, pure=True)(small[1], m), shape=(m, n),
                            dtype=dtype)
    else:
        r = da.from_delayed(small[1], shape=(k, n), dtype=dtype)
    if mode == "r":
        return r
    offsets = np.concatenate(([0], np.cumsum(k_i)))
    extras = np.concatenate(([0], np.cumsum([rw - kw for rw, kw in zip(rows, k_i,
                                                                          strict=True)])))
    q_blocks = []
    for i in range(len(rows)):
        start, stop = int(offsets[i]), int(offsets[i + 1])
        if complete:
            task = dask.delayed(_second_q_complete, pure=True)(local[i], small, start, stop,
                                                               int(extras[i]), m, threads)
            q_blocks.append(da.from_delayed(task, shape=(rows[i], m), dtype=dtype))
        else:
            task = dask.delayed(_second_q, pure=True)(local[i], small, start, stop, threads)
            q_blocks.append(da.from_delayed(task, shape=(rows[i], k), dtype=dtype))
    width = m if complete else k
    q = da.concatenate(q_blocks, axis=0) if q_blocks else da.zeros((0, width), dtype=dtype)
    return q, r
