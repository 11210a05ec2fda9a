/*
 * lamina_pack_x86.h -- AVX-512 transposing copies for the GEMM packing routines.
 *
 * Packing A (row-major, MR = 8) and packing B (column-major, i.e. a transposed operand)
 * both turn 8 strided runs of 8 contiguous elements into 8 contiguous runs of 8: an 8 x 8
 * transpose.  Done element by element that is 64 scalar loads and stores per block, and it
 * took about 4% of a 2048^3 float64 product on one core; in registers it is 8 loads, 24
 * shuffles and 8 stores.  The values are copied exactly (times `alpha`, one rounding, as
 * in the scalar loops), so the packed panels are bitwise those of the plain C code.
 *
 *   lamina_{d,s}transpose8(src, lds, dst, ldd, alpha):
 *       dst[j * ldd + i] = alpha * src[i * lds + j]   for 0 <= i, j < 8
 */
#ifndef LAMINA_PACK_X86_H
#define LAMINA_PACK_X86_H
#include <stddef.h>
#include "lamina_cpu.h"
#if LAMINA_X86
#include <immintrin.h>
#define LAMINA_HAVE_PACK_X86 1

LAMINA_TARGET_AVX512 static inline __attribute__((always_inline)) void lamina_dtranspose8(
    const double *src, ptrdiff_t lds, double *dst, ptrdiff_t ldd, __m512d alpha)
{
    __m512d r0 = _mm512_loadu_pd(src), r1 = _mm512_loadu_pd(src + lds);
    __m512d r2 = _mm512_loadu_pd(src + 2 * lds), r3 = _mm512_loadu_pd(src + 3 * lds);
    __m512d r4 = _mm512_loadu_pd(src + 4 * lds), r5 = _mm512_loadu_pd(src + 5 * lds);
    __m512d r6 = _mm512_loadu_pd(src + 6 * lds), r7 = _mm512_loadu_pd(src + 7 * lds);
    /* pairs of rows interleaved: t0 = (r0[0] r1[0] r0[2] r1[2] ...), t1 the odd columns */
    __m512d t0 = _mm512_unpacklo_pd(r0, r1), t1 = _mm512_unpackhi_pd(r0, r1);
    __m512d t2 = _mm512_unpacklo_pd(r2, r3), t3 = _mm512_unpackhi_pd(r2, r3);
    __m512d t4 = _mm512_unpacklo_pd(r4, r5), t5 = _mm512_unpackhi_pd(r4, r5);
    __m512d t6 = _mm512_unpacklo_pd(r6, r7), t7 = _mm512_unpackhi_pd(r6, r7);
    /* 128-bit lanes regrouped: u0 holds columns 0 and 4 of rows 0-3, u1 columns 2 and 6 */
    __m512d u0 = _mm512_shuffle_f64x2(t0, t2, 0x88), u1 = _mm512_shuffle_f64x2(t0, t2, 0xDD);
    __m512d u2 = _mm512_shuffle_f64x2(t1, t3, 0x88), u3 = _mm512_shuffle_f64x2(t1, t3, 0xDD);
    __m512d u4 = _mm512_shuffle_f64x2(t4, t6, 0x88), u5 = _mm512_shuffle_f64x2(t4, t6, 0xDD);
    __m512d u6 = _mm512_shuffle_f64x2(t5, t7, 0x88), u7 = _mm512_shuffle_f64x2(t5, t7, 0xDD);
    _mm512_storeu_pd(dst, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u0, u4, 0x88)));
    _mm512_storeu_pd(dst + ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u2, u6, 0x88)));
    _mm512_storeu_pd(dst + 2 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u1, u5, 0x88)));
    _mm512_storeu_pd(dst + 3 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u3, u7, 0x88)));
    _mm512_storeu_pd(dst + 4 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u0, u4, 0xDD)));
    _mm512_storeu_pd(dst + 5 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u2, u6, 0xDD)));
    _mm512_storeu_pd(dst + 6 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u1, u5, 0xDD)));
    _mm512_storeu_pd(dst + 7 * ldd, _mm512_mul_pd(alpha, _mm512_shuffle_f64x2(u3, u7, 0xDD)));
}

LAMINA_TARGET_AVX512 static inline __attribute__((always_inline)) void lamina_stranspose8(
    const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd, __m256 alpha)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    /* within each 128-bit lane: u0 = column 0 (rows 0-3) | column 4, u1 = column 1 | 5 ... */
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u0, u4, 0x20)));
    _mm256_storeu_ps(dst + ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u1, u5, 0x20)));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u2, u6, 0x20)));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u3, u7, 0x20)));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u0, u4, 0x31)));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u1, u5, 0x31)));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u2, u6, 0x31)));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_mul_ps(alpha, _mm256_permute2f128_ps(u3, u7, 0x31)));
}

/* The packing loops around a transpose, per element type (P: d or s, T, V: the alpha
 * vector type, SET1, TR: the 8 x 8 transpose above):
 *   lamina_<P>pack_a8_rows_avx512: `panels` full 8-row micro-panels of a row-major A (row
 *       stride rsa), columns 0..kc-1, into the MR = 8 layout dst[panel][p * 8 + i];
 *   lamina_<P>pack_b_cols_avx512: one full NR-column micro-panel of a column-major B
 *       (column stride csb), rows 0..kc-1, into dst[p * nr + j]; nr a multiple of 8.
 * Columns past the last multiple of 8 are copied one by one. */
#define LAMINA_DEFINE_PACK_X86(P, T, V, SET1, TR)                                         \
LAMINA_TARGET_AVX512 static void lamina_##P##pack_a8_rows_avx512(                         \
    ptrdiff_t panels, ptrdiff_t kc, const T *A, ptrdiff_t rsa, T alpha, T *dst)           \
{                                                                                         \
    V al = SET1(alpha);                                                                   \
    ptrdiff_t r, p, i;                                                                    \
    for (r = 0; r < panels; ++r, A += 8 * rsa, dst += 8 * kc) {                           \
        for (p = 0; p + 8 <= kc; p += 8) TR(A + p, rsa, dst + p * 8, 8, al);              \
        for (; p < kc; ++p)                                                               \
            for (i = 0; i < 8; ++i) dst[p * 8 + i] = alpha * A[i * rsa + p];              \
    }                                                                                     \
}                                                                                         \
LAMINA_TARGET_AVX512 static void lamina_##P##pack_b_cols_avx512(                          \
    ptrdiff_t kc, int nr, const T *B, ptrdiff_t csb, T *dst)                              \
{                                                                                         \
    V one = SET1((T)1);                                                                   \
    ptrdiff_t p, j;                                                                       \
    int jj;                                                                               \
    for (j = 0; j < nr; j += 8) {                                                         \
        const T *b = B + j * csb;                                                         \
        for (p = 0; p + 8 <= kc; p += 8) TR(b + p, csb, dst + p * nr + j, nr, one);       \
        for (; p < kc; ++p)                                                               \
            for (jj = 0; jj < 8; ++jj) dst[p * nr + j + jj] = b[jj * csb + p];           \
    }                                                                                     \
}

LAMINA_DEFINE_PACK_X86(d, double, __m512d, _mm512_set1_pd, lamina_dtranspose8)
LAMINA_DEFINE_PACK_X86(s, float, __m256, _mm256_set1_ps, lamina_stranspose8)
#else
#define LAMINA_HAVE_PACK_X86 0
#endif
#endif /* LAMINA_PACK_X86_H */
