"""Krylov and stationary iterative solvers, each iteration loop written once in nogil Cython.

Design
------
A :class:`Problem` holds C descriptions of the operator A and of the preconditioner M:
dense (any strides, level-2 ``gemv_kernel``), CSR (``csr_spmv_kernel``, int32 or int64
indices) or a Python callable.  Every algorithm below is one nogil loop over these
descriptions.  With a dense or CSR operator, a built-in preconditioner and no monitor,
the loop never touches Python; a Python operator, preconditioner or monitor (callback,
progress bar) is called under ``with gil`` at exactly the point the algorithm needs it,
so the same loop serves every case and Python costs only what the Python objects cost.

Dot products ride along with the passes that produce their operands: ``p.Ap`` with the
SpMV, ``r.r`` with the x/r update, ``r.z`` with the Jacobi preconditioner (CG moves about
``12 nnz + 7 n`` words of memory per iteration with float64 values and int32 indices).
Work vectors are rows of one array that the caller allocates once per solve; the residual
history grows geometrically in C memory.  Every kernel gives results independent of the
thread count (fixed blocking), so iteration counts never depend on it.

Stopping test (as SciPy's): ||r|| <= tol, the caller passing tol = max(rtol ||b||, atol).
Status codes are mapped to reason strings by ``lamina.solvers``.
"""
from libc.math cimport sqrt, fabs, hypot, isfinite
from libc.stdlib cimport realloc, free
from libc.string cimport memcpy, memset
from cpython.exc cimport PyErr_CheckSignals
from cpython.ref cimport PyObject
from cython cimport floating
from cython.parallel cimport parallel

import numpy as np

from lamina._kernels._blas1 cimport dot_kernel, axpy_kernel, nrm2_kernel, scal_kernel
from lamina._kernels._blas2 cimport gemv_kernel
from lamina._kernels._sparse cimport (csr_index, csr_spmv_kernel, sell_spmv_kernel,
                                      csr_spmv_blocks, sell_spmv_blocks, update_xr_blocks,
                                      xpby_blocks, diag_scale_dot_blocks, vector_blocks,
                                      update_xr_kernel, xpby_kernel, diag_scale_dot_kernel,
                                      diag_update_kernel)

cdef extern from "lamina_omp.h" nogil:
    void lamina_omp_barrier()
    int lamina_omp_get_thread_num()
    int lamina_omp_get_num_threads()
    ctypedef struct lamina_spin_barrier_t:
        int count
        int sense
        int size
    void lamina_spin_barrier_init(lamina_spin_barrier_t *b, int size)
    void lamina_spin_barrier_wait(lamina_spin_barrier_t *b, int *local_sense)

cdef extern from "Python.h":
    # The raw C-API call: returns -1 with the exception set, which the caller propagates
    # once it is safe to (after the team of threads has stopped).
    int _signals_raw "PyErr_CheckSignals"()

# Status codes returned by the solvers.
CONVERGED = 0
MAXITER = 1
BREAKDOWN_CURVATURE = 2      # CG: p.Ap <= 0 (A not positive definite)
DIVERGED = 3                 # residual non-finite or grown by DIVERGENCE_FACTOR
BREAKDOWN_RHO = 4            # BiCGSTAB: rhat.r == 0
BREAKDOWN_OMEGA = 5          # BiCGSTAB: omega == 0 or t == 0
PRECONDITIONER_INDEFINITE = 6  # r.Mr <= 0 where M must be positive definite
BREAKDOWN_SINGULAR = 7       # GMRES: singular Hessenberg (A maps the Krylov space to 0)
BREAKDOWN_ALPHA = 8          # BiCGSTAB: rhat.v == 0

cdef enum:
    _CONVERGED = 0
    _MAXITER = 1
    _BREAKDOWN_CURVATURE = 2
    _DIVERGED = 3
    _BREAKDOWN_RHO = 4
    _BREAKDOWN_OMEGA = 5
    _PC_INDEFINITE = 6
    _BREAKDOWN_SINGULAR = 7
    _BREAKDOWN_ALPHA = 8

cdef enum:
    OP_NONE = 0
    OP_DENSE = 1
    OP_CSR32 = 2
    OP_CSR64 = 3
    OP_PYTHON = 4
    OP_SELL = 5

cdef enum:
    PC_NONE = 0
    PC_DIAG = 1
    PC_SSOR = 2
    PC_IC0 = 3
    PC_OPERATOR = 4

# Stationary methods stop as diverged once the residual grows by this factor.
DIVERGENCE_FACTOR = 1e8
cdef double _DIVERGENCE = 1e8


cdef struct Operator:
    int kind
    Py_ssize_t n
    void *data
    void *indptr
    void *indices
    Py_ssize_t rs
    Py_ssize_t cs
    Py_ssize_t *blocks
    Py_ssize_t n_blocks
    PyObject *fn
    int *lens           # OP_SELL: row lengths (indptr: slice pointer, indices: columns)


cdef struct Precond:
    int kind
    void *diag          # PC_DIAG: 1/diag(A); PC_SSOR: diag(A)
    double omega
    # mat: A (CSR) for PC_SSOR; L (CSR, int64, diagonal last) for PC_IC0; M itself for
    # PC_OPERATOR.
    Operator mat


cdef struct History:
    double *data
    Py_ssize_t size
    Py_ssize_t cap


cdef int _check_signals() except -1 with gil:
    PyErr_CheckSignals()
    return 0


cdef int _hist_push(History *h, double v) except -1 nogil:
    # Every iteration records its residual here, so this is also where a long nogil solve
    # looks for Ctrl-C (every 256 iterations: the GIL round trip is then negligible).
    cdef Py_ssize_t cap
    cdef double *p
    if (h.size & 255) == 255:
        _check_signals()
    if h.size == h.cap:
        cap = 64 if h.cap < 32 else 2 * h.cap
        p = <double *> realloc(h.data, cap * sizeof(double))
        if p == NULL:
            with gil:
                raise MemoryError("residual history")
        h.data = p
        h.cap = cap
    h.data[h.size] = v
    h.size += 1
    return 0


