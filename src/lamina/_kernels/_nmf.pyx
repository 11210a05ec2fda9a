"""Kernels of NMF's Frobenius solvers (coordinate descent and multiplicative updates):
one pass over X per iteration.

Design
------
An iteration of either solver on min 1/2 ||X - W H||^2 (+ penalties) needs X H^T for the
W half-step and X^T W (with the new W) for the H half-step.  Each product reads all of X
(n x m) for only 2 k flops per element (k = n_components, about 20), so two general
GEMMs spend most of their time moving X through memory and packing it.  The W half-step
is row-separable: row i of the new W depends only on row i of X H^T, on the old row i of W
and on the k x k Gram matrix H H^T.  ``fused_pass`` therefore walks X once, in blocks of
rows small enough to stay in L2:

1. C = X_b H^T for the block (``lamina_nmf_xh``: register-tiled, X read in place);
2. the W rows of the block are updated in place -- scikit-learn's coordinate-descent
   sweep (Cichocki and Phan 2009; same coordinate order and arithmetic per row) or the
   multiplicative update W *= C / (W H H^T + l1 + l2 W) (Lee and Seung 2001) -- 16 rows
   at a time with one row per SIMD lane (``lamina_nmf_cd_rows`` / ``mu_rows``; the
   scalar ``cdnmf_row`` / ``mu_row`` for k > 128 or gamma != 1);
3. X_b^T W_b and W_b^T W_b are added to the chunk's partial sums of X^T W and W^T W
   (``lamina_nmf_xtw``) while X_b is still in cache; the next block of X is prefetched
   meanwhile.

The rows are split into a fixed number of chunks (a function of the shape only), each
with its own partial sums; threads take whole chunks (dynamically: a thread slowed by
other work hands its chunks to the others) and ``update_rows`` adds the partials in
chunk order before the H half-step, so every result is the same for any thread count.
The H half-step itself (``update_rows``) runs the same row updates on the rows of H^T
against W^T W; ``gram`` then forms H H^T for the next iteration.  For X much wider
than tall the chunk partial sums (m + kp rows) would not stay in cache, so
``column_pass`` runs the transposed scheme: column panel by column panel of X, the rows
of H^T are updated against X_b^T W and the panel's X H^T and H H^T are accumulated for
the next W half-step (``update_rows`` on W); the next panel is prefetched meanwhile.
With H fixed (``transform``) X H^T is formed once (``xh_product``) and each iteration is
only the row updates.

Both factors are kept row-major with rows zero-padded to kp columns (a multiple of 64
bytes) so the SIMD products need no edge handling; the padding stays zero.  Cost per
iteration: 4 n m kp flops in the products plus O((n + m) k^2) in the row updates and
Gram matrices; memory traffic one read of X.
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport pow
from libc.string cimport memset

from lamina._kernels._decomp cimport cdnmf_row
from lamina._kernels._runtime cimport get_isa, record_team_size

cdef extern from "lamina_nmf.h" nogil:
    ctypedef struct lamina_nmf_prefetch:
        pass
    lamina_nmf_prefetch lamina_nmf_prefetch_region(const void *start, Py_ssize_t rows,
                                                   Py_ssize_t row_bytes, Py_ssize_t stride)
    void lamina_nmf_xh_d(int isa, Py_ssize_t rows, Py_ssize_t m, const double *x,
                         Py_ssize_t ldx, const double *hp, Py_ssize_t kp, double *c,
                         int accumulate)
    void lamina_nmf_xh_s(int isa, Py_ssize_t rows, Py_ssize_t m, const float *x,
                         Py_ssize_t ldx, const float *hp, Py_ssize_t kp, float *c,
                         int accumulate)
    void lamina_nmf_xtw_d(int isa, Py_ssize_t rows, Py_ssize_t m, const double *x,
                          Py_ssize_t ldx, const double *w, Py_ssize_t kp, double *out,
                          const lamina_nmf_prefetch *next)
    void lamina_nmf_xtw_s(int isa, Py_ssize_t rows, Py_ssize_t m, const float *x,
                          Py_ssize_t ldx, const float *w, Py_ssize_t kp, float *out,
                          const lamina_nmf_prefetch *next)
    int LAMINA_NMF_LANES
    int LAMINA_NMF_MAX_K
    void lamina_nmf_cd_rows_d(int isa, Py_ssize_t rows, Py_ssize_t k, double *w,
                              Py_ssize_t ldw, const double *G, const double *num,
                              Py_ssize_t ldn, const Py_ssize_t *perm, double *viol)
    void lamina_nmf_cd_rows_s(int isa, Py_ssize_t rows, Py_ssize_t k, float *w,
                              Py_ssize_t ldw, const float *G, const float *num,
                              Py_ssize_t ldn, const Py_ssize_t *perm, double *viol)
    void lamina_nmf_mu_rows_d(int isa, Py_ssize_t rows, Py_ssize_t k, double *w,
                              Py_ssize_t ldw, const double *G, const double *num,
                              Py_ssize_t ldn, double l1, double l2, double eps)
    void lamina_nmf_mu_rows_s(int isa, Py_ssize_t rows, Py_ssize_t k, float *w,
                              Py_ssize_t ldw, const float *G, const float *num,
                              Py_ssize_t ldn, double l1, double l2, double eps)


# Passes of fewer multiply-adds than this run on one thread: a team costs more than it
# saves on them (and much more when the cores are shared).
DEF _PARALLEL_WORK = 4000000


cdef inline void xh(int isa, Py_ssize_t rows, Py_ssize_t m, const floating *x,
                    Py_ssize_t ldx, const floating *hp, Py_ssize_t kp, floating *c,
                    bint accumulate=False) noexcept nogil:
    if floating is double:
        lamina_nmf_xh_d(isa, rows, m, x, ldx, hp, kp, c, accumulate)
    else:
        lamina_nmf_xh_s(isa, rows, m, x, ldx, hp, kp, c, accumulate)


cdef inline void xtw(int isa, Py_ssize_t rows, Py_ssize_t m, const floating *x,
                     Py_ssize_t ldx, const floating *w, Py_ssize_t kp, floating *out,
                     const floating *next=NULL, Py_ssize_t next_rows=0,
                     Py_ssize_t next_cols=0) noexcept nogil:
    """out += x^T w; meanwhile next_rows x next_cols of X (row stride ldx) from `next`
    are prefetched."""
    cdef lamina_nmf_prefetch region = lamina_nmf_prefetch_region(
        next, next_rows if next != NULL else 0, next_cols * <Py_ssize_t> sizeof(floating),
        ldx * <Py_ssize_t> sizeof(floating))
    if floating is double:
        lamina_nmf_xtw_d(isa, rows, m, x, ldx, w, kp, out, &region)
    else:
        lamina_nmf_xtw_s(isa, rows, m, x, ldx, w, kp, out, &region)


cdef void mu_row(Py_ssize_t k, floating *w, const floating *G, floating *num, double l1,
                 double l2, double gamma, double eps) noexcept nogil:
    """w *= (num / fix(w G + l1 + l2 w))^gamma for one row (num is overwritten); the
    denominator uses the old row throughout, as the matrix form does."""
    cdef Py_ssize_t t, r
    cdef floating d
    cdef const floating *g
    for t in range(k):
        g = G + t * k
        d = 0
        for r in range(k):
            d = d + w[r] * g[r]
        if l1 > 0:
            d = d + <floating> l1
        if l2 > 0:
            d = d + <floating> l2 * w[t]
        if d == 0:
            d = <floating> eps
        num[t] = num[t] / d
        if gamma != 1:
            num[t] = <floating> pow(num[t], gamma)
    for t in range(k):
        w[t] = w[t] * num[t]


cdef void update_block(Py_ssize_t rows, Py_ssize_t k, floating *W, Py_ssize_t ldw,
                       const floating *G, floating *num, Py_ssize_t ldn,
                       const Py_ssize_t *perm, double *viol, bint cd, double l1, double l2,
                       double gamma, double eps, int isa) noexcept nogil:
    """The half-step of `rows` consecutive rows (num: their rows of X H^T or X^T W,
    overwritten); viol receives each row's projected-gradient violation (cd) or 0."""
    cdef Py_ssize_t i, t, g0, nr
    if cd and l1 != 0:
        # scikit-learn subtracts l1 from X H^T and adds l2 to the Gram diagonal (the
        # caller's G) before the sweep
        for i in range(rows):
            for t in range(k):
                num[i * ldn + t] = num[i * ldn + t] - <floating> l1
    if k > LAMINA_NMF_MAX_K or (not cd and gamma != 1):
        for i in range(rows):
            if cd:
                viol[i] = cdnmf_row(k, W + i * ldw, G, num + i * ldn, perm)
            else:
                mu_row(k, W + i * ldw, G, num + i * ldn, l1, l2, gamma, eps)
                viol[i] = 0
        return
    g0 = 0
    while g0 < rows:
        nr = min(<Py_ssize_t> LAMINA_NMF_LANES, rows - g0)
        if cd:
            if floating is double:
                lamina_nmf_cd_rows_d(isa, nr, k, W + g0 * ldw, ldw, G, num + g0 * ldn, ldn,
                                     perm, viol + g0)
            else:
                lamina_nmf_cd_rows_s(isa, nr, k, W + g0 * ldw, ldw, G, num + g0 * ldn, ldn,
                                     perm, viol + g0)
        else:
            if floating is double:
                lamina_nmf_mu_rows_d(isa, nr, k, W + g0 * ldw, ldw, G, num + g0 * ldn, ldn,
                                     l1, l2, eps)
            else:
                lamina_nmf_mu_rows_s(isa, nr, k, W + g0 * ldw, ldw, G, num + g0 * ldn, ldn,
                                     l1, l2, eps)
            for i in range(nr):
                viol[g0 + i] = 0
        g0 += nr


