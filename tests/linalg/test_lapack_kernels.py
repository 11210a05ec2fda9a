"""The dense factorization kernels directly: look-ahead LU (thread-count independence,
pivots, zero pivots past the first panel), the small-triangle substitution of the
blocked TRSM, the look-ahead QR with recursive panels, ormqr's one-reflector-at-a-time
path and the transposing work copy."""

import numpy as np
import pytest

from lamina._kernels import _lapack
from lamina.linalg._common import work_copy

NB = _lapack.block_sizes()


def _getrf(a, threads):
    f = np.array(a, order="F")
    ipiv = np.zeros(min(a.shape), dtype=np.intp)
    info = _lapack.getrf(f, ipiv, threads)
    return f, ipiv, info


def _lu_sizes():
    nb = NB["lu"]
    return [(nb + 1, nb + 1), (2 * nb - 1, 2 * nb - 1), (3 * nb + 5, 3 * nb + 5),
            (3 * nb + 7, 2 * nb + 3), (2 * nb + 3, 3 * nb + 7), (nb + 2, 5 * nb + 1),
            (5 * nb + 1, nb + 2)]


@pytest.mark.parametrize("m, n", _lu_sizes())
def test_getrf_matches_scipy_and_thread_counts(m, n, dtype, rng):
    sl = pytest.importorskip("scipy.linalg")
    a = rng.standard_normal((m, n)).astype(dtype)
    f1, p1, info1 = _getrf(a, 1)
    for threads in (2, 3):
        f2, p2, info2 = _getrf(a, threads)
        np.testing.assert_array_equal(f2, f1)       # bit for bit
        np.testing.assert_array_equal(p2, p1)
        assert info2 == info1 == 0
    lu_s, piv_s = sl.lu_factor(a)
    np.testing.assert_array_equal(p1, piv_s)         # the same (partial) pivoting
    tol = 50 * max(m, n) * np.finfo(dtype).eps * np.abs(lu_s).max()
    np.testing.assert_allclose(f1, lu_s, rtol=0, atol=tol)


@pytest.mark.parametrize("zero_col", [1, 2])
def test_getrf_zero_pivot_after_first_panels(zero_col, rng):
    nb = NB["lu"]
    n = 3 * nb + 11
    c = zero_col * nb + 5          # a pivot inside a look-ahead panel
    a = rng.standard_normal((n, n))
    a[:, c] = 0
    for threads in (1, 2):
        f, _, info = _getrf(a, threads)
        assert info == c + 1
        assert f[c, c] == 0
        assert np.all(np.isfinite(f))


def _substitute(lower, unit, a, b):
    """Plain column substitution (the reference operation order)."""
    x = b.astype(np.float64)
    m = a.shape[0]
    order = range(m) if lower else range(m - 1, -1, -1)
    for j in range(x.shape[1]):
        for p in order:
            if not unit:
                x[p, j] = x[p, j] / a[p, p]
            xp = x[p, j]
            if xp != 0:
                rows = slice(p + 1, m) if lower else slice(0, p)
                x[rows, j] -= xp * a[rows, p]
    return x


@pytest.mark.parametrize("m", [1, 5, 31, 32, 33, 70])
@pytest.mark.parametrize("n", [1, 4, 5, 9, 130])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_trsm_small_triangles(m, n, lower, unit, dtype, rng):
    a = rng.uniform(-1, 1, (m, m)).astype(dtype)
    a[np.diag_indices(m)] = rng.uniform(1, 2, m).astype(dtype)
    a = np.tril(a) if lower else np.triu(a)
    b = rng.standard_normal((m, n)).astype(dtype)
    ref = _substitute(lower, unit, a, b)
    for threads in (1, 2):
        x = np.array(b, order="F")
        _lapack.trsm(True, lower, unit, a, x, threads)
        np.testing.assert_allclose(x, ref, rtol=0,
                                   atol=100 * m * np.finfo(dtype).eps * np.abs(ref).max())


