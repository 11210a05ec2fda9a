/*
 * lamina_sell.h -- SpMV on the SELL-8 (sliced ELLPACK, slice height 8) layout.
 *
 * Layout: rows are cut into slices of 8 consecutive rows (no reordering).  Slice s stores
 * its entries column-major: entry j of the 8 rows at val/col[sptr[s] + 8 j + r],
 * r = 0..7, for j < width(s) = the longest row of the slice; slen[8 s + r] is the length
 * of row 8 s + r (0 past the last row).  Padding slots are masked off by those lengths, so
 * their contents never reach the result (no 0 * Inf = NaN from a padded slot).  After
 * the 8 nsl lengths (nsl = ceil(n / 8) slices), slen[8 nsl + s] is 1 when every step of
 * slice s has 8 live lanes over 8 consecutive columns (set when the layout is built), and
 * slen[9 nsl + p / 8] = col[p], the first column of the step at p.  The last entry of
 * slen (index 9 nsl + total / 8) is the value format: 0 when val has the matrix's dtype,
 * 1 when a float64 matrix keeps its values as float32 (all of them are float32 numbers,
 * so widening them back is exact: lamina_sell_d32_avx512).
 *
 * Algorithm: one 8-lane accumulator per slice, lane r summing row 8 s + r in column order
 * with fused multiply-adds -- the same order as a one-accumulator scalar loop over the CSR
 * row, so the result does not depend on the layout's slicing or on the thread count.
 * x is gathered with a masked gather, except when the 8 column indices of a step are
 * consecutive (banded and stencil matrices, nearly always): then one plain vector load
 * replaces the gather.  Slices flagged contiguous skip the masks and the per-step check
 * altogether: a step is then one multiply-add of the values and a vector of x at the
 * step's first column, read from the compact first-column list, so the cache lines of
 * col are not touched at all (a third less traffic; same arithmetic).  Cost: O(stored
 * entries) with vector loads for values and indices, against the three scalar loads per
 * nonzero of a CSR row loop; the layout pays off for short rows (fewer than ~16
 * nonzeros), where a CSR row cannot fill a vector.  Reference: Kreutzer, Hager, Wellein, Fehske, Bishop, "A unified sparse matrix
 * data format for efficient general sparse matrix-vector multiplication on modern
 * processors with wide SIMD units", SIAM J. Sci. Comput. 36(5), 2014.
 *
 * y = A x (b == NULL) or y = b - A x; returns sum_i y_i w_i (0 when w == NULL), summed in
 * 8 lanes over the slices [s0, s1) and then across lanes.
 */
#ifndef LAMINA_SELL_H
#define LAMINA_SELL_H

#include <stddef.h>
#include <stdint.h>
#include "lamina_cpu.h"

#if LAMINA_X86
#include <immintrin.h>

/* x[idx] for one step of 8 lanes, k: the lanes inside their rows. */
LAMINA_TARGET_AVX512 static inline __m512d lamina_sell_xd(
    __mmask8 k, __m256i idx, int32_t c0, const double *x)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    if (k == 0xFF && _mm256_cmpeq_epi32_mask(
            idx, _mm256_add_epi32(_mm256_set1_epi32(c0), iota)) == 0xFF)
        return _mm512_loadu_pd(x + c0);
    return _mm512_mask_i32gather_pd(_mm512_setzero_pd(), k, idx, x, 8);
}

/* y (and the dot product) for the 8 rows of slice s. */
LAMINA_TARGET_AVX512 static inline __m512d lamina_sell_finish_d(
    __m512d acc, ptrdiff_t s, ptrdiff_t n, const double *b, double *y, const double *w,
    __m512d dacc)
{
    ptrdiff_t r0 = 8 * s, nr = n - r0 < 8 ? n - r0 : 8;
    __mmask8 kr = (__mmask8)((1u << nr) - 1u);
    if (b) acc = _mm512_sub_pd(_mm512_maskz_loadu_pd(kr, b + r0), acc);
    _mm512_mask_storeu_pd(y + r0, kr, acc);
    if (w) dacc = _mm512_fmadd_pd(acc, _mm512_maskz_loadu_pd(kr, w + r0), dacc);
    return dacc;
}

/* 8 stored values from p on: float64, or float32 widened exactly (vf32: the layout keeps
 * a float64 matrix whose values are all float32 numbers -- a stencil's -1 and 4 -- in
 * half the bytes; the products and sums are the float64 ones, bit for bit). */
