/*
 * ukr_avx512_s8x48.h -- float32 GEMM micro-kernel for AVX-512: an 8 x 48 tile of C in
 * 24 zmm accumulators (8 rows x 3 vectors of 16 floats); per k step 3 loads, 8
 * broadcasts, 24 FMAs.  Contract: see ukr_x86_template.h.  Plain-C twin: lamina_ukr_ref_s
 * (lamina_gemm.h) with MR=8, NR=48.
 */
#ifndef LAMINA_UKR_AVX512_S8X48_H
#define LAMINA_UKR_AVX512_S8X48_H
#if LAMINA_X86
#include <immintrin.h>
#define UKR_NAME lamina_ukr_avx512_s8x48
#define UKR_T float
#define UKR_V __m512
#define UKR_MR 8
#define UKR_NV 3
#define UKR_NR 48
#define UKR_ATTR LAMINA_TARGET_AVX512
#define UKR_SET1 _mm512_set1_ps
#define UKR_ZERO _mm512_setzero_ps()
#define UKR_LOAD _mm512_load_ps
#define UKR_LOADU _mm512_loadu_ps
#define UKR_STOREU _mm512_storeu_ps
#define UKR_FMA _mm512_fmadd_ps
#define UKR_ADD _mm512_add_ps
#define UKR_MUL _mm512_mul_ps
#define UKR_MASK_T __mmask16
#define UKR_MASKLOADU _mm512_maskz_loadu_ps
#define UKR_MASKSTOREU _mm512_mask_storeu_ps
#include "ukr_x86_template.h"
#include "ukr_x86_undef.h"
#endif
#endif
