"""Fused loss + gradient: softmax cross-entropy beside NumPy, scikit-learn and PyTorch;
element-wise losses at 10**7 elements beside NumPy.  ``track_gbytes_per_s`` reports the
bytes a fused kernel must move (read logits once, write the gradient once) per second."""

import time

import numpy as np

import lamina
from lamina._bench import losses as peers

from .common import DTYPES, THREADS, ThreadLimit, rng, skip_unless, torch, warm_up_openmp

try:
    import sklearn._loss.loss as _sklearn_loss
except ImportError:
    _sklearn_loss = None

IMPLS = ["lamina", "numpy", "sklearn", "torch"]
SHAPES = ["4096x1000", "65536x10", "1024x32000"]


class SoftmaxCrossEntropy:
    params = (IMPLS, SHAPES, DTYPES, THREADS)
    param_names = ["impl", "shape", "dtype", "threads"]
    timeout = 300

    def setup(self, impl, shape, dtype, threads):
        skip_unless(impl != "sklearn" or _sklearn_loss is not None)
        skip_unless(impl != "torch" or torch is not None)
        n, c = (int(v) for v in shape.split("x"))
        r = rng()
        self.x = r.standard_normal((n, c)).astype(dtype)
        self.y = r.integers(0, c, n)
        self.g = np.empty_like(self.x)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            self.fn = lambda: lamina.losses.softmax_cross_entropy(self.x, self.y,
                                                                  grad_out=self.g)
        elif impl == "numpy":
            self.fn = lambda: peers.numpy_softmax_ce(self.x, self.y, self.g)
        elif impl == "sklearn":
            self.fn = peers.sklearn_softmax_ce(self.x, self.y, threads)
            skip_unless(self.fn is not None)
        else:
            self.fn = peers.torch_softmax_ce(self.x, self.y, threads)
        self.fn()

    def teardown(self, *args):
        self.limit.stop()

    def time_loss_and_gradient(self, *args):
        self.fn()

    def track_gbytes_per_s(self, *args):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            self.fn()
            best = min(best, time.perf_counter() - start)
        return 2 * self.x.nbytes / best / 1e9

    track_gbytes_per_s.unit = "GB/s"


class ElementwiseLosses:
    params = (["lamina", "numpy"], ["mse", "mae", "huber", "log_cosh",
                                    "sigmoid_binary_cross_entropy", "kl_divergence"],
              DTYPES, THREADS)
    param_names = ["impl", "loss", "dtype", "threads"]
    timeout = 300

    def setup(self, impl, loss, dtype, threads):
        r = rng()
        n = 10_000_000
        self.x = r.standard_normal(n).astype(dtype)
        self.t = r.random(n).astype(dtype)
        self.g = np.empty_like(self.x)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            fn = getattr(lamina.losses, loss)
            self.fn = lambda: fn(self.x, self.t, grad_out=self.g)
        else:
            self.fn = lambda: peers._numpy_elementwise(loss, self.x, self.t, self.g)

    def teardown(self, *args):
        self.limit.stop()

    def time_loss_and_gradient(self, *args):
        self.fn()


class LinearSoftmaxCrossEntropy:
    """Fused linear layer + softmax cross-entropy (N = 4096, H = 1024, V = 32000, float32)
    against the unfused lamina composition (GEMM, softmax_cross_entropy, two gradient
    GEMMs): the fused one must be faster with >= 10x less peak extra memory."""
    params = (["fused", "unfused"], THREADS)
    param_names = ["impl", "threads"]
    timeout = 600
    number = 1
    repeat = 2

    def setup(self, impl, threads):
        r = rng()
        n, hidden, vocab = 4096, 1024, 32000
        self.h = r.standard_normal((n, hidden)).astype(np.float32)
        self.w = (r.standard_normal((vocab, hidden)) / np.sqrt(hidden)).astype(np.float32)
        self.b = np.zeros(vocab, np.float32)
        self.y = r.integers(0, vocab, n)
        self.outputs = self.h.nbytes + self.w.nbytes + self.b.nbytes
        h, w, b, y = self.h, self.w, self.b, self.y
        if impl == "fused":
            self.fn = lambda: lamina.losses.linear_softmax_cross_entropy(
                h, w, b, y, n_threads=threads)
        else:
            def unfused():
                logits = lamina.gemm(h, w, trans_b=True, bias=b, n_threads=threads)
                loss, g = lamina.losses.softmax_cross_entropy(logits, y, n_threads=threads)
                return (loss, lamina.gemm(g, w, n_threads=threads),
                        lamina.gemm(g, h, trans_a=True, n_threads=threads), g.sum(axis=0))
            self.fn = unfused

    def time_loss_and_gradients(self, *args):
        self.fn()

    def track_peak_extra_mib(self, *args):
        import tracemalloc

        tracemalloc.start()
        try:
            self.fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return (peak - self.outputs) / 2**20

    track_peak_extra_mib.unit = "MiB"
