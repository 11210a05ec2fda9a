"""Kernels of the matrix-factorization estimators (``lamina.decomposition``): NMF's
coordinate-descent sweep and fused multiplicative-update passes, and ALS's batched small
regularized least-squares solves.

Design
------
* ``cdnmf_update``: one sweep of cyclic coordinate descent on the rows of W for
  min 1/2 ||X - W H||^2 + l1 |W| + l2/2 ||W||^2 with W >= 0 (Cichocki and Phan 2009;
  Hsieh and Dhillon 2011), given the Gram matrix HHt = H H^T (+ l2 on the diagonal) and
  XHt = X H^T (- l1), both computed by the caller with lamina's GEMM/SYRK.  Coordinate
  (i, t) moves to max(0, W[i, t] - g / HHt[t, t]) with g = (W HHt - XHt)[i, t].  An
  update of W[i, t] only reads row i of W, so sweeping the components t for one row at a
  time gives exactly the iterates of the component-major order (scikit-learn's), while
  keeping the row in cache and letting rows run in parallel.  The projected-gradient
  violation is stored per row and summed in order: results are identical for every
  thread count.  Cost O(n k^2) per sweep.
* ``mu_apply``: the multiplicative update W *= (N / D)^gamma (Lee and Seung 2001;
  Fevotte and Idier 2011 for gamma) with D += l1 + l2 W and zero denominators replaced
  by eps, fused in one pass; D may be a broadcast view (zero strides).
* ``kl_ratio`` (X / max(WH, eps) in place, 0 where X is 0), ``sq_diff_sum``
  (||X - WH||^2) and ``kl_terms`` (the two sums of the generalized KL divergence) are the
  elementwise parts of NMF's beta-divergence updates; the products are lamina GEMMs.
  Row partial sums are combined in order (thread-count independent).
* ``als_solve``: for every row u of a CSR matrix R, the k x k normal equations of
  regularized least squares against the fixed factor Y.  Explicit feedback:
  (Y_u^T Y_u + lambda I) x_u = Y_u^T r_u over the observed entries.  Implicit feedback
  (Hu, Koren and Volinsky 2008) with confidence c = 1 + alpha r:
  (Y^T Y + Y_u^T (C_u - I) Y_u + lambda I) x_u = Y_u^T C_u p_u, starting from the shared
  Gram matrix Y^T Y so each row costs O(nnz_u k^2 + k^3).  Each system is factored by
  lamina's Cholesky (``potrf_kernel``) and solved by two triangular substitutions; rows
  are independent and run in parallel, each thread with its own k x k workspace.  A
  system that is not positive definite (lambda = 0 and too few observations) leaves
  its row at zero and is counted in the return value.
"""
from cython cimport floating
from libc.math cimport fabs, log, pow
from cython.parallel cimport prange, threadid

from lamina._kernels._lapack cimport potrf_kernel


# Sweeps below this many multiply-adds run on one thread: an OpenMP team costs more than
# it saves on them (and much more when the cores are shared).
DEF _CD_PARALLEL_WORK = 4000000
# Elementwise passes over fewer entries than this run on one thread, for the same reason.
DEF _ELEMENTWISE_PARALLEL = 262144


cdef double cdnmf_row(Py_ssize_t k, floating *w, const floating *HHt, const floating *xht,
                      const Py_ssize_t *perm) noexcept nogil:
    """Coordinate descent over the k entries of one row w (in place), in the order perm;
    returns the row's projected-gradient violation."""
    cdef Py_ssize_t s, t, r
    cdef floating grad, pg, hess
    cdef const floating *h
    cdef double v = 0
    for s in range(k):
        t = perm[s]
        h = HHt + t * k
        grad = -xht[t]
        for r in range(k):
            grad = grad + h[r] * w[r]
        pg = grad
        if w[t] == 0 and grad > 0:
            pg = 0
        v += fabs(pg)
        hess = h[t]
        if hess != 0:
            w[t] = w[t] - grad / hess
            if w[t] < 0:
                w[t] = 0
    return v


