# Level-2 BLAS kernels callable from other Cython code.

cdef extern from "lamina_blas2.h" nogil:
    void lamina_dgemv_rows(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, double alpha,
                           const double *A, Py_ssize_t rs, Py_ssize_t cs, const double *x,
                           double beta, double *y, int isa)
    void lamina_sgemv_rows(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, float alpha,
                           const float *A, Py_ssize_t rs, Py_ssize_t cs, const float *x,
                           float beta, float *y, int isa)
    void lamina_dger_rows(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, double alpha,
                          const double *x, const double *y, double *A, Py_ssize_t rs,
                          Py_ssize_t cs, int accumulate, int isa)
    void lamina_sger_rows(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, float alpha,
                          const float *x, const float *y, float *A, Py_ssize_t rs,
                          Py_ssize_t cs, int accumulate, int isa)

from cython cimport floating

cdef void gemv_kernel(Py_ssize_t m, Py_ssize_t n, floating alpha, const floating *A,
                      Py_ssize_t rs, Py_ssize_t cs, const floating *x, floating beta,
                      floating *y, int n_threads) noexcept nogil
cdef void ger_kernel(Py_ssize_t m, Py_ssize_t n, floating alpha, const floating *x,
                     const floating *y, floating *A, Py_ssize_t rs, Py_ssize_t cs,
                     bint accumulate, int n_threads) noexcept nogil
