/*
 * lamina_spmv.h -- CSR row kernels: y_i = sum_k data[k] * x[indices[k]] over rows [i0, i1).
 *
 * Algorithm: one row at a time, its nonzeros in column order.  The AVX-512 variant loads
 * 8 values and 8 indices per step (float32 too: gathers cost per lane, masked or not) and
 * gathers x with a masked gather for the row's tail,
 * so a 5-point-stencil row costs one gather; the lanes are summed at the end of the row.
 * The generic variant is a plain loop.  The two variants may differ by rounding (the
 * summation order within a row differs) but each is deterministic and independent of the
 * thread count: a row is always summed whole by one thread.  O(nnz + rows).
 */
#ifndef LAMINA_SPMV_H
#define LAMINA_SPMV_H

#include <stddef.h>
#include <stdint.h>
#include "lamina_cpu.h"

#ifdef LAMINA_X86
#include <immintrin.h>

/* float64 values, int32 indices. */
LAMINA_TARGET_AVX512 static double lamina_spmv_rows_d32_avx512(
    ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr, const int32_t *indices,
    const double *data, const double *x, const double *b, double *y, const double *w)
{
    double d = 0.0;
    for (ptrdiff_t i = i0; i < i1; i++) {
        ptrdiff_t k = indptr[i], k1 = indptr[i + 1];
        __m512d acc = _mm512_setzero_pd();
        for (; k + 8 <= k1; k += 8) {
            __m256i idx = _mm256_loadu_si256((const __m256i *)(indices + k));
            __m512d xv = _mm512_i32gather_pd(idx, x, 8);
            acc = _mm512_fmadd_pd(_mm512_loadu_pd(data + k), xv, acc);
        }
        if (k < k1) {
            __mmask8 m = (__mmask8)((1u << (k1 - k)) - 1u);
            __m256i idx = _mm256_maskz_loadu_epi32(m, indices + k);
            __m512d xv = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m, idx, x, 8);
            acc = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(m, data + k), xv, acc);
        }
        double s = _mm512_reduce_add_pd(acc);
        if (b) s = b[i] - s;
        y[i] = s;
        if (w) d += s * w[i];
    }
    return d;
}

/* float32 values, int32 indices. */
LAMINA_TARGET_AVX512 static double lamina_spmv_rows_s32_avx512(
    ptrdiff_t i0, ptrdiff_t i1, const int32_t *indptr, const int32_t *indices,
    const float *data, const float *x, const float *b, float *y, const float *w)
{
    double d = 0.0;
    for (ptrdiff_t i = i0; i < i1; i++) {
        ptrdiff_t k = indptr[i], k1 = indptr[i + 1];
        /* 8-lane gathers: a gather costs per lane, masked or not, and rows are short. */
        __m256 acc = _mm256_setzero_ps();
        for (; k + 8 <= k1; k += 8) {
            __m256i idx = _mm256_loadu_si256((const __m256i *)(indices + k));
            __m256 xv = _mm256_i32gather_ps(x, idx, 4);
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(data + k), xv, acc);
        }
        if (k < k1) {
            __mmask8 m = (__mmask8)((1u << (k1 - k)) - 1u);
            __m256i idx = _mm256_maskz_loadu_epi32(m, indices + k);
            __m256 xv = _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), m, idx, x, 4);
            acc = _mm256_fmadd_ps(_mm256_maskz_loadu_ps(m, data + k), xv, acc);
        }
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        float s = _mm_cvtss_f32(h);
        if (b) s = b[i] - s;
        y[i] = s;
        if (w) d += (double)s * (double)w[i];
    }
    return d;
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
