/*
 * lamina_rot.h -- apply a recorded sequence of plane rotations to a block of rows, per ISA.
 *
 * The tridiagonal QL iteration (eigh) and the bidiagonal QR iteration (svd) generate long
 * sequences of plane rotations acting on adjacent columns (j, j+1) of the eigen- or
 * singular-vector matrix Z.  Applying each rotation to all of Z at once streams the whole
 * matrix through memory per rotation sweep.  Instead the rotations are recorded and then
 * applied to one block of rows of Z at a time: the block (rows x columns, a few hundred KiB)
 * stays in L1/L2 while every recorded rotation passes over it, so Z is read from memory
 * once per batch of rotations instead of once per sweep, and the inner loop over the rows of
 * a column pair is a contiguous, vectorized AXPY-like loop.  Row blocks are independent, so
 * the Cython layer hands them to threads.
 *
 * Convention (LAPACK's drot / dlasr): rotation k acts on columns j = idx[k] and j + 1 as
 *     z_j' = c z_j + s z_{j+1},   z_{j+1}' = c z_{j+1} - s z_j,
 * applied in the order k = 0, 1, ..., nrot - 1.
 */
#ifndef LAMINA_ROT_H
#define LAMINA_ROT_H

#include <stddef.h>
#include "lamina_cpu.h"

#define LT double
#define LP d
#define LAMINA_PER_ISA_BODY "lamina_rot_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP

#define LT float
#define LP s
#define LAMINA_PER_ISA_BODY "lamina_rot_impl.h"
#include "lamina_per_isa.h"
#undef LAMINA_PER_ISA_BODY
#undef LT
#undef LP

#define LAMINA_DEFINE_ROT_DISPATCH(P, T)                                                      \
static inline void lamina_##P##rot_rows(ptrdiff_t nrows, T *Z, ptrdiff_t ldz, ptrdiff_t nrot, \
        const int *idx, const T *c, const T *s, int isa)                                      \
{                                                                                             \
    if (isa == LAMINA_ISA_AVX512) lamina_##P##rot_rows_avx512(nrows, Z, ldz, nrot, idx, c, s); \
    else if (isa == LAMINA_ISA_AVX2) lamina_##P##rot_rows_avx2(nrows, Z, ldz, nrot, idx, c, s); \
    else lamina_##P##rot_rows_generic(nrows, Z, ldz, nrot, idx, c, s);                       \
}

LAMINA_DEFINE_ROT_DISPATCH(d, double)
LAMINA_DEFINE_ROT_DISPATCH(s, float)

#endif /* LAMINA_ROT_H */
