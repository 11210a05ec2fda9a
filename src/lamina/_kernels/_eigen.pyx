"""Symmetric eigenvalue and singular value kernels: tridiagonal and bidiagonal reduction,
implicit QL/QR iterations, one-sided Jacobi.

Design
------
Column-major matrices addressed by a pointer and a leading dimension ``ld``, as in
``_lapack.pyx``; the Python layer (``lamina.linalg._eigh`` / ``_svd``) makes one
Fortran-order work copy, scales the input into a safe range, and forms the orthogonal
factors of the reductions with ``_lapack.orgqr`` (compact WY, GEMM).

* ``sytrd`` (symmetric -> tridiagonal, lower triangle): LAPACK's blocked algorithm.  A
  panel of ``nb`` columns is reduced by ``latrd``, which also builds W with
  ``A - V W^T - W V^T`` equal to the partially reduced matrix; the trailing matrix then gets
  that rank-2nb update as GEMMs (the SYR2K of LAPACK, blocked by columns so only the lower
  part is computed).  The symmetric matrix-vector product of each step (the memory-bound
  half of the 4/3 n^3 flops) reads the lower triangle once, in column blocks that stay in
  L2 for their second (transposed) pass.  Backward stable: the tridiagonal T satisfies
  ``Q^T (A + E) Q = T`` with ``||E|| = O(n eps ||A||)``.
* ``steqr`` (tridiagonal eigenproblem): implicit QL with Wilkinson's shift (the tql2
  organization, Bowdler, Martin, Reinsch and Wilkinson 1968) with the split test
  |e_i| <= eps (|d_i| + |d_i+1|), applied to the input scaled into a safe range.  The
  values-only path never touches vectors (O(n^2)).  With vectors the plane rotations are
  recorded and applied in batches to cache-sized row strips of Z by ``lamina_rot.h``
  (vectorized over rows, the column shared by consecutive rotations kept in registers,
  strips in parallel) instead of streaming Z through memory once per sweep.
* ``stedc`` (tridiagonal eigenproblem with vectors, n >= 64 in eigh): Cuppen's divide and
  conquer as in LAPACK's stedc.  T = diag(T1, T2) + |rho| w w^T; the halves recursively
  (QL below 32), then per merge: deflation of negligible components of z and of nearly
  equal eigenvalues (a Givens rotation), the secular equation solved per root in shifted
  coordinates by the fixed-weight two-pole model inside a bisection bracket (roots in
  parallel), z recomputed from the roots (Gu and Eisenstat 1995) so the vectors are
  orthogonal to working precision, and the vectors formed by one GEMM.  O(n^3) GEMM flops
  in the worst case, much less with deflation.
* ``gebrd`` (general -> upper bidiagonal, m >= n): Householder reflections from the left
  and the right, level 2 (gemv + rank-1 updates through lamina's kernels);
  4 m n^2 - 4/3 n^3 flops; backward stable.
* ``bdsqr`` (bidiagonal SVD): Demmel and Kahan's implicit zero-shift QR combined with
  shifted Golub-Kahan sweeps, the chase direction chosen by the grading of the block, and
  the relative convergence criteria of LAPACK's dbdsqr (Demmel and Kahan 1990), so every
  singular value of the bidiagonal matrix is computed to high relative accuracy.  Rotations
  are applied to U and V in batches as for ``steqr``.
* ``jacobi_sweeps`` (one-sided Jacobi, Hestenes 1958; Demmel and Veselic 1992): rotates
  pairs of columns of X until all are orthogonal to working precision
  (|x_p^T x_q| <= tol ||x_p|| ||x_q||), accumulating V.  Singular values of a matrix
  B D (D diagonal, B well conditioned) come out with relative error O(kappa(B) eps)
  whatever D; used after a column-pivoted QR (Drmac and Veselic 2008) by
  ``svd(method="jacobi")``.

References: Golub and Van Loan, Matrix Computations (4th ed.), ch. 8; Cuppen, Numer. Math.
36 (1981); Gu and Eisenstat, SIAM J. Matrix Anal. Appl. 16 (1995); Demmel and Kahan,
SIAM J. Sci. Stat. Comput. 11 (1990); Demmel and Veselic, SIAM J. Matrix Anal. Appl. 13
(1992); Drmac and Veselic, SIAM J. Matrix Anal. Appl. 29 (2008); LAPACK Users' Guide.
"""
from cython cimport floating
from libc.math cimport fabs, sqrt, hypot, copysign
from libc.stdlib cimport malloc, free
from cython.parallel cimport prange

from lamina._kernels._runtime cimport get_isa
from lamina._kernels._blas1 cimport dot_kernel, nrm2_kernel
from lamina._kernels._blas2 cimport gemv_kernel, ger_kernel
from lamina._kernels._gemm cimport gemm_kernel

cdef extern from "lamina_rot.h" nogil:
    void lamina_drot_rows(Py_ssize_t nrows, double *Z, Py_ssize_t ldz, Py_ssize_t nrot,
                          const int *idx, const double *c, const double *s, int isa)
    void lamina_srot_rows(Py_ssize_t nrows, float *Z, Py_ssize_t ldz, Py_ssize_t nrot,
                          const int *idx, const float *c, const float *s, int isa)

cdef extern from "float.h":
    double DBL_MIN
    double DBL_EPSILON
    float FLT_MIN
    float FLT_EPSILON
    double DBL_MAX
    float FLT_MAX

# Tridiagonal reduction: panel width and the size below which the unblocked code runs.
DEF _NB_TRD = 32
DEF _NX_TRD = 128
# Column block of the symmetric matrix-vector product (its sub-diagonal part is read twice,
# the second time from L2).
DEF _SYMV_BLOCK = 32
# Columns per partial product of the threaded symmetric matrix-vector product.
DEF _SYMV_CHUNK = 128
# Columns per GEMM of the blocked rank-2k update: wide, so a panel's update is a handful of
# GEMM calls (each wakes the thread team; on a busy machine that is what costs), at the
# price of computing part of the upper triangle of the diagonal blocks too.
DEF _SYR2K_BLOCK = 512
# Divide and conquer: subproblems up to this size go to the QL iteration.
DEF _DC_LEAF = 32
# Bidiagonal reduction: panel width and the size below which the unblocked code runs.
DEF _NB_BRD = 32
DEF _NX_BRD = 128
# Trailing size (elements) from which labrd's two big GEMVs are threaded.
DEF _BRD_GEMV_PARALLEL = 1 << 18
# Level-2 operations (gemv, rank-1 updates, the symmetric matrix-vector product) run on one
# thread: they are memory-bound (one core saturates this machine's bandwidth) and called
# once per column, where waking a thread team costs more than it saves -- and on a loaded
# machine a team waits for its slowest, descheduled member.


cdef inline void _swap_columns(Py_ssize_t nrows, floating *X, Py_ssize_t ld, Py_ssize_t i,
                               Py_ssize_t k) noexcept nogil:
    """Swap columns i and k of the column-major X (the sorts of eigen/singular vectors)."""
    cdef Py_ssize_t j
    cdef floating t
    for j in range(nrows):
        t = X[j + i * ld]
        X[j + i * ld] = X[j + k * ld]
        X[j + k * ld] = t


cdef inline floating _eps(floating x) noexcept nogil:
    if floating is double:
        return DBL_EPSILON * 0.5
    else:
        return FLT_EPSILON * 0.5


cdef inline floating _safmin(floating x) noexcept nogil:
    if floating is double:
        return DBL_MIN
    else:
        return FLT_MIN


cdef inline floating _sign(floating a, floating b) noexcept nogil:
    """|a| with the sign of b (Fortran SIGN)."""
    return fabs(a) if b >= 0 else -fabs(a)


# ---------------------------------------------------------------------------------------
# Recorded plane rotations, applied in batches to cache-sized row blocks.

# Rows per strip of the rotation kernel: eight 64-byte registers per column.
DEF _ROT_STRIP_BYTES = 512


cdef struct RotBuf:
    Py_ssize_t n
    Py_ssize_t cap
    Py_ssize_t nrows
    Py_ssize_t ncols
    Py_ssize_t ld
    int n_threads
    int *idx
    void *c
    void *s
    void *z


cdef int _rot_init(RotBuf *b, void *z, Py_ssize_t nrows, Py_ssize_t ncols, Py_ssize_t ld,
                   size_t itemsize, int n_threads) noexcept nogil:
    b.n = 0
    b.z = z
    b.nrows = nrows
    b.ncols = ncols
    b.ld = ld
    b.n_threads = n_threads
    b.idx = NULL
    b.c = NULL
    b.s = NULL
    if z == NULL or nrows == 0:
        b.z = NULL
        b.cap = 0
        return 0
    b.cap = max(<Py_ssize_t> 4096, 64 * ncols)
    b.idx = <int *> malloc(b.cap * sizeof(int))
    b.c = malloc(b.cap * itemsize)
    b.s = malloc(b.cap * itemsize)
    if b.idx == NULL or b.c == NULL or b.s == NULL:
        free(b.idx)
        free(b.c)
        free(b.s)
        b.idx = NULL
        b.c = NULL
        b.s = NULL
        return -1
    return 0


cdef void _rot_free(RotBuf *b) noexcept nogil:
    free(b.idx)
    free(b.c)
    free(b.s)
    b.idx = NULL
    b.c = NULL
    b.s = NULL


