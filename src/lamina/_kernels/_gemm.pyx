"""Level-3 BLAS kernels: GEMM with fused epilogues, and TRSM, TRMM, SYRK built on it.

Design
------
GEMM follows Goto & van de Geijn (2008) and BLIS (Van Zee & van de Geijn, 2015): five
loops around a register-tile micro-kernel.

    JC (step NC over n)   the KC x NC panel of B is packed (balanced NC blocks)
      PC (step KC over k) rank-KC update; the k loop is never split across threads
        IC (step mc over m)  the mc x KC block of A is packed (alpha absorbed)
          JR (step NR)    one packed B micro-panel (KC x NR)
            IR (step MR)  micro-kernel: MR x NR tile of C += A-panel @ B-panel

The C half (``include/lamina_gemm.h``) holds the block-size table per (dtype, ISA),
the packing routines (which absorb transposes, strides and alpha, so inputs are never
copied), the micro-kernels (``include/ukr_*.h``, one per dtype/ISA/tile with a plain-C
``ukr_ref`` twin), edge tiles (through a local buffer and a scalar merge) and the epilogue.
The fused epilogue (``+ bias`` then an activation) runs on each C tile right after its last
rank-KC update, while the tile is still in L1.

The micro-kernels write rows of C with unit stride; a column-major C is handled by
computing C^T = B^T A^T (swapping strides), so both memory orders run at full speed.
Products below ``SMALL_FLOPS`` (m*n*k) skip packing, and so does a C at most one
vector wide (``include/lamina_gemm_narrow.h``: 8 rows of C in registers, A and B read
in place).

Threads split C into blocks of whole MC-row blocks, or of whole SIMD vectors of columns
when C has few rows or wide rows (see ``COLUMN_SPLIT_ROWS``), and each thread runs the five
loops on its block with its own packing buffers: nothing packed is shared, so the threads
never wait for each other or read each other's caches (measured faster than sharing either
packed operand on this 2-core machine).  Each element of C sees the same sequence of
roundings in any tile and k is never split, so results are bitwise identical for 1, 2, ...
threads.

TRSM, TRMM and SYRK are blocked by ``TRI_BLOCK`` rows: the small triangular diagonal
blocks are handled by plain loops, everything else (the O(n^3) bulk) by ``gemm_kernel``.
"""
from cpython.buffer cimport (PyBUF_RECORDS, PyBUF_RECORDS_RO, PyBuffer_Release,
                             PyObject_GetBuffer)
from cython cimport floating
from cython.parallel cimport parallel, threadid
from libc.math cimport fabs
from libc.stdint cimport uintptr_t

import numpy as np

from lamina._kernels._blas2 cimport gemv_kernel
from lamina._kernels._runtime cimport get_isa, record_team_size

cdef extern from "lamina_omp.h" nogil:
    int lamina_omp_get_num_threads()
    void lamina_omp_barrier()

cdef extern from "lamina_gemm.h" nogil:
    ctypedef struct lamina_gemm_blocks_t:
        int mr
        int nr
        int mc
        int kc
        int nc
    lamina_gemm_blocks_t lamina_gemm_blocks(int is_float, int isa)
    int lamina_gemm_set_blocks(int is_float, int isa, int mc, int kc, int nc)
    void *lamina_gemm_alloc(size_t nbytes)
    void lamina_gemm_free(void *p)
    void lamina_gemm_prefetch_tile(const void *c, Py_ssize_t row_stride, Py_ssize_t rows,
                                   size_t row_bytes)
    int LAMINA_ACT_NONE, LAMINA_ACT_RELU, LAMINA_ACT_GELU, LAMINA_ACT_SIGMOID, LAMINA_ACT_TANH
    int LAMINA_ACT_RELU_MASK

    void lamina_dgemm_pack_a(int isa, Py_ssize_t mc, Py_ssize_t kc, const double *A, Py_ssize_t rsa,
                             Py_ssize_t csa, double alpha, int mr, double *dst)
    void lamina_sgemm_pack_a(int isa, Py_ssize_t mc, Py_ssize_t kc, const float *A, Py_ssize_t rsa,
                             Py_ssize_t csa, float alpha, int mr, float *dst)
    void lamina_dgemm_pack_b(int isa, Py_ssize_t kc, Py_ssize_t nc, const double *B, Py_ssize_t rsb,
                             Py_ssize_t csb, int nr, Py_ssize_t s0, Py_ssize_t s1,
                             double *dst)
    void lamina_sgemm_pack_b(int isa, Py_ssize_t kc, Py_ssize_t nc, const float *B, Py_ssize_t rsb,
                             Py_ssize_t csb, int nr, Py_ssize_t s0, Py_ssize_t s1,
                             float *dst)
    void lamina_dgemm_tile(int isa, int mr, int nr, Py_ssize_t kc, const double *a,
                           const double *b, Py_ssize_t ldb, double *c, Py_ssize_t rsc,
                           Py_ssize_t csc, Py_ssize_t m_eff, Py_ssize_t n_eff, double beta)
    void lamina_sgemm_tile(int isa, int mr, int nr, Py_ssize_t kc, const float *a,
                           const float *b, Py_ssize_t ldb, float *c, Py_ssize_t rsc,
                           Py_ssize_t csc, Py_ssize_t m_eff, Py_ssize_t n_eff, float beta)
    void lamina_dgemm_epilogue(Py_ssize_t m, Py_ssize_t n, double *c, Py_ssize_t rsc,
                               Py_ssize_t csc, const double *bias, Py_ssize_t bias_rs,
                               Py_ssize_t bias_cs, int act)
    void lamina_sgemm_epilogue(Py_ssize_t m, Py_ssize_t n, float *c, Py_ssize_t rsc,
                               Py_ssize_t csc, const float *bias, Py_ssize_t bias_rs,
                               Py_ssize_t bias_cs, int act)
    void lamina_dgemm_scale(Py_ssize_t m, Py_ssize_t n, double beta, double *c,
                            Py_ssize_t rsc, Py_ssize_t csc)
    void lamina_sgemm_scale(Py_ssize_t m, Py_ssize_t n, float beta, float *c,
                            Py_ssize_t rsc, Py_ssize_t csc)
    void lamina_dgemm_small(int isa, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, double alpha,
                            const double *A, Py_ssize_t rsa, Py_ssize_t csa, const double *B,
                            Py_ssize_t rsb, Py_ssize_t csb, double beta, double *C,
                            Py_ssize_t rsc, Py_ssize_t csc)
    void lamina_sgemm_small(int isa, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, float alpha,
                            const float *A, Py_ssize_t rsa, Py_ssize_t csa, const float *B,
                            Py_ssize_t rsb, Py_ssize_t csb, float beta, float *C,
                            Py_ssize_t rsc, Py_ssize_t csc)
    int lamina_dgemm_direct(int isa, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                            const double *A, Py_ssize_t rsa, Py_ssize_t csa, const double *B,
                            Py_ssize_t rsb, double beta, double *C, Py_ssize_t rsc)
    int lamina_sgemm_direct(int isa, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                            const float *A, Py_ssize_t rsa, Py_ssize_t csa, const float *B,
                            Py_ssize_t rsb, float beta, float *C, Py_ssize_t rsc)
    void lamina_dukr(int isa, Py_ssize_t k, const double *a, const double *b, double *c,
                     Py_ssize_t rsc, double beta)
    void lamina_sukr(int isa, Py_ssize_t k, const float *a, const float *b, float *c,
                     Py_ssize_t rsc, float beta)
    void lamina_dukr_ref(Py_ssize_t k, int mr, int nr, const double *a, const double *b,
                         double *c, Py_ssize_t rsc, double beta)
    void lamina_sukr_ref(Py_ssize_t k, int mr, int nr, const float *a, const float *b,
                         float *c, Py_ssize_t rsc, float beta)

