/*
 * lamina_blas2_impl.h -- level-2 kernel bodies, instantiated per (dtype, ISA) by lamina_blas2.h
 * with the same macros as lamina_blas1_impl.h.
 *
 * Contract: the matrix A is addressed as A[i*rs + j*cs] with element strides rs, cs (any sign).
 * x and y vectors handed to these bodies have unit stride (the Cython layer copies a strided
 * vector once; it is O(n) beside the O(mn) matrix).  Each body works on the row range
 * [i0, i1) so the caller can hand disjoint row blocks to threads.
 */
#define LCAT_(a, b, c) lamina_##a##b##_##c
#define LCAT(a, b, c) LCAT_(a, b, c)
#define LFN(name) LCAT(LP, name, LISA)

/* y[i] = alpha * sum_j A[i,j] x[j] + beta * y[i]  for i in [i0, i1); beta == 0 ignores y. */
LATTR static void LFN(gemv_rows)(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, LT alpha,
                                 const LT *A, ptrdiff_t rs, ptrdiff_t cs,
                                 const LT *LAMINA_RESTRICT x, LT beta, LT *LAMINA_RESTRICT y)
{
    if (cs == 1) {
        /* Row-major rows: dot products with LACC accumulators; x stays in cache. */
        for (ptrdiff_t i = i0; i < i1; ++i) {
            const LT *a = A + i * rs;
            LT acc[LACC], s = 0;
            ptrdiff_t j = 0;
            for (int t = 0; t < LACC; ++t) acc[t] = 0;
            for (; j + LACC <= n; j += LACC) {
                _Pragma("omp simd")
                for (int t = 0; t < LACC; ++t) acc[t] += a[j + t] * x[j + t];
            }
            for (; j < n; ++j) s += a[j] * x[j];
            for (int t = 0; t < LACC; ++t) s += acc[t];
            y[i] = (beta == 0) ? alpha * s : alpha * s + beta * y[i];
        }
    } else if (rs == 1) {
        /* Column-major: y[i0:i1] += A[i0:i1, j:j+4] x[j:j+4], four columns per sweep of y. */
        ptrdiff_t j = 0;
        if (beta == 0) {
            for (ptrdiff_t i = i0; i < i1; ++i) y[i] = 0;
        } else if (beta != 1) {
            _Pragma("omp simd")
            for (ptrdiff_t i = i0; i < i1; ++i) y[i] *= beta;
        }
        for (; j + 4 <= n; j += 4) {
            const LT *a0 = A + j * cs, *a1 = a0 + cs, *a2 = a1 + cs, *a3 = a2 + cs;
            LT x0 = alpha * x[j], x1 = alpha * x[j + 1], x2 = alpha * x[j + 2], x3 = alpha * x[j + 3];
            _Pragma("omp simd")
            for (ptrdiff_t i = i0; i < i1; ++i)
                y[i] += a0[i] * x0 + a1[i] * x1 + a2[i] * x2 + a3[i] * x3;
        }
        for (; j < n; ++j) {
            const LT *a0 = A + j * cs;
            LT x0 = alpha * x[j];
            _Pragma("omp simd")
            for (ptrdiff_t i = i0; i < i1; ++i) y[i] += a0[i] * x0;
        }
    } else {
        for (ptrdiff_t i = i0; i < i1; ++i) {
            LT s = 0;
            for (ptrdiff_t j = 0; j < n; ++j) s += A[i * rs + j * cs] * x[j];
            y[i] = (beta == 0) ? alpha * s : alpha * s + beta * y[i];
        }
    }
}

/* A[i, :] = beta * A[i, :] + alpha * x[i] * y  for i in [i0, i1); beta is 0 or 1. */
LATTR static void LFN(ger_rows)(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t n, LT alpha,
                                const LT *LAMINA_RESTRICT x, const LT *LAMINA_RESTRICT y,
                                LT *A, ptrdiff_t rs, ptrdiff_t cs, int accumulate)
{
    if (cs == 1) {
        for (ptrdiff_t i = i0; i < i1; ++i) {
            LT *a = A + i * rs;
            LT xi = alpha * x[i];
            if (accumulate) {
                _Pragma("omp simd")
                for (ptrdiff_t j = 0; j < n; ++j) a[j] += xi * y[j];
            } else {
                _Pragma("omp simd")
                for (ptrdiff_t j = 0; j < n; ++j) a[j] = xi * y[j];
            }
        }
    } else if (rs == 1) {
        for (ptrdiff_t j = 0; j < n; ++j) {
            LT *a = A + j * cs;
            LT yj = alpha * y[j];
            if (accumulate) {
                _Pragma("omp simd")
                for (ptrdiff_t i = i0; i < i1; ++i) a[i] += x[i] * yj;
            } else {
                _Pragma("omp simd")
                for (ptrdiff_t i = i0; i < i1; ++i) a[i] = x[i] * yj;
            }
        }
    } else {
        for (ptrdiff_t i = i0; i < i1; ++i)
            for (ptrdiff_t j = 0; j < n; ++j) {
                LT v = alpha * x[i] * y[j];
                A[i * rs + j * cs] = accumulate ? A[i * rs + j * cs] + v : v;
            }
    }
}

#undef LCAT_
#undef LCAT
#undef LFN
