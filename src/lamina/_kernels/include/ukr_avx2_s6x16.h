/*
 * ukr_avx2_s6x16.h -- float32 GEMM micro-kernel for AVX2+FMA: a 6 x 16 tile of C in 12 ymm
 * accumulators (6 rows x 2 vectors of 8 floats).  Contract: see ukr_x86_template.h.
 * Plain-C twin: lamina_ukr_ref_s (lamina_gemm.h) with MR=6, NR=16.
 */
#ifndef LAMINA_UKR_AVX2_S6X16_H
#define LAMINA_UKR_AVX2_S6X16_H
#if LAMINA_X86
#include <immintrin.h>
#define UKR_NAME lamina_ukr_avx2_s6x16
#define UKR_T float
#define UKR_V __m256
#define UKR_MR 6
#define UKR_NV 2
#define UKR_NR 16
#define UKR_ATTR LAMINA_TARGET_AVX2
#define UKR_SET1 _mm256_set1_ps
#define UKR_ZERO _mm256_setzero_ps()
#define UKR_LOAD _mm256_load_ps
#define UKR_LOADU _mm256_loadu_ps
#define UKR_STOREU _mm256_storeu_ps
#define UKR_FMA _mm256_fmadd_ps
#define UKR_ADD _mm256_add_ps
#define UKR_MUL _mm256_mul_ps
#include "ukr_x86_template.h"
#include "ukr_x86_undef.h"
#endif
#endif
