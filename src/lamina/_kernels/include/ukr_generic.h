/*
 * ukr_generic.h -- portable plain-C GEMM micro-kernels: float64 4 x 4 (ukr_generic_d4x4)
 * and float32 4 x 8 (ukr_generic_s4x8), written so that the baseline compiler target can
 * keep the tile in vector registers (16 xmm on x86-64 SSE2).  Same contract as the SIMD
 * kernels (ukr_x86_template.h): c = a_panel * b_panel (+ beta*c), unit column stride,
 * beta == 0 never reads C, sums accumulated in p order.  Used on CPUs without AVX2 and as
 * the always-available fallback.
 */
#ifndef LAMINA_UKR_GENERIC_H
#define LAMINA_UKR_GENERIC_H

#define LAMINA_DEFINE_GENERIC_UKR(NAME, T, MR, NR)                                          \
static void NAME(ptrdiff_t k, const T *LAMINA_RESTRICT a, const T *LAMINA_RESTRICT b,       \
                 T *LAMINA_RESTRICT c, ptrdiff_t rsc, T beta)                               \
{                                                                                           \
    T acc[MR][NR];                                                                          \
    ptrdiff_t p;                                                                            \
    int i, j;                                                                               \
    for (i = 0; i < MR; ++i)                                                                \
        for (j = 0; j < NR; ++j) acc[i][j] = 0;                                             \
    for (p = 0; p < k; ++p) {                                                               \
        for (i = 0; i < MR; ++i) {                                                          \
            T ai = a[p * MR + i];                                                           \
            _Pragma("omp simd")                                                             \
            for (j = 0; j < NR; ++j) acc[i][j] += ai * b[p * NR + j];                       \
        }                                                                                   \
    }                                                                                       \
    for (i = 0; i < MR; ++i)                                                                \
        for (j = 0; j < NR; ++j)                                                            \
            c[i * rsc + j] = beta == 0 ? acc[i][j] : acc[i][j] + beta * c[i * rsc + j];     \
}

LAMINA_DEFINE_GENERIC_UKR(lamina_ukr_generic_d4x4, double, 4, 4)
LAMINA_DEFINE_GENERIC_UKR(lamina_ukr_generic_s4x8, float, 4, 8)

#endif
