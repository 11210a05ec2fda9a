/*
 * lamina_cpu.h -- run-time CPU feature detection and the per-ISA target attributes.
 *
 * lamina is built portable: the baseline is whatever the compiler targets by default
 * (x86-64 SSE2 on Linux).  SIMD kernels are compiled several times in the same translation
 * unit, each copy tagged with LAMINA_TARGET_<ISA>, and one copy is chosen at run time
 * from the ISA id that lamina._kernels._runtime selected (CPU detection, overridable with
 * LAMINA_ISA=generic|avx2|avx512).
 *
 * ISA ids (also used by the Python layer):
 *   0 generic  -- plain C, auto-vectorized for the baseline target only
 *   1 avx2     -- AVX2 + FMA (Haswell and later, Zen 1 and later)
 *   2 avx512   -- AVX-512 F/DQ/BW/VL + FMA (Skylake-X and later, Zen 4 and later)
 */
#ifndef LAMINA_CPU_H
#define LAMINA_CPU_H

#define LAMINA_ISA_GENERIC 0
#define LAMINA_ISA_AVX2 1
#define LAMINA_ISA_AVX512 2
#define LAMINA_ISA_COUNT 3

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define LAMINA_X86 1
#define LAMINA_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,prefer-vector-width=512")))
#define LAMINA_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define LAMINA_X86 0
#define LAMINA_TARGET_AVX512
#define LAMINA_TARGET_AVX2
#endif
#define LAMINA_TARGET_GENERIC

/* Restrict-qualified pointers help the vectorizer; C11 has `restrict`. */
#define LAMINA_RESTRICT __restrict__

static inline int lamina_cpu_supports(int isa)
{
    if (isa == LAMINA_ISA_GENERIC) return 1;
#if LAMINA_X86
    /* libgcc's detection also checks that the OS saves the wider register state (XGETBV). */
    __builtin_cpu_init();
    if (isa == LAMINA_ISA_AVX2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == LAMINA_ISA_AVX512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("fma");
#endif
    return 0;
}

static inline int lamina_cpu_best_isa(void)
{
    int isa;
    for (isa = LAMINA_ISA_COUNT - 1; isa > 0; --isa)
        if (lamina_cpu_supports(isa)) return isa;
    return LAMINA_ISA_GENERIC;
}

#endif /* LAMINA_CPU_H */
