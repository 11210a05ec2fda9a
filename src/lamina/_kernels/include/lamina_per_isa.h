/*
 * lamina_per_isa.h -- instantiate a kernel-body header once per ISA.
 *
 * Kernel families are written once, as a "body" header that uses the macros LISA (the ISA
 * suffix of every function name: generic, avx2, avx512) and LATTR (the matching
 * LAMINA_TARGET_* attribute).  Define LAMINA_PER_ISA_BODY to the body's file name (and
 * the element-type macros the body expects), then include this file: it includes the
 * body three times, once per ISA.  LISA_IS_AVX512 is 1 in the AVX-512 copy (for the few
 * loops written with intrinsics), 0 elsewhere.  No include guard, on purpose.
 */
#define LISA generic
#define LISA_IS_AVX512 0
#define LATTR LAMINA_TARGET_GENERIC
#include LAMINA_PER_ISA_BODY
#undef LISA
#undef LISA_IS_AVX512
#undef LATTR
#define LISA avx2
#define LISA_IS_AVX512 0
#define LATTR LAMINA_TARGET_AVX2
#include LAMINA_PER_ISA_BODY
#undef LISA
#undef LISA_IS_AVX512
#undef LATTR
#define LISA avx512
#define LISA_IS_AVX512 1
#define LATTR LAMINA_TARGET_AVX512
#include LAMINA_PER_ISA_BODY
#undef LISA
#undef LISA_IS_AVX512
#undef LATTR
