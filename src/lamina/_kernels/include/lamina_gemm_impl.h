/*
 * lamina_gemm_impl.h -- dtype-generic part of lamina_gemm.h, included once per element
 * type with LT (type), LP (d or s) and LMATH(f) (libm name for LT) defined.
 */
#define LG_CAT3_(a, b, c) a##b##c
#define LG_CAT3(a, b, c) LG_CAT3_(a, b, c)
#define LG(name) LG_CAT3(lamina_, LP, name)

/* ---- packing ----------------------------------------------------------------------- */

/* Pack alpha * A[0:mc, 0:kc] (element strides rsa, csa) into MR-row column micro-panels. */
static inline void LG(_pack_a_mr)(ptrdiff_t mc, ptrdiff_t kc, const LT *A, ptrdiff_t rsa,
                                  ptrdiff_t csa, LT alpha, const int mr, LT *LAMINA_RESTRICT dst)
{
    ptrdiff_t i0, i, p;
    for (i0 = 0; i0 < mc; i0 += mr) {
        ptrdiff_t rows = mc - i0 < mr ? mc - i0 : mr;
        const LT *a0 = A + i0 * rsa;
        if (rows == mr && csa == 1) {
            /* row-major A: read each row contiguously */
            for (i = 0; i < mr; ++i) {
                const LT *src = a0 + i * rsa;
                for (p = 0; p < kc; ++p) dst[p * mr + i] = alpha * src[p];
            }
        } else if (rows == mr && rsa == 1) {
            /* column-major A (A^T of a row-major array): MR contiguous values per p */
            for (p = 0; p < kc; ++p) {
                const LT *src = a0 + p * csa;
                for (i = 0; i < mr; ++i) dst[p * mr + i] = alpha * src[i];
            }
        } else if (rows == mr) {
            for (p = 0; p < kc; ++p) {
                const LT *src = a0 + p * csa;
                for (i = 0; i < mr; ++i) dst[p * mr + i] = alpha * src[i * rsa];
            }
        } else {
            for (p = 0; p < kc; ++p) {
                const LT *src = a0 + p * csa;
                for (i = 0; i < rows; ++i) dst[p * mr + i] = alpha * src[i * rsa];
                for (; i < mr; ++i) dst[p * mr + i] = 0;
            }
        }
        dst += mr * kc;
    }
}

static void LG(gemm_pack_a)(int isa, ptrdiff_t mc, ptrdiff_t kc, const LT *A, ptrdiff_t rsa,
                            ptrdiff_t csa, LT alpha, int mr, LT *dst)
{
#if LAMINA_HAVE_PACK_X86
    if (isa == LAMINA_ISA_AVX512 && mr == 8 && csa == 1 && mc >= 8) {
        /* row-major A: full panels by in-register 8 x 8 transposes (lamina_pack_x86.h) */
        ptrdiff_t panels = mc / 8;
        LG(pack_a8_rows_avx512)(panels, kc, A, rsa, alpha, dst);
        A += panels * 8 * rsa;
        dst += panels * 8 * kc;
        mc -= panels * 8;
        if (mc == 0) return;
    }
#else
    (void)isa;
#endif
    /* constant MR lets the compiler unroll the inner loops */
    switch (mr) {
    case 4: LG(_pack_a_mr)(mc, kc, A, rsa, csa, alpha, 4, dst); break;
    case 6: LG(_pack_a_mr)(mc, kc, A, rsa, csa, alpha, 6, dst); break;
    case 8: LG(_pack_a_mr)(mc, kc, A, rsa, csa, alpha, 8, dst); break;
    default: LG(_pack_a_mr)(mc, kc, A, rsa, csa, alpha, mr, dst); break;
    }
}

