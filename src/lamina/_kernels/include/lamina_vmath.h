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
 * No -ffast-math anywhere: the special-value selects rely on IEEE comparisons.
 */
#ifndef LAMINA_VMATH_H
#define LAMINA_VMATH_H

#include <stdint.h>
#include <math.h>

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

#endif /* LAMINA_VMATH_H */
