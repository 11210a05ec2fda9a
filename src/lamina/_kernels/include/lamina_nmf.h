/*
 * lamina_nmf.h -- the two products of an NMF iteration on a block of rows of X and the
 * per-row half-steps of its Frobenius solvers, float32 and float64, every ISA.
 *
 * For a block of `rows` rows of X (row-major, row stride ldx, m columns), with the
 * factors held in row-major buffers whose rows are padded with zeros to kp columns
 * (kp a multiple of 64 bytes' worth of elements):
 *   lamina_nmf_xh_*   c[i, :] (+)= sum_p x[i, p] hp[p, :]    (the block of X H^T; adds
 *                     to c when `accumulate`)
 *   lamina_nmf_xtw_*  out[j, :] += sum_r x[r, j] w[r, :]      (adds the block's X^T W)
 *                     and prefetches the region `next` (the caller's next block of X,
 *                     or NULL) towards L2, one line per step of its compute loop
 * Algorithm: register-tiled outer products (MR rows x NV vectors of accumulators, one
 * broadcast of an element of x per MR*NV fused multiply-adds) reading x in place: with
 * k = n_components small, packing x (what a general GEMM does) would cost as much memory
 * traffic as the product itself.  The caller runs both on the same block of rows, so the
 * block is read from memory once and from cache the second time: one pass over X per
 * NMF iteration instead of two.  Cost 2 * rows * m * kp flops each.
 * Order of summation: every output element is a sequential sum in index order (p, or r;
 * the SIMD kernels round once per fused multiply-add), so the result does not depend on
 * tiling or on the caller's thread count.
 */
#ifndef LAMINA_NMF_H
#define LAMINA_NMF_H

#include <stddef.h>
#include "lamina_cpu.h"

/* A region of X to bring towards L2 while a compute-bound kernel runs: `rows` segments
 * of `row_bytes` bytes, `stride` bytes apart, one cache line per call of
 * lamina_nmf_prefetch_step (the next block of rows, or the next panel of columns). */
typedef struct {
    const char *p;          /* next line */
    const char *row_end;    /* end of the current segment */
    ptrdiff_t rows_left;    /* segments left, the current one included */
    ptrdiff_t row_bytes;
    ptrdiff_t stride;
} lamina_nmf_prefetch;

static inline lamina_nmf_prefetch lamina_nmf_prefetch_region(const void *start,
    ptrdiff_t rows, ptrdiff_t row_bytes, ptrdiff_t stride)
{
    lamina_nmf_prefetch s;
    s.p = (const char *)start;
    s.row_end = s.p + (rows > 0 ? row_bytes : 0);
    s.rows_left = rows;
    s.row_bytes = row_bytes;
    s.stride = stride;
    return s;
}

static inline __attribute__((always_inline)) void lamina_nmf_prefetch_step(
    lamina_nmf_prefetch *s)
{
    if (s->p >= s->row_end) {
        if (s->rows_left <= 1) return;
        s->rows_left -= 1;
        s->p = s->row_end - s->row_bytes + s->stride;
        s->row_end = s->p + s->row_bytes;
    }
    __builtin_prefetch(s->p, 0, 2);
    s->p += 64;
}

