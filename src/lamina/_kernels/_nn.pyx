"""Element-wise kernels for lamina.nn: activations (forward and backward) and the fused,
in-place optimizer updates.

Design
------
Each function makes one pass over its arrays with OpenMP over elements (static schedule;
every element's result depends on that element alone, so results are identical for any
thread count).  Arrays arrive as C-contiguous flat views prepared by ``lamina.nn``; the
optimizer updates modify the parameter and state buffers in place, which is what lets a
training loop run without allocating.

``DenseStack`` is the training step of a stack of Dense layers (``lamina.nn._dense_stack``):
the mini-batch gather, the forward products and the whole backward pass, each in one call
that makes the same kernel calls the layers would, in the same order, from C.

Activations follow PyTorch's definitions: GELU is the exact ``x * Phi(x)`` with the error
function; sigmoid is evaluated as ``1/(1+exp(-x))`` for x >= 0 and ``exp(x)/(1+exp(x))``
otherwise so neither branch overflows, and with tanh comes from ``lamina_act.h`` (one
SIMD loop over lamina's vectorizable exp, per ISA).  Backward passes take the forward
*output* where that is enough (ReLU, sigmoid, tanh) and the input otherwise (GELU, leaky
ReLU).
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, erf, sqrt, pow
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from lamina._kernels._gemm cimport gemm_ex
from lamina._kernels._runtime cimport get_isa

import numpy as np

cdef extern from "lamina_act.h" nogil:
    void lamina_dact_sigmoid(int isa, Py_ssize_t n, const double *x, double *out)
    void lamina_sact_sigmoid(int isa, Py_ssize_t n, const float *x, float *out)
    void lamina_dact_tanh(int isa, Py_ssize_t n, const double *x, double *out)
    void lamina_sact_tanh(int isa, Py_ssize_t n, const float *x, float *out)
    void lamina_sact_gelu(int isa, Py_ssize_t n, const float *x, float *out)
    void lamina_sact_gelu_grad(int isa, Py_ssize_t n, const float *x, const float *grad,
                               float *out)

cdef Py_ssize_t PARALLEL_MIN = 1 << 15

cdef inline int _threads(Py_ssize_t n, int n_threads) noexcept nogil:
    return n_threads if n >= PARALLEL_MIN else 1


# ---------------------------------------------------------------------------------------
# per-element functions

cdef inline floating _gelu(floating x) noexcept nogil:
    return 0.5 * x * (1 + erf(x * 0.7071067811865476))


cdef inline floating _gelu_grad(floating x) noexcept nogil:
    cdef floating cdf = 0.5 * (1 + erf(x * 0.7071067811865476))
    cdef floating pdf = exp(-0.5 * x * x) * 0.3989422804014327
    return cdf + x * pdf


# ---------------------------------------------------------------------------------------
# activations: kind 0 relu, 1 leaky relu, 2 sigmoid, 3 tanh, 4 gelu

cdef Py_ssize_t _CHUNK = 4096     # elements per OpenMP work item


cdef void _act_forward_chunk(int kind, Py_ssize_t i0, Py_ssize_t i1, const floating *x,
                             floating *out, floating s) noexcept nogil:
    # One plain loop per kind over pointers: the selects vectorize (the module is built
    # with -fno-trapping-math, see meson.build).
    cdef Py_ssize_t i
    cdef floating v
    if kind == 0:
        for i in range(i0, i1):
            v = x[i]
            out[i] = v if v > 0 else (0 if v <= 0 else v)      # NaN stays NaN
    elif kind == 1:
        for i in range(i0, i1):
            v = x[i]
            out[i] = v if v >= 0 else s * v
    elif kind == 2:                     # lamina_act.h: vectorized exp, per ISA
        if floating is double:
            lamina_dact_sigmoid(get_isa(), i1 - i0, x + i0, out + i0)
        else:
            lamina_sact_sigmoid(get_isa(), i1 - i0, x + i0, out + i0)
    elif kind == 3:
        if floating is double:
            lamina_dact_tanh(get_isa(), i1 - i0, x + i0, out + i0)
        else:
            lamina_sact_tanh(get_isa(), i1 - i0, x + i0, out + i0)
    elif floating is float:
        lamina_sact_gelu(get_isa(), i1 - i0, x + i0, out + i0)
    else:
        for i in range(i0, i1):
            out[i] = _gelu(x[i])


cdef void _act_backward_chunk(int kind, Py_ssize_t i0, Py_ssize_t i1, const floating *x,
                              const floating *y, const floating *grad, floating *out,
                              floating s) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating v
    if kind == 0:
        for i in range(i0, i1):
            v = grad[i]           # read unconditionally: a conditional load stays a branch
            out[i] = v if y[i] > 0 else 0
    elif kind == 1:
        for i in range(i0, i1):
            v = grad[i]
            out[i] = v if x[i] >= 0 else s * v
    elif kind == 2:
        for i in range(i0, i1):
            v = y[i]
            out[i] = grad[i] * v * (1 - v)
    elif kind == 3:
        for i in range(i0, i1):
            v = y[i]
            out[i] = grad[i] * (1 - v * v)
    elif floating is float:
        lamina_sact_gelu_grad(get_isa(), i1 - i0, x + i0, grad + i0, out + i0)
    else:
        for i in range(i0, i1):
            out[i] = grad[i] * _gelu_grad(x[i])


def activation_forward(int kind, const floating[::1] x, floating[::1] out, double slope,
                       int n_threads):
    """out = f(x) element-wise (out may be x for in-place)."""
    cdef Py_ssize_t b, n = x.shape[0], nb = (n + _CHUNK - 1) // _CHUNK
    cdef int nt = _threads(n, n_threads)
    if out.shape[0] != n:
        raise ValueError("activation_forward: x and out have different lengths")
    if n == 0:
        return
    cdef const floating *xp = &x[0]
    cdef floating *op = &out[0]
    with nogil:
        for b in prange(nb, schedule="static", num_threads=nt):
            _act_forward_chunk(kind, b * _CHUNK, min(n, (b + 1) * _CHUNK), xp, op,
                               <floating> slope)


def activation_backward(int kind, const floating[::1] x, const floating[::1] y,
                        const floating[::1] grad, floating[::1] out, double slope,
                        int n_threads):
    """out = grad * f'(.) with x the forward input and y the forward output (either may be
    empty when the kind does not read it)."""
    cdef Py_ssize_t n = grad.shape[0]
    if out.shape[0] != n or (y.shape[0] != n if kind in (0, 2, 3) else x.shape[0] != n):
        raise ValueError("activation_backward: arrays of different lengths")
    if n == 0:
        return
    cdef const floating *xp = &x[0] if x.shape[0] else NULL
    cdef const floating *yp = &y[0] if y.shape[0] else NULL
    with nogil:
        _act_backward(kind, n, xp, yp, &grad[0], &out[0], <floating> slope, n_threads)


cdef void _act_backward(int kind, Py_ssize_t n, const floating *xp, const floating *yp,
                        const floating *gp, floating *op, floating slope,
                        int n_threads) noexcept nogil:
    cdef Py_ssize_t b, nb = (n + _CHUNK - 1) // _CHUNK
    cdef int nt = _threads(n, n_threads)
    for b in prange(nb, schedule="static", num_threads=nt):
        _act_backward_chunk(kind, b * _CHUNK, min(n, (b + 1) * _CHUNK), xp, yp, gp, op, slope)


ctypedef fused gather_t:
    float
    double
    signed char
    short
    int
    long long


def gather_rows(const gather_t[:, ::1] src, const Py_ssize_t[::1] rows, gather_t[:, ::1] out,
                int n_threads):
    """out[i] = src[rows[i]] (a mini-batch), rows copied in parallel.  ValueError for an
    index outside ``[0, src.shape[0])``."""
    cdef Py_ssize_t m = rows.shape[0], n = src.shape[1], nsrc = src.shape[0]
    cdef size_t row_bytes = n * sizeof(gather_t)
    cdef int nt = _threads(m * n, n_threads)
    if out.shape[0] != m or out.shape[1] != n:
        raise ValueError(f"out has shape ({out.shape[0]}, {out.shape[1]}), expected ({m}, {n})")
    _check_rows(rows, nsrc)
    if m == 0 or n == 0:
        return
    with nogil:
        _gather(<const char *> &src[0, 0], row_bytes, &rows[0], m, <char *> &out[0, 0], nt)


cdef int _check_rows(const Py_ssize_t[::1] rows, Py_ssize_t nsrc) except -1:
    """ValueError naming the first index of `rows` outside [0, nsrc)."""
    cdef Py_ssize_t i
    for i in range(rows.shape[0]):
        if rows[i] < 0 or rows[i] >= nsrc:
            raise ValueError(f"rows[{i}] = {rows[i]} is out of range for {nsrc} rows")
    return 0


cdef void _gather(const char *src, size_t row_bytes, const Py_ssize_t *rows, Py_ssize_t m,
                  char *out, int nt) noexcept nogil:
    """Row i of `out` = row rows[i] of `src` (rows of row_bytes bytes, contiguous)."""
    cdef Py_ssize_t i
    for i in prange(m, schedule="static", num_threads=nt):
        memcpy(out + i * row_bytes, src + rows[i] * row_bytes, row_bytes)


def count_argmax_equal(const floating[:, ::1] x, const int64_t[::1] labels):
    """The number of rows i whose largest entry is first reached at column labels[i] (the
    numerator of a classifier's accuracy), with ``numpy.argmax``'s rule that the first NaN
    counts as the largest.  One pass, no temporaries."""
    cdef Py_ssize_t m = x.shape[0], n = x.shape[1], i, j, best, count = 0
    cdef const floating *row
    if labels.shape[0] != m:
        raise ValueError(f"labels has length {labels.shape[0]}, expected {m}")
    if n == 0:
        return 0
    with nogil:
        for i in range(m):
            row = &x[i, 0]
            best = 0
            for j in range(1, n):
                if row[j] > row[best] or (row[j] != row[j] and row[best] == row[best]):
                    best = j
            count += best == labels[i]
    return count


# Rows per block of column_sums: the partial sums of fixed blocks of rows are added in
# block order, so the association never depends on the thread count.
cdef Py_ssize_t SUM_ROWS = 64


def column_sums(const floating[:, ::1] a, floating[::1] out, int n_threads):
    """out[j] = sum_i a[i, j] (the bias gradient): each block of SUM_ROWS rows is added in
    row order, then the blocks' partial sums in block order (one block: a plain in-order
    sum), so the result is the same for every thread count."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    cdef int r
    if out.shape[0] != n:
        raise ValueError(f"out has length {out.shape[0]}, expected {n}")
    if n == 0:
        return
    if m == 0:
        out[:] = 0
        return
    with nogil:
        r = _column_sums(&a[0, 0], m, n, &out[0], n_threads)
    if r != 0:
        raise MemoryError("column_sums: cannot allocate the partial sums")