/* Pack the NR-column micro-panels s0 <= s < s1 of B[0:kc, 0:nc] (strides rsb, csb).
 * The row copies are a few hundred bytes: inline vector moves, never memcpy/memset calls. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static inline void LG(_pack_b_nr)(int isa, ptrdiff_t kc, ptrdiff_t nc, const LT *B,
                                  ptrdiff_t rsb, ptrdiff_t csb, const int nr, ptrdiff_t s0, ptrdiff_t s1,
                                  LT *LAMINA_RESTRICT dst)
{
    ptrdiff_t s, j, p;
    (void)isa;
    for (s = s0; s < s1; ++s) {
        ptrdiff_t j0 = s * nr, cols = nc - j0 < nr ? nc - j0 : nr;
        const LT *b0 = B + j0 * csb;
        LT *d = dst + s * nr * kc;
        if (csb == 1) {
            /* row-major B: whole rows of the panel are contiguous.  Fixed-size copies (nr
             * is a constant here) compile to a few vector moves, not a library call. */
            if (cols == nr) {
                for (p = 0; p < kc; ++p)
                    __builtin_memcpy(d + p * nr, b0 + p * rsb, nr * sizeof(LT));
            } else {
                for (p = 0; p < kc; ++p) {
                    const LT *src = b0 + p * rsb;
                    LT *dp = d + p * nr;
                    for (j = 0; j < cols; ++j) dp[j] = src[j];
                    for (; j < nr; ++j) dp[j] = 0;
                }
            }
        } else if (cols == nr) {
            /* column-major B (or B^T of a row-major array): read each column contiguously */
#if LAMINA_HAVE_PACK_X86
            if (isa == LAMINA_ISA_AVX512 && rsb == 1 && nr % 8 == 0) {
                LG(pack_b_cols_avx512)(kc, nr, b0, csb, d);
                continue;
            }
#endif
            for (j = 0; j < nr; ++j) {
                const LT *src = b0 + j * csb;
                for (p = 0; p < kc; ++p) d[p * nr + j] = src[p * rsb];
            }
        } else {
            for (p = 0; p < kc; ++p) {
                const LT *src = b0 + p * rsb;
                for (j = 0; j < cols; ++j) d[p * nr + j] = src[j * csb];
                for (; j < nr; ++j) d[p * nr + j] = 0;
            }
        }
    }
}

static void LG(gemm_pack_b)(int isa, ptrdiff_t kc, ptrdiff_t nc, const LT *B, ptrdiff_t rsb,
                            ptrdiff_t csb, int nr, ptrdiff_t s0, ptrdiff_t s1, LT *dst)
{
    switch (nr) {
    case 4: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, 4, s0, s1, dst); break;
    case 8: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, 8, s0, s1, dst); break;
    case 16: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, 16, s0, s1, dst); break;
    case 24: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, 24, s0, s1, dst); break;
    case 48: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, 48, s0, s1, dst); break;
    default: LG(_pack_b_nr)(isa, kc, nc, B, rsb, csb, nr, s0, s1, dst); break;
    }
}

/* ---- micro-kernels ----------------------------------------------------------------- */

/* Reference twin of every micro-kernel: same contract, any MR x NR, plain loops. */
static void LG(ukr_ref)(ptrdiff_t k, int mr, int nr, const LT *a, const LT *b, LT *c,
                        ptrdiff_t rsc, LT beta)
{
    int i, j;
    ptrdiff_t p;
    for (i = 0; i < mr; ++i)
        for (j = 0; j < nr; ++j) {
            LT s = 0;
            for (p = 0; p < k; ++p) s += a[p * mr + i] * b[p * nr + j];
            c[i * rsc + j] = beta == 0 ? s : s + beta * c[i * rsc + j];
        }
}

/* The micro-kernel of `isa` (by dtype), called directly: used by the tests to compare
 * each kernel with ukr_ref on packed panels. */
