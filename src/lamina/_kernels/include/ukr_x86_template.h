/*
 * ukr_x86_template.h -- body of the x86 SIMD GEMM micro-kernels, instantiated by the
 * ukr_<isa>_<dtype><MR>x<NR>.h headers (do not include directly).
 *
 * Parameters (macros): UKR_NAME, UKR_T (element type), UKR_V (vector type), UKR_MR (rows),
 * UKR_NV (vectors per row, NR = UKR_NV * lanes), UKR_NR, UKR_ATTR (target attribute),
 * UKR_SET1, UKR_ZERO, UKR_LOAD (aligned), UKR_LOADU, UKR_STOREU, UKR_FMA(a, b, c) = a*b + c,
 * UKR_ADD, UKR_MUL.
 *
 * Contract (shared by every micro-kernel, including the plain-C ones):
 *   c[i*rsc + j] = sum_{p<k} a[p*MR + i] * b[p*NR + j]  (+ beta * c[i*rsc + j] if beta != 0)
 *   for 0 <= i < MR, 0 <= j < NR; the columns of C are contiguous (unit column stride).
 *   `a` is a packed column micro-panel of A (MR values per p, 64-byte aligned), `b` a packed
 *   row micro-panel of B (NR values per p, 64-byte aligned).  beta == 0 never reads C
 *   (NaN/Inf in C do not propagate).  The sum is accumulated in order p = 0, 1, ..., k-1
 *   with one fused multiply-add per step, so every element of C gets the same sequence of
 *   roundings whatever its position in the tile (needed for thread-count invariance).
 *   Cost: MR*NR*k FMAs held in MR*NV vector registers; A and B are each read once.
 */
#ifndef UKR_CAT
#define UKR_CAT_(a, b) a##b
#define UKR_CAT(a, b) UKR_CAT_(a, b)
#endif

/* The kernel body for the first `nv` of the UKR_NV vectors of each row.  `b` advances by
 * `ldb` per k step: NR for a packed micro-panel (aligned loads), the row stride of B for
 * an unpacked row-major B (unaligned loads).  nv, ldb == NR and `packed` are compile-time
 * constants at the packed call sites, so those compile exactly to the plain kernel. */
UKR_ATTR static inline __attribute__((always_inline)) void UKR_CAT(UKR_NAME, _body)(
    ptrdiff_t k, const UKR_T *LAMINA_RESTRICT a, const UKR_T *LAMINA_RESTRICT b,
    ptrdiff_t ldb, UKR_T *LAMINA_RESTRICT c, ptrdiff_t rsc, UKR_T beta, const int nv,
    const int packed)
{
    UKR_V acc[UKR_MR][UKR_NV];
    ptrdiff_t p;
    int i, v;
#pragma GCC unroll 16
    for (i = 0; i < UKR_MR; ++i) {
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) acc[i][v] = UKR_ZERO;
        /* Bring every line of the C tile towards L1 while the k loop runs. */
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) __builtin_prefetch(c + i * rsc + v * (UKR_NR / UKR_NV), 1, 3);
        __builtin_prefetch(c + i * rsc + nv * (UKR_NR / UKR_NV) - 1, 1, 3);
    }
    /* Four k steps per loop iteration: measured 5-8% faster on the 8 x 24 float64 kernel
     * inside the full product (the loop's own instructions stay off the FMA ports' way).
     * A packed B streams sequentially and the hardware prefetchers keep up; software
     * prefetches in the loop cost about 2%.  B read in place has a row stride of several
     * KiB per step, which those prefetchers do not follow, so it is prefetched 8 rows ahead. */
#pragma GCC unroll 4
    for (p = 0; p < k; ++p) {
        UKR_V bv[UKR_NV];
        if (!packed) {
            __builtin_prefetch(a + 8 * UKR_MR, 0, 3);
            __builtin_prefetch(b + 8 * ldb, 0, 3);
        }
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v)
            bv[v] = packed ? UKR_LOAD(b + v * (UKR_NR / UKR_NV))
                           : UKR_LOADU(b + v * (UKR_NR / UKR_NV));
