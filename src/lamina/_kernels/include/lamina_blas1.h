/*
 * lamina_blas1.h -- level-1 BLAS kernels (dot, axpy, scal, nrm2, asum, iamax), float32 and
 * float64, compiled for every ISA and dispatched on the `isa` argument at run time.
 *
 * Algorithms and guarantees:
 *   dot, asum   blocked sums with LACC independent accumulators; error <= n*eps*sum|x_i y_i|.
 *   nrm2        one pass computing sum(x^2) and max|x|; if that sum overflowed or the
 *               largest element is small enough that squares may have underflowed, a
 *               second pass rescales by a power of two (exact) so the result neither
 *               overflows nor underflows -- the guarantee of reference BLAS's scaled
 *               nrm2 (Blue 1978; Anderson 2017) at one pass for ordinary data.
 *   iamax       first index of the largest |x_i|; if any element is NaN, the first NaN
 *               (NumPy's argmax convention, so a NaN is never silently skipped).
 */
#ifndef LAMINA_BLAS1_H
#define LAMINA_BLAS1_H

#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include "lamina_cpu.h"

#define LFABS(v) ((v) < 0 ? -(v) : (v))

#define LT double
#define LP d
#define LACC 32
#define LAMINA_PER_ISA_BODY "lamina_blas1_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP
#undef LACC

#define LT float
#define LP s
#define LACC 64
#define LAMINA_PER_ISA_BODY "lamina_blas1_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP
#undef LACC

/* Run-time dispatch: one switch per call, negligible beside the loop. */
#define LAMINA_DISPATCH(P, name, isa, ...)                                  \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##name##_avx512(__VA_ARGS__)    \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##name##_avx2(__VA_ARGS__)      \
                                : lamina_##P##name##_generic(__VA_ARGS__))

/*
 * Threading: vectors of at least LAMINA_L1_PARALLEL_MIN elements are cut into fixed chunks
 * of LAMINA_L1_CHUNK elements; threads take chunks, and reductions add the per-chunk
 * partial results in chunk order.  The chunking depends on n only, so results are
 * bitwise identical for every thread count.  (Measured on the 2-core development machine:
 * one core reads about 12 GB/s, two about 18 GB/s, so large vectors gain ~1.4x.)
 */
#define LAMINA_L1_CHUNK ((ptrdiff_t)8192)
#define LAMINA_L1_PARALLEL_MIN ((ptrdiff_t)1 << 15)
#define LAMINA_L1_MAX_CHUNKS_ON_STACK 256

