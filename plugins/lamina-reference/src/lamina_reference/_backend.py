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