cdef void _rot_flush(RotBuf *b, floating *z) noexcept nogil:
    """Apply the recorded rotations to every row of Z.  Rows go in strips of
    _ROT_STRIP_BYTES (the register strip of lamina_rot.h), each copied into a contiguous
    buffer first: with Z's own leading dimension, a power-of-two stride between the
    columns of a strip would map them all to the same cache sets.  Strips are split
    between threads."""
    cdef Py_ssize_t rb, nblocks, blk, r0, nr, j, i, nrot = b.n, ncols = b.ncols
    cdef int nt = b.n_threads, isa = get_isa()
    cdef floating *buf
    if b.z == NULL or nrot == 0:
        b.n = 0
        return
    rb = _ROT_STRIP_BYTES // sizeof(floating)
    nblocks = (b.nrows + rb - 1) // rb
    if nt < 1 or nblocks < 4 or nrot * b.nrows < (1 << 24):
        nt = 1
    for blk in prange(nblocks, num_threads=nt, schedule="dynamic"):
        r0 = blk * rb
        nr = min(rb, b.nrows - r0)
        buf = <floating *> malloc(rb * ncols * sizeof(floating))
        if buf == NULL:
            # No memory for the packed strip: rotate in place (correct, slower).
            if floating is double:
                lamina_drot_rows(nr, z + r0, b.ld, nrot, b.idx, <const double *> b.c,
                                 <const double *> b.s, isa)
            else:
                lamina_srot_rows(nr, z + r0, b.ld, nrot, b.idx, <const float *> b.c,
                                 <const float *> b.s, isa)
            continue
        for j in range(ncols):
            for i in range(nr):
                buf[i + j * nr] = z[r0 + i + j * b.ld]
        if floating is double:
            lamina_drot_rows(nr, buf, nr, nrot, b.idx, <const double *> b.c,
                             <const double *> b.s, isa)
        else:
            lamina_srot_rows(nr, buf, nr, nrot, b.idx, <const float *> b.c,
                             <const float *> b.s, isa)
        for j in range(ncols):
            for i in range(nr):
                z[r0 + i + j * b.ld] = buf[i + j * nr]
        free(buf)
    b.n = 0


cdef inline void _rot_push(RotBuf *b, floating *z, Py_ssize_t j, floating c,
                           floating s) noexcept nogil:
    """Record the rotation of columns (j, j+1): z_j' = c z_j + s z_j+1,
    z_j+1' = c z_j+1 - s z_j."""
    if b.z == NULL:
        return
    if b.n == b.cap:
        _rot_flush(b, z)
    b.idx[b.n] = <int> j
    (<floating *> b.c)[b.n] = c
    (<floating *> b.s)[b.n] = s
    b.n += 1


# ---------------------------------------------------------------------------------------
# Small helpers: Householder reflector with a strided x, plane rotations, 2 x 2 SVDs.

cdef floating _larfg(Py_ssize_t n, floating *alpha, floating *x,
                     Py_ssize_t incx) noexcept nogil:
    """H [alpha; x] = [beta; 0] with H = I - tau v v^T, v[0] = 1; x := v[1:]."""
    cdef Py_ssize_t i
    cdef floating xnorm, beta, a = alpha[0], d
    if n <= 1:
        return 0
    xnorm = nrm2_kernel(n - 1, x, incx, 1)
    if xnorm == 0:
        return 0
    beta = hypot(a, xnorm)
    if a >= 0:
        beta = -beta
    d = a - beta
    for i in range(n - 1):
        x[i * incx] = x[i * incx] / d
    alpha[0] = beta
    return (beta - a) / beta


cdef inline void _lartg(floating f, floating g, floating *c, floating *s,
                        floating *r) noexcept nogil:
    """c f + s g = r, -s f + c g = 0, c >= 0 (LAPACK 3.10's dlartg convention).  Both
    magnitudes inside a range where f^2 + g^2 can neither overflow nor lose f or g to
    underflow: the plain sqrt(f^2 + g^2) and one division (as dlartg; the bidiagonal QR
    iteration spends most of its time here); otherwise the scaled hypot."""
    cdef floating d, fa = fabs(f), ga = fabs(g), lo, hi
    if floating is double:
        lo = 1e-150
        hi = 1e150
    else:
        lo = 1e-18
        hi = 1e18
    if lo < fa < hi and lo < ga < hi:
        d = copysign(sqrt(f * f + g * g), f)
        c[0] = fa / fabs(d)
        s[0] = g / d
        r[0] = d
        return
    if g == 0:
        c[0] = 1
        s[0] = 0
        r[0] = f
    elif f == 0:
        c[0] = 0
        s[0] = 1 if g > 0 else -1
        r[0] = fabs(g)
    else:
        d = hypot(f, g)
        d = copysign(d, f)
        c[0] = f / d
        s[0] = g / d
        r[0] = d


cdef void _las2(floating f, floating g, floating h, floating *ssmin,
                floating *ssmax) noexcept nogil:
    """Singular values of the upper triangular [[f, g], [0, h]] (LAPACK's dlas2)."""
    cdef floating fa = fabs(f), ga = fabs(g), ha = fabs(h)
    cdef floating fhmn = min(fa, ha), fhmx = max(fa, ha), as_, at, au, c
    if fhmn == 0:
        ssmin[0] = 0
        if fhmx == 0:
            ssmax[0] = ga
        else:
            c = min(fhmx, ga) / max(fhmx, ga)
            ssmax[0] = max(fhmx, ga) * sqrt(1 + c * c)
    elif ga < fhmx:
        as_ = 1 + fhmn / fhmx
        at = (fhmx - fhmn) / fhmx
        au = (ga / fhmx) * (ga / fhmx)
        c = 2 / (sqrt(as_ * as_ + au) + sqrt(at * at + au))
        ssmin[0] = fhmn * c
        ssmax[0] = fhmx / c
    else:
        au = fhmx / ga
        if au == 0:
            ssmin[0] = (fhmn * fhmx) / ga
            ssmax[0] = ga
        else:
            as_ = 1 + fhmn / fhmx
            at = (fhmx - fhmn) / fhmx
            c = 1 / (sqrt(1 + (as_ * au) * (as_ * au)) + sqrt(1 + (at * au) * (at * au)))
            ssmin[0] = 2 * (fhmn * c) * au
            ssmax[0] = ga / (c + c)


cdef void _lasv2(floating f, floating g, floating h, floating *ssmin, floating *ssmax,
                 floating *snr, floating *csr, floating *snl, floating *csl) noexcept nogil:
    """SVD of the upper triangular [[f, g], [0, h]] (LAPACK's dlasv2):
    [csl snl; -snl csl] [f g; 0 h] [csr -snr; snr csr] = diag(ssmax, ssmin)."""
    cdef floating ft = f, fa = fabs(f), ht = h, ha = fabs(h), gt = g, ga = fabs(g)
    cdef floating clt = 1, crt = 1, slt = 0, srt = 0, tmp, d, el, m, t, mm, tt, s, r, a
    cdef floating tsign = 1
    cdef int pmax = 1
    cdef bint swap = ha > fa, gasmal
    if swap:
        pmax = 3
        tmp = ft
        ft = ht
        ht = tmp
        tmp = fa
        fa = ha
        ha = tmp
    if ga == 0:
        ssmin[0] = ha
        ssmax[0] = fa
        clt = 1
        crt = 1
        slt = 0
        srt = 0
    else:
        gasmal = True
        if ga > fa:
            pmax = 2
            if fa / ga < _eps(f):
                gasmal = False
                ssmax[0] = ga
                if ha > 1:
                    ssmin[0] = fa / (ga / ha)
                else:
                    ssmin[0] = (fa / ga) * ha
                clt = 1
                slt = ht / gt
                srt = 1
                crt = ft / gt
        if gasmal:
            d = fa - ha
            if d == fa:
                el = 1
            else:
                el = d / fa
            m = gt / ft
            t = 2 - el
            mm = m * m
            tt = t * t
            s = sqrt(tt + mm)
            if el == 0:
                r = fabs(m)
            else:
                r = sqrt(el * el + mm)
            a = 0.5 * (s + r)
            ssmin[0] = ha / a
            ssmax[0] = fa * a
            if mm == 0:
                if el == 0:
                    t = _sign(<floating> 2, ft) * _sign(<floating> 1, gt)
                else:
                    t = gt / _sign(d, ft) + m / t
            else:
                t = (m / (s + t) + m / (r + el)) * (1 + a)
            el = sqrt(t * t + 4)
            crt = 2 / el
            srt = t / el
            clt = (crt + srt * m) / a
            slt = (ht / ft) * srt / a
    if swap:
        csl[0] = srt
        snl[0] = crt
        csr[0] = slt
        snr[0] = clt
    else:
        csl[0] = clt
        snl[0] = slt
        csr[0] = crt
        snr[0] = srt
    if pmax == 1:
        tsign = _sign(<floating> 1, csr[0]) * _sign(<floating> 1, csl[0]) * _sign(<floating> 1, f)
    elif pmax == 2:
        tsign = _sign(<floating> 1, snr[0]) * _sign(<floating> 1, csl[0]) * _sign(<floating> 1, g)
    else:
        tsign = _sign(<floating> 1, snr[0]) * _sign(<floating> 1, snl[0]) * _sign(<floating> 1, h)
    ssmax[0] = _sign(ssmax[0], tsign)
    ssmin[0] = _sign(ssmin[0], tsign * _sign(<floating> 1, f) * _sign(<floating> 1, h))


# ---------------------------------------------------------------------------------------
# Symmetric tridiagonal reduction (lower triangle).

