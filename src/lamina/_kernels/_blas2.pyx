"""Level-2 BLAS kernels: gemv (y = alpha*A*x + beta*y) and ger (A += alpha*x*y^T).

Design
------
Arithmetic in ``include/lamina_blas2.h`` (per-ISA C); this module splits rows into one
contiguous block per OpenMP thread.  Both operations read every element of A once and do
two flops per element, so they are memory-bound: threads pay off only when A is large
enough to amortize waking the team and, on this machine class, mostly while A still fits
in the caches.  The threshold ``PARALLEL_MIN_ELEMENTS`` (2**16 elements = 512 KiB of
float64) was measured with ``lamina bench blas1``; below it the kernels run serially.

A is addressed through its element strides (rs, cs), so any layout or view works without
a copy.  x must have unit stride and y unit stride (the Python layer copies a strided
vector, which is O(n) beside the O(mn) matrix).
"""
from cython cimport floating
from cython.parallel cimport parallel, threadid

from lamina._kernels._runtime cimport get_isa, record_team_size

cdef extern from "lamina_omp.h" nogil:
    int lamina_omp_get_num_threads()

PARALLEL_MIN_ELEMENTS = 1 << 16
cdef Py_ssize_t _PARALLEL_MIN = 1 << 16


cdef inline void _gemv_block(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, floating alpha,
                             const floating *A, Py_ssize_t rs, Py_ssize_t cs,
                             const floating *x, floating beta, floating *y,
                             int isa) noexcept nogil:
    if floating is double:
        lamina_dgemv_rows(i0, i1, n, alpha, A, rs, cs, x, beta, y, isa)
    else:
        lamina_sgemv_rows(i0, i1, n, alpha, A, rs, cs, x, beta, y, isa)


cdef inline void _ger_block(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, floating alpha,
                            const floating *x, const floating *y, floating *A,
                            Py_ssize_t rs, Py_ssize_t cs, bint accumulate,
                            int isa) noexcept nogil:
    if floating is double:
        lamina_dger_rows(i0, i1, n, alpha, x, y, A, rs, cs, accumulate, isa)
    else:
        lamina_sger_rows(i0, i1, n, alpha, x, y, A, rs, cs, accumulate, isa)


cdef inline Py_ssize_t _block_start(Py_ssize_t m, int tid, int nt) noexcept nogil:
    # Row blocks rounded to 16 rows so threads do not share cache lines of y.
    cdef Py_ssize_t chunk = (m + nt - 1) // nt
    chunk = (chunk + 15) // 16 * 16
    return min(m, tid * chunk)


cdef void gemv_kernel(Py_ssize_t m, Py_ssize_t n, floating alpha, const floating *A,
                      Py_ssize_t rs, Py_ssize_t cs, const floating *x, floating beta,
                      floating *y, int n_threads) noexcept nogil:
    cdef int isa = get_isa(), tid, nt
    if n_threads <= 1 or m * n < _PARALLEL_MIN or m < 32:
        record_team_size(1)
        _gemv_block(0, m, n, alpha, A, rs, cs, x, beta, y, isa)
        return
    with parallel(num_threads=n_threads):
        tid = threadid()
        nt = lamina_omp_get_num_threads()
        if tid == 0:
            record_team_size(nt)
        _gemv_block(_block_start(m, tid, nt), _block_start(m, tid + 1, nt), n, alpha,
                    A, rs, cs, x, beta, y, isa)


cdef void ger_kernel(Py_ssize_t m, Py_ssize_t n, floating alpha, const floating *x,
                     const floating *y, floating *A, Py_ssize_t rs, Py_ssize_t cs,
                     bint accumulate, int n_threads) noexcept nogil:
    cdef int isa = get_isa(), tid, nt
    if n_threads <= 1 or m * n < _PARALLEL_MIN or m < 32:
        record_team_size(1)
        _ger_block(0, m, n, alpha, x, y, A, rs, cs, accumulate, isa)
        return
    with parallel(num_threads=n_threads):
        tid = threadid()
        nt = lamina_omp_get_num_threads()
        if tid == 0:
            record_team_size(nt)
        _ger_block(_block_start(m, tid, nt), _block_start(m, tid + 1, nt), n, alpha,
                   x, y, A, rs, cs, accumulate, isa)


def gemv(double alpha, const floating[:, :] a, const floating[::1] x, double beta,
         floating[::1] y, int n_threads):
    """In place: y = alpha * a @ x + beta * y (beta == 0 ignores y's contents)."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    if m == 0:
        return
    cdef Py_ssize_t i
    if n == 0:
        for i in range(m):
            y[i] = 0 if beta == 0 else <floating> beta * y[i]
        return
    with nogil:
        gemv_kernel(m, n, <floating> alpha, &a[0, 0], a.strides[0] // <Py_ssize_t> sizeof(floating),
                    a.strides[1] // <Py_ssize_t> sizeof(floating), &x[0], <floating> beta, &y[0],
                    n_threads)


def ger(double alpha, const floating[::1] x, const floating[::1] y, floating[:, :] a,
        bint accumulate, int n_threads):
    """In place: a += alpha * outer(x, y) (or a = alpha * outer(x, y) without accumulate)."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    if m == 0 or n == 0:
        return
    with nogil:
        ger_kernel(m, n, <floating> alpha, &x[0], &y[0], &a[0, 0],
                   a.strides[0] // <Py_ssize_t> sizeof(floating),
                   a.strides[1] // <Py_ssize_t> sizeof(floating), accumulate, n_threads)


# ---------------------------------------------------------------------------------------
# Reference twins (tests only).

def gemv_ref(double alpha_, const floating[:, :] a, const floating[:] x, double beta_,
             floating[:] y):
    cdef Py_ssize_t i, j
    cdef floating s, alpha = <floating> alpha_, beta = <floating> beta_
    for i in range(a.shape[0]):
        s = 0
        for j in range(a.shape[1]):
            s += a[i, j] * x[j]
        y[i] = alpha * s if beta == 0 else alpha * s + beta * y[i]


def ger_ref(double alpha_, const floating[:] x, const floating[:] y, floating[:, :] a,
            bint accumulate):
    cdef Py_ssize_t i, j
    cdef floating alpha = <floating> alpha_
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if accumulate:
                a[i, j] = a[i, j] + alpha * x[i] * y[j]
            else:
                a[i, j] = alpha * x[i] * y[j]
