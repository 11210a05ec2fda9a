"""Least squares: full rank, rank-deficient and under-determined problems."""

import numpy as np
import pytest

from lamina import linalg as la
from tests.linalg._matrices import THRESHOLD, eps, matrix


def _check_normal_equations(a, x, b, dtype):
    """LAPACK's dqrt17-style check: ||A^T (b - A x)|| / (max(m,n) ||A||^2 ||x|| eps)."""
    a64, x64, b64 = (np.asarray(t, np.float64) for t in (a, x, b))
    scale = np.abs(a64).max() or 1.0       # an exact rescaling keeps the check in range
    a64, b64 = a64 / scale, b64 / scale
    r = b64 - a64 @ x64
    an = np.abs(a64).sum(axis=0).max()
    den = max(a.shape) * an * max(an * np.abs(x64).sum(axis=0).max(),
                                  np.abs(b64).sum(axis=0).max()) * eps(dtype)
    return np.abs(a64.T @ r).sum(axis=0).max() / den if den else 0.0


@pytest.mark.parametrize("m, n", [(1, 1), (5, 3), (50, 10), (257, 50), (3, 5), (10, 50),
                                  (5, 5)])
@pytest.mark.parametrize("kind", ["cond2", "cond_sqrt", "small", "large"])
def test_full_rank(m, n, kind, dtype, rng):
    a = matrix(kind, m, n, dtype, rng)
    b = (a.astype(np.float64) @ rng.standard_normal((n, 2))
         + rng.standard_normal((m, 2)) * float(np.abs(a).max() or 1) * 1e-3).astype(dtype)
    x, res, rank, rdiag = la.lstsq(a, b)
    assert x.shape == (n, 2) and x.dtype == dtype
    assert rank == min(m, n)
    assert _check_normal_equations(a, x, b, dtype) < THRESHOLD
    ref = np.linalg.lstsq(a.astype(np.float64), b.astype(np.float64), rcond=None)[0]
    scale = np.abs(ref).max()
    cond = np.linalg.cond(a.astype(np.float64))
    assert np.abs(x - ref).max() <= 50 * cond * eps(dtype) * max(m, n) * scale
    if m > n:
        with np.errstate(over="ignore"):
            expected = ((b.astype(np.float64) - a @ ref) ** 2).sum(0)
        if expected.max() > np.finfo(dtype).max:     # the sum of squares is not representable
            assert np.all(np.isinf(res))
            return
        np.testing.assert_allclose(res, expected,
                                   rtol=1e-3 if dtype == np.float32 else 1e-8,
                                   atol=1e4 * float(np.finfo(dtype).tiny))   # squares underflow
    else:
        assert res.shape == (0,)


@pytest.mark.parametrize("m, n, r", [(20, 10, 4), (10, 20, 4), (30, 30, 29), (8, 8, 0)])
def test_rank_deficient_minimum_norm(m, n, r, dtype, rng):
    a = (rng.standard_normal((m, r)) @ rng.standard_normal((r, n))).astype(dtype)
    b = rng.standard_normal((m, 3)).astype(dtype)
    x, res, rank, rdiag = la.lstsq(a, b)
    assert rank == r
    assert res.shape == (0,)
    pinv_x = np.linalg.pinv(a.astype(np.float64), rcond=1e-5) @ b
    np.testing.assert_allclose(x, pinv_x, atol=1e-3 if dtype == np.float32 else 1e-9)


def test_zero_columns_and_vectors(rng):
    a = rng.standard_normal((12, 6))
    a[:, 3:] = 0
    b = rng.standard_normal(12)
    x, res, rank, _ = la.lstsq(a, b)
    assert rank == 3 and x.shape == (6,)
    np.testing.assert_array_equal(x[3:], 0)
    np.testing.assert_allclose(x, np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-12)
    x, res, rank, _ = la.lstsq(np.ones((4, 2)), np.ones(4), rcond=0.5)
    assert rank == 1
    x, res, rank, _ = la.lstsq(np.zeros((3, 0)), np.ones(3))
    assert x.shape == (0,) and rank == 0


def test_errors():
    with pytest.raises(ValueError, match="incompatible"):
        la.lstsq(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        la.lstsq(np.full((3, 2), np.nan), np.ones(3))


@pytest.mark.parametrize("m, n, r", [(20, 10, 10), (20, 10, 4), (10, 20, 4), (6, 6, 6)])
def test_reports_singular_values(m, n, r, dtype, rng):
    a = (rng.standard_normal((m, r)) @ rng.standard_normal((r, n))).astype(dtype)
    s = la.lstsq(a, rng.standard_normal(m).astype(dtype))[3]
    ref = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    assert s.shape == (min(m, n),) and s.dtype == dtype
    np.testing.assert_allclose(s, ref, atol=100 * eps(dtype) * ref[0] * max(m, n))