cdef void _symv_cols(Py_ssize_t c0, Py_ssize_t c1, Py_ssize_t n, const floating *A,
                     Py_ssize_t ld, const floating *x, floating *y) noexcept nogil:
    """y[c0:] = (columns c0:c1 of the lower triangle, used symmetrically) x: the diagonal
    blocks by scalar loops, the block below each read once for y[below] += B x and again
    (from cache) for y[block] += B^T x[below]."""
    cdef Py_ssize_t j0, jb, i, j, below
    cdef floating t, acc
    for i in range(c0, n):
        y[i] = 0
    j0 = c0
    while j0 < c1:
        jb = min(<Py_ssize_t> _SYMV_BLOCK, c1 - j0)
        for j in range(j0, j0 + jb):
            t = x[j]
            acc = A[j + j * ld] * t
            for i in range(j + 1, j0 + jb):
                y[i] += A[i + j * ld] * t
                acc = acc + A[i + j * ld] * x[i]
            y[j] += acc
        below = n - j0 - jb
        if below > 0:
            gemv_kernel(below, jb, <floating> 1, A + j0 + jb + j0 * ld, 1, ld, x + j0,
                        <floating> 1, y + j0 + jb, 1)
            gemv_kernel(jb, below, <floating> 1, A + j0 + jb + j0 * ld, ld, 1,
                        x + j0 + jb, <floating> 1, y + j0, 1)
        j0 += jb


