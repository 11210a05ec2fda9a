"""Compressed sparse row (CSR) matrices: duck-typed conversion and the SpMV entry points."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _sparse
from lamina._registry import dispatchable
from lamina._validation import as_float_array, assert_finite, check_out, float_dtype_of

__all__ = ["CSR", "as_csr", "csr_matmat", "csr_matvec", "csr_rmatmat", "is_sparse"]

_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def is_sparse(a):
    """True for SciPy sparse matrices and arrays (any format) and lamina's :class:`CSR`.

    Duck-typed (``tocsr``, ``nnz``, ``shape``): SciPy is never imported by lamina.
    """
    return isinstance(a, CSR) or (hasattr(a, "tocsr") and hasattr(a, "nnz")
                                  and hasattr(a, "shape"))


class CSR:
    """A CSR matrix as lamina's kernels take it: contiguous ``data`` (float32/float64),
    ``indices`` and ``indptr`` (both int32 or both int64), ``shape``, and the row blocks
    balanced by nonzeros that the threaded SpMV uses (computed once, on first use)."""

    __slots__ = ("data", "indices", "indptr", "shape", "_blocks", "_sell")

    def __init__(self, data, indices, indptr, shape):
        self.data = data
        self.indices = indices
        self.indptr = indptr
        self.shape = tuple(int(s) for s in shape)
        self._blocks = None
        self._sell = None

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def nnz(self):
        return int(self.indptr[-1]) if self.indptr.shape[0] else 0

    @property
    def blocks(self):
        if self._blocks is None:
            self._blocks = _sparse.csr_row_blocks(self.indptr)
        return self._blocks

    def sell_layout(self, n_threads=1):
        """The SELL-8 copy of this matrix for the iterative solvers (``(sptr, slen, col,
        val, blocks)``, see :func:`lamina._kernels._sparse.sell_from_csr`), or None where
        the layout does not pay.

        Built on first use and kept: a solve of a 10^4-unknown Poisson matrix takes about
        2 ms, and rebuilding the copy (with the page faults of its fresh arrays) cost 0.2
        ms of it.  Before each reuse the copy is compared with the CSR arrays entry by
        entry (``sell_matches_csr``: one read, no allocation), so a matrix changed in place
        is rebuilt, never multiplied through a stale copy.
        """
        cached = self._sell
        if cached is not None:
            sptr, slen, col, val, _ = cached
            if _sparse.sell_matches_csr(self.indptr, self.indices, self.data, sptr, slen, col,
                                        val, n_threads=n_threads):
                return cached
        layout = _sparse.sell_from_csr(self.indptr, self.indices, self.data, self.shape[1],
                                       n_threads=n_threads)
        self._sell = layout
        return layout

    def astype(self, dtype):
        if self.data.dtype == dtype:
            return self
        out = CSR(self.data.astype(dtype), self.indices, self.indptr, self.shape)
        out._blocks = self._blocks
        return out

    def diagonal(self):
        """The main diagonal (duplicates summed, missing entries 0)."""
        n = min(self.shape)
        counts = np.diff(self.indptr)
        rows = np.repeat(np.arange(self.shape[0], dtype=self.indices.dtype), counts)
        on = rows == self.indices
        return np.bincount(rows[on], weights=self.data[on], minlength=n)[:n].astype(
            self.dtype)

    def tocsr(self):
        return self

    def __repr__(self):
        return (f"<lamina CSR {self.shape[0]}x{self.shape[1]}, {self.nnz} stored, "
                f"{self.dtype}, {self.indices.dtype} indices>")


def dense_to_csr(a):
    """The nonzeros of a dense 2-D array as a :class:`CSR` (int64 indices, a's dtype)."""
    rows, cols = np.nonzero(a)
    indptr = np.zeros(a.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=a.shape[0]), out=indptr[1:])
    return CSR(np.ascontiguousarray(a[rows, cols]), cols.astype(np.int64), indptr, a.shape)