LAMINA_TARGET_AVX512 static inline __attribute__((always_inline)) __m512d lamina_sell_vd(
    const void *val, int64_t p, const int vf32)
{
    if (vf32) return _mm512_cvtps_pd(_mm256_loadu_ps((const float *)val + p));
    return _mm512_loadu_pd((const double *)val + p);
}

LAMINA_TARGET_AVX512 static inline __attribute__((always_inline)) double lamina_sell_d_body(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const void *val, const double *x, const double *b, double *y,
    const double *w, const int vf32)
{
    const ptrdiff_t nsl = (n + 7) / 8;
    const int32_t *contig = slen + 8 * nsl, *first = slen + 9 * nsl;
    __m512d dacc = _mm512_setzero_pd();
    ptrdiff_t s = s0;
    while (s < s1) {
        int64_t p = sptr[s], q = sptr[s + 1];
        int pair = s + 1 < s1 && sptr[s + 2] - q == q - p;
        if (pair && contig[s] && contig[s + 1]) {
            __m512d acca = _mm512_setzero_pd(), accb = _mm512_setzero_pd();
            for (int64_t end = q; p < end; p += 8, q += 8) {
                acca = _mm512_fmadd_pd(lamina_sell_vd(val, p, vf32),
                                       _mm512_loadu_pd(x + first[p / 8]), acca);
                accb = _mm512_fmadd_pd(lamina_sell_vd(val, q, vf32),
                                       _mm512_loadu_pd(x + first[q / 8]), accb);
            }
            dacc = lamina_sell_finish_d(acca, s, n, b, y, w, dacc);
            dacc = lamina_sell_finish_d(accb, s + 1, n, b, y, w, dacc);
            s += 2;
            continue;
        }
        if (contig[s]) {
            __m512d acc = _mm512_setzero_pd();
            for (; p < q; p += 8)
                acc = _mm512_fmadd_pd(lamina_sell_vd(val, p, vf32),
                                      _mm512_loadu_pd(x + first[p / 8]), acc);
            dacc = lamina_sell_finish_d(acc, s, n, b, y, w, dacc);
            s += 1;
            continue;
        }
        if (pair) {
            /* Two slices of the same width side by side: two independent FMA chains per
             * step hide each other's latency (the per-lane sums are unchanged). */
            const __m256i la = _mm256_loadu_si256((const __m256i *)(slen + 8 * s));
            const __m256i lb = _mm256_loadu_si256((const __m256i *)(slen + 8 * s + 8));
            __m512d acca = _mm512_setzero_pd(), accb = _mm512_setzero_pd();
            int32_t j = 0;
            for (int64_t end = q; p < end; p += 8, q += 8, j++) {
                __m256i jv = _mm256_set1_epi32(j);
                __mmask8 ka = _mm256_cmpgt_epi32_mask(la, jv);
                __mmask8 kb = _mm256_cmpgt_epi32_mask(lb, jv);
                __m512d xa = lamina_sell_xd(
                    ka, _mm256_loadu_si256((const __m256i *)(col + p)), col[p], x);
                __m512d xb = lamina_sell_xd(
                    kb, _mm256_loadu_si256((const __m256i *)(col + q)), col[q], x);
                acca = _mm512_mask3_fmadd_pd(lamina_sell_vd(val, p, vf32), xa, acca, ka);
                accb = _mm512_mask3_fmadd_pd(lamina_sell_vd(val, q, vf32), xb, accb, kb);
            }
            dacc = lamina_sell_finish_d(acca, s, n, b, y, w, dacc);
            dacc = lamina_sell_finish_d(accb, s + 1, n, b, y, w, dacc);
            s += 2;
            continue;
        }
        const __m256i len = _mm256_loadu_si256((const __m256i *)(slen + 8 * s));
        __m512d acc = _mm512_setzero_pd();
        int32_t j = 0;
        for (; p < q; p += 8, j++) {
            __mmask8 k = _mm256_cmpgt_epi32_mask(len, _mm256_set1_epi32(j));
            __m512d xv = lamina_sell_xd(
                k, _mm256_loadu_si256((const __m256i *)(col + p)), col[p], x);
            acc = _mm512_mask3_fmadd_pd(lamina_sell_vd(val, p, vf32), xv, acc, k);
        }
        dacc = lamina_sell_finish_d(acc, s, n, b, y, w, dacc);
        s += 1;
    }
    return _mm512_reduce_add_pd(dacc);
}

