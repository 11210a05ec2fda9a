/*
 * ukr_avx512_d8x24.h -- float64 GEMM micro-kernel for AVX-512: an 8 x 24 tile of C in
 * 24 zmm accumulators (8 rows x 3 vectors of 8 doubles).  Per step of k: 3 aligned loads
 * of packed B, 8 broadcasts of packed A, 24 FMAs -- 12 cycles on two 512-bit FMA ports,
 * leaving load bandwidth to spare.  Contract: see ukr_x86_template.h.  Plain-C twin:
 * lamina_ukr_ref_d (lamina_gemm.h) with MR=8, NR=24.
 */
#ifndef LAMINA_UKR_AVX512_D8X24_H
#define LAMINA_UKR_AVX512_D8X24_H
#if LAMINA_X86
#include <immintrin.h>
#define UKR_NAME lamina_ukr_avx512_d8x24
#define UKR_T double
#define UKR_V __m512d
#define UKR_MR 8
#define UKR_NV 3
#define UKR_NR 24
#define UKR_ATTR LAMINA_TARGET_AVX512
#define UKR_SET1 _mm512_set1_pd
#define UKR_ZERO _mm512_setzero_pd()
#define UKR_LOAD _mm512_load_pd
#define UKR_LOADU _mm512_loadu_pd
#define UKR_STOREU _mm512_storeu_pd
#define UKR_FMA _mm512_fmadd_pd
#define UKR_ADD _mm512_add_pd
#define UKR_MUL _mm512_mul_pd
#define UKR_MASK_T __mmask8
#define UKR_MASKLOADU _mm512_maskz_loadu_pd
#define UKR_MASKSTOREU _mm512_mask_storeu_pd
#include "ukr_x86_template.h"
#include "ukr_x86_undef.h"
#endif
#endif
