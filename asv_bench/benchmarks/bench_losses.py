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
