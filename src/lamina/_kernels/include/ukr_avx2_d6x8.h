/*
 * ukr_avx2_d6x8.h -- float64 GEMM micro-kernel for AVX2+FMA: a 6 x 8 tile of C in 12 ymm
 * accumulators (6 rows x 2 vectors of 4 doubles); per k step 2 loads, 6 broadcasts,
 * 12 FMAs, 16 ymm registers in all.  Contract: see ukr_x86_template.h.  Plain-C twin:
 * lamina_ukr_ref_d (lamina_gemm.h) with MR=6, NR=8.
 */
#ifndef LAMINA_UKR_AVX2_D6X8_H
#define LAMINA_UKR_AVX2_D6X8_H
#if LAMINA_X86
#include <immintrin.h>
#define UKR_NAME lamina_ukr_avx2_d6x8
#define UKR_T double
#define UKR_V __m256d
#define UKR_MR 6
#define UKR_NV 2
#define UKR_NR 8
#define UKR_ATTR LAMINA_TARGET_AVX2
#define UKR_SET1 _mm256_set1_pd
#define UKR_ZERO _mm256_setzero_pd()
#define UKR_LOAD _mm256_load_pd
#define UKR_LOADU _mm256_loadu_pd
#define UKR_STOREU _mm256_storeu_pd
#define UKR_FMA _mm256_fmadd_pd
#define UKR_ADD _mm256_add_pd
#define UKR_MUL _mm256_mul_pd
#include "ukr_x86_template.h"
#include "ukr_x86_undef.h"
#endif
#endif
