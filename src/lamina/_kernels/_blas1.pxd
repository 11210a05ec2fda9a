# Level-1 BLAS kernels callable from other Cython code (plugins may cimport these).
# Pointers address the first logical element; strides are in elements and may be negative.

cdef extern from "lamina_blas1.h" nogil:
    double lamina_ddot(Py_ssize_t n, const double *x, Py_ssize_t incx,
                       const double *y, Py_ssize_t incy, int isa, int nt)
    float lamina_sdot(Py_ssize_t n, const float *x, Py_ssize_t incx,
                      const float *y, Py_ssize_t incy, int isa, int nt)
    void lamina_daxpy(Py_ssize_t n, double alpha, const double *x, Py_ssize_t incx,
                      double *y, Py_ssize_t incy, int isa, int nt)
    void lamina_saxpy(Py_ssize_t n, float alpha, const float *x, Py_ssize_t incx,
                      float *y, Py_ssize_t incy, int isa, int nt)
    void lamina_dscal(Py_ssize_t n, double alpha, double *x, Py_ssize_t incx, int isa, int nt)
    void lamina_sscal(Py_ssize_t n, float alpha, float *x, Py_ssize_t incx, int isa, int nt)
    double lamina_dasum(Py_ssize_t n, const double *x, Py_ssize_t incx, int isa, int nt)
    float lamina_sasum(Py_ssize_t n, const float *x, Py_ssize_t incx, int isa, int nt)
    double lamina_dnrm2(Py_ssize_t n, const double *x, Py_ssize_t incx, int isa, int nt)
    float lamina_snrm2(Py_ssize_t n, const float *x, Py_ssize_t incx, int isa, int nt)
    Py_ssize_t lamina_idamax(Py_ssize_t n, const double *x, Py_ssize_t incx, int isa)
    Py_ssize_t lamina_isamax(Py_ssize_t n, const float *x, Py_ssize_t incx, int isa)

from cython cimport floating

# n_threads only matters for n >= 2**15 (see lamina_blas1.h); results never depend on it.
cdef floating dot_kernel(Py_ssize_t n, const floating *x, Py_ssize_t incx,
                         const floating *y, Py_ssize_t incy, int n_threads) noexcept nogil
cdef void axpy_kernel(Py_ssize_t n, floating alpha, const floating *x, Py_ssize_t incx,
                      floating *y, Py_ssize_t incy, int n_threads) noexcept nogil
cdef void scal_kernel(Py_ssize_t n, floating alpha, floating *x, Py_ssize_t incx,
                      int n_threads) noexcept nogil
cdef floating nrm2_kernel(Py_ssize_t n, const floating *x, Py_ssize_t incx,
                          int n_threads) noexcept nogil
cdef floating asum_kernel(Py_ssize_t n, const floating *x, Py_ssize_t incx,
                          int n_threads) noexcept nogil
cdef Py_ssize_t iamax_kernel(Py_ssize_t n, const floating *x, Py_ssize_t incx) noexcept nogil
