"""softmax_cross_entropy: NumPy formulas, finite differences, stability, threads, errors."""

import math

import numpy as np
import pytest

from lamina._kernels import _losses
from lamina.losses import softmax_cross_entropy
from tests.conftest import layouts


def numpy_softmax_ce(x, target, class_weight=None, label_smoothing=0.0, ignore_index=None,
                     sample_weight=None, reduction="mean"):
    """The textbook composition in float64: log-softmax, weighted target, reduce."""
    x = np.asarray(x, dtype=np.float64)
    n, c = x.shape
    cw = np.ones(c) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    target = np.asarray(target)
    if target.ndim == 1:
        keep = np.ones(n, bool) if ignore_index is None else target != ignore_index
        q = np.zeros((n, c))
        q[np.flatnonzero(keep), target[keep]] = 1.0
        q = ((1 - label_smoothing) * q + label_smoothing / c) * keep[:, None]
        denom = np.sum(sw * np.where(keep, cw[np.where(keep, target, 0)], 0))
    else:
        q = (1 - label_smoothing) * target + label_smoothing / c
        denom = sw.sum()
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    a = cw * q
    rows = -(a * np.where(a > 0, logp, 0)).sum(axis=1) * sw
    grad = (a.sum(axis=1, keepdims=True) * np.exp(logp) - a) * sw[:, None]
    if reduction == "mean":
        return rows.sum() / denom, grad / denom
    if reduction == "sum":
        return rows.sum(), grad
    return rows, grad


def finite_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("n,c", [(1, 1), (7, 3), (33, 10), (5, 63), (6, 64), (4, 1000),
                                 (2, 5000)])
def test_matches_numpy_every_isa(isa, dtype, rng, n, c):
    x = (4 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, n)
    loss, grad = softmax_cross_entropy(x, y)
    ref_loss, ref_grad = numpy_softmax_ce(x, y)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    assert loss.dtype == dtype and grad.dtype == dtype
    assert abs(float(loss) - ref_loss) <= tol * max(1, abs(ref_loss))
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=tol / n)


def test_rows_longer_than_the_chunk_table():
    # more than 256 chunks of 1024 logits: the recomputing pass-2 path
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 300_000))
    y = np.array([5, 299_999])
    loss, grad = softmax_cross_entropy(x, y, reduction="none", label_smoothing=0.1)
    ref_loss, ref_grad = numpy_softmax_ce(x, y, reduction="none", label_smoothing=0.1)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-15)


def test_reference_twin():
    rng = np.random.default_rng(1)
    x = 3 * rng.standard_normal((20, 50))
    y = rng.integers(0, 50, 20)
    ref_loss, ref_grad = _losses.softmax_cross_entropy_ref(x, y)
    loss, grad = softmax_cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-15)


OPTIONS = [
    {},
    {"class_weight": "cw"},
    {"label_smoothing": 0.2},
    {"label_smoothing": 0.1, "class_weight": "cw", "sample_weight": "sw"},
    {"ignore_index": -1, "sample_weight": "sw"},
    {"ignore_index": 2, "class_weight": "cw", "label_smoothing": 0.05},
]


def _resolve(options, rng, n, c):
    out = dict(options)
    if out.get("class_weight") == "cw":
        out["class_weight"] = rng.random(c) + 0.2
    if out.get("sample_weight") == "sw":
        out["sample_weight"] = rng.random(n)
    return out


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("c", [5, 80])
def test_options_and_reductions(options, reduction, c, rng):
    n = 9
    x = 2 * rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    if options.get("ignore_index") == -1:
        y[::4] = -1
    opts = _resolve(options, rng, n, c)
    loss, grad = softmax_cross_entropy(x, y, reduction=reduction, **opts)
    ref_loss, ref_grad = numpy_softmax_ce(x, y, reduction=reduction, **opts)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_probability_targets(reduction, rng):
    x = 2 * rng.standard_normal((8, 7))
    q = rng.random((8, 7))
    q /= q.sum(axis=1, keepdims=True)
    cw = rng.random(7) + 0.5
    sw = rng.random(8)
    for opts in ({}, {"class_weight": cw, "sample_weight": sw}, {"label_smoothing": 0.3}):
        loss, grad = softmax_cross_entropy(x, q, reduction=reduction, **opts)
        ref_loss, ref_grad = numpy_softmax_ce(x, q, reduction=reduction, **opts)
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("options", OPTIONS + [{"target": "probabilities"}])
@pytest.mark.parametrize("c", [4, 70])
def test_finite_differences(options, c, rng):
    n = 3
    x = rng.standard_normal((n, c))
    opts = _resolve(options, rng, n, c)
    if opts.pop("target", None):
        target = rng.random((n, c))
    else:
        target = rng.integers(0, c, n)
        if opts.get("ignore_index") == -1:
            target[0] = -1
    for reduction in ("mean", "sum"):
        _, grad = softmax_cross_entropy(x, target, reduction=reduction, **opts)
        fd = finite_difference(
            lambda z, r=reduction: float(softmax_cross_entropy(z, target, reduction=r,
                                                               **opts)[0]), x)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=5e-8)


