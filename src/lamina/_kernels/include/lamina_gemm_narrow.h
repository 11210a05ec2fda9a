/*
 * lamina_gemm_narrow.h -- C = alpha A B + beta C for a C at most one vector wide
 * (n <= 8 doubles or 16 floats: the output layer of a classifier, 10 classes), AVX-512.
 *
 * The packed GEMM would pad B to its 24- or 48-column panels and copy A for a product
 * whose B fits in one masked register row.  Here 8 rows of C live in 8 registers; each k
 * step loads one (masked) row of B and broadcasts 8 entries of A, read in place with any
 * strides.  Every element of C is one FMA chain over k in order, so the result does not
 * depend on how rows are split between threads.  Cost: m k n multiply-adds at about
 * 4.5 cycles per k step per 8 rows (load-bound), no packing, no buffer.
 */
#ifndef LAMINA_GEMM_NARROW_H
#define LAMINA_GEMM_NARROW_H

#include <stddef.h>
#include "lamina_cpu.h"

#if LAMINA_X86
#include <immintrin.h>

#define LN_ROWS 8

/* Rows [i0, i1) of C.  B has unit column stride; C has unit column stride. */
LAMINA_TARGET_AVX512 static void lamina_dgemm_narrow_avx512(
    ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, ptrdiff_t k, double alpha, const double *A,
    ptrdiff_t rsa, ptrdiff_t csa, const double *B, ptrdiff_t rsb, double beta, double *C,
    ptrdiff_t rsc)
{
    const __mmask8 km = (__mmask8)((1u << n) - 1u);
    const __m512d va = _mm512_set1_pd(alpha), vb = _mm512_set1_pd(beta);
    ptrdiff_t i = i0;
    for (; i + LN_ROWS <= i1; i += LN_ROWS) {
        __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
                c6 = c0, c7 = c0;
        const double *a = A + i * rsa;
        for (ptrdiff_t p = 0; p < k; p++) {
            __m512d b = _mm512_maskz_loadu_pd(km, B + p * rsb);
            const double *ap = a + p * csa;
            c0 = _mm512_fmadd_pd(_mm512_set1_pd(ap[0 * rsa]), b, c0);
            c1 = _mm512_fmadd_pd(_mm512_set1_pd(ap[1 * rsa]), b, c1);
            c2 = _mm512_fmadd_pd(_mm512_set1_pd(ap[2 * rsa]), b, c2);
            c3 = _mm512_fmadd_pd(_mm512_set1_pd(ap[3 * rsa]), b, c3);
            c4 = _mm512_fmadd_pd(_mm512_set1_pd(ap[4 * rsa]), b, c4);
            c5 = _mm512_fmadd_pd(_mm512_set1_pd(ap[5 * rsa]), b, c5);
            c6 = _mm512_fmadd_pd(_mm512_set1_pd(ap[6 * rsa]), b, c6);
            c7 = _mm512_fmadd_pd(_mm512_set1_pd(ap[7 * rsa]), b, c7);
        }
        __m512d acc[LN_ROWS] = {c0, c1, c2, c3, c4, c5, c6, c7};
        for (int r = 0; r < LN_ROWS; r++) {
            double *c = C + (i + r) * rsc;
            __m512d v = _mm512_mul_pd(va, acc[r]);
            if (beta != 0) v = _mm512_fmadd_pd(vb, _mm512_maskz_loadu_pd(km, c), v);
            _mm512_mask_storeu_pd(c, km, v);
        }
    }
    for (; i < i1; i++) {
        __m512d acc = _mm512_setzero_pd();
        for (ptrdiff_t p = 0; p < k; p++)
            acc = _mm512_fmadd_pd(_mm512_set1_pd(A[i * rsa + p * csa]),
                                  _mm512_maskz_loadu_pd(km, B + p * rsb), acc);
        double *c = C + i * rsc;
        __m512d v = _mm512_mul_pd(va, acc);
        if (beta != 0) v = _mm512_fmadd_pd(vb, _mm512_maskz_loadu_pd(km, c), v);
        _mm512_mask_storeu_pd(c, km, v);
    }
}

LAMINA_TARGET_AVX512 static void lamina_sgemm_narrow_avx512(
    ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, ptrdiff_t k, float alpha, const float *A,
    ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb, float beta, float *C,
    ptrdiff_t rsc)
{
    const __mmask16 km = (__mmask16)((1u << n) - 1u);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    ptrdiff_t i = i0;
    for (; i + LN_ROWS <= i1; i += LN_ROWS) {
        __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
               c6 = c0, c7 = c0;
        const float *a = A + i * rsa;
        for (ptrdiff_t p = 0; p < k; p++) {
            __m512 b = _mm512_maskz_loadu_ps(km, B + p * rsb);
            const float *ap = a + p * csa;
            c0 = _mm512_fmadd_ps(_mm512_set1_ps(ap[0 * rsa]), b, c0);
            c1 = _mm512_fmadd_ps(_mm512_set1_ps(ap[1 * rsa]), b, c1);
            c2 = _mm512_fmadd_ps(_mm512_set1_ps(ap[2 * rsa]), b, c2);
            c3 = _mm512_fmadd_ps(_mm512_set1_ps(ap[3 * rsa]), b, c3);
            c4 = _mm512_fmadd_ps(_mm512_set1_ps(ap[4 * rsa]), b, c4);
            c5 = _mm512_fmadd_ps(_mm512_set1_ps(ap[5 * rsa]), b, c5);
            c6 = _mm512_fmadd_ps(_mm512_set1_ps(ap[6 * rsa]), b, c6);
            c7 = _mm512_fmadd_ps(_mm512_set1_ps(ap[7 * rsa]), b, c7);
        }
        __m512 acc[LN_ROWS] = {c0, c1, c2, c3, c4, c5, c6, c7};
        for (int r = 0; r < LN_ROWS; r++) {
            float *c = C + (i + r) * rsc;
            __m512 v = _mm512_mul_ps(va, acc[r]);
            if (beta != 0) v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(km, c), v);
            _mm512_mask_storeu_ps(c, km, v);
        }
    }
    for (; i < i1; i++) {
        __m512 acc = _mm512_setzero_ps();
        for (ptrdiff_t p = 0; p < k; p++)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(A[i * rsa + p * csa]),
                                  _mm512_maskz_loadu_ps(km, B + p * rsb), acc);
        float *c = C + i * rsc;
        __m512 v = _mm512_mul_ps(va, acc);
        if (beta != 0) v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(km, c), v);
        _mm512_mask_storeu_ps(c, km, v);
    }
}
#define LAMINA_HAVE_GEMM_NARROW 1
#else
#define LAMINA_HAVE_GEMM_NARROW 0
static void lamina_dgemm_narrow_avx512(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, ptrdiff_t k,
    double alpha, const double *A, ptrdiff_t rsa, ptrdiff_t csa, const double *B,
    ptrdiff_t rsb, double beta, double *C, ptrdiff_t rsc)
{ (void)i0; (void)i1; (void)n; (void)k; (void)alpha; (void)A; (void)rsa; (void)csa;
  (void)B; (void)rsb; (void)beta; (void)C; (void)rsc; }
static void lamina_sgemm_narrow_avx512(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, ptrdiff_t k,
    float alpha, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B,
    ptrdiff_t rsb, float beta, float *C, ptrdiff_t rsc)
{ (void)i0; (void)i1; (void)n; (void)k; (void)alpha; (void)A; (void)rsa; (void)csa;
  (void)B; (void)rsb; (void)beta; (void)C; (void)rsc; }
#endif

#endif /* LAMINA_GEMM_NARROW_H */