/* ---- plain C (any ISA; the reference twin) ---- */
#define LAMINA_NMF_GENERIC(P, T)                                                        \
static void lamina_nmf_xh_##P##_generic(ptrdiff_t rows, ptrdiff_t m, const T *x,        \
    ptrdiff_t ldx, const T *hp, ptrdiff_t kp, T *c, int accumulate)                     \
{                                                                                       \
    ptrdiff_t i, p, t;                                                                  \
    for (i = 0; i < rows; ++i) {                                                        \
        T *ci = c + i * kp;                                                             \
        if (!accumulate)                                                                \
            for (t = 0; t < kp; ++t) ci[t] = 0;                                         \
        for (p = 0; p < m; ++p) {                                                       \
            const T a = x[i * ldx + p];                                                 \
            const T *hr = hp + p * kp;                                                  \
            for (t = 0; t < kp; ++t) ci[t] += a * hr[t];                                \
        }                                                                               \
    }                                                                                   \
}                                                                                       \
static void lamina_nmf_xtw_##P##_generic(ptrdiff_t rows, ptrdiff_t m, const T *x,       \
    ptrdiff_t ldx, const T *w, ptrdiff_t kp, T *out, const lamina_nmf_prefetch *next)   \
{                                                                                       \
    ptrdiff_t r, j, t;                                                                  \
    (void)next;                                                                         \
    for (r = 0; r < rows; ++r) {                                                        \
        const T *wr = w + r * kp;                                                       \
        for (j = 0; j < m; ++j) {                                                       \
            const T a = x[r * ldx + j];                                                 \
            T *oj = out + j * kp;                                                       \
            for (t = 0; t < kp; ++t) oj[t] += a * wr[t];                                \
        }                                                                               \
    }                                                                                   \
}
LAMINA_NMF_GENERIC(d, double)
LAMINA_NMF_GENERIC(s, float)
#undef LAMINA_NMF_GENERIC

#if LAMINA_X86
#include <immintrin.h>

/* AVX-512: 8 rows x 3 vectors = 24 zmm accumulators (3 loads, 8 broadcasts, 24 FMAs per
 * step). */
#define NMF_MR 8
#define NMF_NV 3
#define NMF_ATTR LAMINA_TARGET_AVX512
#define NMF_NAME lamina_nmf_d_avx512
#define NMF_T double
#define NMF_V __m512d
#define NMF_L 8
#define NMF_SET1 _mm512_set1_pd
#define NMF_ZERO _mm512_setzero_pd()
#define NMF_LOADU _mm512_loadu_pd
#define NMF_STOREU _mm512_storeu_pd
#define NMF_FMA _mm512_fmadd_pd
#include "lamina_nmf_impl.h"   /* undefines the per-dtype macros */
#define NMF_NAME lamina_nmf_s_avx512
#define NMF_T float
#define NMF_V __m512
#define NMF_L 16
#define NMF_SET1 _mm512_set1_ps
#define NMF_ZERO _mm512_setzero_ps()
#define NMF_LOADU _mm512_loadu_ps
#define NMF_STOREU _mm512_storeu_ps
#define NMF_FMA _mm512_fmadd_ps
#include "lamina_nmf_impl.h"   /* undefines the per-dtype macros */
#undef NMF_MR
#undef NMF_NV
#undef NMF_ATTR

/* AVX2: 4 rows x 3 vectors = 12 ymm accumulators (16 registers in all). */
#define NMF_MR 4
#define NMF_NV 3
#define NMF_ATTR LAMINA_TARGET_AVX2
#define NMF_NAME lamina_nmf_d_avx2
#define NMF_T double
#define NMF_V __m256d
#define NMF_L 4
#define NMF_SET1 _mm256_set1_pd
#define NMF_ZERO _mm256_setzero_pd()
#define NMF_LOADU _mm256_loadu_pd
#define NMF_STOREU _mm256_storeu_pd
#define NMF_FMA _mm256_fmadd_pd
#include "lamina_nmf_impl.h"   /* undefines the per-dtype macros */
#define NMF_NAME lamina_nmf_s_avx2
#define NMF_T float
#define NMF_V __m256
#define NMF_L 8
#define NMF_SET1 _mm256_set1_ps
#define NMF_ZERO _mm256_setzero_ps()
#define NMF_LOADU _mm256_loadu_ps
#define NMF_STOREU _mm256_storeu_ps
#define NMF_FMA _mm256_fmadd_ps
#include "lamina_nmf_impl.h"   /* undefines the per-dtype macros */
#undef NMF_MR
#undef NMF_NV
#undef NMF_ATTR
#endif /* LAMINA_X86 */

