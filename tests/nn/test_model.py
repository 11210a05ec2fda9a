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
    for bad in (500, -1):
        rows = idx.astype(np.intp)
        rows[7] = bad
        with pytest.raises(ValueError, match=rf"rows\[7\] = {bad} is out of range"):
            _nn.gather_rows(X.reshape(500, -1), rows, np.empty((300, 42), dtype), 2)


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
    # Seeded shuffle: with some batch orders (1 in 200 seeds) the first huge step leaves
    # every ReLU dead, the outputs stay finite and nothing diverges.
    with pytest.raises(FloatingPointError, match="diverged"):
        _mlp().fit(X_train[:64] * 1e6, y_train[:64], optimizer=nn.SGD(lr=1e6), epochs=3,
                   progress=False, random_state=0)


def test_fit_refuses_an_empty_training_set():
    model = nn.Sequential([nn.Dense(3)], random_state=0)
    with pytest.raises(ValueError, match="X has no samples"):
        model.fit(np.empty((0, 4), np.float32), np.empty(0, int), epochs=1, progress=False)


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_relu_backward_matches_layer_by_layer(dtype):
    """Between two Dense layers whose lower one has a ReLU, the backward pass masks the
    input-gradient product inside the GEMM: gradients and the input gradient are exactly
    those of the layer-by-layer chain (Dense.backward in turn), and a separate ReLU layer
    or a tanh layer takes the plain path."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((70, 12)).astype(dtype)
    model = nn.Sequential([nn.Dense(40, activation="relu"), nn.Dense(33, activation="relu"),
                           nn.Dense(20, activation="tanh"), nn.Dense(30), nn.ReLU(),
                           nn.Dense(9)], dtype=dtype, random_state=1)
    model.build(x.shape[1:])
    g = rng.standard_normal((70, 9)).astype(dtype)
    model.forward(x, training=True)
    dx = model.backward(g)
    fused = {k: v.copy() for k, v in model.gradients().items()}
    layers = model.layers
    assert layers[1]._feeds_relu_backward(layers[0])
    assert not layers[3]._feeds_relu_backward(layers[2])
    model.forward(x, training=True)
    grad = g
    for layer in reversed(layers):
        grad = layer.backward(grad)
    np.testing.assert_array_equal(dx, grad)
    for key, value in model.gradients().items():
        np.testing.assert_array_equal(value, fused[key])
    model.forward(x, training=True)
    for v in model.gradients().values():
        v[...] = np.nan
    model.backward_parameters(g)
    for key, value in model.gradients().items():
        np.testing.assert_array_equal(value, fused[key])


def test_fused_relu_backward_respects_overridden_backward():
    """A Dense subclass that overrides backward (here: adds an L2 term to its weight
    gradient) is called as written: the fused path applies only to Dense's own passes."""
    class L2Dense(nn.Dense):
        def backward(self, grad):
            gx = super().backward(grad)
            self.grad_weight += 0.1 * self.weight
            return gx

    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 4))
    g = rng.standard_normal((9, 3))
    for layers in ([nn.Dense(6, activation="relu"), L2Dense(3)],
                   [L2Dense(6, activation="relu"), nn.Dense(3)]):
        model = nn.Sequential(layers, dtype=np.float64, random_state=0)
        model.build((4,))
        assert not model.layers[1]._feeds_relu_backward(model.layers[0])
        model.forward(x, training=True)
        model.backward(g)
        got = {k: v.copy() for k, v in model.gradients().items()}
        model.forward(x, training=True)
        grad = g
        for layer in reversed(model.layers):
            grad = layer.backward(grad)
        for key, value in model.gradients().items():
            np.testing.assert_array_equal(got[key], value)


def test_fit_calls_the_loss_through_dispatch_when_backends_are_configured(digits,
                                                                          monkeypatch):
    """Inside backend_opts (or with LAMINA_BACKEND_PRIORITY) a loss given by name goes
    through the dispatching function, so a backend that implements it is used."""
    import lamina
    import lamina.nn._model as model_module

    def direct_call(*args):
        raise AssertionError("the direct kernel call must not run under backend_opts")

    monkeypatch.setattr(model_module, "_mean_over_labels", direct_call)
    X_train, _, y_train, _ = digits
    with lamina.backend_opts(prioritize=["core"]):
        _mlp().fit(X_train[:64], y_train[:64], epochs=1, progress=False)
    with pytest.raises(AssertionError, match="must not run"):
        _mlp().fit(X_train[:64], y_train[:64], epochs=1, progress=False)


