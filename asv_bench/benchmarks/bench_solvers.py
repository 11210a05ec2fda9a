"""Iterative solvers and SpMV on the 2-D 5-point Poisson matrix beside SciPy.

CG to rtol 1e-8 (SciPy's ``cg`` as the peer), Jacobi for a fixed number of sweeps (the
peer is the same iteration written with ``scipy.sparse``), SpMV beside ``A @ x``.
``track_*`` report iterations and the GB/s implied by the byte model of
``lamina._bench.solvers`` so the bandwidth bound can be followed over commits.
"""

import warnings

import numpy as np

import lamina
import lamina.solvers
import lamina.sparse

from .common import DTYPES, THREADS, ThreadLimit, scipy, skip_unless, warm_up_openmp

SIZES = [10_000, 90_000, 1_000_000]
RTOL = 1e-8
SWEEPS = 50


def _poisson(n, dtype):
    from lamina._bench.solvers import poisson2d

    return poisson2d(int(round(np.sqrt(n))), dtype)


class _Base:
    param_names = ["impl", "n", "dtype", "threads"]
    timeout = 600

    def setup(self, impl, n, dtype, threads):
        skip_unless(scipy is not None)
        skip_unless(impl == "lamina" or threads == 1)       # SciPy's sparse code is serial
        self.A = _poisson(n, dtype)
        self.C = lamina.sparse.as_csr(self.A)
        self.b = np.ones(n, dtype=dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()

    def teardown(self, *args):
        self.limit.stop()


class CG(_Base):
    params = (["lamina", "scipy"], SIZES, DTYPES, THREADS)

    def setup(self, impl, n, dtype, threads):
        super().setup(impl, n, dtype, threads)
        import scipy.sparse.linalg as spla

        if impl == "lamina":
            self.solve = lambda: lamina.solvers.cg(self.C, self.b, rtol=RTOL).iterations
        else:
            def solve():
                count = [0]
                spla.cg(self.A, self.b, rtol=RTOL, maxiter=20 * n,
                        callback=lambda _: count.__setitem__(0, count[0] + 1))
                return count[0]

            self.solve = solve

    def time_cg(self, *args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lamina.ConvergenceWarning)
            self.solve()

    def track_iterations(self, *args):
        return self.solve()

    track_iterations.unit = "iterations"


class Jacobi(_Base):
    params = (["lamina", "scipy"], SIZES, DTYPES, THREADS)

    def setup(self, impl, n, dtype, threads):
        super().setup(impl, n, dtype, threads)
        dinv = (1 / self.A.diagonal()).astype(dtype)
        if impl == "lamina":
            self.run = lambda: lamina.solvers.jacobi(self.C, self.b, rtol=RTOL,
                                                     maxiter=SWEEPS)
        else:
            def run():
                x = np.zeros_like(self.b)
                for _ in range(SWEEPS):
                    x += (self.b - self.A @ x) * dinv
                return x

            self.run = run

    def time_jacobi_sweeps(self, *args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lamina.ConvergenceWarning)
            self.run()


class SpMV(_Base):
    params = (["lamina", "scipy"], SIZES, DTYPES, THREADS)

    def setup(self, impl, n, dtype, threads):
        super().setup(impl, n, dtype, threads)
        self.y = np.empty(n, dtype=dtype)
        if impl == "lamina":
            self.spmv = lambda: lamina.sparse.csr_matvec(self.C, self.b, out=self.y)
        else:
            self.spmv = lambda: self.A @ self.b

    def time_spmv(self, *args):
        self.spmv()

    def track_gbytes_per_second(self, impl, n, dtype, threads):
        import time

        from lamina._bench.solvers import bytes_per_iteration

        reps = max(3, int(2e7 // n))
        start = time.perf_counter()
        for _ in range(reps):
            self.spmv()
        elapsed = (time.perf_counter() - start) / reps
        nb = bytes_per_iteration("spmv", n, self.A.nnz, np.dtype(dtype).itemsize,
                                 self.A.indices.dtype.itemsize)
        return nb / elapsed / 1e9

    track_gbytes_per_second.unit = "GB/s"
