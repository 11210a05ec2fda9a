/*
 * lamina_blas1_impl.h -- level-1 kernel bodies, instantiated once per (dtype, ISA).
 *
 * Included repeatedly by lamina_blas1.h with these macros defined:
 *   LT      element type (double or float)
 *   LP      BLAS prefix letter (d or s)
 *   LISA    ISA suffix (generic, avx2, avx512)
 *   LATTR   the matching LAMINA_TARGET_* attribute
 *   LACC    number of independent accumulators in reductions (a multiple of the vector width)
 *
 * Contract: `n` elements, `incx`/`incy` element strides that may be negative or zero (the
 * pointer is the first logical element, so x[i*incx] walks the vector in order).  Unit
 * strides take the vectorized path; other strides take a scalar loop.
 *
 * Reductions keep LACC partial sums so that gcc emits several independent vector
 * accumulators (hiding FMA latency) from `#pragma omp simd`.  Results therefore depend on
 * the ISA through summation order only; each is a sum of exactly the same products.
 */
#define LCAT_(a, b, c) lamina_##a##b##_##c
#define LCAT(a, b, c) LCAT_(a, b, c)
#define LFN(name) LCAT(LP, name, LISA)

LATTR static LT LFN(dot)(ptrdiff_t n, const LT *x, ptrdiff_t incx, const LT *y, ptrdiff_t incy)
{
    LT s = 0;
    ptrdiff_t i = 0;
    if (incx == 1 && incy == 1) {
        LT acc[LACC];
        for (int j = 0; j < LACC; ++j) acc[j] = 0;
        for (; i + LACC <= n; i += LACC) {
            _Pragma("omp simd")
            for (int j = 0; j < LACC; ++j) acc[j] += x[i + j] * y[i + j];
        }
        for (; i < n; ++i) s += x[i] * y[i];
        for (int j = 0; j < LACC; ++j) s += acc[j];
    } else {
        for (; i < n; ++i) s += x[i * incx] * y[i * incy];
    }
    return s;
}

LATTR static void LFN(axpy)(ptrdiff_t n, LT alpha, const LT *x, ptrdiff_t incx, LT *y, ptrdiff_t incy)
{
    if (incx == 1 && incy == 1) {
        _Pragma("omp simd")
        for (ptrdiff_t i = 0; i < n; ++i) y[i] += alpha * x[i];
    } else {
        for (ptrdiff_t i = 0; i < n; ++i) y[i * incy] += alpha * x[i * incx];
    }
}

LATTR static void LFN(scal)(ptrdiff_t n, LT alpha, LT *x, ptrdiff_t incx)
{
    if (incx == 1) {
        _Pragma("omp simd")
        for (ptrdiff_t i = 0; i < n; ++i) x[i] *= alpha;
    } else {
        for (ptrdiff_t i = 0; i < n; ++i) x[i * incx] *= alpha;
    }
}

LATTR static LT LFN(asum)(ptrdiff_t n, const LT *x, ptrdiff_t incx)
{
    LT s = 0;
    ptrdiff_t i = 0;
    if (incx == 1) {
        LT acc[LACC];
        for (int j = 0; j < LACC; ++j) acc[j] = 0;
        for (; i + LACC <= n; i += LACC) {
            _Pragma("omp simd")
            for (int j = 0; j < LACC; ++j) acc[j] += LFABS(x[i + j]);
        }
        for (; i < n; ++i) s += LFABS(x[i]);
        for (int j = 0; j < LACC; ++j) s += acc[j];
    } else {
        for (; i < n; ++i) s += LFABS(x[i * incx]);
    }
    return s;
}

/* Sum of (scale*x_i)^2 and max |x_i| in one pass.  NaN propagates into the sum. */
LATTR static LT LFN(sumsq_amax)(ptrdiff_t n, const LT *x, ptrdiff_t incx, LT scale, LT *amax_out)
{
    LT s = 0, m = 0;
    ptrdiff_t i = 0;
    if (incx == 1) {
        LT acc[LACC], mx[LACC];
        for (int j = 0; j < LACC; ++j) { acc[j] = 0; mx[j] = 0; }
        for (; i + LACC <= n; i += LACC) {
            _Pragma("omp simd")
            for (int j = 0; j < LACC; ++j) {
                LT v = x[i + j] * scale;
                LT a = LFABS(x[i + j]);
                acc[j] += v * v;
                mx[j] = a > mx[j] ? a : mx[j];
            }
        }
        for (; i < n; ++i) {
            LT v = x[i] * scale, a = LFABS(x[i]);
            s += v * v;
            m = a > m ? a : m;
        }
        for (int j = 0; j < LACC; ++j) { s += acc[j]; m = mx[j] > m ? mx[j] : m; }
    } else {
        for (; i < n; ++i) {
            LT v = x[i * incx] * scale, a = LFABS(x[i * incx]);
            s += v * v;
            m = a > m ? a : m;
        }
    }
    *amax_out = m;
    return s;
}

/* Largest |x_i| ignoring NaN, and whether any NaN was seen. */
LATTR static LT LFN(amax_nan)(ptrdiff_t n, const LT *x, ptrdiff_t incx, int *nan_seen)
{
    LT m = 0;
    int bad = 0;
    ptrdiff_t i = 0;
    if (incx == 1) {
        LT mx[LACC];
        LT nn[LACC];
        for (int j = 0; j < LACC; ++j) { mx[j] = 0; nn[j] = 0; }
        for (; i + LACC <= n; i += LACC) {
            _Pragma("omp simd")
            for (int j = 0; j < LACC; ++j) {
                LT a = LFABS(x[i + j]);
                mx[j] = a > mx[j] ? a : mx[j];
                nn[j] += (a != a) ? 1 : 0;
            }
        }
        for (int j = 0; j < LACC; ++j) { m = mx[j] > m ? mx[j] : m; bad |= nn[j] != 0; }
    }
    for (; i < n; ++i) {
        LT a = LFABS(x[i * incx]);
        m = a > m ? a : m;
        bad |= (a != a);
    }
    *nan_seen = bad;
    return m;
}

#undef LCAT_
#undef LCAT
#undef LFN
