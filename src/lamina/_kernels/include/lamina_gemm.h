/*
 * lamina_gemm.h -- the C half of lamina's level-3 BLAS: the per-ISA block-size table,
 * packing of A and B into micro-panels, the micro-kernel dispatch with edge handling,
 * the fused epilogue (bias + activation) and the no-packing path for small problems.
 * The five loops around these pieces (Goto & van de Geijn 2008; Van Zee & van de Geijn,
 * "BLIS", 2015) live in _gemm.pyx.
 *
 * Packed layouts (64-byte aligned, zero-padded):
 *   A block (mc x kc): ceil(mc/MR) column micro-panels; panel r holds
 *       alpha * A[r*MR + i, p] at [r*MR*kc + p*MR + i], rows past mc are 0.
 *   B panel (kc x nc): ceil(nc/NR) row micro-panels; panel s holds
 *       B[p, s*NR + j] at [s*NR*kc + p*NR + j], columns past nc are 0.
 * Packing reads the inputs through their element strides, so transposes and views cost
 * nothing extra and the inputs are never copied as a whole.
 *
 * Numerical guarantee: each C element is alpha-scaled A times B accumulated in k order by
 * FMAs in blocks of KC, then (acc + beta*c); |error| <= k*eps*(|alpha||A||B|)_ij + O(eps^2)
 * elementwise (Higham, Accuracy and Stability, 3.5).  The k loop is never split across
 * threads, so results are bitwise identical for every thread count.
 */
#ifndef LAMINA_GEMM_H
#define LAMINA_GEMM_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "lamina_cpu.h"
#include "lamina_omp.h"
#include "ukr_generic.h"
#include "ukr_avx2_d6x8.h"
#include "ukr_avx2_s6x16.h"
#include "ukr_avx512_d8x24.h"
#include "ukr_avx512_s8x48.h"
#include "lamina_pack_x86.h"

/* ---- block sizes: one row per (dtype, ISA) ------------------------------------------
 * MR x NR: the register tile of the micro-kernel.  KC: depth of a rank-KC update (the
 * packed A block MC x KC stays in L2, a B micro-panel KC x NR streams from L1/L2).
 * MC: rows of A per packed block (a multiple of MR).  NC: columns of the packed B
 * panel (a multiple of NR; KC x NC lives in L3).  Measured on the development machine
 * (Xeon, 2 MiB L2/core) with `lamina bench gemm`; KC from 256 to 512 measured within
 * noise there, and the AVX-512 rows take 400 so that k = 784 (an MNIST layer) is two
 * blocks of 392, which the two-thread k split needs (_gemm.pyx, _k_split).            */
typedef struct { int mr, nr, mc, kc, nc; } lamina_gemm_blocks_t;

static lamina_gemm_blocks_t lamina_gemm_block_table[2][LAMINA_ISA_COUNT] = {
    /* float64:  generic               avx2                    avx512                 */
    { {4, 4, 128, 256, 1024}, {6, 8, 144, 256, 4080}, {8, 24, 192, 400, 4032} },
    /* float32 */
    { {4, 8, 128, 256, 1024}, {6, 16, 144, 384, 4080}, {8, 48, 192, 400, 4032} },
};

#define LAMINA_GEMM_MAX_TILE (8 * 48)

static inline lamina_gemm_blocks_t lamina_gemm_blocks(int is_float, int isa)
{
    if (isa < 0 || isa >= LAMINA_ISA_COUNT) isa = LAMINA_ISA_GENERIC;
#if !LAMINA_X86
    isa = LAMINA_ISA_GENERIC;
#endif
    return lamina_gemm_block_table[is_float ? 1 : 0][isa];
}

/* Retune MC, KC, NC of one row (benchmarks only; MR and NR belong to the kernels).
 * Returns 0, or -1 if the values break the table's invariants. */
static inline int lamina_gemm_set_blocks(int is_float, int isa, int mc, int kc, int nc)
{
    lamina_gemm_blocks_t *b;
    if (isa < 0 || isa >= LAMINA_ISA_COUNT) return -1;
    b = &lamina_gemm_block_table[is_float ? 1 : 0][isa];
    if (mc < b->mr || mc % b->mr || kc < 1 || nc < b->nr || nc % b->nr) return -1;
    b->mc = mc;
    b->kc = kc;
    b->nc = nc;
    return 0;
}

/* 64-byte aligned buffers for the packed panels; NULL when memory is exhausted. */
static inline void *lamina_gemm_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64) != 0) return NULL;
    return p;
}

static inline void lamina_gemm_free(void *p) { free(p); }


/* Prefetch (for writing) `rows` rows of `row_bytes` bytes, `row_stride` bytes apart: the
 * next C tile.  With small k the micro-kernel is too short to hide a miss on C by itself. */
static inline void lamina_gemm_prefetch_tile(const void *c, ptrdiff_t row_stride,
                                             ptrdiff_t rows, size_t row_bytes)
{
    ptrdiff_t i;
    size_t off;
    for (i = 0; i < rows; ++i) {
        const char *row = (const char *)c + i * row_stride;
        for (off = 0; off < row_bytes; off += 64) __builtin_prefetch(row + off, 1, 3);
        __builtin_prefetch(row + row_bytes - 1, 1, 3);
    }
}

/* Activation codes shared with _gemm.pyx and the Python layer. */
#define LAMINA_ACT_NONE 0
#define LAMINA_ACT_RELU 1
#define LAMINA_ACT_GELU 2
#define LAMINA_ACT_SIGMOID 3
#define LAMINA_ACT_TANH 4
/* Not an activation: the backward pass of a ReLU fused into the product that yields its
 * output gradient, C[i,j] = Y[i,j] > 0 ? C[i,j] : 0, with the matrix Y (the ReLU's
 * output) passed in place of the bias at strides (bias_rs, bias_cs); nothing is added. */
#define LAMINA_ACT_RELU_MASK 5

#define LT double
#define LP d
#define LMATH(f) f
#define LG_IS_FLOAT 0
#include "lamina_gemm_impl.h"
#undef LT
#undef LP
#undef LMATH
#undef LG_IS_FLOAT

#define LT float
#define LP s
#define LMATH(name) name##f
#define LG_IS_FLOAT 1
#include "lamina_gemm_impl.h"
#undef LT
#undef LP
#undef LMATH
#undef LG_IS_FLOAT

#endif /* LAMINA_GEMM_H */