def as_csr(a, name="A", *, dtype=None, check_finite=False):
    """Convert a SciPy sparse matrix/array (any format) to :class:`CSR`, once.

    The index dtype (int32 or int64) is kept; other index dtypes become int64.  Values
    follow lamina's dtype policy (float32 stays float32, integers become float64).
    """
    if isinstance(a, CSR):
        csr = a
        data = a.data
    else:
        if not is_sparse(a):
            raise TypeError(f"{name} must be a sparse matrix, got {type(a).__name__}")
        csr = a if getattr(a, "format", None) == "csr" else a.tocsr()
        data = np.asarray(csr.data)
    shape = tuple(int(s) for s in csr.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-dimensional, got shape {shape}")
    try:
        target = float_dtype_of(data.dtype) if dtype is None else np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}; lamina computes in float32 or float64") from None
    if isinstance(a, CSR):
        out = a.astype(target)
    else:
        indices = np.asarray(csr.indices)
        indptr = np.asarray(csr.indptr)
        itype = indices.dtype if indices.dtype in _INDEX_DTYPES else np.dtype(np.int64)
        if indptr.dtype.itemsize > itype.itemsize:
            itype = np.dtype(np.int64)
        out = CSR(np.ascontiguousarray(data, dtype=target),
                  np.ascontiguousarray(indices, dtype=itype),
                  np.ascontiguousarray(indptr, dtype=itype), shape)
    if out.indptr.shape[0] != shape[0] + 1:
        raise ValueError(f"{name}: indptr has length {out.indptr.shape[0]}, "
                         f"expected {shape[0] + 1}")
    if check_finite:
        assert_finite(out.data, name)
    return out


def _operands(a, x, name, ndim, transposed=False):
    """``a`` as :class:`CSR` and ``x`` as a C-contiguous array, both in their common
    dtype, after checking that ``x``'s first dimension matches ``a``'s columns (its rows
    when the product is ``a.T @ x``)."""
    a = as_csr(a, "a")
    x = as_float_array(x, name, ndim=ndim)
    need = a.shape[0] if transposed else a.shape[1]
    if x.shape[0] != need:
        what = f"length {need}" if ndim == 1 else f"{need} rows"
        raise ValueError(f"{name} has shape {x.shape} but a has shape {a.shape}: {name} "
                         f"must have {what}" + (" (the product is a.T @ b)" if transposed
                                                 else ""))
    dtype = np.result_type(a.dtype, x.dtype)
    return a.astype(dtype), np.ascontiguousarray(x, dtype=dtype), dtype


@dispatchable("csr_matvec")
def csr_matvec(a, x, *, out=None, n_threads=None):
    """Sparse matrix-vector product ``a @ x`` with lamina's CSR kernel.

    Parameters
    ----------
    a : sparse matrix, shape (m, n)
        A SciPy sparse matrix or array in any format (converted to CSR, keeping int32 or
        int64 indices) or a :class:`lamina.sparse.CSR`.  Convert once and reuse the
        :class:`CSR` (:func:`as_csr`) when multiplying many times.
    x : array_like, shape (n,)
    out : ndarray, shape (m,), optional
        Output (C-contiguous, the result dtype).
    n_threads : int, optional
        Threads (default: :func:`lamina.get_num_threads`).  Rows are split into blocks
        of equal nonzeros; each row is summed in column order by one thread, so the
        result is identical for every thread count.

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, lamina.sparse
    >>> a = sp.csr_array(np.array([[2.0, 0.0], [1.0, 3.0]]))
    >>> lamina.sparse.csr_matvec(a, [1.0, 1.0])
    array([2., 4.])
    """
    if (type(a) is CSR and type(x) is np.ndarray and x.dtype is a.data.dtype
            and x.ndim == 1 and x.shape[0] == a.shape[1] and x.flags.c_contiguous
            and (out is None or (type(out) is np.ndarray and out.dtype is x.dtype
                                 and out.shape == (a.shape[0],) and out.flags.c_contiguous
                                 and out.flags.writeable))):
        # The repeated-product fast path (a CSR from as_csr, vectors of its dtype): the
        # general checks below cost as much as a small SpMV.
        y = np.empty(a.shape[0], dtype=x.dtype) if out is None else out
        if a.shape[0]:
            _sparse.csr_matvec(a.indptr, a.indices, a.data, a.blocks, x, y,
                               resolve_threads(n_threads))
        return y
    a, x, dtype = _operands(a, x, "x", 1)
    m = a.shape[0]
    y = np.empty(m, dtype=dtype) if out is None else out
    if out is not None:
        check_out(out, (m,), dtype)
        if not out.flags.c_contiguous:
            y = np.empty(m, dtype=dtype)
    if m:
        _sparse.csr_matvec(a.indptr, a.indices, a.data, a.blocks, x, y,
                           resolve_threads(n_threads))
    if out is not None and y is not out:
        out[...] = y
        return out
    return y


