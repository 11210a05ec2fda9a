"""pinv and matrix_rank (from the SVD), against NumPy's and by the Penrose conditions."""

import numpy as np
import pytest

from lamina import linalg as la
from tests.linalg._matrices import general_matrix


@pytest.mark.parametrize("m, n", [(1, 1), (6, 4), (4, 6), (30, 30), (60, 20)])
@pytest.mark.parametrize("kind", ["random", "rank_deficient", "evenly", "zero"])
def test_pinv_penrose(m, n, kind, dtype, rng):
    a = general_matrix(kind, m, n, dtype, rng)
    b = la.pinv(a)
    assert b.shape == (n, m) and b.dtype == dtype
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    tol = 1e3 * np.finfo(dtype).eps * max(m, n)
    scale = max(np.abs(a64).max(), 1e-300)
    assert np.abs(a64 @ b64 @ a64 - a64).max() <= tol * scale
    assert np.abs(b64 @ a64 @ b64 - b64).max() <= tol * max(np.abs(b64).max(), 1) ** 2
    assert np.abs((a64 @ b64).T - a64 @ b64).max() <= tol * 10
    assert np.abs((b64 @ a64).T - b64 @ a64).max() <= tol * 10
    if kind in ("random", "rank_deficient", "zero"):
        ref = np.linalg.pinv(a64, rtol=max(m, n) * np.finfo(dtype).eps)
        np.testing.assert_allclose(b64, ref, atol=tol * max(np.abs(ref).max(), 1))


def test_pinv_options(rng):
    a = general_matrix("rank_deficient", 12, 8, np.float64, rng)
    b, r = la.pinv(a, return_rank=True)
    assert r == 4
    b2 = la.pinv(a, atol=1e-3)
    np.testing.assert_allclose(b2, b, atol=1e-10)
    s = np.linalg.svd(a, compute_uv=False)
    _, r = la.pinv(a, rtol=s[1] / s[0] * 1.0001, return_rank=True)
    assert r == 1
    st = rng.standard_normal((3, 5, 4))
    np.testing.assert_allclose(la.pinv(st), np.linalg.pinv(st), atol=1e-12)
    assert la.pinv(np.zeros((0, 3))).shape == (3, 0)
    with pytest.raises(ValueError, match="non-negative"):
        la.pinv(a, rtol=-1)


def test_matrix_rank(dtype, rng):
    for m, n, r in [(10, 10, 10), (20, 10, 4), (10, 20, 4), (8, 8, 0), (1, 1, 1)]:
        a = (rng.standard_normal((m, r)) @ rng.standard_normal((r, n))).astype(dtype) if r \
            else np.zeros((m, n), dtype)
        assert la.matrix_rank(a) == r == np.linalg.matrix_rank(a)
        assert la.matrix_rank(a @ a.T, hermitian=True) == r
    a = np.diag([1.0, 1e-3, 1e-9])
    assert la.matrix_rank(a) == 3
    assert la.matrix_rank(a, tol=1e-6) == 2
    assert la.matrix_rank(a, rtol=1e-2) == 1
    st = np.stack([np.eye(4), np.diag([1.0, 1.0, 0.0, 0.0])])
    np.testing.assert_array_equal(la.matrix_rank(st), [4, 2])
    assert la.matrix_rank(np.zeros(3)) == 0 and la.matrix_rank(np.ones(3)) == 1
    assert la.matrix_rank(np.zeros((0, 4))) == 0
