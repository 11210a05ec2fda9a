"""Fused loss-and-gradient kernels: one pass computes the loss and writes its gradient.

Design
------
Training computes a loss and then, in a second pass over the same data, its gradient;
here both come from one pass.  The arithmetic lives in ``include/lamina_losses.h``:

* per-element loss functions (``lamina_losses_elem.h``) are small branch-free inline C
  functions, one per loss, returning the loss and storing its derivative;
* one loop pattern (``LAMINA_ELEMENTWISE_LOOP``) is expanded for every loss, dtype and ISA
  and picked at run time from a table indexed by [loss id][ISA], so adding a loss is one
  function and one line in ``LAMINA_FOR_EACH_ELEMENTWISE_LOSS``;
* the exp and log they use are vectorizable C (``lamina_vmath.h``, <= 2 ulp, correct at
  -inf, underflow, overflow and NaN), so a loss with a logarithm runs at SIMD speed
  instead of one libm call per element;
* softmax cross-entropy streams each row once with a chunked online max-and-sum and
  writes the gradient once (``softmax_ce_row``), with no temporaries of the input's size;
  its exp is ``exp_nonpos`` (arguments x - max <= 0: no overflow or NaN selects, one
  scaling), about half the cost of the general exp.  Gradients larger than
  ``SOFTMAX_STREAM_BYTES`` leave with non-temporal stores, each row's while the next row's
  exponentials compute, so memory and arithmetic overlap within one thread.  Rows of
  fewer than 64 classes go through ``softmax_ce_small``: SIMD lanes across rows, so a
  10-class row costs no loop prologue and no scalar log of its own.

This module adapts typed memoryviews to those kernels and runs them under OpenMP:
element-wise losses over fixed chunks of ``LOSS_CHUNK`` elements, short softmax rows over
fixed blocks of rows, longer ones over one contiguous range of rows per thread (the static
schedule; the thread flushes its last streamed row).  Every partial loss is stored per
chunk or per row and the partials are added in index order afterwards, so the result is
bitwise identical for every thread count.  Inputs are validated by ``lamina.losses``; the
kernels trust shapes.

Each optimized kernel has a ``*_ref`` twin (plain loops over libm's exp/log) used by the
tests as an oracle that shares no code with the optimized path.
"""
from libc.math cimport exp, log, log1p, fabs, INFINITY
from libc.stdint cimport int64_t
from cython cimport floating
from cython.parallel cimport parallel, prange, threadid

import numpy as np

from lamina._kernels._runtime cimport get_isa, record_team_size

cdef extern from "lamina_omp.h" nogil:
    int lamina_omp_get_num_threads()

# Loss ids: the order of LAMINA_FOR_EACH_ELEMENTWISE_LOSS in lamina_losses.h.
LOSS_IDS = {
    "mse": LAMINA_LOSS_MSE,
    "mae": LAMINA_LOSS_MAE,
    "huber": LAMINA_LOSS_HUBER,
    "smooth_l1": LAMINA_LOSS_SMOOTH_L1,
    "log_cosh": LAMINA_LOSS_LOG_COSH,
    "bce": LAMINA_LOSS_BCE,
    "hinge": LAMINA_LOSS_HINGE,
    "kl": LAMINA_LOSS_KL,
    "l2": LAMINA_LOSS_L2,
    "l1": LAMINA_LOSS_L1,
    "elastic_net": LAMINA_LOSS_ELASTIC_NET,
}

# Element-wise chunk length: small enough to balance two threads on 10^5 elements, large
# enough that a chunk's bookkeeping is negligible.  Fixed, so results never depend on the
# thread count.
LOSS_CHUNK = 16384
cdef Py_ssize_t _CHUNK = LOSS_CHUNK
# Below this many elements (or rows x classes) one thread does the work: waking a team
# costs more than it saves.
cdef Py_ssize_t _PARALLEL_MIN = 1 << 15
# Rows per task of the short-row softmax path.
cdef Py_ssize_t _SMALL_ROWS = 2048
# Gradients of at least this many bytes are written with non-temporal stores: with the
# logits they exceed the 32 MiB L3, so they would not stay in cache anyway, and streaming
# saves the read-for-ownership of every line (a third of the traffic).  Smaller ones stay
# in cache for whatever reads them next (measured: 4096 x 1000 float32, 16 MB, is 1.5x
# slower streamed when the caller's buffers stay in L3; float64, 32 MB, 1.3x faster).
SOFTMAX_STREAM_BYTES = 16 << 20
cdef Py_ssize_t _STREAM_BYTES = SOFTMAX_STREAM_BYTES


