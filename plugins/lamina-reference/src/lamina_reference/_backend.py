"""The reference backend: each operation as the obvious NumPy expression.

Signatures match lamina's core operations exactly (``n_threads`` is accepted and ignored:
NumPy chooses its own threads).  Inputs get the same dtype policy as the core so results
compare dtype for dtype.
"""

import numpy as np

from lamina_reference import __version__


def _float(x, name, ndim=None):
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name}: complex input is not supported")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be array-like of numbers")
    if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def _common(*arrays):
    dtype = np.result_type(*arrays)
    return tuple(a.astype(dtype, copy=False) for a in arrays)


def _write(out, value):
    if out is None:
        return value
    out[...] = value
    return out


class ReferenceBackend:
    """lamina's NumPy oracle backend."""

    name = "reference"
    __version__ = __version__

    def asarray(self, x, *, device=None):
        if device not in (None, "cpu"):
            raise ValueError(f"the reference backend runs on the CPU only, not {device!r}")
        return np.asarray(x)

    def to_numpy(self, x):
        return np.asarray(x)

    # -- level 1 ------------------------------------------------------------------------
    def dot(self, x, y, *, n_threads=None):
        x, y = _common(_float(x, "x", 1), _float(y, "y", 1))
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same length, got {x.shape} and {y.shape}")
        return x.dtype.type(np.dot(x, y))

    def axpy(self, alpha, x, y, *, out=None, n_threads=None):
        x, y = _common(_float(x, "x", 1), _float(y, "y", 1))
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same length, got {x.shape} and {y.shape}")
        return _write(out, (x.dtype.type(alpha) * x + y).astype(x.dtype))

    def scal(self, alpha, x, *, out=None, n_threads=None):
        x = _float(x, "x", 1)
        return _write(out, x.dtype.type(alpha) * x)

    def nrm2(self, x, *, n_threads=None):
        # numpy.linalg.norm squares without scaling and overflows for |x| > 1e154 (float64):
        # scale by max|x| as reference BLAS does.
        x = _float(x, "x", 1)
        m = np.max(np.abs(x), initial=x.dtype.type(0))
        if m == 0 or not np.isfinite(m):
            return x.dtype.type(m if np.isnan(x).sum() == 0 else np.nan)
        return x.dtype.type(m * np.sqrt(np.sum((x / m) ** 2)))

    def asum(self, x, *, n_threads=None):
        x = _float(x, "x", 1)
        return x.dtype.type(np.abs(x).sum())

    def iamax(self, x):
        x = _float(x, "x", 1)
        if x.size == 0:
            raise ValueError("iamax of an empty vector is undefined")
        return int(np.argmax(np.abs(x)))

    def vector_norm(self, x, ord=2, axis=None, keepdims=False):
        x = _float(x, "x")
        result = np.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims)
        return result.astype(x.dtype) if isinstance(result, np.ndarray) else x.dtype.type(result)

    # -- level 2 ------------------------------------------------------------------------
    def gemv(self, alpha, a, x, beta=0.0, y=None, *, trans=False, out=None, n_threads=None):
        a, x = _float(a, "a", 2), _float(x, "x", 1)
        op = a.T if trans else a
        if op.shape[1] != x.shape[0]:
            raise ValueError(f"x has shape {x.shape} but op(a) has shape {op.shape}")
        arrays = [op, x] + ([_float(y, "y", 1)] if beta != 0 else [])
        if beta != 0 and y is None:
            raise ValueError("y is required when beta != 0")
        arrays = _common(*arrays)
        result = arrays[0].dtype.type(alpha) * (arrays[0] @ arrays[1])
        if beta != 0:
            result = result + arrays[0].dtype.type(beta) * arrays[2]
        return _write(out, result.astype(arrays[0].dtype, copy=False))

    def ger(self, alpha, x, y, a, *, out=None, n_threads=None):
        x, y, a = _common(_float(x, "x", 1), _float(y, "y", 1), _float(a, "a", 2))
        if a.shape != (x.shape[0], y.shape[0]):
            raise ValueError(f"a has shape {a.shape}, expected (len(x), len(y))")
        return _write(out, a + a.dtype.type(alpha) * np.outer(x, y))

    def matvec(self, a, x, *, out=None, n_threads=None):
        a, x = _common(_float(a, "a"), _float(x, "x"))
        if a.ndim < 2 or x.ndim < 1 or a.shape[-1] != x.shape[-1]:
            raise ValueError(f"matvec: shapes {a.shape} and {x.shape} do not match")
        try:
            return _write(out, np.matvec(a, x))
        except ValueError as exc:
            raise ValueError(f"matvec: {exc}") from None

    def outer(self, x, y, *, out=None, n_threads=None):
        x, y = _common(_float(x, "x").ravel(), _float(y, "y").ravel())
        return _write(out, np.outer(x, y))

    # -- level 3 ------------------------------------------------------------------------
    def matmul(self, a, b, out=None, *, n_threads=None):
        a, b = _common(_float(a, "a"), _float(b, "b"))
        try:
            return _write(out, np.matmul(a, b))
        except ValueError as exc:
            raise ValueError(f"matmul: {exc}") from None

    def gemm(self, a, b, c=None, *, alpha=1.0, beta=0.0, trans_a=False, trans_b=False,
             bias=None, activation=None, out=None, n_threads=None):
        a, b = _float(a, "a", 2), _float(b, "b", 2)
        op_a, op_b = (a.T if trans_a else a), (b.T if trans_b else b)
        if op_a.shape[1] != op_b.shape[0]:
            raise ValueError(f"gemm: shapes {op_a.shape} and {op_b.shape} do not match")
        if activation not in (None, "relu", "gelu", "sigmoid", "tanh"):
            raise ValueError(f"gemm: unknown activation {activation!r}")
        arrays = [op_a, op_b]
        if beta != 0:
            if c is None:
                raise ValueError("gemm: c is required when beta != 0")
            arrays.append(_float(c, "c"))
        if bias is not None:
            arrays.append(_float(bias, "bias", 1))
            if arrays[-1].shape[0] != op_b.shape[1]:
                raise ValueError("gemm: bias must have one value per column")
        arrays = _common(*arrays)
        t = arrays[0].dtype.type
        r = t(alpha) * (arrays[0] @ arrays[1]) if op_a.shape[1] else \
            np.zeros((op_a.shape[0], op_b.shape[1]), arrays[0].dtype)
        i = 2
        if beta != 0:
            r = r + t(beta) * arrays[i]
            i += 1
        if bias is not None:
            r = r + arrays[i]
        if activation == "relu":
            r = np.where(r < 0, t(0), r)
        elif activation == "gelu":
            from math import erf, sqrt
            erf_v = np.vectorize(erf, otypes=[np.float64])
            r = 0.5 * r * (1 + erf_v(r.astype(np.float64) / sqrt(2)))
        elif activation == "sigmoid":
            r = 0.5 * (1 + np.tanh(0.5 * r))
        elif activation == "tanh":
            r = np.tanh(r)
        return _write(out, np.asarray(r, dtype=arrays[0].dtype))

    def _triangle(self, a, b, side, lower, trans_a, unit_diagonal, name):
        a, b = _common(_float(a, "a", 2), _float(b, "b", 2))
        if side not in ("left", "right"):
            raise ValueError(f"{name}: side must be 'left' or 'right'")
        k = b.shape[0] if side == "left" else b.shape[1]
        if a.shape != (k, k):
            raise ValueError(f"{name}: a has shape {a.shape}, expected {(k, k)}")
        t = np.tril(a) if lower else np.triu(a)
        if unit_diagonal:
            np.fill_diagonal(t, 1)
        return (t.T if trans_a else t), b

    def trsm(self, a, b, *, alpha=1.0, side="left", lower=False, trans_a=False,
             unit_diagonal=False, overwrite_b=False, n_threads=None):
        t, b = self._triangle(a, b, side, lower, trans_a, unit_diagonal, "trsm")
        if t.size and np.any(np.diagonal(t) == 0):
            raise np.linalg.LinAlgError("trsm: a is singular")
        rhs = b.dtype.type(alpha) * b
        if b.size == 0:
            return rhs.copy()
        if side == "left":
            return np.linalg.solve(t, rhs).astype(b.dtype)
        return np.linalg.solve(t.T, rhs.T).T.astype(b.dtype)

    def trmm(self, a, b, *, alpha=1.0, side="left", lower=False, trans_a=False,
             unit_diagonal=False, overwrite_b=False, n_threads=None):
        t, b = self._triangle(a, b, side, lower, trans_a, unit_diagonal, "trmm")
        r = t @ b if side == "left" else b @ t
        return (b.dtype.type(alpha) * r).astype(b.dtype)

    def syrk(self, a, c=None, *, alpha=1.0, beta=0.0, lower=False, trans=False, out=None,
             n_threads=None):
        a = _float(a, "a", 2)
        op = a.T if trans else a
        n = op.shape[0]
        if c is None:
            if beta != 0:
                raise ValueError("syrk: c is required when beta != 0")
            c = np.zeros((n, n), a.dtype)
        op, c = _common(op, _float(c, "c", 2))
        if c.shape != (n, n):
            raise ValueError(f"syrk: c has shape {c.shape}, expected {(n, n)}")
        t = op.dtype.type
        full = t(alpha) * (op @ op.T) + (t(beta) * c if beta != 0 else 0)
        mask = np.tri(n, dtype=bool) if lower else np.tri(n, dtype=bool).T
        return _write(out, np.where(mask, full, c).astype(op.dtype))
    # -- losses: the textbook formulas, two passes and full temporaries -------------------
    def linear_softmax_cross_entropy(self, h, weight, bias, target, *, ignore_index=None,
                                     reduction="mean", sample_weight=None, chunk_bytes=None,
                                     n_threads=None):
        arrays = [_float(h, "h", 2), _float(weight, "weight", 2)]
        if bias is not None:
            arrays.append(_float(bias, "bias", 1))
        arrays = _common(*arrays)
        h, weight = arrays[0], arrays[1]
        if weight.shape[1] != h.shape[1]:
            raise ValueError(f"weight has shape {weight.shape}, expected (V, {h.shape[1]})")
        if reduction not in ("mean", "sum"):
            raise ValueError("reduction must be 'mean' or 'sum'")
        logits = h @ weight.T + (arrays[2] if bias is not None else 0)
        loss, g = self.softmax_cross_entropy(logits, target, ignore_index=ignore_index,
                                             reduction=reduction, sample_weight=sample_weight)
        return loss, (g @ weight, g.T @ h, g.sum(axis=0) if bias is not None else None)

    def softmax_cross_entropy(self, logits, target, *, class_weight=None, label_smoothing=0.0,
                              ignore_index=None, reduction="mean", sample_weight=None,
                              grad_out=None, n_threads=None):
        x = _float(logits, "logits", 2)
        n, c = x.shape
        t = np.asarray(target)
        cw = np.ones(c) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
        sw = _weights(sample_weight, n)
        eps = float(label_smoothing)
        keep = np.ones(n, dtype=bool)
        if t.dtype.kind in "iu":
            if t.shape != (n,):
                raise ValueError(f"target must have shape ({n},), got {t.shape}")
            if ignore_index is not None:
                keep = t != ignore_index
            bad = ((t < 0) | (t >= c)) & keep
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"target[{i}] = {t[i]} is not a class index in [0, {c})")
            q = np.zeros((n, c))
            q[np.flatnonzero(keep), t[keep]] = 1.0
            q = (1 - eps) * q + eps / c * keep[:, None]
            denom_w = sw * np.where(keep, cw[np.where(keep, t, 0)], 0.0)
        elif t.dtype.kind == "f" and t.shape == (n, c):
            q = (1 - eps) * t.astype(np.float64) + eps / c
            denom_w = sw
        else:
            raise ValueError("target must be integer labels (N,) or probabilities (N, C)")
        x64 = x.astype(np.float64)
        m = x64.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(x64 - m).sum(axis=1, keepdims=True))
        a = cw * q
        logp = x64 - lse
        # a_j = 0 terms are 0 even where log p_j = -inf
        rows = -(a * np.where(a != 0, logp, 0.0)).sum(axis=1)
        grad = a.sum(axis=1, keepdims=True) * np.exp(logp) - a
        return _reduce(rows * sw, grad * sw[:, None], reduction, denom_w.sum(), x.dtype,
                       grad_out)

    def sigmoid_binary_cross_entropy(self, logits, target, *, pos_weight=None,
                                     reduction="mean", sample_weight=None, grad_out=None,
                                     n_threads=None):
        x, t = _pair(logits, target)
        if ((t < 0) | (t > 1)).any():
            raise ValueError("target must hold probabilities in [0, 1]")
        pw = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
        x64 = x.astype(np.float64)
        softplus = np.logaddexp(0.0, x64)              # -log(1 - sigmoid(x))
        softplus_neg = np.logaddexp(0.0, -x64)         # -log(sigmoid(x))
        sig = 0.5 * (1 + np.tanh(0.5 * x64))
        loss = pw * t * softplus_neg + (1 - t) * softplus
        grad = pw * t * (sig - 1) + (1 - t) * sig
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def mse(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        x, t = _pair(pred, target)
        d = x.astype(np.float64) - t
        return _elementwise_reduce(d * d, 2 * d, x, reduction, sample_weight, grad_out)

    def mae(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        x, t = _pair(pred, target)
        d = x.astype(np.float64) - t
        return _elementwise_reduce(np.abs(d), np.sign(d), x, reduction, sample_weight, grad_out)

    def huber(self, pred, target, *, delta=1.0, reduction="mean", sample_weight=None,
              grad_out=None, n_threads=None):
        x, t = _pair(pred, target)
        d = x.astype(np.float64) - t
        inside = np.abs(d) <= delta
        loss = np.where(inside, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
        grad = np.where(inside, d, delta * np.sign(d))
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def smooth_l1(self, pred, target, *, beta=1.0, reduction="mean", sample_weight=None,
                  grad_out=None, n_threads=None):
        x, t = _pair(pred, target)
        d = x.astype(np.float64) - t
        inside = np.abs(d) < beta
        loss = np.where(inside, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)
        grad = np.where(inside, d / beta, np.sign(d))
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def log_cosh(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
                 n_threads=None):
        x, t = _pair(pred, target)
        d = x.astype(np.float64) - t
        loss = np.logaddexp(d, -d) - np.log(2.0)
        return _elementwise_reduce(loss, np.tanh(d), x, reduction, sample_weight, grad_out)

    def hinge(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
              n_threads=None):
        x = _float(pred, "pred")
        t = np.asarray(target)
        if t.dtype.kind in "iu" and x.ndim == 2 and t.ndim == 1:
            n, c = x.shape
            if t.shape[0] != n:
                raise ValueError(f"target must have shape ({n},), got {t.shape}")
            if ((t < 0) | (t >= c)).any():
                i = int(np.argmax((t < 0) | (t >= c)))
                raise ValueError(f"target[{i}] = {t[i]} is not a class index in [0, {c})")
            x64 = x.astype(np.float64)
            rows = np.arange(n)
            others = x64.copy()
            others[rows, t] = -np.inf
            j = np.argmax(others, axis=1)
            margin = 1 + others[rows, j] - x64[rows, t]
            active = (margin > 0) & (c > 1)
            loss = np.where(active, margin, 0.0)
            grad = np.zeros_like(x64)
            grad[rows[active], j[active]] = 1.0
            grad[rows[active], t[active]] = -1.0
            sw = _weights(sample_weight, n)
            return _reduce(loss * sw, grad * sw[:, None], reduction, sw.sum(), x.dtype,
                           grad_out)
        x, t = _pair(pred, target)
        if not np.isin(t, (-1.0, 1.0)).all():
            raise ValueError("binary hinge target must hold labels -1 or +1")
        m = 1 - t * x.astype(np.float64)
        return _elementwise_reduce(np.maximum(m, 0), np.where(m > 0, -t, 0.0), x, reduction,
                                   sample_weight, grad_out)

    def kl_divergence(self, log_pred, target, *, reduction="mean", sample_weight=None,
                      grad_out=None, n_threads=None):
        x, t = _pair(log_pred, target)
        t64 = t.astype(np.float64)
        safe = np.where(t64 > 0, t64, 1.0)
        loss = np.where(t64 > 0, t64 * (np.log(safe) - x), 0.0)
        return _elementwise_reduce(loss, -t64, x, reduction, sample_weight, grad_out,
                                   per_row_mean=x.ndim > 1)

    def l2_penalty(self, w, lam, *, grad_out=None, n_threads=None):
        x = _float(w, "w")
        return _penalty_result(0.5 * lam * np.sum(x.astype(np.float64) ** 2), lam * x, x,
                               grad_out)

    def l1_penalty(self, w, lam, *, grad_out=None, n_threads=None):
        x = _float(w, "w")
        return _penalty_result(lam * np.sum(np.abs(x.astype(np.float64))), lam * np.sign(x),
                               x, grad_out)

    def elastic_net_penalty(self, w, lam, l1_ratio=0.5, *, grad_out=None, n_threads=None):
        x = _float(w, "w").astype(np.float64)
        r = float(l1_ratio)
        value = lam * (r * np.abs(x).sum() + 0.5 * (1 - r) * (x * x).sum())
        grad = lam * (r * np.sign(x) + (1 - r) * x)
        return _penalty_result(value, grad, _float(w, "w"), grad_out)

    # -- sparse and iterative solvers ----------------------------------------------------
    # SciPy is the oracle here (imported on first use so discovery stays cheap).
    def csr_matvec(self, a, x, *, out=None, n_threads=None):
        a = _scipy_csr(a)
        x = _float(x, "x", 1)
        if x.shape[0] != a.shape[1]:
            raise ValueError(f"x has shape {x.shape} but a has shape {a.shape}")
        dtype = np.result_type(a.dtype, x.dtype)
        return _write(out, np.asarray(a.astype(dtype) @ x.astype(dtype)))

    def csr_matmat(self, a, b, *, out=None, n_threads=None):
        a = _scipy_csr(a)
        b = _float(b, "b", 2)
        if b.shape[0] != a.shape[1]:
            raise ValueError(f"b has shape {b.shape} but a has shape {a.shape}")
        dtype = np.result_type(a.dtype, b.dtype)
        return _write(out, np.asarray(a.astype(dtype) @ b.astype(dtype)))

    def cg(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
           progress=False, n_threads=None):
        return _krylov("cg", A, b, x0, rtol, atol, maxiter, M, callback)

    def minres(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None,
               callback=None, progress=False, n_threads=None):
        return _krylov("minres", A, b, x0, rtol, atol, maxiter, M, callback)

    def gmres(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, restart=None, maxiter=None,
              M=None, callback=None, progress=False, n_threads=None):
        return _krylov("gmres", A, b, x0, rtol, atol, maxiter, M, callback, restart=restart)

    def bicgstab(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None,
                 callback=None, progress=False, n_threads=None):
        return _krylov("bicgstab", A, b, x0, rtol, atol, maxiter, M, callback)

    def jacobi(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, callback=None,
               progress=False, n_threads=None):
        return _stationary("jacobi", A, b, x0, rtol, atol, maxiter, callback, 1.0)

    def gauss_seidel(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None,
                     callback=None, progress=False, n_threads=None):
        return _stationary("gauss_seidel", A, b, x0, rtol, atol, maxiter, callback, 1.0)

    def sor(self, A, b, x0=None, *, omega=1.5, rtol=1e-5, atol=0.0, maxiter=None,
            callback=None, progress=False, n_threads=None):
        if not 0 < omega < 2:
            raise ValueError(f"omega must be in (0, 2), got {omega}")
        return _stationary("sor", A, b, x0, rtol, atol, maxiter, callback, omega)

    # -- linalg (SciPy / NumPy's LAPACK) --------------------------------------------------
    @staticmethod
    def _sl():
        import scipy.linalg

        return scipy.linalg

    def lu_factor(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = _float(a, "a")
        lu, piv = self._sl().lu_factor(a, check_finite=check_finite)
        return lu, piv.astype(np.intp)

    def lu_solve(self, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True, *,
                 n_threads=None):
        lu, piv = lu_and_piv
        return self._sl().lu_solve((np.asarray(lu), np.asarray(piv)), _float(b, "b"),
                                   trans=trans, check_finite=check_finite)

    def lu(self, a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False,
           *, n_threads=None):
        return self._sl().lu(_float(a, "a"), permute_l=permute_l, check_finite=check_finite,
                             p_indices=p_indices)

    def solve(self, a, b, lower=False, overwrite_a=False, overwrite_b=False,
              check_finite=True, assume_a="gen", transposed=False, *, n_threads=None):
        a, b = _common(_float(a, "a"), _float(b, "b"))
        if a.ndim > 2:
            return np.linalg.solve(a, b if b.ndim > 1 else b[..., None])[
                ..., 0] if b.ndim == 1 else np.linalg.solve(a, b)
        return self._sl().solve(a, b, lower=lower, check_finite=check_finite,
                                assume_a=assume_a, transposed=transposed)

    def inv(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        return np.linalg.inv(_float(a, "a"))

    def det(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = _float(a, "a")
        return np.asarray(np.linalg.det(a), dtype=a.dtype)[()]

    def slogdet(self, a, *, n_threads=None):
        a = _float(a, "a")
        sign, logdet = np.linalg.slogdet(a)
        return np.asarray(sign, a.dtype)[()], np.asarray(logdet, a.dtype)[()]

    def cholesky(self, a, lower=False, overwrite_a=False, check_finite=True, *,
                 n_threads=None):
        a = _float(a, "a")
        if a.ndim > 2:
            low = np.linalg.cholesky(a if lower else np.swapaxes(a, -1, -2))
            return low if lower else np.swapaxes(low, -1, -2)
        return self._sl().cholesky(a, lower=lower, check_finite=check_finite)

    def cho_factor(self, a, lower=False, overwrite_a=False, check_finite=True, *,
                   n_threads=None):
        return self._sl().cho_factor(_float(a, "a"), lower=lower, check_finite=check_finite)

    def cho_solve(self, c_and_lower, b, overwrite_b=False, check_finite=True, *,
                  n_threads=None):
        c, lower = c_and_lower
        return self._sl().cho_solve((np.asarray(c), lower), _float(b, "b"),
                                    check_finite=check_finite)

    def solve_triangular(self, a, b, trans=0, lower=False, unit_diagonal=False,
                         overwrite_b=False, check_finite=True, *, n_threads=None):
        a, b = _common(_float(a, "a", 2), _float(b, "b"))
        return self._sl().solve_triangular(a, b, trans=trans, lower=lower,
                                           unit_diagonal=unit_diagonal,
                                           check_finite=check_finite)

    def qr(self, a, mode="reduced", pivoting=False, overwrite_a=False, check_finite=True, *,
           n_threads=None):
        a = _float(a, "a")
        names = {"reduced": "reduced", "economic": "reduced", "complete": "complete",
                 "full": "complete", "r": "r", "raw": "raw"}
        if mode not in names:
            raise ValueError(f"mode must be one of {sorted(names)}, got {mode!r}")
        if pivoting:
            scipy_mode = {"reduced": "economic", "complete": "full"}.get(names[mode], names[mode])
            return self._sl().qr(a, mode=scipy_mode, pivoting=True, check_finite=check_finite)
        if names[mode] == "raw":
            (h, tau), _ = self._sl().qr(a, mode="raw", check_finite=check_finite)
            return h, tau
        return np.linalg.qr(a, mode=names[mode])

    def qr_multiply(self, a, c, mode="right", pivoting=False, conjugate=False,
                    overwrite_a=False, overwrite_c=False, *, n_threads=None):
        a, c = _common(_float(a, "a", 2), _float(c, "c"))
        return self._sl().qr_multiply(a, c, mode=mode, pivoting=pivoting)

    def lstsq(self, a, b, rcond=None, overwrite_a=False, overwrite_b=False,
              check_finite=True, *, n_threads=None):
        a, b = _common(_float(a, "a", 2), _float(b, "b"))
        m, n = a.shape
        cond = np.finfo(a.dtype).eps * max(m, n, 1) if rcond is None else rcond
        x, res, rank, s = self._sl().lstsq(a, b, cond=cond, check_finite=check_finite)
        return x.astype(a.dtype), np.asarray(res, a.dtype), int(rank), s

    def matrix_norm(self, x, ord="fro", keepdims=False):
        x = _float(x, "x")
        return np.asarray(np.linalg.matrix_norm(x, ord=ord, keepdims=keepdims), x.dtype)[()]

    def norm(self, x, ord=None, axis=None, keepdims=False):
        x = _float(x, "x")
        return np.asarray(np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims),
                          x.dtype)[()]

    def cond(self, x, p=None, *, n_threads=None):
        x = _float(x, "x")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                r = np.linalg.cond(x, p)
            except np.linalg.LinAlgError:
                r = np.inf
        return np.asarray(np.where(np.isnan(r), np.inf, r), x.dtype)[()]

    # -- eigenvalues and singular values (NumPy's LAPACK) ----------------------------------
    def eigh(self, a, lower=True, eigvals_only=False, overwrite_a=False, check_finite=True,
             subset_by_index=None, *, n_threads=None):
        a = _float(a, "a")
        if check_finite and not np.all(np.isfinite(a)):
            raise ValueError("a must not contain NaN or Inf")
        if a.shape[-1] != a.shape[-2]:
            raise ValueError(f"a must be square, got shape {a.shape}")
        uplo = "L" if lower else "U"
        n = a.shape[-1]
        lo, hi = (0, n - 1) if subset_by_index is None else (int(v) for v in subset_by_index)
        if n and not 0 <= lo <= hi <= n - 1:
            raise ValueError(f"subset_by_index {subset_by_index!r} out of range")
        if eigvals_only:
            return np.linalg.eigvalsh(a, UPLO=uplo)[..., lo:hi + 1].astype(a.dtype)
        w, v = np.linalg.eigh(a, UPLO=uplo)
        return w[..., lo:hi + 1].astype(a.dtype), v[..., lo:hi + 1].astype(a.dtype)

    def eigvalsh(self, a, lower=True, overwrite_a=False, check_finite=True,
                 subset_by_index=None, *, n_threads=None):
        return self.eigh(a, lower=lower, eigvals_only=True, check_finite=check_finite,
                         subset_by_index=subset_by_index)

    def svd(self, a, full_matrices=True, compute_uv=True, overwrite_a=False,
            check_finite=True, method="auto", *, n_threads=None):
        if method not in ("auto", "gesdd-like", "jacobi"):
            raise ValueError(f"unknown method {method!r}")
        a = _float(a, "a")
        if check_finite and not np.all(np.isfinite(a)):
            raise ValueError("a must not contain NaN or Inf")
        if not compute_uv:
            return np.linalg.svd(a, compute_uv=False).astype(a.dtype)
        u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
        return u.astype(a.dtype), s.astype(a.dtype), vt.astype(a.dtype)

    def svdvals(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        return self.svd(a, compute_uv=False, check_finite=check_finite)

    def randomized_svd(self, a, n_components, n_oversamples=10, n_iter="auto",
                       power_iteration_normalizer="auto", random_state=None, flip_sign=True,
                       *, transpose="auto", n_threads=None):
        """Halko-Martinsson-Tropp with QR re-normalization, in NumPy."""
        a = _float(a, "a", 2)
        m, n = a.shape
        if not 1 <= n_components <= min(m, n):
            raise ValueError(f"n_components={n_components} must be in [1, {min(m, n)}]")
        rng = (random_state if isinstance(random_state, np.random.RandomState)
               else np.random.RandomState(random_state))
        if n_iter == "auto":
            n_iter = 7 if n_components < 0.1 * min(m, n) else 4
        transpose = m < n if transpose == "auto" else transpose
        mat = a.T if transpose else a
        size = min(n_components + n_oversamples, *mat.shape)
        q = rng.normal(size=(mat.shape[1], size)).astype(a.dtype)
        for _ in range(n_iter):
            q = np.linalg.qr(mat @ q)[0]
            q = np.linalg.qr(mat.T @ q)[0]
        q = np.linalg.qr(mat @ q)[0]
        uhat, s, vt = np.linalg.svd(q.T @ mat, full_matrices=False)
        u = q @ uhat
        if transpose:
            u, vt = vt.T, u.T
        u, s, vt = u[:, :n_components], s[:n_components], vt[:n_components]
        if flip_sign:
            signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
            signs[signs == 0] = 1
            u, vt = u * signs, vt * signs[:, None]
        return u.astype(a.dtype), s.astype(a.dtype), vt.astype(a.dtype)

    def pinv(self, a, rtol=None, *, atol=None, return_rank=False, check_finite=True,
             n_threads=None):
        a = _float(a, "a")
        m, n = a.shape[-2:]
        if rtol is None:
            rtol = max(m, n) * np.finfo(a.dtype).eps if not atol else 0.0
        out = self._sl().pinv(a, atol=atol, rtol=rtol, return_rank=return_rank,
                              check_finite=check_finite)
        if return_rank:
            return out[0].astype(a.dtype), out[1]
        return out.astype(a.dtype)

    def matrix_rank(self, A, tol=None, hermitian=False, *, rtol=None, n_threads=None):
        A = _float(A, "A")
        r = np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)
        return int(r) if np.ndim(r) == 0 else r


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {sw.shape}")
    if (sw < 0).any():
        raise ValueError("sample_weight must be non-negative")
    return sw


def _pair(pred, target):
    x = _float(pred, "pred")
    t = np.asarray(target, dtype=np.float64)
    if t.shape != x.shape:
        raise ValueError(f"target must have the prediction's shape {x.shape}, got {t.shape}")
    return x, t


def _reduce(loss, grad, reduction, denom, dtype, grad_out):
    """Reduce weighted losses; the gradient is divided by the mean's denominator."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if reduction == "mean":
        scale = 1.0 / denom if denom > 0 else 0.0
        value = dtype.type(loss.sum() * scale)
        grad = grad * scale
    elif reduction == "sum":
        value = dtype.type(loss.sum())
    else:
        value = loss.astype(dtype)
    return value, _write(grad_out, grad.astype(dtype))


def _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out, per_row_mean=False):
    n = x.shape[0] if x.ndim else 1
    per_sample = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    sw = _weights(sample_weight, n)
    w = sw.reshape((n,) + (1,) * (x.ndim - 1)) if x.ndim else sw[0]
    denom = sw.sum() * (1 if per_row_mean else per_sample)
    return _reduce(loss * w, grad * w, reduction, denom, x.dtype, grad_out)


def _penalty_result(value, grad, x, grad_out):
    value = x.dtype.type(value)
    if grad_out is None:
        return value, np.asarray(grad).astype(x.dtype)
    grad_out += np.asarray(grad).astype(x.dtype)
    return value, grad_out
def _scipy_csr(a):
    import scipy.sparse as sp

    if hasattr(a, "indptr") and not sp.issparse(a):           # lamina.sparse.CSR
        a = sp.csr_array((a.data, a.indices, a.indptr), shape=a.shape)
    if not sp.issparse(a):
        raise TypeError(f"a must be a sparse matrix, got {type(a).__name__}")
    a = sp.csr_array(a)
    if a.dtype.kind == "c":
        raise TypeError("a: complex input is not supported")
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def _problem(A, b, x0):
    import scipy.sparse as sp

    if sp.issparse(A):
        A = _scipy_csr(A)
        if not np.isfinite(A.data).all():
            raise ValueError("A must not contain NaN or Inf")
    elif isinstance(A, np.ndarray) or not hasattr(A, "matvec"):
        A = _float(A, "A", 2)
        if not np.isfinite(A).all():
            raise ValueError("A must not contain NaN or Inf")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    b = _float(b, "b", 1)
    if b.shape[0] != A.shape[0] or not np.isfinite(b).all():
        raise ValueError(f"b must be finite with {A.shape[0]} rows, got shape {b.shape}")
    dtype = np.result_type(b.dtype, getattr(A, "dtype", None) or b.dtype)
    x = np.zeros(b.shape, dtype) if x0 is None else _float(x0, "x0", 1).astype(dtype)
    if x.shape != b.shape:
        raise ValueError(f"x0 has shape {x.shape}, expected {b.shape}")
    return A, b.astype(dtype), x


def _result(method, x, converged, iterations, history, tol):
    import warnings

    from lamina import ConvergenceWarning
    from lamina.solvers import SolveResult

    history = np.asarray(history, dtype=np.float64)
    reason = "converged" if converged else "not converged"
    if not converged:
        warnings.warn(f"{method} did not converge (reference)", ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(x, bool(converged), int(iterations), float(history[-1]), history,
                       f"{reason} (reference, tol {tol:.3g})")


def _krylov(method, A, b, x0, rtol, atol, maxiter, M, callback, restart=None):
    import scipy.sparse.linalg as spla

    if rtol < 0 or atol < 0 or (maxiter is not None and maxiter < 0):
        raise ValueError("rtol, atol and maxiter must be >= 0")
    A, b, x = _problem(A, b, x0)
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0:
        return _result(method, np.zeros_like(b), True, 0, [0.0], 0.0)
    tol = max(rtol * bnorm, atol)
    history = [float(np.linalg.norm(b - A @ x))]
    count = [0]

    def cb(xk):
        count[0] += 1
        if callback is not None:
            callback(xk)

    kw = {"rtol": rtol, "atol": atol, "maxiter": maxiter, "M": M}
    if method == "minres":
        # SciPy's minres has no atol; rtol relative to ||b|| expresses the same test.
        kw.pop("atol")
        kw["rtol"] = tol / bnorm
    if method == "gmres":
        kw.update(restart=restart, callback=lambda _: count.__setitem__(0, count[0] + 1),
                  callback_type="pr_norm")
    else:
        kw["callback"] = cb
    if maxiter == 0:
        return _result(method, x, history[0] <= tol, 0, history, tol)
    x, info = getattr(spla, method)(A, b, x0=x, **kw)
    history.append(float(np.linalg.norm(b - A @ x)))
    # SciPy's own verdict (its minres tests an estimate) or the true residual.
    return _result(method, x.astype(b.dtype), info == 0 or history[-1] <= tol * 1.01,
                   count[0], history, tol)


def _stationary(method, A, b, x0, rtol, atol, maxiter, callback, omega):
    import scipy.sparse as sp

    A, b, x = _problem(A, b, x0)
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    d = np.diagonal(dense)
    if (d == 0).any():
        i = int(np.flatnonzero(d == 0)[0])
        raise np.linalg.LinAlgError(f"{method}: zero diagonal in row {i}")
    n = b.shape[0]
    maxiter = 10 * n if maxiter is None else maxiter
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0:
        return _result(method, np.zeros_like(b), True, 0, [0.0], 0.0)
    tol = max(rtol * bnorm, atol)
    history = []
    it = 0
    while True:
        r = b - dense @ x
        history.append(float(np.linalg.norm(r)))
        if history[-1] <= tol or it >= maxiter or not np.isfinite(history[-1]) \
                or history[-1] > 1e8 * history[0]:
            break
        if method == "jacobi":
            x = x + r / d
        else:
            for i in range(n):
                x[i] += omega * (b[i] - dense[i] @ x) / d[i]
        it += 1
        if callback is not None:
            callback(x)
    return _result(method, x, history[-1] <= tol, it, history, tol)
