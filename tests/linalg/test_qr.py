"""Householder QR and qr_multiply: factorization and orthogonality ratios."""

import numpy as np
import pytest

from lamina import linalg as la
from lamina._kernels import _lapack
from tests.conftest import layouts
from tests.linalg._matrices import KINDS, SIZES, THRESHOLD, matrix, qr_ratios

SHAPES = [(n, n) for n in SIZES] + [(0, 3), (3, 0), (5, 2), (2, 5), (10, 3), (3, 10), (50, 10),
                                    (10, 50)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("m, n", SHAPES)
def test_qr_ratios(kind, m, n, dtype, rng):
    a = matrix(kind, m, n, dtype, rng)
    q, r = la.qr(a)
    k = min(m, n)
    assert q.shape == (m, k) and r.shape == (k, n) and q.dtype == dtype
    np.testing.assert_array_equal(np.tril(r, -1), 0)
    fact, orth = qr_ratios(a, q, r)
    assert fact < THRESHOLD and orth < THRESHOLD


@pytest.mark.parametrize("m, n", [(257, 257), (300, 257), (257, 100), (100, 257)])
def test_qr_large(m, n, dtype, rng):
    a = matrix("cond_big", m, n, dtype, rng)
    q, r = la.qr(a, mode="complete")
    assert q.shape == (m, m) and r.shape == (m, n)
    fact, orth = qr_ratios(a, q, r)
    assert fact < THRESHOLD and orth < THRESHOLD


def test_modes(rng):
    a = matrix("cond2", 9, 5, np.float64, rng)
    q, r = la.qr(a)
    np.testing.assert_allclose(la.qr(a, mode="r"), r)
    qc, rc = la.qr(a, mode="complete")
    np.testing.assert_allclose(qc[:, :5], q)
    np.testing.assert_allclose(rc[:5], r)
    np.testing.assert_array_equal(rc[5:], 0)
    h, tau = la.qr(a, mode="raw")
    assert h.shape == (9, 5) and tau.shape == (5,)
    np.testing.assert_allclose(np.triu(h[:5]), r)
    qe, re_ = la.qr(a, mode="economic")
    np.testing.assert_allclose(qe, q)
    with pytest.raises(ValueError, match="mode"):
        la.qr(a, mode="bogus")


def test_pivoting(dtype, rng):
    a = matrix("cond2", 20, 8, dtype, rng) @ np.diag(np.arange(1, 9)).astype(dtype)
    q, r, p = la.qr(a, pivoting=True)
    assert sorted(p) == list(range(8))
    d = np.abs(np.diagonal(r))
    assert np.all(d[:-1] >= d[1:] * (1 - 1e-5))
    fact, orth = qr_ratios(a[:, p], q, r)
    assert fact < THRESHOLD and orth < THRESHOLD


def test_layouts_and_stacks(dtype, rng):
    a = matrix("cond_sqrt", 40, 25, dtype, rng)
    for name, view in layouts(a).items():
        keep = view.copy()
        q, r = la.qr(view)
        fact, orth = qr_ratios(a, q, r)
        assert fact < THRESHOLD and orth < THRESHOLD, name
        np.testing.assert_array_equal(view, keep)
    s = rng.standard_normal((2, 3, 7, 4)).astype(dtype)
    q, r = la.qr(s)
    assert q.shape == (2, 3, 7, 4) and r.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(q @ r, s, atol=1e3 * np.finfo(dtype).eps)


@pytest.mark.parametrize("m, n", [(10, 4), (4, 10), (50, 50), (120, 70)])
def test_qr_multiply(m, n, dtype, rng):
    a = matrix("cond2", m, n, dtype, rng)
    q, r = la.qr(a)
    qc, _ = la.qr(a, mode="complete")
    k = min(m, n)
    tol = 200 * np.finfo(dtype).eps
    c = rng.standard_normal((3, m)).astype(dtype)
    cq, r2 = la.qr_multiply(a, c)
    np.testing.assert_allclose(cq, c @ q, atol=tol * m)
    np.testing.assert_allclose(r2, r, atol=tol * m)
    c = rng.standard_normal((k, 2)).astype(dtype)
    qc_, _ = la.qr_multiply(a, c, mode="left")
    np.testing.assert_allclose(qc_, q @ c, atol=tol * m)
    c = rng.standard_normal(m).astype(dtype)
    qc_, _ = la.qr_multiply(a, c, mode="left")
    np.testing.assert_allclose(qc_, qc @ c, atol=tol * m)
    with pytest.raises(ValueError, match="mode"):
        la.qr_multiply(a, c, mode="up")


def test_ormqr_transpose(rng):
    """Q^T applied by the kernel equals the transpose of the formed Q."""
    a = np.asfortranarray(rng.standard_normal((130, 90)))
    tau = np.zeros(90)
    _lapack.geqrf(a, tau, 1)
    q = np.zeros((130, 130), order="F")
    q[:, :90] = a
    _lapack.orgqr(q, tau, 90, 1)
    c = np.asfortranarray(rng.standard_normal((130, 5)))
    out = c.copy(order="F")
    _lapack.ormqr(True, a, tau, out, 1)
    np.testing.assert_allclose(out, q.T @ c, atol=1e-12)
