/*
 * lamina_vmath.h -- exp and log written so that `#pragma omp simd` loops vectorize them.
 *
 * Each function is branch-free straight-line C (integer bit manipulation through
 * __builtin_memcpy, selects instead of branches) and always inlined, so a loop compiled
 * under LAMINA_TARGET_AVX512 gets a 16-lane float / 8-lane double exp, under AVX2 half that,
 * and the generic build whatever its baseline offers.  libm's exp is a scalar call and
 * stops the vectorizer; that, not memory, is what bounds scikit-learn's losses.
 *
 * exp(x): Cody & Waite range reduction x = k ln2 + r, |r| <= ln2/2, with ln2 split in a
 *   high part whose product with k is exact and a low correction, then a Taylor polynomial
 *   of degree 13 (double) / 7 (float) in Horner form, truncation error below 2^-60 / 2^-27
 *   relative; measured error at most 2 ulp over the whole range.  2^k is applied as two
 *   exactly representable factors 2^(k/2) 2^(k-k/2), so results in the subnormal range
 *   are right as well (one extra rounding there).  Special values: exp(-inf) = 0,
 *   x below the underflow threshold -> 0, x above the overflow threshold -> +inf,
 *   NaN -> NaN.
 * log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f),
 *   log(m) = 2 atanh(s) = 2s + 2s(s^2/3 + s^4/5 + ...) (|s| <= 0.172, series to s^23 /
 *   s^11), plus e ln2 in two parts.  Measured error at most 2 ulp.  Subnormal x is scaled
 *   by 2^54 / 2^24 first.  log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, NaN -> NaN.
 *
 * expm1 and log1p reuse these pieces so that losses near zero (log-cosh, softplus) keep
 * their relative accuracy instead of cancelling.
 *
 * exp_nonpos(x): exp for x <= 0 (and -inf, NaN), the softmax's exp(x_j - max).  The same
 *   reduction and polynomial as exp, with what the domain makes unnecessary left out: no
 *   overflow select, no NaN select (NaN propagates through the arithmetic), and one
 *   scaling instead of two: the clamp at -746 / -104 keeps k + 600 (k + 64) a normal
 *   exponent, and the constant factor 2^-600 (2^-64) rounds once into the subnormal range
 *   and is exact elsewhere; exp of the clamp value rounds to 0, so -inf and every x below
 *   the underflow threshold give 0 without a select.  Measured error at most 1.1 ulp,
 *   subnormal results included; with FMA contraction it costs about half of exp.
 *
 * exp_nonpos_pd512 (AVX-512, double): the softmax's hottest loop, written with intrinsics
 *   because it needs a table.  x = (k/16) ln2 + r with |r| <= ln2/32, exp(x) =
 *   2^floor(k/16) * 2^((k mod 16)/16) * exp(r): the 16 table entries 2^(j/16), each as a
 *   double plus its rounding error, sit in two registers pairs and are picked with one
 *   vpermt2pd each; exp(r) - 1 is a Taylor polynomial of degree 7 (truncation below
 *   2^-59 relative); the power of two is applied by vscalefpd, which rounds once into the
 *   subnormal range.  Six fewer multiply-adds than exp_nonpos and one rounding fewer
 *   (T + T p is formed as T_hi + (T_hi p + T_lo)); measured error at most 1 ulp.  Same
 *   domain and special values as exp_nonpos.
 *
 * No -ffast-math anywhere: the special-value selects rely on IEEE comparisons.
 */
#ifndef LAMINA_VMATH_H
#define LAMINA_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include "lamina_cpu.h"

#define LAMINA_VINLINE static inline __attribute__((always_inline))

LAMINA_VINLINE double lamina_as_double(uint64_t u) { double d; __builtin_memcpy(&d, &u, 8); return d; }
LAMINA_VINLINE uint64_t lamina_as_u64(double d) { uint64_t u; __builtin_memcpy(&u, &d, 8); return u; }
LAMINA_VINLINE float lamina_as_float(uint32_t u) { float f; __builtin_memcpy(&f, &u, 4); return f; }
LAMINA_VINLINE uint32_t lamina_as_u32(float f) { uint32_t u; __builtin_memcpy(&u, &f, 4); return u; }