static inline void LG(ukr)(int isa, ptrdiff_t k, const LT *a, const LT *b, LT *c,
                           ptrdiff_t rsc, LT beta)
{
#if LAMINA_X86
#if LG_IS_FLOAT
    if (isa == LAMINA_ISA_AVX512) { lamina_ukr_avx512_s8x48(k, a, b, c, rsc, beta); return; }
    if (isa == LAMINA_ISA_AVX2) { lamina_ukr_avx2_s6x16(k, a, b, c, rsc, beta); return; }
#else
    if (isa == LAMINA_ISA_AVX512) { lamina_ukr_avx512_d8x24(k, a, b, c, rsc, beta); return; }
    if (isa == LAMINA_ISA_AVX2) { lamina_ukr_avx2_d6x8(k, a, b, c, rsc, beta); return; }
#endif
#endif
#if LG_IS_FLOAT
    lamina_ukr_generic_s4x8(k, a, b, c, rsc, beta);
#else
    lamina_ukr_generic_d4x4(k, a, b, c, rsc, beta);
#endif
}

/* The first n_eff (< NR) columns of a tile into `c` (beta = 0): the SIMD kernels compute
 * only the vectors those columns need; the generic kernel computes the whole tile. */
static inline void LG(ukr_narrow)(int isa, ptrdiff_t k, const LT *a, const LT *b, LT *c,
                                  ptrdiff_t rsc, ptrdiff_t n_eff)
{
#if LAMINA_X86
#if LG_IS_FLOAT
    if (isa == LAMINA_ISA_AVX512) {
        lamina_ukr_avx512_s8x48_narrow(k, a, b, c, rsc, 0, (int)((n_eff + 15) / 16));
        return;
    }
    if (isa == LAMINA_ISA_AVX2) {
        lamina_ukr_avx2_s6x16_narrow(k, a, b, c, rsc, 0, (int)((n_eff + 7) / 8));
        return;
    }
#else
    if (isa == LAMINA_ISA_AVX512) {
        lamina_ukr_avx512_d8x24_narrow(k, a, b, c, rsc, 0, (int)((n_eff + 7) / 8));
        return;
    }
    if (isa == LAMINA_ISA_AVX2) {
        lamina_ukr_avx2_d6x8_narrow(k, a, b, c, rsc, 0, (int)((n_eff + 3) / 4));
        return;
    }
#endif
#endif
    (void)n_eff;
    LG(ukr)(isa, k, a, b, c, rsc, 0);
}

/* A full-width tile from an unpacked row-major B (row stride ldb); SIMD ISAs only (the
 * caller packs B for the generic kernel). */
static inline void LG(ukr_ldb)(int isa, ptrdiff_t k, const LT *a, const LT *b, ptrdiff_t ldb,
                               LT *c, ptrdiff_t rsc, LT beta)
{
#if LAMINA_X86
#if LG_IS_FLOAT
    if (isa == LAMINA_ISA_AVX512) { lamina_ukr_avx512_s8x48_ldb(k, a, b, ldb, c, rsc, beta); return; }
    if (isa == LAMINA_ISA_AVX2) { lamina_ukr_avx2_s6x16_ldb(k, a, b, ldb, c, rsc, beta); return; }
#else
    if (isa == LAMINA_ISA_AVX512) { lamina_ukr_avx512_d8x24_ldb(k, a, b, ldb, c, rsc, beta); return; }
    if (isa == LAMINA_ISA_AVX2) { lamina_ukr_avx2_d6x8_ldb(k, a, b, ldb, c, rsc, beta); return; }
#endif
#endif
    (void)isa; (void)k; (void)a; (void)b; (void)ldb; (void)c; (void)rsc; (void)beta;
}

/* One tile of C (m_eff x n_eff <= MR x NR at strides rsc, csc) from a packed A panel and
 * a packed B panel (ldb == 0) or NR columns of an unpacked row-major B (row stride ldb).  Full
 * tiles with unit column stride go straight to the micro-kernel; edge tiles and strided C
 * go through a local MR x NR buffer and a scalar merge (same roundings: acc + beta*c). */
