"""Singular value decomposition: LAPACK's ratios (threshold 50) over the test matrix
types and shapes, values-only against with-vectors, the Jacobi method's relative
accuracy, API and input policy."""

import numpy as np
import pytest

from lamina import linalg as la
from tests.conftest import layouts
from tests.linalg._matrices import (
    SVD_KINDS,
    SVD_THRESHOLD,
    general_matrix,
    svd_ratios,
    values_ratio,
)

SHAPES = [(n, n) for n in (0, 1, 2, 3, 5, 10, 50)] + [(0, 3), (3, 0), (5, 2), (2, 5),
                                                      (10, 3), (3, 10), (50, 10), (10, 50),
                                                      (40, 30)]


def _check(a, method="auto", full=False):
    m, n = a.shape
    k = min(m, n)
    u, s, vt = la.svd(a, full_matrices=full, method=method)
    ku, kv = (m, n) if full else (k, k)
    assert u.shape == (m, ku) and s.shape == (k,) and vt.shape == (kv, n)
    assert u.dtype == a.dtype and s.dtype == a.dtype and vt.dtype == a.dtype
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(s)) and np.all(np.isfinite(vt))
    assert np.all(s >= 0) and np.all(np.diff(s.astype(np.float64)) <= 0)
    ratios = svd_ratios(a, u, s, vt)
    assert max(ratios) < SVD_THRESHOLD, ratios
    assert values_ratio(la.svdvals(a), s, a.dtype) < SVD_THRESHOLD
    return s


@pytest.mark.parametrize("kind", SVD_KINDS)
@pytest.mark.parametrize("m, n", SHAPES)
def test_svd_ratios(kind, m, n, dtype, rng):
    a = general_matrix(kind, m, n, dtype, rng)
    keep = a.copy()
    _check(a)
    np.testing.assert_array_equal(a, keep)


@pytest.mark.parametrize("kind", ["geometric", "clustered", "evenly_small", "random",
                                  "rank_deficient"])
@pytest.mark.parametrize("m, n", [(10, 10), (50, 20), (20, 50)])
def test_svd_full_and_jacobi(kind, m, n, dtype, rng):
    a = general_matrix(kind, m, n, dtype, rng)
    _check(a, full=True)
    s = _check(a, method="jacobi", full=True)
    assert values_ratio(s, la.svdvals(a), dtype) < SVD_THRESHOLD


@pytest.mark.parametrize("kind, m, n", [("geometric", 257, 257), ("random", 300, 257),
                                        ("clustered_big", 257, 100), ("random", 100, 257)])
def test_svd_large(kind, m, n, dtype, rng):
    a = general_matrix(kind, m, n, dtype, rng)
    _check(a)


def test_jacobi_relative_accuracy_on_graded_matrix(rng):
    """A = B D, B well conditioned (10 x 10), D = diag(1e-7 .. 1): the columns grow by
    seven orders of magnitude, and every singular value is determined by the data to
    relative accuracy ~kappa(B) eps.  One-sided Jacobi finds them all in float32; the
    bidiagonal method is accurate only relative to ||A||, so the smallest values lose
    their digits (with the columns in decreasing order, Householder bidiagonalization
    happens to keep them: only the increasing order shows the difference)."""
    b = rng.standard_normal((10, 10))
    a = (b * 10.0 ** np.linspace(-7, 0, 10)).astype(np.float32)
    exact = np.linalg.svd(a.astype(np.float64), compute_uv=False)   # float64 LAPACK
    rel_jacobi = np.abs(la.svd(a, compute_uv=False, method="jacobi") - exact) / exact
    rel_default = np.abs(la.svdvals(a) - exact) / exact
    assert rel_jacobi.max() < 1e-4
    assert rel_default.max() > 1e-2
    # Absolute accuracy (what the default promises) holds for both.
    assert np.abs(la.svdvals(a) - exact).max() < 50 * 10 * np.finfo(np.float32).eps * exact[0]
    u, s, vt = la.svd(a, method="jacobi")
    assert max(svd_ratios(a, u, s, vt)) < SVD_THRESHOLD


def test_matches_lapack_values(dtype, rng):
    a = general_matrix("random", 70, 40, dtype, rng)
    ref = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    assert np.abs(la.svdvals(a) - ref).max() <= 100 * np.finfo(dtype).eps * ref[0]


def test_layouts_and_stacks(dtype, rng):
    a = general_matrix("random", 20, 13, dtype, rng)
    for name, view in layouts(a).items():
        u, s, vt = la.svd(view, full_matrices=False)
        assert max(svd_ratios(a, u, s, vt)) < SVD_THRESHOLD, name
    st = rng.standard_normal((2, 3, 6, 4)).astype(dtype)
    u, s, vt = la.svd(st)
    assert u.shape == (2, 3, 6, 6) and s.shape == (2, 3, 4) and vt.shape == (2, 3, 4, 4)
    np.testing.assert_allclose((u[..., :4] * s[..., None, :]) @ vt, st,
                               atol=1e3 * np.finfo(dtype).eps)
    assert la.svdvals(st).shape == (2, 3, 4)
    u, s, vt = la.svd(np.zeros((2, 0, 3)))
    assert u.shape == (2, 0, 0) and s.shape == (2, 0) and vt.shape == (2, 3, 3)


def test_errors():
    with pytest.raises(ValueError, match="method"):
        la.svd(np.eye(2), method="gesvd")
    with pytest.raises(ValueError, match="NaN|finite"):
        la.svd(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError):
        la.svd(np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        la.svdvals(np.eye(2, dtype=complex))
