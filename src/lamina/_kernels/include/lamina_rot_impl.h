/*
 * lamina_rot_impl.h -- body of the rotation-sequence kernel, instantiated per (dtype, ISA)
 * by lamina_rot.h.  Z is column-major (element (i, j) at Z[i + j*ldz]); the caller passes a
 * block of nrows rows (a pointer to its first row).
 *
 * The rows are processed in strips of eight 64-byte vectors per column (64 doubles or 128
 * floats: eight independent FMA chains hide the latency of the carried column).  A
 * strip runs through every recorded rotation while its columns stay in L1/L2.  QR/QL
 * sweeps produce chains of rotations on overlapping column pairs ((j, j+1) then (j-1, j),
 * or (j, j+1) then (j+1, j+2)); along a chain the shared column stays in registers, so a
 * rotation costs one column load and one column store instead of two of each.
 */
#define LCAT_(a, b, c) lamina_##a##b##_##c
#define LCAT(a, b, c) LCAT_(a, b, c)
#define LFN(name) LCAT(LP, name, LISA)


LATTR static void LFN(rot_rows_tail)(ptrdiff_t nrows, LT *Z, ptrdiff_t ldz, ptrdiff_t nrot,
                                     const int *idx, const LT *c, const LT *s)
{
    for (ptrdiff_t k = 0; k < nrot; ++k) {
        const LT ck = c[k], sk = s[k];
        LT *LAMINA_RESTRICT x = Z + (ptrdiff_t)idx[k] * ldz;
        LT *LAMINA_RESTRICT y = x + ldz;
        _Pragma("omp simd")
        for (ptrdiff_t i = 0; i < nrows; ++i) {
            const LT xi = x[i], yi = y[i];
            x[i] = ck * xi + sk * yi;
            y[i] = ck * yi - sk * xi;
        }
    }
}

/* 64 bytes of LT, loadable from any LT-aligned address. */
typedef LT LCAT(LP, vec, LISA) __attribute__((vector_size(64), aligned(sizeof(LT))));
#define LVEC LCAT(LP, vec, LISA)
#define LROT_LOAD(q, p) do { q##0 = *(const LVEC *)(p); q##1 = *(const LVEC *)((p) + W); \
        q##2 = *(const LVEC *)((p) + 2 * W); q##3 = *(const LVEC *)((p) + 3 * W); \
        q##4 = *(const LVEC *)((p) + 4 * W); q##5 = *(const LVEC *)((p) + 5 * W); \
        q##6 = *(const LVEC *)((p) + 6 * W); q##7 = *(const LVEC *)((p) + 7 * W); } while (0)
#define LROT_STORE(p, q) do { *(LVEC *)(p) = q##0; *(LVEC *)((p) + W) = q##1; \
        *(LVEC *)((p) + 2 * W) = q##2; *(LVEC *)((p) + 3 * W) = q##3; \
        *(LVEC *)((p) + 4 * W) = q##4; *(LVEC *)((p) + 5 * W) = q##5; \
        *(LVEC *)((p) + 6 * W) = q##6; *(LVEC *)((p) + 7 * W) = q##7; } while (0)
#define LROT_MOVE(d, q) do { d##0 = q##0; d##1 = q##1; d##2 = q##2; d##3 = q##3; \
        d##4 = q##4; d##5 = q##5; d##6 = q##6; d##7 = q##7; } while (0)
#define LROT_APPLY(i) do { const LVEC xt = x##i, yt = y##i; x##i = ck * xt + sk * yt; \
        y##i = ck * yt - sk * xt; } while (0)

LATTR static void LFN(rot_rows)(ptrdiff_t nrows, LT *Z, ptrdiff_t ldz, ptrdiff_t nrot,
                                const int *idx, const LT *c, const LT *s)
{
    enum { W = 64 / sizeof(LT), S = 8 * W };
    ptrdiff_t i0 = 0;
    for (; i0 + S <= nrows; i0 += S) {
        LT *Zs = Z + i0;
        ptrdiff_t k = 0;
        while (k < nrot) {
            ptrdiff_t j = idx[k];
            LVEC x0, x1, x2, x3, x4, x5, x6, x7, y0, y1, y2, y3, y4, y5, y6, y7;
            LT *px = Zs + j * ldz, *py = px + ldz;
            LROT_LOAD(x, px);
            LROT_LOAD(y, py);
            for (;;) {
                const LVEC ck = (LVEC){0} + c[k], sk = (LVEC){0} + s[k];
                LROT_APPLY(0);
                LROT_APPLY(1);
                LROT_APPLY(2);
                LROT_APPLY(3);
                LROT_APPLY(4);
                LROT_APPLY(5);
                LROT_APPLY(6);
                LROT_APPLY(7);
                ++k;
                if (k < nrot && idx[k] == j - 1) {
                    /* (j-1, j) next: column j+1 is final, column j moves to y. */
                    LROT_STORE(py, y);
                    LROT_MOVE(y, x);
                    j -= 1;
                    py = px;
                    px = Zs + j * ldz;
                    LROT_LOAD(x, px);
                } else if (k < nrot && idx[k] == j + 1) {
                    /* (j+1, j+2) next: column j is final, column j+1 moves to x. */
                    LROT_STORE(px, x);
                    LROT_MOVE(x, y);
                    j += 1;
                    px = py;
                    py = Zs + (j + 1) * ldz;
                    LROT_LOAD(y, py);
                } else {
                    LROT_STORE(px, x);
                    LROT_STORE(py, y);
                    break;
                }
            }
        }
    }
    if (i0 < nrows)
        LFN(rot_rows_tail)(nrows - i0, Z + i0, ldz, nrot, idx, c, s);
}

#undef LROT_APPLY
#undef LROT_MOVE
#undef LROT_STORE
#undef LROT_LOAD
#undef LVEC
#undef LFN
#undef LCAT
#undef LCAT_
