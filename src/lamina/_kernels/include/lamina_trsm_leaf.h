/*
 * lamina_trsm_leaf.h -- B := inv(A) B for a small triangle A (m <= LAMINA_TRSM_LEAF_MAX)
 * and a column-major B with many columns: the diagonal blocks of the blocked triangular
 * solves of the factorizations (LU's block row U12 = L11^-1 A12, getrs).
 *
 * Algorithm: forward (lower) or backward (upper) substitution in axpy form, column by
 * column: x_p = b_p (/ a_pp), then b_i -= x_p a_ip for the rows below (above) p.  The
 * triangle is first copied into a padded column array whose entries outside the strict
 * triangle are zero, so every update runs over a full, fixed-length column (vectors of
 * the ISA, no remainder loops) and subtracts exact zeros where the substitution has
 * nothing to do; four columns of B are solved together, sharing each load of a column
 * of A.  Every solution entry therefore gets the same products in the same order as
 * plain substitution (x_i = b_i - sum_p a_ip x_p, p increasing away from the diagonal
 * element): the numerical guarantee is substitution's, |dA| <= m eps |A| componentwise.
 * m^2 n flops (twice that with the padding), O(m^2) extra memory on the stack.
 */
#ifndef LAMINA_TRSM_LEAF_H
#define LAMINA_TRSM_LEAF_H

#include <stddef.h>
#include "lamina_cpu.h"

#define LAMINA_TRSM_LEAF_MAX 32

#define LT double
#define LP d
#define LAMINA_PER_ISA_BODY "lamina_trsm_leaf_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP

#define LT float
#define LP s
#define LAMINA_PER_ISA_BODY "lamina_trsm_leaf_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP

#define LAMINA_TRSM_LEAF_DISPATCH(P, isa, ...)                                   \
    ((isa) == LAMINA_ISA_AVX512 ? lamina_##P##trsm_leaf_avx512(__VA_ARGS__)      \
     : (isa) == LAMINA_ISA_AVX2 ? lamina_##P##trsm_leaf_avx2(__VA_ARGS__)        \
                                : lamina_##P##trsm_leaf_generic(__VA_ARGS__))

/* B (m x n, column j at B + j*ldb) := inv(A) B, A's element (i, p) at A[i*rsa + p*csa]. */
static inline void lamina_dtrsm_leaf(int isa, int lower, int unit, ptrdiff_t m, ptrdiff_t n,
                                     const double *A, ptrdiff_t rsa, ptrdiff_t csa,
                                     double *B, ptrdiff_t ldb)
{ LAMINA_TRSM_LEAF_DISPATCH(d, isa, lower, unit, m, n, A, rsa, csa, B, ldb); }

static inline void lamina_strsm_leaf(int isa, int lower, int unit, ptrdiff_t m, ptrdiff_t n,
                                     const float *A, ptrdiff_t rsa, ptrdiff_t csa,
                                     float *B, ptrdiff_t ldb)
{ LAMINA_TRSM_LEAF_DISPATCH(s, isa, lower, unit, m, n, A, rsa, csa, B, ldb); }

#endif
