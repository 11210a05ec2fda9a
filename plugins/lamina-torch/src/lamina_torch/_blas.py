"""BLAS-style operations on tensors: levels 1, 2 and 3 with lamina's signatures.

``n_threads`` is accepted for signature compatibility and ignored: PyTorch's own
intra-op pool (``torch.set_num_threads``) runs CPU tensors, and CUDA streams run GPU ones.
"""

import torch

from lamina_torch._common import as_float, common, device_of, write_out

_ACTIVATIONS = {
    None: None,
    "relu": torch.relu,
    "gelu": lambda r: torch.nn.functional.gelu(r, approximate="none"),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


def _same_length(x, y):
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")


class BlasOps:
    # -- level 1 ------------------------------------------------------------------------
    def dot(self, x, y, *, n_threads=None):
        dev = device_of(x, y)
        x, y = common(as_float(x, "x", dev, ndim=1), as_float(y, "y", dev, ndim=1))
        _same_length(x, y)
        return torch.dot(x, y)

    def axpy(self, alpha, x, y, *, out=None, n_threads=None):
        dev = device_of(x, y, out)
        x, y = common(as_float(x, "x", dev, ndim=1), as_float(y, "y", dev, ndim=1))
        _same_length(x, y)
        return write_out(out, torch.add(y, x, alpha=float(alpha)))

    def scal(self, alpha, x, *, out=None, n_threads=None):
        dev = device_of(x, out)
        x = as_float(x, "x", dev, ndim=1)
        return write_out(out, x * float(alpha))

    def nrm2(self, x, *, n_threads=None):
        # Scaled by max|x| as reference BLAS does, so |x| near the overflow or underflow
        # threshold still gives the exact norm.
        x = as_float(x, "x", device_of(x), ndim=1)
        if x.numel() == 0:
            return torch.zeros((), dtype=x.dtype, device=x.device)
        m = x.abs().amax()
        ok = (m > 0) & torch.isfinite(m)
        scale = torch.where(ok, m, torch.ones_like(m))
        return torch.where(ok, scale * torch.linalg.vector_norm(x / scale), m)

    def asum(self, x, *, n_threads=None):
        x = as_float(x, "x", device_of(x), ndim=1)
        return x.abs().sum()

    def iamax(self, x):
        x = as_float(x, "x", device_of(x), ndim=1)
        if x.numel() == 0:
            raise ValueError("iamax of an empty vector is undefined")
        return int(torch.argmax(x.abs()))

    def vector_norm(self, x, ord=2, axis=None, keepdims=False):
        x = as_float(x, "x", device_of(x))
        return torch.linalg.vector_norm(x, ord=ord, dim=axis, keepdim=keepdims)

    # -- level 2 ------------------------------------------------------------------------
    def gemv(self, alpha, a, x, beta=0.0, y=None, *, trans=False, out=None, n_threads=None):
        dev = device_of(a, x, y, out)
        a, x = as_float(a, "a", dev, ndim=2), as_float(x, "x", dev, ndim=1)
        op = a.mT if trans else a
        if op.shape[1] != x.shape[0]:
            raise ValueError(f"x has shape {tuple(x.shape)} but op(a) has shape "
                             f"{tuple(op.shape)}")
        if beta != 0:
            if y is None:
                raise ValueError("y is required when beta != 0")
            y = as_float(y, "y", dev, ndim=1)
            if y.shape[0] != op.shape[0]:
                raise ValueError(f"y has shape {tuple(y.shape)}, expected ({op.shape[0]},)")
            op, x, y = common(op, x, y)
            return write_out(out, torch.addmv(y, op, x, beta=float(beta), alpha=float(alpha)))
        op, x = common(op, x)
        return write_out(out, torch.mv(op, x) * float(alpha))

    def ger(self, alpha, x, y, a, *, out=None, n_threads=None):
        dev = device_of(x, y, a, out)
        x, y, a = common(as_float(x, "x", dev, ndim=1), as_float(y, "y", dev, ndim=1),
                         as_float(a, "a", dev, ndim=2))
        if tuple(a.shape) != (x.shape[0], y.shape[0]):
            raise ValueError(f"a has shape {tuple(a.shape)}, expected (len(x), len(y))")
        return write_out(out, torch.addr(a, x, y, alpha=float(alpha)))

    def matvec(self, a, x, *, out=None, n_threads=None):
        dev = device_of(a, x, out)
        a, x = common(as_float(a, "a", dev, min_ndim=2), as_float(x, "x", dev, min_ndim=1))
        if a.shape[-1] != x.shape[-1]:
            raise ValueError(f"matvec: shapes {tuple(a.shape)} and {tuple(x.shape)} do not "
                             "match")
        try:
            result = torch.matmul(a, x.unsqueeze(-1)).squeeze(-1)
        except RuntimeError as exc:
            raise ValueError(f"matvec: {exc}") from None
        return write_out(out, result)

    def outer(self, x, y, *, out=None, n_threads=None):
        dev = device_of(x, y, out)
        x, y = common(as_float(x, "x", dev).reshape(-1), as_float(y, "y", dev).reshape(-1))
        return write_out(out, torch.outer(x, y))

    # -- level 3 ------------------------------------------------------------------------
    def matmul(self, a, b, out=None, *, n_threads=None):
        dev = device_of(a, b, out)
        a, b = common(as_float(a, "a", dev), as_float(b, "b", dev))
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: operands must be at least 1-dimensional (use * for "
                             "scalars)")
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != k_b:
            raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                             "match in the contracted dimension")
        try:
            result = torch.matmul(a, b)
        except RuntimeError as exc:
            raise ValueError(f"matmul: {exc}") from None
        return write_out(out, result)

    def gemm(self, a, b, c=None, *, alpha=1.0, beta=0.0, trans_a=False, trans_b=False,
             bias=None, activation=None, out=None, n_threads=None):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"gemm: unknown activation {activation!r}; expected one of "
                             "None, 'relu', 'gelu', 'sigmoid', 'tanh'")
        dev = device_of(a, b, c, bias, out)
        a, b = as_float(a, "a", dev, ndim=2), as_float(b, "b", dev, ndim=2)
        op_a, op_b = (a.mT if trans_a else a), (b.mT if trans_b else b)
        if op_a.shape[1] != op_b.shape[0]:
            raise ValueError(f"gemm: shapes {tuple(op_a.shape)} and {tuple(op_b.shape)} do "
                             "not match")
        m, n = op_a.shape[0], op_b.shape[1]
        arrays = [op_a, op_b]
        if beta != 0:
            if c is None:
                raise ValueError("gemm: c is required when beta != 0")
            c = as_float(c, "c", dev)
            if c.ndim > 2 or torch.broadcast_shapes(c.shape, (m, n)) != (m, n):
                raise ValueError(f"gemm: c has shape {tuple(c.shape)}, expected ({m}, {n})")
            arrays.append(c)
        if bias is not None:
            bias = as_float(bias, "bias", dev, ndim=1)
            if bias.shape[0] != n:
                raise ValueError(f"gemm: bias must have one value per column ({n}), got "
                                 f"shape {tuple(bias.shape)}")
            arrays.append(bias)
        arrays = common(*arrays)
        op_a, op_b = arrays[0], arrays[1]
        if beta != 0:
            # beta * c + alpha * a @ b in one BLAS call; c is never read when beta == 0.
            r = torch.addmm(arrays[2].expand(m, n), op_a, op_b, beta=float(beta),
                            alpha=float(alpha))
        else:
            r = torch.mm(op_a, op_b)
            if alpha != 1:
                r.mul_(float(alpha))
        if bias is not None:
            r.add_(arrays[-1])
        act = _ACTIVATIONS[activation]
        if act is not None:
            r = act(r)
        return write_out(out, r)

    def _triangle(self, a, b, side, lower, trans_a, name):
        if side not in ("left", "right"):
            raise ValueError(f"{name}: side must be 'left' or 'right', got {side!r}")
        dev = device_of(a, b)
        a, b = common(as_float(a, "a", dev, ndim=2), as_float(b, "b", dev, ndim=2))
        k = b.shape[0] if side == "left" else b.shape[1]
        if tuple(a.shape) != (k, k):
            raise ValueError(f"{name}: a has shape {tuple(a.shape)}, expected {(k, k)}")
        t = torch.tril(a) if lower else torch.triu(a)
        upper = not lower
        if trans_a:
            t, upper = t.mT, lower
        return t, b, upper

    def trsm(self, a, b, *, alpha=1.0, side="left", lower=False, trans_a=False,
             unit_diagonal=False, overwrite_b=False, n_threads=None):
        t, b, upper = self._triangle(a, b, side, lower, trans_a, "trsm")
        if not unit_diagonal and t.numel() and bool((torch.diagonal(t) == 0).any()):
            i = int(torch.nonzero(torch.diagonal(t) == 0)[0, 0])
            from lamina import LinAlgError
            raise LinAlgError(f"trsm: a is singular (zero diagonal entry {i})")
        rhs = b * float(alpha)
        if b.numel() == 0:
            return rhs
        return torch.linalg.solve_triangular(t, rhs, upper=upper, left=side == "left",
                                             unitriangular=bool(unit_diagonal))

    def trmm(self, a, b, *, alpha=1.0, side="left", lower=False, trans_a=False,
             unit_diagonal=False, overwrite_b=False, n_threads=None):
        t, b, _ = self._triangle(a, b, side, lower, trans_a, "trmm")
        if unit_diagonal:
            t = t.clone()
            t.diagonal().fill_(1)
        r = t @ b if side == "left" else b @ t
        return r * float(alpha)

    def syrk(self, a, c=None, *, alpha=1.0, beta=0.0, lower=False, trans=False, out=None,
             n_threads=None):
        dev = device_of(a, c, out)
        a = as_float(a, "a", dev, ndim=2)
        op = a.mT if trans else a
        n = op.shape[0]
        if c is None:
            if beta != 0:
                raise ValueError("syrk: c is required when beta != 0")
            c = torch.zeros((n, n), dtype=a.dtype, device=dev)
        op, c = common(op, as_float(c, "c", dev, ndim=2))
        if tuple(c.shape) != (n, n):
            raise ValueError(f"syrk: c has shape {tuple(c.shape)}, expected {(n, n)}")
        if beta != 0:
            full = torch.addmm(c, op, op.mT, beta=float(beta), alpha=float(alpha))
        else:
            full = torch.mm(op, op.mT) * float(alpha)
        mask = torch.ones((n, n), dtype=torch.bool, device=dev)
        mask = torch.tril(mask) if lower else torch.triu(mask)
        return write_out(out, torch.where(mask, full, c))
