/*
 * lamina_nmf_impl.h -- body of the x86 SIMD NMF product kernels, instantiated by
 * lamina_nmf.h once per (ISA, element type) (do not include directly).
 *
 * Parameters (macros): NMF_NAME (function-name prefix), NMF_T (element type), NMF_V
 * (vector type), NMF_L (lanes), NMF_MR (rows per tile), NMF_NV (vectors per tile row),
 * NMF_ATTR (target attribute), NMF_SET1, NMF_ZERO, NMF_LOADU, NMF_STOREU,
 * NMF_FMA(a, b, c) = a*b + c.
 *
 * Contract: see lamina_nmf.h (kp is a multiple of NMF_L; x is row-major with row stride
 * ldx and is read in place, never packed).
 */
#ifndef NMF_CAT
#define NMF_CAT_(a, b) a##b
#define NMF_CAT(a, b) NMF_CAT_(a, b)
#endif

/* c[i, 0:nv*L] (+)= sum_p x[i*ldx + p] * hp[p*kp + 0:nv*L] for i < mr.  The mr x nv
 * accumulators stay in registers across the whole p loop; hp is read once per tile. */
NMF_ATTR static inline __attribute__((always_inline)) void NMF_CAT(NMF_NAME, _xh_body)(
    ptrdiff_t m, const NMF_T *LAMINA_RESTRICT x, ptrdiff_t ldx,
    const NMF_T *LAMINA_RESTRICT hp, ptrdiff_t kp, NMF_T *LAMINA_RESTRICT c,
    const int mr, const int nv, int accumulate)
{
    NMF_V acc[NMF_MR][NMF_NV];
    ptrdiff_t p;
    int i, v;
#pragma GCC unroll 16
    for (i = 0; i < mr; ++i)
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v)
            acc[i][v] = accumulate ? NMF_LOADU(c + i * kp + v * NMF_L) : NMF_ZERO;
    for (p = 0; p < m; ++p) {
        NMF_V bv[NMF_NV];
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) bv[v] = NMF_LOADU(hp + p * kp + v * NMF_L);
#pragma GCC unroll 16
        for (i = 0; i < mr; ++i) {
            NMF_V a = NMF_SET1(x[i * ldx + p]);
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v) acc[i][v] = NMF_FMA(a, bv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 16
    for (i = 0; i < mr; ++i)
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) NMF_STOREU(c + i * kp + v * NMF_L, acc[i][v]);
}

/* acc[j, 0:nv*L] += sum_r x[r*ldx + j] * w[r*kp + 0:nv*L] for j < mr, r in order. */
NMF_ATTR static inline __attribute__((always_inline)) void NMF_CAT(NMF_NAME, _xtw_body)(
    ptrdiff_t rows, const NMF_T *LAMINA_RESTRICT x, ptrdiff_t ldx,
    const NMF_T *LAMINA_RESTRICT w, ptrdiff_t kp, NMF_T *LAMINA_RESTRICT out,
    const int mr, const int nv, lamina_nmf_prefetch *pf)
{
    NMF_V acc[NMF_MR][NMF_NV];
    ptrdiff_t r;
    int j, v;
#pragma GCC unroll 16
    for (j = 0; j < mr; ++j)
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) acc[j][v] = NMF_LOADU(out + j * kp + v * NMF_L);
    for (r = 0; r < rows; ++r) {
        NMF_V bv[NMF_NV];
        /* one line of the caller's next block of X towards L2 per step: the block
         * arrives while this compute-bound loop runs on cached data */
        lamina_nmf_prefetch_step(pf);
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) bv[v] = NMF_LOADU(w + r * kp + v * NMF_L);
#pragma GCC unroll 16
        for (j = 0; j < mr; ++j) {
            NMF_V a = NMF_SET1(x[r * ldx + j]);
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v) acc[j][v] = NMF_FMA(a, bv[v], acc[j][v]);
        }
    }
#pragma GCC unroll 16
    for (j = 0; j < mr; ++j)
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) NMF_STOREU(out + j * kp + v * NMF_L, acc[j][v]);
}

/* Rows in tiles of NMF_MR (the remainder one row at a time), columns in panels of
 * NMF_NV vectors (the last one narrower). */
NMF_ATTR static void NMF_CAT(NMF_NAME, _xh)(ptrdiff_t rows, ptrdiff_t m,
    const NMF_T *x, ptrdiff_t ldx, const NMF_T *hp, ptrdiff_t kp, NMF_T *c, int accumulate)
{
    ptrdiff_t i0, c0;
    for (i0 = 0; i0 < rows; ) {
        const int full = rows - i0 >= NMF_MR;
        for (c0 = 0; c0 < kp; c0 += NMF_NV * NMF_L) {
            ptrdiff_t nvr = (kp - c0) / NMF_L;
            const NMF_T *xi = x + i0 * ldx;
            NMF_T *ci = c + i0 * kp + c0;
            if (full) {
                if (nvr >= NMF_NV) NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, NMF_MR, NMF_NV, accumulate);
                else if (nvr == 2) NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, NMF_MR, 2, accumulate);
                else NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, NMF_MR, 1, accumulate);
            } else {
                if (nvr >= NMF_NV) NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, 1, NMF_NV, accumulate);
                else if (nvr == 2) NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, 1, 2, accumulate);
                else NMF_CAT(NMF_NAME, _xh_body)(m, xi, ldx, hp + c0, kp, ci, 1, 1, accumulate);
            }
        }
        i0 += full ? NMF_MR : 1;
    }
}

NMF_ATTR static void NMF_CAT(NMF_NAME, _xtw)(ptrdiff_t rows, ptrdiff_t m,
    const NMF_T *x, ptrdiff_t ldx, const NMF_T *w, ptrdiff_t kp, NMF_T *out,
    const lamina_nmf_prefetch *next)
{
    ptrdiff_t j0, c0;
    lamina_nmf_prefetch pf = {NULL, NULL, 0, 0, 0};
    if (next) pf = *next;
    for (j0 = 0; j0 < m; ) {
        const int full = m - j0 >= NMF_MR;
        for (c0 = 0; c0 < kp; c0 += NMF_NV * NMF_L) {
            ptrdiff_t nvr = (kp - c0) / NMF_L;
            const NMF_T *xj = x + j0;
            NMF_T *oj = out + j0 * kp + c0;
            if (full) {
                if (nvr >= NMF_NV) NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, NMF_MR, NMF_NV, &pf);
                else if (nvr == 2) NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, NMF_MR, 2, &pf);
                else NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, NMF_MR, 1, &pf);
            } else {
                if (nvr >= NMF_NV) NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, 1, NMF_NV, &pf);
                else if (nvr == 2) NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, 1, 2, &pf);
                else NMF_CAT(NMF_NAME, _xtw_body)(rows, xj, ldx, w + c0, kp, oj, 1, 1, &pf);
            }
        }
        j0 += full ? NMF_MR : 1;
    }
}

/* The per-dtype macros are the includer's to set again for the next instantiation (the
 * tile shape NMF_MR, NMF_NV and NMF_ATTR may stay for both dtypes of one ISA). */
#undef NMF_NAME
#undef NMF_T
#undef NMF_V
#undef NMF_L
#undef NMF_SET1
#undef NMF_ZERO
#undef NMF_LOADU
#undef NMF_STOREU
#undef NMF_FMA