/* ---- row updates, LAMINA_NMF_LANES rows at a time ----
 *
 * The per-row half-steps of both solvers, vectorized across rows (each SIMD lane holds
 * one row; the k coordinates of a row are sequential, so a lane follows exactly the
 * scalar order of operations of one row):
 *   cd_rows  scikit-learn's coordinate-descent sweep: for s < k, t = perm[s],
 *            grad = sum_r G[t, r] w[r] - num[t] (r in order), pg = grad unless w[t] == 0
 *            and grad > 0 (then 0), viol += |pg|, w[t] = max(w[t] - grad / G[t, t], 0)
 *            when G[t, t] != 0; num must already hold X H^T - l1.
 *   mu_rows  the multiplicative update with the old row: d[t] = sum_r w[r] G[t, r]
 *            (+ l1, + l2 w[t]; d == 0 -> eps), w[t] *= num[t] / d[t] (gamma = 1).
 * rows <= LAMINA_NMF_LANES, k <= LAMINA_NMF_MAX_K; rows are w + i*ldw and num + i*ldn;
 * viol (cd) receives each row's projected-gradient violation.  G is k x k row-major and
 * symmetric.  Cost O(rows k^2); two independent accumulators of 8 lanes hide the FMA
 * latency that a single row's sequential dot products are bound by. */
#define LAMINA_NMF_LANES 16
#define LAMINA_NMF_MAX_K 128

