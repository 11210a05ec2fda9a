"""Dense factorizations and solvers beside SciPy's LAPACK: LU, Cholesky, QR (economic,
Q formed), solve with one right-hand side, least squares on a tall matrix, the symmetric
eigenproblem (eigh with vectors, eigvalsh), the SVD (economic with vectors against SciPy's
default gesdd, svdvals) and randomized_svd against scikit-learn's; float32 and float64,
1 and 2 threads, with GFLOP/s tracked."""

import time

import numpy as np

import lamina

from .common import DTYPES, THREADS, ThreadLimit, optional, rng, skip_unless, warm_up_openmp

scipy_linalg = optional("scipy.linalg")
sklearn_extmath = optional("sklearn.utils.extmath")

IMPLS = ["lamina", "scipy"]
SIZES = [128, 512, 1024, 2048, 4096]


def _flops(op, n, m=None):
    if op == "lu_factor":
        return 2 / 3 * n ** 3
    if op == "cholesky":
        return n ** 3 / 3
    if op == "qr":
        return 4 / 3 * n ** 3
    if op == "solve":
        return 2 / 3 * n ** 3 + 2 * n * n
    return 2.0 * m * n * n - 2 / 3 * n ** 3       # lstsq, m x n


class _Factorization:
    timeout = 600
    op = None

    def setup(self, impl, n, dtype, threads):
        skip_unless(impl == "lamina" or scipy_linalg is not None)
        r = rng()
        a = r.standard_normal((n, n)).astype(dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        lib = lamina.linalg if impl == "lamina" else scipy_linalg
        if self.op == "cholesky":
            s = (a @ a.T + n * np.eye(n)).astype(dtype)
            self.fn = lambda: lib.cholesky(s, lower=True)
        elif self.op == "qr":
            mode = "reduced" if impl == "lamina" else "economic"
            self.fn = lambda: lib.qr(a, mode=mode)
        elif self.op == "solve":
            b = r.standard_normal(n).astype(dtype)
            self.fn = lambda: lib.solve(a, b)
        else:
            self.fn = lambda: lib.lu_factor(a)
        self.flops = _flops(self.op, n)
        self.fn()

    def teardown(self, *args):
        self.limit.stop()

    def time_op(self, *args):
        self.fn()

    def track_gflops(self, *args):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            self.fn()
            best = min(best, time.perf_counter() - start)
        return self.flops / best / 1e9

    track_gflops.unit = "GFLOP/s"


class LUFactor(_Factorization):
    op = "lu_factor"
    params = (IMPLS, SIZES, DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]


class Cholesky(_Factorization):
    op = "cholesky"
    params = (IMPLS, SIZES, DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]


class QR(_Factorization):
    op = "qr"
    params = (IMPLS, SIZES, DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]


class Solve(_Factorization):
    op = "solve"
    params = (IMPLS, SIZES, DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]


class Lstsq(_Factorization):
    op = "lstsq"
    params = (IMPLS, ["8000x500", "2000x200"], DTYPES, THREADS)
    param_names = ["impl", "shape", "dtype", "threads"]

    def setup(self, impl, shape, dtype, threads):
        skip_unless(impl == "lamina" or scipy_linalg is not None)
        m, n = (int(v) for v in shape.split("x"))
        r = rng()
        a = r.standard_normal((m, n)).astype(dtype)
        b = r.standard_normal(m).astype(dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        if impl == "lamina":
            self.fn = lambda: lamina.linalg.lstsq(a, b)
        else:
            self.fn = lambda: scipy_linalg.lstsq(a, b)          # SciPy's default driver (gelsd)
        self.flops = _flops("lstsq", n, m)
        self.fn()


# -- eigenvalues and singular values -------------------------------------------------------

SPECTRAL_SIZES = [256, 1024, 2048]
# Classic operation counts (LAPACK's working notes): tridiagonal QR with vectors, the
# reduction alone, Golub-Kahan SVD with vectors, the bidiagonal reduction alone.
_SPECTRAL_FLOPS = {"eigh": 9.0, "eigvalsh": 4 / 3, "svd": 21.0, "svdvals": 8 / 3}


class _Spectral(_Factorization):
    params = (IMPLS, SPECTRAL_SIZES, DTYPES, THREADS)
    param_names = ["impl", "n", "dtype", "threads"]

    def setup(self, impl, n, dtype, threads):
        skip_unless(impl == "lamina" or scipy_linalg is not None)
        a = rng().standard_normal((n, n)).astype(dtype)
        s = (a + a.T) / 2
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        lib = lamina.linalg if impl == "lamina" else scipy_linalg
        self.fn = {
            "eigh": lambda: lib.eigh(s),
            "eigvalsh": lambda: lib.eigvalsh(s),
            "svd": lambda: lib.svd(a, full_matrices=False),     # SciPy: gesdd (its default)
            "svdvals": lambda: lib.svdvals(a),
        }[self.op]
        self.flops = _SPECTRAL_FLOPS[self.op] * n ** 3
        self.fn()


class Eigh(_Spectral):
    op = "eigh"


class Eigvalsh(_Spectral):
    op = "eigvalsh"


class Svd(_Spectral):
    op = "svd"


class Svdvals(_Spectral):
    op = "svdvals"


class RandomizedSvd(_Factorization):
    """8000 x 2000, 50 components, scikit-learn's defaults (10 oversamples, n_iter 7, LU
    normalization) on both sides."""

    op = "randomized_svd"
    params = (["lamina", "sklearn"], ["8000x2000", "2000x500"], DTYPES, THREADS)
    param_names = ["impl", "shape", "dtype", "threads"]

    def setup(self, impl, shape, dtype, threads):
        skip_unless(impl == "lamina" or sklearn_extmath is not None)
        m, n = (int(v) for v in shape.split("x"))
        k = 50 if m >= 8000 else 20
        a = rng().standard_normal((m, n)).astype(dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        lib = lamina.linalg if impl == "lamina" else sklearn_extmath
        self.fn = lambda: lib.randomized_svd(a, k, random_state=0)
        q = 7 if k < 0.1 * min(m, n) else 4
        self.flops = (4 * q + 4) * m * n * (k + 10)
        self.fn()
