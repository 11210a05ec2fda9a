/*
 * lamina_trsm_leaf_impl.h -- body of lamina_trsm_leaf.h, instantiated once per
 * (dtype, ISA) with LT (element type), LP (d or s), LISA and LATTR defined.
 */
#define LTL_CAT_(a, b, c) lamina_##a##b##_##c
#define LTL_CAT(a, b, c) LTL_CAT_(a, b, c)
#define LTL_FN(name) LTL_CAT(LP, name, LISA)
#define LTL_M LAMINA_TRSM_LEAF_MAX

LATTR static void LTL_FN(trsm_leaf)(int lower, int unit, ptrdiff_t m, ptrdiff_t n,
                                    const LT *A, ptrdiff_t rsa, ptrdiff_t csa,
                                    LT *B, ptrdiff_t ldb)
{
    /* col[p][i] = A(i, p) strictly below (lower) or above (upper) the diagonal, else 0. */
    LT col[LTL_M][LTL_M] __attribute__((aligned(64)));
    LT x[4][LTL_M] __attribute__((aligned(64)));
    LT diag[LTL_M];
    ptrdiff_t i, p, pp, j, c, nc;
    int finite;
    for (p = 0; p < LTL_M; ++p)
        for (i = 0; i < LTL_M; ++i)
            col[p][i] = (p < m && i < m && (lower ? i > p : i < p)) ? A[i * rsa + p * csa] : 0;
    for (p = 0; p < m; ++p) diag[p] = unit ? (LT)1 : A[p * rsa + p * csa];
    for (j = 0; j < n; j += 4) {
        nc = n - j < 4 ? n - j : 4;
        for (c = 0; c < 4; ++c)
            for (i = 0; i < LTL_M; ++i)
                x[c][i] = (c < nc && i < m) ? B[i + (j + c) * ldb] : 0;
        finite = 1;
        for (pp = 0; pp < m; ++pp) {
            LT x0, x1, x2, x3;
            const LT *cp;
            p = lower ? pp : m - 1 - pp;
            if (!unit) {
                x[0][p] = x[0][p] / diag[p];
                x[1][p] = x[1][p] / diag[p];
                x[2][p] = x[2][p] / diag[p];
                x[3][p] = x[3][p] / diag[p];
            }
            x0 = x[0][p];
            x1 = x[1][p];
            x2 = x[2][p];
            x3 = x[3][p];
            /* x - x is 0 unless x is Inf or NaN */
            finite &= (x0 - x0) == 0 && (x1 - x1) == 0 && (x2 - x2) == 0 && (x3 - x3) == 0;
            cp = col[p];
            _Pragma("omp simd")
            for (i = 0; i < LTL_M; ++i) {
                x[0][i] -= x0 * cp[i];
                x[1][i] -= x1 * cp[i];
                x[2][i] -= x2 * cp[i];
                x[3][i] -= x3 * cp[i];
            }
        }
        if (finite) {
            for (c = 0; c < nc; ++c)
                for (i = 0; i < m; ++i)
                    B[i + (j + c) * ldb] = x[c][i];
            continue;
        }
        /* An Inf or NaN in the solution: the padded zeros would spread it as 0 * Inf
         * into rows plain substitution never touches.  Redo these columns (B still
         * holds them unsolved) by plain substitution. */
        for (c = 0; c < nc; ++c) {
            LT *b = B + (j + c) * ldb, xp;
            for (pp = 0; pp < m; ++pp) {
                p = lower ? pp : m - 1 - pp;
                xp = b[p];
                if (!unit) {
                    xp = xp / diag[p];
                    b[p] = xp;
                }
                if (xp != 0) {
                    if (lower) {
                        for (i = p + 1; i < m; ++i) b[i] -= xp * A[i * rsa + p * csa];
                    } else {
                        for (i = 0; i < p; ++i) b[i] -= xp * A[i * rsa + p * csa];
                    }
                }
            }
        }
    }
}

#undef LTL_CAT_
#undef LTL_CAT
#undef LTL_FN
#undef LTL_M
