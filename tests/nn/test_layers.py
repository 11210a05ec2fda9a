"""lamina.nn layers: finite-difference gradients, outputs against NumPy formulas, errors."""

import math

import numpy as np
import pytest

import lamina.nn as nn
from lamina.nn import gradcheck

LAYERS = [
    lambda: nn.Dense(4, random_state=0),
    lambda: nn.Dense(4, activation="relu", random_state=0),
    lambda: nn.Dense(4, activation="sigmoid", random_state=0),
    lambda: nn.Dense(4, activation="tanh", random_state=0),
    lambda: nn.Dense(4, activation="gelu", random_state=0),
    lambda: nn.Dense(4, use_bias=False, init="xavier", random_state=0),
    nn.ReLU, lambda: nn.LeakyReLU(0.2), nn.Sigmoid, nn.Tanh, nn.GELU, nn.Softmax,
    lambda: nn.Dropout(0.3, random_state=0), nn.BatchNorm1d, nn.LayerNorm, nn.Flatten,
]


@pytest.mark.parametrize("make", LAYERS, ids=lambda f: repr(f()))
def test_gradcheck_every_layer(make):
    x = np.random.default_rng(1).standard_normal((6, 5)) + 0.05
    report = gradcheck(make(), x)
    assert report.ok, str(report)


def test_gradcheck_whole_model():
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.BatchNorm1d(),
                           nn.Dense(6, activation="gelu"), nn.LayerNorm(),
                           nn.Dropout(0.25, random_state=3), nn.Dense(3)],
                          dtype=np.float64, random_state=0)
    assert gradcheck(model, np.random.default_rng(2).standard_normal((7, 5))).ok


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(nn.Tanh):
        def backward(self, grad):
            return super().backward(grad) * 1.01

    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck(Wrong(), np.random.default_rng(0).standard_normal((3, 4)))


def test_gradcheck_rejects_float32():
    layer = nn.Dense(2)
    layer.build((3,), np.float32)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(layer, np.ones((2, 3)))


def _erf(v):
    return np.vectorize(math.erf)(v)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_outputs_match_formulas(dtype):
    x = np.linspace(-30, 30, 301).astype(dtype)[None, :]
    tol = dict(rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-7)
    np.testing.assert_allclose(nn.ReLU()(x), np.maximum(x, 0), **tol)
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x), np.where(x >= 0, x, 0.1 * x), **tol)
    np.testing.assert_allclose(nn.Sigmoid()(x), 1 / (1 + np.exp(-x.astype(np.float64))), **tol)
    np.testing.assert_allclose(nn.Tanh()(x), np.tanh(x), **tol)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(nn.GELU()(x), 0.5 * x64 * (1 + _erf(x64 / np.sqrt(2))), **tol)
    s = nn.Softmax()(x)
    e = np.exp(x64 - x64.max())
    np.testing.assert_allclose(s, e / e.sum(), rtol=1e-5, atol=1e-12)
    assert nn.ReLU()(x).dtype == dtype


def test_relu_propagates_nan():
    assert np.isnan(nn.ReLU()(np.array([[np.nan, 1.0]]))[0, 0])


def test_dense_matches_numpy_and_init_scale():
    layer = nn.Dense(300, activation="relu", random_state=0)
    x = np.random.default_rng(0).standard_normal((5, 200)).astype(np.float32)
    y = layer(x)
    np.testing.assert_allclose(y, np.maximum(x @ layer.weight + layer.bias, 0), rtol=1e-5,
                               atol=1e-5)
    assert abs(layer.weight.std() - math.sqrt(2 / 200)) < 0.01          # He
    xavier = nn.Dense(300, random_state=0)
    xavier.build((200,), np.float64)
    assert abs(np.abs(xavier.weight).max() - math.sqrt(6 / 500)) < 0.01  # Glorot uniform


def test_dropout_inverted_scaling_and_seed():
    x = np.ones((200, 100))
    d = nn.Dropout(0.4, random_state=7)
    y = d(x, training=True)
    assert set(np.unique(y)) <= {0.0, 1 / 0.6}
    assert abs((y == 0).mean() - 0.4) < 0.02
    np.testing.assert_array_equal(d(x, training=False), x)
    y2 = nn.Dropout(0.4, random_state=7)(x, training=True)
    np.testing.assert_array_equal(y, y2)


def test_batchnorm_running_statistics():
    bn = nn.BatchNorm1d(momentum=0.5)
    x = np.random.default_rng(0).normal(3.0, 2.0, (500, 4))
    out = bn(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(bn.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    inference = bn(x, training=False)
    expected = (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    np.testing.assert_allclose(inference, expected)


def test_layer_errors_name_layer_and_shapes():
    layer = nn.Dense(3)
    with pytest.raises(RuntimeError, match="not built"):
        layer.parameters()
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Dense.*\(batch, 4\).*\(2, 5\)"):
        layer(np.ones((2, 5)))
    relu = nn.ReLU()
    relu.build((3,))
    with pytest.raises(RuntimeError, match="before forward"):
        relu.backward(np.ones((1, 3)))
    fresh = nn.Dense(2)
    fresh.build((3,))
    with pytest.raises(RuntimeError, match="backward"):
        fresh.backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="units"):
        nn.Dense(0)
    with pytest.raises(ValueError, match="activation"):
        nn.Dense(3, activation="swish")
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match="Flatten"):
        nn.Dense(2).build((3, 4))


def test_state_dict_round_trip():
    a = nn.Dense(3, random_state=0)
    a.build((4,))
    b = nn.Dense(3, random_state=1)
    b.build((4,))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight, b.weight)
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"weight": a.weight})
    with pytest.raises(ValueError, match="shape"):
        b.load_state_dict({"weight": np.ones((2, 2)), "bias": a.bias})


