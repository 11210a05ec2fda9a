"""Operators the solvers accept: dense arrays, sparse matrices, matrix-free objects."""

import numpy as np

from lamina._validation import as_float_array, assert_finite, float_dtype_of
from lamina.sparse._csr import as_csr, is_sparse

__all__ = ["LinearOperator", "aslinearoperator", "as_operator"]


class LinearOperator:
    """A matrix-free square or rectangular operator: ``shape``, ``dtype`` and ``matvec``.

    Made by :func:`aslinearoperator`.  Any object with ``shape`` and ``matvec`` (SciPy's
    ``LinearOperator`` among them) is accepted by the solvers just the same.
    """

    def __init__(self, matvec, shape, dtype=None):
        self._matvec = matvec
        self.shape = shape
        self.dtype = dtype

    def matvec(self, x):
        return self._matvec(x)

    __call__ = matvec

    def __repr__(self):
        return f"<lamina LinearOperator {self.shape[0]}x{self.shape[1]}, dtype={self.dtype}>"


def aslinearoperator(fn, shape, dtype=None):
    """Wrap a function ``fn(x) -> A @ x`` as an operator the solvers take.

    Parameters
    ----------
    fn : callable
        Takes a 1-D array of length ``shape[1]``, returns one of length ``shape[0]``.
    shape : tuple of int
        ``(m, n)``.
    dtype : dtype, optional
        float32 or float64; default: the right-hand side's dtype.

    Returns
    -------
    LinearOperator

    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> d = np.array([1.0, 2.0, 4.0])
    >>> op = lamina.solvers.aslinearoperator(lambda x: d * x, (3, 3))
    >>> lamina.solvers.cg(op, np.ones(3)).x
    array([1.  , 0.5 , 0.25])
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be a pair of ints, got {shape!r}") from None
    if len(shape) != 2 or min(shape) < 0:
        raise ValueError(f"shape must be a pair of non-negative ints, got {shape}")
    if dtype is not None:
        dtype = float_dtype_of(dtype)
    return LinearOperator(fn, shape, dtype)


class Operator:
    """The solvers' view of an operator: kind ('dense', 'csr', 'python'), shape, dtype."""

    __slots__ = ("kind", "shape", "dtype", "dense", "csr", "obj")

    def __init__(self, kind, shape, dtype, dense=None, csr=None, obj=None):
        self.kind = kind
        self.shape = shape
        self.dtype = dtype
        self.dense = dense
        self.csr = csr
        self.obj = obj

    def cast(self, dtype):
        """The operator in ``dtype`` (arrays converted once; Python ones left alone)."""
        if self.kind == "dense" and self.dense.dtype != dtype:
            return Operator("dense", self.shape, dtype, dense=self.dense.astype(dtype))
        if self.kind == "csr" and self.csr.dtype != dtype:
            return Operator("csr", self.shape, dtype, csr=self.csr.astype(dtype))
        return self

    def configure_args(self, dtype, *, sell=False, n_threads=1):
        """``(kind, kwargs)`` for ``Problem.set_operator``/``set_preconditioner``.

        With ``sell=True`` a CSR matrix of short rows is copied once into the SELL-8
        layout (see ``lamina_sell.h``; kind ``"sell"``), whose SpMV vectorizes across
        rows: worth its O(nnz) copy for an iterative solve, which multiplies many times.
        """
        op = self.cast(dtype)
        if op.kind == "dense":
            return "dense", {"dense": op.dense}
        if op.kind == "csr":
            c = op.csr
            if sell:
                layout = c.sell_layout(n_threads)
                if layout is not None:
                    sptr, slen, col, val, blocks = layout
                    return "sell", {"indptr": sptr, "lens": slen, "indices": col,
                                    "data": val, "blocks": blocks}
            return "csr", {"indptr": c.indptr, "indices": c.indices, "data": c.data,
                           "blocks": c.blocks}
        n = self.shape[0]
        obj = self.obj
        name = getattr(obj, "__name__", type(obj).__name__)

        def apply(x):
            y = obj.matvec(x) if hasattr(obj, "matvec") else obj(x)
            y = np.asarray(y)
            if y.size != n:
                raise ValueError(f"operator {name} returned shape {y.shape}, "
                                 f"expected ({n},)")
            return np.ascontiguousarray(y.reshape(n), dtype=dtype)

        return "python", {"fn": apply}


def as_operator(a, name="A", *, check_finite=True):
    """Classify and convert ``a`` once; raises for non-square input or NaN/Inf entries."""
    if isinstance(a, Operator):
        return a
    if is_sparse(a):
        csr = as_csr(a, name, check_finite=check_finite)
        op = Operator("csr", csr.shape, csr.dtype, csr=csr)
    elif not isinstance(a, np.ndarray) and hasattr(a, "shape") and (
            hasattr(a, "matvec") or callable(a)):
        shape = tuple(int(s) for s in a.shape)
        if len(shape) != 2:
            raise ValueError(f"{name} must be 2-dimensional, got shape {shape}")
        dt = getattr(a, "dtype", None)
        try:
            dtype = float_dtype_of(dt) if dt is not None else None
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from None
        op = Operator("python", shape, dtype, obj=a)
    elif callable(a):
        raise TypeError(f"{name} is a function without a shape: wrap it with "
                        "lamina.solvers.aslinearoperator(fn, shape)")
    else:
        dense = as_float_array(a, name, ndim=2)
        if check_finite:
            assert_finite(dense, name)
        op = Operator("dense", dense.shape, dense.dtype, dense=dense)
    if op.shape[0] != op.shape[1]:
        raise ValueError(f"{name} must be square, got shape {op.shape}")
    return op
