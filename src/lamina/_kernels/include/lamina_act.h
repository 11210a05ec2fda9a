/*
 * lamina_act.h -- element-wise activations that need exp: sigmoid and tanh, float32 and
 * float64, and float32 GELU, every ISA (the bodies below, instantiated by
 * lamina_act_impl.h through lamina_per_isa.h).
 *
 * Both are one `omp simd` loop over lamina_vmath.h's vectorizable exp, with selects
 * instead of branches, so an AVX-512 build evaluates 16 floats (8 doubles) at a time
 * where libm would take one element and a mispredicted branch per element.
 *   sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) otherwise, e = exp(-|x|) <= 1:
 *     neither form overflows, and the small tail keeps its relative accuracy.
 *   tanh(x) = sign(x) * (-t / (t + 2)), t = expm1(-2|x|) in [-1, 0]: no cancellation near
 *     0 (expm1), no overflow for large |x| (the argument is never positive).
 * Both propagate NaN.  Accuracy: a few ulp (exp/expm1 <= 2 ulp, one division).
 *
 * GELU in float32, x Phi(x) and its derivative Phi(x) + x phi(x), with the normal CDF
 * Phi(x) = erfc(-x / sqrt 2) / 2 from Chebyshev-fitted erfc (Press et al., Numerical
 * Recipes, 2nd ed., sec. 6.2: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0,
 * fractional error below 1.2e-7 everywhere, so the tail keeps its relative accuracy),
 * evaluated in double so that exp's argument -z^2 loses nothing: about one float ulp.
 * float64 GELU keeps libm's erf (this fit is float-accurate only).
 */
#ifndef LAMINA_ACT_H
#define LAMINA_ACT_H

#include <stddef.h>
#include <math.h>
#include "lamina_cpu.h"
#include "lamina_vmath.h"

/* lamina_<P>act_<NAME>_<ISA>, with LISA expanded first */
#define LAMINA_ACT_FN_(P, NAME, ISA) lamina_##P##act_##NAME##_##ISA
#define LAMINA_ACT_FN(P, NAME, ISA) LAMINA_ACT_FN_(P, NAME, ISA)

#define LAMINA_ACT_BODY(P, T, LVE, LVM1, ONE, TWO)                                        \
LATTR static void LAMINA_ACT_FN(P, sigmoid, LISA)(ptrdiff_t n, const T *x, T *out)       \
{                                                                                         \
    _Pragma("omp simd")                                                                   \
    for (ptrdiff_t i = 0; i < n; ++i) {                                                   \
        T v = x[i];                                                                       \
        T e = LVE(v > 0 ? -v : v);               /* exp(-|x|); NaN stays NaN */           \
        T d = ONE + e;                                                                    \
        out[i] = v >= 0 ? ONE / d : e / d;                                                \
    }                                                                                     \
}                                                                                         \
LATTR static void LAMINA_ACT_FN(P, tanh, LISA)(ptrdiff_t n, const T *x, T *out)          \
{                                                                                         \
    _Pragma("omp simd")                                                                   \
    for (ptrdiff_t i = 0; i < n; ++i) {                                                   \
        T v = x[i];                                                                       \
        T a = v > 0 ? v : -v;                                                             \
        T t = LVM1(-TWO * a);                                                             \
        T r = -t / (t + TWO);                                                             \
        out[i] = v < 0 ? -r : (v > 0 ? r : v);   /* +-0 and NaN pass through */         \
    }                                                                                     \
}

/* Phi(x) for float x, in double (see the header comment). */
#define LAMINA_ACT_PHI(xd, phi)                                                           \
    do {                                                                                  \
        double z_ = -(xd) * 0.70710678118654752440;                                       \
        double a_ = z_ > 0 ? z_ : -z_;                                                    \
        double t_ = 1.0 / (1.0 + 0.5 * a_);                                               \
        double p_ = -1.26551223 + t_ * (1.00002368 + t_ * (0.37409196 + t_ * (0.09678418  \
                    + t_ * (-0.18628806 + t_ * (0.27886807 + t_ * (-1.13520398           \
                    + t_ * (1.48851587 + t_ * (-0.82215223 + t_ * 0.17087277))))))));     \
        double e_ = t_ * lamina_vexp_d(p_ - a_ * a_);        /* erfc(|z|) */              \
        (phi) = 0.5 * (z_ >= 0 ? e_ : 2.0 - e_);                                         \
    } while (0)

#define LAMINA_ACT_GELU_BODY                                                              \
LATTR static void LAMINA_ACT_FN(s, gelu, LISA)(ptrdiff_t n, const float *x, float *out)  \
{                                                                                         \
    _Pragma("omp simd")                                                                   \
    for (ptrdiff_t i = 0; i < n; ++i) {                                                   \
        double v = x[i], phi;                                                             \
        LAMINA_ACT_PHI(v, phi);                                                           \
        out[i] = (float)(v * phi);                                                        \
    }                                                                                     \
}                                                                                         \
LATTR static void LAMINA_ACT_FN(s, gelu_grad, LISA)(ptrdiff_t n, const float *x,         \
                                                    const float *grad, float *out)        \
{                                                                                         \
    _Pragma("omp simd")                                                                   \
    for (ptrdiff_t i = 0; i < n; ++i) {                                                   \
        double v = x[i], phi;                                                             \
        LAMINA_ACT_PHI(v, phi);                                                           \
        double pdf = lamina_vexp_d(-0.5 * v * v) * 0.39894228040143267794;               \
        out[i] = (float)((double)grad[i] * (phi + v * pdf));                              \
    }                                                                                     \
}

/* One copy of every kernel per ISA (lamina_per_isa.h includes the body three times). */
#define LAMINA_PER_ISA_BODY "lamina_act_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY

#define LAMINA_ACT_DISPATCH(P, NAME, isa, ...)                                            \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##act_##NAME##_avx512(__VA_ARGS__)            \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##act_##NAME##_avx2(__VA_ARGS__)              \
                                : lamina_##P##act_##NAME##_generic(__VA_ARGS__))

static inline void lamina_dact_sigmoid(int isa, ptrdiff_t n, const double *x, double *out)
{ LAMINA_ACT_DISPATCH(d, sigmoid, isa, n, x, out); }
static inline void lamina_sact_sigmoid(int isa, ptrdiff_t n, const float *x, float *out)
{ LAMINA_ACT_DISPATCH(s, sigmoid, isa, n, x, out); }
static inline void lamina_dact_tanh(int isa, ptrdiff_t n, const double *x, double *out)
{ LAMINA_ACT_DISPATCH(d, tanh, isa, n, x, out); }
static inline void lamina_sact_tanh(int isa, ptrdiff_t n, const float *x, float *out)
{ LAMINA_ACT_DISPATCH(s, tanh, isa, n, x, out); }
static inline void lamina_sact_gelu(int isa, ptrdiff_t n, const float *x, float *out)
{ LAMINA_ACT_DISPATCH(s, gelu, isa, n, x, out); }
static inline void lamina_sact_gelu_grad(int isa, ptrdiff_t n, const float *x,
                                         const float *grad, float *out)
{ LAMINA_ACT_DISPATCH(s, gelu_grad, isa, n, x, grad, out); }

#endif /* LAMINA_ACT_H */