cdef void pass_chunk(Py_ssize_t c, Py_ssize_t n_chunks, Py_ssize_t n, Py_ssize_t m,
                     Py_ssize_t k, Py_ssize_t kp, Py_ssize_t block, const floating *X,
                     floating *W, const floating *Hp, const floating *G,
                     const Py_ssize_t *perm, floating *partial, floating *C,
                     double *viol, bint cd, double l1, double l2, double gamma,
                     double eps, bint accumulate, int isa) noexcept nogil:
    cdef Py_ssize_t start = c * n // n_chunks, stop = (c + 1) * n // n_chunks
    cdef Py_ssize_t b0, rows
    if accumulate:
        memset(partial, 0, (m + kp) * kp * sizeof(floating))
    b0 = start
    while b0 < stop:
        rows = min(block, stop - b0)
        xh(isa, rows, m, X + b0 * m, m, Hp, kp, C)
        update_block(rows, k, W + b0 * kp, kp, G, C, kp, perm, viol + b0, cd, l1, l2,
                     gamma, eps, isa)
        if accumulate:
            xtw(isa, rows, m, X + b0 * m, m, W + b0 * kp, kp, partial,
                X + (b0 + rows) * m, min(block, stop - b0 - rows), m)
            # W^T W of the new rows, for the H half-step
            xtw(isa, rows, kp, W + b0 * kp, kp, W + b0 * kp, kp, partial + m * kp)
        b0 += rows