def set_stream_bytes(Py_ssize_t nbytes):
    """Set the gradient size from which softmax rows are streamed (tests and benchmarks;
    returns the previous value)."""
    global _STREAM_BYTES
    old = _STREAM_BYTES
    _STREAM_BYTES = nbytes
    return old


# ---------------------------------------------------------------------------------------
# C-level kernels (cimport-able, see _losses.pxd)

cdef double elementwise_chunk(int loss, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t k,
                              const floating *p, const floating *t, floating a,
                              const floating *pcol, const floating *w, floating gscale,
                              floating *g, bint accumulate, floating *lout) noexcept nogil:
    if floating is double:
        return lamina_dloss_chunk(loss, get_isa(), i0, i1, k, p, t, a, pcol, w, gscale, g,
                                  accumulate, lout)
    else:
        return lamina_sloss_chunk(loss, get_isa(), i0, i1, k, p, t, a, pcol, w, gscale, g,
                                  accumulate, lout)


cdef double softmax_ce_row(Py_ssize_t c, const floating *x, Py_ssize_t label,
                           const floating *q, const floating *cw, floating base,
                           floating extra, floating gs, floating *g, floating *w,
                           bint stream, const floating *pend,
                           floating *pend_g) noexcept nogil:
    if floating is double:
        return lamina_dsoftmax_ce_row(get_isa(), c, x, label, q, cw, base, extra, gs, g, w,
                                      stream, pend, pend_g)
    else:
        return lamina_ssoftmax_ce_row(get_isa(), c, x, label, q, cw, base, extra, gs, g, w,
                                      stream, pend, pend_g)


cdef void softmax_store_row(Py_ssize_t c, const floating *w, floating *g) noexcept nogil:
    if floating is double:
        lamina_dsoftmax_store_row(get_isa(), c, w, g)
    else:
        lamina_ssoftmax_store_row(get_isa(), c, w, g)


cdef void softmax_ce_small(Py_ssize_t nrows, Py_ssize_t c, const floating *x,
                           const int64_t *labels, const floating *cw, const floating *sw,
                           floating gscale, bint has_ignore, int64_t ignore, floating *g,
                           double *row_loss) noexcept nogil:
    if floating is double:
        lamina_dsoftmax_ce_small(get_isa(), nrows, c, x, labels, cw, sw, gscale, has_ignore,
                                 ignore, g, row_loss)
    else:
        lamina_ssoftmax_ce_small(get_isa(), nrows, c, x, labels, cw, sw, gscale, has_ignore,
                                 ignore, g, row_loss)


cdef inline int _team(Py_ssize_t work, int n_threads) noexcept nogil:
    return n_threads if work >= _PARALLEL_MIN and n_threads > 1 else 1


cdef inline const floating *_opt1(const floating[::1] v) noexcept nogil:
    return NULL if v is None else &v[0]


# ---------------------------------------------------------------------------------------
# Python-facing wrappers.  Arrays are contiguous as declared; shapes were checked upstream.

