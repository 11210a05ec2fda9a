"""Element-wise losses and penalties: NumPy formulas, finite differences, options, errors."""

import numpy as np
import pytest

from lamina import losses
from lamina._kernels import _losses, _runtime
from tests.conftest import layouts


def _sig(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


# name -> (target maker, kwargs, loss formula, gradient formula) in float64 NumPy
def _formulas():
    return {
        "mse": (lambda r, s: r.standard_normal(s), {},
                lambda x, t: (x - t) ** 2, lambda x, t: 2 * (x - t)),
        "mae": (lambda r, s: r.standard_normal(s), {},
                lambda x, t: np.abs(x - t), lambda x, t: np.sign(x - t)),
        "huber": (lambda r, s: r.standard_normal(s), {"delta": 0.7},
                  lambda x, t: np.where(np.abs(x - t) <= 0.7, 0.5 * (x - t) ** 2,
                                        0.7 * (np.abs(x - t) - 0.35)),
                  lambda x, t: np.clip(x - t, -0.7, 0.7)),
        "smooth_l1": (lambda r, s: r.standard_normal(s), {"beta": 0.5},
                      lambda x, t: np.where(np.abs(x - t) < 0.5, (x - t) ** 2 / 1.0,
                                            np.abs(x - t) - 0.25),
                      lambda x, t: np.clip((x - t) / 0.5, -1, 1)),
        "log_cosh": (lambda r, s: r.standard_normal(s), {},
                     lambda x, t: np.log(np.cosh(x - t)), lambda x, t: np.tanh(x - t)),
        "sigmoid_binary_cross_entropy": (
            lambda r, s: r.random(s), {"pos_weight": 1.5},
            lambda x, t: -(1.5 * t * np.log(_sig(x)) + (1 - t) * np.log(1 - _sig(x))),
            lambda x, t: 1.5 * t * (_sig(x) - 1) + (1 - t) * _sig(x)),
        "hinge": (lambda r, s: np.where(r.random(s) < 0.5, -1.0, 1.0), {},
                  lambda x, t: np.maximum(0, 1 - t * x),
                  lambda x, t: np.where(1 - t * x > 0, -t, 0)),
        "kl_divergence": (lambda r, s: np.where(r.random(s) < 0.2, 0.0, r.random(s)), {},
                          lambda x, t: np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0),
                          lambda x, t: -t),
    }


FORMULAS = _formulas()
NAMES = sorted(FORMULAS)


def _reference(name, x, t, reduction, sample_weight=None):
    _, _, lf, gf = FORMULAS[name]
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    n = x.shape[0]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    w = sw.reshape((n,) + (1,) * (x.ndim - 1))
    loss, grad = lf(x64, t64) * w, gf(x64, t64) * w
    per_row = name == "kl_divergence" and x.ndim > 1
    denom = sw.sum() * (1 if per_row else x[0].size if x.ndim > 1 else 1)
    if reduction == "mean":
        return loss.sum() / denom, grad / denom
    if reduction == "sum":
        return loss.sum(), grad
    return loss, grad


def _call(name, x, t, **kw):
    _, kwargs, _, _ = FORMULAS[name]
    return getattr(losses, name)(x, t, **kwargs, **kw)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(1,), (37,), (6, 5), (3, 4, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_numpy(name, shape, reduction, rng):
    x = 2 * rng.standard_normal(shape)
    t = FORMULAS[name][0](rng, shape)
    for sw in (None, rng.random(shape[0])):
        loss, grad = _call(name, x, t, reduction=reduction, sample_weight=sw)
        ref_loss, ref_grad = _reference(name, x, t, reduction, sw)
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-13, atol=1e-15)
        assert grad.shape == shape


@pytest.mark.parametrize("name", NAMES)
def test_every_isa_and_float32(name, isa, rng):
    x = (2 * rng.standard_normal((50, 41))).astype(np.float32)
    t = FORMULAS[name][0](rng, x.shape).astype(np.float32)
    loss, grad = _call(name, x, t, reduction="none")
    ref_loss, ref_grad = _reference(name, x, t, "none")
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(loss, ref_loss, rtol=8 * eps, atol=8 * eps)
    np.testing.assert_allclose(grad, ref_grad, rtol=8 * eps, atol=8 * eps)
    total, _ = _call(name, x, t, reduction="sum")
    assert abs(float(total) - ref_loss.sum()) <= 64 * eps * np.abs(ref_loss).sum()


