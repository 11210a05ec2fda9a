# Dense factorization kernels (column-major, leading dimension ld) callable from Cython.

from cython cimport floating

cdef Py_ssize_t getrf_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                             Py_ssize_t *ipiv, int n_threads) noexcept nogil
cdef void getrs_kernel(bint trans, Py_ssize_t n, Py_ssize_t nrhs, const floating *LU,
                       Py_ssize_t ld, const Py_ssize_t *ipiv, floating *B, Py_ssize_t ldb,
                       int n_threads) noexcept nogil
cdef Py_ssize_t potrf_kernel(Py_ssize_t n, floating *A, Py_ssize_t rs, Py_ssize_t cs,
                             int n_threads) noexcept nogil
cdef int geqrf_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                      floating *tau, int n_threads) noexcept nogil
cdef int ormqr_kernel(bint trans, Py_ssize_t m, Py_ssize_t nc, Py_ssize_t k,
                      const floating *A, Py_ssize_t ld, const floating *tau,
                      floating *C, Py_ssize_t ldc, int n_threads) noexcept nogil
cdef int orgqr_kernel(Py_ssize_t m, Py_ssize_t ncol, Py_ssize_t k, floating *A,
                      Py_ssize_t ld, const floating *tau, int n_threads) noexcept nogil
cdef void geqp2_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                       Py_ssize_t *jpvt, floating *tau, floating *work) noexcept nogil
