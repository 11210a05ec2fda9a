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
