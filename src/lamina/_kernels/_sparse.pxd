# Sparse (CSR) kernels callable from other Cython code (the iterative solvers, plugins).
#
# A CSR matrix is (indptr, indices, data) with int32 or int64 indices.  Threaded kernels
# split the rows into `blocks`: a partition by nonzeros that depends on the matrix only
# (see csr_row_blocks), so every result -- fused dot products included -- is identical for
# any thread count.

from cython cimport floating

ctypedef fused csr_index:
    int
    long long

# y = A x (b == NULL) or y = b - A x (b != NULL).  Returns sum_i y_i * w_i in double
# (the fused dot product; w may be y itself, x, or any vector) or 0 when w == NULL.
# `partial` is scratch of length n_blocks (needed only when w != NULL).
cdef double csr_spmv_kernel(const csr_index *indptr, const csr_index *indices,
                            const floating *data, const Py_ssize_t *blocks,
                            Py_ssize_t n_blocks, const floating *x, const floating *b,
                            floating *y, const floating *w, double *partial,
                            int n_threads) noexcept nogil

# The same on the SELL-8 layout (lamina_sell.h, built by sell_from_csr): blocks split
# the slices; n is the number of rows.
cdef double sell_spmv_kernel(Py_ssize_t n, const long long *sptr, const int *slen,
                             const int *col, const floating *val, const Py_ssize_t *blocks,
                             Py_ssize_t n_blocks, const floating *x, const floating *b,
                             floating *y, const floating *w, double *partial,
                             int n_threads) noexcept nogil

# Fixed-size blocks over a vector of length n used by the fused vector kernels below.
cdef Py_ssize_t vector_blocks(Py_ssize_t n) noexcept nogil

# x += alpha p; r -= alpha q; returns r.r (partial: scratch of vector_blocks(n) doubles).
cdef double update_xr_kernel(Py_ssize_t n, double alpha, floating *x, const floating *p,
                             floating *r, const floating *q, double *partial,
                             int n_threads) noexcept nogil
# p = z + beta p.
cdef void xpby_kernel(Py_ssize_t n, const floating *z, double beta, floating *p,
                      int n_threads) noexcept nogil
# z = d * r (elementwise); returns r.z.
cdef double diag_scale_dot_kernel(Py_ssize_t n, const floating *d, const floating *r,
                                  floating *z, double *partial,
                                  int n_threads) noexcept nogil
# x += d * r (elementwise).
cdef void diag_update_kernel(Py_ssize_t n, const floating *d, const floating *r,
                             floating *x, int n_threads) noexcept nogil

# Block-range forms for a running team of threads (each writes partial[blk] for its blocks
# [b0, b1); the caller sums partial in block order): SpMV over CSR or SELL-8 row blocks,
# and the vector kernels above over vector_blocks(n) blocks.
cdef void csr_spmv_blocks(const csr_index *indptr, const csr_index *indices,
                          const floating *data, const Py_ssize_t *blocks, Py_ssize_t b0,
                          Py_ssize_t b1, const floating *x, const floating *b, floating *y,
                          const floating *w, double *partial) noexcept nogil
cdef void sell_spmv_blocks(Py_ssize_t n, const long long *sptr, const int *slen,
                           const int *col, const floating *val, const Py_ssize_t *blocks,
                           Py_ssize_t b0, Py_ssize_t b1, const floating *x,
                           const floating *b, floating *y, const floating *w,
                           double *partial) noexcept nogil
cdef void update_xr_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1, double alpha,
                           floating *x, const floating *p, floating *r, const floating *q,
                           double *partial) noexcept nogil
cdef void xpby_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1, const floating *z,
                      double beta, floating *p) noexcept nogil
cdef void diag_scale_dot_blocks(Py_ssize_t n, Py_ssize_t b0, Py_ssize_t b1,
                                const floating *d, const floating *r, floating *z,
                                double *partial) noexcept nogil