#pragma GCC unroll 16
        for (i = 0; i < UKR_MR; ++i) {
            UKR_V av = UKR_SET1(a[i]);
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v) acc[i][v] = UKR_FMA(av, bv[v], acc[i][v]);
        }
        a += UKR_MR;
        b += ldb;
    }
    /* Make c and rsc opaque here so the compiler recomputes the row addresses for the
     * stores instead of keeping the prologue's prefetch addresses alive through the k
     * loop: with a run-time rsc those took the last vector registers and pushed one B
     * vector out to the stack (a store and eight reloads per k step). */
    __asm__("" : "+r"(c), "+r"(rsc));
    if (beta == 0) {
#pragma GCC unroll 16
        for (i = 0; i < UKR_MR; ++i)
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v)
                UKR_STOREU(c + i * rsc + v * (UKR_NR / UKR_NV), acc[i][v]);
    } else {
        UKR_V bt = UKR_SET1(beta);
#pragma GCC unroll 16
        for (i = 0; i < UKR_MR; ++i)
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v) {
                UKR_T *cp = c + i * rsc + v * (UKR_NR / UKR_NV);
                /* acc + beta*c rounded twice, exactly like the scalar edge merge. */
                UKR_STOREU(cp, UKR_ADD(acc[i][v], UKR_MUL(bt, UKR_LOADU(cp))));
            }
    }
}

UKR_ATTR static void UKR_NAME(ptrdiff_t k, const UKR_T *LAMINA_RESTRICT a,
                              const UKR_T *LAMINA_RESTRICT b, UKR_T *LAMINA_RESTRICT c,
                              ptrdiff_t rsc, UKR_T beta)
{
    UKR_CAT(UKR_NAME, _body)(k, a, b, UKR_NR, c, rsc, beta, UKR_NV, 1);
}

/* Unpacked B: the NR columns of a row-major B at row stride ldb, read in place (used when
 * few row tiles share a B panel, so packing it would cost as much as the product). */
UKR_ATTR static void UKR_CAT(UKR_NAME, _ldb)(ptrdiff_t k, const UKR_T *LAMINA_RESTRICT a,
                                             const UKR_T *LAMINA_RESTRICT b, ptrdiff_t ldb,
                                             UKR_T *LAMINA_RESTRICT c, ptrdiff_t rsc,
                                             UKR_T beta)
{
    UKR_CAT(UKR_NAME, _body)(k, a, b, ldb, c, rsc, beta, UKR_NV, 0);
}

/* Narrow edge tiles: only the first `nv` vectors of each row of the tile (columns
 * nv * NR / NV and beyond are neither computed nor stored).  An edge tile of n_eff
 * columns needs ceil(n_eff / lanes) vectors, so a 10-column tile of the 8 x 48 float32
 * kernel costs one third of a full one.  Each computed element gets exactly the
 * roundings of the full kernel. */
UKR_ATTR static void UKR_CAT(UKR_NAME, _narrow)(ptrdiff_t k, const UKR_T *LAMINA_RESTRICT a,
                                                const UKR_T *LAMINA_RESTRICT b,
                                                UKR_T *LAMINA_RESTRICT c, ptrdiff_t rsc,
                                                UKR_T beta, int nv)
{
#if UKR_NV > 2
    if (nv == 2) { UKR_CAT(UKR_NAME, _body)(k, a, b, UKR_NR, c, rsc, beta, 2, 1); return; }
#endif
#if UKR_NV > 1
    if (nv == 1) { UKR_CAT(UKR_NAME, _body)(k, a, b, UKR_NR, c, rsc, beta, 1, 1); return; }
#endif
    UKR_CAT(UKR_NAME, _body)(k, a, b, UKR_NR, c, rsc, beta, UKR_NV, 1);
}