cdef int _check_pass(Py_ssize_t n, Py_ssize_t m, Py_ssize_t kp, Py_ssize_t k,
                     Py_ssize_t w_rows, Py_ssize_t hp_rows, Py_ssize_t hp_cols,
                     Py_ssize_t g_cols, Py_ssize_t n_perm, Py_ssize_t scratch_k,
                     Py_ssize_t block, Py_ssize_t n_chunks, Py_ssize_t n_violation,
                     Py_ssize_t want_violation, str what) except -1:
    """The shape contract shared by fused_pass and column_pass."""
    if w_rows != n or hp_rows != m or hp_cols != kp or g_cols != k or k > kp \
            or n_perm != k or scratch_k != kp or block < 1 or n_chunks < 1 \
            or n_violation != want_violation:
        raise ValueError(f"{what}: inconsistent shapes")
    return 0


def fused_pass(const floating[:, ::1] X, floating[:, ::1] W, const floating[:, ::1] Hp,
               const floating[:, ::1] G, const Py_ssize_t[::1] perm,
               floating[:, :, ::1] partial, floating[:, :, ::1] scratch,
               double[::1] row_violation, bint cd, double l1, double l2, double gamma,
               double eps, bint accumulate, int n_threads):
    """The W half-step over all rows of X, in one pass (see the module notes).

    X (n x m), W (n x kp, updated in place), Hp = H^T (m x kp), G = H H^T (k x k, with l2
    on the diagonal for coordinate descent), perm (k, the coordinate order).  partial
    (n_chunks x (m + kp) x kp) receives each chunk's X^T W (its first m rows) and W^T W
    (the last kp) when ``accumulate``; scratch
    (n_chunks x block x kp) holds the blocks of X H^T.  Returns the summed violation
    (coordinate descent) or 0.
    """
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], kp = W.shape[1], k = G.shape[0]
    cdef Py_ssize_t n_chunks = scratch.shape[0], block = scratch.shape[1], c, i, s
    cdef int isa = get_isa()
    cdef double total = 0
    _check_pass(n, m, kp, k, W.shape[0], Hp.shape[0], Hp.shape[1], G.shape[1],
                perm.shape[0], scratch.shape[2], block, n_chunks, row_violation.shape[0], n,
                "fused_pass")
    if accumulate and (partial.shape[0] != n_chunks or partial.shape[1] != m + kp
                       or partial.shape[2] != kp):
        raise ValueError("fused_pass: partial must be (n_chunks, m + kp, kp)")
    for s in range(k):
        if perm[s] < 0 or perm[s] >= k:
            raise ValueError("fused_pass: permutation out of range")
    if n == 0 or k == 0:
        return 0.0
    cdef floating *P = &partial[0, 0, 0] if accumulate else NULL
    if n * m * kp < _PARALLEL_WORK or n_chunks == 1:
        n_threads = 1
    n_threads = min(n_threads, n_chunks)
    with nogil:
        record_team_size(max(n_threads, 1))
        if n_threads <= 1:
            for c in range(n_chunks):
                pass_chunk(c, n_chunks, n, m, k, kp, block, &X[0, 0], &W[0, 0], &Hp[0, 0],
                           &G[0, 0], &perm[0], P + c * (m + kp) * kp if accumulate else NULL,
                           &scratch[c, 0, 0], &row_violation[0], cd, l1, l2, gamma, eps,
                           accumulate, isa)
        else:
            # chunks are independent (own rows, own partial sums): any thread may take
            # any chunk, so a dynamic schedule keeps results thread-count independent
            for c in prange(n_chunks, schedule="dynamic", chunksize=1,
                            num_threads=n_threads):
                pass_chunk(c, n_chunks, n, m, k, kp, block, &X[0, 0], &W[0, 0], &Hp[0, 0],
                           &G[0, 0], &perm[0], P + c * (m + kp) * kp if accumulate else NULL,
                           &scratch[c, 0, 0], &row_violation[0], cd, l1, l2, gamma, eps,
                           accumulate, isa)
        for i in range(n):
            total += row_violation[i]
    return total


