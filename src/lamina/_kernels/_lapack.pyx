"""Dense factorizations: LU with partial pivoting, Cholesky, Householder QR (plain and
column-pivoted), and the solves, Q-forming and Q-applying routines built on them.

Design
------
Every routine works in place on a column-major matrix addressed by a pointer and its
leading dimension ``ld`` (the element distance between columns; rows are contiguous).
The Python layer makes one Fortran-order copy of the caller's data (or works in place on
an array that already has this layout when ``overwrite_a=True``), as LAPACK does.

The algorithms are LAPACK's blocked right-looking ones, written so that nearly all of the
O(n^3) work is level-3 (GEMM, TRSM, SYRK) and the level-2 part is confined to panels of
``nb`` columns:

* ``getrf``: blocked LU with partial pivoting; each panel is factored by a recursive
  splitting in halves (Toledo's recursion, LAPACK's getrf2), whose own updates are again
  TRSM + GEMM, so even the panel runs mostly at level 3.  With look-ahead: each step is a
  set of single-threaded tasks (the next panel's columns updated and that panel factored;
  fixed chunks of the other trailing columns updated) that the threads share
  dynamically, so the serial panel overlaps the trailing update, and the factors do not
  depend on the thread count.  Backward stable in practice (growth factor bound
  2^(n-1), rarely above n).  2/3 n^3 flops.  The diagonal blocks of the triangular
  solves are substituted by ``lamina_trsm_leaf.h`` (vectorized, same operations as plain
  substitution).
* ``potrf``: blocked right-looking Cholesky: potf2 on the diagonal block, TRSM on the
  block column below, SYRK on the trailing matrix.  Unconditionally backward stable.
  1/3 n^3 flops.
* ``geqrf``: blocked Householder QR with the compact WY form (Schreiber and Van Loan
  1989): a panel is factored recursively together with the upper triangular T of
  ``H_1 ... H_b = I - V T V^T`` (Elmroth and Gustavson 2000, LAPACK's geqrt3), so the
  panel's own updates are GEMMs too, and larfb applies the block reflector to the
  trailing columns with two GEMMs and a small triangular multiply; with the same
  look-ahead task scheme as getrf (the update in fixed column chunks).  ``orgqr`` forms Q
  and ``ormqr`` applies Q or Q^T with the same blocks (or, to a few columns, one
  reflector at a time).  ||Q^T Q - I|| = O(eps) whatever the condition of A.  4/3 n^3
  flops for a square matrix.
* ``geqp2``: QR with column pivoting (Businger and Golub) with LAPACK's safe downdating
  of the partial column norms; level 2, used by ``lstsq`` only for rank-deficient input.
* ``to_fortran``: the work copy of a row-major matrix, by tiles (32 x 32) that keep the
  strided side in L1, threaded over tile columns.

Block sizes come from one per-ISA table (``_NB_*``).  The level-3 calls go to lamina's
packed GEMM/TRSM/SYRK (``_gemm.pxd``), which take element strides of any sign (a
transpose is a swap of the strides), so no operand is ever copied for a transpose.
"""
from cython cimport floating
from libc.math cimport fabs, sqrt, hypot
from libc.stdlib cimport malloc, free
from cython.parallel cimport prange

from lamina._kernels._runtime cimport get_isa
from lamina._kernels._blas1 cimport nrm2_kernel, iamax_kernel, dot_kernel
from lamina._kernels._blas2 cimport gemv_kernel, ger_kernel
from lamina._kernels._gemm cimport gemm_kernel, syrk_kernel, trsm_kernel

cdef extern from "float.h":
    double DBL_MIN
    float FLT_MIN

# Panel width per ISA (generic, avx2, avx512): wide enough that the trailing GEMM runs
# at full speed, narrow enough that the panel (level-2 share ~ nb/n) stays small.
cdef int _NB_LU[3]
cdef int _NB_CHOL[3]
cdef int _NB_QR[3]
_NB_LU[:] = [32, 64, 128]
_NB_CHOL[:] = [32, 64, 128]
_NB_QR[:] = [32, 32, 48]
# Recursive LU panels stop splitting at this many columns.
DEF _LU_LEAF = 8
# Columns per trailing-update task of the LU, in panel widths.
DEF _LU_CHUNK_BLOCKS = 2
# Rows of the diagonal blocks that _trsm solves by substitution; the rest is GEMM.
DEF _TRSM_LEAF = 32
# Recursive QR panels stop splitting at this many columns.
DEF _QR_LEAF = 8
# Columns per trailing-update task of the QR, in panel widths.
DEF _QR_CHUNK_BLOCKS = 3
# ormqr applies reflectors one at a time to at most this many columns.
DEF _ORM2R_MAX_COLS = 4


def block_sizes():
    """The block-size table for the current ISA: {'lu': nb, 'cholesky': nb, 'qr': nb}."""
    cdef int isa = get_isa()
    return {"lu": _NB_LU[isa], "cholesky": _NB_CHOL[isa], "qr": _NB_QR[isa]}


# ---------------------------------------------------------------------------------------
# Level-3 operations: lamina's packed GEMM / TRSM / SYRK (``_gemm.pxd``), aliased here so
# the algorithms below read like their LAPACK counterparts.

cdef inline int _gemm(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, floating alpha,
                      const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                      const floating *B, Py_ssize_t rsb, Py_ssize_t csb, floating beta,
                      floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                      int n_threads) noexcept nogil:
    if m <= 0 or n <= 0:
        return 0
    return gemm_kernel(m, n, k, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc,
                       n_threads)


cdef extern from "lamina_trsm_leaf.h" nogil:
    void lamina_dtrsm_leaf(int isa, int lower, int unit, Py_ssize_t m, Py_ssize_t n,
                           const double *A, Py_ssize_t rsa, Py_ssize_t csa, double *B,
                           Py_ssize_t ldb)
    void lamina_strsm_leaf(int isa, int lower, int unit, Py_ssize_t m, Py_ssize_t n,
                           const float *A, Py_ssize_t rsa, Py_ssize_t csa, float *B,
                           Py_ssize_t ldb)


cdef void _trsm_left_columns(bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                             const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                             floating *B, Py_ssize_t ldb, int n_threads) noexcept nogil:
    """B := inv(A) B for a small triangle A (m <= _TRSM_LEAF) and column-major B: each
    column is an independent substitution (``lamina_trsm_leaf.h``: vectorized over a
    padded copy of A, four columns at a time); blocks of columns split between
    threads."""
    cdef Py_ssize_t c, nchunks, j0
    cdef int isa = get_isa()
    if n_threads < 1 or m * n < 8192:
        n_threads = 1
    if n_threads == 1:
        if floating is double:
            lamina_dtrsm_leaf(isa, lower, unit_diag, m, n, A, rsa, csa, B, ldb)
        else:
            lamina_strsm_leaf(isa, lower, unit_diag, m, n, A, rsa, csa, B, ldb)
        return
    nchunks = (n + 63) // 64
    for c in prange(nchunks, num_threads=n_threads, schedule="static"):
        j0 = c * 64
        if floating is double:
            lamina_dtrsm_leaf(isa, lower, unit_diag, m, min(<Py_ssize_t> 64, n - j0), A, rsa,
                              csa, B + j0 * ldb, ldb)
        else:
            lamina_strsm_leaf(isa, lower, unit_diag, m, min(<Py_ssize_t> 64, n - j0), A, rsa,
                              csa, B + j0 * ldb, ldb)


