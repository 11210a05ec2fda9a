"""Sparse products and conjugate gradients on tensors.

Matrices may be dense tensors, ``torch.sparse_csr`` (or COO) tensors, host CSR matrices
(SciPy sparse or :class:`lamina.sparse.CSR`; wrapped as a CPU CSR tensor, so only for
calls that run on the CPU) or matrix-free operators with a ``matvec`` method.
"""

import math
import warnings

import numpy as np
import torch

from lamina_torch._common import as_float, check_finite, device_of, on_device, write_out

_SPARSE_LAYOUTS = (torch.sparse_csr, torch.sparse_coo)


def _is_host_sparse(a):
    return hasattr(a, "indptr") and hasattr(a, "indices") and hasattr(a, "data") or \
        (hasattr(a, "tocsr") and hasattr(a, "nnz") and hasattr(a, "shape"))


def as_sparse(a, name, dev):
    """``a`` as a float sparse tensor on ``dev`` (CSR for host CSR inputs)."""
    if isinstance(a, torch.Tensor):
        if a.layout not in _SPARSE_LAYOUTS:
            raise TypeError(f"{name} must be a sparse tensor (torch.sparse_csr), got layout "
                            f"{a.layout}")
        on_device(a, name, dev)
        if a.dtype not in (torch.float32, torch.float64):
            if a.dtype.is_complex:
                raise TypeError(f"{name}: complex input is not supported")
            a = a.to(torch.float64)
        return a
    if _is_host_sparse(a):
        if dev.type != "cpu":
            raise TypeError(f"{name} is a host sparse matrix but the other inputs are tensors "
                            f"on {dev}; convert it with torch.sparse_csr_tensor(..., "
                            f"device={str(dev)!r}) first")
        csr = a.tocsr() if hasattr(a, "tocsr") else a
        data = np.asarray(csr.data)
        if data.dtype.kind == "c":
            raise TypeError(f"{name}: complex input is not supported")
        if data.dtype not in (np.float32, np.float64):
            data = data.astype(np.float64)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
            return torch.sparse_csr_tensor(
                torch.as_tensor(np.asarray(csr.indptr, dtype=np.int64)),
                torch.as_tensor(np.asarray(csr.indices, dtype=np.int64)),
                torch.as_tensor(np.array(data)), size=tuple(csr.shape),
                check_invariants=True)
    raise TypeError(f"{name} must be a sparse matrix, got {type(a).__name__}")


def _sparse_values(a):
    return a.values() if a.layout == torch.sparse_csr else a.coalesce().values()


class _Operator:
    """``A`` of a solve: ``apply(x)``, ``shape``, ``dtype`` (None for matrix-free)."""

    def __init__(self, A, dev, name="A"):
        self.fn = None
        if isinstance(A, torch.Tensor) and A.layout in _SPARSE_LAYOUTS or _is_host_sparse(A):
            self.mat = as_sparse(A, name, dev)
            check_finite(_sparse_values(self.mat), name)
        elif isinstance(A, torch.Tensor) or isinstance(A, np.ndarray | list):
            self.mat = as_float(A, name, dev, ndim=2)
            check_finite(self.mat, name)
        elif hasattr(A, "matvec") and hasattr(A, "shape"):
            self.mat, self.fn = None, A.matvec
        elif callable(A):
            raise TypeError(f"{name}: a bare callable has no shape; wrap it with "
                            "lamina.solvers.aslinearoperator(fn, shape)")
        else:
            raise TypeError(f"{name} must be a tensor, a sparse matrix or a linear operator, "
                            f"got {type(A).__name__}")
        self.shape = tuple(self.mat.shape) if self.mat is not None else tuple(A.shape)
        self.dtype = self.mat.dtype if self.mat is not None else None
        if len(self.shape) != 2 or self.shape[0] != self.shape[1]:
            raise ValueError(f"{name} must be square, got shape {self.shape}")

    def cast(self, dtype):
        if self.mat is not None and self.mat.dtype != dtype:
            self.mat = self.mat.to(dtype)
        return self

    def apply(self, x):
        if self.fn is not None:
            y = self.fn(x)
            if not isinstance(y, torch.Tensor) or y.device != x.device:
                raise TypeError("the operator's matvec must return a tensor on the input's "
                                "device")
            return y.to(x.dtype).reshape(x.shape)
        return torch.mv(self.mat, x) if self.mat.layout == torch.strided else \
            (self.mat @ x.unsqueeze(1))[:, 0]