#define LAMINA_NMF_ROWS(P, T, ISA, ATTR)                                                \
ATTR static void lamina_nmf_cd_rows_##P##_##ISA(ptrdiff_t rows, ptrdiff_t k, T *w,       \
    ptrdiff_t ldw, const T *G, const T *num, ptrdiff_t ldn, const ptrdiff_t *perm,       \
    double *viol)                                                                       \
{                                                                                       \
    T wt[LAMINA_NMF_MAX_K * LAMINA_NMF_LANES], xt[LAMINA_NMF_MAX_K * LAMINA_NMF_LANES];  \
    T grad[LAMINA_NMF_LANES];                                                           \
    double v[LAMINA_NMF_LANES];                                                         \
    ptrdiff_t i, r, s, t;                                                               \
    for (r = 0; r < k; ++r)                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i) {                                        \
            wt[r * LAMINA_NMF_LANES + i] = i < rows ? w[i * ldw + r] : 0;               \
            xt[r * LAMINA_NMF_LANES + i] = i < rows ? num[i * ldn + r] : 0;             \
        }                                                                               \
    for (i = 0; i < LAMINA_NMF_LANES; ++i) v[i] = 0;                                    \
    for (s = 0; s < k; ++s) {                                                           \
        const T *g;                                                                     \
        T hess;                                                                         \
        T *wtt;                                                                         \
        t = perm[s];                                                                    \
        g = G + t * k;                                                                  \
        hess = g[t];                                                                    \
        wtt = wt + t * LAMINA_NMF_LANES;                                                \
        _Pragma("omp simd")                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i) grad[i] = -xt[t * LAMINA_NMF_LANES + i]; \
        for (r = 0; r < k; ++r) {                                                       \
            const T gr = g[r];                                                          \
            const T *wr = wt + r * LAMINA_NMF_LANES;                                    \
            _Pragma("omp simd")                                                         \
            for (i = 0; i < LAMINA_NMF_LANES; ++i) grad[i] = grad[i] + gr * wr[i];      \
        }                                                                               \
        _Pragma("omp simd")                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i) {                                        \
            T gi = grad[i], wi = wtt[i];                                                \
            T pg = (wi == 0 && gi > 0) ? (T)0 : gi;                                     \
            T wn = wi - gi / (hess != 0 ? hess : (T)1);                                 \
            v[i] += (double)(pg < 0 ? -pg : pg);                                        \
            wn = wn < 0 ? (T)0 : wn;                                                    \
            wtt[i] = hess != 0 ? wn : wi;                                               \
        }                                                                               \
    }                                                                                   \
    for (i = 0; i < rows; ++i) {                                                        \
        for (r = 0; r < k; ++r) w[i * ldw + r] = wt[r * LAMINA_NMF_LANES + i];          \
        viol[i] = v[i];                                                                 \
    }                                                                                   \
}                                                                                       \
ATTR static void lamina_nmf_mu_rows_##P##_##ISA(ptrdiff_t rows, ptrdiff_t k, T *w,       \
    ptrdiff_t ldw, const T *G, const T *num, ptrdiff_t ldn, double l1, double l2,        \
    double eps)                                                                         \
{                                                                                       \
    T wt[LAMINA_NMF_MAX_K * LAMINA_NMF_LANES], dt[LAMINA_NMF_MAX_K * LAMINA_NMF_LANES];  \
    ptrdiff_t i, r, t;                                                                  \
    for (r = 0; r < k; ++r)                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i)                                          \
            wt[r * LAMINA_NMF_LANES + i] = i < rows ? w[i * ldw + r] : 0;               \
    for (t = 0; t < k; ++t) {                                                           \
        const T *g = G + t * k;                                                         \
        T *d = dt + t * LAMINA_NMF_LANES;                                               \
        _Pragma("omp simd")                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i) d[i] = 0;                                \
        for (r = 0; r < k; ++r) {                                                       \
            const T gr = g[r];                                                          \
            const T *wr = wt + r * LAMINA_NMF_LANES;                                    \
            _Pragma("omp simd")                                                         \
            for (i = 0; i < LAMINA_NMF_LANES; ++i) d[i] = d[i] + wr[i] * gr;            \
        }                                                                               \
        _Pragma("omp simd")                                                             \
        for (i = 0; i < LAMINA_NMF_LANES; ++i) {                                        \
            T di = d[i];                                                                \
            if (l1 > 0) di = di + (T)l1;                                                \
            if (l2 > 0) di = di + (T)l2 * wt[t * LAMINA_NMF_LANES + i];                 \
            d[i] = di == 0 ? (T)eps : di;                                               \
        }                                                                               \
    }                                                                                   \
    for (i = 0; i < rows; ++i)                                                          \
        for (t = 0; t < k; ++t)                                                         \
            w[i * ldw + t] = wt[t * LAMINA_NMF_LANES + i]                               \
                * (num[i * ldn + t] / dt[t * LAMINA_NMF_LANES + i]);                    \
}
LAMINA_NMF_ROWS(d, double, generic, LAMINA_TARGET_GENERIC)
LAMINA_NMF_ROWS(s, float, generic, LAMINA_TARGET_GENERIC)
#if LAMINA_X86
LAMINA_NMF_ROWS(d, double, avx2, LAMINA_TARGET_AVX2)
LAMINA_NMF_ROWS(s, float, avx2, LAMINA_TARGET_AVX2)
LAMINA_NMF_ROWS(d, double, avx512, LAMINA_TARGET_AVX512)
LAMINA_NMF_ROWS(s, float, avx512, LAMINA_TARGET_AVX512)
#endif
#undef LAMINA_NMF_ROWS

/* ---- run-time dispatch on lamina's ISA id ---- */
#if LAMINA_X86
#define LAMINA_NMF_DISPATCH(FN, P, isa, ...)                                            \
    do {                                                                                \
        if ((isa) == LAMINA_ISA_AVX512) lamina_nmf_##P##_avx512_##FN(__VA_ARGS__);      \
        else if ((isa) == LAMINA_ISA_AVX2) lamina_nmf_##P##_avx2_##FN(__VA_ARGS__);     \
        else lamina_nmf_##FN##_##P##_generic(__VA_ARGS__);                              \
    } while (0)