def test_grad_out_reuse_and_layouts(dtype, rng):
    x = rng.standard_normal((12, 9)).astype(dtype)
    y = rng.integers(0, 9, 12)
    ref_loss, ref_grad = softmax_cross_entropy(x, y)
    buf = np.full((12, 9), np.nan, dtype=dtype)
    for _ in range(2):
        loss, grad = softmax_cross_entropy(x, y, grad_out=buf)
        assert grad is buf
        assert loss == ref_loss
        np.testing.assert_array_equal(buf, ref_grad)
    for name, view in layouts(x).items():
        loss, grad = softmax_cross_entropy(view, y)
        np.testing.assert_allclose(loss, ref_loss, rtol=4 * np.finfo(dtype).eps, err_msg=name)
        np.testing.assert_allclose(grad, ref_grad, atol=4 * np.finfo(dtype).eps, err_msg=name)
        out = layouts(np.zeros_like(x))[name]
        _, grad = softmax_cross_entropy(x, y, grad_out=out)
        assert grad is out
        np.testing.assert_array_equal(out, ref_grad)
    # rows with a row stride (a slice of a wider array) are read in place
    wide = np.zeros((12, 20), dtype=dtype)
    wide[:, :9] = x
    assert softmax_cross_entropy(wide[:, :9], y)[0] == ref_loss


def test_inputs_not_modified_and_grad_out_aliasing(rng):
    x = rng.standard_normal((4, 6))
    x0 = x.copy()
    y = rng.integers(0, 6, 4)
    ref = softmax_cross_entropy(x, y, label_smoothing=0.1)
    np.testing.assert_array_equal(x, x0)
    loss, grad = softmax_cross_entropy(x, y, label_smoothing=0.1, grad_out=x)
    assert grad is x and loss == ref[0]
    np.testing.assert_array_equal(x, ref[1])


def test_float32_accuracy(rng):
    x = (5 * rng.standard_normal((256, 3000))).astype(np.float32)
    y = rng.integers(0, 3000, 256)
    loss, grad = softmax_cross_entropy(x, y, reduction="none")
    ref_loss, ref_grad = numpy_softmax_ce(x, y, reduction="none")
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(loss, ref_loss, rtol=16 * eps, atol=16 * eps)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=8 * eps)