#define LAMINA_DEFINE_BLAS1_DISPATCH(P, T, MIN_EXP, SMALL_EXP)                                  \
static inline T lamina_##P##dot1(ptrdiff_t n, const T *x, ptrdiff_t incx, const T *y,           \
                                 ptrdiff_t incy, int isa)                                       \
{ return LAMINA_DISPATCH(P, dot, isa, n, x, incx, y, incy); }                                   \
static inline T lamina_##P##asum1(ptrdiff_t n, const T *x, ptrdiff_t incx, int isa)             \
{ return LAMINA_DISPATCH(P, asum, isa, n, x, incx); }                                           \
/* Chunked reduction of f over [0, n): partial results summed in chunk order. */               \
static inline T lamina_##P##dot(ptrdiff_t n, const T *x, ptrdiff_t incx, const T *y,            \
                                ptrdiff_t incy, int isa, int nt)                                \
{                                                                                               \
    T stack[LAMINA_L1_MAX_CHUNKS_ON_STACK], *part, s = 0;                                       \
    ptrdiff_t c, nc;                                                                            \
    if (n < LAMINA_L1_PARALLEL_MIN) return lamina_##P##dot1(n, x, incx, y, incy, isa);          \
    nc = (n + LAMINA_L1_CHUNK - 1) / LAMINA_L1_CHUNK;                                           \
    part = nc <= LAMINA_L1_MAX_CHUNKS_ON_STACK ? stack : (T *)malloc(nc * sizeof(T));           \
    if (!part) { nt = 1; part = NULL; }                                                         \
    if (!part) { /* no memory for partials: same chunk order, serially */                       \
        for (c = 0; c < nc; ++c) {                                                              \
            ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
            s += lamina_##P##dot1(len, x + i0 * incx, incx, y + i0 * incy, incy, isa);         \
        }                                                                                       \
        return s;                                                                               \
    }                                                                                           \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                                \
    for (c = 0; c < nc; ++c) {                                                                  \
        ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
        part[c] = lamina_##P##dot1(len, x + i0 * incx, incx, y + i0 * incy, incy, isa);        \
    }                                                                                           \
    for (c = 0; c < nc; ++c) s += part[c];                                                      \
    if (part != stack) free(part);                                                              \
    return s;                                                                                   \
}                                                                                               \
static inline T lamina_##P##asum(ptrdiff_t n, const T *x, ptrdiff_t incx, int isa, int nt)      \
{                                                                                               \
    T stack[LAMINA_L1_MAX_CHUNKS_ON_STACK], *part, s = 0;                                       \
    ptrdiff_t c, nc;                                                                            \
    if (n < LAMINA_L1_PARALLEL_MIN) return lamina_##P##asum1(n, x, incx, isa);                  \
    nc = (n + LAMINA_L1_CHUNK - 1) / LAMINA_L1_CHUNK;                                           \
    part = nc <= LAMINA_L1_MAX_CHUNKS_ON_STACK ? stack : (T *)malloc(nc * sizeof(T));           \
    if (!part) nt = 1, part = NULL;                                                             \
    if (!part) {                                                                                \
        for (c = 0; c < nc; ++c) {                                                              \
            ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
            s += lamina_##P##asum1(len, x + i0 * incx, incx, isa);                              \
        }                                                                                       \
        return s;                                                                               \
    }                                                                                           \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                                \
    for (c = 0; c < nc; ++c) {                                                                  \
        ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
        part[c] = lamina_##P##asum1(len, x + i0 * incx, incx, isa);                             \
    }                                                                                           \
    for (c = 0; c < nc; ++c) s += part[c];                                                      \
    if (part != stack) free(part);                                                              \
    return s;                                                                                   \
}                                                                                               \
static inline void lamina_##P##axpy(ptrdiff_t n, T alpha, const T *x, ptrdiff_t incx, T *y,     \
                                    ptrdiff_t incy, int isa, int nt)                            \
{                                                                                               \
    ptrdiff_t c, nc;                                                                            \
    if (n < LAMINA_L1_PARALLEL_MIN || nt <= 1) {                                                \
        LAMINA_DISPATCH(P, axpy, isa, n, alpha, x, incx, y, incy);                              \
        return;                                                                                 \
    }                                                                                           \
    nc = (n + LAMINA_L1_CHUNK - 1) / LAMINA_L1_CHUNK;                                           \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                                \
    for (c = 0; c < nc; ++c) {                                                                  \
        ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
        LAMINA_DISPATCH(P, axpy, isa, len, alpha, x + i0 * incx, incx, y + i0 * incy, incy);    \
    }                                                                                           \
}                                                                                               \
static inline void lamina_##P##scal(ptrdiff_t n, T alpha, T *x, ptrdiff_t incx, int isa, int nt) \
{                                                                                               \
    ptrdiff_t c, nc;                                                                            \
    if (n < LAMINA_L1_PARALLEL_MIN || nt <= 1) {                                                \
        LAMINA_DISPATCH(P, scal, isa, n, alpha, x, incx);                                       \
        return;                                                                                 \
    }                                                                                           \
    nc = (n + LAMINA_L1_CHUNK - 1) / LAMINA_L1_CHUNK;                                           \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                                \
    for (c = 0; c < nc; ++c) {                                                                  \
        ptrdiff_t i0 = c * LAMINA_L1_CHUNK, len = n - i0 < LAMINA_L1_CHUNK ? n - i0 : LAMINA_L1_CHUNK; \
        LAMINA_DISPATCH(P, scal, isa, len, alpha, x + i0 * incx, incx);                         \
    }                                                                                           \
}                                                                                               \
/* sum((scale*x)^2) and max|x| over fixed chunks, combined in chunk order. */                 \
static inline T lamina_##P##sumsq_amax_mt(ptrdiff_t n, const T *x, ptrdiff_t incx, T scale,   \
                                          T *amax, int isa, int nt)                             \
{                                                                                               \
    T ss[LAMINA_L1_MAX_CHUNKS_ON_STACK], mm[LAMINA_L1_MAX_CHUNKS_ON_STACK], s = 0, m = 0;      \
    ptrdiff_t c, nc, i0;                                                                        \
    if (n < LAMINA_L1_PARALLEL_MIN)                                                             \
        return LAMINA_DISPATCH(P, sumsq_amax, isa, n, x, incx, scale, amax);                    \
    nc = (n + LAMINA_L1_CHUNK - 1) / LAMINA_L1_CHUNK;                                           \
    for (i0 = 0; i0 < nc; i0 += LAMINA_L1_MAX_CHUNKS_ON_STACK) {                                \
        ptrdiff_t cend = nc - i0 < LAMINA_L1_MAX_CHUNKS_ON_STACK ? nc - i0                      \
                                                                 : LAMINA_L1_MAX_CHUNKS_ON_STACK; \
        _Pragma("omp parallel for num_threads(nt) schedule(static)")                            \
        for (c = 0; c < cend; ++c) {                                                            \
            ptrdiff_t j0 = (i0 + c) * LAMINA_L1_CHUNK;                                          \
            ptrdiff_t len = n - j0 < LAMINA_L1_CHUNK ? n - j0 : LAMINA_L1_CHUNK;                \
            ss[c] = LAMINA_DISPATCH(P, sumsq_amax, isa, len, x + j0 * incx, incx, scale, &mm[c]); \
        }                                                                                       \
        for (c = 0; c < cend; ++c) { s += ss[c]; m = mm[c] > m ? mm[c] : m; }                   \
    }                                                                                           \
    *amax = m;                                                                                  \
    return s;                                                                                   \
}                                                                                               \
static inline T lamina_##P##nrm2(ptrdiff_t n, const T *x, ptrdiff_t incx, int isa, int nt)      \
{                                                                                               \
    T amax, ssq, scale;                                                                         \
    int e;                                                                                      \
    if (n <= 0) return 0;                                                                       \
    ssq = lamina_##P##sumsq_amax_mt(n, x, incx, (T)1, &amax, isa, nt);                          \
    if (ssq != ssq) return ssq;                 /* NaN in, NaN out */                           \
    if (isinf(amax)) return amax;               /* +Inf, as reference BLAS */                   \
    if (amax == 0) return 0;                                                                    \
    if (!isinf(ssq) && amax > (T)ldexp(1.0, SMALL_EXP)) return (T)sqrt(ssq);                    \
    /* Rescale by an exact power of two that brings max|x| near 1. */                           \
    frexp((double)amax, &e);                                                                    \
    if (e < MIN_EXP) e = MIN_EXP;   /* keep 2^-e finite for subnormal max|x| */                  \
    scale = (T)ldexp(1.0, -e);                                                                  \
    ssq = lamina_##P##sumsq_amax_mt(n, x, incx, scale, &amax, isa, nt);                         \
    return (T)ldexp((double)(T)sqrt(ssq), e);                                                   \
}                                                                                               \
static inline ptrdiff_t lamina_i##P##amax(ptrdiff_t n, const T *x, ptrdiff_t incx, int isa)     \
{                                                                                               \
    int nan_seen = 0;                                                                           \
    T m;                                                                                        \
    ptrdiff_t i;                                                                                \
    if (n <= 0) return -1;                                                                      \
    m = LAMINA_DISPATCH(P, amax_nan, isa, n, x, incx, &nan_seen);                               \
    for (i = 0; i < n; ++i) {                                                                   \
        T a = LFABS(x[i * incx]);                                                               \
        if (nan_seen ? (a != a) : (a == m)) return i;                                           \
    }                                                                                           \
    return 0;                                                                                   \
}

/* Below 2^SMALL_EXP the smallest squares may underflow and lose accuracy: rescale.
 * MIN_EXP keeps the power-of-two scale representable in the element type. */
LAMINA_DEFINE_BLAS1_DISPATCH(d, double, -1020, -480)
LAMINA_DEFINE_BLAS1_DISPATCH(s, float, -124, -50)

#endif /* LAMINA_BLAS1_H */