def elementwise(int loss, const floating[::1] p, const floating[::1] t, double a,
                const floating[::1] pcol, const floating[::1] w, Py_ssize_t k,
                double gscale, floating[::1] g, bint accumulate, floating[::1] lout,
                int n_threads):
    """Loss ``loss`` over flat n_rows x k arrays; returns sum_i w_row(i) l_i (double).

    Writes (or with ``accumulate`` adds) ``gscale * w_row * dl/dp`` into ``g`` and, when
    ``lout`` is given, ``w_row * l_i`` into it.  ``pcol`` is a per-column parameter
    (length k) replacing the scalar ``a``; ``w`` a per-row weight (length n / k).
    """
    cdef Py_ssize_t n = p.shape[0], nc, c, c0, c1
    cdef const floating *pp = &p[0] if n else NULL
    cdef const floating *tp = &t[0] if n else NULL
    cdef const floating *cp = _opt1(pcol)
    cdef const floating *wp = _opt1(w)
    cdef floating *gp = &g[0] if n else NULL
    cdef floating *lp = NULL if lout is None or n == 0 else &lout[0]
    cdef floating av = <floating> a, gs = <floating> gscale
    cdef int nt, tid
    cdef double total = 0
    if t.shape[0] != n or g.shape[0] != n or (lout is not None and lout.shape[0] != n):
        raise ValueError(f"elementwise: p has {n} elements, t {t.shape[0]}, g {g.shape[0]}"
                         + ("" if lout is None else f", lout {lout.shape[0]}"))
    if n and (k < 1 or n % k != 0 or (pcol is not None and pcol.shape[0] != k) or (
            w is not None and w.shape[0] != n // k)):
        raise ValueError(f"elementwise: {n} elements are not rows of k = {k} matching pcol "
                         "(length k) and w (one per row)")
    if n == 0:
        return 0.0
    nc = (n + _CHUNK - 1) // _CHUNK
    cdef double[::1] part = np.empty(nc, dtype=np.float64)
    nt = _team(n, n_threads)
    if nt == 1:
        record_team_size(1)
        with nogil:
            for c in range(nc):
                c0 = c * _CHUNK
                c1 = min(n, c0 + _CHUNK)
                part[c] = elementwise_chunk(loss, c0, c1, k, pp, tp, av, cp, wp, gs, gp,
                                            accumulate, lp)
    else:
        with nogil, parallel(num_threads=nt):
            tid = threadid()
            if tid == 0:
                record_team_size(lamina_omp_get_num_threads())
            for c in prange(nc, schedule="static"):
                c0 = c * _CHUNK
                c1 = min(n, c0 + _CHUNK)
                part[c] = elementwise_chunk(loss, c0, c1, k, pp, tp, av, cp, wp, gs, gp,
                                            accumulate, lp)
    for c in range(nc):
        total += part[c]
    return total


cdef Py_ssize_t _bad_label(const int64_t *lab, Py_ssize_t m, Py_ssize_t C, bint has_ignore,
                           int64_t ignore) noexcept nogil:
    # The first of m labels outside [0, C) that is not the ignored one, or -1.
    cdef Py_ssize_t i
    for i in range(m):
        if (lab[i] < 0 or lab[i] >= C) and not (has_ignore and lab[i] == ignore):
            return i
    return -1


cdef int _raise_bad_label(const int64_t[::1] labels, Py_ssize_t i, Py_ssize_t C) except -1:
    raise ValueError(f"target[{i}] = {labels[i]} is not a class index in [0, {C})")


def softmax_cross_entropy(const floating[:, :] x, const int64_t[::1] labels,
                          const floating[:, :] q, const floating[::1] cw,
                          const floating[::1] sw, double smoothing, bint has_ignore,
                          int64_t ignore_index, double gscale, floating[:, :] g,
                          double[::1] row_loss, int n_threads):
    """Row losses of softmax cross-entropy into ``row_loss``; gradient into ``g``.

    Exactly one of ``labels`` (int64 class ids) and ``q`` (probability rows) is given.
    Rows of ``x``, ``q`` and ``g`` must have unit column stride (any row stride).  The
    gradient of row i is ``gscale * sw_i * dl_i/dx_i``; ignored rows get loss 0 and a zero
    gradient.  ``g`` may be ``x`` itself (the gradient overwrites the logits in place);
    otherwise it must not overlap the inputs.  Labels are checked here, where they are read
    anyway: ValueError for the first one outside ``[0, C)`` that is not ``ignore_index``.
    Returns the sum of ``row_loss``, added in a fixed order whatever the thread count.
    """
    cdef Py_ssize_t n = x.shape[0], C = x.shape[1], i, j, y
    cdef Py_ssize_t item = sizeof(floating)
    cdef Py_ssize_t ldx = x.strides[0] // item if n else 0
    cdef Py_ssize_t ldg = g.strides[0] // item if n else 0
    cdef Py_ssize_t ldq = 0
    cdef const floating *xp = &x[0, 0] if n and C else NULL
    cdef floating *gp = &g[0, 0] if n and C else NULL
    cdef const floating *qp = NULL
    cdef const floating *cwp = _opt1(cw)
    cdef const floating *swp = _opt1(sw)
    cdef const int64_t *lab = NULL if labels is None or n == 0 else &labels[0]
    cdef floating eps = <floating> smoothing, base, extra, gs, wi
    cdef double scale = gscale
    cdef int nt, tid
    cdef floating *wp = NULL
    cdef bint stream = n * C * item >= _STREAM_BYTES
    cdef bint inplace
    cdef double total = 0.0
    if labels is not None and labels.shape[0] != n:
        raise ValueError(f"labels has length {labels.shape[0]}, expected {n} (one per row "
                         "of logits)")
    if q is not None and (q.shape[0] != n or q.shape[1] != C):
        raise ValueError(f"q has shape ({q.shape[0]}, {q.shape[1]}), expected ({n}, {C})")
    if g.shape[0] != n or g.shape[1] != C:
        raise ValueError(f"g has shape ({g.shape[0]}, {g.shape[1]}), expected ({n}, {C})")
    if row_loss.shape[0] != n:
        raise ValueError(f"row_loss has length {row_loss.shape[0]}, expected {n}")
    if cw is not None and cw.shape[0] != C:
        raise ValueError(f"cw has length {cw.shape[0]}, expected {C}")
    if sw is not None and sw.shape[0] != n:
        raise ValueError(f"sw has length {sw.shape[0]}, expected {n}")
    if n == 0 or C == 0:
        if lab != NULL and C == 0:
            _raise_bad_label(labels, 0, C)
        return 0.0
    inplace = <const floating *> gp == xp
    if q is not None:
        qp = &q[0, 0]
        ldq = q.strides[0] // item
    base = eps / <floating> C if lab != NULL else 0
    nt = _team(n * C, n_threads)
    cdef Py_ssize_t nb, b, b0
    cdef double[::1] part
    cdef Py_ssize_t[::1] bad
    if (lab != NULL and eps == 0 and C < LAMINA_SOFTMAX_SMALL_C and ldx == C and ldg == C
            and not inplace):
        # Short rows: vectorize across rows, in fixed blocks of _SMALL_ROWS rows.
        # Each block's labels are checked, and its row losses summed, by the thread that
        # computes it, while they are in cache; the block sums are added in block order.
        nb = (n + _SMALL_ROWS - 1) // _SMALL_ROWS
        part_a = np.empty(nb, dtype=np.float64)
        bad_a = np.empty(nb, dtype=np.intp)
        part = part_a
        bad = bad_a
        with nogil, parallel(num_threads=nt):
            tid = threadid()
            if tid == 0:
                record_team_size(lamina_omp_get_num_threads())
            for b in prange(nb, schedule="static"):
                b0 = b * _SMALL_ROWS
                bad[b] = _bad_label(lab + b0, min(n - b0, _SMALL_ROWS), C, has_ignore,
                                    ignore_index)
                part[b] = 0
                if bad[b] < 0:
                    softmax_ce_small(min(n - b0, _SMALL_ROWS), C, xp + b0 * C, lab + b0, cwp,
                                     NULL if swp == NULL else swp + b0, <floating> scale,
                                     has_ignore, ignore_index, gp + b0 * C, &row_loss[b0])
                    part[b] = lamina_sum_d(min(n - b0, _SMALL_ROWS), &row_loss[b0])
        for b in range(nb):
            if bad[b] >= 0:
                _raise_bad_label(labels, b * _SMALL_ROWS + bad[b], C)
            total += part[b]
        return total
    # Two scratch rows per thread (64-byte aligned offsets): the row being computed and the
    # previous one, whose streamed gradient is written while the next computes.  Their size
    # does not depend on n.  Each thread takes one contiguous range of rows (the static
    # schedule), so the last row of its range is flushed by the thread itself.
    cdef Py_ssize_t ldw = (C + 15) // 16 * 16
    cdef floating[::1] work = np.empty(2 * nt * ldw, dtype=np.float64 if floating is double
                                       else np.float32)
    cdef floating *work0 = &work[0]
    cdef floating *cur
    cdef floating *pend
    cdef floating *pend_g
    cdef Py_ssize_t r0, r1
    cdef int team
    # the first out-of-range label of each thread's rows (-1: none)
    tbad_a = np.full(nt, -1, dtype=np.intp)
    cdef Py_ssize_t[::1] tbad = tbad_a
    with nogil, parallel(num_threads=nt):
        tid = threadid()
        team = lamina_omp_get_num_threads()
        if tid == 0:
            record_team_size(team)
        r0 = n * tid // team
        r1 = n * (tid + 1) // team
        wp = work0 + 2 * tid * ldw
        cur = wp
        pend = NULL
        pend_g = NULL
        for i in range(r0, r1):
            wi = swp[i] if swp != NULL else 1
            gs = <floating> (scale * wi)
            if lab != NULL:
                y = lab[i]
                if has_ignore and lab[i] == ignore_index:
                    for j in range(C):
                        gp[i * ldg + j] = 0
                    row_loss[i] = 0
                    continue
                if y < 0 or y >= C:
                    tbad[tid] = i if tbad[tid] < 0 else tbad[tid]
                    row_loss[i] = 0
                    continue
                extra = (1 - eps) * (cwp[y] if cwp != NULL else 1)
                row_loss[i] = wi * softmax_ce_row(C, xp + i * ldx, y, <const floating *> NULL,
                                                  cwp, base, extra, gs, gp + i * ldg, cur,
                                                  stream, pend, pend_g)
            else:
                row_loss[i] = wi * softmax_ce_row(C, xp + i * ldx, 0, qp + i * ldq, cwp,
                                                  <floating> 0, <floating> 0, gs,
                                                  gp + i * ldg, cur, stream, pend, pend_g)
            if stream:
                pend = cur
                pend_g = gp + i * ldg
                cur = wp + ldw if cur == wp else wp
        if pend != NULL:
            softmax_store_row(C, pend, pend_g)
    for tid in range(nt):
        if tbad[tid] >= 0:
            _raise_bad_label(labels, tbad[tid], C)
    return lamina_sum_d(n, &row_loss[0])


def hinge_multiclass(const floating[:, ::1] x, const int64_t[::1] labels,
                     const floating[::1] sw, double gscale, floating[:, ::1] g,
                     double[::1] row_loss, int n_threads):
    """Crammer-Singer multi-class hinge per row: max(0, 1 + max_{j != y} x_j - x_y).

    Subgradient: +1 at the first arg-max competitor, -1 at the label, where the margin is
    violated; 0 elsewhere.
    """
    cdef Py_ssize_t n = x.shape[0], C = x.shape[1], i, j, y, jbest
    cdef const floating *swp = _opt1(sw)
    cdef double best, m, wi
    cdef int nt = _team(n * C, n_threads)
    if labels.shape[0] != n or row_loss.shape[0] != n or g.shape[0] != n \
            or g.shape[1] != C or (sw is not None and sw.shape[0] != n):
        raise ValueError("hinge_multiclass: labels, sw, row_loss and g must match the "
                         f"({n}, {C}) scores")
    for i in range(n if C else 0):
        if labels[i] < 0 or labels[i] >= C:
            raise ValueError(f"target[{i}] = {labels[i]} is not a class index in [0, {C})")
    if n == 0 or C == 0:
        return
    with nogil, parallel(num_threads=nt):
        if threadid() == 0:
            record_team_size(lamina_omp_get_num_threads())
        for i in prange(n, schedule="static"):
            y = labels[i]
            wi = swp[i] if swp != NULL else 1.0
            best = -INFINITY
            jbest = -1
            for j in range(C):
                g[i, j] = 0
                if j != y and (jbest < 0 or x[i, j] > best):
                    best = x[i, j]
                    jbest = j
            if jbest < 0:            # a single class: no competitor, no margin to violate
                row_loss[i] = 0
                continue
            m = 1.0 + best - x[i, y]
            if m > 0:
                row_loss[i] = wi * m
                g[i, jbest] = <floating> (gscale * wi)
                g[i, y] = <floating> (-gscale * wi)
            else:
                row_loss[i] = 0 if m == m else m


# ---------------------------------------------------------------------------------------
# Reference twins: textbook two-pass formulas with libm, for the tests only.

def softmax_cross_entropy_ref(const double[:, :] x, const int64_t[::1] labels):
    """Per-row -log softmax(x)[label] and its gradient, two passes with libm (float64)."""
    cdef Py_ssize_t n = x.shape[0], C = x.shape[1], i, j
    cdef double m, s
    loss = np.empty(n)
    grad = np.empty((n, C))
    cdef double[::1] lv = loss
    cdef double[:, ::1] gv = grad
    for i in range(n):
        m = -INFINITY
        for j in range(C):
            if x[i, j] > m:
                m = x[i, j]
        s = 0
        for j in range(C):
            s += exp(x[i, j] - m)
        lv[i] = log(s) + m - x[i, labels[i]]
        for j in range(C):
            gv[i, j] = exp(x[i, j] - m) / s
        gv[i, labels[i]] -= 1
    return loss, grad


def log_cosh_ref(const double[::1] d):
    """Element-wise log(cosh(d)) with libm (overflow-safe form)."""
    cdef Py_ssize_t i, n = d.shape[0]
    out = np.empty(n)
    cdef double[::1] o = out
    cdef double a
    for i in range(n):
        a = fabs(d[i])
        o[i] = a + log1p(exp(-2 * a)) - log(2.0)
    return out


cdef extern from "lamina_vmath.h" nogil:
    double lamina_vexp_d(double x)
    double lamina_vlog_d(double x)
    double lamina_vexpm1_d(double x)
    double lamina_vlog1p_d(double x)
    float lamina_vexp_s(float x)
    float lamina_vlog_s(float x)
    float lamina_vexpm1_s(float x)
    float lamina_vlog1p_s(float x)
    double lamina_vexp_nonpos_d(double x)
    float lamina_vexp_nonpos_s(float x)
    int lamina_dexp_nonpos_pd512_array(Py_ssize_t n, const double *x, double *out)


def vmath(str fn, const floating[::1] x, floating[::1] out):
    """Apply the kernels' vectorizable ``exp``/``log``/``expm1``/``log1p``,
    ``exp_nonpos`` (exp for x <= 0) or ``exp_nonpos_avx512`` (its 8-lane AVX-512 float64
    twin; NotImplementedError without AVX-512).  For tests."""
    cdef Py_ssize_t i, n = x.shape[0]
    if out.shape[0] != n:
        raise ValueError(f"vmath: out has {out.shape[0]} elements, x {n}")
    if fn == "exp_nonpos_avx512":
        if floating is float or n != out.shape[0] or lamina_dexp_nonpos_pd512_array(
                n, &x[0] if n else NULL, &out[0] if n else NULL) != 0:
            raise NotImplementedError("exp_nonpos_avx512 needs float64 and an AVX-512 CPU")
        return
    cdef int which = ("exp", "log", "expm1", "log1p", "exp_nonpos").index(fn)
    for i in range(n):
        if floating is double:
            if which == 4:
                out[i] = lamina_vexp_nonpos_d(x[i])
                continue
            out[i] = (lamina_vexp_d(x[i]) if which == 0 else lamina_vlog_d(x[i]) if which == 1
                      else lamina_vexpm1_d(x[i]) if which == 2 else lamina_vlog1p_d(x[i]))
        else:
            if which == 4:
                out[i] = lamina_vexp_nonpos_s(x[i])
                continue
            out[i] = (lamina_vexp_s(x[i]) if which == 0 else lamina_vlog_s(x[i]) if which == 1
                      else lamina_vexpm1_s(x[i]) if which == 2 else lamina_vlog1p_s(x[i]))
