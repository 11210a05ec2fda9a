/*
 * lamina_rot_impl.h -- body of the rotation-sequence kernel, instantiated per (dtype, ISA)
 * by lamina_rot.h.  Z is column-major (element (i, j) at Z[i + j*ldz]); the caller passes a
 * block of nrows rows (a pointer to its first row), small enough to stay in cache.
 */
#define LCAT_(a, b, c) lamina_##a##b##_##c
#define LCAT(a, b, c) LCAT_(a, b, c)
#define LFN(name) LCAT(LP, name, LISA)

LATTR static void LFN(rot_rows)(ptrdiff_t nrows, LT *Z, ptrdiff_t ldz, ptrdiff_t nrot,
                                const int *idx, const LT *c, const LT *s)
{
    for (ptrdiff_t k = 0; k < nrot; ++k) {
        const LT ck = c[k], sk = s[k];
        LT *LAMINA_RESTRICT x = Z + (ptrdiff_t)idx[k] * ldz;
        LT *LAMINA_RESTRICT y = x + ldz;
        if (sk == 0 && ck == 1)
            continue;
        _Pragma("omp simd")
        for (ptrdiff_t i = 0; i < nrows; ++i) {
            const LT xi = x[i], yi = y[i];
            x[i] = ck * xi + sk * yi;
            y[i] = ck * yi - sk * xi;
        }
    }
}

#undef LFN
#undef LCAT
#undef LCAT_