cdef inline Py_ssize_t _symv_scratch(Py_ssize_t n) noexcept nogil:
    """Floats of scratch _symv_lower needs for order n."""
    return ((n + _SYMV_CHUNK - 1) // _SYMV_CHUNK) * n


cdef void _symv_lower(Py_ssize_t n, floating alpha, const floating *A, Py_ssize_t ld,
                      const floating *x, floating *y, floating *P,
                      int n_threads) noexcept nogil:
    """y := alpha * A x, A symmetric with its lower triangle stored; P: scratch of
    _symv_scratch(n) floats.

    The columns are cut into chunks of _SYMV_CHUNK; each chunk's product goes to its own
    partial vector (OpenMP over chunks: this product is the memory-bound half of the
    tridiagonal reduction), and the partials are added in chunk order -- the same sums
    for any thread count."""
    cdef Py_ssize_t nch = (n + _SYMV_CHUNK - 1) // _SYMV_CHUNK, c, i, c0
    cdef floating s
    if nch <= 1:
        _symv_cols(0, n, n, A, ld, x, y)
    else:
        for c in prange(nch, num_threads=max(n_threads, 1), schedule="dynamic"):
            _symv_cols(c * _SYMV_CHUNK, min(n, (c + 1) * _SYMV_CHUNK), n, A, ld, x, P + c * n)
        for i in range(n):
            s = 0
            c0 = 0
            c = 0
            while c < nch and c0 <= i:
                s = s + P[c * n + i]
                c += 1
                c0 += _SYMV_CHUNK
            y[i] = s
    if alpha != 1:
        for i in range(n):
            y[i] = alpha * y[i]


cdef void _sytd2(Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d, floating *e,
                 floating *tau, floating *w, floating *P, int n_threads) noexcept nogil:
    """Unblocked reduction of the lower triangle; w holds n floats, P _symv_scratch(n)."""
    cdef Py_ssize_t i, j, k, m
    cdef floating taui, alpha, vj, wj
    cdef floating *v
    for i in range(n - 1):
        taui = _larfg(n - i - 1, A + i + 1 + i * ld, A + min(i + 2, n - 1) + i * ld, 1)
        e[i] = A[i + 1 + i * ld]
        if taui != 0:
            A[i + 1 + i * ld] = 1
            m = n - i - 1
            v = A + i + 1 + i * ld
            _symv_lower(m, taui, A + i + 1 + (i + 1) * ld, ld, v, w, P, n_threads)
            alpha = -0.5 * taui * dot_kernel(m, w, 1, v, 1, 1)
            for k in range(m):
                w[k] += alpha * v[k]
            # A := A - v w^T - w v^T on the lower triangle of the trailing matrix.
            for j in range(m):
                vj = v[j]
                wj = w[j]
                for k in range(j, m):
                    A[i + 1 + k + (i + 1 + j) * ld] -= v[k] * wj + w[k] * vj
            A[i + 1 + i * ld] = e[i]
        d[i] = A[i + i * ld]
        tau[i] = taui
    if n > 0:
        d[n - 1] = A[n - 1 + (n - 1) * ld]


cdef void _latrd(Py_ssize_t n, Py_ssize_t nb, floating *A, Py_ssize_t ld, floating *e,
                 floating *tau, floating *W, Py_ssize_t ldw, floating *tmp, floating *P,
                 int n_threads) noexcept nogil:
    """Reduce the first nb columns of the n x n trailing matrix (lower) and build W
    (n x nb) such that the trailing update is A22 - V W^T - W V^T (LAPACK's dlatrd).
    tmp holds 2 nb floats, P _symv_scratch(n)."""
    cdef Py_ssize_t i, k
    cdef floating alpha
    cdef floating *v
    cdef floating *wi
    for i in range(nb):
        if i > 0:
            # A[i:, i] -= A[i:, :i] W[i, :i]^T + W[i:, :i] A[i, :i]^T
            for k in range(i):
                tmp[k] = W[i + k * ldw]
                tmp[nb + k] = A[i + k * ld]
            gemv_kernel(n - i, i, <floating> -1, A + i, 1, ld, tmp, <floating> 1,
                        A + i + i * ld, 1)
            gemv_kernel(n - i, i, <floating> -1, W + i, 1, ldw, tmp + nb, <floating> 1,
                        A + i + i * ld, 1)
        if i < n - 1:
            tau[i] = _larfg(n - i - 1, A + i + 1 + i * ld, A + min(i + 2, n - 1) + i * ld, 1)
            e[i] = A[i + 1 + i * ld]
            A[i + 1 + i * ld] = 1
            v = A + i + 1 + i * ld
            wi = W + i + 1 + i * ldw
            _symv_lower(n - i - 1, <floating> 1, A + i + 1 + (i + 1) * ld, ld, v, wi, P,
                        n_threads)
            if i > 0:
                # wi -= A[i+1:, :i] (W[i+1:, :i]^T v) + W[i+1:, :i] (A[i+1:, :i]^T v)
                gemv_kernel(i, n - i - 1, <floating> 1, W + i + 1, ldw, 1, v, <floating> 0,
                            tmp, 1)
                gemv_kernel(n - i - 1, i, <floating> -1, A + i + 1, 1, ld, tmp, <floating> 1,
                            wi, 1)
                gemv_kernel(i, n - i - 1, <floating> 1, A + i + 1, ld, 1, v, <floating> 0,
                            tmp, 1)
                gemv_kernel(n - i - 1, i, <floating> -1, W + i + 1, 1, ldw, tmp, <floating> 1,
                            wi, 1)
            for k in range(n - i - 1):
                wi[k] = tau[i] * wi[k]
            alpha = -0.5 * tau[i] * dot_kernel(n - i - 1, wi, 1, v, 1, 1)
            for k in range(n - i - 1):
                wi[k] += alpha * v[k]
        else:
            tau[i] = 0


cdef int sytrd_kernel(Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d, floating *e,
                      floating *tau, int n_threads) noexcept nogil:
    """Q^T A Q = T (tridiagonal: diagonal d, off-diagonal e) from the lower triangle of A;
    the reflectors H_i = I - tau_i v_i v_i^T (v_i[i+1] = 1) are left below the
    sub-diagonal.  Returns -1 when the workspace cannot be allocated."""
    cdef Py_ssize_t i = 0, j, nb = _NB_TRD, n2, j0, jb
    cdef floating *W
    cdef floating *V
    cdef floating *C
    cdef floating *Wt
    cdef floating *P
    if n == 0:
        return 0
    W = <floating *> malloc((n * nb + 2 * nb + n + _symv_scratch(n)) * sizeof(floating))
    if W == NULL:
        return -1
    P = W + n * nb + 2 * nb + n
    if n > _NX_TRD:
        while i < n - _NX_TRD:
            _latrd(n - i, nb, A + i + i * ld, ld, e + i, tau + i, W, n - i, W + n * nb, P,
                   n_threads)
            # A22 -= V W^T + W V^T (lower part, column blocks), V = A[i+nb:, i:i+nb].
            n2 = n - i - nb
            V = A + i + nb + i * ld
            Wt = W + nb
            C = A + i + nb + (i + nb) * ld
            j0 = 0
            while j0 < n2:
                jb = min(<Py_ssize_t> _SYR2K_BLOCK, n2 - j0)
                gemm_kernel(n2 - j0, jb, nb, <floating> -1, V + j0, 1, ld, Wt + j0, n - i, 1,
                            <floating> 1, C + j0 + j0 * ld, 1, ld, n_threads)
                gemm_kernel(n2 - j0, jb, nb, <floating> -1, Wt + j0, 1, n - i, V + j0, ld, 1,
                            <floating> 1, C + j0 + j0 * ld, 1, ld, n_threads)
                j0 += jb
            for j in range(i, i + nb):
                A[j + 1 + j * ld] = e[j]
                d[j] = A[j + j * ld]
            i += nb
    _sytd2(n - i, A + i + i * ld, ld, d + i, e + i, tau + i, W, P, n_threads)
    free(W)
    return 0


# ---------------------------------------------------------------------------------------
# Eigenvalues only: the root-free QL iteration.

cdef void _lae2(floating a, floating b, floating c, floating *rt1,
                floating *rt2) noexcept nogil:
    """Eigenvalues of [[a, b], [b, c]]: rt1 the larger in magnitude (LAPACK's lae2)."""
    cdef floating sm = a + c, adf = fabs(a - c), tb = b + b, ab, acmx, acmn, rt
    ab = fabs(tb)
    if fabs(a) > fabs(c):
        acmx = a
        acmn = c
    else:
        acmx = c
        acmn = a
    if adf > ab:
        rt = adf * sqrt(1 + (ab / adf) * (ab / adf))
    elif adf < ab:
        rt = ab * sqrt(1 + (adf / ab) * (adf / ab))
    else:
        rt = ab * sqrt(<floating> 2)
    if sm < 0:
        rt1[0] = <floating> 0.5 * (sm - rt)
        rt2[0] = (acmx / rt1[0]) * acmn - (b / rt1[0]) * b
    elif sm > 0:
        rt1[0] = <floating> 0.5 * (sm + rt)
        rt2[0] = (acmx / rt1[0]) * acmn - (b / rt1[0]) * b
    else:
        rt1[0] = <floating> 0.5 * rt
        rt2[0] = <floating> -0.5 * rt


cdef Py_ssize_t sterf_kernel(Py_ssize_t n, floating *d, floating *e) noexcept nogil:
    """Eigenvalues of the symmetric tridiagonal (d, e[0:n-1]) into d, ascending; e is
    destroyed.  The root-free variant of implicit QL (Pal, Walker and Kahan; LAPACK's
    sterf, QL sweeps only): it carries the squared off-diagonals and needs no square root
    per rotation, about three times cheaper than QL with rotations.  The matrix is first
    scaled into the range where those squares neither overflow nor lose the entries that
    matter.  Returns 0, or the number of off-diagonals left unconverged after 30 n sweeps."""
    cdef Py_ssize_t lo, m, i, it = 0, maxit = 30 * n, k, j
    cdef floating eps = _eps(<floating> 0), safmin = _safmin(<floating> 0)
    cdef floating eps2 = eps * eps, ssfmax, ssfmin, anorm = 0, scale = 1
    cdef floating p, rte, sigma, r, c, s, gamma, bb, oldc, oldgam, alpha, rt1, rt2
    if n <= 1:
        return 0
    ssfmax = sqrt(1 / safmin) / 3
    ssfmin = sqrt(safmin) / eps2
    for i in range(n):
        anorm = max(anorm, fabs(d[i]))
    for i in range(n - 1):
        anorm = max(anorm, fabs(e[i]))
    if anorm > ssfmax or (0 < anorm < ssfmin):
        scale = anorm
        for i in range(n):
            d[i] = d[i] / scale
        for i in range(n - 1):
            e[i] = e[i] / scale
    e[n - 1] = 0
    for i in range(n - 1):
        e[i] = e[i] * e[i]
    lo = 0
    while lo < n:
        m = lo
        while m < n - 1:
            if e[m] <= eps2 * fabs(d[m] * d[m + 1]):
                break
            m += 1
        if m == lo:
            lo += 1
            continue
        if m == lo + 1:
            _lae2(d[lo], sqrt(e[lo]), d[lo + 1], &rt1, &rt2)
            d[lo] = rt1
            d[lo + 1] = rt2
            e[lo] = 0
            lo += 2
            continue
        it += 1
        if it > maxit:
            k = 0
            for i in range(n - 1):
                if e[i] != 0:
                    k += 1
            return max(k, <Py_ssize_t> 1)
        # Wilkinson's shift from the leading 2 x 2 of the block, then one QL sweep from
        # the bottom of the block up, on the squared off-diagonals.
        rte = sqrt(e[lo])
        sigma = (d[lo + 1] - d[lo]) / (2 * rte)
        r = hypot(sigma, <floating> 1)
        sigma = d[lo] - rte / (sigma + _sign(r, sigma))
        c = 1
        s = 0
        gamma = d[m] - sigma
        p = gamma * gamma
        i = m - 1
        while i >= lo:
            bb = e[i]
            r = p + bb
            if i != m - 1:
                e[i + 1] = s * r
            oldc = c
            c = p / r
            s = bb / r
            oldgam = gamma
            alpha = d[i]
            gamma = c * (alpha - sigma) - s * oldgam
            d[i + 1] = oldgam + (alpha - gamma)
            if c != 0:
                p = (gamma * gamma) / c
            else:
                p = oldc * bb
            i -= 1
        e[lo] = s * p
        d[lo] = sigma + gamma
    if scale != 1:
        for i in range(n):
            d[i] = d[i] * scale
    # Insertion sort, ascending (nearly sorted input is the common case).
    for i in range(1, n):
        p = d[i]
        j = i - 1
        while j >= 0 and d[j] > p:
            d[j + 1] = d[j]
            j -= 1
        d[j + 1] = p
    return 0


# ---------------------------------------------------------------------------------------
# Symmetric tridiagonal eigenproblem: implicit QL with Wilkinson's shift.

cdef Py_ssize_t steqr_kernel(Py_ssize_t n, floating *d, floating *e, floating *Z,
                             Py_ssize_t ldz, Py_ssize_t nrows, int n_threads) noexcept nogil:
    """Eigenvalues of the symmetric tridiagonal (d, e[0:n-1]) into d, ascending; when Z
    is not NULL its nrows x n columns are rotated along (Z := Z Q_tri) and permuted with
    the values.  Returns 0, the number of eigenvalues that did not converge in 30 n
    sweeps in total (positive), or -1 when the rotation buffer cannot be allocated."""
    cdef Py_ssize_t lo, m, i, k, it = 0, maxit = 30 * n, j
    cdef floating dd, g, r, s, c, p, f, b, eps = _eps(<floating> 0), safmin = _safmin(<floating> 0)
    cdef RotBuf buf
    cdef bint early
    if n <= 1:
        return 0
    if _rot_init(&buf, <void *> Z, nrows, n, ldz, sizeof(floating), n_threads) != 0:
        return -1
    e[n - 1] = 0
    for lo in range(n):
        while True:
            m = lo
            while m < n - 1:
                dd = fabs(d[m]) + fabs(d[m + 1])
                if fabs(e[m]) <= eps * dd or fabs(e[m]) <= safmin:
                    break
                m += 1
            if m == lo:
                break
            it += 1
            if it > maxit:
                _rot_flush(&buf, Z)
                _rot_free(&buf)
                k = 0
                for i in range(n - 1):
                    if e[i] != 0:
                        k += 1
                return max(k, <Py_ssize_t> 1)
            # Wilkinson's shift from the leading 2 x 2 of the block (QL chases upward).
            g = (d[lo + 1] - d[lo]) / (2 * e[lo])
            r = hypot(g, <floating> 1)
            g = d[m] - d[lo] + e[lo] / (g + _sign(r, g))
            s = 1
            c = 1
            p = 0
            early = False
            i = m - 1
            while i >= lo:
                f = s * e[i]
                b = c * e[i]
                r = hypot(f, g)
                e[i + 1] = r
                if r == 0:
                    d[i + 1] -= p
                    e[m] = 0
                    early = True
                    break
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                # z_i' = c z_i - s z_i+1, z_i+1' = s z_i + c z_i+1
                _rot_push(&buf, Z, i, c, -s)
                i -= 1
            if early:
                continue
            d[lo] -= p
            e[lo] = g
            e[m] = 0
    _rot_flush(&buf, Z)
    _rot_free(&buf)
    # Selection sort, ascending (n swaps of columns at most).
    for i in range(n - 1):
        k = i
        p = d[i]
        for j in range(i + 1, n):
            if d[j] < p:
                k = j
                p = d[j]
        if k != i:
            d[k] = d[i]
            d[i] = p
            if Z != NULL:
                _swap_columns(nrows, Z, ldz, i, k)
    return 0


# ---------------------------------------------------------------------------------------
# Symmetric tridiagonal eigenproblem with vectors: Cuppen's divide and conquer.

cdef floating _secular_root(Py_ssize_t K, Py_ssize_t j, const floating *dl,
                            const floating *zl, floating r, floating *dlt,
                            Py_ssize_t *origin) noexcept nogil:
    """Root j of f(x) = 1 + r sum_i zl_i^2 / (dl_i - x) (dl ascending, r > 0): the one in
    (dl_j, dl_j+1), or in (dl_K-1, dl_K-1 + r ||zl||^2] for the last.  Works in
    coordinates shifted to the nearer pole (origin) so the differences dl_i - x are
    exact; returns tau (x = dl[origin] + tau) and writes dlt[i] = dl_i - x.  Iterates the
    fixed-weight two-pole model (Bunch, Nielsen and Sorensen 1978) inside a bisection
    bracket, so it always converges."""
    cdef Py_ssize_t i, _it, o
    cdef floating lo, hi, tau, mid, f, psi, dpsi, phi, dphi, t, q, a, b, c0, B, C, disc
    cdef floating dj, dj1, delta, d1, d2, tnew, eps = _eps(<floating> 0), err
    if j < K - 1:
        mid = (dl[j + 1] - dl[j]) / 2
        f = 1
        for i in range(K):
            f = f + r * zl[i] * zl[i] / ((dl[i] - dl[j]) - mid)
        if f >= 0:
            o = j
            lo = 0
            hi = mid
        else:
            o = j + 1
            lo = -mid
            hi = 0
    else:
        o = K - 1
        lo = 0
        hi = 0
        for i in range(K):
            hi = hi + zl[i] * zl[i]
        hi = r * hi * (1 + 4 * eps)
    origin[0] = o
    for i in range(K):
        dlt[i] = dl[i] - dl[o]
    tau = (lo + hi) / 2
    for _it in range(200):
        psi = 0
        dpsi = 0
        phi = 0
        dphi = 0
        for i in range(j + 1):
            t = zl[i] / (dlt[i] - tau)
            psi = psi + zl[i] * t
            dpsi = dpsi + t * t
        for i in range(j + 1, K):
            t = zl[i] / (dlt[i] - tau)
            phi = phi + zl[i] * t
            dphi = dphi + t * t
        psi = r * psi
        dpsi = r * dpsi
        phi = r * phi
        dphi = r * dphi
        f = 1 + psi + phi
        if f == 0:
            break
        if f < 0:
            lo = tau
        else:
            hi = tau
        err = 8 * eps * K * (1 + fabs(psi) + fabs(phi))
        if fabs(f) <= err or hi - lo <= 4 * eps * max(fabs(lo), fabs(hi)):
            break
        dj = dlt[j] - tau
        a = dj * dj * dpsi
        if j < K - 1:
            dj1 = dlt[j + 1] - tau
            b = dj1 * dj1 * dphi
            c0 = 1 + psi - dj * dpsi + phi - dj1 * dphi
            B = c0 * (dj + dj1) + a + b
            C = c0 * dj * dj1 + a * dj1 + b * dj
            if c0 == 0:
                delta = C / B
            else:
                disc = B * B - 4 * c0 * C
                if disc < 0:
                    disc = 0
                if B >= 0:
                    q = (B + sqrt(disc)) / 2
                else:
                    q = (B - sqrt(disc)) / 2
                d1 = q / c0
                d2 = C / q if q != 0 else d1
                delta = d1 if dj < d1 < dj1 else d2
        else:
            c0 = 1 + psi - dj * dpsi + phi
            delta = dj + a / c0 if c0 > 0 else hi - tau
        tnew = tau + delta
        if not (lo < tnew < hi):
            tnew = (lo + hi) / 2
        if tnew == tau:
            break
        tau = tnew
    for i in range(K):
        dlt[i] = dlt[i] - tau
    return tau


cdef int _dc_merge(Py_ssize_t n, Py_ssize_t k, floating *d, floating *Q, Py_ssize_t ldq,
                   floating rho, floating *work, Py_ssize_t *iwork,
                   int n_threads) noexcept nogil:
    """Eigen-decomposition of diag(D1, D2) + |rho| w w^T (w = [Q1 row k-1, sign(rho) Q2
    row 0]) given Q = diag(Q1, Q2) and d = [D1, D2] (each ascending): deflation, the
    secular equation, Gu and Eisenstat's recomputed z for orthogonal vectors, and one
    GEMM Q := Q[:, kept] V.  On exit d is ascending and Q holds the vectors.  work holds
    3 n^2 + 6 n floats, iwork 4 n entries."""
    cdef Py_ssize_t i, j, t, a, b, pj, K = 0
    cdef floating r = 2 * fabs(rho), tol, dmax = 0, zmax = 0, c, s, tau, tt, t2
    cdef floating sgn = 1 if rho >= 0 else -1, nrm, eps = _eps(<floating> 0)
    cdef floating *z = work
    cdef floating *dl = z + n
    cdef floating *zl = dl + n
    cdef floating *lam = zl + n
    cdef floating *vals = lam + n
    cdef floating *tmpv = vals + n
    cdef floating *V = tmpv + n
    cdef floating *G = V + n * n
    cdef floating *Qout = G + n * n
    cdef Py_ssize_t *perm = iwork
    cdef Py_ssize_t *kept = iwork + n
    cdef Py_ssize_t *defl = iwork + 2 * n
    cdef Py_ssize_t *src = iwork + 3 * n
    cdef Py_ssize_t ndefl = 0
    cdef Py_ssize_t orig
    cdef int rc = 0
    for i in range(k):
        z[i] = Q[k - 1 + i * ldq] / sqrt(<floating> 2)
    for i in range(k, n):
        z[i] = sgn * Q[k + i * ldq] / sqrt(<floating> 2)
    # Merge the two ascending halves into one ascending order.
    a = 0
    b = k
    for t in range(n):
        if b >= n or (a < k and d[a] <= d[b]):
            perm[t] = a
            a += 1
        else:
            perm[t] = b
            b += 1
    for i in range(n):
        dmax = max(dmax, fabs(d[i]))
        zmax = max(zmax, fabs(z[i]))
    tol = 8 * eps * max(dmax, zmax)
    # Deflation: negligible components of z, then nearly equal eigenvalues (a rotation
    # of two columns moves the weight of z onto one of them).
    pj = -1
    for t in range(n):
        j = perm[t]
        if r * fabs(z[j]) <= tol:
            defl[ndefl] = j
            ndefl += 1
            continue
        if pj < 0:
            pj = j
            continue
        s = z[pj]
        c = z[j]
        tau = hypot(c, s)
        tt = d[j] - d[pj]
        c = c / tau
        s = -s / tau
        if fabs(tt * c * s) <= tol:
            z[j] = tau
            z[pj] = 0
            for i in range(n):
                t2 = Q[i + pj * ldq]
                Q[i + pj * ldq] = c * t2 + s * Q[i + j * ldq]
                Q[i + j * ldq] = c * Q[i + j * ldq] - s * t2
            t2 = d[pj] * c * c + d[j] * s * s
            d[j] = d[pj] * s * s + d[j] * c * c
            d[pj] = t2
            defl[ndefl] = pj
            ndefl += 1
        else:
            kept[K] = pj
            K += 1
        pj = j
    if pj >= 0:
        kept[K] = pj
        K += 1
    for i in range(K):
        dl[i] = d[kept[i]]
        zl[i] = z[kept[i]]
    if K > 0:
        # Roots (G[:, j] = dl - lam_j), in parallel.
        if n_threads < 1 or K < 64:
            n_threads = 1
        for j in prange(K, num_threads=n_threads, schedule="dynamic"):
            tau = _secular_root(K, j, dl, zl, r, G + j * K, &src[j])
            lam[j] = dl[src[j]] + tau
        # Gu-Eisenstat: the z for which the computed roots are exact.
        for i in range(K):
            t2 = G[i + i * K]
            for j in range(K):
                if j != i:
                    t2 = t2 * (G[i + j * K] / (dl[i] - dl[j]))
            tmpv[i] = sqrt(-t2) if t2 < 0 else 0
            if zl[i] < 0:
                tmpv[i] = -tmpv[i]
        # Eigenvectors of the rank-one problem: V[:, j] = zhat / (dl - lam_j), normalized.
        for j in range(K):
            nrm = 0
            for i in range(K):
                V[i + j * K] = tmpv[i] / G[i + j * K]
            nrm = nrm2_kernel(K, V + j * K, 1, 1)
            for i in range(K):
                V[i + j * K] = V[i + j * K] / nrm
        # G := Q[:, kept] (n x K), then Qout[:, :K] = G V.
        for j in range(K):
            for i in range(n):
                G[i + j * n] = Q[i + kept[j] * ldq]
        rc = gemm_kernel(n, K, K, <floating> 1, G, 1, n, V, 1, K, <floating> 0, Qout, 1, n,
                         n_threads)
        if rc != 0:
            return -1
    # Deflated columns follow, then everything is sorted ascending into Q.
    for t in range(ndefl):
        j = defl[t]
        lam[K + t] = d[j]
        for i in range(n):
            Qout[i + (K + t) * n] = Q[i + j * ldq]
    for i in range(n):
        perm[i] = i
    # Insertion sort of n values (nearly sorted: two ascending runs).
    for i in range(1, n):
        t = perm[i]
        j = i - 1
        while j >= 0 and lam[perm[j]] > lam[t]:
            perm[j + 1] = perm[j]
            j -= 1
        perm[j + 1] = t
    for t in range(n):
        orig = perm[t]
        d[t] = lam[orig]
        for i in range(n):
            Q[i + t * ldq] = Qout[i + orig * n]
    return 0


cdef Py_ssize_t _stedc_rec(Py_ssize_t n, floating *d, floating *e, floating *Q,
                           Py_ssize_t ldq, floating *work, Py_ssize_t *iwork,
                           int n_threads) noexcept nogil:
    cdef Py_ssize_t k, i, j, info
    cdef floating rho
    if n <= _DC_LEAF:
        for j in range(n):
            for i in range(n):
                Q[i + j * ldq] = 1 if i == j else 0
        return steqr_kernel(n, d, e, Q, ldq, n, 1)
    k = n // 2
    rho = e[k - 1]
    d[k - 1] -= fabs(rho)
    d[k] -= fabs(rho)
    info = _stedc_rec(k, d, e, Q, ldq, work, iwork, n_threads)
    if info != 0:
        return info
    info = _stedc_rec(n - k, d + k, e + k, Q + k + k * ldq, ldq, work, iwork, n_threads)
    if info != 0:
        return info
    for j in range(k, n):
        for i in range(k):
            Q[i + j * ldq] = 0
    for j in range(k):
        for i in range(k, n):
            Q[i + j * ldq] = 0
    if _dc_merge(n, k, d, Q, ldq, rho, work, iwork, n_threads) != 0:
        return -1
    return 0


cdef Py_ssize_t stedc_kernel(Py_ssize_t n, floating *d, floating *e, floating *Q,
                             Py_ssize_t ldq, int n_threads) noexcept nogil:
    """Eigenvalues (ascending, into d) and eigenvectors (Q, n x n) of the symmetric
    tridiagonal (d, e[0:n-1]) by divide and conquer (Cuppen 1981; LAPACK's stedc, with
    Gu and Eisenstat's orthogonal vectors).  Each merge solves a secular equation and
    forms its vectors with one GEMM.  Returns 0, > 0 when a leaf's QL iteration did not
    converge, or -1 when memory could not be allocated."""
    cdef floating *work
    cdef Py_ssize_t *iwork
    cdef Py_ssize_t info
    if n == 0:
        return 0
    work = <floating *> malloc((3 * n * n + 6 * n) * sizeof(floating))
    iwork = <Py_ssize_t *> malloc(4 * n * sizeof(Py_ssize_t))
    if work == NULL or iwork == NULL:
        free(work)
        free(iwork)
        return -1
    info = _stedc_rec(n, d, e, Q, ldq, work, iwork, n_threads)
    free(work)
    free(iwork)
    return info


# ---------------------------------------------------------------------------------------
# Bidiagonal reduction (m >= n, upper bidiagonal).

cdef int _gebd2(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d,
                floating *e, floating *tauq, floating *taup) noexcept nogil:
    """Unblocked bidiagonal reduction (LAPACK's gebd2), m >= n."""
    cdef Py_ssize_t i, k
    cdef floating *w
    cdef floating *u
    if n == 0:
        return 0
    w = <floating *> malloc((m + n) * sizeof(floating))
    if w == NULL:
        return -1
    u = w + m
    for i in range(n):
        tauq[i] = _larfg(m - i, A + i + i * ld, A + min(i + 1, m - 1) + i * ld, 1)
        d[i] = A[i + i * ld]
        if i + 1 < n and tauq[i] != 0:
            A[i + i * ld] = 1
            # A[i:, i+1:] -= tauq v (A[i:, i+1:]^T v)^T
            gemv_kernel(n - i - 1, m - i, <floating> 1, A + i + (i + 1) * ld, ld, 1,
                        A + i + i * ld, <floating> 0, w, 1)
            ger_kernel(m - i, n - i - 1, -tauq[i], A + i + i * ld, w,
                       A + i + (i + 1) * ld, 1, ld, True, 1)
            A[i + i * ld] = d[i]
        if i + 1 < n:
            taup[i] = _larfg(n - i - 1, A + i + (i + 1) * ld, A + i + min(i + 2, n - 1) * ld,
                             ld)
            e[i] = A[i + (i + 1) * ld]
            if taup[i] != 0 and i + 1 < m:
                # A[i+1:, i+1:] -= taup (A[i+1:, i+1:] u) u^T, u = A[i, i+1:] with u[0] = 1
                u[0] = 1
                for k in range(1, n - i - 1):
                    u[k] = A[i + (i + 1 + k) * ld]
                gemv_kernel(m - i - 1, n - i - 1, <floating> 1, A + i + 1 + (i + 1) * ld, 1,
                            ld, u, <floating> 0, w, 1)
                ger_kernel(m - i - 1, n - i - 1, -taup[i], w, u, A + i + 1 + (i + 1) * ld,
                           1, ld, True, 1)
        else:
            taup[i] = 0
    free(w)
    return 0


cdef void _labrd(Py_ssize_t m, Py_ssize_t n, Py_ssize_t nb, floating *A, Py_ssize_t ld,
                 floating *d, floating *e, floating *tauq, floating *taup, floating *X,
                 Py_ssize_t ldx, floating *Y, Py_ssize_t ldy, floating *tmp,
                 int n_threads) noexcept nogil:
    """Reduce the first nb rows and columns of the m x n trailing matrix (m >= n) and
    build X (m x nb), Y (n x nb) with the trailing update A - V Y^T - X U^T (LAPACK's
    dlabrd).  The unit entries of the reflectors are left in A.  tmp holds
    2 max(m, n) + 2 nb floats."""
    cdef Py_ssize_t i, k
    cdef floating *t1 = tmp
    cdef floating *row = tmp + nb
    cdef floating *u = row + max(m, n)
    cdef floating *yi
    cdef floating *xi
    cdef int gt
    for i in range(nb):
        # The two trailing products run threaded only while the trailing matrix is too
        # big for one core's L2 (memory-bound, where a second core adds bandwidth);
        # below that a team costs more than it gains, and much more on a loaded machine.
        gt = n_threads if (m - i) * (n - i) >= _BRD_GEMV_PARALLEL else 1
        # Column i: A[i:, i] -= A[i:, :i] Y[i, :i]^T + X[i:, :i] A[:i, i]
        if i > 0:
            for k in range(i):
                t1[k] = Y[i + k * ldy]
            gemv_kernel(m - i, i, <floating> -1, A + i, 1, ld, t1, <floating> 1,
                        A + i + i * ld, 1)
            gemv_kernel(m - i, i, <floating> -1, X + i, 1, ldx, A + i * ld, <floating> 1,
                        A + i + i * ld, 1)
        tauq[i] = _larfg(m - i, A + i + i * ld, A + min(i + 1, m - 1) + i * ld, 1)
        d[i] = A[i + i * ld]
        if i >= n - 1:
            taup[i] = 0
            continue
        A[i + i * ld] = 1
        yi = Y + i + 1 + i * ldy
        # Y[i+1:, i] = tauq (A[i:, i+1:]^T v - Y[i+1:, :i] A[i:, :i]^T v
        #                     - A[:i, i+1:]^T X[i:, :i]^T v)
        # The two products with the whole trailing matrix are the memory-bound bulk of
        # the reduction: threaded (gemv splits output rows, so the result is the serial
        # one bit for bit).
        gemv_kernel(n - i - 1, m - i, <floating> 1, A + i + (i + 1) * ld, ld, 1,
                    A + i + i * ld, <floating> 0, yi, gt)
        if i > 0:
            gemv_kernel(i, m - i, <floating> 1, A + i, ld, 1, A + i + i * ld, <floating> 0,
                        t1, 1)
            gemv_kernel(n - i - 1, i, <floating> -1, Y + i + 1, 1, ldy, t1, <floating> 1,
                        yi, 1)
            gemv_kernel(i, m - i, <floating> 1, X + i, ldx, 1, A + i + i * ld, <floating> 0,
                        t1, 1)
            gemv_kernel(n - i - 1, i, <floating> -1, A + (i + 1) * ld, ld, 1, t1,
                        <floating> 1, yi, 1)
        for k in range(n - i - 1):
            yi[k] = tauq[i] * yi[k]
        # Row i: A[i, i+1:] -= Y[i+1:, :i+1] A[i, :i+1]^T + A[:i, i+1:]^T X[i, :i]^T
        for k in range(i + 1):
            t1[k] = A[i + k * ld]
        gemv_kernel(n - i - 1, i + 1, <floating> -1, Y + i + 1, 1, ldy, t1, <floating> 0,
                    row, 1)
        if i > 0:
            for k in range(i):
                t1[k] = X[i + k * ldx]
            gemv_kernel(n - i - 1, i, <floating> -1, A + (i + 1) * ld, ld, 1, t1,
                        <floating> 1, row, 1)
        for k in range(n - i - 1):
            A[i + (i + 1 + k) * ld] += row[k]
        taup[i] = _larfg(n - i - 1, A + i + (i + 1) * ld, A + i + min(i + 2, n - 1) * ld, ld)
        e[i] = A[i + (i + 1) * ld]
        A[i + (i + 1) * ld] = 1
        for k in range(n - i - 1):
            u[k] = A[i + (i + 1 + k) * ld]
        xi = X + i + 1 + i * ldx
        # X[i+1:, i] = taup (A[i+1:, i+1:] u - A[i+1:, :i+1] Y[i+1:, :i+1]^T u
        #                    - X[i+1:, :i] A[:i, i+1:] u)
        gemv_kernel(m - i - 1, n - i - 1, <floating> 1, A + i + 1 + (i + 1) * ld, 1, ld, u,
                    <floating> 0, xi, gt)
        gemv_kernel(i + 1, n - i - 1, <floating> 1, Y + i + 1, ldy, 1, u, <floating> 0, t1,
                    1)
        gemv_kernel(m - i - 1, i + 1, <floating> -1, A + i + 1, 1, ld, t1, <floating> 1, xi,
                    1)
        if i > 0:
            gemv_kernel(i, n - i - 1, <floating> 1, A + (i + 1) * ld, 1, ld, u, <floating> 0,
                        t1, 1)
            gemv_kernel(m - i - 1, i, <floating> -1, X + i + 1, 1, ldx, t1, <floating> 1, xi,
                        1)
        for k in range(m - i - 1):
            xi[k] = taup[i] * xi[k]


cdef int gebrd_kernel(Py_ssize_t m, Py_ssize_t n, floating *A, Py_ssize_t ld, floating *d,
                      floating *e, floating *tauq, floating *taup,
                      int n_threads) noexcept nogil:
    """Q^T A P = B, B upper bidiagonal (d, e), m >= n (LAPACK's blocked gebrd).  Q's
    reflectors are stored below the diagonal (columns, as geqrf's), P's to the right of
    the super-diagonal (rows).  Panels of _NB_BRD rows and columns are reduced by labrd
    (level 2); the trailing matrix gets their rank-2nb update as two GEMMs.  Returns -1
    when the workspace cannot be allocated."""
    cdef Py_ssize_t i = 0, j, nb = _NB_BRD
    cdef floating *X
    cdef floating *Y
    cdef floating *tmp
    cdef int rc
    if n == 0:
        return 0
    X = <floating *> malloc((m * nb + n * nb + 2 * (m + n) + 2 * nb) * sizeof(floating))
    if X == NULL:
        return -1
    Y = X + m * nb
    tmp = Y + n * nb
    while n - i > _NX_BRD:
        _labrd(m - i, n - i, nb, A + i + i * ld, ld, d + i, e + i, tauq + i, taup + i,
               X, m - i, Y, n - i, tmp, n_threads)
        # A22 -= V Y2^T + X2 U, V = A[i+nb:, i:i+nb], U = A[i:i+nb, i+nb:]
        rc = gemm_kernel(m - i - nb, n - i - nb, nb, <floating> -1, A + i + nb + i * ld, 1, ld,
                         Y + nb, n - i, 1, <floating> 1, A + i + nb + (i + nb) * ld, 1, ld,
                         n_threads)
        rc = rc | gemm_kernel(m - i - nb, n - i - nb, nb, <floating> -1, X + nb, 1, m - i,
                              A + i + (i + nb) * ld, 1, ld, <floating> 1,
                              A + i + nb + (i + nb) * ld, 1, ld, n_threads)
        if rc != 0:
            free(X)
            return -1
        for j in range(i, i + nb):
            A[j + j * ld] = d[j]
            A[j + (j + 1) * ld] = e[j]
        i += nb
    free(X)
    return _gebd2(m - i, n - i, A + i + i * ld, ld, d + i, e + i, tauq + i, taup + i)


# ---------------------------------------------------------------------------------------
# Bidiagonal SVD: Demmel-Kahan QR iteration (dbdsqr's algorithm).

cdef Py_ssize_t bdsqr_kernel(Py_ssize_t n, floating *d, floating *e, floating *U,
                             Py_ssize_t ldu, Py_ssize_t nru, floating *V, Py_ssize_t ldv,
                             Py_ssize_t nrv, int n_threads) noexcept nogil:
    """Singular values of the upper bidiagonal (d, e[0:n-1]) into d (non-negative,
    non-increasing).  When U (nru x n) / V (nrv x n) are not NULL their columns are
    rotated along (U := U U_B, V := V V_B with B = U_B S V_B^T) and permuted with the
    values.  Returns 0, the number of super-diagonal entries that did not converge
    (positive), or -1 when the rotation buffers cannot be allocated."""
    cdef floating eps = _eps(<floating> 0), unfl = _safmin(<floating> 0)
    cdef floating tolmul, tol, smax, sminoa, mu, thresh, abss, abse, sminl, sll, shift, r
    cdef floating cs, sn, oldcs, oldsn, h, f, g, cosr, sinr, cosl, sinl, sigmn, sigmx
    cdef Py_ssize_t maxit, it = 0, m, ll = 0, lll, i, j, k, oldll = -1, oldm = -1
    cdef int idir = 0
    cdef bint split
    cdef RotBuf bu
    cdef RotBuf bv
    if n == 0:
        return 0
    if _rot_init(&bu, <void *> U, nru, n, ldu, sizeof(floating), n_threads) != 0:
        return -1
    if _rot_init(&bv, <void *> V, nrv, n, ldv, sizeof(floating), n_threads) != 0:
        _rot_free(&bu)
        return -1
    if n > 1:
        tolmul = max(<floating> 10, min(<floating> 100, <floating> (eps ** (-0.125))))
        tol = tolmul * eps
        smax = 0
        for i in range(n):
            smax = max(smax, fabs(d[i]))
        for i in range(n - 1):
            smax = max(smax, fabs(e[i]))
        sminoa = fabs(d[0])
        if sminoa != 0:
            mu = sminoa
            for i in range(1, n):
                mu = fabs(d[i]) * (mu / (mu + fabs(e[i - 1])))
                sminoa = min(sminoa, mu)
                if sminoa == 0:
                    break
        sminoa = sminoa / sqrt(<floating> n)
        maxit = 6 * n * n
        thresh = max(tol * sminoa, <floating> maxit * unfl)
        m = n - 1
        while m > 0:
            if it > maxit:
                break
            # Find the bottom unreduced block ll..m.
            smax = fabs(d[m])
            split = False
            for lll in range(1, m + 1):
                ll = m - lll
                abss = fabs(d[ll])
                abse = fabs(e[ll])
                if abse <= thresh:
                    split = True
                    break
                smax = max(smax, max(abss, abse))
            if split:
                e[ll] = 0
                if ll == m - 1:
                    m -= 1
                    continue
                ll += 1
            else:
                ll = 0
            if ll == m - 1:
                # 2 x 2 block.
                _lasv2(d[m - 1], e[m - 1], d[m], &sigmn, &sigmx, &sinr, &cosr, &sinl, &cosl)
                d[m - 1] = sigmx
                e[m - 1] = 0
                d[m] = sigmn
                _rot_push(&bv, V, m - 1, cosr, sinr)
                _rot_push(&bu, U, m - 1, cosl, sinl)
                m -= 2
                continue
            # A new block: chase in the direction of decreasing |d|.
            if ll > oldm or m < oldll:
                if fabs(d[ll]) >= fabs(d[m]):
                    idir = 1
                else:
                    idir = 2
            # Convergence tests (relative).
            if idir == 1:
                if fabs(e[m - 1]) <= tol * fabs(d[m]):
                    e[m - 1] = 0
                    continue
                mu = fabs(d[ll])
                sminl = mu
                split = False
                for lll in range(ll, m):
                    if fabs(e[lll]) <= tol * mu:
                        e[lll] = 0
                        split = True
                        break
                    mu = fabs(d[lll + 1]) * (mu / (mu + fabs(e[lll])))
                    sminl = min(sminl, mu)
                if split:
                    continue
            else:
                if fabs(e[ll]) <= tol * fabs(d[ll]):
                    e[ll] = 0
                    continue
                mu = fabs(d[m])
                sminl = mu
                split = False
                for lll in range(m - 1, ll - 1, -1):
                    if fabs(e[lll]) <= tol * mu:
                        e[lll] = 0
                        split = True
                        break
                    mu = fabs(d[lll]) * (mu / (mu + fabs(e[lll])))
                    sminl = min(sminl, mu)
                if split:
                    continue
            oldll = ll
            oldm = m
            # Shift: zero when it would spoil the relative accuracy of the smallest value.
            if n * tol * (sminl / smax) <= max(eps, <floating> 0.01 * tol):
                shift = 0
            else:
                if idir == 1:
                    sll = fabs(d[ll])
                    _las2(d[m - 1], e[m - 1], d[m], &shift, &r)
                else:
                    sll = fabs(d[m])
                    _las2(d[ll], e[ll], d[ll + 1], &shift, &r)
                if sll > 0 and (shift / sll) * (shift / sll) < eps:
                    shift = 0
            it += m - ll
            if shift == 0:
                if idir == 1:
                    cs = 1
                    oldcs = 1
                    oldsn = 0
                    for i in range(ll, m):
                        _lartg(d[i] * cs, e[i], &cs, &sn, &r)
                        if i > ll:
                            e[i - 1] = oldsn * r
                        _lartg(oldcs * r, d[i + 1] * sn, &oldcs, &oldsn, &d[i])
                        _rot_push(&bv, V, i, cs, sn)
                        _rot_push(&bu, U, i, oldcs, oldsn)
                    h = d[m] * cs
                    d[m] = h * oldcs
                    e[m - 1] = h * oldsn
                    if fabs(e[m - 1]) <= thresh:
                        e[m - 1] = 0
                else:
                    cs = 1
                    oldcs = 1
                    oldsn = 0
                    for i in range(m, ll, -1):
                        _lartg(d[i] * cs, e[i - 1], &cs, &sn, &r)
                        if i < m:
                            e[i] = oldsn * r
                        _lartg(oldcs * r, d[i - 1] * sn, &oldcs, &oldsn, &d[i])
                        _rot_push(&bv, V, i - 1, oldcs, -oldsn)
                        _rot_push(&bu, U, i - 1, cs, -sn)
                    h = d[ll] * cs
                    d[ll] = h * oldcs
                    e[ll] = h * oldsn
                    if fabs(e[ll]) <= thresh:
                        e[ll] = 0
            else:
                if idir == 1:
                    f = (fabs(d[ll]) - shift) * (_sign(<floating> 1, d[ll]) + shift / d[ll])
                    g = e[ll]
                    for i in range(ll, m):
                        _lartg(f, g, &cosr, &sinr, &r)
                        if i > ll:
                            e[i - 1] = r
                        f = cosr * d[i] + sinr * e[i]
                        e[i] = cosr * e[i] - sinr * d[i]
                        g = sinr * d[i + 1]
                        d[i + 1] = cosr * d[i + 1]
                        _lartg(f, g, &cosl, &sinl, &r)
                        d[i] = r
                        f = cosl * e[i] + sinl * d[i + 1]
                        d[i + 1] = cosl * d[i + 1] - sinl * e[i]
                        if i < m - 1:
                            g = sinl * e[i + 1]
                            e[i + 1] = cosl * e[i + 1]
                        _rot_push(&bv, V, i, cosr, sinr)
                        _rot_push(&bu, U, i, cosl, sinl)
                    e[m - 1] = f
                    if fabs(e[m - 1]) <= thresh:
                        e[m - 1] = 0
                else:
                    f = (fabs(d[m]) - shift) * (_sign(<floating> 1, d[m]) + shift / d[m])
                    g = e[m - 1]
                    for i in range(m, ll, -1):
                        _lartg(f, g, &cosr, &sinr, &r)
                        if i < m:
                            e[i] = r
                        f = cosr * d[i] + sinr * e[i - 1]
                        e[i - 1] = cosr * e[i - 1] - sinr * d[i]
                        g = sinr * d[i - 1]
                        d[i - 1] = cosr * d[i - 1]
                        _lartg(f, g, &cosl, &sinl, &r)
                        d[i] = r
                        f = cosl * e[i - 1] + sinl * d[i - 1]
                        d[i - 1] = cosl * d[i - 1] - sinl * e[i - 1]
                        if i > ll + 1:
                            g = sinl * e[i - 2]
                            e[i - 2] = cosl * e[i - 2]
                        _rot_push(&bv, V, i - 1, cosl, -sinl)
                        _rot_push(&bu, U, i - 1, cosr, -sinr)
                    e[ll] = f
                    if fabs(e[ll]) <= thresh:
                        e[ll] = 0
    _rot_flush(&bu, U)
    _rot_flush(&bv, V)
    _rot_free(&bu)
    _rot_free(&bv)
    k = 0
    for i in range(n - 1):
        if e[i] != 0:
            k += 1
    if k:
        return k
    # Non-negative values (negate V's column), then sort non-increasing.
    for i in range(n):
        if d[i] < 0:
            d[i] = -d[i]
            if V != NULL:
                for j in range(nrv):
                    V[j + i * ldv] = -V[j + i * ldv]
    for i in range(n - 1):
        k = i
        h = d[i]
        for j in range(i + 1, n):
            if d[j] > h:
                k = j
                h = d[j]
        if k != i:
            d[k] = d[i]
            d[i] = h
            if U != NULL:
                _swap_columns(nru, U, ldu, i, k)
            if V != NULL:
                _swap_columns(nrv, V, ldv, i, k)
    return 0


# ---------------------------------------------------------------------------------------
# One-sided Jacobi.

cdef Py_ssize_t jacobi_kernel(Py_ssize_t m, Py_ssize_t n, floating *X, Py_ssize_t ldx,
                              floating *V, Py_ssize_t ldv, Py_ssize_t max_sweeps,
                              int n_threads) noexcept nogil:
    """Rotate pairs of columns of X (m x n) until every pair is orthogonal to working
    precision, V (n x n, may be NULL) accumulating the rotations.  Cyclic by rows.
    Returns the number of sweeps used, or -1 when max_sweeps did not suffice."""
    cdef Py_ssize_t sweep, p, q
    cdef floating a, b, g, zeta, t, c, s, tol = _eps(<floating> 0) * sqrt(<floating> m)
    cdef bint rotated
    cdef int isa = get_isa(), one = 0
    for sweep in range(max_sweeps):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                a = nrm2_kernel(m, X + p * ldx, 1, 1)
                b = nrm2_kernel(m, X + q * ldx, 1, 1)
                if a == 0 or b == 0:
                    continue
                g = dot_kernel(m, X + p * ldx, 1, X + q * ldx, 1, 1)
                if fabs(g) <= tol * a * b:
                    continue
                rotated = True
                # Rotation zeroing the (p, q) entry of the Gram matrix.
                zeta = (b - a) * (b + a) / (2 * g)
                t = _sign(<floating> 1, zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta))
                c = 1 / sqrt(1 + t * t)
                s = c * t
                # x_p' = c x_p - s x_q, x_q' = s x_p + c x_q  (drot with (c, -s))
                s = -s
                if floating is double:
                    lamina_drot_rows(m, X + p * ldx, (q - p) * ldx, 1, &one, &c, &s, isa)
                    if V != NULL:
                        lamina_drot_rows(n, V + p * ldv, (q - p) * ldv, 1, &one, &c, &s, isa)
                else:
                    lamina_srot_rows(m, X + p * ldx, (q - p) * ldx, 1, &one, &c, &s, isa)
                    if V != NULL:
                        lamina_srot_rows(n, V + p * ldv, (q - p) * ldv, 1, &one, &c, &s, isa)
        if not rotated:
            return sweep + 1
    return -1


