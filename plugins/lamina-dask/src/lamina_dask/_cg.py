"""Conjugate gradients with a distributed matrix-vector product.

The matrix lives on the cluster as row blocks (dense NumPy blocks of a dask array, or
CSR blocks of a SciPy / lamina sparse matrix), persisted once before the iteration.  Every
iteration sends the search direction ``p`` (n numbers) to the workers, each computes its
rows of ``A p`` with lamina's GEMV / SpMV, and the client gathers them and runs the
vector recurrences with lamina's level-1 kernels.  Cost per iteration: one pass over A,
spread over the workers, plus 2n numbers of traffic per block and one round trip.

If a worker dies, Dask recomputes its persisted blocks from their lineage and the
iteration resumes with the same numbers (the client holds the iterates), so the result
is the one an undisturbed run gives.
"""

import math
import warnings

import dask
import dask.array as da
import numpy as np

from lamina_dask import _threads
from lamina_dask._common import CORE, as_dask, float_dtype


def _block_matvec(block, p, n_threads):
    import lamina
    import lamina.sparse

    if lamina.sparse.is_sparse(block):
        return lamina.sparse.csr_matvec(block, p, n_threads=n_threads, backend=CORE)
    return lamina.matvec(block, p, n_threads=n_threads, backend=CORE)


def _all_finite(block):
    data = block.data if hasattr(block, "indptr") else block
    return bool(np.isfinite(np.asarray(data)).all())


def _is_host_sparse(a):
    return hasattr(a, "tocsr") and hasattr(a, "nnz") and hasattr(a, "shape") or \
        (hasattr(a, "indptr") and hasattr(a, "indices") and hasattr(a, "data"))


def _row_operator(A, rows_hint):
    """Persisted row blocks of ``A``, their row counts, the shape and dtype."""
    if isinstance(A, da.Array):
        a = as_dask(A, "A", ndim=2)
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"A must be square, got shape {a.shape}")
        a = a.rechunk({1: -1})
        blocks = list(a.to_delayed()[:, 0])
        return blocks, a.chunks[0], a.shape, a.dtype
    if _is_host_sparse(A):
        csr = A.tocsr() if hasattr(A, "tocsr") else A
        shape = tuple(csr.shape)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"A must be square, got shape {shape}")
        dtype = float_dtype(csr.dtype, "A")
        if not np.isfinite(np.asarray(csr.data)).all():
            raise ValueError("A must not contain NaN or Inf")
        import scipy.sparse as sp

        csr = sp.csr_array((np.asarray(csr.data, dtype=dtype), csr.indices, csr.indptr),
                           shape=shape)
        bounds = np.cumsum((0,) + tuple(rows_hint))
        blocks = [dask.delayed(csr[int(bounds[i]):int(bounds[i + 1])], pure=True)
                  for i in range(len(rows_hint))]
        return blocks, tuple(rows_hint), shape, dtype
    arr = np.asarray(A)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"A must be square, got shape {arr.shape}")
    return _row_operator(da.from_array(arr, chunks=(rows_hint, -1)), rows_hint)


def cg(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
       progress=False):
    import lamina
    from lamina.solvers import SolveResult

    rtol, atol = float(rtol), float(atol)
    if not rtol >= 0 or not atol >= 0:
        raise ValueError(f"rtol and atol must be >= 0, got {rtol} and {atol}")
    if maxiter is not None and (isinstance(maxiter, bool) or int(maxiter) != maxiter
                                or maxiter < 0):
        raise ValueError(f"maxiter must be a non-negative int or None, got {maxiter!r}")
    if M is not None:
        raise lamina.BackendNotImplemented("lamina-dask's cg takes no preconditioner")
    bd = as_dask(b, "b")
    if bd.ndim != 1:
        raise lamina.BackendNotImplemented("lamina-dask's cg takes one right-hand side")
    rows = bd.chunks[0]
    blocks, rows, shape, a_dtype = _row_operator(A, rows)
    n = shape[0]
    if bd.shape[0] != n:
        raise ValueError(f"b has shape {bd.shape} but A has shape {shape}: b must have {n} "
                         "rows")
    dtype = np.result_type(a_dtype, bd.dtype)
    b_np = np.asarray(bd.compute(), dtype=dtype)
    if not np.isfinite(b_np).all():
        raise ValueError("b must not contain NaN or Inf")
    x = np.zeros(n, dtype) if x0 is None else np.array(
        as_dask(x0, "x0", ndim=1).compute(), dtype=dtype)
    if x.shape != b_np.shape:
        raise ValueError(f"x0 has shape {x.shape}, expected {b_np.shape}")
    threads = _threads.current()
    # Persisted once: the finiteness check and every iteration read the same blocks.
    blocks = list(dask.persist(*blocks))
    if not all(dask.compute(*[dask.delayed(_all_finite, pure=True)(blk) for blk in blocks])):
        raise ValueError("A must not contain NaN or Inf")

    def apply(v):
        pv = dask.delayed(v, pure=True)
        parts = [dask.delayed(_block_matvec, pure=True)(blk, pv, threads) for blk in blocks]
        return np.concatenate(dask.compute(*parts)).astype(dtype, copy=False) if parts \
            else np.zeros(0, dtype)

    maxiter = 10 * n if maxiter is None else int(maxiter)
    bnorm = float(lamina.blas.nrm2(b_np, backend=CORE)) if n else 0.0
    tol = max(rtol * bnorm, atol)
    r = b_np - apply(x) if x0 is not None else b_np.copy()
    res = float(lamina.blas.nrm2(r, backend=CORE)) if n else 0.0
    history = [res]
    p = r.copy()
    rr = res * res
    it = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=maxiter, desc="cg (dask)", unit="it", leave=False)
    try:
        while True:
            if res <= tol:
                reason = (f"converged: ||r|| = {res:.3g} <= tol = {tol:.3g} after {it} "
                          "iterations")
                break
            if it >= maxiter:
                reason = (f"maxiter reached: {maxiter} iterations done, ||r|| = {res:.3g} > "
                          f"tol = {tol:.3g}")
                break
            if not math.isfinite(res):
                reason = f"diverged at iteration {it}: ||r|| = {res:.3g} is non-finite"
                break
            ap = apply(p)
            pap = float(lamina.dot(p, ap, backend=CORE))
            if pap <= 0:
                reason = (f"breakdown at iteration {it + 1}: p^T A p <= 0, so A is not "
                          "symmetric positive definite")
                break
            alpha = rr / pap
            lamina.axpy(alpha, p, x, out=x, backend=CORE)
            lamina.axpy(-alpha, ap, r, out=r, backend=CORE)
            rr_new = float(lamina.dot(r, r, backend=CORE))
            res = math.sqrt(max(rr_new, 0.0))
            lamina.axpy(1.0, r, lamina.blas.scal(rr_new / rr, p, backend=CORE), out=p,
                        backend=CORE)
            rr = rr_new
            it += 1
            history.append(res)
            if bar is not None:
                bar.update(1)
            if callback is not None:
                callback(x)
    finally:
        if bar is not None:
            bar.close()
    converged = res <= tol
    if not converged:
        warnings.warn(f"cg did not converge: {reason}", lamina.ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(da.from_array(x, chunks=(rows,)), converged, it, res,
                       np.asarray(history, dtype=np.float64), reason)
