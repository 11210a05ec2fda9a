/*
 * lamina_cgvec.h -- the fused vector updates of CG in AVX-512 (the portable build of the
 * Cython loops is SSE2: these run 4-8x wider).
 *
 *   update_xr:  x += alpha p;  r -= alpha q;  returns r.r   (one pass over four vectors)
 *   xpby:       p = z + beta p
 *
 * The dot product is summed in 8 double lanes (float32 inputs widened), then across the
 * lanes in a fixed order, so a given block always gives the same bits.  O(n).
 */
#ifndef LAMINA_CGVEC_H
#define LAMINA_CGVEC_H

#include <stddef.h>
#include "lamina_cpu.h"

#if LAMINA_X86
#include <immintrin.h>

LAMINA_TARGET_AVX512 static double lamina_update_xr_d_avx512(
    ptrdiff_t n, double alpha, double *x, const double *p, double *r, const double *q)
{
    const __m512d a = _mm512_set1_pd(alpha);
    __m512d acc = _mm512_setzero_pd();
    for (ptrdiff_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n - i)) - 1u);
        __m512d xv = _mm512_fmadd_pd(a, _mm512_maskz_loadu_pd(k, p + i),
                                     _mm512_maskz_loadu_pd(k, x + i));
        __m512d rv = _mm512_fnmadd_pd(a, _mm512_maskz_loadu_pd(k, q + i),
                                      _mm512_maskz_loadu_pd(k, r + i));
        _mm512_mask_storeu_pd(x + i, k, xv);
        _mm512_mask_storeu_pd(r + i, k, rv);
        acc = _mm512_fmadd_pd(rv, rv, acc);
    }
    return _mm512_reduce_add_pd(acc);
}

LAMINA_TARGET_AVX512 static double lamina_update_xr_s_avx512(
    ptrdiff_t n, float alpha, float *x, const float *p, float *r, const float *q)
{
    const __m512 a = _mm512_set1_ps(alpha);
    __m512d acc0 = _mm512_setzero_pd(), acc1 = _mm512_setzero_pd();
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        __m512 xv = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(k, p + i),
                                    _mm512_maskz_loadu_ps(k, x + i));
        __m512 rv = _mm512_fnmadd_ps(a, _mm512_maskz_loadu_ps(k, q + i),
                                     _mm512_maskz_loadu_ps(k, r + i));
        _mm512_mask_storeu_ps(x + i, k, xv);
        _mm512_mask_storeu_ps(r + i, k, rv);
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(rv));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
            _mm512_castps_pd(rv), 1)));
        acc0 = _mm512_fmadd_pd(lo, lo, acc0);
        acc1 = _mm512_fmadd_pd(hi, hi, acc1);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(acc0, acc1));
}

LAMINA_TARGET_AVX512 static void lamina_xpby_d_avx512(
    ptrdiff_t n, const double *z, double beta, double *p)
{
    const __m512d bv = _mm512_set1_pd(beta);
    for (ptrdiff_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_pd(p + i, k, _mm512_fmadd_pd(bv, _mm512_maskz_loadu_pd(k, p + i),
                                                        _mm512_maskz_loadu_pd(k, z + i)));
    }
}

LAMINA_TARGET_AVX512 static void lamina_xpby_s_avx512(
    ptrdiff_t n, const float *z, float beta, float *p)
{
    const __m512 bv = _mm512_set1_ps(beta);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(p + i, k, _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(k, p + i),
                                                        _mm512_maskz_loadu_ps(k, z + i)));
    }
}
#define LAMINA_HAVE_CGVEC_AVX512 1
#else
#define LAMINA_HAVE_CGVEC_AVX512 0
static double lamina_update_xr_d_avx512(ptrdiff_t n, double alpha, double *x,
    const double *p, double *r, const double *q)
{ (void)n; (void)alpha; (void)x; (void)p; (void)r; (void)q; return 0.0; }
static double lamina_update_xr_s_avx512(ptrdiff_t n, float alpha, float *x,
    const float *p, float *r, const float *q)
{ (void)n; (void)alpha; (void)x; (void)p; (void)r; (void)q; return 0.0; }
static void lamina_xpby_d_avx512(ptrdiff_t n, const double *z, double beta, double *p)
{ (void)n; (void)z; (void)beta; (void)p; }
static void lamina_xpby_s_avx512(ptrdiff_t n, const float *z, float beta, float *p)
{ (void)n; (void)z; (void)beta; (void)p; }
#endif

#endif /* LAMINA_CGVEC_H */
