"""The lamina-tensor plugin's Tucker (HOSVD, HOOI) and CP-ALS beside TensorLy.

A planted low-rank tensor plus 10 % noise; HOOI and CP-ALS run a fixed number of sweeps
(``tol=0``) so both libraries do equal work.  Skips cleanly when the plugin
(``pip install ./plugins/lamina-tensor``) or TensorLy is not installed.
"""

import warnings

from .common import ThreadLimit, optional, skip_unless, warm_up_openmp

lamina_tensor = optional("lamina_tensor")
tensorly = optional("tensorly")

CASES = {
    "hosvd-120x100x80-r10": ("hosvd", (120, 100, 80), (10, 10, 10), 0),
    "hooi-120x100x80-r10": ("hooi", (120, 100, 80), (10, 10, 10), 10),
    "hooi-40x36x32x28-r5": ("hooi", (40, 36, 32, 28), (5, 5, 5, 5), 10),
    "cp-120x100x80-r10": ("cp", (120, 100, 80), 10, 25),
}


class TensorDecomposition:
    params = (["lamina", "tensorly"], list(CASES), ["float64", "float32"], [1, 2])
    param_names = ["impl", "case", "dtype", "threads"]
    timeout = 300

    def setup(self, impl, case, dtype, threads):
        skip_unless(lamina_tensor is not None)
        skip_unless(impl != "tensorly" or tensorly is not None)
        from lamina_tensor import bench

        self.bench = bench
        self.method, shape, self.rank, self.sweeps = CASES[case]
        self.x = bench.planted(shape, self.rank, dtype)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()

    def teardown(self, impl, case, dtype, threads):
        self.limit.stop()

    def _run(self, impl):
        run = self.bench.run_lamina if impl == "lamina" else self.bench.run_tensorly
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run(self.method, self.x, self.rank, self.sweeps)

    def time_fit(self, impl, case, dtype, threads):
        self._run(impl)

    def track_relative_error(self, impl, case, dtype, threads):
        import numpy as np

        return self.bench.rel_error(self.x, np.asarray(self._run(impl)))

    track_relative_error.unit = "relative error"