#define LAMINA_NMF_ROWS_DISPATCH(FN, P, isa, ...)                                       \
    do {                                                                                \
        if ((isa) == LAMINA_ISA_AVX512) lamina_nmf_##FN##_##P##_avx512(__VA_ARGS__);    \
        else if ((isa) == LAMINA_ISA_AVX2) lamina_nmf_##FN##_##P##_avx2(__VA_ARGS__);   \
        else lamina_nmf_##FN##_##P##_generic(__VA_ARGS__);                              \
    } while (0)
#else
#define LAMINA_NMF_DISPATCH(FN, P, isa, ...) lamina_nmf_##FN##_##P##_generic(__VA_ARGS__)
#define LAMINA_NMF_ROWS_DISPATCH(FN, P, isa, ...) lamina_nmf_##FN##_##P##_generic(__VA_ARGS__)
#endif

static inline void lamina_nmf_xh_d(int isa, ptrdiff_t rows, ptrdiff_t m, const double *x,
    ptrdiff_t ldx, const double *hp, ptrdiff_t kp, double *c, int accumulate)
{
    LAMINA_NMF_DISPATCH(xh, d, isa, rows, m, x, ldx, hp, kp, c, accumulate);
}

static inline void lamina_nmf_xh_s(int isa, ptrdiff_t rows, ptrdiff_t m, const float *x,
    ptrdiff_t ldx, const float *hp, ptrdiff_t kp, float *c, int accumulate)
{
    LAMINA_NMF_DISPATCH(xh, s, isa, rows, m, x, ldx, hp, kp, c, accumulate);
}

static inline void lamina_nmf_xtw_d(int isa, ptrdiff_t rows, ptrdiff_t m, const double *x,
    ptrdiff_t ldx, const double *w, ptrdiff_t kp, double *out, const lamina_nmf_prefetch *next)
{
    LAMINA_NMF_DISPATCH(xtw, d, isa, rows, m, x, ldx, w, kp, out, next);
}

static inline void lamina_nmf_xtw_s(int isa, ptrdiff_t rows, ptrdiff_t m, const float *x,
    ptrdiff_t ldx, const float *w, ptrdiff_t kp, float *out, const lamina_nmf_prefetch *next)
{
    LAMINA_NMF_DISPATCH(xtw, s, isa, rows, m, x, ldx, w, kp, out, next);
}

static inline void lamina_nmf_cd_rows_d(int isa, ptrdiff_t rows, ptrdiff_t k, double *w,
    ptrdiff_t ldw, const double *G, const double *num, ptrdiff_t ldn, const ptrdiff_t *perm,
    double *viol)
{
    LAMINA_NMF_ROWS_DISPATCH(cd_rows, d, isa, rows, k, w, ldw, G, num, ldn, perm, viol);
}

static inline void lamina_nmf_cd_rows_s(int isa, ptrdiff_t rows, ptrdiff_t k, float *w,
    ptrdiff_t ldw, const float *G, const float *num, ptrdiff_t ldn, const ptrdiff_t *perm,
    double *viol)
{
    LAMINA_NMF_ROWS_DISPATCH(cd_rows, s, isa, rows, k, w, ldw, G, num, ldn, perm, viol);
}

static inline void lamina_nmf_mu_rows_d(int isa, ptrdiff_t rows, ptrdiff_t k, double *w,
    ptrdiff_t ldw, const double *G, const double *num, ptrdiff_t ldn, double l1, double l2,
    double eps)
{
    LAMINA_NMF_ROWS_DISPATCH(mu_rows, d, isa, rows, k, w, ldw, G, num, ldn, l1, l2, eps);
}

static inline void lamina_nmf_mu_rows_s(int isa, ptrdiff_t rows, ptrdiff_t k, float *w,
    ptrdiff_t ldw, const float *G, const float *num, ptrdiff_t ldn, double l1, double l2,
    double eps)
{
    LAMINA_NMF_ROWS_DISPATCH(mu_rows, s, isa, rows, k, w, ldw, G, num, ldn, l1, l2, eps);
}

#endif /* LAMINA_NMF_H */