cdef void _trsm_right_rows(bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                           const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                           floating *B, Py_ssize_t ldb, int n_threads) noexcept nogil:
    """B := B inv(A) for a small triangle A (n <= _TRSM_LEAF) and column-major B: column
    j of the solution is B[:, j] minus earlier solved columns times A's column j, so the
    inner loops run down contiguous columns; blocks of rows split between threads."""
    cdef Py_ssize_t c, nchunks, r0, r1, i, j, p, jj
    cdef floating x
    if n_threads < 1 or m * n < 8192:
        n_threads = 1
    nchunks = (m + 255) // 256
    for c in prange(nchunks, num_threads=n_threads, schedule="static"):
        r0 = c * 256
        r1 = min(m, r0 + 256)
        for jj in range(n):
            j = n - 1 - jj if lower else jj
            for p in range(n):
                if (lower and p > j) or (not lower and p < j):
                    x = A[p * rsa + j * csa]
                    if x != 0:
                        for i in range(r0, r1):
                            B[i + j * ldb] -= B[i + p * ldb] * x
            if not unit_diag:
                x = A[j * rsa + j * csa]
                for i in range(r0, r1):
                    B[i + j * ldb] = B[i + j * ldb] / x


cdef int _trsm(bint left, bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
               floating alpha, const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
               floating *B, Py_ssize_t rsb, Py_ssize_t csb, int n_threads) noexcept nogil:
    """Triangular solve.  The factorizations' case, a column-major B (LU's block row and
    getrs on the left, Cholesky's block column on the right), runs here as a blocked
    substitution: _TRSM_LEAF-wide diagonal blocks solved along contiguous columns, the
    rest of B updated with lamina's GEMM.  Other layouts go to lamina's trsm_kernel
    (whose substitution runs along rows of B)."""
    cdef Py_ssize_t i0, ib
    cdef int r
    if m <= 0 or n <= 0:
        return 0
    if rsb != 1 and csb == 1 and alpha == 1:
        # Row-major B: solve the transposed problem (side and triangle swap, A^T is A
        # with swapped strides), whose right-hand side is column-major.
        return _trsm(not left, not lower, unit_diag, n, m, alpha, A, csa, rsa, B, csb, rsb,
                     n_threads)
    if rsb != 1 or alpha != 1:
        return trsm_kernel(left, lower, unit_diag, m, n, alpha, A, rsa, csa, B, rsb, csb,
                           n_threads)
    if not left:
        return _trsm_right(lower, unit_diag, m, n, A, rsa, csa, B, csb, n_threads)
    if lower:
        i0 = 0
        while i0 < m:
            ib = min(<Py_ssize_t> _TRSM_LEAF, m - i0)
            _trsm_left_columns(True, unit_diag, ib, n, A + i0 * rsa + i0 * csa, rsa, csa,
                               B + i0, csb, n_threads)
            if i0 + ib < m:
                r = gemm_kernel(m - i0 - ib, n, ib, <floating> -1,
                                A + (i0 + ib) * rsa + i0 * csa, rsa, csa, B + i0, 1, csb,
                                <floating> 1, B + i0 + ib, 1, csb, n_threads)
                if r != 0:
                    return r
            i0 += ib
    else:
        i0 = ((m - 1) // _TRSM_LEAF) * _TRSM_LEAF
        while i0 >= 0:
            ib = min(<Py_ssize_t> _TRSM_LEAF, m - i0)
            _trsm_left_columns(False, unit_diag, ib, n, A + i0 * rsa + i0 * csa, rsa, csa,
                               B + i0, csb, n_threads)
            if i0 > 0:
                r = gemm_kernel(i0, n, ib, <floating> -1, A + i0 * csa, rsa, csa,
                                B + i0, 1, csb, <floating> 1, B, 1, csb, n_threads)
                if r != 0:
                    return r
            i0 -= _TRSM_LEAF
    return 0


cdef int _trsm_right(bint lower, bint unit_diag, Py_ssize_t m, Py_ssize_t n,
                     const floating *A, Py_ssize_t rsa, Py_ssize_t csa,
                     floating *B, Py_ssize_t ldb, int n_threads) noexcept nogil:
    """X A = B for column-major B (Cholesky's block column): _TRSM_LEAF-column diagonal
    blocks by substitution, the remaining columns updated with GEMM."""
    cdef Py_ssize_t j0, jb
    cdef int r
    if not lower:
        j0 = 0
        while j0 < n:
            jb = min(<Py_ssize_t> _TRSM_LEAF, n - j0)
            _trsm_right_rows(False, unit_diag, m, jb, A + j0 * rsa + j0 * csa, rsa, csa,
                             B + j0 * ldb, ldb, n_threads)
            if j0 + jb < n:
                r = gemm_kernel(m, n - j0 - jb, jb, <floating> -1, B + j0 * ldb, 1, ldb,
                                A + j0 * rsa + (j0 + jb) * csa, rsa, csa, <floating> 1,
                                B + (j0 + jb) * ldb, 1, ldb, n_threads)
                if r != 0:
                    return r
            j0 += jb
    else:
        j0 = ((n - 1) // _TRSM_LEAF) * _TRSM_LEAF
        while j0 >= 0:
            jb = min(<Py_ssize_t> _TRSM_LEAF, n - j0)
            _trsm_right_rows(True, unit_diag, m, jb, A + j0 * rsa + j0 * csa, rsa, csa,
                             B + j0 * ldb, ldb, n_threads)
            if j0 > 0:
                r = gemm_kernel(m, j0, jb, <floating> -1, B + j0 * ldb, 1, ldb,
                                A + j0 * rsa, rsa, csa, <floating> 1, B, 1, ldb, n_threads)
                if r != 0:
                    return r
            j0 -= _TRSM_LEAF
    return 0


cdef inline int _syrk(bint lower, Py_ssize_t n, Py_ssize_t k, floating alpha,
                      const floating *A, Py_ssize_t rsa, Py_ssize_t csa, floating beta,
                      floating *C, Py_ssize_t rsc, Py_ssize_t csc,
                      int n_threads) noexcept nogil:
    if n <= 0:
        return 0
    return syrk_kernel(lower, n, k, alpha, A, rsa, csa, beta, C, rsc, csc, n_threads)


# ---------------------------------------------------------------------------------------
# LU with partial pivoting.

cdef inline floating _safe_min(floating x) noexcept nogil:
    if floating is double:
        return DBL_MIN
    else:
        return FLT_MIN


cdef inline void _swap_rows_col(floating *a, Py_ssize_t k0, Py_ssize_t k1,
                                const Py_ssize_t *ipiv) noexcept nogil:
    cdef Py_ssize_t k, p
    cdef floating t
    for k in range(k0, k1):
        p = ipiv[k]
        if p != k:
            t = a[k]
            a[k] = a[p]
            a[p] = t


cdef void _laswp(Py_ssize_t ncols, floating *A, Py_ssize_t ld, Py_ssize_t k0,
                 Py_ssize_t k1, const Py_ssize_t *ipiv, int n_threads=1) noexcept nogil:
    """Apply row interchanges k0..k1-1 (row k <-> ipiv[k]) to ncols columns (columns are
    independent: threaded over columns when there are enough of them)."""
    cdef Py_ssize_t j
    if n_threads > 1 and ncols >= 64 and ncols * (k1 - k0) >= 1 << 14:
        for j in prange(ncols, num_threads=n_threads, schedule="static"):
            _swap_rows_col(A + j * ld, k0, k1, ipiv)
        return
    for j in range(ncols):
        _swap_rows_col(A + j * ld, k0, k1, ipiv)


cdef Py_ssize_t _getrf2(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                        Py_ssize_t *ipiv, int n_threads) noexcept nogil:
    """Recursive LU of an m x n panel.  Returns info (1-based first zero pivot, or 0)."""
    cdef Py_ssize_t i, p, n1, n2, info = 0, info2
    cdef floating piv, t, sfmin = _safe_min(<floating> 0)
    if m == 0 or n == 0:
        return 0
    if n <= _LU_LEAF or m == 1:
        # Unblocked right-looking LU of a narrow panel (getf2).
        for p in range(min(m, n)):
            i = p + iamax_kernel(m - p, A + p + p * ld, 1)
            ipiv[p] = i
            piv = A[i + p * ld]
            if piv != 0:
                if i != p:
                    for n1 in range(n):
                        t = A[p + n1 * ld]
                        A[p + n1 * ld] = A[i + n1 * ld]
                        A[i + n1 * ld] = t
                if fabs(piv) >= sfmin:
                    t = 1 / piv
                    for i in range(p + 1, m):
                        A[i + p * ld] *= t
                else:
                    for i in range(p + 1, m):
                        A[i + p * ld] /= piv
            elif info == 0:
                info = p + 1
            # Rank-1 update of the rest of the narrow panel, column by column (the
            # multiplier row is strided, so no ger here).
            for n1 in range(p + 1, n):
                t = A[p + n1 * ld]
                if t != 0:
                    for i in range(p + 1, m):
                        A[i + n1 * ld] -= A[i + p * ld] * t
        return info
    n1 = min(m, n) // 2
    n2 = n - n1
    #   [A11 A12]   left half recursively, then  A12 := L11^-1 P A12,
    #   [A21 A22]   A22 -= A21 A12, right half recursively, pivots back to the left.
    info = _getrf2(m, n1, A, ld, ipiv, n_threads)
    _laswp(n2, A + n1 * ld, ld, 0, n1, ipiv)
    _trsm(True, True, True, n1, n2, <floating> 1, A, 1, ld, A + n1 * ld, 1, ld, n_threads)
    _gemm(m - n1, n2, n1, <floating> -1, A + n1, 1, ld, A + n1 * ld, 1, ld,
          <floating> 1, A + n1 + n1 * ld, 1, ld, n_threads)
    info2 = _getrf2(m - n1, n2, A + n1 + n1 * ld, ld, ipiv + n1, n_threads)
    if info2 != 0 and info == 0:
        info = info2 + n1
    for i in range(n1, min(m, n)):
        ipiv[i] += n1
    _laswp(n1, A, ld, n1, min(m, n), ipiv)
    return info


cdef int _lu_update(Py_ssize_t m, Py_ssize_t j, Py_ssize_t jb, Py_ssize_t c0,
                    Py_ssize_t c1, floating *A, Py_ssize_t ld, const Py_ssize_t *ipiv,
                    int n_threads) noexcept nogil:
    """Columns c0..c1-1 after the panel j..j+jb-1 was factored: its row interchanges,
    U12 := L11^-1 A12, A22 -= L21 U12 (whose results do not depend on n_threads)."""
    cdef Py_ssize_t nc = c1 - c0
    if nc <= 0:
        return 0
    _laswp(nc, A + c0 * ld, ld, j, j + jb, ipiv, n_threads)
    if _trsm(True, True, True, jb, nc, <floating> 1, A + j + j * ld, 1, ld,
             A + j + c0 * ld, 1, ld, n_threads) != 0:
        return -1
    if j + jb < m:
        return _gemm(m - j - jb, nc, jb, <floating> -1, A + j + jb + j * ld, 1, ld,
                     A + j + c0 * ld, 1, ld, <floating> 1, A + j + jb + c0 * ld, 1, ld,
                     n_threads)
    return 0


cdef Py_ssize_t _lu_panel(Py_ssize_t m, Py_ssize_t j, Py_ssize_t jb, floating *A,
                          Py_ssize_t ld, Py_ssize_t *ipiv) noexcept nogil:
    """Factor the panel A[j:, j:j+jb] on one thread; pivots made absolute.  Returns
    getrf2's info relative to the panel."""
    cdef Py_ssize_t k, info
    info = _getrf2(m - j, jb, A + j + j * ld, ld, ipiv + j, 1)
    for k in range(j, j + jb):
        ipiv[k] += j
    return info


cdef int _lu_task(Py_ssize_t t, Py_ssize_t m, Py_ssize_t n, Py_ssize_t j, Py_ssize_t jb,
                  Py_ssize_t jb1, Py_ssize_t w, floating *A, Py_ssize_t ld,
                  Py_ssize_t *ipiv, Py_ssize_t *panel_info, int n_threads) noexcept nogil:
    """Task t of the step after panel j..j+jb-1: task 0 brings the next panel's jb1
    columns up to date and factors that panel (the look-ahead); task t >= 1 updates the
    t-th chunk of w columns after it.  n_threads: for the update's calls (1 inside a
    parallel step); the panel itself always runs on one thread."""
    cdef Py_ssize_t c0
    if t == 0:
        if jb1 == 0:
            return 0
        if _lu_update(m, j, jb, j + jb, j + jb + jb1, A, ld, ipiv, n_threads) != 0:
            return -1
        panel_info[0] = _lu_panel(m, j + jb, jb1, A, ld, ipiv)
        return 0
    c0 = j + jb + jb1 + (t - 1) * w
    return _lu_update(m, j, jb, c0, min(n, c0 + w), A, ld, ipiv, n_threads)


cdef Py_ssize_t getrf_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                             Py_ssize_t *ipiv, int n_threads) noexcept nogil:
    """Blocked right-looking LU with look-ahead, P A = L U.  ipiv[k] = row swapped with
    row k (0-based).  Returns 0, the 1-based index of the first exactly-zero pivot
    (factors complete), or -1 when a level-3 call could not allocate its packing buffers.

    Step b (panel j..j+jb-1 factored) is a set of independent single-threaded tasks shared
    dynamically by the threads: task 0 updates the next panel's columns and factors that
    panel, the others update fixed chunks of the remaining columns (interchanges, TRSM,
    GEMM).  So the serial panel factorization overlaps the trailing update instead of
    idling the other threads, and since the chunks and every call inside them do not
    depend on the thread count, neither do the factors (bit for bit).  The interchanges
    of later panels are applied to the columns left of them once, at the end."""
    cdef Py_ssize_t b, nblocks, j, jb, jb1, t, ntasks, w, c, k0
    cdef Py_ssize_t info = 0, mn = min(m, n)
    cdef Py_ssize_t panel_info[1]
    cdef int nb = _NB_LU[get_isa()], err = 0
    if mn <= nb:
        return _getrf2(m, n, A, ld, ipiv, n_threads)
    # Chunk width: at least 2 nb and a multiple of nb (whole micro-tile columns), so
    # that each chunk's GEMM amortizes its packing of L21.
    w = _LU_CHUNK_BLOCKS * nb
    nblocks = (mn + nb - 1) // nb
    info = _lu_panel(m, 0, min(nb, mn), A, ld, ipiv)
    for b in range(nblocks):
        j = b * nb
        jb = min(nb, mn - j)
        jb1 = min(nb, mn - j - jb)
        panel_info[0] = 0
        ntasks = 1 + (n - j - jb - jb1 + w - 1) // w
        if n_threads > 1 and ntasks > 1:
            for t in prange(ntasks, num_threads=n_threads, schedule="dynamic", chunksize=1):
                err += _lu_task(t, m, n, j, jb, jb1, w, A, ld, ipiv, panel_info, 1) != 0
        else:
            # One task (a tall matrix's last columns): its update threaded inside.
            for t in range(ntasks):
                err += _lu_task(t, m, n, j, jb, jb1, w, A, ld, ipiv, panel_info,
                                n_threads) != 0
        if err:
            return -1
        if panel_info[0] != 0 and info == 0:
            info = panel_info[0] + j + jb
    # Interchanges of the later panels, applied to the columns left of them.
    if n_threads > 1 and mn * mn >= 1 << 16:
        for c in prange(mn, num_threads=n_threads, schedule="static"):
            k0 = (c // nb + 1) * nb
            if k0 < mn:
                _swap_rows_col(A + c * ld, k0, mn, ipiv)
    else:
        for c in range(mn):
            k0 = (c // nb + 1) * nb
            if k0 < mn:
                _swap_rows_col(A + c * ld, k0, mn, ipiv)
    return info


cdef void getrs_kernel(bint trans, Py_ssize_t n, Py_ssize_t nrhs, const floating *LU,
                       Py_ssize_t ld, const Py_ssize_t *ipiv, floating *B, Py_ssize_t ldb,
                       int n_threads) noexcept nogil:
    """Solve A X = B (or A^T X = B) from getrf's factors, B overwritten by X."""
    if nrhs < 16:
        n_threads = 1      # O(n^2) and memory-bound: a second core does not help
    if not trans:
        _laswp(nrhs, B, ldb, 0, n, ipiv)
        _trsm(True, True, True, n, nrhs, <floating> 1, LU, 1, ld, B, 1, ldb, n_threads)
        _trsm(True, False, False, n, nrhs, <floating> 1, LU, 1, ld, B, 1, ldb, n_threads)
    else:
        # A^T = U^T L^T P: the transposes are the factors with their strides swapped.
        _trsm(True, True, False, n, nrhs, <floating> 1, LU, ld, 1, B, 1, ldb, n_threads)
        _trsm(True, False, True, n, nrhs, <floating> 1, LU, ld, 1, B, 1, ldb, n_threads)
        _laswp_backward(nrhs, B, ldb, n, ipiv)


cdef void _laswp_backward(Py_ssize_t ncols, floating *B, Py_ssize_t ld, Py_ssize_t n,
                          const Py_ssize_t *ipiv) noexcept nogil:
    cdef Py_ssize_t j, k, p
    cdef floating t
    for j in range(ncols):
        for k in range(n - 1, -1, -1):
            p = ipiv[k]
            if p != k:
                t = B[k + j * ld]
                B[k + j * ld] = B[p + j * ld]
                B[p + j * ld] = t


# ---------------------------------------------------------------------------------------
# Cholesky.

cdef Py_ssize_t _potf2(Py_ssize_t n, floating *A, Py_ssize_t rs, Py_ssize_t cs) noexcept nogil:
    """Unblocked left-looking lower Cholesky of a diagonal block (element (i, j) at
    A[i*rs + j*cs]); returns the failing 1-based minor or 0."""
    cdef Py_ssize_t i, j, p
    cdef floating d, s
    if cs == 1 and rs != 1:
        # Row-major: up-looking order, row i from rows above it; the dot products run
        # along contiguous rows.
        for i in range(n):
            for j in range(i + 1):
                s = A[i * rs + j]
                for p in range(j):
                    s -= A[i * rs + p] * A[j * rs + p]
                if j < i:
                    A[i * rs + j] = s / A[j * rs + j]
                elif not (s > 0):
                    A[i * rs + i] = s
                    return i + 1
                else:
                    A[i * rs + i] = sqrt(s)
        return 0
    for j in range(n):
        d = A[j * rs + j * cs]
        for p in range(j):
            d -= A[j * rs + p * cs] * A[j * rs + p * cs]
        if not (d > 0):          # also catches NaN
            A[j * rs + j * cs] = d
            return j + 1
        d = sqrt(d)
        A[j * rs + j * cs] = d
        if j + 1 < n:
            # A[j+1:, j] = (A[j+1:, j] - A[j+1:, :j] @ A[j, :j]) / d
            for p in range(j):
                s = A[j * rs + p * cs]
                for i in range(j + 1, n):
                    A[i * rs + j * cs] -= A[i * rs + p * cs] * s
            s = 1 / d
            for i in range(j + 1, n):
                A[i * rs + j * cs] *= s
    return 0


cdef Py_ssize_t potrf_kernel(Py_ssize_t n, floating *A, Py_ssize_t rs, Py_ssize_t cs,
                             int n_threads) noexcept nogil:
    """Blocked lower Cholesky A = L L^T in the lower triangle (the strict upper triangle
    is not referenced); element (i, j) at A[i*rs + j*cs], so a row-major array works in
    place as well as a column-major one.  Returns 0, the order of the leading minor that
    is not positive definite, or -1 when a level-3 call could not allocate."""
    cdef Py_ssize_t b, j, jb, info
    cdef int nb = _NB_CHOL[get_isa()]
    for b in range((n + nb - 1) // nb):
        j = b * nb
        jb = min(nb, n - j)
        info = _potf2(jb, A + j * rs + j * cs, rs, cs)
        if info != 0:
            return info + j
        if j + jb < n:
            # L21 = A21 L11^-T: a right solve with L11^T (L11 with swapped strides).
            if _trsm(False, False, False, n - j - jb, jb, <floating> 1,
                     A + j * rs + j * cs, cs, rs, A + (j + jb) * rs + j * cs, rs, cs,
                     n_threads) != 0:
                return -1
            if _syrk(True, n - j - jb, jb, <floating> -1, A + (j + jb) * rs + j * cs, rs, cs,
                     <floating> 1, A + (j + jb) * rs + (j + jb) * cs, rs, cs,
                     n_threads) != 0:
                return -1
    return 0


# ---------------------------------------------------------------------------------------
# Householder QR.

cdef floating _larfg(Py_ssize_t n, floating *alpha, floating *x) noexcept nogil:
    """Householder reflector H = I - tau v v^T with H [alpha; x] = [beta; 0], v[0] = 1.
    Overwrites alpha with beta and x with v[1:]; returns tau.  The norm is computed with
    scaling (no overflow/underflow) and v is formed by division, not by a reciprocal."""
    cdef Py_ssize_t i
    cdef floating xnorm, beta, a = alpha[0], d
    if n <= 1:
        return 0
    xnorm = nrm2_kernel(n - 1, x, 1, 1)
    if xnorm == 0:
        return 0
    beta = hypot(a, xnorm)
    if a >= 0:
        beta = -beta
    d = a - beta
    for i in range(n - 1):
        x[i] = x[i] / d
    alpha[0] = beta
    return (beta - a) / beta


cdef void _geqr2(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld, floating *tau,
                 floating *work) noexcept nogil:
    """Unblocked Householder QR of an m x n panel; work holds n floats."""
    cdef Py_ssize_t j, k = min(m, n)
    cdef floating ajj
    for j in range(k):
        tau[j] = _larfg(m - j, A + j + j * ld, A + min(j + 1, m - 1) + j * ld)
        if j + 1 < n and tau[j] != 0:
            # A[j:, j+1:] -= tau v (v^T A[j:, j+1:])
            ajj = A[j + j * ld]
            A[j + j * ld] = 1
            gemv_kernel(n - j - 1, m - j, <floating> 1, A + j + (j + 1) * ld, ld, 1,
                        A + j + j * ld, <floating> 0, work, 1)
            ger_kernel(m - j, n - j - 1, -tau[j], A + j + j * ld, work,
                       A + j + (j + 1) * ld, 1, ld, True, 1)
            A[j + j * ld] = ajj


cdef void _geqrt_leaf(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                      floating *tau, floating *T, Py_ssize_t ldt,
                      floating *work) noexcept nogil:
    """geqr2 on a narrow m x n panel (m >= n) and its upper triangular T with
    H_1 ... H_n = I - V T V^T; column i of T is -tau_i T[:i, :i] V[:, :i]^T v_i with the
    products taken on the implicit unit-diagonal V stored in A."""
    cdef Py_ssize_t i, j, p
    cdef floating s
    _geqr2(m, n, A, ld, tau, work)
    for i in range(n):
        for j in range(i):
            # work[j] = v_j^T v_i: v_i is 0 above row i, 1 at row i.
            work[j] = A[i + j * ld]
            if i + 1 < m:
                work[j] += dot_kernel(m - i - 1, A + i + 1 + j * ld, 1, A + i + 1 + i * ld,
                                      1, 1)
        for j in range(i):
            s = 0
            for p in range(j, i):
                s = s + T[j + p * ldt] * work[p]
            T[j + i * ldt] = -tau[i] * s
        T[i + i * ldt] = tau[i]
        for j in range(i + 1, n):
            T[j + i * ldt] = 0


cdef int _geqrt3(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld, floating *tau,
                 floating *T, Py_ssize_t ldt, floating *work, int n_threads) noexcept nogil:
    """Recursive Householder QR of an m x n panel (m >= n) that also returns the block
    reflector's T (Elmroth and Gustavson 2000; LAPACK's geqrt3): the left half is
    factored, applied to the right half as a block reflector, the right half factored,
    and T's off-diagonal block T12 = -T11 V1^T V2 T22 formed.  The products with the
    long parts of V are GEMMs; the unit triangles of V (stored implicitly in A, under R)
    are handled by small triangular loops.  T12's space holds W during the update."""
    cdef Py_ssize_t n1, n2, i, j, p
    cdef floating s
    cdef floating *W
    cdef floating *A2
    cdef int r
    if n <= _QR_LEAF:
        _geqrt_leaf(m, n, A, ld, tau, T, ldt, work)
        return 0
    n1 = n // 2
    n2 = n - n1
    W = T + n1 * ldt                      # T[:n1, n1:]
    A2 = A + n1 * ld                      # A[:, n1:]
    r = _geqrt3(m, n1, A, ld, tau, T, ldt, work, n_threads)
    # A[:, n1:] := (I - V1 T11^T V1^T) A[:, n1:], with W = T11^T V1^T A[:, n1:].
    for j in range(n2):
        for i in range(n1):
            W[i + j * ldt] = A2[i + j * ld]
        for i in range(n1):               # W := L1^T W (L1 unit lower, A[:n1, :n1])
            s = W[i + j * ldt]
            for p in range(i + 1, n1):
                s = s + A[p + i * ld] * W[p + j * ldt]
            W[i + j * ldt] = s
    r |= _gemm(n1, n2, m - n1, <floating> 1, A + n1, ld, 1, A2 + n1, 1, ld, <floating> 1,
               W, 1, ldt, n_threads)
    for j in range(n2):                   # W := T11^T W, bottom-up
        for i in range(n1 - 1, -1, -1):
            s = 0
            for p in range(i + 1):
                s = s + T[p + i * ldt] * W[p + j * ldt]
            W[i + j * ldt] = s
    r |= _gemm(m - n1, n2, n1, <floating> -1, A + n1, 1, ld, W, 1, ldt, <floating> 1,
               A2 + n1, 1, ld, n_threads)
    for j in range(n2):                   # A[:n1, n1:] -= L1 W, bottom-up
        for i in range(n1 - 1, -1, -1):
            s = W[i + j * ldt]
            for p in range(i):
                s = s + A[i + p * ld] * W[p + j * ldt]
            A2[i + j * ld] -= s
    r |= _geqrt3(m - n1, n2, A2 + n1, ld, tau + n1, T + n1 + n1 * ldt, ldt, work,
                 n_threads)
    # T12 = -T11 (V1^T V2) T22; V1^T V2 = V1[n1:n]^T L2 + V1[n:]^T V2[n2:].
    for j in range(n2):
        for i in range(n1):
            W[i + j * ldt] = A[n1 + j + i * ld]
    for j in range(n2):                   # W := W L2 (L2 unit lower, A[n1:n, n1:n])
        for i in range(n1):
            s = W[i + j * ldt]
            for p in range(j + 1, n2):
                s = s + W[i + p * ldt] * A2[n1 + p + j * ld]
            W[i + j * ldt] = s
    if m > n:
        r |= _gemm(n1, n2, m - n, <floating> 1, A + n, ld, 1, A2 + n, 1, ld, <floating> 1,
                   W, 1, ldt, n_threads)
    for j in range(n2):                   # W := -T11 W, top-down
        for i in range(n1):
            s = 0
            for p in range(i, n1):
                s = s + T[i + p * ldt] * W[p + j * ldt]
            W[i + j * ldt] = -s
    for j in range(n2 - 1, -1, -1):       # W := W T22, right to left
        for i in range(n1):
            s = 0
            for p in range(j + 1):
                s = s + W[i + p * ldt] * T[n1 + p + (n1 + j) * ldt]
            W[i + j * ldt] = s
    for j in range(n2):                   # T's strictly lower part is zero
        for i in range(n1):
            T[n1 + j + i * ldt] = 0
    return r


cdef void _larft(Py_ssize_t m, Py_ssize_t k, const floating *V, Py_ssize_t ld,
                 const floating *tau, floating *T, Py_ssize_t ldt,
                 int n_threads) noexcept nogil:
    """Upper triangular T (k x k) with H_1 ... H_k = I - V T V^T, V (m x k) unit lower
    trapezoidal given explicitly (unit diagonal and zeros above it stored)."""
    cdef Py_ssize_t i, j, p
    cdef floating s
    # G = V^T V (k x k, upper triangle used): a level-3 product instead of k gemvs.
    _gemm(k, k, m, <floating> 1, V, ld, 1, V, 1, ld, <floating> 0, T, 1, ldt, n_threads)
    # T[:i, i] = -tau_i T[:i, :i] G[:i, i], column by column (T[:i, :i] already final).
    for i in range(k):
        for j in range(i):
            s = 0
            for p in range(j, i):
                s = s + T[j + p * ldt] * T[p + i * ldt]
            T[j + i * ldt] = s            # in place: row j only reads rows >= j of col i
        for j in range(i):
            T[j + i * ldt] = -tau[i] * T[j + i * ldt]
        T[i + i * ldt] = tau[i]
        for j in range(i + 1, k):
            T[j + i * ldt] = 0


cdef int _larfb(bint trans, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                const floating *V, Py_ssize_t ldv, const floating *T, Py_ssize_t ldt,
                floating *C, Py_ssize_t ldc, floating *W, int n_threads) noexcept nogil:
    """C := (I - V T V^T) C, or with T^T when trans (that is H^T).  V m x k explicit,
    W holds k*n floats."""
    if m == 0 or n == 0 or k == 0:
        return 0
    # W = V^T C (k x n)
    if _gemm(k, n, m, <floating> 1, V, ldv, 1, C, 1, ldc, <floating> 0, W, 1, k,
             n_threads) != 0:
        return -1
    # W := T W or T^T W (k x k triangular, small)
    if trans:
        _trmm_upper_t(k, n, T, ldt, W, k)
    else:
        _trmm_upper(k, n, T, ldt, W, k)
    # C -= V W
    return _gemm(m, n, k, <floating> -1, V, 1, ldv, W, 1, k, <floating> 1, C, 1, ldc,
                 n_threads)


cdef void _trmm_upper(Py_ssize_t k, Py_ssize_t n, const floating *T, Py_ssize_t ldt,
                      floating *W, Py_ssize_t ldw) noexcept nogil:
    # W := T W, T upper: row i uses rows >= i, so go top-down.
    cdef Py_ssize_t i, j, p
    cdef floating s
    for j in range(n):
        for i in range(k):
            s = 0
            for p in range(i, k):
                s = s + T[i + p * ldt] * W[p + j * ldw]
            W[i + j * ldw] = s


cdef void _trmm_upper_t(Py_ssize_t k, Py_ssize_t n, const floating *T, Py_ssize_t ldt,
                        floating *W, Py_ssize_t ldw) noexcept nogil:
    # W := T^T W, T^T lower: row i uses rows <= i, so go bottom-up.
    cdef Py_ssize_t i, j, p, ii
    cdef floating s
    for j in range(n):
        for ii in range(k):
            i = k - 1 - ii
            s = 0
            for p in range(i + 1):
                s = s + T[p + i * ldt] * W[p + j * ldw]
            W[i + j * ldw] = s


cdef void _copy_v(Py_ssize_t m, Py_ssize_t k, const floating *A, Py_ssize_t ld,
                  floating *V) noexcept nogil:
    """Explicit unit lower trapezoidal V (m x k, ld m) from reflectors stored in A."""
    cdef Py_ssize_t i, j
    for j in range(k):
        for i in range(j):
            V[i + j * m] = 0
        V[j + j * m] = 1
        for i in range(j + 1, m):
            V[i + j * m] = A[i + j * ld]


cdef int _qr_update(Py_ssize_t m, Py_ssize_t j, Py_ssize_t jb, Py_ssize_t c0,
                    Py_ssize_t c1, floating *A, Py_ssize_t ld, const floating *V,
                    const floating *T, Py_ssize_t ldt, int n_threads) noexcept nogil:
    """Columns c0..c1-1 (rows j..m-1) := H^T of them, H the block reflector of the panel
    j..j+jb-1 (V explicit, m - j rows; T ldt)."""
    cdef floating *W
    cdef int rc
    if c1 <= c0:
        return 0
    W = <floating *> malloc(jb * (c1 - c0) * sizeof(floating))
    if W == NULL:
        return -1
    rc = _larfb(True, m - j, c1 - c0, jb, V, m - j, T, ldt, A + j + c0 * ld, ld, W,
                n_threads)
    free(W)
    return rc


cdef int _qr_panel(Py_ssize_t m, Py_ssize_t n, Py_ssize_t j, Py_ssize_t jb, floating *A,
                   Py_ssize_t ld, floating *tau, floating *V, floating *T, Py_ssize_t ldt,
                   floating *work) noexcept nogil:
    """Factor the panel A[j:, j:j+jb] on one thread (its T into T) and, when columns
    follow it, copy its reflectors into the explicit V (m - j rows) for the update."""
    if _geqrt3(m - j, jb, A + j + j * ld, ld, tau + j, T, ldt, work, 1) != 0:
        return -1
    if j + jb < n:
        _copy_v(m - j, jb, A + j + j * ld, ld, V)
    return 0


cdef int _qr_task(Py_ssize_t t, Py_ssize_t m, Py_ssize_t n, Py_ssize_t j, Py_ssize_t jb,
                  Py_ssize_t jb1, Py_ssize_t w, floating *A, Py_ssize_t ld, floating *tau,
                  const floating *V, const floating *T, floating *V1, floating *T1,
                  Py_ssize_t ldt, floating *work, int n_threads) noexcept nogil:
    """Task t of the step after panel j..j+jb-1 (V, T): task 0 applies it to the next
    panel's jb1 columns and factors that panel into V1, T1 (the look-ahead); task t >= 1
    applies it to the t-th chunk of w columns after the next panel."""
    cdef Py_ssize_t c0
    if t == 0:
        if jb1 == 0:
            return 0
        if _qr_update(m, j, jb, j + jb, j + jb + jb1, A, ld, V, T, ldt, n_threads) != 0:
            return -1
        return _qr_panel(m, n, j + jb, jb1, A, ld, tau, V1, T1, ldt, work)
    c0 = j + jb + jb1 + (t - 1) * w
    return _qr_update(m, j, jb, c0, min(n, c0 + w), A, ld, V, T, ldt, n_threads)


cdef int geqrf_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                      floating *tau, int n_threads) noexcept nogil:
    """Blocked Householder QR; R in the upper triangle, reflectors below.  Returns -1 on
    allocation failure.

    Organized as the LU (``getrf_kernel``): step b is a set of single-threaded tasks
    shared dynamically by the threads -- the next panel's columns updated and that panel
    factored (look-ahead), and fixed chunks of the remaining columns updated with the
    block reflector -- so the panel overlaps the update, a descheduled thread on a
    loaded machine delays only its own task, and the result does not depend on the
    thread count.  V and T of consecutive panels alternate between two buffers."""
    cdef Py_ssize_t b, nblocks, j, jb, jb1, t, ntasks, w, k = min(m, n)
    cdef int nb = _NB_QR[get_isa()], err = 0
    cdef floating *buf
    cdef floating *V[2]
    cdef floating *T[2]
    cdef floating *work
    if k == 0:
        return 0
    buf = <floating *> malloc((2 * m * nb + 2 * nb * nb + nb) * sizeof(floating))
    if buf == NULL:
        return -1
    V[0] = buf
    V[1] = buf + m * nb
    T[0] = buf + 2 * m * nb
    T[1] = T[0] + nb * nb
    work = T[1] + nb * nb
    w = _QR_CHUNK_BLOCKS * nb
    nblocks = (k + nb - 1) // nb
    err = _qr_panel(m, n, 0, min(<Py_ssize_t> nb, k), A, ld, tau, V[0], T[0], nb, work) != 0
    for b in range(nblocks):
        if err:
            break
        j = b * nb
        jb = min(nb, k - j)
        jb1 = min(nb, k - j - jb)
        ntasks = 1 + (n - j - jb - jb1 + w - 1) // w
        if n_threads > 1 and ntasks > 1:
            for t in prange(ntasks, num_threads=n_threads, schedule="dynamic", chunksize=1):
                err += _qr_task(t, m, n, j, jb, jb1, w, A, ld, tau, V[b % 2], T[b % 2],
                                V[(b + 1) % 2], T[(b + 1) % 2], nb, work, 1) != 0
        else:
            for t in range(ntasks):
                err += _qr_task(t, m, n, j, jb, jb1, w, A, ld, tau, V[b % 2], T[b % 2],
                                V[(b + 1) % 2], T[(b + 1) % 2], nb, work, n_threads) != 0
    free(buf)
    return -1 if err else 0


cdef void _orm2r(bint trans, Py_ssize_t m, Py_ssize_t nc, Py_ssize_t k,
                 const floating *A, Py_ssize_t ld, const floating *tau, floating *C,
                 Py_ssize_t ldc) noexcept nogil:
    """C := Q C or Q^T C one reflector at a time (LAPACK's orm2r): for a few columns of
    C this streams the reflectors once, where the blocked form would spend
    O(m nb^2) per block on T, more than the 4 m k nc flops of the product itself."""
    cdef Py_ssize_t b, i, c, r
    cdef floating w
    cdef const floating *v
    cdef floating *cc
    for b in range(k):
        i = b if trans else k - 1 - b
        if tau[i] == 0:
            continue
        v = A + i + i * ld                # v[0] = 1 implied, v[1:] below the diagonal
        for c in range(nc):
            cc = C + i + c * ldc
            w = cc[0]
            if m - i > 1:
                w = w + dot_kernel(m - i - 1, v + 1, 1, cc + 1, 1, 1)
            w = w * tau[i]
            if w != 0:
                cc[0] -= w
                for r in range(1, m - i):
                    cc[r] -= w * v[r]


cdef int ormqr_kernel(bint trans, Py_ssize_t m, Py_ssize_t nc, Py_ssize_t k,
                      const floating *A, Py_ssize_t ld, const floating *tau,
                      floating *C, Py_ssize_t ldc, int n_threads) noexcept nogil:
    """C := Q C (trans False) or Q^T C (trans True), Q = H_1 ... H_k from geqrf's m x k
    reflectors.  Returns -1 on allocation failure."""
    cdef Py_ssize_t j, jb, b, nblocks
    cdef int nb = _NB_QR[get_isa()]
    cdef floating *V
    cdef floating *T
    cdef floating *W
    if k == 0 or nc == 0 or m == 0:
        return 0
    if nc <= _ORM2R_MAX_COLS:
        _orm2r(trans, m, nc, k, A, ld, tau, C, ldc)
        return 0
    V = <floating *> malloc((m * nb + nb * nb + nb * nc) * sizeof(floating))
    if V == NULL:
        return -1
    T = V + m * nb
    W = T + nb * nb
    nblocks = (k + nb - 1) // nb
    for b in range(nblocks):
        # Q^T = H_k ... H_1: first block first; Q: last block first.
        j = b * nb if trans else (nblocks - 1 - b) * nb
        jb = min(nb, k - j)
        _copy_v(m - j, jb, A + j + j * ld, ld, V)
        _larft(m - j, jb, V, m - j, tau + j, T, nb, n_threads)
        _larfb(trans, m - j, nc, jb, V, m - j, T, nb, C + j, ldc, W, n_threads)
    free(V)
    return 0


cdef int orgqr_kernel(Py_ssize_t m, Py_ssize_t ncol, Py_ssize_t k, floating *A,
                      Py_ssize_t ld, const floating *tau, int n_threads) noexcept nogil:
    """Overwrite A (m x ncol, reflectors in its first k columns, k <= ncol <= m) with the
    first ncol columns of Q.  Blocks are applied last to first, each only to the
    columns from its own start on (the earlier columns are still those of I there)."""
    cdef Py_ssize_t i, j, jb, b, nblocks, c
    cdef int nb = _NB_QR[get_isa()]
    cdef floating *V
    cdef floating *T
    cdef floating *W
    if ncol == 0:
        return 0
    V = <floating *> malloc((m * nb + nb * nb + nb * ncol) * sizeof(floating))
    if V == NULL:
        return -1
    T = V + m * nb
    W = T + nb * nb
    nblocks = (k + nb - 1) // nb
    # Columns k..ncol of Q start as those of I.
    for c in range(k, ncol):
        for i in range(m):
            A[i + c * ld] = 1 if i == c else 0
    for b in range(nblocks - 1, -1, -1):
        j = b * nb
        jb = min(nb, k - j)
        _copy_v(m - j, jb, A + j + j * ld, ld, V)
        _larft(m - j, jb, V, m - j, tau + j, T, nb, n_threads)
        # Columns j..j+jb become those of I before the block is applied to them.
        for c in range(j, j + jb):
            for i in range(m):
                A[i + c * ld] = 1 if i == c else 0
        _larfb(False, m - j, ncol - j, jb, V, m - j, T, nb, A + j + j * ld, ld, W,
               n_threads)
    free(V)
    return 0


cdef void geqp2_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld,
                       Py_ssize_t *jpvt, floating *tau, floating *work) noexcept nogil:
    """QR with column pivoting, A P = Q R; jpvt[j] = original index of column j.
    work holds 3n floats (partial norms, reference norms, gemv scratch)."""
    cdef Py_ssize_t i, j, p, t, k = min(m, n)
    cdef floating *vn1 = work
    cdef floating *vn2 = work + n
    cdef floating *w = work + 2 * n
    cdef floating tmp, tmp2, ajj, tol3z, eps
    if floating is double:
        eps = 2.220446049250313e-16
    else:
        eps = 1.1920928955078125e-07
    tol3z = sqrt(eps)
    for j in range(n):
        jpvt[j] = j
        vn1[j] = nrm2_kernel(m, A + j * ld, 1, 1)
        vn2[j] = vn1[j]
    for i in range(k):
        p = i
        for j in range(i + 1, n):
            if vn1[j] > vn1[p]:
                p = j
        if p != i:
            for j in range(m):
                tmp = A[j + p * ld]
                A[j + p * ld] = A[j + i * ld]
                A[j + i * ld] = tmp
            t = jpvt[p]
            jpvt[p] = jpvt[i]
            jpvt[i] = t
            vn1[p] = vn1[i]
            vn2[p] = vn2[i]
        tau[i] = _larfg(m - i, A + i + i * ld, A + min(i + 1, m - 1) + i * ld)
        if i + 1 < n and tau[i] != 0:
            ajj = A[i + i * ld]
            A[i + i * ld] = 1
            gemv_kernel(n - i - 1, m - i, <floating> 1, A + i + (i + 1) * ld, ld, 1,
                        A + i + i * ld, <floating> 0, w, 1)
            ger_kernel(m - i, n - i - 1, -tau[i], A + i + i * ld, w,
                       A + i + (i + 1) * ld, 1, ld, True, 1)
            A[i + i * ld] = ajj
        # Downdate the partial norms; recompute when cancellation has eaten them.
        for j in range(i + 1, n):
            if vn1[j] != 0:
                tmp = fabs(A[i + j * ld]) / vn1[j]
                tmp = 1 - tmp * tmp
                if tmp < 0:
                    tmp = 0
                tmp2 = vn1[j] / vn2[j]
                tmp2 = tmp * tmp2 * tmp2
                if tmp2 <= tol3z:
                    if i + 1 < m:
                        vn1[j] = nrm2_kernel(m - i - 1, A + i + 1 + j * ld, 1, 1)
                        vn2[j] = vn1[j]
                    else:
                        vn1[j] = 0
                        vn2[j] = 0
                else:
                    vn1[j] = vn1[j] * sqrt(tmp)


# ---------------------------------------------------------------------------------------
# Layout change for the work copies: row-major -> column-major.

DEF _TRANSPOSE_TILE = 32


cdef void _copy_tile(Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t c0, Py_ssize_t c1,
                     const floating *src, Py_ssize_t lds, floating *dst,
                     Py_ssize_t ldd) noexcept nogil:
    cdef Py_ssize_t i, j
    for j in range(c0, c1):
        for i in range(r0, r1):
            dst[i + j * ldd] = src[i * lds + j]


cdef void transpose_copy_kernel(Py_ssize_t m, Py_ssize_t n, const floating *src,
                                Py_ssize_t lds, floating *dst, Py_ssize_t ldd,
                                int n_threads) noexcept nogil:
    """dst (column-major, m x n) := src (row-major, m x n).  Square tiles small enough
    that the strided side stays in L1 while it is read; strips of tile columns split
    between threads (each writes its own columns)."""
    cdef Py_ssize_t tc, ntc = (n + _TRANSPOSE_TILE - 1) // _TRANSPOSE_TILE, r0, c0
    if n_threads < 1 or m * n < 1 << 16:
        n_threads = 1
    for tc in prange(ntc, num_threads=n_threads, schedule="static"):
        c0 = tc * _TRANSPOSE_TILE
        for r0 in range(0, m, _TRANSPOSE_TILE):
            _copy_tile(r0, min(m, r0 + _TRANSPOSE_TILE), c0, min(n, c0 + _TRANSPOSE_TILE),
                       src, lds, dst, ldd)


# ---------------------------------------------------------------------------------------
# Python-facing wrappers on Fortran-ordered memoryviews (validated by lamina.linalg).

def getrf(floating[::1, :] a, Py_ssize_t[::1] ipiv, int n_threads):
    """In place LU of a (column-major); returns info (1-based zero pivot or 0)."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1], info
    if m == 0 or n == 0:
        return 0
    with nogil:
        info = getrf_kernel(m, n, &a[0, 0], a.strides[1] // <Py_ssize_t> sizeof(floating),
                            &ipiv[0], n_threads)
    if info < 0:
        raise MemoryError("getrf: the GEMM packing buffers could not be allocated")
    return info


def getrs(const floating[::1, :] lu, const Py_ssize_t[::1] ipiv, floating[::1, :] b,
          bint trans, int n_threads):
    """In place: b := A^-1 b (or A^-T b) from getrf's factors."""
    cdef Py_ssize_t n = lu.shape[0], nrhs = b.shape[1]
    if n == 0 or nrhs == 0:
        return
    with nogil:
        getrs_kernel(trans, n, nrhs, &lu[0, 0], lu.strides[1] // <Py_ssize_t> sizeof(floating),
                     &ipiv[0], &b[0, 0], b.strides[1] // <Py_ssize_t> sizeof(floating),
                     n_threads)


def potrf(floating[:, :] a, int n_threads):
    """In place lower Cholesky of a (any strides; lower triangle read, factor written
    there, strict upper triangle zeroed).  Returns info (0 or the failing minor)."""
    cdef Py_ssize_t n = a.shape[0], info, i, j
    cdef Py_ssize_t rs = a.strides[0] // <Py_ssize_t> sizeof(floating)
    cdef Py_ssize_t cs = a.strides[1] // <Py_ssize_t> sizeof(floating)
    if n == 0:
        return 0
    with nogil:
        info = potrf_kernel(n, &a[0, 0], rs, cs, n_threads)
        if info == 0:
            for j in range(1, n):
                for i in range(j):
                    a[i, j] = 0
    if info < 0:
        raise MemoryError("potrf: workspace allocation failed")
    return info


def trsm(bint left, bint lower, bint unit_diag, const floating[:, :] a, floating[::1, :] b,
         int n_threads):
    """In place: b := inv(a) b (left) or b inv(a) (right); a any strides."""
    cdef Py_ssize_t m = b.shape[0], n = b.shape[1]
    cdef Py_ssize_t isz = sizeof(floating)
    if m == 0 or n == 0:
        return
    with nogil:
        _trsm(left, lower, unit_diag, m, n, <floating> 1, &a[0, 0], a.strides[0] // isz,
              a.strides[1] // isz, &b[0, 0], 1, b.strides[1] // isz, n_threads)


def geqrf(floating[::1, :] a, floating[::1] tau, int n_threads):
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    cdef int rc = 0
    if m == 0 or n == 0:
        return
    with nogil:
        rc = geqrf_kernel(m, n, &a[0, 0], a.strides[1] // <Py_ssize_t> sizeof(floating),
                          &tau[0], n_threads)
    if rc != 0:
        raise MemoryError("geqrf: workspace allocation failed")


def orgqr(floating[::1, :] a, const floating[::1] tau, Py_ssize_t k, int n_threads):
    cdef Py_ssize_t m = a.shape[0], ncol = a.shape[1]
    cdef int rc = 0
    if m == 0 or ncol == 0:
        return
    if k > ncol or ncol > m or k > tau.shape[0]:
        raise ValueError("orgqr: need k <= ncol <= m and len(tau) >= k")
    with nogil:
        rc = orgqr_kernel(m, ncol, k, &a[0, 0], a.strides[1] // <Py_ssize_t> sizeof(floating),
                          &tau[0] if k > 0 else NULL, n_threads)
    if rc != 0:
        raise MemoryError("orgqr: workspace allocation failed")


def ormqr(bint trans, const floating[::1, :] a, const floating[::1] tau, floating[::1, :] c,
          int n_threads):
    """In place: c := Q c or Q^T c, Q from the reflectors in a (m x k)."""
    cdef Py_ssize_t m = a.shape[0], k = min(a.shape[1], tau.shape[0]), nc = c.shape[1]
    cdef int rc = 0
    if c.shape[0] != m:
        raise ValueError("ormqr: c must have as many rows as a")
    if m == 0 or k == 0 or nc == 0:
        return
    with nogil:
        rc = ormqr_kernel(trans, m, nc, k, &a[0, 0],
                          a.strides[1] // <Py_ssize_t> sizeof(floating), &tau[0],
                          &c[0, 0], c.strides[1] // <Py_ssize_t> sizeof(floating), n_threads)
    if rc != 0:
        raise MemoryError("ormqr: workspace allocation failed")


def geqp2(floating[::1, :] a, Py_ssize_t[::1] jpvt, floating[::1] tau):
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    cdef floating *work
    cdef Py_ssize_t i
    if n == 0:
        return
    for i in range(n):
        jpvt[i] = i
    if m == 0:
        return
    work = <floating *> malloc(3 * n * sizeof(floating))
    if work == NULL:
        raise MemoryError("geqp2: workspace allocation failed")
    with nogil:
        geqp2_kernel(m, n, &a[0, 0], a.strides[1] // <Py_ssize_t> sizeof(floating),
                     &jpvt[0], &tau[0], work)
    free(work)


def to_fortran(const floating[:, ::1] src, floating[::1, :] dst, int n_threads):
    """dst := src, a row-major matrix copied into a column-major one of the same shape."""
    cdef Py_ssize_t m = src.shape[0], n = src.shape[1]
    if dst.shape[0] != m or dst.shape[1] != n:
        raise ValueError("to_fortran: shapes differ")
    if m == 0 or n == 0:
        return
    with nogil:
        transpose_copy_kernel(m, n, &src[0, 0], n, &dst[0, 0], m, n_threads)
