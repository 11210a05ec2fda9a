"""Cholesky family and triangular solves: residual ratios, layouts, failures."""

import numpy as np
import pytest

from lamina import linalg as la
from tests.conftest import layouts
from tests.linalg._matrices import KINDS, SIZES, THRESHOLD, cholesky_ratio, matrix, solve_ratio

SPD_KINDS = [k for k in KINDS if k not in ("cond_big",)] + ["cond_big"]


@pytest.mark.parametrize("kind", SPD_KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_cholesky_ratios(kind, n, dtype, rng):
    a = matrix(kind, n, n, dtype, rng, spd=True)
    if kind == "cond_big" and n > 1:
        # cond 0.1/eps is at the edge of positive definiteness in working precision;
        # LAPACK's own tests stop at sqrt(0.1/eps) for potrf's failure-free types.
        a = matrix("cond_sqrt", n, n, dtype, rng, spd=True)
    low = la.cholesky(a, lower=True)
    up = la.cholesky(a)
    assert np.all(np.isfinite(low))
    np.testing.assert_array_equal(np.triu(low, 1), 0)
    np.testing.assert_array_equal(np.tril(up, -1), 0)
    assert cholesky_ratio(a, low) < THRESHOLD
    assert cholesky_ratio(a, up.T) < THRESHOLD
    if n:
        b = rng.standard_normal((n, 2)).astype(dtype)
        for lower in (False, True):
            x = la.cho_solve(la.cho_factor(a, lower=lower), b)
            assert solve_ratio(a, x, b) < THRESHOLD


def test_cholesky_large(rng):
    for dtype in (np.float32, np.float64):
        a = matrix("cond_sqrt", 257, 257, dtype, rng, spd=True)
        assert cholesky_ratio(a, la.cholesky(a, lower=True)) < THRESHOLD


def test_only_one_triangle_read(rng):
    a = matrix("cond2", 40, 40, np.float64, rng, spd=True)
    junk_upper = np.tril(a) + np.triu(np.full_like(a, np.nan), 1)
    np.testing.assert_allclose(la.cholesky(junk_upper, lower=True, check_finite=False),
                               la.cholesky(a, lower=True))
    junk_lower = np.triu(a) + np.tril(np.full_like(a, 7.0), -1)
    np.testing.assert_allclose(la.cholesky(junk_lower), la.cholesky(a))


@pytest.mark.parametrize("k", [1, 3, 70])
def test_not_positive_definite(k, rng):
    n = 80
    a = matrix("cond2", n, n, np.float64, rng, spd=True)
    a[k - 1, k - 1] = -1.0
    with pytest.raises(np.linalg.LinAlgError, match=f"leading minor of order {k} "):
        la.cholesky(a, lower=True)
    with pytest.raises(np.linalg.LinAlgError, match=f"order {k} "):
        la.cho_factor(a)


def test_layouts_and_stacks(dtype, rng):
    a = matrix("cond2", 30, 30, dtype, rng, spd=True)
    ref = la.cholesky(a)
    for name, view in layouts(a).items():
        keep = view.copy()
        np.testing.assert_allclose(la.cholesky(view), ref, atol=50 * np.finfo(dtype).eps,
                                   err_msg=name)
        np.testing.assert_array_equal(view, keep)
    s = np.stack([a, 2 * a])
    np.testing.assert_allclose(la.cholesky(s, lower=True),
                               np.linalg.cholesky(s.astype(np.float64)), rtol=1e-3,
                               atol=1e-3 if dtype == np.float32 else 1e-10)
    with pytest.raises(ValueError, match="NaN"):
        la.cholesky(np.full((2, 2), np.nan))


@pytest.mark.parametrize("n", [0, 1, 3, 10, 50, 257])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, 1])
def test_solve_triangular(n, lower, trans, dtype, rng):
    a = matrix("lower" if lower else "upper", n, n, dtype, rng)
    b = rng.standard_normal((n, 3)).astype(dtype)
    x = la.solve_triangular(a, b, trans=trans, lower=lower)
    op = a.T if trans else a
    if n:
        assert solve_ratio(op, x, b) < THRESHOLD
    xv = la.solve_triangular(a, b[:, 0], trans=trans, lower=lower)
    assert xv.shape == (n,)
    if n:
        # A single right-hand side takes the GEMV route for the off-diagonal blocks, so it
        # may round differently from a column of the GEMM route: both must be backward
        # stable, which is what the ratio checks.
        assert solve_ratio(op, xv[:, None], b[:, :1]) < THRESHOLD
    u = a.copy()
    u[np.arange(n), np.arange(n)] = 1
    xu = la.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=True)
    if n:
        assert solve_ratio(u.T if trans else u, xu, b) < THRESHOLD


def test_solve_triangular_views_and_errors(rng):
    a = matrix("upper", 20, 20, np.float64, rng)
    b = rng.standard_normal(20)
    ref = la.solve_triangular(a, b)
    for name, view in layouts(a).items():
        np.testing.assert_allclose(la.solve_triangular(view, b), ref, err_msg=name)
    s = a.copy()
    s[4, 4] = 0
    with pytest.raises(np.linalg.LinAlgError, match=r"a\[4, 4\]"):
        la.solve_triangular(s, b)
    with pytest.raises(ValueError, match="trans"):
        la.solve_triangular(a, b, trans=3)
