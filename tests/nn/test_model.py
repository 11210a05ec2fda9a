"""Training, evaluation, persistence of Sequential models on the bundled digits."""

import numpy as np
import pytest

import lamina.nn as nn
from lamina.datasets import load_digits, train_test_split


@pytest.fixture(scope="module")
def digits():
    d = load_digits(dtype=np.float32)
    return train_test_split(d.data / 16.0, d.target, test_size=0.25, random_state=0)


def _mlp(seed=0):
    return nn.Sequential([nn.Dense(128, activation="relu"), nn.Dense(10)], random_state=seed)


def test_digits_mlp_reaches_97_percent(digits):
    X_train, X_test, y_train, y_test = digits
    model = _mlp()
    history = model.fit(X_train, y_train, optimizer=nn.SGD(lr=0.1, momentum=0.9), epochs=30,
                        batch_size=32, validation_data=(X_test, y_test), progress=False,
                        random_state=0)
    assert history["val_accuracy"][-1] >= 0.97
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["time"]) == 30
    assert model.evaluate(X_test, y_test)["accuracy"] == history["val_accuracy"][-1]


def test_training_is_deterministic(digits):
    X_train, _, y_train, _ = digits
    runs = []
    for _ in range(2):
        model = _mlp(seed=3)
        model.fit(X_train[:300], y_train[:300], optimizer=nn.Adam(lr=0.01), epochs=2,
                  progress=False, random_state=5)
        runs.append(model.predict(X_train[:50]))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_gather_matches_indexing(dtype):
    from lamina._kernels import _nn
    from lamina.nn._model import _take_rows
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 6, 7)).astype(dtype)
    idx = rng.permutation(500)[:300]
    got = _take_rows(X, X.reshape(500, -1), idx)
    assert got.shape == (300, 6, 7) and got.dtype == dtype
    np.testing.assert_array_equal(got, X[idx])
    np.testing.assert_array_equal(_take_rows(X, None, idx), X[idx])   # fallback path
    with pytest.raises(ValueError, match="out has shape"):
        _nn.gather_rows(X.reshape(500, -1), idx, np.empty((299, 42), dtype), 2)


def test_fit_same_with_non_contiguous_input(digits):
    """A strided X (no flat row view: NumPy's indexing gathers the batches) trains exactly
    like its contiguous copy (lamina's threaded gather)."""
    X_train, _, y_train, _ = digits
    wide = np.repeat(X_train[:200], 2, axis=1)[:, ::2]
    assert not wide.flags.c_contiguous
    runs = []
    for X in (wide, np.ascontiguousarray(wide)):
        model = _mlp(seed=1)
        model.fit(X, y_train[:200], optimizer=nn.SGD(lr=0.1), epochs=2, progress=False,
                  random_state=2)
        runs.append(model.predict(X_train[:20]))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_save_load_round_trip(tmp_path, digits):
    X_train, X_test, y_train, _ = digits
    model = nn.Sequential([nn.Dense(32, activation="gelu"), nn.BatchNorm1d(), nn.Dropout(0.1),
                           nn.LayerNorm(), nn.Dense(10)], random_state=1)
    model.fit(X_train[:200], y_train[:200], optimizer=nn.SGD(lr=0.05), epochs=1,
              progress=False)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nn.load(path)
    np.testing.assert_array_equal(model.predict(X_test), loaded.predict(X_test))
    with pytest.raises(ValueError, match="not a lamina model"):
        (tmp_path / "junk.npz").write_bytes(b"junk")
        nn.load(tmp_path / "junk.npz")


def test_progress_bar_runs(digits, capsys):
    X_train, _, y_train, _ = digits
    _mlp().fit(X_train[:64], y_train[:64], epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "epoch=1/1" in err


def test_fit_bad_input(digits):
    X_train, _, y_train, _ = digits
    model = _mlp()
    with pytest.raises(ValueError, match=r"y\[0\] = 12"):
        model.fit(X_train[:10], np.full(10, 12), epochs=1, progress=False)
    X_nan = X_train[:10].copy()
    X_nan[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _mlp().fit(X_nan, y_train[:10], epochs=1, progress=False)
    model.fit(X_train[:10], y_train[:10], epochs=1, progress=False)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 63)))
    with pytest.raises(ValueError, match="samples"):
        model.fit(X_train[:10], y_train[:9], epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown loss"):
        model.fit(X_train[:10], y_train[:10], loss="hamming", progress=False)
    with pytest.raises(FloatingPointError, match="diverged"):
        _mlp().fit(X_train[:64] * 1e6, y_train[:64], optimizer=nn.SGD(lr=1e6), epochs=3,
                   progress=False)


def test_regression_with_mse():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    model = nn.Sequential([nn.Dense(1)], random_state=0)
    history = model.fit(X, y, loss="mse", optimizer=nn.SGD(lr=0.1), epochs=30, progress=False)
    assert history["loss"][-1] < 1e-3


def test_backward_parameters_matches_backward_and_skips_leading_layers():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2, 4))
    model = nn.Sequential([nn.Flatten(), nn.Dense(5, activation="tanh"), nn.Dense(3)],
                          dtype=np.float64, random_state=0)
    model.build(x.shape[1:])
    g = rng.standard_normal((6, 3))
    model.forward(x, training=True)
    model.backward(g)
    full = {k: v.copy() for k, v in model.gradients().items()}
    for v in model.gradients().values():
        v[...] = np.nan
    model.forward(x, training=True)
    assert model.backward_parameters(g) is None
    for key, value in model.gradients().items():
        np.testing.assert_array_equal(value, full[key])