def update_rows(floating[:, ::1] F, const floating[:, ::1] G,
                floating[:, :, ::1] partial, const Py_ssize_t[::1] perm,
                double[::1] row_violation, bint cd, double l1, double l2, double gamma,
                double eps, int n_threads):
    """The H half-step: row p of F (H^T, m x kp, in place) against G = W^T W (k x k) with
    the numerator row sum_c partial[c, p] (added in chunk order into partial[0]; rows of
    partial past m are not read).  Returns the summed violation (coordinate descent)
    or 0."""
    cdef Py_ssize_t m = F.shape[0], kp = F.shape[1], k = G.shape[0]
    cdef Py_ssize_t n_chunks = partial.shape[0], p, p0, g, c, t, s, nr
    cdef Py_ssize_t lanes = LAMINA_NMF_LANES, n_groups
    cdef int isa = get_isa()
    cdef double total = 0
    if partial.shape[1] < m or partial.shape[2] != kp or G.shape[1] != k or k > kp \
            or perm.shape[0] != k or row_violation.shape[0] != m or n_chunks < 1:
        raise ValueError("update_rows: inconsistent shapes")
    for s in range(k):
        if perm[s] < 0 or perm[s] >= k:
            raise ValueError("update_rows: permutation out of range")
    if m == 0 or k == 0:
        return 0.0
    if m * k * (k + n_chunks) < _PARALLEL_WORK:
        n_threads = 1
    n_groups = (m + lanes - 1) // lanes
    with nogil:
        for g in prange(n_groups, schedule="static", num_threads=max(n_threads, 1)):
            p0 = g * lanes
            nr = min(lanes, m - p0)
            for p in range(p0, p0 + nr):
                for c in range(1, n_chunks):
                    for t in range(k):
                        partial[0, p, t] = partial[0, p, t] + partial[c, p, t]
            update_block(nr, k, &F[p0, 0], kp, &G[0, 0], &partial[0, p0, 0], kp, &perm[0],
                         &row_violation[p0], cd, l1, l2, gamma, eps, isa)
        for p in range(m):
            total += row_violation[p]
    return total


