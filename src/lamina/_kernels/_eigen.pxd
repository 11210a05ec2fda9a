# Symmetric eigenvalue and SVD kernels (column-major, leading dimension ld) callable from
# Cython.  Return codes as documented in _eigen.pyx: 0 success, -1 allocation failure,
# > 0 the iteration did not converge.

from cython cimport floating

cdef int sytrd_kernel(Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d, floating *e,
                      floating *tau, int n_threads) noexcept nogil
cdef Py_ssize_t steqr_kernel(Py_ssize_t n, floating *d, floating *e, floating *Z,
                             Py_ssize_t ldz, Py_ssize_t nrows, int n_threads) noexcept nogil
cdef Py_ssize_t stedc_kernel(Py_ssize_t n, floating *d, floating *e, floating *Q,
                             Py_ssize_t ldq, int n_threads) noexcept nogil
cdef int gebrd_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d,
                      floating *e, floating *tauq, floating *taup,
                      int n_threads) noexcept nogil
cdef Py_ssize_t bdsqr_kernel(Py_ssize_t n, floating *d, floating *e, floating *U,
                             Py_ssize_t ldu, Py_ssize_t nru, floating *V, Py_ssize_t ldv,
                             Py_ssize_t nrv, int n_threads) noexcept nogil
cdef Py_ssize_t jacobi_kernel(Py_ssize_t m, Py_ssize_t n, floating *X, Py_ssize_t ldx,
                              floating *V, Py_ssize_t ldv, Py_ssize_t max_sweeps,
                              int n_threads) noexcept nogil
