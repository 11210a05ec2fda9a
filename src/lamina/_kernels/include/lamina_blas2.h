/*
 * lamina_blas2.h -- level-2 BLAS kernels (gemv, ger), float32 and float64, per ISA.
 *
 * gemv:  y = alpha*A*x + beta*y.  Row-major A uses the dot form (one pass over each row);
 *        column-major A uses the axpy form, four columns per sweep over y.  Both are
 *        memory-bound (2 flops per element of A), so the speed is the bandwidth of reading A.
 * ger:   A += alpha*x*y^T (or A = alpha*x*y^T for `outer`), row or column form by layout.
 * The Cython layer splits rows into per-thread blocks above a size threshold.
 */
#ifndef LAMINA_BLAS2_H
#define LAMINA_BLAS2_H

#include <stddef.h>
#include "lamina_cpu.h"

#define LT double
#define LP d
#define LACC 32
#define LAMINA_PER_ISA_BODY "lamina_blas2_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP
#undef LACC

#define LT float
#define LP s
#define LACC 64
#define LAMINA_PER_ISA_BODY "lamina_blas2_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP
#undef LACC

#define LAMINA_DISPATCH2(P, name, isa, ...)                                 \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##name##_avx512(__VA_ARGS__)    \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##name##_avx2(__VA_ARGS__)      \
                                : lamina_##P##name##_generic(__VA_ARGS__))

#define LAMINA_DEFINE_BLAS2_DISPATCH(P, T)                                                      \
static inline void lamina_##P##gemv_rows(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, T alpha,     \
        const T *A, ptrdiff_t rs, ptrdiff_t cs, const T *x, T beta, T *y, int isa)             \
{ LAMINA_DISPATCH2(P, gemv_rows, isa, i0, i1, n, alpha, A, rs, cs, x, beta, y); }              \
static inline void lamina_##P##ger_rows(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, T alpha,      \
        const T *x, const T *y, T *A, ptrdiff_t rs, ptrdiff_t cs, int accumulate, int isa)     \
{ LAMINA_DISPATCH2(P, ger_rows, isa, i0, i1, n, alpha, x, y, A, rs, cs, accumulate); }

LAMINA_DEFINE_BLAS2_DISPATCH(d, double)
LAMINA_DEFINE_BLAS2_DISPATCH(s, float)

#endif /* LAMINA_BLAS2_H */