static inline void LG(gemm_tile)(int isa, int mr, int nr, ptrdiff_t kc, const LT *a,
                                 const LT *b, ptrdiff_t ldb, LT *c, ptrdiff_t rsc,
                                 ptrdiff_t csc, ptrdiff_t m_eff, ptrdiff_t n_eff, LT beta)
{
    LT buf[LAMINA_GEMM_MAX_TILE] __attribute__((aligned(64)));
    ptrdiff_t i, j;
    if (ldb != 0) {           /* unpacked row-major B (row stride ldb): a full-width panel */
        if (m_eff == mr && csc == 1) {
            LG(ukr_ldb)(isa, kc, a, b, ldb, c, rsc, beta);
            return;
        }
        LG(ukr_ldb)(isa, kc, a, b, ldb, buf, nr, 0);
    } else if (m_eff == mr && n_eff == nr && csc == 1) {
        LG(ukr)(isa, kc, a, b, c, rsc, beta);
        return;
    } else if (n_eff < nr) {
        LG(ukr_narrow)(isa, kc, a, b, buf, nr, n_eff);
    } else {
        LG(ukr)(isa, kc, a, b, buf, nr, 0);
    }
    for (i = 0; i < m_eff; ++i)
        for (j = 0; j < n_eff; ++j) {
            LT *cp = c + i * rsc + j * csc;
            LT s = buf[i * nr + j];
            if (beta == 0) {
                *cp = s;
            } else {
                volatile LT t = beta * *cp;   /* no contraction: match the kernels */
                *cp = s + t;
            }
        }
}

/* C = A B + beta C with nothing packed (AVX-512 only; returns -1 for other ISAs): B is
 * row-major with unit column stride, C has unit column stride, alpha is 1 and k is at most
 * KC, so every element gets the packed path's roundings.  Column tiles of NR outside,
 * row tiles of MR inside: the k x NR strip of B stays in L1 while the row tiles pass. */
static inline int LG(gemm_direct)(int isa, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                  const LT *A, ptrdiff_t rsa, ptrdiff_t csa, const LT *B,
                                  ptrdiff_t rsb, LT beta, LT *C, ptrdiff_t rsc)
{
#if LAMINA_X86
    const int lanes = 64 / (int)sizeof(LT), mr = 8, nr = 3 * lanes;
    ptrdiff_t i0, j0;
    if (isa != LAMINA_ISA_AVX512) return -1;
    for (j0 = 0; j0 < n; j0 += nr) {
        int w = (int)(n - j0 < nr ? n - j0 : nr);
        int nv = (w + lanes - 1) / lanes, tail = w - (nv - 1) * lanes;
        unsigned int mask = tail == lanes ? (1u << lanes) - 1 : (1u << tail) - 1;
        for (i0 = 0; i0 < m; i0 += mr) {
            int m_eff = (int)(m - i0 < mr ? m - i0 : mr);
#if LG_IS_FLOAT
            lamina_ukr_avx512_s8x48_direct(k, A + i0 * rsa, rsa, csa, B + j0, rsb,
                                           C + i0 * rsc + j0, rsc, beta, m_eff, nv,
                                           (__mmask16)mask);
#else
            lamina_ukr_avx512_d8x24_direct(k, A + i0 * rsa, rsa, csa, B + j0, rsb,
                                           C + i0 * rsc + j0, rsc, beta, m_eff, nv,
                                           (__mmask8)mask);
#endif
        }
    }
    return 0;
#else
    (void)isa; (void)m; (void)n; (void)k; (void)A; (void)rsa; (void)csa; (void)B;
    (void)rsb; (void)beta; (void)C; (void)rsc;
    return -1;
#endif
}

/* ---- epilogue ---------------------------------------------------------------------- */

