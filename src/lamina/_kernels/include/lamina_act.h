/*
 * lamina_act.h -- element-wise activations that need exp: sigmoid and tanh, float32 and
 * float64, every ISA (see lamina_per_isa.h).
 *
 * Both are one `omp simd` loop over lamina_vmath.h's vectorizable exp, with selects
 * instead of branches, so an AVX-512 build evaluates 16 floats (8 doubles) at a time
 * where libm would take one element and a mispredicted branch per element.
 *   sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) otherwise, e = exp(-|x|) <= 1:
 *     neither form overflows, and the small tail keeps its relative accuracy.
 *   tanh(x) = sign(x) * (-t / (t + 2)), t = expm1(-2|x|) in [-1, 0]: no cancellation near
 *     0 (expm1), no overflow for large |x| (the argument is never positive).
 * Both propagate NaN.  Accuracy: a few ulp (exp/expm1 <= 2 ulp, one division).
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

#define LAMINA_ACT_INSTANTIATE                                                            \
    LAMINA_ACT_BODY(d, double, lamina_vexp_nonpos_d, lamina_vexpm1_d, 1.0, 2.0)           \
    LAMINA_ACT_BODY(s, float, lamina_vexp_nonpos_s, lamina_vexpm1_s, 1.0f, 2.0f)

#define LISA generic
#define LATTR LAMINA_TARGET_GENERIC
LAMINA_ACT_INSTANTIATE
#undef LISA
#undef LATTR
#define LISA avx2
#define LATTR LAMINA_TARGET_AVX2
LAMINA_ACT_INSTANTIATE
#undef LISA
#undef LATTR
#define LISA avx512
#define LATTR LAMINA_TARGET_AVX512
LAMINA_ACT_INSTANTIATE
#undef LISA
#undef LATTR

#define LAMINA_ACT_DISPATCH(P, NAME, isa, n, x, out)                                      \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##act_##NAME##_avx512(n, x, out)              \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##act_##NAME##_avx2(n, x, out)                \
                                : lamina_##P##act_##NAME##_generic(n, x, out))

static inline void lamina_dact_sigmoid(int isa, ptrdiff_t n, const double *x, double *out)
{ LAMINA_ACT_DISPATCH(d, sigmoid, isa, n, x, out); }
static inline void lamina_sact_sigmoid(int isa, ptrdiff_t n, const float *x, float *out)
{ LAMINA_ACT_DISPATCH(s, sigmoid, isa, n, x, out); }
static inline void lamina_dact_tanh(int isa, ptrdiff_t n, const double *x, double *out)
{ LAMINA_ACT_DISPATCH(d, tanh, isa, n, x, out); }
static inline void lamina_sact_tanh(int isa, ptrdiff_t n, const float *x, float *out)
{ LAMINA_ACT_DISPATCH(s, tanh, isa, n, x, out); }

#endif /* LAMINA_ACT_H */
