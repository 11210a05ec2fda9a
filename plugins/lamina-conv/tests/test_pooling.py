"""MaxPool2D / AvgPool2D against direct NumPy loops, PyTorch (when installed), check_layer."""

import numpy as np
import pytest
from lamina_conv import AvgPool2D, MaxPool2D

import lamina.testing


def reference_pool(x, size, stride, pad, reduce, fill):
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])),
                constant_values=fill)
    oh = (xp.shape[2] - size[0]) // stride[0] + 1
    ow = (xp.shape[3] - size[1]) // stride[1] + 1
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride[0]:i * stride[0] + size[0],
                     j * stride[1]:j * stride[1] + size[1]]
            out[:, :, i, j] = reduce(win, axis=(2, 3))
    return out


POOLS = [
    dict(pool_size=2),
    dict(pool_size=3, stride=2),
    dict(pool_size=(2, 3), stride=(1, 2)),
    dict(pool_size=3, stride=2, padding=1),
    dict(pool_size=2, stride=1),
]


@pytest.mark.parametrize("config", POOLS, ids=str)
@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D], ids=lambda c: c.__name__)
def test_forward_matches_loops(cls, config):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    layer = cls(**config)
    y = layer(x)
    pad = config.get("padding", 0)
    pad = (pad, pad)
    reduce, fill = (np.max, -np.inf) if cls is MaxPool2D else (np.mean, 0.0)
    expected = reference_pool(x, layer.pool_size, layer.stride, pad, reduce, fill)
    np.testing.assert_allclose(y, expected, rtol=1e-13, atol=1e-13)
    assert y.shape == (2,) + layer.output_shape(x.shape[1:])


@pytest.mark.parametrize("config", POOLS + [dict(pool_size=3, stride=2, padding="same")],
                         ids=str)
@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D], ids=lambda c: c.__name__)
def test_check_layer(cls, config):
    report = lamina.testing.check_layer(cls, (3, 7, 6), kwargs=config)
    report.raise_for_failures()


def test_avg_pool_count_exclude_pad():
    x = np.ones((1, 1, 4, 4))
    inc = AvgPool2D(3, stride=1, padding=1)(x)
    exc = AvgPool2D(3, stride=1, padding=1, count_include_pad=False)(x)
    assert inc[0, 0, 0, 0] == pytest.approx(4 / 9)
    np.testing.assert_allclose(exc, 1.0)
    report = lamina.testing.check_layer(AvgPool2D, (2, 5, 5), kwargs=dict(
        pool_size=3, stride=2, padding=1, count_include_pad=False))
    report.raise_for_failures()


def test_max_pool_routes_gradient_to_the_maximum():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    layer = MaxPool2D(2)
    layer.build(x.shape[1:], np.float64)
    y = layer.forward(x, training=True)
    assert y.item() == 5.0
    np.testing.assert_array_equal(layer.backward(np.full((1, 1, 1, 1), 2.0)),
                                  [[[[0.0, 2.0], [0.0, 0.0]]]])


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 9))
    for ours, theirs in [
        (MaxPool2D(3, stride=2, padding=1), torch.nn.MaxPool2d(3, stride=2, padding=1)),
        (AvgPool2D(3, stride=2, padding=1), torch.nn.AvgPool2d(3, stride=2, padding=1)),
        (AvgPool2D(3, stride=2, padding=1, count_include_pad=False),
         torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)),
    ]:
        ours.build(x.shape[1:], np.float64)
        y = ours.forward(x, training=True)
        g = rng.standard_normal(y.shape)
        dx = ours.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match="pool_size"):
        MaxPool2D(0)
    with pytest.raises(ValueError, match="stride"):
        AvgPool2D(2, stride=(1, 0))
    with pytest.raises(ValueError, match="half the pool size"):
        MaxPool2D(2, padding=2)
    with pytest.raises(ValueError, match="channels, height, width"):
        MaxPool2D(2).build((4,))
    with pytest.raises(ValueError, match="does not fit"):
        AvgPool2D(5).build((1, 3, 3))
    layer = MaxPool2D(2)
    layer.build((1, 4, 4))
    with pytest.raises(ValueError, match="shape"):
        layer.forward(np.ones((1, 2, 4, 4)))