LAMINA_TARGET_AVX512 static double lamina_sell_d_avx512(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const double *val, const double *x, const double *b, double *y,
    const double *w)
{
    return lamina_sell_d_body(s0, s1, n, sptr, slen, col, val, x, b, y, w, 0);
}

LAMINA_TARGET_AVX512 static double lamina_sell_d32_avx512(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const float *val, const double *x, const double *b, double *y,
    const double *w)
{
    return lamina_sell_d_body(s0, s1, n, sptr, slen, col, val, x, b, y, w, 1);
}

LAMINA_TARGET_AVX512 static double lamina_sell_s_avx512(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const float *val, const float *x, const float *b, float *y,
    const float *w)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const ptrdiff_t nsl = (n + 7) / 8;
    const int32_t *contig = slen + 8 * nsl, *first = slen + 9 * nsl;
    __m512d dacc = _mm512_setzero_pd();
    for (ptrdiff_t s = s0; s < s1; s++) {
        const __m256i len = _mm256_loadu_si256((const __m256i *)(slen + 8 * s));
        __m256 acc = _mm256_setzero_ps();
        int32_t j = 0;
        if (contig[s]) {
            for (int64_t p = sptr[s]; p < sptr[s + 1]; p += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(val + p),
                                      _mm256_loadu_ps(x + first[p / 8]), acc);
        } else for (int64_t p = sptr[s]; p < sptr[s + 1]; p += 8, j++) {
            __mmask8 k = _mm256_cmpgt_epi32_mask(len, _mm256_set1_epi32(j));
            __m256i idx = _mm256_loadu_si256((const __m256i *)(col + p));
            __m256 xv;
            if (k == 0xFF && _mm256_cmpeq_epi32_mask(
                    idx, _mm256_add_epi32(_mm256_set1_epi32(col[p]), iota)) == 0xFF)
                xv = _mm256_loadu_ps(x + col[p]);
            else
                xv = _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), k, idx, x, 4);
            acc = _mm256_mask3_fmadd_ps(_mm256_loadu_ps(val + p), xv, acc, k);
        }
        ptrdiff_t r0 = 8 * s, nr = n - r0 < 8 ? n - r0 : 8;
        __mmask8 kr = (__mmask8)((1u << nr) - 1u);
        if (b) acc = _mm256_sub_ps(_mm256_maskz_loadu_ps(kr, b + r0), acc);
        _mm256_mask_storeu_ps(y + r0, kr, acc);
        if (w) dacc = _mm512_fmadd_pd(_mm512_cvtps_pd(acc),
                                      _mm512_cvtps_pd(_mm256_maskz_loadu_ps(kr, w + r0)), dacc);
    }
    return _mm512_reduce_add_pd(dacc);
}
/* Does the SELL-8 copy of slices [s0, s1) still hold exactly the CSR matrix (indptr,
 * indices: int64 when idx64 else int32; data: float32 when df32 else float64; val: float32
 * when vf32)?  Row lengths, then per step of 8 lanes the CSR entries gathered from the 8
 * rows against the copy's contiguous step, columns and value bit patterns (a float32-
 * stored value widened exactly).  Returns 1 at the first difference. */