def test_trsm_non_finite_stays_where_substitution_puts_it():
    # Row 3 of the solution is Inf; rows above it (already solved) must stay finite
    # and equal to plain substitution, not 0 * Inf = NaN.
    m, n = 20, 6
    rng = np.random.default_rng(0)
    a = np.tril(rng.uniform(-1, 1, (m, m)))
    a[np.diag_indices(m)] = 1
    b = rng.standard_normal((m, n))
    b[3, 2] = np.inf
    x = np.array(b, order="F")
    with np.errstate(invalid="ignore", over="ignore"):
        _lapack.trsm(True, True, True, a, x, 1)
        ref = _substitute(True, True, a, b)
    np.testing.assert_array_equal(x[:3], ref[:3])
    np.testing.assert_array_equal(np.isnan(x), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(x), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(x[fin], ref[fin], rtol=1e-12, atol=1e-12)


def _qr_sizes():
    nb = NB["qr"]
    return [(nb - 1, nb - 1), (nb, nb), (nb + 1, nb + 1), (2 * nb + 3, 2 * nb + 3),
            (1000, nb + 7), (3 * nb, 2 * nb - 3), (9, 9), (17, 3), (9 * nb + 1, 6 * nb + 5),
            (nb + 5, 9 * nb + 1)]


@pytest.mark.parametrize("m, n", _qr_sizes())
def test_geqrf_recursive_panel_matches_scipy(m, n, dtype, rng):
    sl = pytest.importorskip("scipy.linalg")
    a = rng.standard_normal((m, n)).astype(dtype)
    (qr_s, tau_s), _ = sl.qr(a, mode="raw")
    outs = []
    for threads in (1, 2, 3):
        f = np.array(a, order="F")
        tau = np.zeros(min(m, n), dtype=dtype)
        _lapack.geqrf(f, tau, threads)
        outs.append((f, tau))
    for f, tau in outs[1:]:                          # bit for bit
        np.testing.assert_array_equal(f, outs[0][0])
        np.testing.assert_array_equal(tau, outs[0][1])
    f, tau = outs[0]
    tol = 100 * max(m, n) * np.finfo(dtype).eps
    np.testing.assert_allclose(tau, tau_s, rtol=0, atol=tol)
    np.testing.assert_allclose(f, qr_s, rtol=0, atol=tol * np.abs(qr_s).max())


@pytest.mark.parametrize("trans", [True, False])
def test_ormqr_few_columns_equal_blocked(trans, dtype, rng):
    m, n = 300, 70
    f = np.array(rng.standard_normal((m, n)).astype(dtype), order="F")
    tau = np.zeros(n, dtype=dtype)
    _lapack.geqrf(f, tau, 1)
    c = rng.standard_normal((m, 9)).astype(dtype)
    wide = np.array(c, order="F")
    _lapack.ormqr(trans, f, tau, wide, 1)                 # blocked (compact WY)
    tol = 100 * m * np.finfo(dtype).eps * np.abs(c).max()
    for k in (1, 2, 4):
        few = np.array(c[:, :k], order="F")
        _lapack.ormqr(trans, f, tau, few, 1)              # reflector by reflector
        np.testing.assert_allclose(few, wide[:, :k], rtol=0, atol=tol)
    # Q^T Q c = c
    back = np.array(wide[:, :1], order="F")
    _lapack.ormqr(not trans, f, tau, back, 1)
    np.testing.assert_allclose(back, c[:, :1], rtol=0, atol=tol)


@pytest.mark.parametrize("shape", [(1, 1), (1, 70), (70, 1), (33, 65), (300, 257)])
@pytest.mark.parametrize("threads", [1, 2])
def test_to_fortran(shape, threads, dtype, rng):
    a = rng.standard_normal(shape).astype(dtype)
    out = np.empty(shape, dtype=dtype, order="F")
    _lapack.to_fortran(a, out, threads)
    np.testing.assert_array_equal(out, a)
    w = work_copy(a, False, threads=threads)
    assert w.flags.f_contiguous and w.dtype == dtype
    np.testing.assert_array_equal(w, a)
    with pytest.raises(ValueError, match="shapes"):
        _lapack.to_fortran(a, np.empty((shape[0] + 1, shape[1]), dtype=dtype, order="F"),
                           threads)