@dispatchable("csr_matmat")
def csr_matmat(a, b, *, out=None, n_threads=None):
    """Sparse times dense: ``a @ b`` for a CSR (or any SciPy sparse) ``a`` and a 2-D ``b``.

    Parameters
    ----------
    a : sparse matrix, shape (m, n)
    b : array_like, shape (n, k)
    out : ndarray, shape (m, k), optional
    n_threads : int, optional
        Threads over row blocks balanced by nonzeros; results do not depend on it.

    Returns
    -------
    ndarray, shape (m, k)

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, lamina.sparse
    >>> a = sp.csr_array(np.array([[2.0, 0.0], [1.0, 3.0]]))
    >>> lamina.sparse.csr_matmat(a, np.eye(2))
    array([[2., 0.],
           [1., 3.]])
    """
    a, b, dtype = _operands(a, b, "b", 2)
    m = a.shape[0]
    y = np.empty((m, b.shape[1]), dtype=dtype)
    if out is not None:
        check_out(out, y.shape, dtype)
    if y.size:
        _sparse.csr_matmat(a.indptr, a.indices, a.data, a.blocks, b, y,
                           resolve_threads(n_threads))
    if out is not None:
        out[...] = y
        return out
    return y


# A^T B by scattering: the rows of A are cut into this many chunks (of about equal
# nonzeros) when the product is large enough; each chunk accumulates into its own copy
# of the result and the copies are summed in order.  The chunk count depends on the
# problem only, so results are identical for every thread count.
_RMATMAT_CHUNKS = 4
_RMATMAT_CHUNKED_WORK = 1 << 22
_RMATMAT_MAX_PARTIAL_BYTES = 1 << 28


@dispatchable("csr_rmatmat")
def csr_rmatmat(a, b, *, out=None, n_threads=None):
    """Transposed sparse times dense: ``a.T @ b`` without forming ``a.T``.

    Each row of ``a`` scatters into the rows of the result, so ``a`` and ``b`` are read
    once, in order; only the (small) result is accessed at random.  This is the product
    that randomized SVDs and least-squares methods need against a tall sparse matrix.

    Parameters
    ----------
    a : sparse matrix, shape (m, n)
    b : array_like, shape (m, k)
    out : ndarray, shape (n, k), optional
    n_threads : int, optional
        Threads over chunks of rows; the result does not depend on it.

    Returns
    -------
    ndarray, shape (n, k)

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, lamina.sparse
    >>> a = sp.csr_array(np.array([[2.0, 0.0], [1.0, 3.0]]))
    >>> lamina.sparse.csr_rmatmat(a, np.eye(2))
    array([[2., 1.],
           [0., 3.]])
    """
    a, b, dtype = _operands(a, b, "b", 2, transposed=True)
    m, n = a.shape
    k = b.shape[1]
    if out is not None:
        check_out(out, (n, k), dtype)
    chunks = 1
    if (a.nnz + m) * k >= _RMATMAT_CHUNKED_WORK and \
            _RMATMAT_CHUNKS * n * k * dtype.itemsize <= _RMATMAT_MAX_PARTIAL_BYTES:
        chunks = min(_RMATMAT_CHUNKS, max(m, 1))
    targets = np.linspace(0, a.nnz, chunks + 1)
    bounds = np.searchsorted(np.asarray(a.indptr, dtype=np.int64), targets, side="left")
    bounds[0], bounds[-1] = 0, m
    bounds = np.maximum.accumulate(np.clip(bounds, 0, m)).astype(np.intp)
    partial = np.empty((chunks, n, k), dtype=dtype)
    if n and k:
        _sparse.csr_rmatmat(a.indptr, a.indices, a.data, bounds, b, partial,
                            resolve_threads(n_threads))
    y = partial[0]
    for c in range(1, chunks):
        y += partial[c]
    if out is not None:
        out[...] = y
        return out
    return y