LAMINA_TARGET_AVX512 static inline __attribute__((always_inline)) int lamina_sell_differs_body(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const void *val, const void *indptr, const void *indices,
    const void *data, const int idx64, const int df32, const int vf32)
{
    for (ptrdiff_t s = s0; s < s1; s++) {
        ptrdiff_t r0 = 8 * s, nr = n - r0 < 8 ? n - r0 : 8;
        __mmask8 kr = (__mmask8)((1u << nr) - 1u);
        int64_t q = sptr[s], w = (sptr[s + 1] - q) / 8;
        __m512i st, en;
        if (idx64) {
            st = _mm512_maskz_loadu_epi64(kr, (const int64_t *)indptr + r0);
            en = _mm512_maskz_loadu_epi64(kr, (const int64_t *)indptr + r0 + 1);
        } else {
            st = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(kr, (const int32_t *)indptr + r0));
            en = _mm512_cvtepi32_epi64(
                _mm256_maskz_loadu_epi32(kr, (const int32_t *)indptr + r0 + 1));
        }
        __m512i len = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(slen + r0)));
        /* lengths match the CSR rows (0 past the last row) and fit the slice's width */
        if (_mm512_cmpneq_epi64_mask(len, _mm512_sub_epi64(en, st)) ||
            _mm512_cmpgt_epi64_mask(len, _mm512_set1_epi64(w)))
            return 1;
        for (int64_t j = 0; j < w; j++) {
            __mmask8 k = _mm512_cmpgt_epi64_mask(len, _mm512_set1_epi64(j));
            __m512i idx = _mm512_add_epi64(st, _mm512_set1_epi64(j));
            __m256i cs = _mm256_loadu_si256((const __m256i *)(col + q + 8 * j));
            if (idx64) {
                __m512i cc = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), k, idx,
                                                         indices, 8);
                if (_mm512_mask_cmpneq_epi64_mask(k, cc, _mm512_cvtepi32_epi64(cs))) return 1;
            } else {
                __m256i cc = _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), k, idx,
                                                         indices, 4);
                if (_mm256_mask_cmpneq_epi32_mask(k, cc, cs)) return 1;
            }
            if (df32) {
                __m256 dv = _mm512_mask_i64gather_ps(_mm256_setzero_ps(), k, idx, data, 4);
                __m256 sv = _mm256_loadu_ps((const float *)val + q + 8 * j);
                if (_mm256_mask_cmpneq_epi32_mask(k, _mm256_castps_si256(dv),
                                                  _mm256_castps_si256(sv)))
                    return 1;
            } else {
                __m512d dv = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), k, idx, data, 8);
                __m512d sv = vf32 ? _mm512_cvtps_pd(_mm256_loadu_ps((const float *)val + q + 8 * j))
                                  : _mm512_loadu_pd((const double *)val + q + 8 * j);
                if (_mm512_mask_cmpneq_epi64_mask(k, _mm512_castpd_si512(dv),
                                                  _mm512_castpd_si512(sv)))
                    return 1;
            }
        }
    }
    return 0;
}

LAMINA_TARGET_AVX512 static int lamina_sell_differs_avx512(
    ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n, const int64_t *sptr, const int32_t *slen,
    const int32_t *col, const void *val, const void *indptr, const void *indices,
    const void *data, int idx64, int df32, int vf32)
{
#define LAMINA_SELL_DIFFERS(I, D, V) \
    lamina_sell_differs_body(s0, s1, n, sptr, slen, col, val, indptr, indices, data, I, D, V)
    if (idx64) {
        if (df32) return LAMINA_SELL_DIFFERS(1, 1, 1);
        return vf32 ? LAMINA_SELL_DIFFERS(1, 0, 1) : LAMINA_SELL_DIFFERS(1, 0, 0);
    }
    if (df32) return LAMINA_SELL_DIFFERS(0, 1, 1);
    return vf32 ? LAMINA_SELL_DIFFERS(0, 0, 1) : LAMINA_SELL_DIFFERS(0, 0, 0);
#undef LAMINA_SELL_DIFFERS
}
#define LAMINA_HAVE_SELL_AVX512 1
#else
#define LAMINA_HAVE_SELL_AVX512 0
static double lamina_sell_d_avx512(ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n,
    const int64_t *sptr, const int32_t *slen, const int32_t *col, const double *val,
    const double *x, const double *b, double *y, const double *w)
{ (void)s0; (void)s1; (void)n; (void)sptr; (void)slen; (void)col; (void)val; (void)x;
  (void)b; (void)y; (void)w; return 0.0; }
static double lamina_sell_d32_avx512(ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n,
    const int64_t *sptr, const int32_t *slen, const int32_t *col, const float *val,
    const double *x, const double *b, double *y, const double *w)
{ (void)s0; (void)s1; (void)n; (void)sptr; (void)slen; (void)col; (void)val; (void)x;
  (void)b; (void)y; (void)w; return 0.0; }
static int lamina_sell_differs_avx512(ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n,
    const int64_t *sptr, const int32_t *slen, const int32_t *col, const void *val,
    const void *indptr, const void *indices, const void *data, int idx64, int df32, int vf32)
{ (void)s0; (void)s1; (void)n; (void)sptr; (void)slen; (void)col; (void)val; (void)indptr;
  (void)indices; (void)data; (void)idx64; (void)df32; (void)vf32; return 1; }
static double lamina_sell_s_avx512(ptrdiff_t s0, ptrdiff_t s1, ptrdiff_t n,
    const int64_t *sptr, const int32_t *slen, const int32_t *col, const float *val,
    const float *x, const float *b, float *y, const float *w)
{ (void)s0; (void)s1; (void)n; (void)sptr; (void)slen; (void)col; (void)val; (void)x;
  (void)b; (void)y; (void)w; return 0.0; }
#endif

#endif /* LAMINA_SELL_H */