static inline LT LG(_activate)(LT x, int act)
{
    switch (act) {
    case LAMINA_ACT_RELU:
        return x < 0 ? (LT)0 : x;            /* NaN stays NaN */
    case LAMINA_ACT_GELU:                      /* exact GELU: x * Phi(x) */
        return (LT)0.5 * x * ((LT)1 + LMATH(erf)(x * (LT)0.70710678118654752440));
    case LAMINA_ACT_SIGMOID:
        if (x >= 0) return (LT)1 / ((LT)1 + LMATH(exp)(-x));
        else { LT e = LMATH(exp)(x); return e / ((LT)1 + e); }
    case LAMINA_ACT_TANH:
        return LMATH(tanh)(x);
    default:
        return x;
    }
}

/* C[i,j] = act(C[i,j] + bias[i*bias_rs + j*bias_cs]) on an m x n block (bias may be NULL);
 * with LAMINA_ACT_RELU_MASK, C[i,j] = bias[...] > 0 ? C[i,j] : 0 (bias is then the ReLU's
 * output Y, NaN in Y gives 0 like the elementwise ReLU backward).  Called per tile right
 * after its last rank-KC update, while the tile is in L1. */
static void LG(gemm_epilogue)(ptrdiff_t m, ptrdiff_t n, LT *c, ptrdiff_t rsc, ptrdiff_t csc,
                              const LT *bias, ptrdiff_t bias_rs, ptrdiff_t bias_cs, int act)
{
    ptrdiff_t i, j;
    if (!bias && act == LAMINA_ACT_NONE) return;
    if (act == LAMINA_ACT_RELU_MASK) {
        if (csc == 1 && bias_cs == 1) {
            for (i = 0; i < m; ++i) {
                LT *cr = c + i * rsc;
                const LT *yr = bias + i * bias_rs;
                for (j = 0; j < n; ++j) cr[j] = yr[j] > 0 ? cr[j] : (LT)0;
            }
        } else {
            for (i = 0; i < m; ++i)
                for (j = 0; j < n; ++j)
                    if (!(bias[i * bias_rs + j * bias_cs] > 0)) c[i * rsc + j * csc] = 0;
        }
        return;
    }
    if (csc == 1 && (!bias || (bias_rs == 0 && bias_cs == 1))
        && (act == LAMINA_ACT_NONE || act == LAMINA_ACT_RELU)) {
        /* The dense-layer case (contiguous rows, one bias per column, ReLU or none):
         * branch-free loops the compiler vectorizes. */
        for (i = 0; i < m; ++i) {
            LT *cr = c + i * rsc;
            if (bias && act == LAMINA_ACT_RELU) {
                for (j = 0; j < n; ++j) {
                    LT v = cr[j] + bias[j];
                    cr[j] = v < 0 ? (LT)0 : v;       /* NaN stays NaN */
                }
            } else if (bias) {
                for (j = 0; j < n; ++j) cr[j] += bias[j];
            } else {
                for (j = 0; j < n; ++j) cr[j] = cr[j] < 0 ? (LT)0 : cr[j];
            }
        }
        return;
    }
    for (i = 0; i < m; ++i)
        for (j = 0; j < n; ++j) {
            LT v = c[i * rsc + j * csc];
            if (bias) v += bias[i * bias_rs + j * bias_cs];
            c[i * rsc + j * csc] = LG(_activate)(v, act);
        }
}

/* C = beta * C (beta == 0 writes zeros without reading C): k == 0 or alpha == 0. */
static void LG(gemm_scale)(ptrdiff_t m, ptrdiff_t n, LT beta, LT *c, ptrdiff_t rsc,
                           ptrdiff_t csc)
{
    ptrdiff_t i, j;
    for (i = 0; i < m; ++i)
        for (j = 0; j < n; ++j)
            c[i * rsc + j * csc] = beta == 0 ? (LT)0 : beta * c[i * rsc + j * csc];
}

