/*
 * lamina_peak.h -- register-only FMA loops that measure the floating-point peak of one core
 * for each ISA (the denominator of "% of peak" in `lamina bench gemm`).  NCHAIN independent
 * accumulator chains hide the FMA latency (4 cycles x 2 ports needs >= 8); nothing touches
 * memory inside the loop.  Each call does iters * NCHAIN * lanes * 2 flops and returns a
 * value derived from the accumulators so the loop cannot be removed.
 */
#ifndef LAMINA_PEAK_H
#define LAMINA_PEAK_H
#include <string.h>
#include "lamina_cpu.h"
#if LAMINA_X86
#include <immintrin.h>
#endif

#define LAMINA_PEAK_NCHAIN 12

#define LAMINA_DEFINE_PEAK(NAME, ATTR, V, T, SET1, FMA, ADD, LANES)                      \
ATTR static double NAME(long iters)                                                     \
{                                                                                       \
    V acc[LAMINA_PEAK_NCHAIN], x = SET1((T)0.9999999), y = SET1((T)1e-7), s;            \
    T out[LANES];                                                                       \
    long it;                                                                            \
    int i;                                                                              \
    double r = 0;                                                                       \
    for (i = 0; i < LAMINA_PEAK_NCHAIN; ++i) acc[i] = SET1((T)(i + 1));                 \
    for (it = 0; it < iters; ++it) {                                                    \
        _Pragma("GCC unroll 12")                                                        \
        for (i = 0; i < LAMINA_PEAK_NCHAIN; ++i) acc[i] = FMA(acc[i], x, y);            \
        __asm__ volatile("" ::: "memory");                                              \
    }                                                                                   \
    s = acc[0];                                                                         \
    for (i = 1; i < LAMINA_PEAK_NCHAIN; ++i) s = ADD(s, acc[i]);                        \
    memcpy(out, &s, sizeof(out));                                                       \
    for (i = 0; i < LANES; ++i) r += out[i];                                            \
    return r;                                                                           \
}

static inline double lamina_peak_set1d(double v) { return v; }
static inline float lamina_peak_set1s(float v) { return v; }
static inline double lamina_peak_mad_d(double a, double b, double c) { return a * b + c; }
static inline float lamina_peak_mad_s(float a, float b, float c) { return a * b + c; }
static inline double lamina_peak_add_d(double a, double b) { return a + b; }
static inline float lamina_peak_add_s(float a, float b) { return a + b; }

LAMINA_DEFINE_PEAK(lamina_peak_generic_d, LAMINA_TARGET_GENERIC, double, double,
                   lamina_peak_set1d, lamina_peak_mad_d, lamina_peak_add_d, 1)
LAMINA_DEFINE_PEAK(lamina_peak_generic_s, LAMINA_TARGET_GENERIC, float, float,
                   lamina_peak_set1s, lamina_peak_mad_s, lamina_peak_add_s, 1)
#if LAMINA_X86
LAMINA_DEFINE_PEAK(lamina_peak_avx2_d, LAMINA_TARGET_AVX2, __m256d, double, _mm256_set1_pd,
                   _mm256_fmadd_pd, _mm256_add_pd, 4)
LAMINA_DEFINE_PEAK(lamina_peak_avx2_s, LAMINA_TARGET_AVX2, __m256, float, _mm256_set1_ps,
                   _mm256_fmadd_ps, _mm256_add_ps, 8)
LAMINA_DEFINE_PEAK(lamina_peak_avx512_d, LAMINA_TARGET_AVX512, __m512d, double,
                   _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd, 8)
LAMINA_DEFINE_PEAK(lamina_peak_avx512_s, LAMINA_TARGET_AVX512, __m512, float,
                   _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
#endif

/* Runs the loop of (isa, dtype); *flops receives the flop count. */
static inline double lamina_fma_peak(int isa, int is_float, long iters, double *flops)
{
    int lanes = 1;
    double r;
#if LAMINA_X86
    if (isa == LAMINA_ISA_AVX512) {
        lanes = is_float ? 16 : 8;
        r = is_float ? lamina_peak_avx512_s(iters) : lamina_peak_avx512_d(iters);
    } else if (isa == LAMINA_ISA_AVX2) {
        lanes = is_float ? 8 : 4;
        r = is_float ? lamina_peak_avx2_s(iters) : lamina_peak_avx2_d(iters);
    } else
#endif
        r = is_float ? lamina_peak_generic_s(iters) : lamina_peak_generic_d(iters);
    *flops = 2.0 * (double)iters * LAMINA_PEAK_NCHAIN * lanes;
    return r;
}
#endif
