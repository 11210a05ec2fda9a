/*
 * lamina_losses_impl.h -- loss loops, instantiated once per (dtype, ISA) by lamina_losses.h.
 *
 * Macros defined by the includer: LT, LP (d/s), LV(fn), LISA, LATTR.
 *
 * Element-wise losses (one pattern, expanded per loss by LAMINA_ELEMENTWISE_LOOP):
 *   a chunk [i0, i1) of a contiguous n_rows x K array is processed in row segments (one
 *   segment when neither per-row weights nor per-column parameters are present); each
 *   segment is one `omp simd` loop that reads p and t once, writes the scaled gradient once
 *   (or adds it, for penalties accumulating into a caller's buffer), optionally writes the
 *   weighted element losses, and returns the weighted sum of the chunk's losses.
 *
 * Softmax cross-entropy (LFN(softmax_ce_row)): one row of C logits, see lamina_losses.h.
 */
#define LCAT3_(a, b, c) lamina_##a##b##_##c
#define LCAT3(a, b, c) LCAT3_(a, b, c)
#define LFN(name) LCAT3(LP, name, LISA)

#define LAMINA_LOSS_BLOCK 1024

/* One segment loop; PARAM is the per-element parameter expression, STORE writes g. */
#define LAMINA_SEGMENT(FN, PARAM, STORE, WITH_LOUT)                                        \
    for (ptrdiff_t b0 = s0; b0 < s1; b0 += LAMINA_LOSS_BLOCK) {                            \
        /* short blocks keep the per-lane sums in the element type accurate */            \
        ptrdiff_t b1 = s1 - b0 < LAMINA_LOSS_BLOCK ? s1 : b0 + LAMINA_LOSS_BLOCK;           \
        LT acc = 0;                                                                        \
        _Pragma("omp simd reduction(+:acc)")                                               \
        for (ptrdiff_t i = b0; i < b1; ++i) {                                              \
            LT gi;                                                                         \
            LT li = FN(p[i], t[i], PARAM, &gi);                                            \
            STORE;                                                                         \
            if (WITH_LOUT) lout[i] = wr * li;                                              \
            acc += li;                                                                     \
        }                                                                                  \
        total += (double)wr * (double)acc;                                                 \
    }