@pytest.mark.parametrize("c", [3, 100, 2000])
def test_extreme_logits(dtype, c):
    x = np.zeros((5, c), dtype=dtype)
    x[0, 0], x[0, 1] = 1e4, -1e4                    # +-1e4
    x[1] = 7.0                                       # all equal
    x[2] = -np.inf                                   # -inf except the label
    x[2, c - 1] = 3.0
    x[3] = -1e4
    x[3, 1] = 1e4
    x[4, :] = np.linspace(-1e4, 1e4, c).astype(dtype)
    y = np.array([0, 1 % c, c - 1, 0, c - 1])
    loss, grad = softmax_cross_entropy(x, y, reduction="none")
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    assert loss[0] == 0 and loss[2] == 0
    ref_loss, ref_grad = numpy_softmax_ce(x[4:], y[4:], reduction="none")
    np.testing.assert_allclose(loss[4], ref_loss[0], rtol=0, atol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(grad[4], ref_grad[0], atol=4 * np.finfo(dtype).eps)
    assert loss[3] == pytest.approx(2e4)
    assert loss[1] == pytest.approx(np.log(c), rel=4 * float(np.finfo(dtype).eps))
    np.testing.assert_array_equal(grad[2], 0)
    np.testing.assert_allclose(grad[1], np.full(c, 1 / c) - np.eye(c)[1 % c],
                               atol=4 * np.finfo(dtype).eps)
    assert grad[3, 0] == -1 and grad[3, 1] == 1


def test_identical_for_every_thread_count(rng):
    for c in (10, 700):
        x = rng.standard_normal((40_000 // c * 4, c)).astype(np.float32)
        y = rng.integers(0, c, x.shape[0])
        l1, g1 = softmax_cross_entropy(x, y, n_threads=1)
        l2, g2 = softmax_cross_entropy(x, y, n_threads=2)
        assert l1 == l2
        np.testing.assert_array_equal(g1, g2)


def test_empty_and_single_class():
    loss, grad = softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    assert grad.shape == (0, 3) and float(loss) == 0.0
    loss, grad = softmax_cross_entropy(np.array([[3.0], [-2.0]]), np.array([0, 0]))
    assert float(loss) == 0.0 and not grad.any()


def test_zero_total_weight_gives_zero():
    loss, grad = softmax_cross_entropy(np.ones((2, 3)), np.array([-1, -1]), ignore_index=-1)
    assert float(loss) == 0.0 and not grad.any()


@pytest.mark.parametrize("c", [4, 100])            # the short-row and the per-row kernel
@pytest.mark.parametrize("threads", [1, 2])
def test_labels_checked_by_the_kernel(c, threads):
    # the first bad label in row order is named, wherever the block or thread boundaries
    # fall; an ignored label out of range is fine; nothing is read out of bounds
    n = 5000
    x = np.zeros((n, c))
    y = np.zeros(n, dtype=np.int64)
    y[4321], y[4700], y[100] = c, -5, -1
    with pytest.raises(ValueError, match=rf"target\[100\] = -1 is not a class index in "
                                         rf"\[0, {c}\)"):
        softmax_cross_entropy(x, y, n_threads=threads)
    y[100] = 0
    with pytest.raises(ValueError, match=rf"target\[4321\] = {c} is not"):
        softmax_cross_entropy(x, y, n_threads=threads)
    y[4321] = -5                              # now both bad ones are the ignored class
    loss, grad = softmax_cross_entropy(x, y, ignore_index=-5, n_threads=threads)
    assert np.isclose(float(loss), np.log(c)) and not grad[[4321, 4700]].any()


@pytest.mark.parametrize("c", [10, 300])
def test_total_is_the_sum_of_the_row_losses(c, rng):
    x = rng.standard_normal((3000, c))
    y = rng.integers(0, c, 3000)
    rows, _ = softmax_cross_entropy(x, y, reduction="none")
    for threads in (1, 2):
        total, _ = softmax_cross_entropy(x, y, reduction="sum", n_threads=threads)
        np.testing.assert_allclose(float(total), math.fsum(rows), rtol=1e-13)


def test_errors():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"target\[1\] = 4 is not a class index"):
        softmax_cross_entropy(x, np.array([0, 4, -2]))
    with pytest.raises(ValueError, match=r"target\[2\] = -2"):
        softmax_cross_entropy(x, np.array([0, 1, -2]))
    with pytest.raises(ValueError, match="shape"):
        softmax_cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        softmax_cross_entropy(x, np.ones((3, 5)) / 5)
    with pytest.raises(ValueError, match="integer class labels"):
        softmax_cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="row 1"):
        softmax_cross_entropy(np.array([[0.0, 1.0], [np.nan, 1.0]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="row 0"):
        softmax_cross_entropy(np.full((1, 3), -np.inf), np.array([0]))
    with pytest.raises(ValueError, match="row 0"):
        softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="non-negative"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="class_weight"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), class_weight=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="class_weight"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), class_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match="label_smoothing"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        softmax_cross_entropy(x, -np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        softmax_cross_entropy(x, np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="ignore_index"):
        softmax_cross_entropy(x, np.ones((3, 4)) / 4, ignore_index=0)
    with pytest.raises(ValueError, match="reduction"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="2-dimensional"):
        softmax_cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="grad_out"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), grad_out=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="grad_out"):
        softmax_cross_entropy(x, np.array([0, 1, 2]), grad_out=np.zeros((3, 4), np.float32))


