/*
 * lamina_spmv.h -- CSR row kernels: y_i = sum_k data[k] * x[indices[k]] over rows [i0, i1).
 *
 * Algorithm: one row at a time, its nonzeros in column order.  The AVX-512 variant loads
 * 8 values and 8 indices per step (float32 too: gathers cost per lane, masked or not) and
 * gathers x with a masked gather for the row's tail, so a 5-point-stencil row costs one
 * gather.  Runs of 8 rows of at most 8 nonzeros (the common case of short rows) are
 * summed together by one transposing reduction; other rows sum their lanes one by one.
 * The generic variant is a plain loop.  The two variants may differ by rounding (the
 * summation order within a row differs) but each is deterministic and independent of the
 * thread count: a row is always summed whole by one thread.  O(nnz + rows).
 */
#ifndef LAMINA_SPMV_H
#define LAMINA_SPMV_H

#include <stddef.h>
#include <stdint.h>
#include "lamina_cpu.h"

#if LAMINA_X86
#include <immintrin.h>

/* The products of one row of at most 8 nonzeros, lane j holding entry j (0 past the row). */
LAMINA_TARGET_AVX512 static inline __m512d lamina_spmv_row8_d(
    const int32_t *indices, const double *data, const double *x, ptrdiff_t k, ptrdiff_t k1)
{
    __mmask8 m = (__mmask8)((1u << (k1 - k)) - 1u);
    __m256i idx = _mm256_maskz_loadu_epi32(m, indices + k);
    return _mm512_mul_pd(_mm512_maskz_loadu_pd(m, data + k),
                         _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m, idx, x, 8));
}

LAMINA_TARGET_AVX512 static inline __m256 lamina_spmv_row8_s(
    const int32_t *indices, const float *data, const float *x, ptrdiff_t k, ptrdiff_t k1)
{
    __mmask8 m = (__mmask8)((1u << (k1 - k)) - 1u);
    __m256i idx = _mm256_maskz_loadu_epi32(m, indices + k);
    return _mm256_mul_ps(_mm256_maskz_loadu_ps(m, data + k),
                         _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), m, idx, x, 4));
}

/* True when rows i..i+7 all have at most 8 nonzeros (needs i + 8 <= n). */
LAMINA_TARGET_AVX512 static inline int lamina_spmv_short8(const int32_t *indptr, ptrdiff_t i)
{
    __m256i lo = _mm256_loadu_si256((const __m256i *)(indptr + i));
    __m256i hi = _mm256_loadu_si256((const __m256i *)(indptr + i + 1));
    return _mm256_cmpgt_epi32_mask(_mm256_sub_epi32(hi, lo), _mm256_set1_epi32(8)) == 0;
}

/* float64 values, int32 indices.  Groups of 8 rows of at most 8 nonzeros each: one masked
 * gather per row, and the 8 row sums come out of one transposing reduction (3 rounds of
 * shuffles and adds for 8 rows, instead of a horizontal sum per row). */
LAMINA_TARGET_AVX512 static double lamina_spmv_rows_d32_avx512(
    ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr, const int32_t *indices,
    const double *data, const double *x, const double *b, double *y, const double *w)
{
    double d = 0.0;
    __m512d dacc = _mm512_setzero_pd();
    ptrdiff_t i = i0;
    while (i < i1) {
        if (i + 8 <= i1 && lamina_spmv_short8(indptr, i)) {
            const int32_t *p = indptr + i;
            __m512d a0 = lamina_spmv_row8_d(indices, data, x, p[0], p[1]);
            __m512d a1 = lamina_spmv_row8_d(indices, data, x, p[1], p[2]);
            __m512d a2 = lamina_spmv_row8_d(indices, data, x, p[2], p[3]);
            __m512d a3 = lamina_spmv_row8_d(indices, data, x, p[3], p[4]);
            __m512d a4 = lamina_spmv_row8_d(indices, data, x, p[4], p[5]);
            __m512d a5 = lamina_spmv_row8_d(indices, data, x, p[5], p[6]);
            __m512d a6 = lamina_spmv_row8_d(indices, data, x, p[6], p[7]);
            __m512d a7 = lamina_spmv_row8_d(indices, data, x, p[7], p[8]);
            /* Round 1: each 128-bit lane of b01 holds (row 0, row 1) pair sums. */
            __m512d b01 = _mm512_add_pd(_mm512_unpacklo_pd(a0, a1), _mm512_unpackhi_pd(a0, a1));
            __m512d b23 = _mm512_add_pd(_mm512_unpacklo_pd(a2, a3), _mm512_unpackhi_pd(a2, a3));
            __m512d b45 = _mm512_add_pd(_mm512_unpacklo_pd(a4, a5), _mm512_unpackhi_pd(a4, a5));
            __m512d b67 = _mm512_add_pd(_mm512_unpacklo_pd(a6, a7), _mm512_unpackhi_pd(a6, a7));
            /* Round 2: lanes (rows 0,1 | 0,1 | 2,3 | 2,3), halves of each row. */
            __m512d c0 = _mm512_add_pd(_mm512_shuffle_f64x2(b01, b23, 0x88),
                                       _mm512_shuffle_f64x2(b01, b23, 0xDD));
            __m512d c1 = _mm512_add_pd(_mm512_shuffle_f64x2(b45, b67, 0x88),
                                       _mm512_shuffle_f64x2(b45, b67, 0xDD));
            /* Round 3: rows 0..7 in order. */
            __m512d s = _mm512_add_pd(_mm512_shuffle_f64x2(c0, c1, 0x88),
                                      _mm512_shuffle_f64x2(c0, c1, 0xDD));
            if (b) s = _mm512_sub_pd(_mm512_loadu_pd(b + i), s);
            _mm512_storeu_pd(y + i, s);
            if (w) dacc = _mm512_fmadd_pd(s, _mm512_loadu_pd(w + i), dacc);
            i += 8;
            continue;
        }
        ptrdiff_t end = i + 8 < i1 ? i + 8 : i1;
        for (; i < end; i++) {
            ptrdiff_t k = indptr[i], k1 = indptr[i + 1];
            __m512d acc = _mm512_setzero_pd();
            for (; k + 8 <= k1; k += 8) {
                __m256i idx = _mm256_loadu_si256((const __m256i *)(indices + k));
                __m512d xv = _mm512_i32gather_pd(idx, x, 8);
                acc = _mm512_fmadd_pd(_mm512_loadu_pd(data + k), xv, acc);
            }
            if (k < k1) acc = _mm512_add_pd(acc, lamina_spmv_row8_d(indices, data, x, k, k1));
            double s = _mm512_reduce_add_pd(acc);
            if (b) s = b[i] - s;
            y[i] = s;
            if (w) d += s * w[i];
        }
    }
    return d + _mm512_reduce_add_pd(dacc);
}

