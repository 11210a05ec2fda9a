"""lamina-conv as a third-party plugin: discovery, lookup by name, model save/load."""

import numpy as np
from lamina_conv import AvgPool2D, Conv2D, Flatten, MaxPool2D

import lamina
import lamina.nn as nn

NAMES = {"conv2d": Conv2D, "max_pool_2d": MaxPool2D, "avg_pool_2d": AvgPool2D}


def test_listed_ok_by_lamina_plugins():
    lamina.plugins.reload()
    rows = [r for r in lamina.plugins.status("lamina.layers", load=True)
            if r["distribution"] == "lamina-conv"]
    assert {r["name"] for r in rows} == set(NAMES)
    assert all(r["state"] == "ok" for r in rows), rows


def test_lookup_by_name():
    for name, cls in NAMES.items():
        assert nn.get_layer(name) is cls
        assert nn.get_layer(f"lamina-conv:{name}") is cls
        assert name in nn.available_layers()
    assert Flatten is nn.Flatten          # the core's Flatten handles NCHW already


def test_cnn_saves_and_loads(tmp_path):
    model = nn.Sequential([Conv2D(4, 3, padding="same", activation="relu"),
                           MaxPool2D(2), Conv2D(6, 3, stride=2, groups=2, padding=1),
                           AvgPool2D(2, stride=1), Flatten(), nn.Dense(3)],
                          random_state=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 12, 12)).astype(np.float32)
    before = model.predict(x)
    model.save(tmp_path / "cnn.npz")
    restored = nn.load(tmp_path / "cnn.npz")
    assert [type(layer) for layer in restored.layers] == [type(la) for la in model.layers]
    np.testing.assert_array_equal(restored.predict(x), before)


def test_whole_cnn_gradcheck():
    model = nn.Sequential([Conv2D(3, 3, padding=1, activation="tanh"), MaxPool2D(2),
                           Conv2D(4, 2, groups=1), Flatten(), nn.Dense(2)],
                          dtype=np.float64, random_state=0)
    x = np.random.default_rng(1).standard_normal((3, 2, 8, 8))
    assert nn.gradcheck(model, x).ok