# -- the short-row path (C < 64, integer labels, no smoothing, contiguous): rows are
#    processed in blocks with SIMD lanes across rows; every other case takes the row path.

SMALL_OPTIONS = [
    {},
    {"class_weight": "cw", "sample_weight": "sw"},
    {"ignore_index": -1},
    {"ignore_index": 1, "class_weight": "cw"},
    {"label_smoothing": 0.15},                        # the row path, for comparison
]


@pytest.mark.parametrize("c", [1, 2, 3, 10, 16, 17, 63])
@pytest.mark.parametrize("options", SMALL_OPTIONS)
def test_short_rows_match_numpy(isa, dtype, c, options, rng):
    n = 600                                          # several row blocks, a partial last one
    x = (3 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, n)
    if options.get("ignore_index") == -1:
        y[::5] = -1
    opts = _resolve(options, rng, n, c)
    tol = 4e-6 if dtype == np.float32 else 1e-13
    for reduction in ("mean", "none"):
        loss, grad = softmax_cross_entropy(x, y, reduction=reduction, **opts)
        ref_loss, ref_grad = numpy_softmax_ce(x, y, reduction=reduction, **opts)
        assert grad.dtype == dtype
        np.testing.assert_allclose(loss, ref_loss, rtol=tol, atol=tol)
        scale = 1.0 / n if reduction == "mean" else 1.0
        np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=tol * scale * 4)
        # a strided view and an F-ordered copy go through the row path: same results
        for name, view in layouts(x).items():
            loss2, grad2 = softmax_cross_entropy(view, y, reduction=reduction, **opts)
            np.testing.assert_allclose(loss2, loss, rtol=tol, atol=tol, err_msg=name)
            np.testing.assert_allclose(grad2, grad, rtol=0, atol=tol * scale * 4,
                                       err_msg=name)


def test_short_rows_ignored_rows_and_extremes(dtype):
    c = 5
    x = np.zeros((6, c), dtype=dtype)
    x[0] = -np.inf                                   # ignored: no error, zero gradient
    x[1, 2] = np.nan                                 # ignored too
    x[2] = [1e4, -1e4, 0, 0, 0]
    x[3] = -np.inf
    x[3, 4] = 2.0                                    # -inf except the label
    x[4] = 7.0
    x[5] = [-1e4, 1e4, -np.inf, 0, 3]
    y = np.array([-1, -1, 0, 4, 3, 1])
    loss, grad = softmax_cross_entropy(x, y, ignore_index=-1, reduction="none")
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    np.testing.assert_array_equal(grad[:2], 0)
    assert loss[0] == 0 and loss[1] == 0 and loss[2] == 0 and loss[3] == 0 and loss[5] == 0
    np.testing.assert_array_equal(grad[3], 0)
    assert loss[4] == pytest.approx(np.log(c), rel=4 * float(np.finfo(dtype).eps))
    with pytest.raises(ValueError, match="row 1"):
        softmax_cross_entropy(np.ascontiguousarray(x[1:3][::-1]), np.array([0, 0]))
    with pytest.raises(ValueError, match="row 0"):
        softmax_cross_entropy(x[:1], np.array([0]), class_weight=np.zeros(c))


def test_short_rows_thread_count_and_blocks(rng):
    # more rows than one task of the short-row path (2048 rows) on several threads
    x = rng.standard_normal((5000, 10)).astype(np.float32)
    y = rng.integers(0, 10, 5000)
    l1, g1 = softmax_cross_entropy(x, y, n_threads=1)
    l2, g2 = softmax_cross_entropy(x, y, n_threads=2)
    assert l1 == l2
    np.testing.assert_array_equal(g1, g2)
    ref_loss, ref_grad = numpy_softmax_ce(x, y)
    np.testing.assert_allclose(l1, ref_loss, rtol=4e-6)
    np.testing.assert_allclose(g1, ref_grad, rtol=0, atol=4e-6 / 5000)


