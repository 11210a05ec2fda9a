# Matrix-factorization kernels callable from Cython (`cimport lamina._kernels._decomp`).

from cython cimport floating

ctypedef fused index_t:
    int
    long long

# One row of NMF's coordinate descent: w (k) updated in place against the Gram matrix
# HHt (k x k, row-major) and the row xht of X H^T, coordinates in the order perm;
# returns the row's projected-gradient violation.
cdef double cdnmf_row(Py_ssize_t k, floating *w, const floating *HHt, const floating *xht,
                      const Py_ssize_t *perm) noexcept nogil

# One row of ALS: x (k) solves the regularized normal equations of the nnz observed
# entries (cols, vals) against Y (rows of k, row-major); YtY (k x k) is the shared Gram
# matrix of implicit feedback.  A (k*k) and b (k) are scratch.  Returns 0, or the order
# of the leading minor that was not positive definite (x is then zero).
cdef Py_ssize_t als_row(Py_ssize_t k, const index_t *cols, const floating *vals,
                        Py_ssize_t nnz, const floating *Y, const floating *YtY,
                        double reg, double alpha, bint implicit,
                        floating *A, floating *b, floating *x) noexcept nogil
