"""CSR sparse kernels: SpMV (with a fused dot product), sparse x dense, fused vector updates.

Design
------
SpMV is memory-bound: each nonzero costs one value, one column index and (mostly cached)
one gather of x.  Rows are split into *blocks* of roughly equal work (nonzeros + rows,
``BLOCK_WORK`` per block) once per matrix by :func:`csr_row_blocks`; threads take blocks
with a static schedule, so a few dense rows cannot leave one thread with all the work.
Each row's sum runs in column order on one thread, and a fused dot product is summed
per block and then over blocks in order, so every result is identical for any thread
count.  Values are float32 or float64, indices int32 or int64 (SciPy's two index
dtypes, kept as they come so no index array is ever copied).

The iterative solvers fuse their dot products into these passes: ``p.Ap`` into the SpMV
of CG, ``r.r`` into the x/r update, ``r.z`` into the Jacobi preconditioner.  The fused
vector kernels use fixed blocks of ``VECTOR_BLOCK`` elements for the same reproducibility.
Cost: SpMV O(nnz + n) reads, vector kernels O(n).

Each kernel has a ``*_ref`` plain-loop twin used by the tests.
"""
from cython.parallel cimport prange
from libc.string cimport memset

import numpy as np

from lamina._kernels._runtime cimport get_isa, record_team_size

cdef extern from "lamina_spmv.h" nogil:
    int LAMINA_HAVE_SPMV_AVX512
    double lamina_spmv_rows_d32_avx512(Py_ssize_t i0, Py_ssize_t i1, const int *indptr,
                                       const int *indices, const double *data,
                                       const double *x, const double *b, double *y,
                                       const double *w)
    double lamina_spmv_rows_s32_avx512(Py_ssize_t i0, Py_ssize_t i1, const int *indptr,
                                       const int *indices, const float *data,
                                       const float *x, const float *b, float *y,
                                       const float *w)

cdef extern from "lamina_cgvec.h" nogil:
    int LAMINA_HAVE_CGVEC_AVX512
    double lamina_update_xr_d_avx512(Py_ssize_t n, double alpha, double *x, const double *p,
                                     double *r, const double *q)
    double lamina_update_xr_s_avx512(Py_ssize_t n, float alpha, float *x, const float *p,
                                     float *r, const float *q)
    void lamina_xpby_d_avx512(Py_ssize_t n, const double *z, double beta, double *p)
    void lamina_xpby_s_avx512(Py_ssize_t n, const float *z, float beta, float *p)

cdef extern from "lamina_sell.h" nogil:
    int LAMINA_HAVE_SELL_AVX512
    double lamina_sell_d_avx512(Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t n,
                                const long long *sptr, const int *slen, const int *col,
                                const double *val, const double *x, const double *b,
                                double *y, const double *w)
    double lamina_sell_d32_avx512(Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t n,
                                  const long long *sptr, const int *slen, const int *col,
                                  const float *val, const double *x, const double *b,
                                  double *y, const double *w)
    int lamina_sell_differs_avx512(Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t n,
                                   const long long *sptr, const int *slen, const int *col,
                                   const void *val, const void *indptr, const void *indices,
                                   const void *data, int idx64, int df32, int vf32)
    double lamina_sell_s_avx512(Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t n,
                                const long long *sptr, const int *slen, const int *col,
                                const float *val, const float *x, const float *b,
                                float *y, const float *w)

# Threading pays off only above this much work (vector elements, or nonzeros + rows for
# SpMV): below it, waking the OpenMP team (several microseconds, far more when the other
# core is busy) costs more than the loop.  A CG iteration opens three parallel regions.
cdef Py_ssize_t _PARALLEL_MIN = 1 << 15
cdef Py_ssize_t _SPMV_PARALLEL_MIN = 1 << 17
# Work per SpMV block (nonzeros + rows) and elements per vector block.
BLOCK_WORK = 1 << 14
DEF VECTOR_BLOCK = 1024


