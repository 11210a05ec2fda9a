"""GEMM beside NumPy's BLAS (and PyTorch when installed): square sizes and the shapes of
dense layers (batch x features x units), float32/float64, 1 and 2 threads."""

import numpy as np

import lamina

from .common import DTYPES, THREADS, ThreadLimit, rng, skip_unless, torch, warm_up_openmp

IMPLS = ["lamina", "numpy"] + (["torch"] if torch is not None else [])

DL_SHAPES = ["32x784x512", "128x784x512", "512x784x512", "128x4096x1024", "4096x64x256",
             "10000x32x512"]


class _Product:
    timeout = 300

    def _setup(self, impl, m, k, n, dtype, threads):
        r = rng()
        self.a = r.standard_normal((m, k)).astype(dtype)
        self.b = r.standard_normal((k, n)).astype(dtype)
        self.out = np.empty((m, n), dtype)
        self.flops = 2.0 * m * n * k
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            self.fn = lambda: lamina.matmul(self.a, self.b, out=self.out)
        elif impl == "numpy":
            self.fn = lambda: np.matmul(self.a, self.b, out=self.out)
        else:
            skip_unless(torch is not None)
            ta, tb = torch.from_numpy(self.a), torch.from_numpy(self.b)
            tout = torch.from_numpy(self.out)
            self.fn = lambda: torch.matmul(ta, tb, out=tout)
        self.fn()

    def teardown(self, *args):
        self.limit.stop()

    def _gflops(self):
        import time

        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            self.fn()
            best = min(best, time.perf_counter() - start)
        return self.flops / best / 1e9


class Square(_Product):
    params = (IMPLS, [64, 128, 256, 512, 1024, 2048, 4096], DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]

    def setup(self, impl, n, dtype, threads):
        self._setup(impl, n, n, n, dtype, threads)

    def time_matmul(self, *args):
        self.fn()

    def track_gflops(self, *args):
        return self._gflops()

    track_gflops.unit = "GFLOP/s"


class DenseLayer(_Product):
    params = (IMPLS, DL_SHAPES, DTYPES, THREADS)
    param_names = ["impl", "shape", "dtype", "threads"]

    def setup(self, impl, shape, dtype, threads):
        m, k, n = (int(v) for v in shape.split("x"))
        self._setup(impl, m, k, n, dtype, threads)

    def time_matmul(self, *args):
        self.fn()

    def track_gflops(self, *args):
        return self._gflops()

    track_gflops.unit = "GFLOP/s"


class FusedDense:
    """gemm with bias + relu fused, beside the unfused NumPy expression."""

    params = (["lamina", "numpy"], ["128x784x512", "512x784x512"], ["float32"], THREADS)
    param_names = ["impl", "shape", "dtype", "threads"]
    timeout = 300

    def setup(self, impl, shape, dtype, threads):
        m, k, n = (int(v) for v in shape.split("x"))
        r = rng()
        a = r.standard_normal((m, k)).astype(dtype)
        w = r.standard_normal((k, n)).astype(dtype)
        bias = r.standard_normal(n).astype(dtype)
        out = np.empty((m, n), dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            self.fn = lambda: lamina.gemm(a, w, bias=bias, activation="relu", out=out)
        else:
            self.fn = lambda: np.maximum(np.add(np.matmul(a, w, out=out), bias, out=out), 0,
                                         out=out)

    def teardown(self, *args):
        self.limit.stop()

    def time_dense_relu(self, *args):
        self.fn()
