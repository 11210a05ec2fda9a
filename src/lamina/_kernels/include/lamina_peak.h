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

#define LAMINA_PEAK_STEP(F, v) v = F(v, x, y); __asm__ volatile("" : "+v"(v));
#define LAMINA_DEFINE_PEAK(NAME, ATTR, V, T, SET1, FMA, ADD, LANES)                      \
ATTR static double NAME(long iters)                                                     \
{                                                                                       \
    V x = SET1((T)0.9999999), y = SET1((T)1e-7);                                        \
    V c0 = SET1((T)1), c1 = SET1((T)2), c2 = SET1((T)3), c3 = SET1((T)4);               \
    V c4 = SET1((T)5), c5 = SET1((T)6), c6 = SET1((T)7), c7 = SET1((T)8);               \
    V c8 = SET1((T)9), c9 = SET1((T)10), c10 = SET1((T)11), c11 = SET1((T)12), s;       \
    T out[LANES];                                                                       \
    long it;                                                                            \
    int i;                                                                              \
    double r = 0;                                                                       \
    for (it = 0; it < iters; ++it) {                                                    \
        LAMINA_PEAK_STEP(FMA, c0) LAMINA_PEAK_STEP(FMA, c1) LAMINA_PEAK_STEP(FMA, c2)                  \
        LAMINA_PEAK_STEP(FMA, c3) LAMINA_PEAK_STEP(FMA, c4) LAMINA_PEAK_STEP(FMA, c5)                  \
        LAMINA_PEAK_STEP(FMA, c6) LAMINA_PEAK_STEP(FMA, c7) LAMINA_PEAK_STEP(FMA, c8)                  \
        LAMINA_PEAK_STEP(FMA, c9) LAMINA_PEAK_STEP(FMA, c10) LAMINA_PEAK_STEP(FMA, c11)                \
    }                                                                                   \
    s = ADD(ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7))),          \
            ADD(ADD(c8, c9), ADD(c10, c11)));                                           \
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
