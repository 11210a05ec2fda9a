"""linear_softmax_cross_entropy: agreement with the unfused composition, chunk memory."""

import tracemalloc

import numpy as np
import pytest

import lamina
from lamina.losses import linear_softmax_cross_entropy, softmax_cross_entropy


def _unfused(h, w, b, y, **kw):
    logits = h @ w.T + (0 if b is None else b)
    loss, g = softmax_cross_entropy(logits, y, **kw)
    return loss, g @ w, g.T @ h, (None if b is None else g.sum(axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_agrees_with_unfused(dtype, chunk_rows, reduction):
    rng = np.random.default_rng(0)
    n, hidden, vocab = 50, 12, 37
    h = rng.standard_normal((n, hidden)).astype(dtype)
    w = rng.standard_normal((vocab, hidden)).astype(dtype)
    b = rng.standard_normal(vocab).astype(dtype)
    y = rng.integers(0, vocab, n)
    itemsize = np.dtype(dtype).itemsize
    loss, (dh, dw, db) = linear_softmax_cross_entropy(
        h, w, b, y, reduction=reduction, chunk_bytes=chunk_rows * vocab * itemsize)
    ref = _unfused(h, w, b, y, reduction=reduction)
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss, ref[0], rtol=rtol)
    for got, want in zip((dh, dw, db), ref[1:], strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 10)


def test_ignore_index_weights_and_no_bias():
    rng = np.random.default_rng(1)
    h, w = rng.standard_normal((30, 8)), rng.standard_normal((11, 8))
    y = rng.integers(0, 11, 30)
    y[::4] = -100
    sw = rng.uniform(0.5, 2.0, 30)
    loss, (dh, dw, db) = linear_softmax_cross_entropy(
        h, w, None, y, ignore_index=-100, sample_weight=sw, chunk_bytes=5 * 11 * 8)
    ref = _unfused(h, w, None, y, ignore_index=-100, sample_weight=sw)
    assert db is None
    np.testing.assert_allclose(loss, ref[0], rtol=1e-12)
    np.testing.assert_allclose(dh, ref[1], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(dw, ref[2], rtol=1e-11, atol=1e-13)
    assert np.all(dh[::4] == 0)


def test_finite_differences():
    rng = np.random.default_rng(2)
    h, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    y = np.array([0, 3, 1, 1, 2])
    _, (dh, dw, db) = linear_softmax_cross_entropy(h, w, b, y, chunk_bytes=2 * 4 * 8)
    eps = 1e-6
    for arr, grad in ((h, dh), (w, dw), (b, db)):
        flat, gflat = arr.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = linear_softmax_cross_entropy(h, w, b, y)[0]
            flat[i] = old - eps
            down = linear_softmax_cross_entropy(h, w, b, y)[0]
            flat[i] = old
            assert abs((up - down) / (2 * eps) - gflat[i]) < 1e-7


def test_peak_memory_stays_within_the_chunk_bound():
    rng = np.random.default_rng(3)
    n, hidden, vocab = 2048, 16, 4000
    h = rng.standard_normal((n, hidden)).astype(np.float32)
    w = rng.standard_normal((vocab, hidden)).astype(np.float32)
    b = np.zeros(vocab, np.float32)
    y = rng.integers(0, vocab, n)
    chunk = 1 << 20
    outputs = (h.nbytes + w.nbytes + b.nbytes)          # the three gradients
    tracemalloc.start()
    try:
        linear_softmax_cross_entropy(h, w, b, y, chunk_bytes=chunk)
        _, fused_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        _unfused(h, w, b, y)
        _, unfused_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    extra = fused_peak - outputs
    scratch = lamina.get_num_threads() * vocab * 4      # one scratch row per thread
    assert extra <= chunk + 64 * n + scratch + (1 << 16)   # one chunk buffer + row losses
    assert unfused_peak >= 10 * extra                  # >= 10x less than the composition


def test_bad_input():
    h, w = np.ones((3, 2)), np.ones((4, 2))
    with pytest.raises(ValueError, match="weight"):
        linear_softmax_cross_entropy(h, np.ones((4, 3)), None, [0, 1, 2])
    with pytest.raises(ValueError, match="bias"):
        linear_softmax_cross_entropy(h, w, np.ones(3), [0, 1, 2])
    with pytest.raises(ValueError, match=r"target\[1\] = 9"):
        linear_softmax_cross_entropy(h, w, None, [0, 9, 2])
    with pytest.raises(ValueError, match="reduction"):
        linear_softmax_cross_entropy(h, w, None, [0, 1, 2], reduction="none")
    bad = w.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="undefined"):
        linear_softmax_cross_entropy(h, bad, None, [0, 1, 2])
    assert lamina.explain("linear_softmax_cross_entropy", h, w, None, [0, 1, 2]).backend == "core"