def cdnmf_update(floating[:, ::1] W, const floating[:, ::1] HHt,
                 const floating[:, ::1] XHt, const Py_ssize_t[::1] perm,
                 double[::1] row_violation, int n_threads):
    """One coordinate-descent sweep over W (in place); returns the summed violation."""
    cdef Py_ssize_t n = W.shape[0], k = W.shape[1], i, s
    cdef double total = 0
    if HHt.shape[0] != k or HHt.shape[1] != k or XHt.shape[0] != n or XHt.shape[1] != k \
            or perm.shape[0] != k or row_violation.shape[0] != n:
        raise ValueError("cdnmf_update: inconsistent shapes")
    for s in range(k):
        if perm[s] < 0 or perm[s] >= k:
            raise ValueError("cdnmf_update: permutation out of range")
    if n == 0 or k == 0:
        return 0.0
    if n * k * k < _CD_PARALLEL_WORK:
        n_threads = 1
    with nogil:
        if n_threads <= 1:
            for i in range(n):
                row_violation[i] = cdnmf_row(k, &W[i, 0], &HHt[0, 0], &XHt[i, 0], &perm[0])
        else:
            for i in prange(n, schedule="static", num_threads=n_threads):
                row_violation[i] = cdnmf_row(k, &W[i, 0], &HHt[0, 0], &XHt[i, 0], &perm[0])
        for i in range(n):
            total += row_violation[i]
    return total


def mu_apply(floating[:, ::1] W, floating[:, ::1] numer, const floating[:, :] denom,
             double l1, double l2, double gamma, double eps, int n_threads):
    """W *= (numer / fix(denom + l1 + l2 W))^gamma in place (numer is overwritten)."""
    cdef Py_ssize_t n = W.shape[0], k = W.shape[1], i, j
    cdef floating d, q
    if numer.shape[0] != n or numer.shape[1] != k or denom.shape[0] != n \
            or denom.shape[1] != k:
        raise ValueError("mu_apply: inconsistent shapes")
    if n == 0 or k == 0:
        return
    if n * k < _ELEMENTWISE_PARALLEL:
        n_threads = 1
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            for j in range(k):
                d = denom[i, j]
                if l1 > 0:
                    d = d + <floating> l1
                if l2 > 0:
                    d = d + <floating> l2 * W[i, j]
                if d == 0:
                    d = <floating> eps
                q = numer[i, j] / d
                if gamma != 1:
                    q = <floating> pow(q, gamma)
                W[i, j] = W[i, j] * q


def kl_ratio(const floating[:, ::1] X, floating[:, ::1] WH, double eps, int n_threads):
    """WH := X / max(WH, eps) in place (the KL numerator's weights)."""
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], i, j
    cdef floating w
    if WH.shape[0] != n or WH.shape[1] != m:
        raise ValueError("kl_ratio: inconsistent shapes")
    if n == 0 or m == 0:
        return
    if n * m < _ELEMENTWISE_PARALLEL:
        n_threads = 1
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            for j in range(m):
                w = WH[i, j]
                if w < eps:
                    w = <floating> eps
                WH[i, j] = X[i, j] / w


def sq_diff_sum(const floating[:, ::1] X, const floating[:, ::1] WH, double[::1] rows,
                int n_threads):
    """sum((X - WH)^2), summed per row and then over rows in order."""
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], i, j
    cdef double acc, d, total = 0
    if WH.shape[0] != n or WH.shape[1] != m or rows.shape[0] != n:
        raise ValueError("sq_diff_sum: inconsistent shapes")
    if n * m < _ELEMENTWISE_PARALLEL:
        n_threads = 1
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            acc = 0
            for j in range(m):
                d = <double> X[i, j] - <double> WH[i, j]
                acc = acc + d * d
            rows[i] = acc
        for i in range(n):
            total += rows[i]
    return total


