"""TRSM, TRMM and SYRK: against NumPy, through both the blocked (GEMM) and diagonal paths."""

import contextlib

import numpy as np
import pytest

import lamina
from lamina._kernels import _gemm

from ..conftest import layouts


@contextlib.contextmanager
def _tri_block(nb):
    old = _gemm.set_tri_block(nb)
    try:
        yield
    finally:
        _gemm.set_tri_block(old)


def _triangular(n, dtype, rng, lower):
    a = rng.standard_normal((n, n)) / np.sqrt(max(n, 1))
    a[np.diag_indices(n)] = 1.5 + rng.random(n)
    # garbage in the other triangle must never be read
    other = np.triu(np.full((n, n), np.nan), 1) if lower else np.tril(np.full((n, n), np.nan), -1)
    t = np.tril(a) if lower else np.triu(a)
    return (t + np.nan_to_num(other, nan=0.0)).astype(dtype), t, other


def _op(t, trans, unit):
    t = t.copy()
    if unit:
        np.fill_diagonal(t, 1.0)
    return t.T if trans else t


CASES = [(side, lower, trans, unit) for side in ("left", "right") for lower in (True, False)
         for trans in (False, True) for unit in (False, True)]


@pytest.mark.parametrize("side,lower,trans,unit", CASES)
def test_trsm_trmm(dtype, rng, side, lower, trans, unit):
    rtol = 2e-4 if dtype == np.float32 else 1e-11
    for m, n, nb in ((0, 3, 96), (1, 1, 96), (7, 5, 3), (50, 31, 16), (130, 40, 96)):
        k = m if side == "left" else n
        a, t, _ = _triangular(k, dtype, rng, lower)
        # fill the unreferenced triangle with NaN: it must not be read
        a_nan = a.astype(dtype)
        mask = np.triu(np.ones((k, k), bool), 1) if lower else np.tril(np.ones((k, k), bool), -1)
        a_nan[mask] = np.nan
        if unit:
            np.fill_diagonal(a_nan, np.nan)
        b = rng.standard_normal((m, n)).astype(dtype)
        op = _op(t, trans, unit)
        with _tri_block(nb):
            x = lamina.blas.trsm(a_nan, b, alpha=0.5, side=side, lower=lower, trans_a=trans,
                                 unit_diagonal=unit)
            y = lamina.blas.trmm(a_nan, b, alpha=0.5, side=side, lower=lower, trans_a=trans,
                                 unit_diagonal=unit)
        assert x.dtype == dtype and x.shape == b.shape
        if m and n:
            resid = op @ x.astype(float) if side == "left" else x.astype(float) @ op
            np.testing.assert_allclose(resid, 0.5 * b, rtol=rtol, atol=rtol * 10)
            exp = op @ b.astype(float) if side == "left" else b.astype(float) @ op
            np.testing.assert_allclose(y, 0.5 * exp, rtol=rtol, atol=rtol * 10)


def test_trsm_layouts_threads_and_overwrite(dtype, rng):
    a, t, _ = _triangular(150, dtype, rng, True)
    b = rng.standard_normal((150, 70)).astype(dtype)
    ref = lamina.blas.trsm(a, b, lower=True, n_threads=1)
    for name, va in layouts(a).items():
        for nb_name, vb in layouts(b).items():
            got = lamina.blas.trsm(va, vb, lower=True, n_threads=2)
            np.testing.assert_allclose(got, ref, rtol=1e-4 if dtype == np.float32 else 1e-12,
                                       err_msg=f"{name}/{nb_name}")
    bb = b.copy()
    got = lamina.blas.trsm(a, bb, lower=True, overwrite_b=True)
    assert got is bb
    b2 = b.copy()
    lamina.blas.trsm(a, b2, lower=True)
    np.testing.assert_array_equal(b2, b)        # not modified without overwrite_b


def test_trsm_singular():
    a = np.tril(np.ones((5, 5)))
    a[3, 3] = 0.0
    with pytest.raises(lamina.LinAlgError, match="diagonal element 3"):
        lamina.blas.trsm(a, np.ones((5, 2)), lower=True)
    # a unit-diagonal solve never reads the diagonal
    x = lamina.blas.trsm(a, np.ones((5, 2)), lower=True, unit_diagonal=True)
    assert np.isfinite(x).all()
    # the kernel itself gives the IEEE result
    b = np.ones((5, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        _gemm.trsm(True, True, False, 1.0, a, b, 1)
    assert not np.isfinite(b[3:]).any()


def test_triangular_errors():
    with pytest.raises(ValueError, match="square"):
        lamina.blas.trsm(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="side"):
        lamina.blas.trmm(np.eye(2), np.ones((2, 2)), side="up")
    with pytest.raises(ValueError, match="must be 3 x 3"):
        lamina.blas.trmm(np.eye(2), np.ones((3, 2)))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [False, True])
def test_syrk(dtype, rng, lower, trans):
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    for n, k, nb in ((0, 2, 96), (1, 1, 96), (5, 0, 96), (9, 4, 4), (130, 33, 96), (61, 200, 16)):
        a = rng.standard_normal((k, n) if trans else (n, k)).astype(dtype)
        c = rng.standard_normal((n, n)).astype(dtype)
        op = a.T.astype(float) if trans else a.astype(float)
        full = 2.0 * op @ op.T - 0.5 * c
        mask = np.tri(n, dtype=bool) if lower else np.tri(n, dtype=bool).T
        with _tri_block(nb):
            got = lamina.blas.syrk(a, c, alpha=2.0, beta=-0.5, lower=lower, trans=trans)
            plain = lamina.blas.syrk(a, lower=lower, trans=trans)
        np.testing.assert_allclose(got[mask], full[mask], rtol=rtol, atol=rtol * (k + 1))
        np.testing.assert_array_equal(got[~mask], c[~mask])
        np.testing.assert_allclose(plain[mask], (op @ op.T)[mask], rtol=rtol,
                                   atol=rtol * (k + 1))
        assert not plain[~mask].any()


def test_syrk_in_place_and_threads(rng):
    a = rng.standard_normal((300, 50))
    c = np.full((300, 300), np.nan)
    out = lamina.blas.syrk(a, c, lower=True, out=c, n_threads=2)   # beta=0: NaN ignored
    assert out is c
    low = np.tril(c)
    assert np.isfinite(low).all()
    assert np.isnan(c[0, 1])                                        # upper untouched
    one = lamina.blas.syrk(a, lower=True, n_threads=1)
    np.testing.assert_array_equal(np.tril(one), low)
    with pytest.raises(ValueError, match="c is required"):
        lamina.blas.syrk(a, beta=1.0)