def test_fit_loss_and_accuracy_fast_paths_match_public_functions(digits):
    """fit calls the softmax cross-entropy kernel and the accuracy count directly when the
    loss is given by name: the same history as with the public loss function passed as a
    callable, and the count agrees with NumPy's argmax (first NaN counts as the largest)."""
    from lamina._kernels import _nn
    from lamina.losses import softmax_cross_entropy

    X_train, _, y_train, _ = digits
    hist = []
    for loss in ("softmax_cross_entropy", softmax_cross_entropy):
        model = _mlp(seed=2)
        hist.append(model.fit(X_train[:400], y_train[:400], loss=loss,
                              optimizer=nn.SGD(lr=0.05), epochs=2, progress=False,
                              random_state=1))
    assert hist[0]["loss"] == hist[1]["loss"]
    assert "accuracy" not in hist[1] or hist[0]["accuracy"] == hist[1]["accuracy"]
    rng = np.random.default_rng(0)
    out = rng.standard_normal((50, 7))
    out[3, 2] = out[3, 5] = np.nan
    out[4, :] = 1.0
    labels = rng.integers(0, 7, 50)
    labels[3], labels[4] = 2, 0
    assert _nn.count_argmax_equal(out, labels) == np.count_nonzero(out.argmax(axis=1) == labels)
    with pytest.raises(ValueError, match="labels has length"):
        _nn.count_argmax_equal(out, labels[:-1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("acts, optimizer", [
    (("relu", "relu", None), lambda: nn.SGD(lr=0.05, momentum=0.9)),
    (("tanh", "relu", "sigmoid"), lambda: nn.Adam(lr=0.01)),
    (("sigmoid", None, None), lambda: nn.SGD(lr=0.1, nesterov=True, momentum=0.5)),
    (("relu", "tanh", None), lambda: nn.SGD(lr=0.1, weight_decay=0.01)),
])
def test_dense_stack_step_matches_the_layers_passes(digits, monkeypatch, dtype, acts,
                                                    optimizer):
    """fit runs a Dense-only model through DenseStackStep (preallocated buffers, the same
    kernel calls, SGD's update in the engine): weights, history and the layers' last-step
    state are exactly those of the layers' own passes and optimizer.step, with a ragged
    last batch and validation data."""
    import lamina.nn._dense_stack as dense_stack
    import lamina.nn._model as model_module
    from lamina._kernels import _nn

    X_train, X_test, y_train, y_test = digits
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    runs = []
    for use_stack in (True, False):
        if not use_stack:
            monkeypatch.setattr(model_module.DenseStackStep, "for_model",
                                classmethod(lambda cls, model, rows, nt: None))
        model = nn.Sequential([nn.Dense(24, activation=acts[0]),
                               nn.Dense(16, activation=acts[1], use_bias=False),
                               nn.Dense(10, activation=acts[2])], dtype=dtype, random_state=4)
        if use_stack:
            model.build(X_train.shape[1:])
            assert dense_stack.DenseStackStep.for_model(
                model, X_train[:250].reshape(250, -1), 2) is not None
        hist = model.fit(X_train[:250], y_train[:250], optimizer=optimizer(), epochs=2,
                         batch_size=32, validation_data=(X_test[:60], y_test[:60]),
                         progress=False, random_state=3)
        runs.append((model, hist))
    (m1, h1), (m2, h2) = runs
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert h1[key] == h2[key], key
    for l1, l2 in zip(m1.layers, m2.layers, strict=True):
        for a, b in ((l1.weight, l2.weight), (l1.grad_weight, l2.grad_weight),
                     (l1._x, l2._x), (l1._y, l2._y), (l1._z, l2._z)):
            np.testing.assert_array_equal(a, b)
        if l1.use_bias:
            np.testing.assert_array_equal(l1.bias, l2.bias)
            np.testing.assert_array_equal(l1.grad_bias, l2.grad_bias)
    # models the step does not take (GELU, Dropout, a Dense subclass) use the layers
    class MyDense(nn.Dense):
        pass

    for layers in ([nn.Dense(4, activation="gelu")], [nn.Dense(4), nn.Dropout(0.5)],
                   [MyDense(4)], [nn.Dense(3) for _ in range(_nn.DENSE_STACK_MAX + 1)]):
        other = nn.Sequential(layers, random_state=0)
        other.build((3,))
        assert dense_stack.DenseStackStep.for_model(other, np.ones((5, 3), np.float32),
                                                    2) is None


def test_dense_stack_engine_refuses_bad_arrays():
    """The compiled engine behind DenseStackStep checks what it is given: shapes, dtypes
    and layouts of weights and buffers, the order of calls, and every gathered row."""
    from lamina._kernels import _gemm, _nn

    rng = np.random.default_rng(0)
    w1, w2 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    b1, b2 = np.zeros(4), np.zeros(3)
    g = [np.zeros_like(a) for a in (w1, w2, b1, b2)]

    def engine(**kw):
        args = dict(weights=[w1, w2], biases=[b1, b2], grad_weights=[g[0], g[1]],
                    grad_biases=[g[2], g[3]])
        args.update(kw)
        return _nn.DenseStack(args["weights"], args["biases"], args["grad_weights"],
                              args["grad_biases"], [1, 0], [0, -1], _gemm.ACT_RELU_MASK, 2)

    with pytest.raises(ValueError, match="takes 3 features, the layer below gives 4"):
        engine(weights=[w1, rng.standard_normal((3, 3))])
    with pytest.raises(ValueError, match="C-contiguous"):
        engine(weights=[np.asfortranarray(w1), w2])
    with pytest.raises(ValueError, match="both be None"):
        engine(biases=[b1, None])
    with pytest.raises(TypeError, match="float32 or float64"):
        engine(weights=[w1.astype(np.float16), w2])
    read_only = w1.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        engine(weights=[read_only, w2])
    eng = engine()
    with pytest.raises(ValueError, match="set the source and bind"):
        eng.gather_forward(np.arange(2))
    X = rng.standard_normal((10, 5))
    eng.set_source(X)
    x, outs = np.empty((2, 5)), [np.empty((2, 4)), np.empty((2, 3))]
    with pytest.raises(ValueError, match="buffer of layer 1"):
        eng.bind(x, outs, [np.empty((2, 4)), np.empty((2, 2))], [np.empty((2, 4))] * 2)
    eng.bind(x, outs, [np.empty((2, 4)), np.empty((2, 3))],
             [np.empty((2, 4)), np.empty((2, 3))])
    with pytest.raises(ValueError, match=r"rows\[1\] = 10 is out of range"):
        eng.gather_forward(np.array([3, 10]))
    eng.gather_forward(np.array([3, 7]))
    np.testing.assert_allclose(outs[1], np.maximum(X[[3, 7]] @ w1 + b1, 0) @ w2 + b2)
    with pytest.raises(ValueError, match="grad must be"):
        eng.backward_parameters(np.ones((2, 4)))
    eng.backward_parameters(np.ones((2, 3)))
    np.testing.assert_allclose(g[1], outs[0].T @ np.ones((2, 3)))


def test_dense_stack_step_edge_cases_behave_like_the_layers(monkeypatch):
    """What the engine path must not change: a custom loss may return a float64 or
    Fortran-ordered gradient and may keep the predictions it is given; a read-only weight
    is refused, and so is a Fortran-ordered one (the optimizer updates in place); a weight
    replaced between two fits is trained by the reused optimizer; momentum switched on after
    attach is refused instead of writing past the empty velocity."""
    import lamina.losses as L
    import lamina.nn._model as model_module

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    Y = rng.standard_normal((64, 3)).astype(np.float32)

    def model():
        return nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(3)], random_state=0)

    kept = []

    def odd_loss(p, t):
        kept.append((p, p.copy()))
        value, grad = L.mse(p, t)
        return value, np.asfortranarray(grad.astype(np.float64))

    results = []
    for engine in (True, False):
        if not engine:
            monkeypatch.setattr(model_module.DenseStackStep, "for_model",
                                classmethod(lambda cls, m, rows, nt: None))
        m = model()
        kept.clear()
        m.fit(X, Y, loss=odd_loss, epochs=2, batch_size=16, progress=False, random_state=1)
        assert all(np.array_equal(a, b) for a, b in kept)
        results.append([layer.weight.copy() for layer in m.layers])
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)
    monkeypatch.undo()

    m = model()
    m.build((5,))
    w = m.layers[0].weight.copy()
    w.flags.writeable = False
    m.layers[0].weight = w
    with pytest.raises(ValueError, match="read-only"):
        m.fit(X, Y, loss="mse", epochs=1, progress=False)

    m, opt = model(), nn.SGD(lr=0.1)
    m.fit(X, Y, loss="mse", optimizer=opt, epochs=1, progress=False)
    m.layers[1].weight = np.asfortranarray(m.layers[1].weight)
    with pytest.raises(ValueError, match="must match and be C-contiguous"):
        m.fit(X, Y, loss="mse", optimizer=opt, epochs=1, progress=False)
    m.layers[1].weight = np.ascontiguousarray(m.layers[1].weight)
    before = m.layers[1].weight.copy()
    m.fit(X, Y, loss="mse", optimizer=opt, epochs=1, progress=False)
    assert not np.array_equal(m.layers[1].weight, before)    # re-attached and trained

    p, g = np.ones(4), np.ones(4)
    opt = nn.SGD(lr=0.1).attach([p], [g])
    opt.momentum = 0.9
    with pytest.raises(ValueError, match="velocity 0"):
        opt.step()
