"""Randomized SVD: Halko-Martinsson-Tropp's error bound against the exact SVD on
matrices with decaying spectra, the same quality as scikit-learn's, its defaults and sign
convention, sparse input."""

import numpy as np
import pytest

from lamina import linalg as la


def _decaying(m, n, kind, dtype, rng):
    k = min(m, n)
    i = np.arange(k)
    s = {"polynomial": 1.0 / (1 + i) ** 2, "exponential": np.exp(-i / 4),
         "low_rank_noise": np.where(i < 15, 1.0, 1e-3)}[kind]
    u = np.linalg.qr(rng.standard_normal((m, k)))[0]
    v = np.linalg.qr(rng.standard_normal((n, k)))[0]
    return ((u * s) @ v.T).astype(dtype), s


def _spectral_error(a, u, s, vt):
    r = np.asarray(a, np.float64) - (u.astype(np.float64) * s) @ vt.astype(np.float64)
    return np.linalg.norm(r, 2)


@pytest.mark.parametrize("kind", ["polynomial", "exponential", "low_rank_noise"])
@pytest.mark.parametrize("m, n", [(200, 90), (90, 200)])
def test_hmt_bound(kind, m, n, dtype, rng):
    k, p = 10, 10
    a, sigma = _decaying(m, n, kind, dtype, rng)
    for q in (0, "auto"):
        u, s, vt = la.randomized_svd(a, k, n_oversamples=p, n_iter=q, random_state=0)
        assert u.shape == (m, k) and s.shape == (k,) and vt.shape == (k, n)
        assert u.dtype == dtype and s.dtype == dtype
        qq = (7 if k < 0.1 * min(m, n) else 4) if q == "auto" else q
        # HMT (2011) eq. (1.11) for ||A - Q Q^T A|| (failure probability <= 6 p^-p), plus
        # sigma_{k+1} for truncating the projected SVD to rank k (their section 9.3).
        bound = (1 + (1 + 11 * np.sqrt((k + p) * min(m, n))) ** (1 / (2 * qq + 1))) * sigma[k]
        err = _spectral_error(a, u, s, vt)
        assert err <= bound + 100 * np.finfo(dtype).eps, (q, err, bound)
        np.testing.assert_allclose(u.T.astype(np.float64) @ u, np.eye(k),
                                   atol=100 * np.finfo(dtype).eps * m)
        assert np.all(np.diff(s.astype(np.float64)) <= 0)
    # With the default power iterations the leading values are close to exact.
    u, s, vt = la.randomized_svd(a, k, random_state=1)
    np.testing.assert_allclose(s[:5], sigma[:5], rtol=1e-3 if dtype == np.float32 else 1e-6)


@pytest.mark.parametrize("normalizer", ["auto", "LU", "QR", "none"])
def test_same_quality_and_convention_as_scikit_learn(normalizer, rng):
    extmath = pytest.importorskip("sklearn.utils.extmath")
    a, sigma = _decaying(150, 100, "polynomial", np.float64, rng)
    for seed in (0,):
        ours = la.randomized_svd(a, 8, power_iteration_normalizer=normalizer,
                                 random_state=seed)
        theirs = extmath.randomized_svd(a, 8, power_iteration_normalizer=normalizer,
                                        random_state=seed)
        e1, e2 = _spectral_error(a, *ours), _spectral_error(a, *theirs)
        assert e1 <= 1.05 * e2 + 1e-12
        if normalizer == "none":
            continue      # 7 unnormalized power steps: the basis is numerically singular
        # Same test matrix, same algorithm, same sign convention: the same factors.
        for x, y in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(x, y, atol=1e-8)


def test_sign_convention(rng):
    a = rng.standard_normal((40, 30))
    u, s, vt = la.randomized_svd(a, 5, random_state=0)
    cols = np.argmax(np.abs(u), axis=0)
    assert np.all(u[cols, np.arange(5)] > 0)
    u2, s2, vt2 = la.randomized_svd(a, 5, random_state=0, flip_sign=False)
    np.testing.assert_allclose(np.abs(u2), np.abs(u), atol=1e-12)
    np.testing.assert_allclose(u2 * s2 @ vt2, u * s @ vt, atol=1e-12)


def test_sparse_input(rng):
    sp = pytest.importorskip("scipy.sparse")
    dense = sp.random(300, 80, density=0.1, random_state=4, format="csr").toarray()
    for a in (sp.csr_array(dense), sp.csc_matrix(dense), sp.csr_array(dense.T)):
        d = a.toarray()
        ours = la.randomized_svd(a, 6, random_state=2)
        ref = la.randomized_svd(d, 6, random_state=2)
        for x, y in zip(ours, ref, strict=True):
            np.testing.assert_allclose(x, y, atol=1e-10)


def test_random_state_kinds_and_float32(rng):
    a = rng.standard_normal((50, 20)).astype(np.float32)
    r1 = la.randomized_svd(a, 3, random_state=np.random.RandomState(5))
    r2 = la.randomized_svd(a, 3, random_state=5)
    np.testing.assert_array_equal(r1[1], r2[1])
    u, s, vt = la.randomized_svd(a, 3, random_state=np.random.default_rng(1))
    assert u.dtype == np.float32
    la.randomized_svd(a, 3)      # global RandomState


def test_errors(rng):
    a = rng.standard_normal((10, 6))
    with pytest.raises(ValueError, match="n_components"):
        la.randomized_svd(a, 0)
    with pytest.raises(ValueError, match="n_components"):
        la.randomized_svd(a, 7)
    with pytest.raises(ValueError, match="power_iteration_normalizer"):
        la.randomized_svd(a, 2, power_iteration_normalizer="qr")
    with pytest.raises(ValueError, match="n_iter"):
        la.randomized_svd(a, 2, n_iter=-1)
    with pytest.raises(ValueError, match="random_state"):
        la.randomized_svd(a, 2, random_state="seed")
    with pytest.raises(ValueError, match="NaN|finite"):
        la.randomized_svd(np.full((3, 3), np.nan), 1)