#ifdef UKR_MASKLOADU
/* Direct tiles for small products (nothing packed): A read in place at strides rsa, csa
 * (one broadcast per row and k step), B read in place as a row-major matrix at row
 * stride ldb, the last of the `nv` vectors of each row loaded and stored under `mask`
 * (columns past n are never read or written).  Rows from m_eff on repeat the last real
 * row of A and are not stored.  alpha is 1; the k loop and the beta merge are those of
 * the packed kernel, so each element gets exactly its roundings (k <= KC).  A float32
 * 64^3 product through _gemm.gemm took 4.7 us packed and takes 4.0 us direct (2.8 us of
 * it in these tiles): packing A, packing B's 16-column edge panel and merging the edge
 * tile through a buffer cost a third of the product. */
UKR_ATTR static inline __attribute__((always_inline)) void UKR_CAT(UKR_NAME, _dbody)(
    ptrdiff_t k, const UKR_T *a, ptrdiff_t rsa, ptrdiff_t csa, const UKR_T *b,
    ptrdiff_t ldb, UKR_T *c, ptrdiff_t rsc, UKR_T beta, int m_eff, const int nv,
    UKR_MASK_T mask)
{
    UKR_V acc[UKR_MR][UKR_NV];
    const UKR_T *ar[UKR_MR];
    ptrdiff_t p, pa;
    int i, v;
#pragma GCC unroll 16
    for (i = 0; i < UKR_MR; ++i) {
        ar[i] = a + (i < m_eff ? i : m_eff - 1) * rsa;
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) acc[i][v] = UKR_ZERO;
    }
#pragma GCC unroll 4
    for (p = 0, pa = 0; p < k; ++p, pa += csa) {
        UKR_V bv[UKR_NV];
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v)
            bv[v] = v == nv - 1 ? UKR_MASKLOADU(mask, b + v * (UKR_NR / UKR_NV))
                                : UKR_LOADU(b + v * (UKR_NR / UKR_NV));
#pragma GCC unroll 16
        for (i = 0; i < UKR_MR; ++i) {
            UKR_V av = UKR_SET1(ar[i][pa]);
#pragma GCC unroll 4
            for (v = 0; v < nv; ++v) acc[i][v] = UKR_FMA(av, bv[v], acc[i][v]);
        }
        b += ldb;
    }
    __asm__("" : "+r"(c), "+r"(rsc));
    UKR_V bt = UKR_SET1(beta);
#pragma GCC unroll 16
    for (i = 0; i < UKR_MR; ++i) {
        if (i >= m_eff) break;
#pragma GCC unroll 4
        for (v = 0; v < nv; ++v) {
            UKR_T *cp = c + i * rsc + v * (UKR_NR / UKR_NV);
            UKR_V r = acc[i][v];
            if (v == nv - 1) {
                if (beta != 0) r = UKR_ADD(r, UKR_MUL(bt, UKR_MASKLOADU(mask, cp)));
                UKR_MASKSTOREU(cp, mask, r);
            } else {
                if (beta != 0) r = UKR_ADD(r, UKR_MUL(bt, UKR_LOADU(cp)));
                UKR_STOREU(cp, r);
            }
        }
    }
}

UKR_ATTR static void UKR_CAT(UKR_NAME, _direct)(ptrdiff_t k, const UKR_T *a, ptrdiff_t rsa,
                                                ptrdiff_t csa, const UKR_T *b, ptrdiff_t ldb,
                                                UKR_T *c, ptrdiff_t rsc, UKR_T beta,
                                                int m_eff, int nv, UKR_MASK_T mask)
{
#if UKR_NV > 2
    if (nv == 2) {
        UKR_CAT(UKR_NAME, _dbody)(k, a, rsa, csa, b, ldb, c, rsc, beta, m_eff, 2, mask);
        return;
    }
#endif
#if UKR_NV > 1
    if (nv == 1) {
        UKR_CAT(UKR_NAME, _dbody)(k, a, rsa, csa, b, ldb, c, rsc, beta, m_eff, 1, mask);
        return;
    }
#endif
    UKR_CAT(UKR_NAME, _dbody)(k, a, rsa, csa, b, ldb, c, rsc, beta, m_eff, UKR_NV, mask);
}
#endif