/* The shared core of exp, exp for x <= 0 and expm1: xc = k ln2 + r with |r| <= ln2 / 2
 * (Cody-Waite: k ln2_hi is exact), and expm1(r) by its Taylor polynomial with the small
 * first term kept apart.  xc must already be clamped to the caller's finite range. */
LAMINA_VINLINE double lamina_exp_core_d(double xc, int64_t *k_out)
{
    const double shifter = 0x1.8p52;           /* adding it rounds to an integer, kept in the low bits */
    const double ln2_hi = 0x1.62e42fee00000p-1; /* 32 significant bits: k * ln2_hi is exact */
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    double kd = xc * 0x1.71547652b82fep0 + shifter;
    int64_t k = (int64_t)(lamina_as_u64(kd) - lamina_as_u64(shifter));
    kd -= shifter;
    double r = (xc - kd * ln2_hi) - kd * ln2_lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    *k_out = k;
    return p * r * r + r;
}

LAMINA_VINLINE float lamina_exp_core_s(float xc, int32_t *k_out)
{
    const float shifter = 0x1.8p23f;
    const float ln2_hi = 0x1.62e4p-1f;          /* 16 significant bits: k * ln2_hi exact */
    const float ln2_lo = 0x1.7f7d1cp-20f;
    float kd = xc * 0x1.715476p0f + shifter;
    int32_t k = (int32_t)(lamina_as_u32(kd) - lamina_as_u32(shifter));
    kd -= shifter;
    float r = (xc - kd * ln2_hi) - kd * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    *k_out = k;
    return p * r * r + r;
}

/* ---- double ------------------------------------------------------------------------ */

LAMINA_VINLINE double lamina_vexp_d(double x)
{
    double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);   /* NaN falls through */
    int64_t k;
    double p = lamina_exp_core_d(xc, &k);   /* expm1(r), x = k ln2 + r */
    int64_t k1 = k >> 1, k2 = k - k1;
    double s1 = lamina_as_double((uint64_t)(k1 + 1023) << 52);
    double s2 = lamina_as_double((uint64_t)(k2 + 1023) << 52);
    double y = ((1.0 + p) * s1) * s2;
    y = x > 0x1.62e42fefa39efp9 ? (double)INFINITY : y;
    y = x < -0x1.74910d52d3051p9 ? 0.0 : y;
    return x != x ? x : y;
}