def _solve_result(x, converged, it, res, history, reason, method):
    from lamina.solvers import SolveResult

    if not converged:
        from lamina import ConvergenceWarning
        warnings.warn(f"{method} did not converge: {reason}", ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(x, bool(converged), int(it), float(res),
                       np.asarray(history, dtype=np.float64), reason)


class SolverOps:
    def csr_matvec(self, a, x, *, out=None, n_threads=None):
        dev = device_of(a, x, out)
        a = as_sparse(a, "a", dev)
        x = as_float(x, "x", dev, ndim=1)
        if x.shape[0] != a.shape[1]:
            raise ValueError(f"x has shape {tuple(x.shape)} but a has shape {tuple(a.shape)}")
        dtype = torch.promote_types(a.dtype, x.dtype)
        return write_out(out, (a.to(dtype) @ x.to(dtype).unsqueeze(1))[:, 0])

    def csr_matmat(self, a, b, *, out=None, n_threads=None):
        dev = device_of(a, b, out)
        a = as_sparse(a, "a", dev)
        b = as_float(b, "b", dev, ndim=2)
        if b.shape[0] != a.shape[1]:
            raise ValueError(f"b has shape {tuple(b.shape)} but a has shape {tuple(a.shape)}")
        dtype = torch.promote_types(a.dtype, b.dtype)
        return write_out(out, a.to(dtype) @ b.to(dtype))

    def cg(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
           progress=False, n_threads=None):
        """Preconditioned conjugate gradients (Hestenes-Stiefel), one matvec per iteration;
        the residual norm is read back each iteration for the stopping test."""
        rtol, atol = float(rtol), float(atol)
        if not rtol >= 0 or not atol >= 0:
            raise ValueError(f"rtol and atol must be >= 0, got {rtol} and {atol}")
        if maxiter is not None and (isinstance(maxiter, bool) or int(maxiter) != maxiter
                                    or maxiter < 0):
            raise ValueError(f"maxiter must be a non-negative int or None, got {maxiter!r}")
        dev = device_of(A, b, x0, M)
        op = _Operator(A, dev)
        n = op.shape[0]
        b = as_float(b, "b", dev)
        if b.ndim != 1:
            from lamina import BackendNotImplemented
            raise BackendNotImplemented("lamina-torch's cg takes one right-hand side (b of "
                                        "shape (n,))")
        check_finite(b, "b")
        if b.shape[0] != n:
            raise ValueError(f"b has shape {tuple(b.shape)} but A has shape {op.shape}: b "
                             f"must have {n} rows")
        dtype = b.dtype if op.dtype is None else torch.promote_types(b.dtype, op.dtype)
        if x0 is not None:
            x0 = as_float(x0, "x0", dev, ndim=1)
            if x0.shape != b.shape:
                raise ValueError(f"x0 has shape {tuple(x0.shape)}, expected "
                                 f"{tuple(b.shape)} (b's shape)")
            check_finite(x0, "x0")
            dtype = torch.promote_types(dtype, x0.dtype)
        op.cast(dtype)
        b = b.to(dtype)
        precond = None
        if M is not None:
            precond = _Operator(M, dev, "M").cast(dtype)
            if precond.shape != op.shape:
                raise ValueError(f"M has shape {precond.shape}, A has shape {op.shape}")
        maxiter = 10 * n if maxiter is None else int(maxiter)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=maxiter, desc="cg", unit="it", leave=False)
        x = torch.zeros_like(b) if x0 is None else x0.to(dtype).clone()
        r = b - op.apply(x) if x0 is not None else b.clone()
        bnorm = float(torch.linalg.vector_norm(b))
        tol = max(rtol * bnorm, atol)
        res = float(torch.linalg.vector_norm(r))
        history = [res]
        it = 0
        reason = None
        z = precond.apply(r) if precond is not None else r
        p = z.clone()
        rz = torch.dot(r, z)
        try:
            while True:
                if res <= tol:
                    reason = (f"converged: ||r|| = {res:.3g} <= tol = {tol:.3g} after {it} "
                              "iterations")
                    break
                if it >= maxiter:
                    reason = (f"maxiter reached: {maxiter} iterations done, ||r|| = "
                              f"{res:.3g} > tol = {tol:.3g}")
                    break
                if not math.isfinite(res):
                    reason = f"diverged at iteration {it}: ||r|| = {res:.3g} is non-finite"
                    break
                ap = op.apply(p)
                pap = torch.dot(p, ap)
                if float(pap) <= 0:
                    reason = (f"breakdown at iteration {it + 1}: p^T A p <= 0, so A is not "
                              "symmetric positive definite")
                    break
                alpha = rz / pap
                x.addcmul_(alpha, p)
                r.addcmul_(alpha, ap, value=-1)
                if precond is not None:
                    z = precond.apply(r)
                    rz_new = torch.dot(r, z)
                    res = float(torch.linalg.vector_norm(r))
                else:
                    z = r
                    rz_new = torch.dot(r, r)
                    res = math.sqrt(max(float(rz_new), 0.0))
                p.mul_(rz_new / rz).add_(z)
                rz = rz_new
                it += 1
                history.append(res)
                if bar is not None:
                    bar.update(1)
                if callback is not None:
                    callback(x)
        finally:
            if bar is not None:
                bar.close()
        return _solve_result(x, res <= tol, it, res, history, reason, "cg")
