"""Tucker (HOSVD, HOOI): planted tensors recovered, the estimator contract, errors."""

import numpy as np
import pytest
from lamina_tensor import Tucker, fold, khatri_rao, mode_dot, multi_mode_dot, unfold

import lamina.testing


def subspace_gap(u, v):
    return np.linalg.norm(u @ u.T - v @ v.T, 2)


def test_tensor_helpers_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 6))
    for mode in range(3):
        m = rng.standard_normal((3, x.shape[mode]))
        expected = np.moveaxis(np.tensordot(m, x, axes=(1, mode)), 0, mode)
        np.testing.assert_allclose(mode_dot(x, m, mode), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mode_dot(x, m.T, mode, transpose=True), expected,
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(fold(unfold(x, mode), mode, x.shape), x)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    kr = khatri_rao([a, b])
    for r in range(2):
        np.testing.assert_allclose(kr[:, r], np.kron(a[:, r], b[:, r]))
    # MTTKRP identity: unfold(X, 0) @ kr(B, C) == einsum
    c = rng.standard_normal((5, 2))
    y = rng.standard_normal((6, 4, 5))
    np.testing.assert_allclose(unfold(y, 0) @ khatri_rao([b, c]),
                               np.einsum("ijk,jr,kr->ir", y, b, c), rtol=1e-12)
    ms = [rng.standard_normal((2, n)) for n in x.shape]
    expected = np.einsum("ijk,ai,bj,ck->abc", x, *ms)
    np.testing.assert_allclose(multi_mode_dot(x, ms), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["hosvd", "hooi"])
@pytest.mark.parametrize("shape, ranks", [((12, 10, 8), (3, 4, 2)),
                                          ((9, 7, 6, 5), (2, 3, 2, 2)),
                                          ((30, 12), (4, 4))])
def test_recovers_planted_tensor(planted, method, shape, ranks):
    x, _, factors = planted.tucker(shape, ranks)
    model = Tucker(rank=ranks, method=method).fit(x)
    assert model.rank_ == ranks
    assert model.core_.shape == ranks
    assert model.reconstruction_error_ < 1e-12
    np.testing.assert_allclose(model.reconstruct(), x, atol=1e-12 * np.abs(x).max())
    for u, u_true in zip(model.factors_, factors, strict=True):
        np.testing.assert_allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-12)
        assert subspace_gap(u, u_true) < 1e-10


def test_hooi_improves_on_hosvd_with_noise(planted):
    x, _, factors = planted.tucker((20, 15, 12), (3, 3, 3), noise=0.3, seed=1)
    hosvd = Tucker(rank=3, method="hosvd").fit(x)
    hooi = Tucker(rank=3, method="hooi").fit(x)
    assert hooi.reconstruction_error_ <= hosvd.reconstruction_error_ + 1e-12
    assert hooi.n_iter_ >= 1 and hosvd.n_iter_ == 0
    # the planted subspaces are found despite the noise
    for u, u_true in zip(hooi.factors_, factors, strict=True):
        assert subspace_gap(u, u_true) < 0.2
    # and the error is the noise level (relative noise 0.3 -> error ~0.29 after projection)
    assert hooi.reconstruction_error_ < 0.3


def test_float32_is_preserved(planted):
    x, _, _ = planted.tucker((10, 9, 8), (2, 3, 2))
    model = Tucker(rank=(2, 3, 2)).fit(x.astype(np.float32))
    assert model.core_.dtype == np.float32
    assert all(u.dtype == np.float32 for u in model.factors_)
    assert model.transform(x.astype(np.float32)).dtype == np.float32
    assert model.reconstruction_error_ < 1e-5


def test_transform_inverse_transform(planted):
    x, _, _ = planted.tucker((16, 7, 6), (4, 3, 2))
    model = Tucker(rank=(4, 3, 2)).fit(x)
    t = model.transform(x)
    assert t.shape == (16, 3, 2)
    np.testing.assert_allclose(model.inverse_transform(t), x, atol=1e-12 * np.abs(x).max())
    np.testing.assert_allclose(model.fit_transform(x), t)
    new = x[:5] * 2.0                                      # new samples, same subspaces
    np.testing.assert_allclose(model.inverse_transform(model.transform(new)), new,
                               atol=1e-11 * np.abs(new).max())


def test_rank_handling():
    x = np.random.default_rng(0).standard_normal((6, 5, 2))
    assert Tucker(rank=4).fit(x).rank_ == (4, 4, 2)
    assert Tucker().fit(x).rank_ == (6, 5, 2)
    assert Tucker().fit(x).reconstruction_error_ < 1e-12
    # r_0 <= r_1 * r_2 = 2 is implied
    assert Tucker(rank=(6, 1, 2)).fit(x).rank_ == (2, 1, 2)
    with pytest.raises(ValueError, match="exceeds the size"):
        Tucker(rank=(2, 6, 2)).fit(x)
    with pytest.raises(ValueError, match="3 axes"):
        Tucker(rank=(2, 2)).fit(x)
    with pytest.raises(ValueError, match="rank"):
        Tucker(rank=0).fit(x)
    with pytest.raises(TypeError, match="rank"):
        Tucker(rank=2.5).fit(x)
    with pytest.raises(ValueError, match="method"):
        Tucker(method="svd").fit(x)
    with pytest.raises(ValueError, match="tol"):
        Tucker(tol=-1.0).fit(x)


def test_bad_inputs():
    x = np.random.default_rng(0).standard_normal((6, 5, 4))
    model = Tucker(rank=2).fit(x)
    with pytest.raises(ValueError, match="per-sample shape"):
        model.transform(x[:, :, :3])
    with pytest.raises(ValueError, match="shape"):
        model.inverse_transform(np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        Tucker().fit(np.full((3, 3), np.nan))
    with pytest.raises(TypeError, match="complex"):
        Tucker().fit(np.ones((3, 3), complex))
    with pytest.raises(ValueError, match="2 axes"):
        Tucker().fit(np.ones(3))
    with pytest.raises(lamina.decomposition.NotFittedError):
        Tucker().transform(x)
    before = x.copy()
    Tucker(rank=2).fit(x)
    np.testing.assert_array_equal(x, before)


def test_zero_tensor():
    model = Tucker(rank=2).fit(np.zeros((4, 3, 3)))
    assert model.reconstruction_error_ == 0.0
    np.testing.assert_array_equal(model.reconstruct(), 0.0)


@pytest.mark.parametrize("method", ["hooi", "hosvd"])
def test_conformance_kit(planted, method):
    x, _, _ = planted.tucker((30, 6, 5), (3, 3, 2), noise=0.05)
    report = lamina.testing.check_decomposition(Tucker, params={"method": method}, X=x)
    report.raise_for_failures()
    # and on the kit's default (matrix) data
    lamina.testing.check_decomposition(Tucker, params={"method": method}).raise_for_failures()