def test_registry_lists_core_layers():
    names = nn.available_layers()
    for name in ("dense", "relu", "dropout", "batch_norm_1d", "layer_norm", "flatten"):
        assert name in names
    assert nn.get_layer("dense") is nn.Dense
    with pytest.raises(LookupError, match="available layers"):
        nn.get_layer("no_such_layer")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_tanh_accuracy_on_every_isa(dtype):
    # the vectorized exp kernels (lamina_act.h): a few ulp everywhere, special values exact
    from lamina._kernels import _runtime

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-60, 60, 4000), rng.uniform(-1e-3, 1e-3, 1000),
                        [0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30, 20.0, -20.0, 800.0]])
    x = x.astype(dtype)[None, :]
    x64 = x.astype(np.float64)
    refs = {"sigmoid": 1 / (1 + np.exp(-x64)), "tanh": np.tanh(x64)}
    old = _runtime.isa_name()
    try:
        for isa in _runtime.available_isas():
            _runtime.set_isa(isa)
            for name, layer in (("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh())):
                y = layer(x)
                ref = refs[name].astype(dtype)
                ulp = np.abs(y.astype(np.float64) - ref) / np.spacing(np.abs(ref))
                assert ulp.max() <= 4, (isa, name, float(ulp.max()))
                if name == "tanh":               # tanh(-0) = -0
                    zero = x[0] == 0
                    assert np.signbit(y[0, zero]).tolist() == np.signbit(x[0, zero]).tolist()
            assert np.isnan(nn.Sigmoid()(np.array([[np.nan]], dtype)))[0, 0]
            assert np.isnan(nn.Tanh()(np.array([[np.nan]], dtype)))[0, 0]
    finally:
        _runtime.set_isa(old)


def test_float32_gelu_and_its_gradient_on_every_isa():
    # float32 GELU (lamina_act.h): about an ulp against x Phi(x) with an exact erfc,
    # including the far negative tail that 1 + erf(x / sqrt 2) would cancel away
    from lamina._kernels import _nn, _runtime

    x = np.concatenate([np.linspace(-40, 40, 20001), [0.0, -0.0, np.inf]]).astype(np.float32)
    x64 = x.astype(np.float64)
    erfc = np.vectorize(math.erfc)
    with np.errstate(invalid="ignore", over="ignore"):
        ref = 0.5 * x64 * erfc(-x64 / np.sqrt(2))
    g = np.linspace(-2, 2, x.size).astype(np.float32)
    cdf = 0.5 * erfc(-x64[:-1] / np.sqrt(2))
    ref_grad = g[:-1] * (cdf + x64[:-1] * np.exp(-0.5 * x64[:-1] ** 2) / np.sqrt(2 * np.pi))
    old = _runtime.isa_name()
    try:
        for isa in _runtime.available_isas():
            _runtime.set_isa(isa)
            y = nn.GELU()(x[None, :])[0]
            ok = np.isfinite(ref) & (np.abs(ref) > 1e-37)
            ulp = np.abs(y[ok] - ref[ok]) / np.spacing(np.abs(ref[ok]).astype(np.float32))
            assert ulp.max() <= 4, (isa, float(ulp.max()))
            assert y[-1] == np.inf and y[-3] == 0
            out = np.empty(x.size - 1, np.float32)
            _nn.activation_backward(4, x[:-1], x[:-1], g[:-1], out, 0.0, 1)
            np.testing.assert_allclose(out, ref_grad, rtol=1e-6, atol=3e-7)
    finally:
        _runtime.set_isa(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(1, 5), (64, 33), (65, 7), (300, 40), (1000, 200), (3, 0),
                                  (0, 4)])
def test_column_sums_blocked_order_any_threads(dtype, m, n):
    """The bias gradient: blocks of 64 rows summed in row order, then the blocks in
    order -- the same bits for 1 and 2 threads, equal to that order computed by NumPy,
    close to the float64 sum."""
    from lamina._kernels import _nn
    rng = np.random.default_rng(m * 1000 + n)
    a = rng.standard_normal((m, n)).astype(dtype)
    one, two = np.full(n, np.nan, dtype), np.full(n, np.nan, dtype)
    _nn.column_sums(a, one, 1)
    _nn.column_sums(a, two, 2)
    np.testing.assert_array_equal(one, two)
    want = np.zeros(n, dtype)
    for b0 in range(0, m, 64):
        part = a[b0].copy()
        for row in a[b0 + 1:b0 + 64]:
            part += row
        want = part if b0 == 0 else want + part
    np.testing.assert_array_equal(one, want)
    np.testing.assert_allclose(one, a.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="out has length"):
        _nn.column_sums(a, np.empty(n + 1, dtype), 1)
