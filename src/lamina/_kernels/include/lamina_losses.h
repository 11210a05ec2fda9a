/*
 * lamina_losses.h -- fused loss-and-gradient kernels, float32 and float64, every ISA.
 *
 * Algorithms and guarantees:
 *   element-wise losses   one read of prediction and target, one write of the gradient,
 *                         per-element functions from lamina_losses_elem.h vectorized with
 *                         lamina_vmath.h's exp/log (<= 2 ulp).  O(n) time, O(1) extra space.
 *   softmax CE (per row)  one streaming read of the logits with a chunked online max-and-sum
 *                         (Milakov & Gimelshein, "Online normalizer calculation for
 *                         softmax", 2018), one write of the gradient; the loss is formed as
 *                         A log S + sum a_j (M - x_j) from exactly-representable differences,
 *                         so logits of +-1e4 lose nothing to cancellation.  O(C) time per row,
 *                         a scratch row of C elements per thread (the gradient of large
 *                         inputs leaves it with non-temporal stores); exp(x - M) <= 1 never
 *                         overflows; a row that is -inf except one entry gives loss 0 and
 *                         gradient 0 exactly.
 * Reductions: each chunk's loss sum is returned in double; callers add chunk (or row) sums
 * in index order, so results do not depend on the thread count.
 *
 * Element-wise chunk contract: p, t, g, lout point at contiguous n_rows x K arrays (C
 * order, flat index i), chunk [i0, i1); w (per row, may be NULL), pcol (per column
 * parameter, may be NULL, then the scalar a is used); the gradient is gscale * w_r * dl/dp,
 * stored (accumulate = 0) or added (accumulate = 1, only without pcol and lout); lout (may
 * be NULL) receives w_r * l.  Returns sum_i w_r l_i over the chunk in double.
 */
#ifndef LAMINA_LOSSES_H
#define LAMINA_LOSSES_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include "lamina_cpu.h"
#include "lamina_vmath.h"

/* Loss ids shared with Cython (keep in sync with _losses.pyx's LOSS_IDS). */
#define LAMINA_LOSS_MSE 0
#define LAMINA_LOSS_MAE 1
#define LAMINA_LOSS_HUBER 2
#define LAMINA_LOSS_SMOOTH_L1 3
#define LAMINA_LOSS_LOG_COSH 4
#define LAMINA_LOSS_BCE 5
#define LAMINA_LOSS_HINGE 6
#define LAMINA_LOSS_KL 7
#define LAMINA_LOSS_L2 8
#define LAMINA_LOSS_L1 9
#define LAMINA_LOSS_ELASTIC_NET 10
#define LAMINA_LOSS_COUNT 11

/* The list every generated table follows, in id order. */
#define LAMINA_FOR_EACH_ELEMENTWISE_LOSS(X) \
    X(mse) X(mae) X(huber) X(smooth_l1) X(log_cosh) X(bce) X(hinge) X(kl) \
    X(l2) X(l1) X(elastic_net)

/* Taylor coefficients of log(cosh(a)) / a^2 in powers of a^2 (see loss_log_cosh). */
#define LAMINA_LOG_COSH_SERIES_D(z) \
    (0.5 + (z) * (-0.08333333333333333 + (z) * (0.022222222222222223 + (z) * ( \
    -0.006746031746031746 + (z) * (0.0021869488536155205 + (z) * (-0.0007386029608251831 \
    + (z) * (0.0002565805740408915 + (z) * (-9.09896491907074e-05 + (z) * ( \
    3.277930227475478e-05 + (z) * (-1.1956455712177625e-05 + (z) * (4.405244525877023e-06 \
    + (z) * (-1.6365968284715348e-06 + (z) * (6.122655795895756e-07 + (z) * ( \
    -2.3041747198769394e-07 + (z) * (8.715903837635848e-08 + (z) * (-3.3116463500327045e-08 \
    + (z) * 1.2632091406687664e-08))))))))))))))))
#define LAMINA_LOG_COSH_SERIES_S(z) \
    (0.5f + (z) * (-0.083333333f + (z) * (0.022222222f + (z) * (-0.0067460317f + (z) * ( \
    0.0021869489f + (z) * (-0.00073860296f + (z) * (0.00025658057f + (z) * \
    -9.0989649e-05f)))))))

/* ---- non-temporal row stores -------------------------------------------------------
 * lamina_<d|s>stream_copy_<isa>(n, src, dst): dst[0:n] = src[0:n], the aligned body with
 * streaming (non-temporal) stores, which write whole cache lines without first reading
 * them.  Used for gradients too large to stay in cache.  Weakly ordered: a
 * lamina_store_fence() must follow before the data is handed to anyone else.  The generic
 * versions are plain copies.                                                            */
