"""CP-ALS: planted tensors recovered (factors up to permutation and scale), the contract."""

import warnings

import numpy as np
import pytest
from lamina_tensor import CP

import lamina
import lamina.testing


@pytest.mark.parametrize("shape, rank", [((12, 10, 8), 3), ((8, 7, 6, 5), 4),
                                         ((40, 9, 7), 5)])
@pytest.mark.parametrize("init", ["svd", "random"])
def test_recovers_planted_tensor(planted, shape, rank, init):
    x, factors = planted.cp(shape, rank)
    model = CP(rank=rank, init=init, tol=1e-14, max_iter=2000, random_state=0).fit(x)
    assert model.converged_
    assert model.reconstruction_error_ < 1e-7, model.reconstruction_error_
    assert model.fit_ == pytest.approx(1 - model.reconstruction_error_)
    for a, a_true in zip(model.factors_, factors, strict=True):
        np.testing.assert_allclose(np.linalg.norm(a, axis=0), 1.0, rtol=1e-12)
        assert planted.congruence(a, a_true) > 1 - 1e-8
    assert np.all(np.diff(model.weights_) <= 0)            # largest first


def test_noisy_tensor_fit_reaches_noise_level(planted):
    x, factors = planted.cp((15, 12, 10), 3, noise=0.1, seed=2)
    model = CP(rank=3).fit(x)
    assert model.reconstruction_error_ < 0.1
    for a, a_true in zip(model.factors_, factors, strict=True):
        assert planted.congruence(a, a_true) > 0.99


def test_float32(planted):
    x, _ = planted.cp((10, 9, 8), 2)
    model = CP(rank=2, tol=1e-7).fit(x.astype(np.float32))
    assert model.weights_.dtype == np.float32
    assert all(a.dtype == np.float32 for a in model.factors_)
    assert model.transform(x.astype(np.float32)).dtype == np.float32
    assert model.reconstruction_error_ < 1e-4


def test_transform_and_inverse(planted):
    x, _ = planted.cp((20, 6, 5), 3)
    model = CP(rank=3, tol=1e-14, max_iter=1000).fit(x)
    coef = model.transform(x)
    assert coef.shape == (20, 3)
    np.testing.assert_allclose(coef, model.factors_[0] * model.weights_,
                               atol=1e-8 * np.abs(coef).max())
    np.testing.assert_allclose(model.inverse_transform(coef), x, atol=1e-7 * np.abs(x).max())
    np.testing.assert_allclose(model.fit_transform(x), coef, atol=1e-8 * np.abs(coef).max())


def test_stops_and_warns_at_max_iter(planted):
    x, _ = planted.cp((10, 9, 8), 3, noise=0.2)
    with pytest.warns(lamina.ConvergenceWarning, match="max_iter=2"):
        model = CP(rank=3, max_iter=2, tol=0.0).fit(x)
    assert model.n_iter_ == 2 and not model.converged_


def test_overestimated_rank_and_degenerate_data():
    rng = np.random.default_rng(0)
    x = np.multiply.outer(np.multiply.outer(rng.standard_normal(5), rng.standard_normal(4)),
                          rng.standard_normal(3))                      # rank one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.ConvergenceWarning)
        model = CP(rank=6, max_iter=50, random_state=0).fit(x)        # rank > every size
        zero = CP(rank=2, max_iter=5).fit(np.zeros((3, 3, 3)))
    assert np.isfinite(model.weights_).all()
    assert model.reconstruction_error_ < 1e-6
    assert np.isfinite(zero.reconstruct()).all() and zero.reconstruction_error_ == 0.0


def test_bad_parameters_and_inputs():
    x = np.random.default_rng(0).standard_normal((5, 4, 3))
    for kwargs, exc, match in [({"rank": 0}, ValueError, "rank"),
                               ({"rank": 1.5}, TypeError, "rank"),
                               ({"init": "nndsvd"}, ValueError, "init"),
                               ({"max_iter": 0}, ValueError, "max_iter"),
                               ({"tol": float("nan")}, ValueError, "tol")]:
        with pytest.raises(exc, match=match):
            CP(**kwargs).fit(x)
    model = CP(rank=2).fit(x)
    with pytest.raises(ValueError, match="per-sample shape"):
        model.transform(x[:, :3])
    with pytest.raises(ValueError, match="shape"):
        model.inverse_transform(np.ones((2, 3)))


def test_conformance_kit(planted):
    x, _ = planted.cp((30, 6, 5), 2, noise=0.05)
    lamina.testing.check_decomposition(CP, X=x).raise_for_failures()
    lamina.testing.check_decomposition(CP, params={"init": "random"}, X=x
                                       ).raise_for_failures()
    lamina.testing.check_decomposition(CP).raise_for_failures()