/* float32 values, int32 indices: the same with 8-lane vectors (a gather costs per lane). */
LAMINA_TARGET_AVX512 static double lamina_spmv_rows_s32_avx512(
    ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr, const int32_t *indices,
    const float *data, const float *x, const float *b, float *y, const float *w)
{
    double d = 0.0;
    __m512d dacc = _mm512_setzero_pd();
    ptrdiff_t i = i0;
    while (i < i1) {
        if (i + 8 <= i1 && lamina_spmv_short8(indptr, i)) {
            const int32_t *p = indptr + i;
            __m256 a0 = lamina_spmv_row8_s(indices, data, x, p[0], p[1]);
            __m256 a1 = lamina_spmv_row8_s(indices, data, x, p[1], p[2]);
            __m256 a2 = lamina_spmv_row8_s(indices, data, x, p[2], p[3]);
            __m256 a3 = lamina_spmv_row8_s(indices, data, x, p[3], p[4]);
            __m256 a4 = lamina_spmv_row8_s(indices, data, x, p[4], p[5]);
            __m256 a5 = lamina_spmv_row8_s(indices, data, x, p[5], p[6]);
            __m256 a6 = lamina_spmv_row8_s(indices, data, x, p[6], p[7]);
            __m256 a7 = lamina_spmv_row8_s(indices, data, x, p[7], p[8]);
            /* Two rounds of pairwise adds leave (rows 0..3 | rows 0..3) over the two
             * halves of each row; a cross-lane add finishes. */
            __m256 h0 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            __m256 h1 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
            __m256 s = _mm256_add_ps(_mm256_permute2f128_ps(h0, h1, 0x20),
                                     _mm256_permute2f128_ps(h0, h1, 0x31));
            if (b) s = _mm256_sub_ps(_mm256_loadu_ps(b + i), s);
            _mm256_storeu_ps(y + i, s);
            if (w) dacc = _mm512_fmadd_pd(_mm512_cvtps_pd(s),
                                          _mm512_cvtps_pd(_mm256_loadu_ps(w + i)), dacc);
            i += 8;
            continue;
        }
        ptrdiff_t end = i + 8 < i1 ? i + 8 : i1;
        for (; i < end; i++) {
            ptrdiff_t k = indptr[i], k1 = indptr[i + 1];
            __m256 acc = _mm256_setzero_ps();
            for (; k + 8 <= k1; k += 8) {
                __m256i idx = _mm256_loadu_si256((const __m256i *)(indices + k));
                __m256 xv = _mm256_i32gather_ps(x, idx, 4);
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(data + k), xv, acc);
            }
            if (k < k1) acc = _mm256_add_ps(acc, lamina_spmv_row8_s(indices, data, x, k, k1));
            __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
            h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            h = _mm_add_ss(h, _mm_movehdup_ps(h));
            float s = _mm_cvtss_f32(h);
            if (b) s = b[i] - s;
            y[i] = s;
            if (w) d += (double)s * (double)w[i];
        }
    }
    return d + _mm512_reduce_add_pd(dacc);
}
#define LAMINA_HAVE_SPMV_AVX512 1
#else
#define LAMINA_HAVE_SPMV_AVX512 0
static double lamina_spmv_rows_d32_avx512(ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr,
    const int32_t *indices, const double *data, const double *x, const double *b, double *y,
    const double *w) { (void)i0; (void)i1; (void)indptr; (void)indices; (void)data; (void)x;
    (void)b; (void)y; (void)w; return 0.0; }
static double lamina_spmv_rows_s32_avx512(ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr,
    const int32_t *indices, const float *data, const float *x, const float *b, float *y,
    const float *w) { (void)i0; (void)i1; (void)indptr; (void)indices; (void)data; (void)x;
    (void)b; (void)y; (void)w; return 0.0; }
#endif

#endif /* LAMINA_SPMV_H */