#if LAMINA_X86
#include <immintrin.h>
#define LAMINA_STREAM_COPY(P, T, ISA, ATTR, VEC, WIDTH, LOADU, STREAM)                    \
ATTR static inline void lamina_##P##stream_copy_##ISA(ptrdiff_t n, const T *src, T *dst) \
{                                                                                         \
    ptrdiff_t j = 0;                                                                      \
    while (j < n && ((uintptr_t)(dst + j) & (sizeof(VEC) - 1)) != 0) { dst[j] = src[j]; ++j; } \
    for (; j + WIDTH <= n; j += WIDTH) STREAM(dst + j, LOADU(src + j));                   \
    for (; j < n; ++j) dst[j] = src[j];                                                   \
}
LAMINA_STREAM_COPY(d, double, avx512, LAMINA_TARGET_AVX512, __m512d, 8, _mm512_loadu_pd, _mm512_stream_pd)
LAMINA_STREAM_COPY(s, float, avx512, LAMINA_TARGET_AVX512, __m512, 16, _mm512_loadu_ps, _mm512_stream_ps)
LAMINA_STREAM_COPY(d, double, avx2, LAMINA_TARGET_AVX2, __m256d, 4, _mm256_loadu_pd, _mm256_stream_pd)
LAMINA_STREAM_COPY(s, float, avx2, LAMINA_TARGET_AVX2, __m256, 8, _mm256_loadu_ps, _mm256_stream_ps)
#undef LAMINA_STREAM_COPY
static inline void lamina_store_fence(void) { _mm_sfence(); }
#else
#define LAMINA_PLAIN_COPY(P, T, ISA) \
static inline void lamina_##P##stream_copy_##ISA(ptrdiff_t n, const T *src, T *dst) \
{ for (ptrdiff_t j = 0; j < n; ++j) dst[j] = src[j]; }
LAMINA_PLAIN_COPY(d, double, avx512)
LAMINA_PLAIN_COPY(s, float, avx512)
LAMINA_PLAIN_COPY(d, double, avx2)
LAMINA_PLAIN_COPY(s, float, avx2)
#undef LAMINA_PLAIN_COPY
static inline void lamina_store_fence(void) { }
#endif
static inline void lamina_dstream_copy_generic(ptrdiff_t n, const double *src, double *dst)
{ for (ptrdiff_t j = 0; j < n; ++j) dst[j] = src[j]; }
static inline void lamina_sstream_copy_generic(ptrdiff_t n, const float *src, float *dst)
{ for (ptrdiff_t j = 0; j < n; ++j) dst[j] = src[j]; }

/* Sum of v[0:n] in four interleaved partial sums (a fixed order: the same bits on every
 * ISA and thread count, and a quarter of the rounding error of one running sum). */
static inline double lamina_sum_d(ptrdiff_t n, const double *v)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += v[i];
        s1 += v[i + 1];
        s2 += v[i + 2];
        s3 += v[i + 3];
    }
    for (; i < n; ++i) s0 += v[i];
    return (s0 + s1) + (s2 + s3);
}

/* ---- float64 ---- */
#define LT double
#define LT_IS_DOUBLE 1
#define LP d
#define LV(fn) lamina_v##fn##_d
#define LAMINA_LOG_COSH_SERIES LAMINA_LOG_COSH_SERIES_D
#include "lamina_losses_elem.h"
#define LAMINA_PER_ISA_BODY "lamina_losses_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LT_IS_DOUBLE
#undef LP
#undef LV

/* ---- float32 ---- */
#define LT float
#define LT_IS_DOUBLE 0
#define LP s
#define LV(fn) lamina_v##fn##_s
#undef LAMINA_LOG_COSH_SERIES
#define LAMINA_LOG_COSH_SERIES LAMINA_LOG_COSH_SERIES_S
#include "lamina_losses_elem.h"
#define LAMINA_PER_ISA_BODY "lamina_losses_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LT_IS_DOUBLE
#undef LP
#undef LV

/* ---- run-time dispatch tables: [loss id][isa] ---- */
typedef double (*lamina_dloss_chunk_fn)(ptrdiff_t, ptrdiff_t, ptrdiff_t, const double *,
        const double *, double, const double *, const double *, double, double *, int, double *);
typedef double (*lamina_sloss_chunk_fn)(ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *,
        const float *, float, const float *, const float *, float, float *, int, float *);