def csr_row_blocks(indptr):
    """Row block boundaries (int64 array of length n_blocks + 1) balanced by nonzeros.

    Block b is rows ``blocks[b]:blocks[b + 1]``; each holds about ``BLOCK_WORK`` of
    nonzeros plus rows.  Depends on the matrix only, never on the thread count.
    """
    indptr = np.asarray(indptr)
    n = indptr.shape[0] - 1
    if n <= 0:
        return np.zeros(1, dtype=np.intp)
    work = indptr.astype(np.int64) + np.arange(n + 1, dtype=np.int64)
    total = int(work[-1])
    n_blocks = max(1, -(-total // BLOCK_WORK))
    targets = np.arange(1, n_blocks, dtype=np.int64) * total // n_blocks
    inner = np.searchsorted(work, targets, side="left")
    blocks = np.unique(np.concatenate(([0], inner, [n]))).astype(np.intp)
    return blocks


cdef inline double _spmv_rows(Py_ssize_t i0, Py_ssize_t i1, const csr_index *indptr,
                              const csr_index *indices, const floating *data,
                              const floating *x, const floating *b, floating *y,
                              const floating *w, bint simd) noexcept nogil:
    # AVX-512 masked gathers for int32 indices (SciPy's usual); plain loop otherwise.
    if csr_index is int:
        if simd:
            if floating is double:
                return lamina_spmv_rows_d32_avx512(i0, i1, indptr, indices, data, x, b, y, w)
            else:
                return lamina_spmv_rows_s32_avx512(i0, i1, indptr, indices, data, x, b, y, w)
    return _spmv_rows_plain(i0, i1, indptr, indices, data, x, b, y, w)


cdef inline double _spmv_rows_plain(Py_ssize_t i0, Py_ssize_t i1,
                                    const csr_index *indptr, const csr_index *indices,
                                    const floating *data, const floating *x,
                                    const floating *b, floating *y,
                                    const floating *w) noexcept nogil:
    cdef Py_ssize_t i, k, k1
    cdef floating s, s2
    cdef double d = 0.0
    for i in range(i0, i1):
        k = indptr[i]
        k1 = indptr[i + 1]
        # Two accumulators: rows of 5-30 nonzeros are latency-bound on one FMA chain.
        s = 0
        s2 = 0
        while k + 1 < k1:
            s = s + data[k] * x[indices[k]]
            s2 = s2 + data[k + 1] * x[indices[k + 1]]
            k = k + 2
        if k < k1:
            s = s + data[k] * x[indices[k]]
        s = s + s2
        if b != NULL:
            s = b[i] - s
        y[i] = s
        if w != NULL:
            d += <double> s * <double> w[i]
    return d


cdef double csr_spmv_kernel(const csr_index *indptr, const csr_index *indices,
                            const floating *data, const Py_ssize_t *blocks,
                            Py_ssize_t n_blocks, const floating *x, const floating *b,
                            floating *y, const floating *w, double *partial,
                            int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, n = blocks[n_blocks]
    cdef double d = 0.0, db
    cdef bint simd = LAMINA_HAVE_SPMV_AVX512 and get_isa() == 2
    if n_threads <= 1 or n_blocks < 2 or indptr[n] + n < _SPMV_PARALLEL_MIN:
        record_team_size(1)
        # Same blockwise summation order as the threaded path.
        for blk in range(n_blocks):
            d += _spmv_rows(blocks[blk], blocks[blk + 1], indptr, indices, data, x, b, y, w,
                            simd)
        return d
    record_team_size(n_threads)
    for blk in prange(n_blocks, schedule="static", num_threads=n_threads):
        db = _spmv_rows(blocks[blk], blocks[blk + 1], indptr, indices, data, x, b, y, w,
                        simd)
        if w != NULL:           # partial may be a single scratch double otherwise
            partial[blk] = db
    if w == NULL:
        return 0.0
    for blk in range(n_blocks):
        d += partial[blk]
    return d


# ---------------------------------------------------------------------------------------
# SELL-8: the solvers' SpMV layout for matrices of short rows (see lamina_sell.h).

# The layout is used only while its padding stays below this fraction of the nonzeros.
SELL_MAX_PADDING = 0.25


def sell_available():
    """True when the SELL-8 kernels run here (AVX-512 compiled in and selected)."""
    return bool(LAMINA_HAVE_SELL_AVX512) and get_isa() == 2


cdef void _sell_fill_slice(Py_ssize_t s, Py_ssize_t n, const csr_index[::1] indptr,
                           const csr_index *ind, const floating *dat, const long long *sptr,
                           const int *slen, int *col, floating *val) noexcept nogil:
    # Slice s in storage order (slot after slot); its 8 rows are read as 8 streams.
    cdef Py_ssize_t q = sptr[s], w = (sptr[s + 1] - sptr[s]) // 8, r, i, j
    cdef Py_ssize_t start[8]
    for r in range(8):
        i = 8 * s + r
        start[r] = indptr[i] if i < n else 0
    for j in range(w):
        for r in range(8):
            if j < slen[8 * s + r]:
                col[q] = <int> ind[start[r] + j]
                val[q] = dat[start[r] + j]
            else:
                # Padded slot: masked off by the kernels; zeros keep it tidy.
                col[q] = 0
                val[q] = 0
            q += 1


cdef int _sell_contiguous(Py_ssize_t s, const long long *sptr, const int *slen,
                          const int *col) noexcept nogil:
    # 1 when every step of slice s has 8 live lanes over 8 consecutive columns: the
    # kernels then load x without masks or checks (stencil and banded matrices).
    cdef Py_ssize_t p, r, w = (sptr[s + 1] - sptr[s]) // 8
    for r in range(8):
        if slen[8 * s + r] != w:
            return 0
    for p in range(sptr[s], sptr[s + 1], 8):
        for r in range(1, 8):
            if col[p + r] != col[p] + r:
                return 0
    return 1


def sell_from_csr(const csr_index[::1] indptr, const csr_index[::1] indices,
                  const floating[::1] data, Py_ssize_t n_cols,
                  double max_padding=SELL_MAX_PADDING, int n_threads=1,
                  bint compact_values=True):
    """The SELL-8 copy of a CSR matrix: ``(sptr, slen, col, val, blocks)`` or None.

    ``slen`` holds the 8 row lengths of every slice, then one flag per slice (1: every
    step covers 8 consecutive columns in full), then the first column of every step (see
    ``lamina_sell.h``), and last the value format: 1 when a float64 matrix whose values
    are all float32 numbers keeps ``val`` as float32 (``compact_values``; half the bytes,
    the same products), else 0.

    None when the layout does not pay: no AVX-512 kernel here, rows averaging 16 or more
    nonzeros (a CSR row then fills vectors by itself), padding above ``max_padding``
    (default ``SELL_MAX_PADDING``) of the nonzeros, or column indices beyond int32.  ``blocks``
    splits the slices for threading (balanced by stored entries, matrix-only, so results
    do not depend on the thread count).  O(nnz) time (the copy is made by ``n_threads``
    threads); it takes about as much memory as the CSR arrays.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, nsl, s, i, w, total = 0
    cdef long long nnz
    if not sell_available() or n <= 0 or n_cols >= 2 ** 31:
        return None
    nnz = indptr[n] - indptr[0]
    if nnz >= 16 * n:
        return None
    nsl = (n + 7) // 8
    sptr_a = np.empty(nsl + 1, dtype=np.int64)
    cdef long long[::1] sptr = sptr_a
    with nogil:
        for s in range(nsl):
            sptr[s] = total
            w = 0
            for i in range(8 * s, min(n, 8 * s + 8)):
                w = max(w, <Py_ssize_t> (indptr[i + 1] - indptr[i]))
            total += 8 * w
        sptr[nsl] = total
    if total > (1.0 + max_padding) * nnz + 64:
        return None
    # 8 row lengths per slice (0 past the last row), then a flag per slice, then each
    # step's first column, then the value format (lamina_sell.h)
    slen_a = np.zeros(9 * nsl + total // 8 + 1, dtype=np.int32)
    cdef int[::1] slen = slen_a
    col_a = np.empty(total, dtype=np.int32)
    val_a = np.empty(total, dtype=np.asarray(data).dtype)
    cdef int[::1] colv = col_a
    cdef floating[::1] valv = val_a
    cdef int *col = &colv[0] if total else NULL
    cdef floating *val = &valv[0] if total else NULL
    cdef const csr_index *ind = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dat = &data[0] if data.shape[0] else NULL
    cdef Py_ssize_t nt = max(1, n_threads) if total >= 1 << 14 else 1
    for s in prange(nsl, nogil=True, schedule="static", num_threads=nt):
        for i in range(8 * s, min(n, 8 * s + 8)):
            slen[i] = <int> (indptr[i + 1] - indptr[i])
        _sell_fill_slice(s, n, indptr, ind, dat, &sptr[0], &slen[0], col, val)
        slen[8 * nsl + s] = _sell_contiguous(s, &sptr[0], &slen[0], col)
        for i in range(sptr[s], sptr[s + 1], 8):
            slen[9 * nsl + i // 8] = col[i]
    if floating is double and compact_values and total and _all_float32(val, total):
        # every value is a float32 number (a stencil's -1 and 4): store them in half the
        # bytes; the kernel widens them back exactly
        val_a = val_a.astype(np.float32)
        slen[9 * nsl + total // 8] = 1
    return sptr_a, slen_a, col_a, val_a, csr_row_blocks(sptr_a)


cdef bint _all_float32(const double *v, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(m):
        if <double> <float> v[i] != v[i]:      # NaN, out of range or extra digits
            return False
    return True


# The element type a SELL layout stores its values in (float32 for a float64 matrix of
# float32 numbers, see sell_from_csr).
ctypedef fused stored_t:
    float
    double


cdef inline bint _values_f32(Py_ssize_t n, const long long *sptr,
                             const int *slen) noexcept nogil:
    """The layout's value format (slen's last entry): float32 values of a float64 matrix."""
    cdef Py_ssize_t nsl = (n + 7) // 8
    return slen[9 * nsl + sptr[nsl] // 8] != 0


cdef inline bint _stored_ok(const stored_t *val, const floating *like,
                            bint f32) noexcept nogil:
    """Whether values stored as stored_t fit a layout of format f32 multiplying floating
    vectors (the pointers only carry the types)."""
    if f32:
        return floating is double and stored_t is float
    return sizeof(stored_t) == sizeof(floating)


def sell_matches_csr(const csr_index[::1] indptr, const csr_index[::1] indices,
                     const floating[::1] data, const long long[::1] sptr,
                     const int[::1] slen, const int[::1] col, const stored_t[::1] val,
                     int n_threads=1):
    """True when the SELL-8 layout (from :func:`sell_from_csr`) still holds exactly this
    CSR matrix: every row length, column index and value, bit for bit (float32-stored
    values widened exactly).  One read of both with AVX-512 gathers, no allocation -- a
    fraction of a rebuild, so a cached layout can be checked on every use and a matrix
    changed in place is never multiplied through a stale copy.  False whenever the SELL
    kernels are not selected here (``LAMINA_ISA`` below avx512): the copy must not be used
    then, just as :func:`sell_from_csr` would not build one."""
    cdef Py_ssize_t n = indptr.shape[0] - 1, nsl = sptr.shape[0] - 1
    cdef Py_ssize_t bad = 0, nt, c
    if not sell_available():
        return False
    if n < 0 or nsl != (n + 7) // 8 or slen.shape[0] != 9 * nsl + sptr[nsl] // 8 + 1:
        return False
    if not _stored_ok(<const stored_t *> NULL, <const floating *> NULL,
                      _values_f32(n, &sptr[0], &slen[0])):
        return False
    if n == 0:
        return True
    if indptr[0] != 0 or indices.shape[0] < indptr[n] or data.shape[0] < indptr[n]:
        return False
    if col.shape[0] < sptr[nsl] or val.shape[0] < sptr[nsl]:
        return False
    nt = max(1, n_threads) if sptr[nsl] >= 1 << 14 else 1
    # 8 rows per step, the CSR entries gathered (lamina_sell.h)
    for c in prange(nt, nogil=True, schedule="static", num_threads=nt):
        bad += lamina_sell_differs_avx512(
            nsl * c // nt, nsl * (c + 1) // nt, n, &sptr[0], &slen[0],
            &col[0] if col.shape[0] else NULL,
            <const void *> &val[0] if val.shape[0] else NULL, &indptr[0],
            <const void *> &indices[0] if indices.shape[0] else NULL,
            <const void *> &data[0] if data.shape[0] else NULL,
            csr_index is longlong, floating is float, stored_t is float)
    return bad == 0


cdef double sell_spmv_kernel(Py_ssize_t n, const long long *sptr, const int *slen,
                             const int *col, const floating *val, const Py_ssize_t *blocks,
                             Py_ssize_t n_blocks, const floating *x, const floating *b,
                             floating *y, const floating *w, double *partial,
                             int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, nsl = blocks[n_blocks]
    cdef double d = 0.0
    if n_threads <= 1 or n_blocks < 2 or sptr[nsl] + n < _SPMV_PARALLEL_MIN:
        record_team_size(1)
        for blk in range(n_blocks):
            d += _sell_slices(blocks[blk], blocks[blk + 1], n, sptr, slen, col, val, x, b,
                              y, w)
        return d
    record_team_size(n_threads)
    for blk in prange(n_blocks, schedule="static", num_threads=n_threads):
        partial[blk] = _sell_slices(blocks[blk], blocks[blk + 1], n, sptr, slen, col, val,
                                    x, b, y, w)
    if w == NULL:
        return 0.0
    for blk in range(n_blocks):
        d += partial[blk]
    return d


cdef inline double _sell_slices(Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t n,
                                const long long *sptr, const int *slen, const int *col,
                                const floating *val, const floating *x, const floating *b,
                                floating *y, const floating *w) noexcept nogil:
    if floating is double:
        if _values_f32(n, sptr, slen):         # float64 matrix, float32 values
            return lamina_sell_d32_avx512(s0, s1, n, sptr, slen, col,
                                          <const float *> <const void *> val, x, b, y, w)
        return lamina_sell_d_avx512(s0, s1, n, sptr, slen, col, val, x, b, y, w)
    else:
        return lamina_sell_s_avx512(s0, s1, n, sptr, slen, col, val, x, b, y, w)


def sell_matvec(Py_ssize_t n, const long long[::1] sptr, const int[::1] slen,
                const int[::1] col, const stored_t[::1] val, const Py_ssize_t[::1] blocks,
                const floating[::1] x, floating[::1] y, int n_threads=1):
    """In place: y = A x for A in the SELL-8 layout of :func:`sell_from_csr` (test hook)."""
    cdef Py_ssize_t n_blocks = blocks.shape[0] - 1
    if not sell_available():
        raise RuntimeError("the SELL-8 kernels need AVX-512")
    if not _stored_ok(<const stored_t *> NULL, <const floating *> NULL,
                      _values_f32(n, &sptr[0], &slen[0])):
        raise TypeError("val's dtype does not match x's and the layout's value format")
    if n_blocks <= 0 or n == 0:
        return
    cdef double[::1] partial = np.empty(n_blocks, dtype=np.float64)
    with nogil:
        sell_spmv_kernel(n, &sptr[0], &slen[0], &col[0] if col.shape[0] else NULL,
                         <const floating *> <const void *> &val[0] if val.shape[0] else NULL,
                         &blocks[0], n_blocks,
                         &x[0] if x.shape[0] else NULL, <const floating *> NULL, &y[0],
                         <const floating *> NULL, &partial[0], n_threads)


cdef Py_ssize_t vector_blocks(Py_ssize_t n) noexcept nogil:
    return (n + VECTOR_BLOCK - 1) // VECTOR_BLOCK


cdef inline bint _serial(Py_ssize_t n, int n_threads) noexcept nogil:
    return n_threads <= 1 or n < _PARALLEL_MIN


cdef inline double _update_xr_block(Py_ssize_t i0, Py_ssize_t i1, floating alpha,
                                    floating *x, const floating *p, floating *r,
                                    const floating *q) noexcept nogil:
    # r.r in 8 independent partial sums (one per lane position, added in a fixed order at
    # the end): a single running sum is a serial chain the compiler may not reorder, so
    # it would keep the whole loop scalar.
    cdef Py_ssize_t i, j
    cdef double acc[8]
    cdef floating ri
    if LAMINA_HAVE_CGVEC_AVX512 and get_isa() == 2:
        if floating is double:
            return lamina_update_xr_d_avx512(i1 - i0, alpha, x + i0, p + i0, r + i0, q + i0)
        else:
            return lamina_update_xr_s_avx512(i1 - i0, alpha, x + i0, p + i0, r + i0, q + i0)
    for j in range(8):
        acc[j] = 0.0
    i = i0
    while i + 8 <= i1:
        for j in range(8):
            x[i + j] = x[i + j] + alpha * p[i + j]
            ri = r[i + j] - alpha * q[i + j]
            r[i + j] = ri
            acc[j] += <double> ri * <double> ri
        i = i + 8
    while i < i1:
        x[i] = x[i] + alpha * p[i]
        ri = r[i] - alpha * q[i]
        r[i] = ri
        acc[0] += <double> ri * <double> ri
        i = i + 1
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))


cdef double update_xr_kernel(Py_ssize_t n, double alpha, floating *x, const floating *p,
                             floating *r, const floating *q, double *partial,
                             int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, nb = vector_blocks(n)
    cdef double d = 0.0
    cdef floating a = <floating> alpha
    if _serial(n, n_threads):
        for blk in range(nb):
            d += _update_xr_block(blk * VECTOR_BLOCK, min(n, (blk + 1) * VECTOR_BLOCK),
                                  a, x, p, r, q)
        return d
    for blk in prange(nb, schedule="static", num_threads=n_threads):
        partial[blk] = _update_xr_block(blk * VECTOR_BLOCK,
                                        min(n, (blk + 1) * VECTOR_BLOCK), a, x, p, r, q)
    for blk in range(nb):
        d += partial[blk]
    return d


cdef inline void _xpby_block(Py_ssize_t i0, Py_ssize_t i1, const floating *z, floating beta,
                             floating *p) noexcept nogil:
    cdef Py_ssize_t i
    if LAMINA_HAVE_CGVEC_AVX512 and get_isa() == 2:
        if floating is double:
            lamina_xpby_d_avx512(i1 - i0, z + i0, beta, p + i0)
        else:
            lamina_xpby_s_avx512(i1 - i0, z + i0, beta, p + i0)
        return
    for i in range(i0, i1):
        p[i] = z[i] + beta * p[i]


cdef void xpby_kernel(Py_ssize_t n, const floating *z, double beta, floating *p,
                      int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, nb = vector_blocks(n)
    cdef floating bt = <floating> beta
    if _serial(n, n_threads):
        _xpby_block(0, n, z, bt, p)
        return
    for blk in prange(nb, schedule="static", num_threads=n_threads):
        _xpby_block(blk * VECTOR_BLOCK, min(n, (blk + 1) * VECTOR_BLOCK), z, bt, p)


cdef inline double _diag_scale_block(Py_ssize_t i0, Py_ssize_t i1, const floating *d,
                                     const floating *r, floating *z) noexcept nogil:
    # r.z in 8 partial sums, as in _update_xr_block.
    cdef Py_ssize_t i, j
    cdef double acc[8]
    cdef floating zi
    for j in range(8):
        acc[j] = 0.0
    i = i0
    while i + 8 <= i1:
        for j in range(8):
            zi = d[i + j] * r[i + j]
            z[i + j] = zi
            acc[j] += <double> r[i + j] * <double> zi
        i = i + 8
    while i < i1:
        zi = d[i] * r[i]
        z[i] = zi
        acc[0] += <double> r[i] * <double> zi
        i = i + 1
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))


cdef double diag_scale_dot_kernel(Py_ssize_t n, const floating *d, const floating *r,
                                  floating *z, double *partial,
                                  int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, nb = vector_blocks(n)
    cdef double s = 0.0
    if _serial(n, n_threads):
        for blk in range(nb):
            s += _diag_scale_block(blk * VECTOR_BLOCK, min(n, (blk + 1) * VECTOR_BLOCK),
                                   d, r, z)
        return s
    for blk in prange(nb, schedule="static", num_threads=n_threads):
        partial[blk] = _diag_scale_block(blk * VECTOR_BLOCK,
                                         min(n, (blk + 1) * VECTOR_BLOCK), d, r, z)
    for blk in range(nb):
        s += partial[blk]
    return s


cdef inline void _diag_update_block(Py_ssize_t i0, Py_ssize_t i1, const floating *d,
                                    const floating *r, floating *x) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(i0, i1):
        x[i] = x[i] + d[i] * r[i]


cdef void diag_update_kernel(Py_ssize_t n, const floating *d, const floating *r,
                             floating *x, int n_threads) noexcept nogil:
    cdef Py_ssize_t blk, nb = vector_blocks(n)
    if _serial(n, n_threads):
        _diag_update_block(0, n, d, r, x)
        return
    for blk in prange(nb, schedule="static", num_threads=n_threads):
        _diag_update_block(blk * VECTOR_BLOCK, min(n, (blk + 1) * VECTOR_BLOCK), d, r, x)


# ---------------------------------------------------------------------------------------
# Block-range forms of the kernels above for a team of threads that is already running
# (the solvers' one-parallel-region loops): each thread calls them on its own share of
# the blocks and writes one partial sum per block, which every thread then adds up in
# block order -- the same sums, in the same order, as the serial kernels.

cdef void csr_spmv_blocks(const csr_index *indptr, const csr_index *indices,
                          const floating *data, const Py_ssize_t *blocks, Py_ssize_t b0,
                          Py_ssize_t b1, const floating *x, const floating *b, floating *y,
                          const floating *w, double *partial) noexcept nogil:
    cdef Py_ssize_t blk
    cdef bint simd = LAMINA_HAVE_SPMV_AVX512 and get_isa() == 2
    for blk in range(b0, b1):
        partial[blk] = _spmv_rows(blocks[blk], blocks[blk + 1], indptr, indices, data, x, b,
                                  y, w, simd)


cdef void sell_spmv_blocks(Py_ssize_t n, const long long *sptr, const int *slen,
                           const int *col, const floating *val, const Py_ssize_t *blocks,
                           Py_ssize_t b0, Py_ssize_t b1, const floating *x,
                           const floating *b, floating *y, const floating *w,
                           double *partial) noexcept nogil:
    cdef Py_ssize_t blk
    for blk in range(b0, b1):
        partial[blk] = _sell_slices(blocks[blk], blocks[blk + 1], n, sptr, slen, col, val,
                                    x, b, y, w)


cdef void update_xr_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1, double alpha,
                           floating *x, const floating *p, floating *r, const floating *q,
                           double *partial) noexcept nogil:
    cdef Py_ssize_t blk
    for blk in range(b0, b1):
        partial[blk] = _update_xr_block(blk * VECTOR_BLOCK, min(n, (blk + 1) * VECTOR_BLOCK),
                                        <floating> alpha, x, p, r, q)


cdef void xpby_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1, const floating *z,
                      double beta, floating *p) noexcept nogil:
    _xpby_block(b0 * VECTOR_BLOCK, min(n, b1 * VECTOR_BLOCK), z, <floating> beta, p)


cdef void diag_scale_dot_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1,
                                const floating *d, const floating *r, floating *z,
                                double *partial) noexcept nogil:
    cdef Py_ssize_t blk
    for blk in range(b0, b1):
        partial[blk] = _diag_scale_block(blk * VECTOR_BLOCK,
                                         min(n, (blk + 1) * VECTOR_BLOCK), d, r, z)


# ---------------------------------------------------------------------------------------
# Python-facing wrappers.  Inputs are validated by lamina.sparse.

def csr_matvec(const csr_index[::1] indptr, const csr_index[::1] indices,
               const floating[::1] data, const Py_ssize_t[::1] blocks,
               const floating[::1] x, floating[::1] y, int n_threads=1):
    """In place: y = A x for the CSR matrix (indptr, indices, data)."""
    cdef Py_ssize_t n_blocks = blocks.shape[0] - 1
    if n_blocks <= 0 or y.shape[0] == 0:
        return
    cdef const floating *xp = &x[0] if x.shape[0] else NULL
    cdef double dummy = 0.0
    with nogil:
        # No fused dot product (w = NULL), so the per-block partial sums are never written.
        csr_spmv_kernel(&indptr[0], &indices[0] if indices.shape[0] else NULL,
                        &data[0] if data.shape[0] else NULL, &blocks[0], n_blocks,
                        xp, <const floating *> NULL, &y[0], <const floating *> NULL,
                        &dummy, n_threads)


cdef void _spmm_rows(Py_ssize_t i0, Py_ssize_t i1, const csr_index *indptr,
                     const csr_index *indices, const floating *data, const floating *X,
                     Py_ssize_t k, floating *Y) noexcept nogil:
    cdef Py_ssize_t i, kk, j, c
    cdef floating a
    cdef floating *yrow
    cdef const floating *xrow
    for i in range(i0, i1):
        yrow = Y + i * k
        for c in range(k):
            yrow[c] = 0
        for kk in range(indptr[i], indptr[i + 1]):
            a = data[kk]
            j = indices[kk]
            xrow = X + j * k
            for c in range(k):
                yrow[c] = yrow[c] + a * xrow[c]


def csr_matmat(const csr_index[::1] indptr, const csr_index[::1] indices,
               const floating[::1] data, const Py_ssize_t[::1] blocks,
               const floating[:, ::1] X, floating[:, ::1] Y, int n_threads=1):
    """In place: Y = A X for the CSR matrix A and C-contiguous X (n, k), Y (m, k)."""
    cdef Py_ssize_t n_blocks = blocks.shape[0] - 1, blk, m = Y.shape[0], k = Y.shape[1]
    if n_blocks <= 0 or m == 0 or k == 0:
        return
    cdef const floating *xp = &X[0, 0] if X.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    cdef const csr_index *ip = &indices[0] if indices.shape[0] else NULL
    if n_threads <= 1 or n_blocks < 2 or (indptr[m] + m) * k < _SPMV_PARALLEL_MIN:
        with nogil:
            _spmm_rows(0, m, &indptr[0], ip, dp, xp, k, &Y[0, 0])
        return
    for blk in prange(n_blocks, nogil=True, schedule="static", num_threads=n_threads):
        _spmm_rows(blocks[blk], blocks[blk + 1], &indptr[0], ip, dp, xp, k, &Y[0, 0])


cdef void _spmm_t_rows(Py_ssize_t i0, Py_ssize_t i1, const csr_index *indptr,
                       const csr_index *indices, const floating *data, const floating *X,
                       Py_ssize_t k, floating *Y) noexcept nogil:
    """Y[indices[p], :] += data[p] X[i, :] over the rows i in [i0, i1): A^T X as a scatter,
    reading X and A once, in order (Y, n x k, is the part that must stay in cache)."""
    cdef Py_ssize_t i, p, c
    cdef floating a
    cdef const floating *x
    cdef floating *y
    for i in range(i0, i1):
        x = X + i * k
        for p in range(indptr[i], indptr[i + 1]):
            a = data[p]
            y = Y + indices[p] * k
            for c in range(k):
                y[c] += a * x[c]


def csr_rmatmat(const csr_index[::1] indptr, const csr_index[::1] indices,
                const floating[::1] data, const Py_ssize_t[::1] bounds,
                const floating[:, ::1] X, floating[:, :, ::1] partial, int n_threads=1):
    """partial[c] = (rows bounds[c]:bounds[c+1] of A)^T X[those rows] for every chunk c
    (zeroed first); the caller sums the chunks in order, so the result depends on the
    chunk count only, never on the thread count."""
    cdef Py_ssize_t n_chunks = bounds.shape[0] - 1, c, k = X.shape[1]
    if partial.shape[0] < n_chunks or partial.shape[2] != k:
        raise ValueError("csr_rmatmat: inconsistent shapes")
    if n_chunks <= 0 or k == 0 or partial.shape[1] == 0:
        return
    cdef const floating *xp = &X[0, 0] if X.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    cdef const csr_index *ip = &indices[0] if indices.shape[0] else NULL
    for c in prange(n_chunks, nogil=True, schedule="static", num_threads=max(n_threads, 1)):
        memset(&partial[c, 0, 0], 0, partial.shape[1] * k * sizeof(floating))
        _spmm_t_rows(bounds[c], bounds[c + 1], &indptr[0], ip, dp, xp, k, &partial[c, 0, 0])


def csr_matvec_ref(const csr_index[::1] indptr, const csr_index[::1] indices,
                   const floating[::1] data, const floating[::1] x, floating[::1] y):
    """Textbook row loop (test oracle): y = A x."""
    cdef Py_ssize_t i, k
    cdef double s
    for i in range(y.shape[0]):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        y[i] = s


def update_xr(double alpha, floating[::1] x, const floating[::1] p, floating[::1] r,
              const floating[::1] q, int n_threads=1):
    """In place x += alpha p, r -= alpha q; returns r.r (test hook for the fused kernel)."""
    cdef Py_ssize_t n = x.shape[0]
    if n == 0:
        return 0.0
    cdef double[::1] partial = np.empty(vector_blocks(n), dtype=np.float64)
    cdef double d
    with nogil:
        d = update_xr_kernel(n, alpha, &x[0], &p[0], &r[0], &q[0], &partial[0], n_threads)
    return d