# ---------------------------------------------------------------------------------------
# Python-facing wrappers on Fortran-ordered memoryviews (validated by lamina.linalg).

cdef inline Py_ssize_t _ld(Py_ssize_t stride, Py_ssize_t itemsize) noexcept nogil:
    return stride // itemsize


def lower_max_abs(const floating[::1, :] a):
    """``(max |a[i, j]| over i >= j, True when all those entries are finite)`` in one
    pass over the lower triangle of the square matrix ``a``, without a copy."""
    cdef Py_ssize_t n = a.shape[0], i, j
    cdef floating v, m = 0
    cdef bint finite = True
    cdef floating big = FLT_MAX if floating is float else DBL_MAX
    with nogil:
        for j in range(n):
            for i in range(j, n):
                v = fabs(a[i, j])
                m = v if v > m else m
                # NaN compares false: a NaN or an infinity leaves the finite range
                finite = finite & (v <= big)
    return float(m), bool(finite)


def sytrd(floating[::1, :] a, floating[::1] d, floating[::1] e, floating[::1] tau,
          int n_threads):
    """In place tridiagonal reduction of the lower triangle of a (n x n)."""
    cdef Py_ssize_t n = a.shape[0]
    cdef int rc
    if n == 0:
        return
    with nogil:
        rc = sytrd_kernel(n, &a[0, 0], _ld(a.strides[1], sizeof(floating)), &d[0], &e[0],
                          &tau[0], n_threads)
    if rc != 0:
        raise MemoryError("sytrd: workspace allocation failed")