#define LAMINA_TABLE_ROW_D(NAME) \
    {lamina_dchunk_##NAME##_generic, lamina_dchunk_##NAME##_avx2, lamina_dchunk_##NAME##_avx512},
#define LAMINA_TABLE_ROW_S(NAME) \
    {lamina_schunk_##NAME##_generic, lamina_schunk_##NAME##_avx2, lamina_schunk_##NAME##_avx512},

static const lamina_dloss_chunk_fn lamina_dloss_table[LAMINA_LOSS_COUNT][LAMINA_ISA_COUNT] = {
    LAMINA_FOR_EACH_ELEMENTWISE_LOSS(LAMINA_TABLE_ROW_D)
};
static const lamina_sloss_chunk_fn lamina_sloss_table[LAMINA_LOSS_COUNT][LAMINA_ISA_COUNT] = {
    LAMINA_FOR_EACH_ELEMENTWISE_LOSS(LAMINA_TABLE_ROW_S)
};

static inline double lamina_dloss_chunk(int loss, int isa, ptrdiff_t i0, ptrdiff_t i1,
        ptrdiff_t K, const double *p, const double *t, double a, const double *pcol,
        const double *w, double gscale, double *g, int accumulate, double *lout)
{
    return lamina_dloss_table[loss][isa](i0, i1, K, p, t, a, pcol, w, gscale, g, accumulate, lout);
}

static inline double lamina_sloss_chunk(int loss, int isa, ptrdiff_t i0, ptrdiff_t i1,
        ptrdiff_t K, const float *p, const float *t, float a, const float *pcol,
        const float *w, float gscale, float *g, int accumulate, float *lout)
{
    return lamina_sloss_table[loss][isa](i0, i1, K, p, t, a, pcol, w, gscale, g, accumulate, lout);
}

#define LAMINA_SOFTMAX_DISPATCH(P, isa, ...)                                        \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##softmax_ce_row_avx512(__VA_ARGS__)    \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##softmax_ce_row_avx2(__VA_ARGS__)      \
                                : lamina_##P##softmax_ce_row_generic(__VA_ARGS__))

static inline double lamina_dsoftmax_ce_row(int isa, ptrdiff_t C, const double *x,
        ptrdiff_t label, const double *q, const double *cw, double base, double extra,
        double gs, double *g, double *w, int stream, const double *pend, double *pend_g)
{
    return LAMINA_SOFTMAX_DISPATCH(d, isa, C, x, label, q, cw, base, extra, gs, g, w, stream,
                                   pend, pend_g);
}

static inline double lamina_ssoftmax_ce_row(int isa, ptrdiff_t C, const float *x,
        ptrdiff_t label, const float *q, const float *cw, float base, float extra,
        float gs, float *g, float *w, int stream, const float *pend, float *pend_g)
{
    return LAMINA_SOFTMAX_DISPATCH(s, isa, C, x, label, q, cw, base, extra, gs, g, w, stream,
                                   pend, pend_g);
}

/* Store a streamed row's gradient (left in w by softmax_ce_row) to g, with the fence. */
#define LAMINA_STREAM_DISPATCH(P, isa, ...)                                          \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##stream_copy_avx512(__VA_ARGS__)        \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##stream_copy_avx2(__VA_ARGS__)          \
                                : lamina_##P##stream_copy_generic(__VA_ARGS__))

static inline void lamina_dsoftmax_store_row(int isa, ptrdiff_t C, const double *w, double *g)
{
    LAMINA_STREAM_DISPATCH(d, isa, C, w, g);
    lamina_store_fence();
}

static inline void lamina_ssoftmax_store_row(int isa, ptrdiff_t C, const float *w, float *g)
{
    LAMINA_STREAM_DISPATCH(s, isa, C, w, g);
    lamina_store_fence();
}

#define LAMINA_SOFTMAX_SMALL_DISPATCH(P, isa, ...)                                  \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##softmax_ce_small_avx512(__VA_ARGS__)  \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##softmax_ce_small_avx2(__VA_ARGS__)    \
                                : lamina_##P##softmax_ce_small_generic(__VA_ARGS__))

static inline void lamina_dsoftmax_ce_small(int isa, ptrdiff_t nrows, ptrdiff_t C,
        const double *x, const int64_t *labels, const double *cw, const double *sw,
        double gscale, int has_ignore, int64_t ignore, double *g, double *row_loss)
{
    LAMINA_SOFTMAX_SMALL_DISPATCH(d, isa, nrows, C, x, labels, cw, sw, gscale, has_ignore,
                                  ignore, g, row_loss);
}

static inline void lamina_ssoftmax_ce_small(int isa, ptrdiff_t nrows, ptrdiff_t C,
        const float *x, const int64_t *labels, const float *cw, const float *sw,
        float gscale, int has_ignore, int64_t ignore, float *g, double *row_loss)
{
    LAMINA_SOFTMAX_SMALL_DISPATCH(s, isa, nrows, C, x, labels, cw, sw, gscale, has_ignore,
                                  ignore, g, row_loss);
}

#endif /* LAMINA_LOSSES_H */
