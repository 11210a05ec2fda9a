"""Symmetric eigendecomposition: LAPACK's residual ratios (threshold 60) over the eigen
test matrix types, values-only against with-vectors, API and input policy."""

import numpy as np
import pytest

import lamina
from lamina import linalg as la
from tests.conftest import layouts
from tests.linalg._matrices import (
    EIG_THRESHOLD,
    SPECTRAL_KINDS,
    eigh_ratios,
    symmetric_matrix,
    values_ratio,
)

# 100 and up: the vectors come from divide and conquer (below: the QL iteration).
SIZES = (0, 1, 2, 3, 5, 10, 50, 100)


@pytest.mark.parametrize("kind", SPECTRAL_KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_eigh_ratios(kind, n, dtype, rng):
    a = symmetric_matrix(kind, n, dtype, rng)
    keep = a.copy()
    w, z = la.eigh(a)
    np.testing.assert_array_equal(a, keep)
    assert w.shape == (n,) and z.shape == (n, n) and w.dtype == dtype and z.dtype == dtype
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(z))
    assert np.all(np.diff(w.astype(np.float64)) >= 0)
    fact, orth = eigh_ratios(a, w, z)
    assert fact < EIG_THRESHOLD and orth < EIG_THRESHOLD, (fact, orth)
    assert values_ratio(la.eigvalsh(a), w, dtype) < EIG_THRESHOLD


@pytest.mark.parametrize("kind", ["geometric", "clustered_big", "random", "banded",
                                  "identity"])
def test_eigh_257(kind, dtype, rng):
    a = symmetric_matrix(kind, 257, dtype, rng)
    w, z = la.eigh(a)
    fact, orth = eigh_ratios(a, w, z)
    assert fact < EIG_THRESHOLD and orth < EIG_THRESHOLD, (fact, orth)
    assert values_ratio(la.eigh(a, eigvals_only=True), w, dtype) < EIG_THRESHOLD


def test_matches_lapack_eigenvalues(dtype, rng):
    a = symmetric_matrix("random", 80, dtype, rng)
    ref = np.linalg.eigvalsh(a.astype(np.float64))
    w = la.eigvalsh(a)
    assert np.abs(w - ref).max() <= 200 * np.finfo(dtype).eps * np.abs(ref).max()


def test_one_triangle_is_read(rng):
    g = rng.standard_normal((6, 6))
    low = np.tril(g) + np.tril(g, -1).T
    up = np.triu(g) + np.triu(g, 1).T
    np.testing.assert_allclose(la.eigvalsh(g), np.linalg.eigvalsh(low), atol=1e-12)
    np.testing.assert_allclose(la.eigvalsh(g, lower=False), np.linalg.eigvalsh(up),
                               atol=1e-12)
    w, z = la.eigh(g, lower=False)
    np.testing.assert_allclose(up @ z, z * w, atol=1e-12)


def test_subset_by_index(rng):
    a = symmetric_matrix("random", 12, np.float64, rng)
    w_all, z_all = la.eigh(a)
    w, z = la.eigh(a, subset_by_index=(3, 6))
    np.testing.assert_allclose(w, w_all[3:7])
    assert z.shape == (12, 4)
    np.testing.assert_allclose(a @ z, z * w, atol=1e-12)
    np.testing.assert_allclose(la.eigvalsh(a, subset_by_index=[0, 0]), w_all[:1])
    for bad in [(5, 3), (0, 12), (-1, 2), "ab", 3]:
        with pytest.raises(ValueError, match="subset_by_index"):
            la.eigh(a, subset_by_index=bad)


def test_layouts_stacks_and_dtypes(dtype, rng):
    a = symmetric_matrix("random", 30, dtype, rng)
    for name, view in layouts(a).items():
        w, z = la.eigh(view)
        fact, orth = eigh_ratios(a, w, z)
        assert fact < EIG_THRESHOLD and orth < EIG_THRESHOLD, name
    s = np.stack([symmetric_matrix("random", 5, dtype, rng) for _ in range(6)]).reshape(
        2, 3, 5, 5)
    w, z = la.eigh(s)
    assert w.shape == (2, 3, 5) and z.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(s @ z, z * w[..., None, :], atol=1e3 * np.finfo(dtype).eps)
    assert la.eigvalsh(s).shape == (2, 3, 5)
    assert la.eigvalsh(np.eye(3, dtype=np.int64)).dtype == np.float64
    assert la.eigvalsh(np.eye(3, dtype=np.float16)).dtype == np.float32


def test_overwrite_a(rng):
    a = np.asfortranarray(symmetric_matrix("random", 20, np.float64, rng))
    keep = a.copy()
    w = la.eigvalsh(a, overwrite_a=True)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(keep), atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="square"):
        la.eigh(np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN|finite"):
        la.eigh(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(TypeError, match="complex"):
        la.eigh(np.eye(2, dtype=complex))
    assert issubclass(lamina.LinAlgError, np.linalg.LinAlgError)
    w, z = la.eigh(np.zeros((0, 0)))
    assert w.shape == (0,) and z.shape == (0, 0)


def test_divide_and_conquer_kernel(dtype, rng):
    """stedc on tridiagonals that exercise deflation: a Wilkinson-like matrix (pairs of
    nearly equal eigenvalues), tiny couplings, a zero off-diagonal, equal diagonals."""
    from lamina._kernels import _eigen

    n = 300
    cases = {
        "wilkinson": (np.abs(np.arange(n) - n // 2).astype(float), np.ones(n)),
        "tiny coupling": (np.round(rng.standard_normal(n), 1), rng.standard_normal(n) * 1e-9),
        "split": (rng.standard_normal(n), np.where(np.arange(n) % 50 == 0, 0.0, 1.0)),
        "equal diagonal": (np.ones(n), np.full(n, 1e-3)),
    }
    eps = np.finfo(dtype).eps
    for name, (d, e) in cases.items():
        t = np.diag(d) + np.diag(e[:-1], 1) + np.diag(e[:-1], -1)
        dd, ee = d.astype(dtype), e.astype(dtype)
        q = np.zeros((n, n), dtype=dtype, order="F")
        assert _eigen.stedc(dd, ee, q, 2) == 0
        assert np.all(np.diff(dd) >= 0), name
        tn = np.abs(t).sum(0).max()
        assert np.abs(t @ q - q * dd).sum(0).max() / (n * eps * tn) < 60, name
        assert np.abs(q.T.astype(float) @ q - np.eye(n)).sum(0).max() / (n * eps) < 60, name