def steqr(floating[::1] d, floating[::1] e, floating[::1, :] z, int n_threads):
    """Eigenvalues of the tridiagonal (d, e) in place, ascending; z (or None): columns
    rotated along (without z, the root-free sterf iteration).  Returns info (0, or > 0:
    values that did not converge)."""
    cdef Py_ssize_t n = d.shape[0], info, nrows = 0, ldz = 1
    cdef floating *zp = NULL
    if e.shape[0] < n:
        raise ValueError("steqr: e needs n entries (the last is workspace)")
    if z is not None and z.shape[1] == n and z.shape[0] > 0 and n > 0:
        zp = &z[0, 0]
        nrows = z.shape[0]
        ldz = _ld(z.strides[1], sizeof(floating))
    if n == 0:
        return 0
    with nogil:
        if z is None:
            info = sterf_kernel(n, &d[0], &e[0])
        else:
            info = steqr_kernel(n, &d[0], &e[0], zp, ldz, nrows, n_threads)
    if info < 0:
        raise MemoryError("steqr: workspace allocation failed")
    return info


def stedc(floating[::1] d, floating[::1] e, floating[::1, :] q, int n_threads):
    """Eigenvalues (ascending) and eigenvectors (into q, n x n) of the tridiagonal (d, e)
    by divide and conquer.  Returns info."""
    cdef Py_ssize_t n = d.shape[0], info
    if n == 0:
        return 0
    if e.shape[0] < n or q.shape[0] != n or q.shape[1] != n:
        raise ValueError("stedc: e needs n entries, q must be n x n")
    with nogil:
        info = stedc_kernel(n, &d[0], &e[0], &q[0, 0], _ld(q.strides[1], sizeof(floating)),
                            n_threads)
    if info < 0:
        raise MemoryError("stedc: workspace allocation failed")
    return info