cdef int _notify(PyObject *monitor, Py_ssize_t it, double res) except -1 nogil:
    if monitor != NULL:
        with gil:
            (<object> monitor)(it, res)
    return 0


cdef void *_ptr(a):
    return <void *> <size_t> a.__array_interface__["data"][0]


cdef void _copy(Py_ssize_t n, const floating *src, floating *dst) noexcept nogil:
    if dst != src:
        memcpy(dst, src, n * sizeof(floating))


# ---------------------------------------------------------------------------------------
# Operator application: y = A x (b == NULL) or y = b - A x; returns y.w (0 if w == NULL).

cdef int _python_call(Operator *A, const floating *x, floating *y,
                      const floating *b) except -1 with gil:
    cdef Py_ssize_t i, n = A.n
    cdef floating[::1] res
    xin = np.asarray(<floating[:n]> <floating *> x).copy()
    res = (<object> A.fn)(xin)
    for i in range(n):
        y[i] = res[i] if b == NULL else b[i] - res[i]
    return 0


cdef double _python_apply(Operator *A, const floating *x, const floating *b, floating *y,
                          const floating *w) except? -1 nogil:
    if A.n == 0:
        return 0.0
    _python_call(A, x, y, b)
    if w != NULL:
        return dot_kernel(A.n, y, 1, w, 1, 1)
    return 0.0


cdef double op_apply(Operator *A, const floating *x, const floating *b, floating *y,
                     const floating *w, double *partial, int nt) except? -1 nogil:
    cdef Py_ssize_t n = A.n
    if A.kind == OP_CSR32:
        return csr_spmv_kernel(<const int *> A.indptr, <const int *> A.indices,
                               <const floating *> A.data, A.blocks, A.n_blocks,
                               x, b, y, w, partial, nt)
    if A.kind == OP_CSR64:
        return csr_spmv_kernel(<const long long *> A.indptr, <const long long *> A.indices,
                               <const floating *> A.data, A.blocks, A.n_blocks,
                               x, b, y, w, partial, nt)
    if A.kind == OP_SELL:
        return sell_spmv_kernel(n, <const long long *> A.indptr, A.lens,
                                <const int *> A.indices, <const floating *> A.data,
                                A.blocks, A.n_blocks, x, b, y, w, partial, nt)
    if A.kind == OP_DENSE:
        if b != NULL:
            _copy(n, b, y)
            gemv_kernel(n, n, <floating> -1, <const floating *> A.data, A.rs, A.cs, x,
                        <floating> 1, y, nt)
        else:
            gemv_kernel(n, n, <floating> 1, <const floating *> A.data, A.rs, A.cs, x,
                        <floating> 0, y, nt)
        if w != NULL:
            return dot_kernel(n, y, 1, w, 1, nt)
        return 0.0
    return _python_apply(A, x, b, y, w)


# ---------------------------------------------------------------------------------------
# Preconditioners: z = M r, returns r.z.