cdef extern from "lamina_gemm_narrow.h" nogil:
    int LAMINA_HAVE_GEMM_NARROW
    void lamina_dgemm_narrow_avx512(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, Py_ssize_t k,
                                    double alpha, const double *A, Py_ssize_t rsa,
                                    Py_ssize_t csa, const double *B, Py_ssize_t rsb,
                                    double beta, double *C, Py_ssize_t rsc)
    void lamina_sgemm_narrow_avx512(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, Py_ssize_t k,
                                    float alpha, const float *A, Py_ssize_t rsa,
                                    Py_ssize_t csa, const float *B, Py_ssize_t rsb,
                                    float beta, float *C, Py_ssize_t rsc)

cdef extern from "lamina_peak.h" nogil:
    double lamina_fma_peak(int isa, int is_float, long iters, double *flops)

ACT_NONE = LAMINA_ACT_NONE
ACT_RELU = LAMINA_ACT_RELU
ACT_GELU = LAMINA_ACT_GELU
ACT_SIGMOID = LAMINA_ACT_SIGMOID
ACT_TANH = LAMINA_ACT_TANH
ACT_RELU_MASK = LAMINA_ACT_RELU_MASK      # gemm_relu_mask's epilogue (not an activation)
ACTIVATIONS = {"relu": ACT_RELU, "gelu": ACT_GELU, "sigmoid": ACT_SIGMOID, "tanh": ACT_TANH}

# m*n*k below which the product runs without packing, on one thread (the same limit as
# _parallel_min).  With AVX-512, alpha == 1, a row-major B and k <= KC the direct tiles read
# A and B in place (lamina_gemm_direct): float32 64^3 3.9 -> 2.8 us, 128^3 on one thread
# 24 -> 21 us.  Otherwise the plain strip loop takes products up to STRIP_FLOPS (packing
# a 32^3 problem costs about as much as multiplying it) and the packed path the rest.
# Tests lower the limit to 0 to drive small shapes through the packed path.
SMALL_FLOPS = 128 * 128 * 128
cdef double _small_flops = SMALL_FLOPS
cdef double STRIP_FLOPS = 32 * 32 * 32
# Below this m*n*k one thread does the whole product: waking a team costs ~5-20 us on an
# idle machine (far more when cores are shared), so a second thread pays off only once the
# product takes well over that on one core (128^3 is ~25-50 us at 80-170 GFLOP/s).
cdef double _parallel_min = 128.0 * 128.0 * 128.0
# A C of this many elements takes two threads whatever k: with a small k the product is
# the writing of C (float32 128x10x512 with B = W^T inside a training step 47 -> 29 us,
# 256x16x256 14.7 -> 9.7 us, float64 512x8x128 20.9 -> 13.8 us).
cdef Py_ssize_t PARALLEL_MIN_C = 1 << 16
# Up to this k, threads split a C between them by rows (see gemm_ex).
cdef Py_ssize_t SMALL_K = 16
# The one-vector-wide path (a classifier's output layer) needs no packing or team-wide
# buffers, so a second thread pays off much earlier: float32 128x512x10 14.7 -> 8.9 us,
# 512x128x10 (A transposed) 18.5 -> 10.7 us, 128x128x10 4.5 -> 3.7 us.
cdef double NARROW_PARALLEL_MIN = 128.0 * 1024.0
# Up to this many rows of A (and C), a row-major B is read in place instead of packed:
# each B panel then serves at most DIRECT_B_ROWS / MR tiles, too few to repay copying it.
DIRECT_B_ROWS = 64
cdef Py_ssize_t _direct_b_rows = DIRECT_B_ROWS
# Threads split the columns of C instead of its rows when C has at most COLUMN_SPLIT_ROWS
# rows (a single MC block at most, which a row split could only halve): each thread then
# runs the serial loops on its own columns, with its own packed B (whose KC x n/2 panel
# stays in its core's L2) and its own copy of the packed A block.  Packing A twice costs
# less than sharing it did (a barrier per block and half the block read from the other
# core): float32 128x784x192 215 -> 286 GFLOP/s, 128x784x512 289 -> 292.  Measured on 2
# cores (GFLOP/s, row split / column split, float32, with the shared A):
# 128x784x512 227 / 256, 128x4096x1024 231 / 280, 32x784x512 215 / 230; from 256 rows on
# the row split is as fast or faster: 256^3 240 / 232, 512x784x512 292 / 274,
# 784x128x512 311 / 280, 1024^3 312 / 321.  set_column_split_rows(0) turns the column
# split off altogether.
#
# Wide C splits by columns whatever its rows: from 4 KiB rows (512 float64, 1024 float32
# columns) each thread's columns repay packing all of A itself.  GFLOP/s, row split /
# column split: float64 512x784x512 165 / 174, 1024^3 176 / 183, 4096^3 174 / 183;
# float32 2048x192x2048 348 / 364, 4096^3 363 / 375; but float32 784x128x512 342 / 318.
COLUMN_SPLIT_ROWS = 192
# With two threads, a row-major B and k in exactly two KC blocks, a C of at most
# COLUMN_SPLIT_ROWS rows is split along k instead: each thread multiplies one k block
# (contiguous rows of B), the second into a private buffer, and after a barrier each
# thread adds the buffer into half the rows of C and applies the epilogue there.  The sum
# of the two blocks is the serial path's own last step (acc + C, one rounding), so the
# result is bitwise the serial one.  A column split reads every row of B in two
# interleaved halves, which this machine's prefetchers serve poorly, and, in training,
# half of those rows were just written by the other core's optimizer step (which splits
# the weights by rows).  The buffer is limited to K_SPLIT_BYTES.
cdef bint _k_split = True
cdef Py_ssize_t K_SPLIT_BYTES = 1 << 20
cdef Py_ssize_t _column_split_rows = COLUMN_SPLIT_ROWS
cdef Py_ssize_t COLUMN_SPLIT_BYTES = 4096


# Longest k block for which the macro-kernel prefetches the next C tile during the
# current one.  Measured one thread, float64, against the FMA loop timed next to each
# product (median of 40): 4096x256x32 59.0 -> 62.5% of peak with it, 4096x256x64 68.2 ->
# 69.1%; from k = 96 on it costs 0.5-2% (4096x256x128 76.4 -> 74.2%, 1024^3 in blocks
# of 342 75.3 -> 74.9%), the fetches competing with the kernel's own.
cdef Py_ssize_t NEXT_TILE_PREFETCH_K = 64

# Rows per diagonal block of TRSM / TRMM / SYRK (the rank of their GEMM updates).
TRI_BLOCK = 96
cdef Py_ssize_t _tri_block = TRI_BLOCK


# ---------------------------------------------------------------------------------------
# Thin typed wrappers over the per-dtype C routines.

cdef inline lamina_gemm_blocks_t _blocks(int isa, floating dummy) noexcept nogil:
    return lamina_gemm_blocks(1 if floating is float else 0, isa)


cdef inline void _pack_a(int isa, Py_ssize_t mc, Py_ssize_t kc, const floating *A, Py_ssize_t rsa,
                         Py_ssize_t csa, floating alpha, int mr,
                         floating *dst) noexcept nogil:
    if floating is double:
        lamina_dgemm_pack_a(isa, mc, kc, A, rsa, csa, alpha, mr, dst)
    else:
        lamina_sgemm_pack_a(isa, mc, kc, A, rsa, csa, alpha, mr, dst)