LAMINA_VINLINE double lamina_vlog_d(double x)
{
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    int sub = x < 0x1p-1022;
    double xs = sub ? x * 0x1p54 : x;
    uint64_t u = lamina_as_u64(xs);
    /* Shift the mantissa range to [sqrt(1/2), sqrt(2)) by adding the offset of sqrt(1/2)'s
     * bits before splitting exponent and mantissa. */
    uint64_t t = u - 0x3fe6a09e667f3bcdULL;
    int64_t e = (int64_t)t >> 52;               /* arithmetic shift: x < sqrt(1/2) gives e < 0 */
    uint64_t mbits = (t & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL;
    double m = lamina_as_double(mbits);
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double q = 2.0 / 23.0;
    q = q * z + 2.0 / 21.0;
    q = q * z + 2.0 / 19.0;
    q = q * z + 2.0 / 17.0;
    q = q * z + 2.0 / 15.0;
    q = q * z + 2.0 / 13.0;
    q = q * z + 2.0 / 11.0;
    q = q * z + 2.0 / 9.0;
    q = q * z + 2.0 / 7.0;
    q = q * z + 2.0 / 5.0;
    q = q * z + 2.0 / 3.0;
    /* log(m) = f - s*f + s*z*q  (2s = f - s*f exactly in real arithmetic) */
    double hfsq = 0.5 * f * f;
    double lm = f - (hfsq - s * (hfsq + z * q));
    double en = (double)(e - (sub ? 54 : 0));
    double y = en * ln2_hi + (lm + en * ln2_lo);
    y = x == 0.0 ? -(double)INFINITY : y;
    y = x < 0.0 ? (double)NAN : y;
    y = x == (double)INFINITY ? x : y;
    return x != x ? x : y;
}

/* exp(x) for x <= 0, -inf or NaN (see the header comment; x > 0 is outside the domain). */
LAMINA_VINLINE double lamina_vexp_nonpos_d(double x)
{
    double xc = x < -746.0 ? -746.0 : x;        /* NaN falls through and propagates */
    int64_t k;
    double p = lamina_exp_core_d(xc, &k);   /* expm1(r), x = k ln2 + r */
    double s = lamina_as_double((uint64_t)(k + 600 + 1023) << 52);   /* k >= -1077 */
    return ((1.0 + p) * s) * 0x1p-600;
}

/* expm1(x) = 2^k (1 + p) - 1 = 2^k p + (2^k - 1) with the same reduction as exp: for k = 0
 * this is p itself (no cancellation near 0); 2^k - 1 is exact for |k| <= 53. */
LAMINA_VINLINE double lamina_vexpm1_d(double x)
{
    double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
    int64_t k;
    double p = lamina_exp_core_d(xc, &k);   /* expm1(r), x = k ln2 + r */
    int64_t k1 = k >> 1, k2 = k - k1;
    double s = lamina_as_double((uint64_t)(k1 + 1023) << 52)
             * lamina_as_double((uint64_t)(k2 + 1023) << 52);
    double y = s * p + (s - 1.0);
    y = x > 0x1.62e42fefa39efp9 ? (double)INFINITY : y;
    return x != x ? x : y;
}

/* log1p(y) = log(u) + (y - (u - 1)) / u with u = 1 + y rounded: the correction restores
 * what the rounding of u lost, so tiny y keeps full relative accuracy. */
LAMINA_VINLINE double lamina_vlog1p_d(double y)
{
    double u = 1.0 + y;
    double lu = lamina_vlog_d(u);
    double safe_u = u > 0 ? u : 1.0;             /* no 0/0 when y = -1 */
    double c = u == 1.0 ? y : lu + (y - (u - 1.0)) / safe_u;
    return (u > 0 && u < (double)INFINITY) ? c : lu;  /* -inf, NaN, +inf as log */
}

/* ---- float ------------------------------------------------------------------------- */

LAMINA_VINLINE float lamina_vexp_s(float x)
{
    float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    int32_t k;
    float p = lamina_exp_core_s(xc, &k);     /* expm1(r), x = k ln2 + r */
    int32_t k1 = k >> 1, k2 = k - k1;
    float s1 = lamina_as_float((uint32_t)(k1 + 127) << 23);
    float s2 = lamina_as_float((uint32_t)(k2 + 127) << 23);
    float y = ((1.0f + p) * s1) * s2;
    y = x > 0x1.62e42ep6f ? INFINITY : y;
    y = x < -0x1.9fe368p6f ? 0.0f : y;
    return x != x ? x : y;
}

LAMINA_VINLINE float lamina_vlog_s(float x)
{
    const float ln2_hi = 0x1.62e4p-1f;
    const float ln2_lo = 0x1.7f7d1cp-20f;
    int sub = x < 0x1p-126f;
    float xs = sub ? x * 0x1p24f : x;
    uint32_t u = lamina_as_u32(xs);
    uint32_t t = u - 0x3f3504f3u;
    int32_t e = (int32_t)t >> 23;
    uint32_t mbits = (t & 0x007fffffu) + 0x3f3504f3u;
    float m = lamina_as_float(mbits);
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float q = 2.0f / 11.0f;
    q = q * z + 2.0f / 9.0f;
    q = q * z + 2.0f / 7.0f;
    q = q * z + 2.0f / 5.0f;
    q = q * z + 2.0f / 3.0f;
    float hfsq = 0.5f * f * f;
    float lm = f - (hfsq - s * (hfsq + z * q));
    float en = (float)(e - (sub ? 24 : 0));
    float y = en * ln2_hi + (lm + en * ln2_lo);
    y = x == 0.0f ? -INFINITY : y;
    y = x < 0.0f ? NAN : y;
    y = x == INFINITY ? x : y;
    return x != x ? x : y;
}

/* exp(x) for x <= 0, -inf or NaN (see the header comment). */
LAMINA_VINLINE float lamina_vexp_nonpos_s(float x)
{
    float xc = x < -104.0f ? -104.0f : x;       /* NaN falls through and propagates */
    int32_t k;
    float p = lamina_exp_core_s(xc, &k);     /* expm1(r), x = k ln2 + r */
    float s = lamina_as_float((uint32_t)(k + 64 + 127) << 23);         /* k >= -150 */
    return ((1.0f + p) * s) * 0x1p-64f;
}

LAMINA_VINLINE float lamina_vexpm1_s(float x)
{
    float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    int32_t k;
    float p = lamina_exp_core_s(xc, &k);     /* expm1(r), x = k ln2 + r */
    int32_t k1 = k >> 1, k2 = k - k1;
    float s = lamina_as_float((uint32_t)(k1 + 127) << 23) * lamina_as_float((uint32_t)(k2 + 127) << 23);
    float y = s * p + (s - 1.0f);
    y = x > 0x1.62e42ep6f ? INFINITY : y;
    return x != x ? x : y;
}

LAMINA_VINLINE float lamina_vlog1p_s(float y)
{
    float u = 1.0f + y;
    float lu = lamina_vlog_s(u);
    float safe_u = u > 0 ? u : 1.0f;
    float c = u == 1.0f ? y : lu + (y - (u - 1.0f)) / safe_u;
    return (u > 0 && u < INFINITY) ? c : lu;
}

#if LAMINA_X86
#include <immintrin.h>

/* exp(d) for d <= 0, -inf or NaN, 8 lanes (see the header comment). */
LAMINA_TARGET_AVX512 static inline __m512d lamina_exp_nonpos_pd512(__m512d d)
{
    const __m512d t_hi0 = _mm512_setr_pd(
        0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
        0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0);
    const __m512d t_hi1 = _mm512_setr_pd(
        0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
        0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0);
    const __m512d t_lo0 = _mm512_setr_pd(
        0.0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
        0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54);
    const __m512d t_lo1 = _mm512_setr_pd(
        -0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56,
        0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54);
    const __m512d shifter = _mm512_set1_pd(0x1.8p52);
    /* ln2 / 16 in a 32-bit high part (k ln2_hi / 16 exact for |k| < 2^21) and the rest */
    const __m512d ln2_16_hi = _mm512_set1_pd(0x1.62e42fee00000p-5);
    const __m512d ln2_16_lo = _mm512_set1_pd(0x1.a39ef35793c76p-37);
    /* below -746 (and -inf) the result rounds to 0: zero those lanes; NaN is kept */
    __mmask8 live = _mm512_cmp_pd_mask(d, _mm512_set1_pd(-746.0), _CMP_NLT_UQ);
    __m512d kd = _mm512_fmadd_pd(d, _mm512_set1_pd(0x1.71547652b82fep4), shifter);
    __m512i j = _mm512_castpd_si512(kd);        /* k in the low bits; vpermt2pd reads 4 */
    kd = _mm512_sub_pd(kd, shifter);
    __m512d r = _mm512_fnmadd_pd(kd, ln2_16_hi, d);
    r = _mm512_fnmadd_pd(kd, ln2_16_lo, r);
    __m512d p = _mm512_set1_pd(1.0 / 5040.0);
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 720.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 120.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 24.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 6.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
    p = _mm512_fmadd_pd(p, _mm512_mul_pd(r, r), r);          /* exp(r) - 1 */
    __m512d t_hi = _mm512_permutex2var_pd(t_hi0, j, t_hi1);
    __m512d t_lo = _mm512_permutex2var_pd(t_lo0, j, t_lo1);
    __m512d y = _mm512_add_pd(t_hi, _mm512_fmadd_pd(t_hi, p, t_lo));
    __m512d e = _mm512_roundscale_pd(_mm512_mul_pd(kd, _mm512_set1_pd(1.0 / 16.0)),
                                     _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    return _mm512_maskz_scalef_pd(live, y, e);
}

LAMINA_TARGET_AVX512 static void lamina_dexp_nonpos_pd512_array_(ptrdiff_t n, const double *x,
                                                                double *out)
{
    for (ptrdiff_t i = 0; i < n; i += 8) {
        __mmask8 m = n - i >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_pd(out + i, m,
                              lamina_exp_nonpos_pd512(_mm512_maskz_loadu_pd(m, x + i)));
    }
}
#endif

/* For tests: out = exp_nonpos_pd512(x) elementwise; returns -1 (out untouched) when this
 * build or CPU has no AVX-512. */
static inline int lamina_dexp_nonpos_pd512_array(ptrdiff_t n, const double *x, double *out)
{
#if LAMINA_X86
    if (!lamina_cpu_supports(LAMINA_ISA_AVX512)) return -1;
    lamina_dexp_nonpos_pd512_array_(n, x, out);
    return 0;
#else
    (void)n; (void)x; (void)out;
    return -1;
#endif
}

#endif /* LAMINA_VMATH_H */