# -- streamed gradients (non-temporal stores, large outputs) and the in-place kernel

@pytest.mark.parametrize("c", [70, 1000, 3000])
def test_streamed_gradient_is_identical(isa, dtype, c, rng):
    x = rng.standard_normal((37, c)).astype(dtype)
    y = rng.integers(0, c, 37)
    wide = np.zeros((37, c + 3), dtype=dtype)[:, 1:c + 1]    # unaligned rows
    wide[...] = x
    for opts in ({}, {"label_smoothing": 0.1, "class_weight": rng.random(c) + 0.1}):
        plain = softmax_cross_entropy(x, y, **opts)
        old = _losses.set_stream_bytes(0)
        try:
            streamed = softmax_cross_entropy(x, y, **opts)
            out = np.zeros((37, c + 5), dtype=dtype)[:, 3:c + 3]
            strided = softmax_cross_entropy(wide, y, grad_out=out, **opts)
        finally:
            _losses.set_stream_bytes(old)
        assert streamed[0] == plain[0] and strided[0] == plain[0]
        np.testing.assert_array_equal(streamed[1], plain[1])
        np.testing.assert_array_equal(out, plain[1])


@pytest.mark.parametrize("stream", [False, True])
def test_kernel_in_place(dtype, stream, rng):
    # the kernel may write the gradient over the logits (linear_softmax_cross_entropy)
    for c in (5, 300):
        x = rng.standard_normal((9, c)).astype(dtype)
        y = rng.integers(0, c, 9)
        ref_loss, ref_grad = softmax_cross_entropy(x, y, reduction="none")
        buf = x.copy()
        row_loss = np.empty(9)
        old = _losses.set_stream_bytes(0 if stream else 1 << 62)
        try:
            _losses.softmax_cross_entropy(buf, y, None, None, None, 0.0, False, 0, 1.0, buf,
                                          row_loss, 2)
        finally:
            _losses.set_stream_bytes(old)
        # short rows take another kernel (with another exp) in the public function
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(row_loss.astype(dtype), ref_loss, rtol=4 * eps, atol=4 * eps)
        np.testing.assert_allclose(buf, ref_grad, rtol=4 * eps, atol=4 * eps)


def test_kernel_refuses_mismatched_lengths():
    """The compiled kernel checks every array against the logits' shape itself (a label
    array shorter than the batch must never be read past its end)."""
    from lamina.losses._softmax import _mean_over_labels

    x = np.random.default_rng(0).standard_normal((5, 3))
    labels = np.array([0, 1, 2, 0, 1])
    g, rows = np.empty((5, 3)), np.empty(5)
    with pytest.raises(ValueError, match="labels has length 4, expected 5"):
        _mean_over_labels(x, labels[:4], 1)
    with pytest.raises(ValueError, match="g has shape"):
        _losses.softmax_cross_entropy(x, labels, None, None, None, 0.0, False, 0, 1.0,
                                      g[:4], rows, 1)
    with pytest.raises(ValueError, match="row_loss has length"):
        _losses.softmax_cross_entropy(x, labels, None, None, None, 0.0, False, 0, 1.0, g,
                                      rows[:4], 1)
    with pytest.raises(ValueError, match="cw has length"):
        _losses.softmax_cross_entropy(x, labels, None, np.ones(2), None, 0.0, False, 0, 1.0,
                                      g, rows, 1)
    with pytest.raises(ValueError, match="sw has length"):
        _losses.softmax_cross_entropy(x, labels, None, None, np.ones(6), 0.0, False, 0, 1.0,
                                      g, rows, 1)
    with pytest.raises(ValueError, match="q has shape"):
        _losses.softmax_cross_entropy(x, None, np.ones((5, 2)), None, None, 0.0, False, 0,
                                      1.0, g, rows, 1)
    loss, grad = _mean_over_labels(x, labels, 1)
    want_loss, want_grad = softmax_cross_entropy(x, labels)
    assert loss == want_loss
    np.testing.assert_array_equal(grad, want_grad)