@pytest.mark.parametrize("name", NAMES)
def test_finite_differences(name, rng):
    x = 2 * rng.standard_normal((4, 3))
    t = FORMULAS[name][0](rng, x.shape)
    if name in ("mae", "huber", "smooth_l1", "hinge"):
        x += 0.05 * np.sign(x)           # keep away from the kinks
    sw = rng.random(4)
    _, grad = _call(name, x, t, sample_weight=sw)
    h = 1e-6
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        fd[idx] = (float(_call(name, xp, t, sample_weight=sw)[0])
                   - float(_call(name, xm, t, sample_weight=sw)[0])) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_grad_out_layouts_and_threads(name, rng):
    x = rng.standard_normal((7, 6))
    t = FORMULAS[name][0](rng, x.shape)
    ref_loss, ref_grad = _call(name, x, t)
    for key, view in layouts(x).items():
        out = layouts(np.full_like(x, np.nan))[key]
        loss, grad = _call(name, view, layouts(t)[key], grad_out=out)
        assert grad is out
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-14, err_msg=key)
        np.testing.assert_allclose(out, ref_grad, rtol=1e-14, err_msg=key)
    big = rng.standard_normal((300, 500))
    tb = FORMULAS[name][0](rng, big.shape)
    l1, g1 = _call(name, big, tb, n_threads=1)
    l2, g2 = _call(name, big, tb, n_threads=2)
    assert l1 == l2
    np.testing.assert_array_equal(g1, g2)


def test_log_cosh_accurate_near_zero_and_large():
    d = np.array([1e-8, 1e-4, 0.3, 0.999, 1.001, 30.0, 800.0])
    loss, grad = losses.log_cosh(d, np.zeros_like(d), reduction="none")
    exact = np.array([5e-17, 0.5e-8 - 1e-16 / 12, np.log(np.cosh(0.3)), np.log(np.cosh(0.999)),
                      np.log(np.cosh(1.001)), np.log(np.cosh(30.0)), 800 - np.log(2)])
    np.testing.assert_allclose(loss, exact, rtol=4e-16)
    np.testing.assert_allclose(grad, np.tanh(d), rtol=4e-16)
    np.testing.assert_allclose(_losses.log_cosh_ref(d[2:]), exact[2:], rtol=1e-15)
    loss32, _ = losses.log_cosh(d.astype(np.float32), np.zeros(7, np.float32), reduction="none")
    np.testing.assert_allclose(loss32, exact, rtol=4 * np.finfo(np.float32).eps)


def test_bce_extreme_logits_and_multilabel_pos_weight(rng):
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    loss, grad = losses.sigmoid_binary_cross_entropy(x, np.array([1.0, 0, 1, 1, 0]),
                                                     reduction="none")
    np.testing.assert_allclose(loss, [1e4, np.log1p(np.exp(-50)), np.log(2), np.log1p(np.exp(-50)),
                                      1e4], rtol=1e-15)
    np.testing.assert_allclose(grad, [-1, np.exp(-50) / (1 + np.exp(-50)), -0.5,
                                      -np.exp(-50) / (1 + np.exp(-50)), 1], rtol=1e-15)
    x = rng.standard_normal((5, 3))
    t = (rng.random((5, 3)) > 0.5).astype(float)
    pw = np.array([0.5, 1.0, 3.0])
    loss, grad = losses.sigmoid_binary_cross_entropy(x, t, pos_weight=pw, reduction="sum")
    ref = -(pw * t * np.log(_sig(x)) + (1 - t) * np.log(1 - _sig(x)))
    np.testing.assert_allclose(loss, ref.sum(), rtol=1e-14)
    np.testing.assert_allclose(grad, pw * t * (_sig(x) - 1) + (1 - t) * _sig(x), rtol=1e-13)


def test_multiclass_hinge(rng):
    x = rng.standard_normal((20, 5))
    y = rng.integers(0, 5, 20)
    rows = np.arange(20)
    others = x.copy()
    others[rows, y] = -np.inf
    j = others.argmax(axis=1)
    margin = 1 + others[rows, j] - x[rows, y]
    sw = rng.random(20)
    loss, grad = losses.hinge(x, y, sample_weight=sw)
    np.testing.assert_allclose(loss, np.sum(sw * np.maximum(margin, 0)) / sw.sum(), rtol=1e-14)
    ref = np.zeros_like(x)
    active = margin > 0
    ref[rows[active], j[active]] = sw[active] / sw.sum()
    ref[rows[active], y[active]] = -sw[active] / sw.sum()
    np.testing.assert_allclose(grad, ref, rtol=1e-14)
    with pytest.raises(ValueError, match=r"target\[0\] = 5"):
        losses.hinge(x, np.full(20, 5))