def kl_terms(const floating[:, ::1] X, const floating[:, ::1] WH, double eps,
             double[::1] rows, double[::1] rows2, int n_threads):
    """(sum x log(x / max(wh, eps)), sum x) over the entries with x > eps."""
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], i, j
    cdef double acc, acc2, x, w, t1 = 0, t2 = 0
    if WH.shape[0] != n or WH.shape[1] != m or rows.shape[0] != n or rows2.shape[0] != n:
        raise ValueError("kl_terms: inconsistent shapes")
    if n * m < _ELEMENTWISE_PARALLEL:
        n_threads = 1
    with nogil:
        for i in prange(n, schedule="static", num_threads=n_threads):
            acc = 0
            acc2 = 0
            for j in range(m):
                x = X[i, j]
                if x > eps:
                    w = WH[i, j]
                    if w < eps:
                        w = eps
                    acc = acc + x * log(x / w)
                    acc2 = acc2 + x
            rows[i] = acc
            rows2[i] = acc2
        for i in range(n):
            t1 += rows[i]
            t2 += rows2[i]
    return t1, t2


cdef Py_ssize_t als_row(Py_ssize_t k, const index_t *cols, const floating *vals,
                        Py_ssize_t nnz, const floating *Y, const floating *YtY,
                        double reg, double alpha, bint implicit,
                        floating *A, floating *b, floating *x) noexcept nogil:
    """Solve one row's normal equations into x; returns 0 or the potrf info."""
    cdef Py_ssize_t p, a, c
    cdef const floating *y
    cdef floating w, rhs, s
    cdef Py_ssize_t info
    for a in range(k):
        b[a] = 0
        for c in range(a + 1):
            A[a * k + c] = YtY[a * k + c] if implicit else 0
        A[a * k + a] += <floating> reg
    for p in range(nnz):
        y = Y + cols[p] * k
        if implicit:
            w = <floating> alpha * vals[p]        # c - 1
            rhs = 1 + w                           # c * p with p = 1
        else:
            w = 1
            rhs = vals[p]
        for a in range(k):
            s = w * y[a]
            b[a] += rhs * y[a]
            for c in range(a + 1):
                A[a * k + c] += s * y[c]
    # lower Cholesky of the row-major lower triangle (element (a, c) at a*k + c)
    info = potrf_kernel(k, A, k, 1, 1)
    if info != 0:
        for a in range(k):
            x[a] = 0
        return info
    # L z = b, then L^T x = z
    for a in range(k):
        s = b[a]
        for c in range(a):
            s -= A[a * k + c] * b[c]
        b[a] = s / A[a * k + a]
    for a in range(k - 1, -1, -1):
        s = b[a]
        for c in range(a + 1, k):
            s -= A[c * k + a] * x[c]
        x[a] = s / A[a * k + a]
    return 0


def als_solve(const index_t[::1] indptr, const index_t[::1] indices,
              const floating[::1] data, const floating[:, ::1] Y,
              const floating[:, ::1] YtY, floating[:, ::1] X, floating[:, ::1] work,
              double reg, double alpha, bint implicit, int n_threads):
    """Every row of X from the CSR rows (indptr, indices, data) against Y; ``work`` holds
    k*k + 2k scratch values per thread.  Returns the number of rows whose system was not
    positive definite (left at zero)."""
    cdef Py_ssize_t n = X.shape[0], k = X.shape[1], u, failed = 0
    cdef Py_ssize_t start, stop, tid
    cdef floating *w
    if indptr.shape[0] != n + 1 or Y.shape[1] != k or YtY.shape[0] != k \
            or YtY.shape[1] != k or work.shape[1] < k * k + 2 * k \
            or work.shape[0] < max(n_threads, 1):
        raise ValueError("als_solve: inconsistent shapes")
    if n == 0 or k == 0:
        return 0
    if indptr[n] > indices.shape[0] or indptr[n] > data.shape[0]:
        raise ValueError("als_solve: indptr exceeds the stored entries")
    if (indptr[n] + n * k) * k * k < _CD_PARALLEL_WORK:
        n_threads = 1
    with nogil:
        for u in prange(n, schedule="dynamic", chunksize=16, num_threads=n_threads):
            tid = threadid()
            w = &work[tid, 0]
            start = indptr[u]
            stop = indptr[u + 1]
            if als_row(k, &indices[start] if stop > start else NULL,
                       &data[start] if stop > start else NULL, stop - start,
                       &Y[0, 0], &YtY[0, 0], reg, alpha, implicit,
                       w, w + k * k, &X[u, 0]) != 0:
                failed += 1
    return failed