cdef inline void _pack_b(int isa, Py_ssize_t kc, Py_ssize_t nc, const floating *B, Py_ssize_t rsb,
                         Py_ssize_t csb, int nr, Py_ssize_t s0, Py_ssize_t s1,
                         floating *dst) noexcept nogil:
    if floating is double:
        lamina_dgemm_pack_b(isa, kc, nc, B, rsb, csb, nr, s0, s1, dst)
    else:
        lamina_sgemm_pack_b(isa, kc, nc, B, rsb, csb, nr, s0, s1, dst)


cdef inline void _tile(int isa, int mr, int nr, Py_ssize_t kc, const floating *a,
                       const floating *b, Py_ssize_t ldb, floating *c, Py_ssize_t rsc,
                       Py_ssize_t csc, Py_ssize_t m_eff, Py_ssize_t n_eff,
                       floating beta) noexcept nogil:
    if floating is double:
        lamina_dgemm_tile(isa, mr, nr, kc, a, b, ldb, c, rsc, csc, m_eff, n_eff, beta)
    else:
        lamina_sgemm_tile(isa, mr, nr, kc, a, b, ldb, c, rsc, csc, m_eff, n_eff, beta)


cdef inline void _epilogue(Py_ssize_t m, Py_ssize_t n, floating *c, Py_ssize_t rsc,
                           Py_ssize_t csc, const floating *bias, Py_ssize_t bias_rs,
                           Py_ssize_t bias_cs, int act) noexcept nogil:
    if bias == NULL and act == LAMINA_ACT_NONE:
        return
    if floating is double:
        lamina_dgemm_epilogue(m, n, c, rsc, csc, bias, bias_rs, bias_cs, act)
    else:
        lamina_sgemm_epilogue(m, n, c, rsc, csc, bias, bias_rs, bias_cs, act)


cdef inline void _scale(Py_ssize_t m, Py_ssize_t n, floating beta, floating *c,
                        Py_ssize_t rsc, Py_ssize_t csc) noexcept nogil:
    if floating is double:
        lamina_dgemm_scale(m, n, beta, c, rsc, csc)
    else:
        lamina_sgemm_scale(m, n, beta, c, rsc, csc)


