"""Conv2D against a direct NumPy convolution, PyTorch (when installed) and check_layer."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lamina_conv import Conv2D, MaxPool2D

import lamina.testing


def reference_conv(x, w, b, stride, pads, dilation, groups):
    """Direct cross-correlation: one einsum per kernel offset and group (test oracle)."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c, hp, wp = xp.shape
    o, cg, kh_n, kw_n = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (hp - dh * (kh_n - 1) - 1) // sh + 1
    ow = (wp - dw * (kw_n - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for g in range(groups):
        for kh in range(kh_n):
            for kw in range(kw_n):
                patch = xp[:, g * cg:(g + 1) * cg,
                           kh * dh:kh * dh + sh * (oh - 1) + 1:sh,
                           kw * dw:kw * dw + sw * (ow - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, kh, kw])
    if b is not None:
        out += b[None, :, None, None]
    return out


CONFIGS = [
    dict(filters=4, kernel_size=3),
    dict(filters=4, kernel_size=3, padding=1),
    dict(filters=5, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(filters=4, kernel_size=3, padding="same"),
    dict(filters=4, kernel_size=3, stride=2, padding="same"),
    dict(filters=3, kernel_size=2, padding="valid", use_bias=False),
    dict(filters=4, kernel_size=3, dilation=2, padding=2),
    dict(filters=6, kernel_size=3, groups=2, padding=1),
    dict(filters=4, kernel_size=3, groups=4, padding=1),        # depthwise
    dict(filters=4, kernel_size=1, stride=2),
    dict(filters=4, kernel_size=3, padding=1, activation="relu"),
    dict(filters=4, kernel_size=3, activation="tanh", stride=2),
    dict(filters=4, kernel_size=2, activation="sigmoid", dilation=(1, 2)),
]


def _pads(layer):
    return layer._pads


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_direct_convolution(config, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 9, 8)).astype(dtype)
    layer = Conv2D(**config, random_state=1)
    layer.build(x.shape[1:], dtype)
    if layer.use_bias:
        layer.bias[...] = rng.standard_normal(layer.bias.shape)
    y = layer.forward(x)
    assert y.dtype == dtype and y.flags.c_contiguous
    z = reference_conv(x.astype(np.float64), layer.weight.astype(np.float64),
                       layer.bias, layer.stride, _pads(layer), layer.dilation, layer.groups)
    act = {None: lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
           "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[layer.activation]
    expected = act(z)
    assert y.shape == expected.shape == (3,) + layer.output_shape(x.shape[1:])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, expected, atol=tol * max(1, np.abs(z).max()))


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_check_layer(config):
    report = lamina.testing.check_layer(Conv2D, (4, 7, 6), kwargs=config, batch_size=3)
    report.raise_for_failures()


def test_same_padding_shapes():
    for size, stride in [(7, 1), (7, 2), (8, 2), (8, 3), (5, 4)]:
        layer = Conv2D(2, 3, stride=stride, padding="same")
        assert layer.output_shape((1, size, size))[1:] == (-(-size // stride),) * 2


def test_against_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 10, 9))
    layer = Conv2D(4, 3, stride=2, padding=(1, 2), dilation=(1, 2), groups=2,
                   random_state=0)
    layer.build(x.shape[1:], np.float64)
    layer.bias[...] = rng.standard_normal(4)
    y = layer.forward(x, training=True)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.weight, requires_grad=True)
    bt = torch.tensor(layer.bias, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=2, padding=(1, 2), dilation=(1, 2),
                                    groups=2)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grad_weight, wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grad_bias, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_input_not_modified_and_any_layout_accepted():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    layer = Conv2D(4, 3, padding=1, random_state=0)
    y = layer(x)
    x_f = np.asfortranarray(x)
    x_view = np.ascontiguousarray(x[:, :, ::-1])[:, :, ::-1]
    np.testing.assert_array_equal(layer(x_f), y)
    np.testing.assert_array_equal(layer(x_view), y)
    unpadded = Conv2D(4, 3, stride=2, random_state=0)       # reads x's own strides
    y0 = unpadded(x)
    np.testing.assert_array_equal(unpadded(x_f), y0)
    np.testing.assert_array_equal(unpadded(x_view), y0)
    np.testing.assert_array_equal(MaxPool2D(2)(x_view), MaxPool2D(2)(x))
    before = x.copy()
    layer.forward(x, training=True)
    layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=4, kernel_size=0), "kernel_size"),
    (dict(filters=4, kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(filters=4, kernel_size=3, stride=0), "stride"),
    (dict(filters=4, kernel_size=3, padding=-1), "padding"),
    (dict(filters=4, kernel_size=3, padding="full"), "padding"),
    (dict(filters=4, kernel_size=3, dilation=0), "dilation"),
    (dict(filters=4, kernel_size=3, groups=3), "divisible"),
    (dict(filters=4, kernel_size=3, activation="gelu"), "activation"),
    (dict(filters=4, kernel_size=3, init="zeros"), "init"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="channels, height, width"):
        Conv2D(2, 3).build((5, 5))
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D(2, 5).build((1, 4, 4))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2D(4, 3, groups=2).build((3, 6, 6))
    layer = Conv2D(2, 3)
    layer.build((3, 6, 6))
    with pytest.raises(ValueError, match=r"\(2, 3, 6, 5\)"):
        layer.forward(np.ones((2, 3, 6, 5)))
    with pytest.raises(ValueError, match="shape"):
        layer.forward(np.ones((3, 6, 6)))
    with pytest.raises(TypeError, match="complex"):
        layer.forward(np.ones((1, 3, 6, 6), complex))
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(2, 3).backward(np.ones((1, 2, 4, 4)))
    layer.forward(np.ones((2, 3, 6, 6)), training=True)
    with pytest.raises(ValueError, match="gradient of shape"):
        layer.backward(np.ones((2, 2, 3, 3)))


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    filters = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.sampled_from(["same", "valid"]),
                             st.tuples(st.integers(0, 2), st.integers(0, 2))))
    span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True)]
    size = (draw(st.integers(span[0], span[0] + 4)), draw(st.integers(span[1], span[1] + 4)))
    batch = draw(st.integers(1, 3))
    return dict(filters=filters, kernel_size=kernel, stride=stride, padding=padding,
                dilation=dilation, groups=groups), (batch, channels) + size


@settings(max_examples=40, deadline=None)
@given(conv_cases(), st.integers(0, 2**16))
def test_random_configurations(case, seed):
    """Forward equals the direct convolution, and backward is its exact adjoint:
    <conv(x), g> = <x, dx> = <W, dW> for the bias-free (linear) layer."""
    config, shape = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    layer = Conv2D(**config, use_bias=False, random_state=seed)
    layer.build(shape[1:], np.float64)
    y = layer.forward(x, training=True)
    expected = reference_conv(x, layer.weight, None, layer.stride, layer._pads,
                              layer.dilation, layer.groups)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    assert dx.shape == x.shape
    inner = np.sum(y * g)
    assert np.sum(x * dx) == pytest.approx(inner, rel=1e-10, abs=1e-10)
    assert np.sum(layer.weight * layer.grad_weight) == pytest.approx(inner, rel=1e-10,
                                                                     abs=1e-10)