def gram(const floating[:, ::1] F, floating[:, ::1] out):
    """out = F^T F (kp x kp) for a padded factor F (rows x kp), each entry a sequential
    sum over the rows (exactly symmetric; one thread: O(rows kp^2) is small here)."""
    cdef Py_ssize_t rows = F.shape[0], kp = F.shape[1]
    if out.shape[0] != kp or out.shape[1] != kp:
        raise ValueError("gram: out must be (kp, kp)")
    cdef int isa = get_isa()
    with nogil:
        memset(&out[0, 0], 0, kp * kp * sizeof(floating))
        if rows > 0:
            xtw(isa, rows, kp, &F[0, 0], kp, &F[0, 0], kp, &out[0, 0])


def xh_product(const floating[:, ::1] X, const floating[:, ::1] Hp, floating[:, ::1] out,
               int n_threads):
    """out = X Hp (n x kp) for X (n x m) and the padded H^T (m x kp): the constant
    numerator of the W half-steps when H is fixed (``transform``)."""
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], kp = Hp.shape[1]
    cdef Py_ssize_t block = 64, n_blocks, b, b0
    cdef int isa = get_isa()
    if Hp.shape[0] != m or out.shape[0] != n or out.shape[1] != kp:
        raise ValueError("xh_product: inconsistent shapes")
    if n == 0:
        return
    if n * m * kp < _PARALLEL_WORK:
        n_threads = 1
    n_blocks = (n + block - 1) // block
    with nogil:
        for b in prange(n_blocks, schedule="static", num_threads=max(n_threads, 1)):
            b0 = b * block
            xh(isa, min(block, n - b0), m, &X[b0, 0], m, &Hp[0, 0], kp, &out[b0, 0])