def test_penalties(rng):
    w = rng.standard_normal((4, 5))
    w[0, 0] = 0.0
    value, grad = losses.l2_penalty(w, 0.3)
    np.testing.assert_allclose(value, 0.15 * np.sum(w * w), rtol=1e-14)
    np.testing.assert_allclose(grad, 0.3 * w, rtol=1e-15)
    value, grad = losses.l1_penalty(w, 0.3)
    np.testing.assert_allclose(value, 0.3 * np.abs(w).sum(), rtol=1e-14)
    np.testing.assert_array_equal(grad, 0.3 * np.sign(w))
    assert grad[0, 0] == 0
    value, grad = losses.elastic_net_penalty(w, 0.3, 0.25)
    np.testing.assert_allclose(value, 0.3 * (0.25 * np.abs(w).sum() + 0.375 * np.sum(w * w)),
                               rtol=1e-14)
    np.testing.assert_allclose(grad, 0.3 * (0.25 * np.sign(w) + 0.75 * w), rtol=1e-14)
    # accumulate into an existing gradient, in every layout
    for key, view in layouts(np.ones_like(w)).items():
        v, g = losses.l2_penalty(w, 2.0, grad_out=view)
        assert g is view
        np.testing.assert_allclose(view, 1 + 2 * w, rtol=1e-15, err_msg=key)
    w32 = w.astype(np.float32)
    v, g = losses.elastic_net_penalty(w32, 0.5)
    assert g.dtype == np.float32 and isinstance(v, np.float32)
    with pytest.raises(ValueError, match="lam"):
        losses.l2_penalty(w, -1.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        losses.elastic_net_penalty(w, 1.0, 1.5)
    with pytest.raises(ValueError, match="NaN"):
        losses.l1_penalty(np.array([1.0, np.nan]), 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_errors(name):
    fn = getattr(losses, name)
    with pytest.raises(ValueError, match="shape"):
        fn(np.zeros((3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        fn(np.zeros(3), FORMULAS[name][0](np.random.default_rng(0), 3),
           sample_weight=[1.0, -0.5, 1.0])
    with pytest.raises(ValueError, match="length"):
        fn(np.zeros(3), FORMULAS[name][0](np.random.default_rng(0), 3), sample_weight=[1.0])
    with pytest.raises(ValueError, match="reduction"):
        fn(np.zeros(3), FORMULAS[name][0](np.random.default_rng(0), 3), reduction="batchmean")
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([0.5, np.nan]), FORMULAS[name][0](np.random.default_rng(0), 2))
    with pytest.raises(ValueError, match="grad_out"):
        fn(np.zeros(3), FORMULAS[name][0](np.random.default_rng(0), 3), grad_out=np.zeros(2))


def test_target_kind_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.sigmoid_binary_cross_entropy(np.zeros(2), [0.5, 2.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.hinge(np.zeros(2), [0.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        losses.kl_divergence(np.zeros(2), [0.5, -0.5])
    with pytest.raises(ValueError, match="NaN"):
        losses.kl_divergence(np.zeros(2), [0.5, np.nan])
    with pytest.raises(ValueError, match="delta"):
        losses.huber(np.zeros(2), np.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match="pos_weight"):
        losses.sigmoid_binary_cross_entropy(np.zeros((2, 3)), np.zeros((2, 3)),
                                            pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="pos_weight"):
        losses.sigmoid_binary_cross_entropy(np.zeros(2), np.zeros(2), pos_weight=-1.0)
    with pytest.raises(ValueError, match="undefined"):
        losses.mse(np.array([np.inf]), np.array([np.inf]))


@pytest.mark.parametrize("fn", ["exp", "log", "expm1", "log1p"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vectorized_math_accuracy(fn, dtype):
    rng = np.random.default_rng(3)
    if fn == "exp":
        x = rng.uniform(-740 if dtype == np.float64 else -100, 700 if dtype == np.float64 else 88,
                        20000)
        special = [-np.inf, np.inf, np.nan, -1e4, 1e4, 0.0]
    elif fn == "expm1":
        x = rng.uniform(-5, 5, 20000)
        special = [-np.inf, np.nan, 1e-20, -1e4, 0.0]
    else:
        x = np.exp(rng.uniform(-700 if dtype == np.float64 else -87, 700 if dtype == np.float64
                               else 88, 20000))
        special = [0.0, -1.0, np.inf, np.nan, 1e-310 if dtype == np.float64 else 1e-40, 1e-20]
    x = np.concatenate([x, special]).astype(dtype)
    out = np.empty_like(x)
    _losses.vmath(fn, x, out)
    with np.errstate(all="ignore"):
        ref = getattr(np, fn)(x.astype(np.float64))
    same_special = np.isnan(out) == np.isnan(ref)
    assert same_special.all()
    finite = np.isfinite(ref) & (np.abs(ref) > np.finfo(dtype).tiny)
    np.testing.assert_array_equal(out[~np.isfinite(ref)], ref[~np.isfinite(ref)].astype(dtype))
    ulp = np.abs(out[finite] - ref[finite]) / np.spacing(np.abs(ref[finite]).astype(dtype))
    assert ulp.max() <= 2.0


@pytest.mark.parametrize(("dtype", "fn"), [(np.float32, "exp_nonpos"),
                                           (np.float64, "exp_nonpos"),
                                           (np.float64, "exp_nonpos_avx512")])
def test_exp_for_nonpositive_arguments(dtype, fn):
    # the softmax's exp(x - max): x <= 0 only, subnormal results and -inf included
    rng = np.random.default_rng(4)
    low = -750.0 if dtype == np.float64 else -110.0
    # the table-driven AVX-512 kernel: every table slot (k mod 16), both signs of r, and
    # lengths that are not a multiple of its 8 lanes
    grid = -np.arange(0, 2000) * (np.log(2.0) / 32.0)
    x = np.concatenate([rng.uniform(low, 0, 40000), rng.uniform(-1, 0, 5000), grid,
                        rng.uniform(-745.2, -708.0, 2001),
                        [-np.inf, np.nan, 0.0, -0.0, -1e4, -1e30, low, -745.13, -745.14]])
    x = x.astype(dtype)
    out = np.empty_like(x)
    if fn == "exp_nonpos_avx512" and "avx512" not in _runtime.available_isas():
        pytest.skip("no AVX-512 on this CPU")
    _losses.vmath(fn, x, out)
    with np.errstate(all="ignore"):
        ref = np.exp(x.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    ok = ~np.isnan(ref)
    info = np.finfo(dtype)
    normal = ok & (ref >= info.tiny)
    ulp = np.abs(out[normal] - ref[normal]) / np.spacing(ref[normal].astype(dtype))
    assert ulp.max() <= 2.0
    # subnormal and zero results: within one unit of the smallest subnormal
    small = ok & (ref < info.tiny)
    assert small.sum() > 100
    assert np.abs(out[small] - ref[small]).max() <= float(info.smallest_subnormal)
    assert out[x == -np.inf][0] == 0 and out[x == 0][0] == 1


def test_compiled_loss_kernels_refuse_mismatched_arrays():
    """The compiled kernels check their arrays against each other themselves (the public
    functions do too), so a direct call can never read or write past an array's end."""
    p, t, g = np.ones(6), np.zeros(6), np.empty(6)
    with pytest.raises(ValueError, match="t 5"):
        _losses.elementwise(0, p, t[:5], 0.0, None, None, 3, 1.0, g, False, None, 1)
    with pytest.raises(ValueError, match="lout 4"):
        _losses.elementwise(0, p, t, 0.0, None, None, 3, 1.0, g, False, np.empty(4), 1)
    with pytest.raises(ValueError, match="rows of k = 4"):
        _losses.elementwise(0, p, t, 0.0, None, None, 4, 1.0, g, False, None, 1)
    with pytest.raises(ValueError, match="rows of k = 3"):
        _losses.elementwise(0, p, t, 0.0, None, np.ones(3), 3, 1.0, g, False, None, 1)
    x = np.zeros((4, 3))
    labels = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="must match"):
        _losses.hinge_multiclass(x, labels[:3], None, 1.0, np.empty((4, 3)), np.empty(4), 1)
    with pytest.raises(ValueError, match=r"target\[2\] = 3 is not a class index"):
        _losses.hinge_multiclass(x, np.array([0, 1, 3, 1]), None, 1.0, np.empty((4, 3)),
                                 np.empty(4), 1)
    with pytest.raises(ValueError, match="out has 2 elements"):
        _losses.vmath("exp", np.ones(3), np.empty(2))
