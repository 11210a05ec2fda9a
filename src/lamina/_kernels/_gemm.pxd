# Level-3 BLAS kernels callable from other Cython code (`cimport lamina._kernels._gemm`).
#
# Matrices are passed as a base pointer and element strides of any sign: element (i, j) of
# an m x n operand X is X[i*rsx + j*csx], so a transpose is expressed by swapping the two
# strides.  All kernels return 0, or -1 when memory for the packed panels could not be
# allocated (the caller raises MemoryError); none of them touches Python objects.

from cython cimport floating

# C[m x n] = alpha * A[m x k] @ B[k x n] + beta * C.  beta == 0 ignores C's contents.
cdef int gemm_kernel(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                     const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                     floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                     int n_threads) noexcept nogil

# gemm_kernel followed by the fused epilogue C[i, j] = act(C[i, j] + bias[i*bias_rs +
# j*bias_cs]) applied per C tile while it is in cache (bias may be NULL; act is one of the
# ACT_* codes of _gemm.pyx: 0 none, 1 relu, 2 gelu, 3 sigmoid, 4 tanh).
cdef int gemm_ex(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                 const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                 const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                 floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                 const floating *bias, Py_ssize_t bias_rs, Py_ssize_t bias_cs, int act,
                 int n_threads) noexcept nogil

# B[m x n] := alpha * inv(A) @ B (left; A is m x m) or alpha * B @ inv(A) (right; A is
# n x n), A triangular (lower or upper; unit_diag: the diagonal is taken as ones and not
# read).  Only the referenced triangle of A is read.  A zero on the diagonal gives the
# IEEE result (Inf/NaN), no error: callers check the diagonal first when they must.
cdef int trsm_kernel(bint left, bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                     floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     floating *B, Py_ssize_t rsb, Py_ssize_t csb,
                     int n_threads) noexcept nogil

# B := alpha * A @ B (left) or alpha * B @ A (right), A triangular as in trsm_kernel.
cdef int trmm_kernel(bint left, bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                     floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     floating *B, Py_ssize_t rsb, Py_ssize_t csb,
                     int n_threads) noexcept nogil

# C[n x n] := alpha * A @ A^T + beta * C on the lower (or upper) triangle only; A is n x k.
# The other strict triangle of C is neither read nor written.
cdef int syrk_kernel(bint lower, Py_ssize_t n, Py_ssize_t k, floating alpha,
                     const floating *A, Py_ssize_t rsa, Py_ssize_t csa, floating beta,
                     floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                     int n_threads) noexcept nogil