#define LAMINA_ELEMENTWISE_LOOP(NAME)                                                      \
LATTR static double LFN(chunk_##NAME)(ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t K,            \
        const LT *LAMINA_RESTRICT p, const LT *LAMINA_RESTRICT t, LT a,                   \
        const LT *LAMINA_RESTRICT pcol, const LT *LAMINA_RESTRICT w, LT gscale,           \
        LT *LAMINA_RESTRICT g, int accumulate, LT *LAMINA_RESTRICT lout)                  \
{                                                                                          \
    double total = 0;                                                                      \
    int by_row = w != NULL || pcol != NULL;                                                \
    ptrdiff_t s0 = i0;                                                                     \
    while (s0 < i1) {                                                                      \
        ptrdiff_t r = by_row ? s0 / K : 0;                                                 \
        ptrdiff_t s1 = by_row ? ((r + 1) * K < i1 ? (r + 1) * K : i1) : i1;               \
        LT wr = w != NULL ? w[r] : (LT)1;                                                  \
        LT gs = gscale * wr;                                                               \
        ptrdiff_t rK = r * K;                                                              \
        if (pcol != NULL) {                                                                \
            if (lout) LAMINA_SEGMENT(LEF(loss_##NAME), pcol[i - rK], g[i] = gs * gi, 1)    \
            else LAMINA_SEGMENT(LEF(loss_##NAME), pcol[i - rK], g[i] = gs * gi, 0)         \
        } else if (accumulate) {                                                           \
            LAMINA_SEGMENT(LEF(loss_##NAME), a, g[i] += gs * gi, 0)                        \
        } else if (lout) {                                                                 \
            LAMINA_SEGMENT(LEF(loss_##NAME), a, g[i] = gs * gi, 1)                         \
        } else {                                                                           \
            LAMINA_SEGMENT(LEF(loss_##NAME), a, g[i] = gs * gi, 0)                         \
        }                                                                                  \
        s0 = s1;                                                                           \
    }                                                                                      \
    return total;                                                                          \
}

LAMINA_FOR_EACH_ELEMENTWISE_LOSS(LAMINA_ELEMENTWISE_LOOP)

#undef LAMINA_ELEMENTWISE_LOOP
#undef LAMINA_SEGMENT

/* Softmax cross-entropy of one row.
 *
 * The row's target is described by coefficients a_j >= 0 (the weighted target
 * distribution): a_j = base * c_j + (j == label) * extra for integer labels (c = class
 * weights or 1, base = eps/C for label smoothing eps, extra = (1 - eps) c_label), or
 * a_j = c_j q_j for a probability row q.  With A = sum_j a_j, p = softmax(x):
 *     loss = sum_j a_j (lse - x_j) = A log S + sum_j a_j (M - x_j),   S = sum_j exp(x_j - M)
 *     grad_j = A p_j - a_j        (then times gs)
 * Pass 1 streams the row once in L1-sized chunks: each chunk's max, then exp(x_j - M)
 * relative to the running max M, written to the scratch row w and summed; when the max
 * grows the running sum is rescaled by exp(M_old - M_new) (Milakov & Gimelshein 2018's
 * online softmax, applied per chunk so the rescale costs one scalar exp per chunk, not one
 * per element).  Pass 2 walks the scratch row again while it is still in L1/L2 and turns
 * the stored exponentials into the gradient with one multiply-add, scaling each chunk by
 * exp(M_chunk - M) once: one exp per element in all.  Rows of more than
 * LAMINA_SOFTMAX_MAX_CHUNKS chunks recompute the exponentials in pass 2 instead.
 *
 * Memory traffic: x is read once and g written once.  Without `stream` pass 2 writes g.
 * With `stream` (gradients too large to stay in cache) the gradient is left in the scratch
 * row w, and g is not touched: the caller writes it later with non-temporal stores, which
 * never read g's lines for ownership (2 bytes of traffic per byte of logits instead of 3).
 * To keep the memory busy while the exps compute, the previous row's gradient `pend`
 * (C elements, or NULL) is copied to `pend_g` that way during pass 1, a slice after each
 * block of exps (no fence: the caller fences after its last row, see
 * lamina_<d|s>softmax_store_row).  A row thus computes while the row before it is written.
 * g may be x itself (the gradient overwrites the logits): x is only read before the
 * element of g at the same index is written.  w holds C elements and must not alias.
 *
 * Terms with a_j = 0 are skipped so that x_j = -inf with zero target weight gives 0,
 * not NaN.  Returns the row loss (before the sample weight); NaN (and a NaN gradient) when
 * it is undefined: a NaN or +inf logit, or every logit -inf.
 */
#define LAMINA_SOFTMAX_CHUNK 1024
#define LAMINA_SOFTMAX_MAX_CHUNKS 256
#define LAMINA_SOFTMAX_AHEAD 2048
#define LAMINA_SOFTMAX_SUB 128

/* Pass 2 over chunk [j0, j1) into D with E the scaled probability A p_j times gs. */
#define LAMINA_SOFTMAX_PASS2(D, E)                                                         \
    if (q != NULL) {                                                                       \
        if (cw != NULL) {                                                                  \
            _Pragma("omp simd reduction(+:dev)")                                           \
            for (ptrdiff_t j = j0; j < j1; ++j) {                                          \
                LT aj = cw[j] * q[j], d = M - x[j];                                        \
                D[j] = (E) - gs * aj;                                                      \
                dev += aj != 0 ? aj * d : (LT)0;                                           \
            }                                                                              \
        } else {                                                                           \
            _Pragma("omp simd reduction(+:dev)")                                           \
            for (ptrdiff_t j = j0; j < j1; ++j) {                                          \
                LT aj = q[j], d = M - x[j];                                                \
                D[j] = (E) - gs * aj;                                                      \
                dev += aj != 0 ? aj * d : (LT)0;                                           \
            }                                                                              \
        }                                                                                  \
    } else if (base != 0) {                                                                \
        if (cw != NULL) {                                                                  \
            _Pragma("omp simd reduction(+:dev)")                                           \
            for (ptrdiff_t j = j0; j < j1; ++j) {                                          \
                LT aj = base * cw[j], d = M - x[j];                                        \
                D[j] = (E) - gb * cw[j];                                                   \
                dev += aj != 0 ? aj * d : (LT)0;                                           \
            }                                                                              \
        } else {                                                                           \
            _Pragma("omp simd reduction(+:dev)")                                           \
            for (ptrdiff_t j = j0; j < j1; ++j) {                                          \
                D[j] = (E) - gb;                                                           \
                dev += base * (M - x[j]);                                                  \
            }                                                                              \
        }                                                                                  \
    } else {                                                                               \
        _Pragma("omp simd")                                                                \
        for (ptrdiff_t j = j0; j < j1; ++j) D[j] = (E);                                    \
    }

/* w[k] = exp(x[k] - m_k) for k < n, m_k = m[k] (m given) or M, every x[k] <= m_k (NaN
 * and -inf as exp_nonpos takes them).  The softmax's exp; AVX-512 float64 uses the table
 * exp of lamina_vmath.h. */
LATTR static inline void LFN(exp_shifted)(ptrdiff_t n, const LT *LAMINA_RESTRICT x,
        const LT *LAMINA_RESTRICT m, LT M, LT *LAMINA_RESTRICT w)
{
#if LAMINA_X86 && LISA_IS_AVX512 && LT_IS_DOUBLE
    __m512d vm = _mm512_set1_pd(M);
    ptrdiff_t k = 0;
    for (; k + 8 <= n; k += 8) {
        __m512d s = m != NULL ? _mm512_loadu_pd(m + k) : vm;
        _mm512_storeu_pd(w + k, lamina_exp_nonpos_pd512(_mm512_sub_pd(_mm512_loadu_pd(x + k), s)));
    }
    if (k < n) {
        __mmask8 tail = (__mmask8)((1u << (n - k)) - 1u);
        __m512d s = m != NULL ? _mm512_maskz_loadu_pd(tail, m + k) : vm;
        __m512d d = _mm512_sub_pd(_mm512_maskz_loadu_pd(tail, x + k), s);
        _mm512_mask_storeu_pd(w + k, tail, lamina_exp_nonpos_pd512(d));
    }
#else
    if (m != NULL) {
        _Pragma("omp simd")
        for (ptrdiff_t k = 0; k < n; ++k) w[k] = LV(exp_nonpos)(x[k] - m[k]);
    } else {
        _Pragma("omp simd")
        for (ptrdiff_t k = 0; k < n; ++k) w[k] = LV(exp_nonpos)(x[k] - M);
    }
#endif
}

LATTR static double LFN(softmax_ce_row)(ptrdiff_t C, const LT *x, ptrdiff_t label,
        const LT *LAMINA_RESTRICT q, const LT *LAMINA_RESTRICT cw, LT base, LT extra, LT gs,
        LT *g, LT *LAMINA_RESTRICT w, int stream, const LT *pend, LT *pend_g)
{
    ptrdiff_t pdone = 0;                         /* pend[0:pdone] is stored */
    LT M = -(LT)INFINITY;
    LT S = 0;
    LT A = 0;
    LT chunk_max[LAMINA_SOFTMAX_MAX_CHUNKS];
    ptrdiff_t n_chunks = (C + LAMINA_SOFTMAX_CHUNK - 1) / LAMINA_SOFTMAX_CHUNK;
    int stored = n_chunks <= LAMINA_SOFTMAX_MAX_CHUNKS;
    LT x_label = q == NULL ? x[label] : (LT)0;     /* read before g (maybe x) is written */
    for (ptrdiff_t c = 0; c < n_chunks; ++c) {
        ptrdiff_t j0 = c * LAMINA_SOFTMAX_CHUNK;
        ptrdiff_t j1 = C - j0 < LAMINA_SOFTMAX_CHUNK ? C : j0 + LAMINA_SOFTMAX_CHUNK;
        LT m = -(LT)INFINITY;
        _Pragma("omp simd reduction(max:m)")
        for (ptrdiff_t j = j0; j < j1; ++j) m = x[j] > m ? x[j] : m;
        if (m > M) {
            S = S > 0 ? S * LV(exp_nonpos)(M - m) : S;
            M = m;
        }
        if (stored) chunk_max[c] = M;
        if (q != NULL) {
            LT sa = 0;
            if (cw != NULL) {
                _Pragma("omp simd reduction(+:sa)")
                for (ptrdiff_t j = j0; j < j1; ++j) sa += cw[j] * q[j];
            } else {
                _Pragma("omp simd reduction(+:sa)")
                for (ptrdiff_t j = j0; j < j1; ++j) sa += q[j];
            }
            A += sa;
        }
        if (M != M || M == -(LT)INFINITY || M == (LT)INFINITY) continue;
        LT s = 0;
        /* The exps are compute-bound: between blocks of LAMINA_SOFTMAX_SUB elements ask for
         * the logits LAMINA_SOFTMAX_AHEAD elements on (later chunks or the next rows), a few
         * lines at a time, so that memory keeps streaming while we compute. */
        for (ptrdiff_t b0 = j0; b0 < j1; b0 += LAMINA_SOFTMAX_SUB) {
            ptrdiff_t b1 = j1 - b0 < LAMINA_SOFTMAX_SUB ? j1 : b0 + LAMINA_SOFTMAX_SUB;
            if (stored) {               /* summed per chunk below, from L1 */
                LFN(exp_shifted)(b1 - b0, x + b0, NULL, M, w + b0);
            } else {
                _Pragma("omp simd reduction(+:s)")
                for (ptrdiff_t j = b0; j < b1; ++j) s += LV(exp_nonpos)(x[j] - M);
            }
            /* integer addresses: the hint may point past the array (harmless for a
             * prefetch, but not a valid pointer to form) */
            for (ptrdiff_t j = b0; j < b1; j += 64 / (ptrdiff_t)sizeof(LT))
                __builtin_prefetch((const void *)((uintptr_t)(x + j)
                                   + LAMINA_SOFTMAX_AHEAD * sizeof(LT)), 0, 2);
            if (pend != NULL) {
                /* end the slice where pend_g is 64-byte aligned: only the first slice has
                 * an unaligned head */
                ptrdiff_t cut = b1 - (ptrdiff_t)(((uintptr_t)(pend_g + b1) & 63) / sizeof(LT));
                if (cut > pdone) {
                    LFN(stream_copy)(cut - pdone, pend + pdone, pend_g + pdone);
                    pdone = cut;
                }
            }
        }
        if (stored) {
            _Pragma("omp simd reduction(+:s)")
            for (ptrdiff_t j = j0; j < j1; ++j) s += w[j];
        }
        S += s;
    }
    if (pend != NULL && pdone < C) LFN(stream_copy)(C - pdone, pend + pdone, pend_g + pdone);
    /* NaN anywhere in the row: max skips it but the exp-sum carries it. */
    if (!(M > -(LT)INFINITY) || M == (LT)INFINITY || S != S) {
        LT *out = stream ? w : g;
        for (ptrdiff_t j = 0; j < C; ++j) out[j] = (LT)NAN;
        return NAN;
    }
    if (q == NULL) {
        LT csum = 0;
        if (base != 0) {
            if (cw != NULL) {
                _Pragma("omp simd reduction(+:csum)")
                for (ptrdiff_t j = 0; j < C; ++j) csum += cw[j];
            } else {
                csum = (LT)C;
            }
        }
        A = base * csum + extra;
    }
    LT scale = gs * A / S;
    LT gb = gs * base;
    LT lse_part = A * LV(log)(S);
    LT dev = 0;                                  /* sum_j a_j (M - x_j) */
    LT *dst = stream ? w : g;
    for (ptrdiff_t c = 0; c < n_chunks; ++c) {
        ptrdiff_t j0 = c * LAMINA_SOFTMAX_CHUNK;
        ptrdiff_t j1 = C - j0 < LAMINA_SOFTMAX_CHUNK ? C : j0 + LAMINA_SOFTMAX_CHUNK;
        if (stored) {
            /* chunks seen while the running max was still -inf hold no values yet */
            LT fc = chunk_max[c] == -(LT)INFINITY ? (LT)0 : scale * LV(exp_nonpos)(chunk_max[c] - M);
            if (chunk_max[c] == -(LT)INFINITY) {
                for (ptrdiff_t j = j0; j < j1; ++j) w[j] = 0;
            }
            LAMINA_SOFTMAX_PASS2(dst, w[j] * fc)
        } else {
            LAMINA_SOFTMAX_PASS2(dst, scale * LV(exp_nonpos)(x[j] - M))
        }
    }
    if (q == NULL) {
        dst[label] -= gs * extra;
        dev += extra != 0 ? extra * (M - x_label) : (LT)0;
    }
    return (double)lse_part + (double)dev;
}
#undef LAMINA_SOFTMAX_PASS2

/* Softmax cross-entropy of nrows short rows (C < LAMINA_SOFTMAX_SMALL_C) with integer
 * labels and no label smoothing, contiguous (row stride C for x and g).
 *
 * A row of a few logits would leave most SIMD lanes idle and spend its time in loop
 * prologues and in one scalar log per row, so rows are taken in blocks of at most
 * LAMINA_SOFTMAX_BLOCK elements (and LAMINA_SOFTMAX_BLOCK_ROWS rows) and every step is a
 * SIMD loop: over the rows of the block (lane = row, reading column j of every row: row
 * maxima, row sums, then the loss, its log and the gradient factor of every row at once),
 * or over the flat block (one exp(x - M_row) per element, then the scaling of g, with the
 * per-row values spread along the row in `rowval`).  Same formulas as softmax_ce_row:
 * loss_i = extra_i (log S_i + M_i - x_{i,y_i}), grad = gs_i extra_i (p - onehot); sums
 * run over j in order, as in the per-row loop.
 * sw and cw may be NULL; ignored rows (has_ignore and label == ignore) get 0.
 * Returns nothing; row i's weighted loss goes to row_loss[i] (NaN when undefined).
 */
#define LAMINA_SOFTMAX_SMALL_C 64
#define LAMINA_SOFTMAX_BLOCK 2048
#define LAMINA_SOFTMAX_BLOCK_ROWS 512

LATTR static void LFN(softmax_ce_small)(ptrdiff_t nrows, ptrdiff_t C,
        const LT *LAMINA_RESTRICT x, const int64_t *LAMINA_RESTRICT labels,
        const LT *LAMINA_RESTRICT cw, const LT *LAMINA_RESTRICT sw, LT gscale,
        int has_ignore, int64_t ignore, LT *LAMINA_RESTRICT g, double *LAMINA_RESTRICT row_loss)
{
    LT rowval[LAMINA_SOFTMAX_BLOCK];
    LT rmax[LAMINA_SOFTMAX_BLOCK_ROWS], rsum[LAMINA_SOFTMAX_BLOCK_ROWS];
    LT rxy[LAMINA_SOFTMAX_BLOCK_ROWS], rcoef[LAMINA_SOFTMAX_BLOCK_ROWS];
    LT rw[LAMINA_SOFTMAX_BLOCK_ROWS], rkeep[LAMINA_SOFTMAX_BLOCK_ROWS];
    ptrdiff_t B = LAMINA_SOFTMAX_BLOCK / C;
    B = B < LAMINA_SOFTMAX_BLOCK_ROWS ? B : LAMINA_SOFTMAX_BLOCK_ROWS;
    for (ptrdiff_t r0 = 0; r0 < nrows; r0 += B) {
        ptrdiff_t nb = nrows - r0 < B ? nrows - r0 : B;
        const LT *xb = x + r0 * C;
        LT *gb = g + r0 * C;
        ptrdiff_t len = nb * C;
        /* row maxima, column by column (a NaN first entry stays: the row is undefined) */
        _Pragma("omp simd")
        for (ptrdiff_t r = 0; r < nb; ++r) rmax[r] = xb[r * C];
        for (ptrdiff_t j = 1; j < C; ++j) {
            _Pragma("omp simd")
            for (ptrdiff_t r = 0; r < nb; ++r) {
                LT v = xb[r * C + j];
                rmax[r] = v > rmax[r] ? v : rmax[r];
            }
        }
        /* an all -inf row would give -inf - -inf = NaN: shift by 0 instead; the row is
         * reported undefined below */
        _Pragma("omp simd")
        for (ptrdiff_t r = 0; r < nb; ++r) rmax[r] = rmax[r] == -(LT)INFINITY ? (LT)0 : rmax[r];
        for (ptrdiff_t r = 0; r < nb; ++r)
            for (ptrdiff_t j = 0; j < C; ++j) rowval[r * C + j] = rmax[r];
        LFN(exp_shifted)(len, xb, rowval, 0, gb);
        _Pragma("omp simd")
        for (ptrdiff_t r = 0; r < nb; ++r) rsum[r] = gb[r * C];
        for (ptrdiff_t j = 1; j < C; ++j) {
            _Pragma("omp simd")
            for (ptrdiff_t r = 0; r < nb; ++r) rsum[r] += gb[r * C + j];
        }
        /* per-row label data: the label's logit, its class weight (0 for ignored rows) */
        for (ptrdiff_t r = 0; r < nb; ++r) {
            int64_t y = labels[r0 + r];
            int skip = has_ignore && y == ignore;
            rxy[r] = skip ? (LT)0 : xb[r * C + y];
            rcoef[r] = skip ? (LT)0 : (cw != NULL ? cw[y] : (LT)1);
            rw[r] = sw != NULL ? sw[r0 + r] : (LT)1;
            rkeep[r] = skip ? (LT)0 : (LT)1;
        }
        _Pragma("omp simd")
        for (ptrdiff_t r = 0; r < nb; ++r) {
            LT S = rsum[r], M = rmax[r], extra = rcoef[r];
            /* NaN or +inf logit, or all -inf (S == 0): undefined (ignored rows never) */
            int bad = (!(S > 0) || S != S || M == (LT)INFINITY || S == (LT)INFINITY)
                      && rkeep[r] != 0;
            LT l = extra != 0 ? extra * (LV(log)(S) + (M - rxy[r])) : (LT)0;
            row_loss[r0 + r] = bad ? (double)NAN : (double)rw[r] * (double)l;
            rsum[r] = gscale * rw[r] * extra / S;     /* the row's gradient factor */
            rsum[r] = rkeep[r] != 0 ? rsum[r] : (LT)0;
            rcoef[r] = gscale * rw[r] * extra;        /* subtracted at the label */
        }
        for (ptrdiff_t r = 0; r < nb; ++r)
            for (ptrdiff_t j = 0; j < C; ++j) rowval[r * C + j] = rsum[r];
        _Pragma("omp simd")
        for (ptrdiff_t k = 0; k < len; ++k) gb[k] *= rowval[k];
        for (ptrdiff_t r = 0; r < nb; ++r) {
            int64_t y = labels[r0 + r];
            if (has_ignore && y == ignore) {
                for (ptrdiff_t j = 0; j < C; ++j) gb[r * C + j] = 0;   /* even for NaN logits */
                continue;
            }
            gb[r * C + y] -= rcoef[r];
        }
    }
}

#undef LFN
#undef LCAT3
#undef LCAT3_
