"""Level-1 and level-2 BLAS beside NumPy: dot, axpy, nrm2, gemv (memory-bound kernels)."""

import numpy as np

import lamina

from .common import DTYPES, THREADS, ThreadLimit, rng, warm_up_openmp


class Level1:
    params = (["lamina", "numpy"], [1_000, 100_000, 10_000_000], DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]
    timeout = 120

    def setup(self, impl, n, dtype, threads):
        r = rng()
        self.x = r.standard_normal(n).astype(dtype)
        self.y = r.standard_normal(n).astype(dtype)
        self.out = np.empty_like(self.y)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            self.dot = lambda: lamina.dot(self.x, self.y)
            self.axpy = lambda: lamina.axpy(2.0, self.x, self.y, out=self.out)
            self.nrm2 = lambda: lamina.blas.nrm2(self.x)
        else:
            self.dot = lambda: np.dot(self.x, self.y)
            self.axpy = lambda: np.add(np.multiply(2.0, self.x, out=self.out), self.y,
                                       out=self.out)
            self.nrm2 = lambda: np.linalg.norm(self.x)

    def teardown(self, *args):
        self.limit.stop()

    def time_dot(self, *args):
        self.dot()

    def time_axpy(self, *args):
        self.axpy()

    def time_nrm2(self, *args):
        self.nrm2()

    def track_dot_relative_error(self, impl, n, dtype, threads):
        exact = float(np.dot(self.x.astype(np.longdouble), self.y.astype(np.longdouble)))
        scale = float(np.abs(self.x.astype(np.float64)) @ np.abs(self.y.astype(np.float64)))
        return abs(float(self.dot()) - exact) / scale

    track_dot_relative_error.unit = "relative error"


class Level2:
    params = (["lamina", "numpy"], [64, 512, 4096], DTYPES, THREADS, ["C", "F"])
    param_names = ["impl", "n", "dtype", "threads", "order"]
    timeout = 120

    def setup(self, impl, n, dtype, threads, order):
        r = rng()
        self.a = np.asarray(r.standard_normal((n, n)).astype(dtype), order=order)
        self.x = r.standard_normal(n).astype(dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        self.fn = (lambda: lamina.matvec(self.a, self.x)) if impl == "lamina" else \
            (lambda: self.a @ self.x)

    def teardown(self, *args):
        self.limit.stop()

    def time_gemv(self, *args):
        self.fn()

    def track_gemv_gbytes(self, impl, n, dtype, threads, order):
        import timeit

        number = max(1, int(2e7 // (n * n)))
        t = min(timeit.repeat(self.fn, number=number, repeat=3)) / number
        return self.a.nbytes / t / 1e9

    track_gemv_gbytes.unit = "GB/s"


class FiniteCheck:
    """The NaN/Inf check every ``check_finite`` input gets (a training set of 60000 x 784
    float32 here): lamina's threaded exponent-bit scan beside ``numpy.isfinite(x).all()``."""

    params = (["lamina", "numpy"], DTYPES, THREADS)
    param_names = ["impl", "dtype", "threads"]
    timeout = 120

    def setup(self, impl, dtype, threads):
        from lamina._validation import all_finite

        self.x = rng().standard_normal((60000, 784)).astype(dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        self.check = (lambda: all_finite(self.x)) if impl == "lamina" else \
            (lambda: bool(np.isfinite(self.x).all()))

    def teardown(self, *args):
        self.limit.stop()

    def time_all_finite(self, *args):
        self.check()