/* ---- small problems: no packing ----------------------------------------------------
 * Row i of C is accumulated in a 64-wide register/stack strip: for each p the strip gets
 * A[i,p] * B[p, j0:j0+64] (vectorized when B has unit column stride).  Packing would cost
 * as much as the product itself below ~32^3 flops. */
#define LG_SMALL_STRIP 64
#define LG_DEFINE_SMALL(ISA, ATTR)                                                          \
ATTR static void LG_CAT3(lamina_, LP, gemm_small_##ISA)(                                    \
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, LT alpha, const LT *A, ptrdiff_t rsa,            \
    ptrdiff_t csa, const LT *B, ptrdiff_t rsb, ptrdiff_t csb, LT beta, LT *C,               \
    ptrdiff_t rsc, ptrdiff_t csc)                                                           \
{                                                                                           \
    LT acc[LG_SMALL_STRIP] __attribute__((aligned(64)));                                    \
    ptrdiff_t i, j, j0, p;                                                                  \
    for (i = 0; i < m; ++i)                                                                 \
        for (j0 = 0; j0 < n; j0 += LG_SMALL_STRIP) {                                        \
            ptrdiff_t w = n - j0 < LG_SMALL_STRIP ? n - j0 : LG_SMALL_STRIP;                \
            for (j = 0; j < w; ++j) acc[j] = 0;                                             \
            if (csb == 1) {                                                                 \
                for (p = 0; p < k; ++p) {                                                   \
                    LT aip = alpha * A[i * rsa + p * csa];                                  \
                    const LT *bp = B + p * rsb + j0;                                        \
                    _Pragma("omp simd")                                                     \
                    for (j = 0; j < w; ++j) acc[j] += aip * bp[j];                          \
                }                                                                           \
            } else {                                                                        \
                for (p = 0; p < k; ++p) {                                                   \
                    LT aip = alpha * A[i * rsa + p * csa];                                  \
                    const LT *bp = B + p * rsb + j0 * csb;                                  \
                    for (j = 0; j < w; ++j) acc[j] += aip * bp[j * csb];                    \
                }                                                                           \
            }                                                                               \
            LT *cp = C + i * rsc + j0 * csc;                                                \
            if (beta == 0)                                                                  \
                for (j = 0; j < w; ++j) cp[j * csc] = acc[j];                               \
            else                                                                            \
                for (j = 0; j < w; ++j) cp[j * csc] = acc[j] + beta * cp[j * csc];          \
        }                                                                                   \
}

LG_DEFINE_SMALL(generic, LAMINA_TARGET_GENERIC)
LG_DEFINE_SMALL(avx2, LAMINA_TARGET_AVX2)
LG_DEFINE_SMALL(avx512, LAMINA_TARGET_AVX512)

static inline void LG(gemm_small)(int isa, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, LT alpha,
                                  const LT *A, ptrdiff_t rsa, ptrdiff_t csa, const LT *B,
                                  ptrdiff_t rsb, ptrdiff_t csb, LT beta, LT *C,
                                  ptrdiff_t rsc, ptrdiff_t csc)
{
#if LAMINA_X86
    if (isa == LAMINA_ISA_AVX512) {
        LG_CAT3(lamina_, LP, gemm_small_avx512)(m, n, k, alpha, A, rsa, csa, B, rsb, csb,
                                                beta, C, rsc, csc);
        return;
    }
    if (isa == LAMINA_ISA_AVX2) {
        LG_CAT3(lamina_, LP, gemm_small_avx2)(m, n, k, alpha, A, rsa, csa, B, rsb, csb,
                                              beta, C, rsc, csc);
        return;
    }
#endif
    LG_CAT3(lamina_, LP, gemm_small_generic)(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta,
                                             C, rsc, csc);
}

#undef LG_DEFINE_SMALL
#undef LG_SMALL_STRIP
#undef LG
#undef LG_CAT3
#undef LG_CAT3_