cdef int _column_sums(const floating *a, Py_ssize_t m, Py_ssize_t n, floating *out,
                      int n_threads) noexcept nogil:
    """column_sums on a C-contiguous m x n block (m, n >= 1); -1 if the partial sums
    cannot be allocated."""
    cdef Py_ssize_t b, nb, c, nchunks
    # below 2^17 elements a second thread's wake-up and the extra pass cost more than it
    # saves (float32 128 x 512: 6.4 us on one thread, 9.6 us on two)
    cdef int nt = n_threads if m * n >= (1 << 17) else 1
    cdef floating *part
    nb = (m + SUM_ROWS - 1) // SUM_ROWS
    if nb == 1:
        _column_sums_block(a, n, m, 0, n, out)
        return 0
    # Threads take whole blocks of rows: a split by columns would have each core read
    # half of every row, which the hardware prefetchers serve far worse (float32
    # 1024 x 1024: 142 us on one thread, 176 us on two by columns).
    part = <floating *> malloc(nb * n * sizeof(floating))
    if part == NULL:
        return -1
    nchunks = min(<Py_ssize_t> nt, (n + 15) // 16)
    if nt <= 1:
        for b in range(nb):
            _column_sums_block(a + b * SUM_ROWS * n, n, min(SUM_ROWS, m - b * SUM_ROWS),
                               0, n, part + b * n)
        _column_sums_block(part, n, nb, 0, n, out)     # the blocks, in order
    else:
        for b in prange(nb, schedule="static", num_threads=nt):
            _column_sums_block(a + b * SUM_ROWS * n, n, min(SUM_ROWS, m - b * SUM_ROWS),
                               0, n, part + b * n)
        for c in prange(nchunks, schedule="static", num_threads=nt):
            _column_sums_block(part, n, nb, n * c // nchunks, n * (c + 1) // nchunks, out)
    free(part)
    return 0


cdef void _column_sums_block(const floating *a, Py_ssize_t ld, Py_ssize_t m, Py_ssize_t j0,
                             Py_ssize_t j1, floating *out) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef const floating *row
    for j in range(j0, j1):
        out[j] = a[j]
    for i in range(1, m):
        row = a + i * ld
        for j in range(j0, j1):
            out[j] += row[j]


# ---------------------------------------------------------------------------------------
# fused optimizer updates (PyTorch's update rules)
#
# Each update runs over [lo, hi) blocks with its options hoisted out of the element loop,
# so the loop is branch-free and vectorizes; one block when serial, one per thread else.

cdef void _sgd_block(floating *p, const floating *g, floating *vel, Py_ssize_t lo,
                     Py_ssize_t hi, floating eta, floating mu, floating wd, bint nesterov,
                     bint first_step) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating d, v
    if mu == 0:
        for i in range(lo, hi):
            p[i] = p[i] - eta * (g[i] + wd * p[i])
    elif first_step and nesterov:
        for i in range(lo, hi):
            d = g[i] + wd * p[i]
            vel[i] = d
            p[i] = p[i] - eta * (d + mu * d)
    elif first_step:
        for i in range(lo, hi):
            d = g[i] + wd * p[i]
            vel[i] = d
            p[i] = p[i] - eta * d
    elif nesterov:
        for i in range(lo, hi):
            d = g[i] + wd * p[i]
            v = mu * vel[i] + d
            vel[i] = v
            p[i] = p[i] - eta * (d + mu * v)
    else:
        for i in range(lo, hi):
            v = mu * vel[i] + (g[i] + wd * p[i])
            vel[i] = v
            p[i] = p[i] - eta * v


def sgd_update(floating[::1] p, const floating[::1] g, floating[::1] velocity, double lr,
               double momentum, double weight_decay, bint nesterov, bint first_step,
               int n_threads):
    """p -= lr * step, step from momentum/Nesterov with L2 weight decay, in one pass."""
    cdef Py_ssize_t n = p.shape[0]
    cdef floating mu = <floating> momentum, wd = <floating> weight_decay
    cdef floating eta = <floating> lr
    cdef floating *vel = NULL
    if g.shape[0] != n or (mu != 0 and velocity.shape[0] != n):
        raise ValueError(f"sgd_update: p has {n} elements, g {g.shape[0]}, the velocity "
                         f"{velocity.shape[0]} (it must match p when momentum is used)")
    if n == 0:
        return
    if mu != 0:
        vel = &velocity[0]
    with nogil:
        _sgd_param(&p[0], &g[0], vel, n, eta, mu, wd, nesterov, first_step, n_threads)


def adam_update(floating[::1] p, const floating[::1] g, floating[::1] m, floating[::1] v,
                double lr, double beta1, double beta2, double eps, double weight_decay,
                bint decoupled, long step, int n_threads):
    """Adam (L2 weight decay) or AdamW (decoupled weight decay) in one pass."""
    cdef Py_ssize_t i, n = p.shape[0]
    cdef int nt = _threads(n, n_threads)
    cdef double bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
    cdef floating b1 = <floating> beta1, b2 = <floating> beta2, wd = <floating> weight_decay
    cdef floating step_size = <floating> (lr / bc1)
    cdef floating inv_sqrt_bc2 = <floating> (1 / sqrt(bc2))
    cdef floating e = <floating> eps, shrink = <floating> (1 - lr * weight_decay)
    cdef floating d, mi, vi
    with nogil:
        for i in prange(n, schedule="static", num_threads=nt):
            d = g[i]
            if decoupled:
                p[i] = p[i] * shrink
            else:
                d = d + wd * p[i]
            mi = b1 * m[i] + (1 - b1) * d
            vi = b2 * v[i] + (1 - b2) * d * d
            m[i] = mi
            v[i] = vi
            p[i] = p[i] - step_size * mi / (sqrt(vi) * inv_sqrt_bc2 + e)


def rmsprop_update(floating[::1] p, const floating[::1] g, floating[::1] square_avg,
                   floating[::1] buf, double lr, double alpha, double eps,
                   double weight_decay, double momentum, int n_threads):
    """RMSprop with optional momentum and L2 weight decay in one pass."""
    cdef Py_ssize_t i, n = p.shape[0]
    cdef int nt = _threads(n, n_threads)
    cdef floating a = <floating> alpha, e = <floating> eps, wd = <floating> weight_decay
    cdef floating mu = <floating> momentum, eta = <floating> lr, d, s, u
    with nogil:
        for i in prange(n, schedule="static", num_threads=nt):
            d = g[i] + wd * p[i]
            s = a * square_avg[i] + (1 - a) * d * d
            square_avg[i] = s
            u = d / (sqrt(s) + e)
            if mu != 0:
                u = mu * buf[i] + u
                buf[i] = u
            p[i] = p[i] - eta * u


def scale_in_place(floating[::1] x, double factor, int n_threads):
    """x *= factor (gradient clipping)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef int nt = _threads(n, n_threads)
    cdef floating f = <floating> factor
    with nogil:
        for i in prange(n, schedule="static", num_threads=nt):
            x[i] = x[i] * f


# ---------------------------------------------------------------------------------------
# The training step of a stack of Dense layers (lamina.nn._dense_stack), in one call per
# pass: the same kernel calls as the layers make, in the same order with the same
# arguments, from C.  A product leaves the interpreter's data cold, so each Python-level
# call between kernels costs several microseconds in a training step.

cdef enum:
    MAX_STACK = 64

DENSE_STACK_MAX = MAX_STACK     # layers a DenseStack takes


cdef class DenseStack:
    """Pointers to the weights, gradients and per-batch buffers of a Dense stack.

    ``weights``, ``biases`` (None for no bias), ``grad_weights``, ``grad_biases``: the
    layers' arrays (C-contiguous, one float dtype); ``acts``: the GEMM epilogue code of
    each layer; ``kinds``: its activation-backward kind (-1: none); ``mask_code``: the
    GEMM's ReLU-mask epilogue code.  ``bind`` names the buffers of one batch size.  The
    object keeps a reference to every array it points into.
    """
    cdef int nl, is_double, mask_code, nt
    cdef Py_ssize_t din[MAX_STACK]
    cdef Py_ssize_t dout[MAX_STACK]
    cdef int act[MAX_STACK]
    cdef int kind[MAX_STACK]
    cdef char *w[MAX_STACK]
    cdef char *b[MAX_STACK]
    cdef char *gw[MAX_STACK]
    cdef char *gb[MAX_STACK]
    cdef char *out[MAX_STACK]
    cdef char *dz[MAX_STACK]
    cdef char *g[MAX_STACK]
    cdef char *vw[MAX_STACK]
    cdef char *vb[MAX_STACK]
    cdef char *x
    cdef const char *src
    cdef Py_ssize_t m, nsrc
    cdef object _keep, _bound, _source, _velocities

    def __init__(self, list weights, list biases, list grad_weights, list grad_biases,
                 list acts, list kinds, int mask_code, int n_threads):
        cdef int i
        cdef object dt = weights[0].dtype
        if not 0 < len(weights) <= MAX_STACK:
            raise ValueError(f"DenseStack takes 1 to {MAX_STACK} layers")
        self.nl = len(weights)
        self.is_double = dt == np.float64
        if not self.is_double and dt != np.float32:
            raise TypeError(f"DenseStack needs float32 or float64 weights, got {dt}")
        self.mask_code = mask_code
        self.nt = n_threads
        for i in range(self.nl):
            for arr in (weights[i], grad_weights[i], biases[i], grad_biases[i]):
                if arr is not None and (arr.dtype != dt or not arr.flags.c_contiguous
                                        or not arr.flags.writeable):
                    raise ValueError("DenseStack: every array must be writeable, "
                                     "C-contiguous and of the weights' dtype")
            self.din[i], self.dout[i] = weights[i].shape[0], weights[i].shape[1]
            if i and self.din[i] != self.dout[i - 1]:
                raise ValueError(f"DenseStack: layer {i} takes {self.din[i]} features, the "
                                 f"layer below gives {self.dout[i - 1]}")
            if grad_weights[i].shape != weights[i].shape:
                raise ValueError(f"DenseStack: grad_weights[{i}] has the wrong shape")
            for arr in (biases[i], grad_biases[i]):
                if (arr is None) != (biases[i] is None) or (
                        arr is not None and arr.shape != (self.dout[i],)):
                    raise ValueError(f"DenseStack: bias {i} and its gradient must both be "
                                     f"given, of length {self.dout[i]}, or both be None")
            self.w[i] = _addr(weights[i])
            self.gw[i] = _addr(grad_weights[i])
            self.b[i] = NULL if biases[i] is None else _addr(biases[i])
            self.gb[i] = NULL if grad_biases[i] is None else _addr(grad_biases[i])
            self.act[i] = acts[i]
            self.kind[i] = kinds[i]
        self._keep = (weights, biases, grad_weights, grad_biases)
        self._bound = None
        self._source = None
        self._velocities = None
        self.m = 0

    def bind(self, x, list outs, list dzs, list gs):
        """Use these buffers (x: batch x features; outs, dzs, gs: batch x units per layer)
        for the following passes."""
        cdef int i
        cdef Py_ssize_t m = x.shape[0]
        if x.shape[1] != self.din[0] or not x.flags.c_contiguous or not x.flags.writeable:
            raise ValueError("DenseStack.bind: x must be writeable and C-contiguous, batch "
                             "x features")
        for i in range(self.nl):
            for arr in (outs[i], dzs[i], gs[i]):
                if arr.shape != (m, self.dout[i]) or not arr.flags.c_contiguous \
                        or not arr.flags.writeable or arr.dtype != x.dtype:
                    raise ValueError(f"DenseStack.bind: buffer of layer {i} must be a "
                                     f"C-contiguous ({m}, {self.dout[i]}) array")
            self.out[i] = _addr(outs[i])
            self.dz[i] = _addr(dzs[i])
            self.g[i] = _addr(gs[i])
        self.x = _addr(x)
        self.m = m
        self._bound = (x, outs, dzs, gs)

    def set_source(self, src):
        """The training set the mini-batches are gathered from (C-contiguous samples x
        features, the weights' dtype)."""
        dt = np.float64 if self.is_double else np.float32
        if src.ndim != 2 or src.shape[1] != self.din[0] or not src.flags.c_contiguous \
                or src.dtype != dt:
            raise ValueError("DenseStack.set_source: src must be a C-contiguous samples x "
                             "features array of the weights' dtype")
        self.src = _addr(src)
        self.nsrc = src.shape[0]
        self._source = src

    def gather_forward(self, const Py_ssize_t[::1] rows):
        """x = source[rows], then every layer's forward product into its output."""
        cdef int r
        if self._bound is None or self._source is None or rows.shape[0] != self.m:
            raise ValueError("DenseStack.gather_forward: set the source and bind buffers "
                             "for this batch size first")
        _check_rows(rows, self.nsrc)
        with nogil:
            if self.is_double:
                r = _stack_forward[double](self, <const double *> self.src, &rows[0])
            else:
                r = _stack_forward[float](self, <const float *> self.src, &rows[0])
        if r != 0:
            raise MemoryError("DenseStack: cannot allocate the packing buffers")

    def backward_parameters(self, grad):
        """Every layer's weight and bias gradients for the loss gradient ``grad``
        (batch x outputs, C-contiguous, the weights' dtype) of the last forward pass; the
        bound top-layer gradient buffer is taken without checks."""
        cdef int r
        cdef const char *gp
        if self._bound is None:
            raise ValueError("DenseStack.backward_parameters: no forward pass to go back "
                             "through")
        if grad is self._bound[3][self.nl - 1]:
            gp = self.g[self.nl - 1]
        else:
            if grad.shape != (self.m, self.dout[self.nl - 1]) or not \
                    grad.flags.c_contiguous or grad.dtype != self._bound[0].dtype:
                raise ValueError("DenseStack.backward_parameters: grad must be a "
                                 "C-contiguous batch x outputs array of the weights' dtype")
            gp = _addr(grad)
        with nogil:
            if self.is_double:
                r = _stack_backward[double](self, <const double *> gp)
            else:
                r = _stack_backward[float](self, <const float *> gp)
        if r != 0:
            raise MemoryError("DenseStack: cannot allocate the packing buffers")

    def set_velocities(self, list velocities):
        """The momentum buffers of an SGD optimizer over these layers, one pair per layer
        (weight's, bias's or None; flat, of the parameter's size), for :meth:`sgd_step`."""
        cdef int i
        if len(velocities) != self.nl:
            raise ValueError("DenseStack.set_velocities: one (weight, bias) pair per layer")
        for i in range(self.nl):
            vw, vb = velocities[i]
            if vw.size != self.din[i] * self.dout[i] or not vw.flags.c_contiguous \
                    or not vw.flags.writeable or vw.dtype != self._keep[0][i].dtype:
                raise ValueError(f"DenseStack.set_velocities: weight buffer {i} does not "
                                 "match its weight")
            if (vb is None) != (self.b[i] == NULL) or (
                    vb is not None and (vb.size != self.dout[i] or not vb.flags.c_contiguous
                                        or not vb.flags.writeable or vb.dtype != vw.dtype)):
                raise ValueError(f"DenseStack.set_velocities: bias buffer {i} does not "
                                 "match its bias")
            self.vw[i] = _addr(vw)
            self.vb[i] = NULL if vb is None else _addr(vb)
        self._velocities = velocities

    def sgd_step(self, double lr, double momentum, double weight_decay, bint nesterov,
                 bint first_step):
        """``_nn.sgd_update`` on every weight and bias in turn (the same update, the same
        split between threads), in one call.  Momentum needs :meth:`set_velocities`."""
        if momentum != 0 and self._velocities is None:
            raise ValueError("DenseStack.sgd_step: momentum needs set_velocities first")
        with nogil:
            if self.is_double:
                _stack_sgd(self, <double> 0, lr, momentum, weight_decay, nesterov, first_step)
            else:
                _stack_sgd(self, <float> 0, lr, momentum, weight_decay, nesterov, first_step)


cdef inline char *_addr(arr):
    return <char *> <uintptr_t> arr.ctypes.data


cdef int _stack_forward(DenseStack s, const floating *src, const Py_ssize_t *rows) noexcept nogil:
    cdef int i
    cdef Py_ssize_t m = s.m
    cdef const floating *x = <const floating *> s.x
    _gather(<const char *> src, s.din[0] * sizeof(floating), rows, m, s.x,
            _threads(m * s.din[0], s.nt))
    for i in range(s.nl):
        if gemm_ex(m, s.dout[i], s.din[i], <floating> 1, x, s.din[i], 1,
                   <const floating *> s.w[i], s.dout[i], 1, <floating> 0,
                   <floating *> s.out[i], s.dout[i], 1, <const floating *> s.b[i], 0, 1,
                   s.act[i], s.nt) != 0:
            return -1
        x = <const floating *> s.out[i]
    return 0


cdef int _stack_backward(DenseStack s, const floating *grad) noexcept nogil:
    cdef int i
    cdef Py_ssize_t m = s.m
    cdef bint pre = False
    cdef const floating *x
    cdef const floating *dz
    cdef floating *dx
    for i in range(s.nl - 1, -1, -1):
        x = <const floating *> (s.out[i - 1] if i else s.x)
        if pre or s.kind[i] < 0:
            dz = grad
        else:
            _act_backward(s.kind[i], m * s.dout[i], <const floating *> s.out[i],
                          <const floating *> s.out[i], grad, <floating *> s.dz[i],
                          <floating> 0, s.nt)
            dz = <const floating *> s.dz[i]
        # weight gradient x^T dz, then the bias gradient
        if gemm_ex(s.din[i], s.dout[i], m, <floating> 1, x, 1, s.din[i], dz, s.dout[i], 1,
                   <floating> 0, <floating *> s.gw[i], s.dout[i], 1, NULL, 0, 1, 0,
                   s.nt) != 0:
            return -1
        if s.gb[i] != NULL and _column_sums(dz, m, s.dout[i], <floating *> s.gb[i],
                                            s.nt) != 0:
            return -1
        if i == 0:
            break
        # input gradient dz W^T: masked into the ReLU below's pre-activation gradient,
        # or plain (the layer below applies its own activation's backward)
        pre = s.kind[i - 1] == 0
        dx = <floating *> (s.dz[i - 1] if pre else s.g[i - 1])
        if gemm_ex(m, s.din[i], s.dout[i], <floating> 1, dz, s.dout[i], 1,
                   <const floating *> s.w[i], 1, s.dout[i], <floating> 0, dx, s.din[i], 1,
                   x if pre else NULL, s.din[i], 1, s.mask_code if pre else 0, s.nt) != 0:
            return -1
        grad = dx
    return 0


cdef void _sgd_param(floating *p, const floating *g, floating *vel, Py_ssize_t n,
                     floating eta, floating mu, floating wd, bint nesterov, bint first_step,
                     int n_threads) noexcept nogil:
    """The body of sgd_update (one parameter array of n elements)."""
    cdef Py_ssize_t c
    cdef int nt = _threads(n, n_threads)
    if n == 0:
        return
    if mu == 0:
        vel = NULL
    if nt <= 1:
        _sgd_block(p, g, vel, 0, n, eta, mu, wd, nesterov, first_step)
    else:
        for c in prange(nt, schedule="static", num_threads=nt):
            _sgd_block(p, g, vel, n * c // nt, n * (c + 1) // nt, eta, mu, wd, nesterov,
                       first_step)


cdef void _stack_sgd(DenseStack s, floating zero, double lr, double momentum,
                     double weight_decay, bint nesterov, bint first_step) noexcept nogil:
    cdef int i
    cdef floating eta = <floating> lr, mu = <floating> momentum
    cdef floating wd = <floating> weight_decay
    for i in range(s.nl):
        _sgd_param(<floating *> s.w[i], <const floating *> s.gw[i], <floating *> s.vw[i],
                   s.din[i] * s.dout[i], eta, mu, wd, nesterov, first_step, s.nt)
        if s.b[i] != NULL:
            _sgd_param(<floating *> s.b[i], <const floating *> s.gb[i],
                       <floating *> s.vb[i], s.dout[i], eta, mu, wd, nesterov, first_step,
                       s.nt)