cdef inline Py_ssize_t _ceil_div(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return (a + b - 1) // b


# ---------------------------------------------------------------------------------------
# GEMM

cdef void _macro(int isa, int mr, int nr, Py_ssize_t kc, Py_ssize_t mcur, Py_ssize_t nc,
                 Py_ssize_t ic, Py_ssize_t jc, const floating *bufA, const floating *bufB,
                 const floating *Bdirect, Py_ssize_t rsb, floating *C, Py_ssize_t rsc,
                 Py_ssize_t csc, floating beta, const floating *bias, Py_ssize_t bias_rs,
                 Py_ssize_t bias_cs, int act) noexcept nogil:
    """The two inner loops: C[ic:ic+mcur, jc:jc+nc] (+)= packed A block x B panel, tile by
    tile, then the epilogue (bias / act: pass them only with the last k block).
    `Bdirect` (the B rows of this k block, read in place) replaces full NR panels of the
    packed bufB when given."""
    cdef Py_ssize_t jr = 0, ir, ncur, mcur2, ldb
    cdef const floating *ap
    cdef const floating *bp
    cdef floating *cp
    cdef bint fuse = bias != NULL or act != LAMINA_ACT_NONE
    # A tile's kernel prefetches its own C tile, which hides the latency when the k loop
    # is long.  A short one (kc <= NEXT_TILE_PREFETCH_K) starts on the next tile too.
    cdef bint prefetch_next = csc == 1 and kc <= NEXT_TILE_PREFETCH_K
    while jr < nc:
        ncur = min(<Py_ssize_t> nr, nc - jr)
        if Bdirect != NULL and ncur == nr:
            bp = Bdirect + jc + jr
            ldb = rsb
        else:
            bp = bufB + (jr // nr) * nr * kc
            ldb = 0
        ir = 0
        while ir < mcur:
            mcur2 = min(<Py_ssize_t> mr, mcur - ir)
            ap = bufA + (ir // mr) * mr * kc
            cp = C + (ic + ir) * rsc + (jc + jr) * csc
            if prefetch_next and ir + mr < mcur:
                lamina_gemm_prefetch_tile(cp + mr * rsc, rsc * sizeof(floating),
                                          min(<Py_ssize_t> mr, mcur - ir - mr),
                                          ncur * sizeof(floating))
            _tile(isa, mr, nr, kc, ap, bp, ldb, cp, rsc, csc, mcur2, ncur, beta)
            if fuse:
                _epilogue(mcur2, ncur, cp, rsc, csc,
                          NULL if bias == NULL
                          else bias + (ic + ir) * bias_rs + (jc + jr) * bias_cs,
                          bias_rs, bias_cs, act)
            ir += mr
        jr += nr


cdef void _gemm_loops(int isa, lamina_gemm_blocks_t bs, Py_ssize_t mc,
                      Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                      const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                      const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                      floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                      const floating *bias, Py_ssize_t bias_rs, Py_ssize_t bias_cs, int act,
                      floating *bufA, floating *bufB, bint direct_b) noexcept nogil:
    """The five loops on one thread, with its own packing buffers (a thread of a team runs
    them on its own block of rows or columns of C).  With `direct_b` (row-major B, few
    rows of A) the full NR-column panels of B are read in place and only a partial last
    panel is packed."""
    cdef Py_ssize_t jc, pc, ic, nc, kc, mcur, npanels, nblocks, ib
    cdef Py_ssize_t kc_step, nc_step, s0, s1
    cdef floating beta_eff
    cdef bint last
    cdef int mr = bs.mr, nr = bs.nr
    nblocks = _ceil_div(m, mc)
    # Equal k blocks (784 = 392 + 392, not 384 + 384 + 16): a thin last block would cost a
    # full pass over C for little work.  Depends on k only, never on the thread count.
    kc_step = _ceil_div(k, _ceil_div(k, bs.kc))
    # Likewise equal column blocks of whole NR panels (4096 = 2064 + 2032, not 4032 + 64:
    # a thin last block would pack all of A again for 64 columns).
    nc_step = _ceil_div(_ceil_div(n, _ceil_div(n, bs.nc)), nr) * nr
    jc = 0
    while jc < n:
        nc = min(nc_step, n - jc)
        npanels = _ceil_div(nc, nr)
        pc = 0
        while pc < k:
            kc = min(kc_step, k - pc)
            beta_eff = beta if pc == 0 else 1
            last = pc + kc >= k
            if direct_b:
                s1 = npanels if nc % nr != 0 else 0
                s0 = s1 - 1 if s1 > 0 else 0
            else:
                s0 = 0
                s1 = npanels
            _pack_b(isa, kc, nc, B + pc * rsb + jc * csb, rsb, csb, nr, s0, s1, bufB)
            ib = 0
            while ib < nblocks:
                ic = ib * mc
                mcur = min(mc, m - ic)
                _pack_a(isa, mcur, kc, A + ic * rsa + pc * csa, rsa, csa, alpha, mr, bufA)
                _macro(isa, mr, nr, kc, mcur, nc, ic, jc, bufA, bufB,
                       B + pc * rsb if direct_b else NULL, rsb, C, rsc, csc, beta_eff,
                       bias if last else NULL, bias_rs, bias_cs,
                       act if last else LAMINA_ACT_NONE)
                ib += 1
            pc += kc
        jc += nc


cdef inline int _split_lanes(int isa, int nr, floating dummy) noexcept nogil:
    """Columns per SIMD vector of the micro-kernel of `isa` (NR for the plain-C kernel)."""
    if isa == 2:
        return 64 // sizeof(floating)
    if isa == 1:
        return 32 // sizeof(floating)
    return nr


cdef inline void _narrow_rows(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n, Py_ssize_t k,
                              floating alpha, const floating *A, Py_ssize_t rsa,
                              Py_ssize_t csa, const floating *B, Py_ssize_t rsb,
                              floating beta, floating *C, Py_ssize_t rsc) noexcept nogil:
    if floating is double:
        lamina_dgemm_narrow_avx512(i0, i1, n, k, alpha, A, rsa, csa, B, rsb, beta, C, rsc)
    else:
        lamina_sgemm_narrow_avx512(i0, i1, n, k, alpha, A, rsa, csa, B, rsb, beta, C, rsc)


cdef void _gemm_narrow(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                       const floating *A, Py_ssize_t rsa, Py_ssize_t csa, const floating *B,
                       Py_ssize_t rsb, floating beta, floating *C, Py_ssize_t rsc,
                       int n_threads) noexcept nogil:
    """Rows of C in blocks of 8 split between threads (each element is one FMA chain over
    k, so the split never changes a result)."""
    cdef int tid, nt
    cdef Py_ssize_t blocks = _ceil_div(m, 8), i0, i1
    if n_threads <= 1 or blocks < 2:
        record_team_size(1)
        _narrow_rows(0, m, n, k, alpha, A, rsa, csa, B, rsb, beta, C, rsc)
        return
    with parallel(num_threads=n_threads):
        tid = threadid()
        nt = lamina_omp_get_num_threads()
        if tid == 0:
            record_team_size(nt)
        i0 = min(m, blocks * tid // nt * 8)
        i1 = min(m, blocks * (tid + 1) // nt * 8)
        if i1 > i0:
            _narrow_rows(i0, i1, n, k, alpha, A, rsa, csa, B, rsb, beta, C, rsc)


cdef int gemm_ex(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                 const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                 const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                 floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                 const floating *bias, Py_ssize_t bias_rs, Py_ssize_t bias_cs, int act,
                 int n_threads) noexcept nogil:
    cdef int isa = get_isa(), nt, tid, team
    cdef lamina_gemm_blocks_t bs
    cdef Py_ssize_t mc, q, kc_max, nc_max
    cdef bint column_split
    cdef floating *bufA
    cdef floating *bufB
    cdef double flops
    cdef bint direct_b
    cdef Py_ssize_t unit, extent, ng, j0, j1
    cdef Py_ssize_t step_a, step_b, step_c, step_bias
    cdef int r
    cdef bint k_split
    cdef floating *bufP = NULL
    cdef lamina_gemm_blocks_t bsk
    if m <= 0 or n <= 0:
        return 0
    if k <= 0 or alpha == 0:
        # BLAS semantics: alpha == 0 does not read A or B.
        record_team_size(1)
        _scale(m, n, beta, C, rsc, csc)
        _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
        return 0
    if csc != 1 and (rsc == 1 or fabs(<double> rsc) < fabs(<double> csc)):
        # The micro-kernels store rows of C contiguously: compute C^T = B^T A^T instead.
        return gemm_ex(n, m, k, alpha, B, csb, rsb, A, csa, rsa, beta, C, csc, rsc,
                       bias, bias_cs, bias_rs, act, n_threads)
    flops = <double> m * <double> n * <double> k
    if n == 1 and rsc == 1 and rsb == 1 and k >= 8:
        # A matrix-vector product: the GEMV kernel streams A once, where the packed path
        # would fill MR x NR tiles that are almost all padding.
        gemv_kernel(m, k, alpha, A, rsa, csa, B, beta, C, n_threads)
        _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
        return 0
    if m == 1 and csc == 1 and csa == 1 and k >= 8:
        # A row vector times a matrix: C^T = B^T A^T as a GEMV over B^T.
        gemv_kernel(n, k, alpha, B, csb, rsb, A, beta, C, n_threads)
        _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
        return 0
    if (isa == 2 and LAMINA_HAVE_GEMM_NARROW and csb == 1 and csc == 1 and m >= 8
            and k >= 8 and n * sizeof(floating) <= 64):
        # C at most one vector wide (a classifier's output layer): no packing at all.
        _gemm_narrow(m, n, k, alpha, A, rsa, csa, B, rsb, beta, C, rsc,
                     n_threads if flops >= NARROW_PARALLEL_MIN else 1)
        _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
        return 0
    if (flops < _small_flops and alpha == 1 and csb == 1 and csc == 1
            and k <= _blocks(isa, alpha).kc):
        if floating is double:
            r = lamina_dgemm_direct(isa, m, n, k, A, rsa, csa, B, rsb, beta, C, rsc)
        else:
            r = lamina_sgemm_direct(isa, m, n, k, A, rsa, csa, B, rsb, beta, C, rsc)
        if r == 0:
            record_team_size(1)
            _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
            return 0
    if flops < _small_flops and flops <= STRIP_FLOPS:
        record_team_size(1)
        if floating is double:
            lamina_dgemm_small(isa, m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc)
        else:
            lamina_sgemm_small(isa, m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc)
        _epilogue(m, n, C, rsc, csc, bias, bias_rs, bias_cs, act)
        return 0

    bs = _blocks(isa, alpha)
    nt = n_threads if n_threads > 1 else 1
    if flops < _parallel_min and m * n < PARALLEL_MIN_C:
        nt = 1
    # With k <= SMALL_K the product is the writing of C, and threads write their own rows
    # (whole cache lines) best: float32 128x10x512 (B = W^T) 14.3 -> 8.2 us by rows.
    column_split = nt > 1 and _ceil_div(n, bs.nr) >= 2 * nt and (
        m <= _column_split_rows
        or (_column_split_rows > 0 and n * sizeof(floating) >= COLUMN_SPLIT_BYTES)) and (
        k > SMALL_K or m < 2 * nt * bs.mr)
    k_split = (_k_split and nt == 2 and csb == 1 and csc == 1 and m <= _column_split_rows
               and _ceil_div(k, bs.kc) == 2
               and m * n * <Py_ssize_t> sizeof(floating) <= K_SPLIT_BYTES)
    if k_split:
        column_split = False
    if column_split or k_split:
        # All rows in one block per thread (at most MC rows, a multiple of MR): the same
        # row blocks as one thread, so every rounding is the serial one.
        mc = _ceil_div(_ceil_div(m, _ceil_div(m, bs.mc)), bs.mr) * bs.mr
    else:
        if nt > _ceil_div(m, bs.mr):
            nt = <int> _ceil_div(m, bs.mr)
        # Row blocks: a multiple of nt blocks of (nearly) equal size, each at most MC rows
        # and a multiple of MR, so the tile grid never depends on the thread count.
        q = _ceil_div(m, <Py_ssize_t> nt * bs.mc)
        mc = _ceil_div(_ceil_div(m, q * nt), bs.mr) * bs.mr
    kc_max = _ceil_div(k, _ceil_div(k, bs.kc))
    nc_max = _ceil_div(min(<Py_ssize_t> bs.nc, n), bs.nr) * bs.nr
    direct_b = csb == 1 and m <= _direct_b_rows and isa != 0     # 0: generic kernels
    # One packed B panel and one packed A block per thread: nothing packed is shared.
    bufB = <floating *> lamina_gemm_alloc(nt * kc_max * nc_max * sizeof(floating))
    bufA = <floating *> lamina_gemm_alloc(nt * mc * kc_max * sizeof(floating))
    if k_split:
        bufP = <floating *> lamina_gemm_alloc(m * n * sizeof(floating))
    if bufA == NULL or bufB == NULL or (k_split and bufP == NULL):
        lamina_gemm_free(bufA)
        lamina_gemm_free(bufB)
        lamina_gemm_free(bufP)
        return -1
    if nt == 1:
        record_team_size(1)
        _gemm_loops(isa, bs, mc, m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta,
                    C, rsc, csc, bias, bias_rs, bias_cs, act, bufA, bufB, direct_b)
    else:
        # Each thread runs the five loops on its own block of C with its own buffers:
        # whole MC-row blocks, or (column split) whole SIMD vectors of columns -- 512
        # float32 columns are 256 + 256 (5 panels of 48 and a narrow 16-column tile each),
        # not 240 + 272.  Nothing packed is shared: sharing the packed B panel cost a
        # barrier per block and half of it read from the other core, which on a 2-core
        # machine took longer than packing it (float32 128^3 153 -> 266, 256^3 284 -> 367,
        # 784x128x512 360 -> 378 GFLOP/s).  Every element of C gets the same roundings in
        # any tile (the micro-kernel contract), so the split changes no result.
        if k_split:
            # k blocks [0, kc_max) and [kc_max, k): the serial blocking (see _k_split)
            bsk = bs
            bsk.kc = <int> kc_max
            with parallel(num_threads=2):
                tid = threadid()
                team = lamina_omp_get_num_threads()
                if tid == 0:
                    record_team_size(team)
                if team < 2:
                    _gemm_loops(isa, bs, mc, m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta,
                                C, rsc, csc, bias, bias_rs, bias_cs, act, bufA, bufB,
                                direct_b)
                else:
                    if tid == 0:
                        _gemm_loops(isa, bsk, mc, m, n, kc_max, alpha, A, rsa, csa, B, rsb,
                                    csb, beta, C, rsc, 1, NULL, 0, 0, LAMINA_ACT_NONE,
                                    bufA, bufB, direct_b)
                    else:
                        _gemm_loops(isa, bsk, mc, m, n, k - kc_max, alpha,
                                    A + kc_max * csa, rsa, csa, B + kc_max * rsb, rsb, csb,
                                    0, bufP, n, 1, NULL, 0, 0, LAMINA_ACT_NONE,
                                    bufA + mc * kc_max, bufB + kc_max * nc_max, direct_b)
                    lamina_omp_barrier()
                    j0 = m * tid // 2
                    j1 = m * (tid + 1) // 2
                    _k_split_merge(j0, j1, n, bufP, C, rsc)
                    _epilogue(j1 - j0, n, C + j0 * rsc, rsc, 1,
                              NULL if bias == NULL else bias + j0 * bias_rs, bias_rs,
                              bias_cs, act)
        else:
            if column_split:
                unit, extent = _split_lanes(isa, bs.nr, alpha), n
                step_a, step_b, step_c, step_bias = 0, csb, csc, bias_cs
            else:
                unit, extent = mc, m
                step_a, step_b, step_c, step_bias = rsa, 0, rsc, bias_rs
            with parallel(num_threads=nt):
                tid = threadid()
                team = lamina_omp_get_num_threads()
                if tid == 0:
                    record_team_size(team)
                ng = _ceil_div(extent, unit)
                j0 = ng * tid // team * unit
                j1 = min(extent, ng * (tid + 1) // team * unit)
                if j1 > j0:
                    _gemm_loops(isa, bs, mc, m if column_split else j1 - j0,
                                j1 - j0 if column_split else n, k, alpha, A + j0 * step_a,
                                rsa, csa, B + j0 * step_b, rsb, csb, beta, C + j0 * step_c,
                                rsc, csc, NULL if bias == NULL else bias + j0 * step_bias,
                                bias_rs, bias_cs, act, bufA + tid * mc * kc_max,
                                bufB + tid * kc_max * nc_max, direct_b)
    lamina_gemm_free(bufA)
    lamina_gemm_free(bufB)
    lamina_gemm_free(bufP)
    return 0


cdef inline void _k_split_merge(Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t n,
                                const floating *P, floating *C,
                                Py_ssize_t rsc) noexcept nogil:
    """C[i, :] = P[i, :] + C[i, :] for rows i0 <= i < i1 (P is m x n, contiguous)."""
    cdef Py_ssize_t i, j
    cdef floating *cr
    cdef const floating *pr
    for i in range(i0, i1):
        cr = C + i * rsc
        pr = P + i * n
        for j in range(n):
            cr[j] = pr[j] + cr[j]


cdef int gemm_kernel(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                     const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                     floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                     int n_threads) noexcept nogil:
    return gemm_ex(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc,
                   NULL, 0, 0, LAMINA_ACT_NONE, n_threads)


# ---------------------------------------------------------------------------------------
# Triangular kernels.  Only the left-side lower/upper cases are coded; the right side is
# the transposed problem (X A = B  <=>  A^T X^T = B^T, and A^T is lower iff A is upper).

cdef void _scale_b(Py_ssize_t m, Py_ssize_t n, floating alpha, floating *B, Py_ssize_t rsb,
                   Py_ssize_t csb) noexcept nogil:
    if alpha != 1:
        _scale(m, n, alpha, B, rsb, csb)


cdef void _trsv_block(bint lower, bint unit_diag, Py_ssize_t ib, Py_ssize_t n,
                      const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                      floating *B, Py_ssize_t rsb, Py_ssize_t csb) noexcept nogil:
    """B[0:ib, :] := inv(A[0:ib, 0:ib]) B[0:ib, :] by row substitution (rows of B are
    updated as whole vectors, so the inner loop runs along n with stride csb)."""
    cdef Py_ssize_t i, p, j, ii
    cdef floating aip, d
    cdef floating *bi
    cdef const floating *bp
    for ii in range(ib):
        i = ii if lower else ib - 1 - ii
        bi = B + i * rsb
        if lower:
            for p in range(i):
                aip = A[i * rsa + p * csa]
                bp = B + p * rsb
                for j in range(n):
                    bi[j * csb] -= aip * bp[j * csb]
        else:
            for p in range(i + 1, ib):
                aip = A[i * rsa + p * csa]
                bp = B + p * rsb
                for j in range(n):
                    bi[j * csb] -= aip * bp[j * csb]
        if not unit_diag:
            d = A[i * rsa + i * csa]
            for j in range(n):
                bi[j * csb] = bi[j * csb] / d


cdef int trsm_kernel(bint left, bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                     floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     floating *B, Py_ssize_t rsb, Py_ssize_t csb,
                     int n_threads) noexcept nogil:
    cdef Py_ssize_t i0, ib, nb = _tri_block
    cdef int r
    if m <= 0 or n <= 0:
        return 0
    if not left:
        return trsm_kernel(True, not lower, unit_diag, n, m, alpha, A, csa, rsa, B, csb, rsb,
                           n_threads)
    _scale_b(m, n, alpha, B, rsb, csb)
    if alpha == 0:
        return 0
    if lower:
        # Forward, right-looking: solve a diagonal block, then subtract its contribution
        # from all rows below with one GEMM of rank ib.
        i0 = 0
        while i0 < m:
            ib = min(nb, m - i0)
            _trsv_block(True, unit_diag, ib, n, A + i0 * rsa + i0 * csa, rsa, csa,
                        B + i0 * rsb, rsb, csb)
            if i0 + ib < m:
                r = gemm_kernel(m - i0 - ib, n, ib, <floating> -1,
                                A + (i0 + ib) * rsa + i0 * csa, rsa, csa,
                                B + i0 * rsb, rsb, csb, <floating> 1,
                                B + (i0 + ib) * rsb, rsb, csb, n_threads)
                if r != 0:
                    return r
            i0 += ib
    else:
        i0 = ((m - 1) // nb) * nb
        while i0 >= 0:
            ib = min(nb, m - i0)
            _trsv_block(False, unit_diag, ib, n, A + i0 * rsa + i0 * csa, rsa, csa,
                        B + i0 * rsb, rsb, csb)
            if i0 > 0:
                r = gemm_kernel(i0, n, ib, <floating> -1, A + i0 * csa, rsa, csa,
                                B + i0 * rsb, rsb, csb, <floating> 1, B, rsb, csb, n_threads)
                if r != 0:
                    return r
            i0 -= nb
    return 0


cdef void _trmv_block(bint lower, bint unit_diag, Py_ssize_t ib, Py_ssize_t n,
                      floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                      floating *B, Py_ssize_t rsb, Py_ssize_t csb) noexcept nogil:
    """B[0:ib, :] := alpha * A[0:ib, 0:ib] B[0:ib, :] in place (lower: rows from the bottom,
    upper: from the top, so every row reads rows not yet overwritten)."""
    cdef Py_ssize_t i, p, j, ii
    cdef floating aip, d
    cdef floating *bi
    cdef const floating *bp
    for ii in range(ib):
        i = ib - 1 - ii if lower else ii
        bi = B + i * rsb
        d = 1 if unit_diag else A[i * rsa + i * csa]
        for j in range(n):
            bi[j * csb] = d * bi[j * csb]
        if lower:
            for p in range(i):
                aip = A[i * rsa + p * csa]
                bp = B + p * rsb
                for j in range(n):
                    bi[j * csb] += aip * bp[j * csb]
        else:
            for p in range(i + 1, ib):
                aip = A[i * rsa + p * csa]
                bp = B + p * rsb
                for j in range(n):
                    bi[j * csb] += aip * bp[j * csb]
        if alpha != 1:
            for j in range(n):
                bi[j * csb] = alpha * bi[j * csb]


cdef int trmm_kernel(bint left, bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                     floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     floating *B, Py_ssize_t rsb, Py_ssize_t csb,
                     int n_threads) noexcept nogil:
    cdef Py_ssize_t i0, ib, nb = _tri_block
    cdef int r
    if m <= 0 or n <= 0:
        return 0
    if not left:
        return trmm_kernel(True, not lower, unit_diag, n, m, alpha, A, csa, rsa, B, csb, rsb,
                           n_threads)
    if alpha == 0:
        _scale(m, n, alpha, B, rsb, csb)
        return 0
    if lower:
        # Bottom block first: its rows need the (still original) rows above it.
        i0 = ((m - 1) // nb) * nb
        while i0 >= 0:
            ib = min(nb, m - i0)
            _trmv_block(True, unit_diag, ib, n, alpha, A + i0 * rsa + i0 * csa, rsa, csa,
                        B + i0 * rsb, rsb, csb)
            if i0 > 0:
                r = gemm_kernel(ib, n, i0, alpha, A + i0 * rsa, rsa, csa, B, rsb, csb,
                                <floating> 1, B + i0 * rsb, rsb, csb, n_threads)
                if r != 0:
                    return r
            i0 -= nb
    else:
        i0 = 0
        while i0 < m:
            ib = min(nb, m - i0)
            _trmv_block(False, unit_diag, ib, n, alpha, A + i0 * rsa + i0 * csa, rsa, csa,
                        B + i0 * rsb, rsb, csb)
            if i0 + ib < m:
                r = gemm_kernel(ib, n, m - i0 - ib, alpha, A + i0 * rsa + (i0 + ib) * csa,
                                rsa, csa, B + (i0 + ib) * rsb, rsb, csb, <floating> 1,
                                B + i0 * rsb, rsb, csb, n_threads)
                if r != 0:
                    return r
            i0 += ib
    return 0


cdef int syrk_kernel(bint lower, Py_ssize_t n, Py_ssize_t k, floating alpha,
                     const floating *A, Py_ssize_t rsa, Py_ssize_t csa, floating beta,
                     floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                     int n_threads) noexcept nogil:
    cdef Py_ssize_t i0, ib, i, j, j0, j1, nb = _tri_block
    cdef floating *tmp
    cdef floating *cp
    cdef int r = 0
    if n <= 0:
        return 0
    if k <= 0 or alpha == 0:
        for i in range(n):
            j0 = 0 if lower else i
            j1 = i + 1 if lower else n
            _scale(1, j1 - j0, beta, C + i * rsc + j0 * csc, rsc, csc)
        return 0
    tmp = <floating *> lamina_gemm_alloc(nb * nb * sizeof(floating))
    if tmp == NULL:
        return -1
    i0 = 0
    while i0 < n:
        ib = min(nb, n - i0)
        # Off-diagonal block row: a plain GEMM with B = A^T (strides swapped).
        if lower and i0 > 0:
            r = gemm_kernel(ib, i0, k, alpha, A + i0 * rsa, rsa, csa, A, csa, rsa, beta,
                            C + i0 * rsc, rsc, csc, n_threads)
        elif not lower and i0 + ib < n:
            r = gemm_kernel(ib, n - i0 - ib, k, alpha, A + i0 * rsa, rsa, csa,
                            A + (i0 + ib) * rsa, csa, rsa, beta,
                            C + i0 * rsc + (i0 + ib) * csc, rsc, csc, n_threads)
        if r != 0:
            break
        # Diagonal block: full square into a buffer, then merge one triangle.
        r = gemm_kernel(ib, ib, k, alpha, A + i0 * rsa, rsa, csa, A + i0 * rsa, csa, rsa,
                        <floating> 0, tmp, ib, 1, n_threads)
        if r != 0:
            break
        for i in range(ib):
            j0 = 0 if lower else i
            j1 = i + 1 if lower else ib
            cp = C + (i0 + i) * rsc + i0 * csc
            for j in range(j0, j1):
                if beta == 0:
                    cp[j * csc] = tmp[i * ib + j]
                else:
                    cp[j * csc] = tmp[i * ib + j] + beta * cp[j * csc]
        i0 += ib
    lamina_gemm_free(tmp)
    return r


# ---------------------------------------------------------------------------------------
# Python-facing wrappers (typed memoryviews; the public API lives in lamina.blas._level3).

cdef inline Py_ssize_t _st(Py_ssize_t nbytes, floating dummy) noexcept nogil:
    return nbytes // <Py_ssize_t> sizeof(floating)


cdef int _call_gemm(str name, floating alpha, const floating[:, :] a, const floating[:, :] b,
                    floating beta, floating[:, :] c, const floating *aux, Py_ssize_t aux_rs,
                    Py_ssize_t aux_cs, int act, int n_threads) except -1:
    """The checked call behind the Python-facing products: shapes, then gemm_ex."""
    cdef Py_ssize_t m = c.shape[0], n = c.shape[1], k = a.shape[1]
    cdef const floating *ap = NULL
    cdef const floating *bbp = NULL
    cdef int r
    if a.shape[0] != m or b.shape[0] != k or b.shape[1] != n:
        raise ValueError(f"{name}: inconsistent shapes")
    if m == 0 or n == 0:
        return 0
    if k > 0:
        ap = &a[0, 0]
        bbp = &b[0, 0]
    with nogil:
        r = gemm_ex(m, n, k, alpha, ap, _st(a.strides[0], alpha), _st(a.strides[1], alpha),
                    bbp, _st(b.strides[0], alpha), _st(b.strides[1], alpha), beta,
                    &c[0, 0], _st(c.strides[0], alpha), _st(c.strides[1], alpha),
                    aux, aux_rs, aux_cs, act, n_threads)
    if r != 0:
        raise MemoryError(f"{name}: cannot allocate the packing buffers")
    return 0


def gemm(double alpha, const floating[:, :] a, const floating[:, :] b, double beta,
         floating[:, :] c, const floating[::1] bias=None, int activation=0, int n_threads=1):
    """In place: c = act(alpha * a @ b + beta * c + bias) (beta == 0 ignores c)."""
    cdef const floating *bp = NULL
    if activation < LAMINA_ACT_NONE or activation > LAMINA_ACT_TANH:
        raise ValueError(f"gemm: unknown activation code {activation}")
    if bias is not None:
        if bias.shape[0] != c.shape[1]:
            raise ValueError("gemm: bias must have length n")
        if bias.shape[0] > 0:
            bp = &bias[0]
    _call_gemm("gemm", <floating> alpha, a, b, <floating> beta, c, bp, 0, 1, activation,
               n_threads)


def gemm_relu_mask(const floating[:, :] a, const floating[:, :] b, const floating[:, :] y,
                   floating[:, :] c, int n_threads=1):
    """In place: c = (a @ b) * (y > 0), the product masked while each tile is in cache.

    The backward pass of a ReLU layer fused into the product that yields its output
    gradient (``y`` is the ReLU's output; NaN in ``y`` gives 0).  Every element gets
    exactly the roundings of ``gemm`` followed by the elementwise mask.
    """
    cdef floating one = 1
    cdef const floating *yp = NULL
    if y.shape[0] != c.shape[0] or y.shape[1] != c.shape[1]:
        raise ValueError(f"gemm_relu_mask: y has shape ({y.shape[0]}, {y.shape[1]}), "
                         f"expected ({c.shape[0]}, {c.shape[1]})")
    if y.shape[0] > 0 and y.shape[1] > 0:
        yp = &y[0, 0]
        if _views_overlap(yp, y.shape[0], y.shape[1], y.strides[0], y.strides[1],
                          &c[0, 0], c.shape[0], c.shape[1], c.strides[0], c.strides[1],
                          sizeof(floating)):
            raise ValueError("gemm_relu_mask: c must not overlap y (the mask is read "
                             "after the product is written)")
    _call_gemm("gemm_relu_mask", one, a, b, <floating> 0, c, yp,
               _st(y.strides[0], one), _st(y.strides[1], one), LAMINA_ACT_RELU_MASK,
               n_threads)


cdef bint _views_overlap(const void *p, Py_ssize_t m, Py_ssize_t n, Py_ssize_t rs,
                         Py_ssize_t cs, const void *q, Py_ssize_t m2, Py_ssize_t n2,
                         Py_ssize_t rs2, Py_ssize_t cs2, Py_ssize_t item) noexcept:
    """Whether the byte ranges spanned by two non-empty 2-D views (strides in bytes)
    intersect (a conservative test: interleaved views count as overlapping)."""
    cdef uintptr_t lo1, hi1, lo2, hi2
    _span(<uintptr_t> p, m, n, rs, cs, item, &lo1, &hi1)
    _span(<uintptr_t> q, m2, n2, rs2, cs2, item, &lo2, &hi2)
    return not (hi1 <= lo2 or hi2 <= lo1)


cdef inline void _span(uintptr_t base, Py_ssize_t m, Py_ssize_t n, Py_ssize_t rs,
                       Py_ssize_t cs, Py_ssize_t item, uintptr_t *lo,
                       uintptr_t *hi) noexcept:
    """The address range [lo, hi) of a non-empty m x n view at byte strides rs, cs."""
    cdef Py_ssize_t first = 0, last = item
    if rs < 0:
        first += (m - 1) * rs
    else:
        last += (m - 1) * rs
    if cs < 0:
        first += (n - 1) * cs
    else:
        last += (n - 1) * cs
    lo[0] = base + first
    hi[0] = base + last


cdef inline int _dtype_code(Py_buffer *v) noexcept:
    """8 for a native float64 buffer, 4 for float32, 0 otherwise."""
    cdef const char *f = v.format
    if f == NULL or f[0] == 0 or f[1] != 0:
        return 0
    if f[0] == b'd' and v.itemsize == 8:
        return 8
    if f[0] == b'f' and v.itemsize == 4:
        return 4
    return 0


cdef inline bint _unit_strides(Py_buffer *v) noexcept:
    return v.strides[0] % v.itemsize == 0 and v.strides[1] % v.itemsize == 0


cdef inline bint _disjoint(Py_buffer *x, Py_buffer *y) noexcept:
    return not _views_overlap(x.buf, x.shape[0], x.shape[1], x.strides[0], x.strides[1],
                              y.buf, y.shape[0], y.shape[1], y.strides[0], y.strides[1],
                              x.itemsize)


cdef inline int _plain_product(floating *C, const Py_buffer *va, const Py_buffer *vb,
                               int n_threads) noexcept nogil:
    """C = a @ b for checked 2-D buffers of C's dtype (C contiguous, a.shape[0] x
    b.shape[1])."""
    cdef Py_ssize_t s = sizeof(floating), n = vb.shape[1]
    return gemm_ex(va.shape[0], n, va.shape[1], <floating> 1, <const floating *> va.buf,
                   va.strides[0] // s, va.strides[1] // s, <const floating *> vb.buf,
                   vb.strides[0] // s, vb.strides[1] // s, <floating> 0, C, n, 1, NULL, 0,
                   1, LAMINA_ACT_NONE, n_threads)


cdef bint _get_buffer(obj, Py_buffer *view, int flags):
    """Fill `view`; False (and nothing to release) when `obj` cannot export one."""
    try:
        PyObject_GetBuffer(obj, view, flags)
    except (BufferError, TypeError, ValueError):
        return False
    return True


def matmul_plain(a, b, out, int n_threads):
    """out = a @ b for two 2-D float64 or float32 buffers of one dtype whose strides are
    whole elements, with a result of at least 2 x 2 (`out` None, or a C-contiguous buffer
    of the result's shape and dtype that overlaps neither input).  Returns the result, or
    None for anything else: the general path then handles it, errors included.  This is
    lamina.matmul's fast path; reading the buffers directly costs ~0.3 us where typed
    memoryviews and NumPy attribute checks cost ~1.5 us (a 64^3 float32 product takes
    ~3 us)."""
    cdef Py_buffer va, vb, vc
    cdef int code, r = 0
    cdef Py_ssize_t m, k, n
    if not _get_buffer(a, &va, PyBUF_RECORDS_RO):
        return None
    try:
        if not _get_buffer(b, &vb, PyBUF_RECORDS_RO):
            return None
        try:
            code = _dtype_code(&va)
            if (va.ndim != 2 or vb.ndim != 2 or code == 0 or _dtype_code(&vb) != code
                    or not _unit_strides(&va) or not _unit_strides(&vb)):
                return None
            m, k, n = va.shape[0], va.shape[1], vb.shape[1]
            if vb.shape[0] != k or m < 2 or n < 2:
                return None
            if out is None:
                out = np.empty((m, n), np.float64 if code == 8 else np.float32)
            if not _get_buffer(out, &vc, PyBUF_RECORDS):
                return None
            try:
                if (vc.ndim != 2 or _dtype_code(&vc) != code or vc.shape[0] != m
                        or vc.shape[1] != n or vc.strides[1] != code
                        or vc.strides[0] != n * code
                        or not _disjoint(&vc, &va) or not _disjoint(&vc, &vb)):
                    return None
                with nogil:
                    if code == 8:
                        r = _plain_product(<double *> vc.buf, &va, &vb, n_threads)
                    else:
                        r = _plain_product(<float *> vc.buf, &va, &vb, n_threads)
            finally:
                PyBuffer_Release(&vc)
        finally:
            PyBuffer_Release(&vb)
    finally:
        PyBuffer_Release(&va)
    if r != 0:
        raise MemoryError("matmul: cannot allocate the packing buffers")
    return out


def trsm(bint left, bint lower, bint unit_diag, double alpha, const floating[:, :] a,
         floating[:, :] b, int n_threads=1):
    """In place: b = alpha * inv(a) @ b (left) or alpha * b @ inv(a); a triangular."""
    cdef floating al = <floating> alpha
    cdef int r
    if b.shape[0] == 0 or b.shape[1] == 0:
        return
    with nogil:
        r = trsm_kernel(left, lower, unit_diag, b.shape[0], b.shape[1], al, &a[0, 0],
                        _st(a.strides[0], al), _st(a.strides[1], al), &b[0, 0],
                        _st(b.strides[0], al), _st(b.strides[1], al), n_threads)
    if r != 0:
        raise MemoryError("trsm: cannot allocate the packing buffers")


def trmm(bint left, bint lower, bint unit_diag, double alpha, const floating[:, :] a,
         floating[:, :] b, int n_threads=1):
    """In place: b = alpha * a @ b (left) or alpha * b @ a; a triangular."""
    cdef floating al = <floating> alpha
    cdef int r
    if b.shape[0] == 0 or b.shape[1] == 0:
        return
    with nogil:
        r = trmm_kernel(left, lower, unit_diag, b.shape[0], b.shape[1], al, &a[0, 0],
                        _st(a.strides[0], al), _st(a.strides[1], al), &b[0, 0],
                        _st(b.strides[0], al), _st(b.strides[1], al), n_threads)
    if r != 0:
        raise MemoryError("trmm: cannot allocate the packing buffers")


def syrk(bint lower, double alpha, const floating[:, :] a, double beta, floating[:, :] c,
         int n_threads=1):
    """In place: one triangle of c = alpha * a @ a.T + beta * c."""
    cdef floating al = <floating> alpha
    cdef const floating *ap = NULL
    cdef int r
    if c.shape[0] == 0:
        return
    if a.shape[1] > 0:
        ap = &a[0, 0]
    with nogil:
        r = syrk_kernel(lower, c.shape[0], a.shape[1], al, ap, _st(a.strides[0], al),
                        _st(a.strides[1], al), <floating> beta, &c[0, 0],
                        _st(c.strides[0], al), _st(c.strides[1], al), n_threads)
    if r != 0:
        raise MemoryError("syrk: cannot allocate the packing buffers")


# ---------------------------------------------------------------------------------------
# Introspection, test hooks and the peak measurement.

def _dtype_name(dtype):
    return np.dtype(dtype).name


def block_sizes(isa, dtype):
    """The block-size table row of (ISA id, 'float32'|'float64') as a dict."""
    cdef lamina_gemm_blocks_t bs = lamina_gemm_blocks(1 if _dtype_name(dtype) == "float32" else 0,
                                                      int(isa))
    return {"mr": bs.mr, "nr": bs.nr, "mc": bs.mc, "kc": bs.kc, "nc": bs.nc}


def set_block_sizes(isa, dtype, int mc, int kc, int nc):
    """Retune MC, KC, NC of one (ISA id, dtype) row of the table; returns the previous row.
    For block-size experiments with ``lamina bench gemm``; results never depend on it
    beyond rounding order along k (KC)."""
    old = block_sizes(isa, dtype)
    if lamina_gemm_set_blocks(1 if _dtype_name(dtype) == "float32" else 0, int(isa), mc, kc, nc):
        raise ValueError("mc must be a multiple of MR, nc a multiple of NR, kc >= 1")
    return old


def set_small_flops(double limit):
    """Set the m*n*k threshold of the no-packing path; returns the previous one (tests)."""
    global _small_flops
    old = _small_flops
    _small_flops = limit
    return old


def set_direct_b_rows(Py_ssize_t rows):
    """Set the row count up to which a row-major B is read without packing; returns the
    previous one (tests and block-size experiments)."""
    global _direct_b_rows
    old = _direct_b_rows
    _direct_b_rows = rows
    return old


def set_k_split(bint enabled):
    """Allow or forbid the two-thread k split (see _k_split); returns the previous setting
    (tests and experiments)."""
    global _k_split
    old = _k_split
    _k_split = enabled
    return old


def set_column_split_rows(Py_ssize_t rows):
    """Set the row count up to which threads split the columns of C; returns the previous
    one (tests and experiments; 0 turns the column split off)."""
    global _column_split_rows
    old = _column_split_rows
    _column_split_rows = rows
    return old


def set_tri_block(Py_ssize_t nb):
    """Set the diagonal block size of TRSM/TRMM/SYRK; returns the previous one (tests)."""
    global _tri_block
    if nb < 1:
        raise ValueError("block size must be >= 1")
    old = _tri_block
    _tri_block = nb
    return old


def ukr(int isa, Py_ssize_t k, const floating[::1] a, const floating[::1] b,
        floating[:, ::1] c, double beta):
    """Run the micro-kernel of `isa` on packed panels (a: k*MR, b: k*NR, 64-byte aligned;
    c: MR x NR).  Test hook for comparing each kernel with ukr_ref."""
    cdef floating be = <floating> beta
    cdef lamina_gemm_blocks_t bs = _blocks(isa, be)
    if (a.shape[0] < k * bs.mr or b.shape[0] < k * bs.nr or c.shape[0] != bs.mr
            or c.shape[1] != bs.nr):
        raise ValueError("ukr: panel sizes do not match the ISA's MR x NR")
    if k > 0 and ((<uintptr_t> &a[0]) % 64 != 0 or (<uintptr_t> &b[0]) % 64 != 0):
        raise ValueError("ukr: packed panels must be 64-byte aligned")
    if floating is double:
        lamina_dukr(isa, k, &a[0] if k > 0 else NULL, &b[0] if k > 0 else NULL, &c[0, 0],
                    c.shape[1], be)
    else:
        lamina_sukr(isa, k, &a[0] if k > 0 else NULL, &b[0] if k > 0 else NULL, &c[0, 0],
                    c.shape[1], be)


def ukr_ref(Py_ssize_t k, int mr, int nr, const floating[::1] a, const floating[::1] b,
            floating[:, ::1] c, double beta):
    """Plain-loop twin of every micro-kernel (same contract, any MR x NR)."""
    cdef floating be = <floating> beta
    if a.shape[0] < k * mr or b.shape[0] < k * nr or c.shape[0] != mr or c.shape[1] != nr:
        raise ValueError("ukr_ref: panel sizes do not match MR x NR")
    if floating is double:
        lamina_dukr_ref(k, mr, nr, &a[0] if k > 0 else NULL, &b[0] if k > 0 else NULL,
                        &c[0, 0], nr, be)
    else:
        lamina_sukr_ref(k, mr, nr, &a[0] if k > 0 else NULL, &b[0] if k > 0 else NULL,
                        &c[0, 0], nr, be)


def gemm_ref(double alpha_, const floating[:, :] a, const floating[:, :] b, double beta_,
             floating[:, :] c):
    """Reference twin of gemm (triple loop, k-ordered sums): c = alpha*a@b + beta*c."""
    cdef Py_ssize_t i, j, p
    cdef floating s, alpha = <floating> alpha_, beta = <floating> beta_
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            s = 0
            for p in range(a.shape[1]):
                s = s + a[i, p] * b[p, j]
            c[i, j] = alpha * s if beta == 0 else alpha * s + beta * c[i, j]


def fma_peak(int isa, bint is_float, long iters):
    """Run the register-only FMA loop of `isa` (GIL released); returns its flop count."""
    cdef double flops = 0
    with nogil:
        lamina_fma_peak(isa, is_float, iters, &flops)
    return flops