cdef void column_chunk(Py_ssize_t c, Py_ssize_t n_chunks, Py_ssize_t n, Py_ssize_t m,
                       Py_ssize_t k, Py_ssize_t kp, Py_ssize_t block, const floating *X,
                       const floating *W, floating *Hp, const floating *G,
                       const Py_ssize_t *perm, floating *partial, floating *C,
                       double *viol, bint cd, double l1, double l2, double gamma,
                       double eps, int isa) noexcept nogil:
    cdef Py_ssize_t start = c * m // n_chunks, stop = (c + 1) * m // n_chunks
    cdef Py_ssize_t f0, cols
    memset(partial, 0, (n + kp) * kp * sizeof(floating))
    f0 = start
    while f0 < stop:
        cols = min(block, stop - f0)
        # C = X[:, f0:f0+cols]^T W, the block's rows of X^T W
        memset(C, 0, cols * kp * sizeof(floating))
        xtw(isa, n, cols, X + f0, m, W, kp, C, X + f0 + cols, n,
            min(block, stop - f0 - cols))
        update_block(cols, k, Hp + f0 * kp, kp, G, C, kp, perm, viol + f0, cd, l1, l2,
                     gamma, eps, isa)
        # X H^T and H H^T of the new rows of H^T, for the next W half-step
        xh(isa, n, cols, X + f0, m, Hp + f0 * kp, kp, partial, True)
        xtw(isa, cols, kp, Hp + f0 * kp, kp, Hp + f0 * kp, kp, partial + n * kp)
        f0 += cols


def column_pass(const floating[:, ::1] X, const floating[:, ::1] W, floating[:, ::1] Hp,
                const floating[:, ::1] G, const Py_ssize_t[::1] perm,
                floating[:, :, ::1] partial, floating[:, :, ::1] scratch,
                double[::1] row_violation, bint cd, double l1, double l2, double gamma,
                double eps, int n_threads):
    """The H half-step over all columns of a wide X, in one pass: the transpose of
    ``fused_pass``.  Column block by column block, C = X_b^T W, the rows of Hp = H^T
    (m x kp) are updated against G = W^T W (k x k), and X_b Hp_b and Hp_b^T Hp_b are
    added to the chunk's partial sums (n_chunks x (n + kp) x kp: X H^T in the first n
    rows, H H^T in the last kp) for the next W half-step (``update_rows`` on W).
    scratch is n_chunks x block x kp.  Returns the summed violation (cd) or 0."""
    cdef Py_ssize_t n = X.shape[0], m = X.shape[1], kp = W.shape[1], k = G.shape[0]
    cdef Py_ssize_t n_chunks = scratch.shape[0], block = scratch.shape[1], c, i, s
    cdef int isa = get_isa()
    cdef double total = 0
    _check_pass(n, m, kp, k, W.shape[0], Hp.shape[0], Hp.shape[1], G.shape[1],
                perm.shape[0], scratch.shape[2], block, n_chunks, row_violation.shape[0], m,
                "column_pass")
    if partial.shape[0] != n_chunks or partial.shape[1] != n + kp or partial.shape[2] != kp:
        raise ValueError("column_pass: partial must be (n_chunks, n + kp, kp)")
    for s in range(k):
        if perm[s] < 0 or perm[s] >= k:
            raise ValueError("column_pass: permutation out of range")
    if m == 0 or k == 0:
        return 0.0
    if n * m * kp < _PARALLEL_WORK or n_chunks == 1:
        n_threads = 1
    n_threads = min(n_threads, n_chunks)
    with nogil:
        record_team_size(max(n_threads, 1))
        if n_threads <= 1:
            for c in range(n_chunks):
                column_chunk(c, n_chunks, n, m, k, kp, block, &X[0, 0], &W[0, 0],
                             &Hp[0, 0], &G[0, 0], &perm[0], &partial[c, 0, 0],
                             &scratch[c, 0, 0], &row_violation[0], cd, l1, l2, gamma, eps,
                             isa)
        else:
            for c in prange(n_chunks, schedule="dynamic", chunksize=1,
                            num_threads=n_threads):
                column_chunk(c, n_chunks, n, m, k, kp, block, &X[0, 0], &W[0, 0],
                             &Hp[0, 0], &G[0, 0], &perm[0], &partial[c, 0, 0],
                             &scratch[c, 0, 0], &row_violation[0], cd, l1, l2, gamma, eps,
                             isa)
        for i in range(m):
            total += row_violation[i]
    return total