cdef void _ssor_sweeps(const csr_index *indptr, const csr_index *indices,
                       const floating *data, const floating *diag, double omega,
                       Py_ssize_t n, const floating *r, floating *z) noexcept nogil:
    # M^-1 r = w(2-w) (D + wU)^-1 D (D + wL)^-1 r : a forward then a backward sweep.
    cdef Py_ssize_t i, k, j
    cdef double s
    for i in range(n):
        s = r[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j < i:
                s -= omega * data[k] * z[j]
        z[i] = <floating> (s / diag[i])
    for i in range(n):
        z[i] = z[i] * diag[i]
    for i in range(n - 1, -1, -1):
        s = z[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j > i:
                s -= omega * data[k] * z[j]
        z[i] = <floating> (s / diag[i])
    for i in range(n):
        z[i] = <floating> (z[i] * omega * (2.0 - omega))


cdef void _ic0_solve(const long long *indptr, const long long *indices, const floating *data,
                     Py_ssize_t n, const floating *r, floating *z) noexcept nogil:
    # L L^T z = r with L in CSR (rows sorted, diagonal last): forward by rows, then L^T
    # by columns of L^T = rows of L, scattering each solved z_i into the earlier ones.
    cdef Py_ssize_t i, k, kd
    cdef double s
    cdef floating zi
    for i in range(n):
        s = r[i]
        kd = indptr[i + 1] - 1
        for k in range(indptr[i], kd):
            s -= data[k] * z[indices[k]]
        z[i] = <floating> (s / data[kd])
    for i in range(n - 1, -1, -1):
        kd = indptr[i + 1] - 1
        zi = z[i] / data[kd]
        z[i] = zi
        for k in range(indptr[i], kd):
            z[indices[k]] -= data[k] * zi


cdef double pc_apply(Precond *M, Py_ssize_t n, const floating *r, floating *z,
                     double *partial, int nt) except? -1 nogil:
    if M.kind == PC_DIAG:
        return diag_scale_dot_kernel(n, <const floating *> M.diag, r, z, partial, nt)
    if M.kind == PC_SSOR:
        if M.mat.kind == OP_CSR32:
            _ssor_sweeps(<const int *> M.mat.indptr, <const int *> M.mat.indices,
                         <const floating *> M.mat.data, <const floating *> M.diag,
                         M.omega, n, r, z)
        else:
            _ssor_sweeps(<const long long *> M.mat.indptr,
                         <const long long *> M.mat.indices,
                         <const floating *> M.mat.data, <const floating *> M.diag,
                         M.omega, n, r, z)
    elif M.kind == PC_IC0:
        _ic0_solve(<const long long *> M.mat.indptr, <const long long *> M.mat.indices,
                   <const floating *> M.mat.data, n, r, z)
    elif M.kind == PC_OPERATOR:
        return op_apply(&M.mat, r, <const floating *> NULL, z, r, partial, nt)
    else:
        _copy(n, r, z)
    return dot_kernel(n, r, 1, z, 1, nt)


# ---------------------------------------------------------------------------------------
# The problem object: operator + preconditioner descriptions and the arrays behind them.

cdef int _fill(Operator *op, Py_ssize_t n, kind, dense, indptr, indices, data, blocks,
               fn, lens=None) except -1:
    memset(op, 0, sizeof(Operator))
    op.n = n
    if kind == "dense":
        op.kind = OP_DENSE
        op.data = _ptr(dense)
        op.rs = dense.strides[0] // dense.itemsize
        op.cs = dense.strides[1] // dense.itemsize
    elif kind == "csr":
        op.kind = OP_CSR64 if indices.dtype.itemsize == 8 else OP_CSR32
        op.indptr = _ptr(indptr)
        op.indices = _ptr(indices)
        op.data = _ptr(data)
        op.blocks = <Py_ssize_t *> _ptr(blocks)
        op.n_blocks = blocks.shape[0] - 1
    elif kind == "sell":
        op.kind = OP_SELL
        op.indptr = _ptr(indptr)
        op.indices = _ptr(indices)
        op.data = _ptr(data)
        op.lens = <int *> _ptr(lens)
        op.blocks = <Py_ssize_t *> _ptr(blocks)
        op.n_blocks = blocks.shape[0] - 1
    elif kind == "python":
        op.kind = OP_PYTHON
        op.fn = <PyObject *> fn
    else:
        op.kind = OP_NONE
    return 0


cdef class Problem:
    """Operator and preconditioner descriptions for the solver loops (internal).

    ``set_operator``/``set_preconditioner`` keep references to every array they are given;
    the arrays must be C-contiguous (dense: any strides), of the problem's dtype.
    """
    cdef Operator op
    cdef Precond pc
    cdef readonly Py_ssize_t n
    cdef readonly int n_threads
    cdef list _keep
    cdef object _partial
    cdef Py_ssize_t _max_blocks

    def __cinit__(self, Py_ssize_t n, int n_threads=1):
        self.n = n
        self.n_threads = max(1, n_threads)
        self._keep = []
        self._max_blocks = vector_blocks(n)
        memset(&self.op, 0, sizeof(Operator))
        memset(&self.pc, 0, sizeof(Precond))
        self.op.n = n
        self.pc.mat.n = n

    def set_operator(self, kind, dense=None, indptr=None, indices=None, data=None,
                     blocks=None, fn=None, lens=None):
        self._keep.append((dense, indptr, indices, data, blocks, fn, lens))
        _fill(&self.op, self.n, kind, dense, indptr, indices, data, blocks, fn, lens)
        if blocks is not None:
            self._max_blocks = max(self._max_blocks, blocks.shape[0])

    def set_preconditioner(self, kind, diag=None, omega=1.0, mat_kind=None, dense=None,
                           indptr=None, indices=None, data=None, blocks=None, fn=None,
                           lens=None):
        self._keep.append((diag, dense, indptr, indices, data, blocks, fn, lens))
        self.pc.kind = {"none": PC_NONE, "diag": PC_DIAG, "ssor": PC_SSOR, "ic0": PC_IC0,
                        "operator": PC_OPERATOR}[kind]
        self.pc.diag = _ptr(diag) if diag is not None else NULL
        self.pc.omega = omega
        _fill(&self.pc.mat, self.n, mat_kind, dense, indptr, indices, data, blocks, fn,
              lens)
        if blocks is not None:
            self._max_blocks = max(self._max_blocks, blocks.shape[0])

    cdef double *partial(self) except NULL:
        if self._partial is None or self._partial.shape[0] < self._max_blocks + 1:
            self._partial = np.empty(self._max_blocks + 1, dtype=np.float64)
        return <double *> _ptr(self._partial)

    def apply_operator(self, const floating[::1] x, floating[::1] y):
        """y = A x (test and SpMV hook)."""
        cdef double *partial = self.partial()
        if self.n == 0:
            return
        with nogil:
            op_apply(&self.op, &x[0], <const floating *> NULL, &y[0],
                     <const floating *> NULL, partial, self.n_threads)

    def apply_preconditioner(self, const floating[::1] r, floating[::1] z):
        """z = M r; returns r.z."""
        cdef double *partial = self.partial()
        cdef double d
        if self.n == 0:
            return 0.0
        with nogil:
            d = pc_apply(&self.pc, self.n, &r[0], &z[0], partial, self.n_threads)
        return d


cdef _result(int status, Py_ssize_t it, double res, History *h):
    hist = np.empty(h.size, dtype=np.float64)
    cdef Py_ssize_t i
    cdef double[::1] hv = hist
    for i in range(h.size):
        hv[i] = h.data[i]
    return status, it, res, hist


# ---------------------------------------------------------------------------------------
# Conjugate gradients (Hestenes & Stiefel 1952), preconditioned.

cdef inline int _residual_status(double rnorm, double tol) noexcept nogil:
    """CG's test after each update: converged, diverged (non-finite), or go on."""
    if rnorm <= tol:
        return _CONVERGED
    if not isfinite(rnorm):
        return _DIVERGED
    return _MAXITER


cdef inline int _curvature_status(double pq) noexcept nogil:
    """CG's test of p.Ap: go on when positive, else the breakdown (or NaN: diverged)."""
    if pq > 0:
        return _MAXITER
    return _BREAKDOWN_CURVATURE if pq <= 0 else _DIVERGED


cdef int _cg(Operator *A, Precond *M, Py_ssize_t n, const floating *b, floating *x,
             floating *r, floating *z, floating *p, floating *q, bint x0_zero, double tol,
             Py_ssize_t maxiter, double *partial, int nt, PyObject *monitor, History *h,
             Py_ssize_t *it_out, double *res_out, double *team) except -1 nogil:
    cdef double rr, rho, rho_new, pq, alpha, rnorm
    cdef Py_ssize_t it = 0
    cdef int status = _MAXITER
    if x0_zero:
        _copy(n, b, r)
        rr = dot_kernel(n, r, 1, r, 1, nt)
    else:
        rr = op_apply(A, x, b, r, r, partial, nt)
    rnorm = sqrt(rr)
    _hist_push(h, rnorm)
    if rnorm <= tol:
        status = _CONVERGED
    elif not isfinite(rnorm):
        status = _DIVERGED
    elif maxiter > 0:
        if M.kind == PC_NONE:
            rho = rr
            _copy(n, r, p)
        else:
            rho = pc_apply(M, n, r, z, partial, nt)
            _copy(n, z, p)
        if not rho > 0:
            status = _PC_INDEFINITE
        if status == _MAXITER and team != NULL:
            return _cg_team(A, M, n, x, r, z, p, q, rho, rnorm, tol, maxiter, team, nt, h,
                            it_out, res_out)
        while status == _MAXITER and it < maxiter:
            pq = op_apply(A, p, <const floating *> NULL, q, p, partial, nt)
            status = _curvature_status(pq)
            if status != _MAXITER:
                break
            alpha = rho / pq
            rr = update_xr_kernel(n, alpha, x, p, r, q, partial, nt)
            it += 1
            rnorm = sqrt(rr)
            _hist_push(h, rnorm)
            _notify(monitor, it, rnorm)
            status = _residual_status(rnorm, tol)
            if status != _MAXITER:
                break
            if M.kind == PC_NONE:
                rho_new = rr
                xpby_kernel(n, r, rho_new / rho, p, nt)
            else:
                rho_new = pc_apply(M, n, r, z, partial, nt)
                if not rho_new > 0:
                    status = _PC_INDEFINITE
                    break
                xpby_kernel(n, z, rho_new / rho, p, nt)
            rho = rho_new
    it_out[0] = it
    res_out[0] = rnorm
    return status


# ---------------------------------------------------------------------------------------
# CG on a team of threads that stays up for the whole solve: one parallel region instead
# of three per iteration (waking a team costs several microseconds, as much as a whole
# iteration at n = 10^4), three barriers per iteration (four with a Jacobi
# preconditioner).  Each thread owns a fixed share of the SpMV row blocks and of the
# vector blocks; the dot products are partial sums per block, added up in block order
# by every thread -- so every thread takes the same decisions, and x is bitwise the one
# the serial loop computes.

# CG runs on a team from this many unknowns on (below it the barriers cost more than the
# split saves).
TEAM_MIN_N = 4096
cdef Py_ssize_t _TEAM_MIN_N = TEAM_MIN_N

cdef enum:
    _TEAM_STOP = 0      # shared flags: set by thread 0, read by all after a barrier
    _TEAM_STATUS = 1
    _TEAM_FAILED = 2    # 1: out of memory for the history, 2: a signal (KeyboardInterrupt)


cdef bint team_eligible(Operator *A, Precond *M, Py_ssize_t n, int nt,
                        object monitor) noexcept:
    return (nt > 1 and monitor is None and n >= _TEAM_MIN_N
            and (A.kind == OP_CSR32 or A.kind == OP_CSR64 or A.kind == OP_SELL)
            and (M.kind == PC_NONE or M.kind == PC_DIAG))


cdef inline void _op_blocks(Operator *A, Py_ssize_t b0, Py_ssize_t b1, const floating *x,
                            floating *y, const floating *w, double *partial) noexcept nogil:
    if A.kind == OP_SELL:
        sell_spmv_blocks(A.n, <const long long *> A.indptr, A.lens, <const int *> A.indices,
                         <const floating *> A.data, A.blocks, b0, b1, x,
                         <const floating *> NULL, y, w, partial)
    elif A.kind == OP_CSR32:
        csr_spmv_blocks(<const int *> A.indptr, <const int *> A.indices,
                        <const floating *> A.data, A.blocks, b0, b1, x,
                        <const floating *> NULL, y, w, partial)
    else:
        csr_spmv_blocks(<const long long *> A.indptr, <const long long *> A.indices,
                        <const floating *> A.data, A.blocks, b0, b1, x,
                        <const floating *> NULL, y, w, partial)


cdef void _team_start() noexcept nogil:
    # The spin barrier's size is set by thread 0 once the team exists; the one OpenMP
    # barrier of the solve publishes it.
    lamina_omp_barrier()


cdef inline double _sum_in_order(const double *v, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i
    cdef double s = 0.0
    for i in range(m):
        s += v[i]
    return s


cdef int _hist_push_quiet(History *h, double v) noexcept nogil:
    # _hist_push for thread 0 of a team: reports instead of raising (raising inside the
    # parallel region would leave the other threads waiting at a barrier).
    cdef Py_ssize_t cap
    cdef double *p
    if (h.size & 255) == 255:
        with gil:
            if _signals_raw() != 0:
                return 2
    if h.size == h.cap:
        cap = 64 if h.cap < 32 else 2 * h.cap
        p = <double *> realloc(h.data, cap * sizeof(double))
        if p == NULL:
            return 1
        h.data = p
        h.cap = cap
    h.data[h.size] = v
    h.size += 1
    return 0


cdef void _cg_team_body(Operator *A, Precond *M, Py_ssize_t n, floating *x, floating *r,
                        floating *z, floating *p, floating *q, double rho, double tol,
                        Py_ssize_t maxiter, double *part_a, double *part_v, double *part_z,
                        History *h, int *flags, lamina_spin_barrier_t *bar,
                        Py_ssize_t *it_out, double *res_out) noexcept nogil:
    cdef int t = lamina_omp_get_thread_num(), nt = lamina_omp_get_num_threads()
    cdef int sense = 0
    cdef Py_ssize_t nba = A.n_blocks, nbv = vector_blocks(n), it = 0
    cdef Py_ssize_t a0 = nba * t // nt, a1 = nba * (t + 1) // nt
    cdef Py_ssize_t v0 = nbv * t // nt, v1 = nbv * (t + 1) // nt
    cdef double pq, alpha, rr, rho_new, rnorm = res_out[0]
    cdef int status = _MAXITER, failed
    while it < maxiter:
        _op_blocks(A, a0, a1, p, q, p, part_a)
        lamina_spin_barrier_wait(bar, &sense)
        if flags[_TEAM_STOP]:
            break
        pq = _sum_in_order(part_a, nba)
        status = _curvature_status(pq)
        if status != _MAXITER:
            break
        alpha = rho / pq
        update_xr_blocks(n, v0, v1, alpha, x, p, r, q, part_v)
        lamina_spin_barrier_wait(bar, &sense)
        rr = _sum_in_order(part_v, nbv)
        it += 1
        rnorm = sqrt(rr)
        if t == 0:
            failed = _hist_push_quiet(h, rnorm)
            if failed:
                flags[_TEAM_FAILED] = failed
                flags[_TEAM_STOP] = 1
        status = _residual_status(rnorm, tol)
        if status != _MAXITER:
            break
        if M.kind == PC_DIAG:
            diag_scale_dot_blocks(n, v0, v1, <const floating *> M.diag, r, z, part_z)
            lamina_spin_barrier_wait(bar, &sense)
            rho_new = _sum_in_order(part_z, nbv)
            if not rho_new > 0:
                status = _PC_INDEFINITE
                break
            xpby_blocks(n, v0, v1, z, rho_new / rho, p)
        else:
            rho_new = rr
            xpby_blocks(n, v0, v1, r, rho_new / rho, p)
        rho = rho_new
        lamina_spin_barrier_wait(bar, &sense)
    if t == 0:
        it_out[0] = it
        res_out[0] = rnorm
        flags[_TEAM_STATUS] = status


cdef int _cg_team(Operator *A, Precond *M, Py_ssize_t n, floating *x, floating *r,
                  floating *z, floating *p, floating *q, double rho, double rnorm,
                  double tol, Py_ssize_t maxiter, double *team, int nt, History *h,
                  Py_ssize_t *it_out, double *res_out) except -1 nogil:
    # team: scratch of A.n_blocks + 2 vector_blocks(n) doubles.
    cdef double *part_a = team
    cdef double *part_v = team + A.n_blocks
    cdef double *part_z = part_v + vector_blocks(n)
    cdef int flags[3]
    cdef lamina_spin_barrier_t bar
    flags[0] = flags[1] = flags[2] = 0
    res_out[0] = rnorm
    with parallel(num_threads=nt):
        if lamina_omp_get_thread_num() == 0:
            lamina_spin_barrier_init(&bar, lamina_omp_get_num_threads())
        _team_start()
        _cg_team_body(A, M, n, x, r, z, p, q, rho, tol, maxiter, part_a, part_v, part_z, h,
                      flags, &bar, it_out, res_out)
    if flags[_TEAM_FAILED] == 1:
        with gil:
            raise MemoryError("residual history")
    if flags[_TEAM_FAILED] == 2:
        return -1               # the signal's exception (KeyboardInterrupt) is set
    return flags[_TEAM_STATUS]


def cg(Problem P, const floating[::1] b, floating[::1] x, floating[:, ::1] work,
       bint x0_zero, double tol, Py_ssize_t maxiter, monitor=None):
    """Run CG in place on x; work has 4 rows of length n.  Returns (status, it, res, hist)."""
    cdef History h
    h.data = NULL
    h.size = h.cap = 0
    cdef Py_ssize_t it = 0, n = P.n
    cdef double res = 0.0
    cdef int status
    cdef double *partial = P.partial()
    cdef PyObject *mon = <PyObject *> monitor if monitor is not None else NULL
    cdef double *team = NULL
    if team_eligible(&P.op, &P.pc, n, P.n_threads, monitor):
        team_scratch = np.empty(P.op.n_blocks + 2 * vector_blocks(n), dtype=np.float64)
        team = <double *> _ptr(team_scratch)
    try:
        with nogil:
            status = _cg(&P.op, &P.pc, n, &b[0], &x[0], &work[0, 0], &work[1, 0],
                         &work[2, 0], &work[3, 0], x0_zero, tol, maxiter, partial,
                         P.n_threads, mon, &h, &it, &res, team)
        return _result(status, it, res, &h)
    finally:
        free(h.data)


# ---------------------------------------------------------------------------------------
# Stationary methods: Jacobi, and Gauss-Seidel / SOR (Gauss-Seidel is omega = 1).

cdef void _sor_sweep_csr(const csr_index *indptr, const csr_index *indices,
                         const floating *data, const floating *diag, double omega,
                         Py_ssize_t n, const floating *b, floating *x) noexcept nogil:
    # x_i += omega (b_i - sum_j a_ij x_j) / a_ii, x_j already updated for j < i.
    cdef Py_ssize_t i, k
    cdef double s
    for i in range(n):
        s = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            s -= data[k] * x[indices[k]]
        x[i] = <floating> (x[i] + omega * s / diag[i])


cdef void _sor_sweep_dense(const floating *A, Py_ssize_t rs, Py_ssize_t cs,
                           const floating *diag, double omega, Py_ssize_t n,
                           const floating *b, floating *x) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double s
    for i in range(n):
        s = b[i]
        for j in range(n):
            s -= A[i * rs + j * cs] * x[j]
        x[i] = <floating> (x[i] + omega * s / diag[i])


cdef int _stationary(Operator *A, int method, const floating *diag, const floating *dinv,
                     double omega, Py_ssize_t n, const floating *b, floating *x, floating *r,
                     double tol, Py_ssize_t maxiter, double *partial, int nt,
                     PyObject *monitor, History *h, Py_ssize_t *it_out,
                     double *res_out) except -1 nogil:
    # method 0: Jacobi (x += D^-1 r); 1: SOR sweep.  The residual before each update is
    # what is tested and recorded, so the reported norm always belongs to the returned x.
    cdef Py_ssize_t it = 0
    cdef double rnorm, r0
    cdef int status = _MAXITER
    while True:
        rnorm = sqrt(op_apply(A, x, b, r, r, partial, nt))
        _hist_push(h, rnorm)
        if it == 0:
            r0 = rnorm
        else:
            _notify(monitor, it, rnorm)
        if rnorm <= tol:
            status = _CONVERGED
            break
        if not isfinite(rnorm) or rnorm > _DIVERGENCE * r0:
            status = _DIVERGED
            break
        if it >= maxiter:
            break
        if method == 0:
            diag_update_kernel(n, dinv, r, x, nt)
        elif A.kind == OP_CSR32:
            _sor_sweep_csr(<const int *> A.indptr, <const int *> A.indices,
                           <const floating *> A.data, diag, omega, n, b, x)
        elif A.kind == OP_CSR64:
            _sor_sweep_csr(<const long long *> A.indptr, <const long long *> A.indices,
                           <const floating *> A.data, diag, omega, n, b, x)
        else:
            _sor_sweep_dense(<const floating *> A.data, A.rs, A.cs, diag, omega, n, b, x)
        it += 1
    it_out[0] = it
    res_out[0] = rnorm
    return status


def stationary(Problem P, int method, const floating[::1] diag, double omega,
               const floating[::1] b, floating[::1] x, floating[:, ::1] work, double tol,
               Py_ssize_t maxiter, monitor=None):
    """Jacobi (method 0) or SOR (method 1) in place on x; work: 2 rows (dinv, r)."""
    cdef History h
    h.data = NULL
    h.size = h.cap = 0
    cdef Py_ssize_t it = 0, n = P.n, i
    cdef double res = 0.0
    cdef int status
    cdef double *partial = P.partial()
    cdef PyObject *mon = <PyObject *> monitor if monitor is not None else NULL
    for i in range(n):
        work[0, i] = 1 / diag[i]
    try:
        with nogil:
            status = _stationary(&P.op, method, &diag[0], &work[0, 0], omega, n, &b[0],
                                 &x[0], &work[1, 0], tol, maxiter, partial, P.n_threads,
                                 mon, &h, &it, &res)
        return _result(status, it, res, &h)
    finally:
        free(h.data)


# ---------------------------------------------------------------------------------------
# MINRES (Paige & Saunders 1975) for symmetric, possibly indefinite A; M symmetric
# positive definite.

cdef int _minres(Operator *A, Precond *M, Py_ssize_t n, const floating *b, floating *x,
                 floating *W, double tol, Py_ssize_t maxiter, double *partial, int nt,
                 PyObject *monitor, History *h, Py_ssize_t *it_out,
                 double *res_out) except -1 nogil:
    cdef floating *r1 = W
    cdef floating *r2 = W + n
    cdef floating *y = W + 2 * n
    cdef floating *v = W + 3 * n
    cdef floating *w = W + 4 * n
    cdef floating *w1 = W + 5 * n
    cdef floating *w2 = W + 6 * n
    cdef floating *scratch = W + 7 * n
    cdef floating *tmp
    cdef double beta1, beta, oldb, dbar, epsln, oldeps, phibar, phi, cs, sn, alfa, delta
    cdef double gbar, gamma, rnorm, rnorm0, est, scale, betasq
    cdef Py_ssize_t it = 0, i
    cdef int status = _MAXITER
    rnorm = sqrt(op_apply(A, x, b, r1, r1, partial, nt))
    rnorm0 = rnorm
    _hist_push(h, rnorm)
    if rnorm <= tol:
        status = _CONVERGED
    elif not isfinite(rnorm):
        status = _DIVERGED
    elif maxiter > 0:
        if M.kind == PC_NONE:
            _copy(n, r1, y)
            betasq = rnorm * rnorm
        else:
            betasq = pc_apply(M, n, r1, y, partial, nt)
        if not betasq > 0:
            status = _PC_INDEFINITE
        else:
            beta1 = sqrt(betasq)
            # phibar estimates ||r|| in the M-norm; rescale it to the 2-norm of r0.
            scale = rnorm0 / beta1
            _copy(n, r1, r2)
            memset(w, 0, n * sizeof(floating))
            memset(w2, 0, n * sizeof(floating))
            oldb = 0.0
            beta = beta1
            dbar = 0.0
            epsln = 0.0
            phibar = beta1
            cs = -1.0
            sn = 0.0
            while it < maxiter:
                for i in range(n):
                    v[i] = <floating> (y[i] / beta)
                op_apply(A, v, <const floating *> NULL, y, <const floating *> NULL,
                         partial, nt)
                if it >= 1:
                    axpy_kernel(n, <floating> (-beta / oldb), r1, 1, y, 1, nt)
                alfa = dot_kernel(n, v, 1, y, 1, nt)
                axpy_kernel(n, <floating> (-alfa / beta), r2, 1, y, 1, nt)
                tmp = r1
                r1 = r2
                r2 = y
                y = tmp
                if M.kind == PC_NONE:
                    _copy(n, r2, y)
                    betasq = dot_kernel(n, r2, 1, r2, 1, nt)
                else:
                    betasq = pc_apply(M, n, r2, y, partial, nt)
                if betasq < 0 or not isfinite(betasq):
                    status = _PC_INDEFINITE if betasq < 0 else _DIVERGED
                    break
                oldb = beta
                beta = sqrt(betasq)
                oldeps = epsln
                delta = cs * dbar + sn * alfa
                gbar = sn * dbar - cs * alfa
                epsln = sn * beta
                dbar = -cs * beta
                gamma = hypot(gbar, beta)
                if gamma == 0:
                    gamma = 1e-300
                cs = gbar / gamma
                sn = beta / gamma
                phi = cs * phibar
                phibar = sn * phibar
                tmp = w1
                w1 = w2
                w2 = w
                w = tmp
                for i in range(n):
                    w[i] = <floating> ((v[i] - oldeps * w1[i] - delta * w2[i]) / gamma)
                axpy_kernel(n, <floating> phi, w, 1, x, 1, nt)
                it += 1
                est = phibar * scale
                if est <= tol or beta == 0:
                    # Confirm with the true residual before declaring convergence.
                    est = sqrt(op_apply(A, x, b, scratch, scratch, partial, nt))
                    rnorm = est
                    _hist_push(h, est)
                    _notify(monitor, it, est)
                    if est <= tol:
                        status = _CONVERGED
                        break
                    if beta == 0:
                        # The Krylov space is exhausted; nothing more can be gained.
                        status = _MAXITER
                        break
                    continue
                rnorm = est
                _hist_push(h, est)
                _notify(monitor, it, est)
                if not isfinite(est):
                    status = _DIVERGED
                    break
            if status == _MAXITER:
                rnorm = sqrt(op_apply(A, x, b, scratch, scratch, partial, nt))
    it_out[0] = it
    res_out[0] = rnorm
    return status


def minres(Problem P, const floating[::1] b, floating[::1] x, floating[:, ::1] work,
           double tol, Py_ssize_t maxiter, monitor=None):
    """MINRES in place on x; work has 8 rows."""
    cdef History h
    h.data = NULL
    h.size = h.cap = 0
    cdef Py_ssize_t it = 0
    cdef double res = 0.0
    cdef int status
    cdef double *partial = P.partial()
    cdef PyObject *mon = <PyObject *> monitor if monitor is not None else NULL
    try:
        with nogil:
            status = _minres(&P.op, &P.pc, P.n, &b[0], &x[0], &work[0, 0], tol, maxiter,
                             partial, P.n_threads, mon, &h, &it, &res)
        return _result(status, it, res, &h)
    finally:
        free(h.data)


# ---------------------------------------------------------------------------------------
# GMRES(m) (Saad & Schultz 1986): Arnoldi with modified Gram-Schmidt, Givens rotations,
# right preconditioning so the minimized residual is the true one.  maxiter counts
# restart cycles, as in SciPy.

cdef int _gmres(Operator *A, Precond *M, Py_ssize_t n, Py_ssize_t m, const floating *b,
                floating *x, floating *V, floating *z, floating *u, double *H, double *g,
                double *cs, double *sn, double *yv, double tol, Py_ssize_t maxiter,
                double *partial, int nt, PyObject *monitor, History *h, Py_ssize_t *it_out,
                double *res_out) except -1 nogil:
    cdef Py_ssize_t total = 0, cycle = 0, j, i, k, col
    cdef double beta, hij, hn, t, denom, resid, s
    cdef int status = _MAXITER
    cdef bint breakdown
    cdef floating *vj
    cdef floating *vn
    cdef const floating *src
    while True:
        beta = sqrt(op_apply(A, x, b, V, V, partial, nt))
        if cycle == 0:
            _hist_push(h, beta)
        if beta <= tol:
            status = _CONVERGED
            break
        if not isfinite(beta):
            status = _DIVERGED
            break
        if cycle >= maxiter:
            status = _MAXITER
            break
        scal_kernel(n, <floating> (1.0 / beta), V, 1, nt)
        g[0] = beta
        for i in range(1, m + 1):
            g[i] = 0.0
        k = 0
        breakdown = False
        for j in range(m):
            vj = V + j * n
            vn = V + (j + 1) * n
            if M.kind != PC_NONE:
                pc_apply(M, n, vj, z, partial, nt)
                src = z
            else:
                src = vj
            op_apply(A, src, <const floating *> NULL, vn, <const floating *> NULL,
                     partial, nt)
            for i in range(j + 1):
                hij = dot_kernel(n, vn, 1, V + i * n, 1, nt)
                H[i * m + j] = hij
                axpy_kernel(n, <floating> -hij, V + i * n, 1, vn, 1, nt)
            hn = nrm2_kernel(n, vn, 1, nt)
            for i in range(j):
                t = cs[i] * H[i * m + j] + sn[i] * H[(i + 1) * m + j]
                H[(i + 1) * m + j] = -sn[i] * H[i * m + j] + cs[i] * H[(i + 1) * m + j]
                H[i * m + j] = t
            denom = hypot(H[j * m + j], hn)
            if denom == 0 or not isfinite(denom):
                breakdown = True
                break
            cs[j] = H[j * m + j] / denom
            sn[j] = hn / denom
            H[j * m + j] = denom
            g[j + 1] = -sn[j] * g[j]
            g[j] = cs[j] * g[j]
            resid = fabs(g[j + 1])
            k = j + 1
            total += 1
            _hist_push(h, resid)
            _notify(monitor, total, resid)
            if hn != 0:
                scal_kernel(n, <floating> (1.0 / hn), vn, 1, nt)
            if resid <= tol or hn == 0:
                break
        # y = H[:k, :k]^-1 g[:k] (upper triangular), then x += M (V y).
        for i in range(k - 1, -1, -1):
            s = g[i]
            for col in range(i + 1, k):
                s -= H[i * m + col] * yv[col]
            yv[i] = s / H[i * m + i]
        if k > 0:
            memset(u, 0, n * sizeof(floating))
            for i in range(k):
                axpy_kernel(n, <floating> yv[i], V + i * n, 1, u, 1, nt)
            if M.kind != PC_NONE:
                pc_apply(M, n, u, z, partial, nt)
                axpy_kernel(n, <floating> 1, z, 1, x, 1, nt)
            else:
                axpy_kernel(n, <floating> 1, u, 1, x, 1, nt)
        cycle += 1
        if breakdown and k == 0:
            beta = sqrt(op_apply(A, x, b, V, V, partial, nt))
            status = _CONVERGED if beta <= tol else _BREAKDOWN_SINGULAR
            break
    it_out[0] = total
    res_out[0] = beta
    return status


def gmres(Problem P, const floating[::1] b, floating[::1] x, floating[:, ::1] work,
          Py_ssize_t restart, double tol, Py_ssize_t maxiter, monitor=None):
    """GMRES(restart) in place on x; work has restart + 3 rows."""
    cdef History h
    h.data = NULL
    h.size = h.cap = 0
    cdef Py_ssize_t it = 0, n = P.n, m = restart
    cdef double res = 0.0
    cdef int status
    cdef double *partial = P.partial()
    cdef PyObject *mon = <PyObject *> monitor if monitor is not None else NULL
    small = np.zeros((m + 1) * m + 4 * (m + 1), dtype=np.float64)
    cdef double *H = <double *> _ptr(small)
    cdef double *g = H + (m + 1) * m
    try:
        with nogil:
            status = _gmres(&P.op, &P.pc, n, m, &b[0], &x[0], &work[0, 0],
                            &work[m + 1, 0], &work[m + 2, 0], H, g, g + (m + 1),
                            g + 2 * (m + 1), g + 3 * (m + 1), tol, maxiter, partial,
                            P.n_threads, mon, &h, &it, &res)
        return _result(status, it, res, &h)
    finally:
        free(h.data)


# ---------------------------------------------------------------------------------------
# BiCGSTAB (van der Vorst 1992), right preconditioned.

cdef int _bicgstab(Operator *A, Precond *M, Py_ssize_t n, const floating *b, floating *x,
                   floating *W, double tol, Py_ssize_t maxiter, double *partial, int nt,
                   PyObject *monitor, History *h, Py_ssize_t *it_out,
                   double *res_out) except -1 nogil:
    cdef floating *r = W
    cdef floating *rhat = W + n
    cdef floating *p = W + 2 * n
    cdef floating *v = W + 3 * n
    cdef floating *s = W + 4 * n
    cdef floating *t = W + 5 * n
    cdef floating *phat = W + 6 * n
    cdef floating *shat = W + 7 * n
    cdef double rho, rho_old = 1.0, alpha = 1.0, omega = 1.0, beta, rv, ss, ts, tt, rnorm
    cdef double rr
    cdef Py_ssize_t it = 0, i
    cdef int status = _MAXITER
    rnorm = sqrt(op_apply(A, x, b, r, r, partial, nt))
    _hist_push(h, rnorm)
    if rnorm <= tol:
        status = _CONVERGED
    elif not isfinite(rnorm):
        status = _DIVERGED
    else:
        _copy(n, r, rhat)
        if M.kind == PC_NONE:
            phat = p
            shat = s
    while status == _MAXITER and it < maxiter:
        rho = dot_kernel(n, rhat, 1, r, 1, nt)
        if rho == 0 or not isfinite(rho):
            status = _BREAKDOWN_RHO if rho == 0 else _DIVERGED
            break
        if it == 0:
            _copy(n, r, p)
        else:
            beta = (rho / rho_old) * (alpha / omega)
            for i in range(n):
                p[i] = <floating> (r[i] + beta * (p[i] - omega * v[i]))
        if M.kind != PC_NONE:
            pc_apply(M, n, p, phat, partial, nt)
        rv = op_apply(A, phat, <const floating *> NULL, v, rhat, partial, nt)
        if rv == 0 or not isfinite(rv):
            status = _BREAKDOWN_ALPHA if rv == 0 else _DIVERGED
            break
        alpha = rho / rv
        ss = 0.0
        for i in range(n):
            s[i] = <floating> (r[i] - alpha * v[i])
            ss += <double> s[i] * s[i]
        if sqrt(ss) <= tol:
            axpy_kernel(n, <floating> alpha, phat, 1, x, 1, nt)
            it += 1
            rnorm = sqrt(ss)
            _hist_push(h, rnorm)
            _notify(monitor, it, rnorm)
            status = _CONVERGED
            break
        if M.kind != PC_NONE:
            pc_apply(M, n, s, shat, partial, nt)
        ts = op_apply(A, shat, <const floating *> NULL, t, s, partial, nt)
        tt = dot_kernel(n, t, 1, t, 1, nt)
        if tt == 0:
            status = _BREAKDOWN_OMEGA
            break
        omega = ts / tt
        rr = 0.0
        for i in range(n):
            x[i] = <floating> (x[i] + alpha * phat[i] + omega * shat[i])
            r[i] = <floating> (s[i] - omega * t[i])
            rr += <double> r[i] * r[i]
        rho_old = rho
        it += 1
        rnorm = sqrt(rr)
        _hist_push(h, rnorm)
        _notify(monitor, it, rnorm)
        if rnorm <= tol:
            status = _CONVERGED
            break
        if not isfinite(rnorm):
            status = _DIVERGED
            break
        if omega == 0:
            status = _BREAKDOWN_OMEGA
            break
    it_out[0] = it
    res_out[0] = rnorm
    return status


def bicgstab(Problem P, const floating[::1] b, floating[::1] x, floating[:, ::1] work,
             double tol, Py_ssize_t maxiter, monitor=None):
    """BiCGSTAB in place on x; work has 8 rows."""
    cdef History h
    h.data = NULL
    h.size = h.cap = 0
    cdef Py_ssize_t it = 0
    cdef double res = 0.0
    cdef int status
    cdef double *partial = P.partial()
    cdef PyObject *mon = <PyObject *> monitor if monitor is not None else NULL
    try:
        with nogil:
            status = _bicgstab(&P.op, &P.pc, P.n, &b[0], &x[0], &work[0, 0], tol, maxiter,
                               partial, P.n_threads, mon, &h, &it, &res)
        return _result(status, it, res, &h)
    finally:
        free(h.data)


# ---------------------------------------------------------------------------------------
# IC(0): incomplete Cholesky with the sparsity of tril(A).

def ic0_factor(const long long[::1] indptr, const long long[::1] indices,
               floating[::1] data):
    """In place: tril(A) (rows sorted, diagonal last) -> L with L L^T ~ A on its pattern.

    Returns -1 on success, else the row whose pivot was not positive.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, i, kk, j, pi, pj, ej, kd
    cdef Py_ssize_t failed = -1
    cdef double s, d
    with nogil:
        for i in range(n):
            kd = indptr[i + 1] - 1
            for kk in range(indptr[i], kd):
                j = indices[kk]
                # s = sum over m < j of L[i, m] L[j, m]: merge the two sorted rows.
                s = 0.0
                pi = indptr[i]
                pj = indptr[j]
                ej = indptr[j + 1] - 1
                while pi < kk and pj < ej:
                    if indices[pi] == indices[pj]:
                        s += <double> data[pi] * data[pj]
                        pi += 1
                        pj += 1
                    elif indices[pi] < indices[pj]:
                        pi += 1
                    else:
                        pj += 1
                data[kk] = <floating> ((data[kk] - s) / data[ej])
            d = data[kd]
            for kk in range(indptr[i], kd):
                d -= <double> data[kk] * data[kk]
            if not d > 0:
                failed = i
                break
            data[kd] = <floating> sqrt(d)
    return failed