def gebrd(floating[::1, :] a, floating[::1] d, floating[::1] e, floating[::1] tauq,
          floating[::1] taup, int n_threads):
    """In place bidiagonal reduction of a (m x n, m >= n)."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    cdef int rc
    if m < n:
        raise ValueError("gebrd: needs m >= n")
    if n == 0:
        return
    with nogil:
        rc = gebrd_kernel(m, n, &a[0, 0], _ld(a.strides[1], sizeof(floating)), &d[0],
                          &e[0], &tauq[0], &taup[0], n_threads)
    if rc != 0:
        raise MemoryError("gebrd: workspace allocation failed")


def bdsqr(floating[::1] d, floating[::1] e, floating[::1, :] u, floating[::1, :] v,
          int n_threads):
    """Singular values of the upper bidiagonal (d, e) in place (non-increasing); u
    (nru x n) and v (nrv x n), or None, rotated along.  Returns info."""
    cdef Py_ssize_t n = d.shape[0], info, nru = 0, nrv = 0, ldu = 1, ldv = 1
    cdef floating *up = NULL
    cdef floating *vp = NULL
    if n == 0:
        return 0
    if e.shape[0] < max(n - 1, 1):
        raise ValueError("bdsqr: e needs n - 1 entries")
    if u is not None and u.shape[0] > 0:
        if u.shape[1] != n:
            raise ValueError("bdsqr: u needs n columns")
        up = &u[0, 0]
        nru = u.shape[0]
        ldu = _ld(u.strides[1], sizeof(floating))
    if v is not None and v.shape[0] > 0:
        if v.shape[1] != n:
            raise ValueError("bdsqr: v needs n columns")
        vp = &v[0, 0]
        nrv = v.shape[0]
        ldv = _ld(v.strides[1], sizeof(floating))
    with nogil:
        info = bdsqr_kernel(n, &d[0], &e[0], up, ldu, nru, vp, ldv, nrv, n_threads)
    if info < 0:
        raise MemoryError("bdsqr: workspace allocation failed")
    return info


def jacobi(floating[::1, :] x, floating[::1, :] v, Py_ssize_t max_sweeps, int n_threads):
    """One-sided Jacobi on the columns of x in place; v (n x n or None) accumulates.
    Returns the sweeps used, or -1 when max_sweeps did not suffice."""
    cdef Py_ssize_t m = x.shape[0], n = x.shape[1], r
    cdef floating *vp = NULL
    cdef Py_ssize_t ldv = 1
    if m == 0 or n < 2:
        return 0
    if v is not None:
        if v.shape[0] != n or v.shape[1] != n:
            raise ValueError("jacobi: v must be n x n")
        vp = &v[0, 0]
        ldv = _ld(v.strides[1], sizeof(floating))
    with nogil:
        r = jacobi_kernel(m, n, &x[0, 0], _ld(x.strides[1], sizeof(floating)), vp, ldv,
                          max_sweeps, n_threads)
    return r
