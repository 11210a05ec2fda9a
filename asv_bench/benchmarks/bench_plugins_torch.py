"""The lamina-torch backend beside lamina's core on the same operations (CPU tensors):
GEMM, a dense solve, CG on the 2-D Poisson matrix (CSR) and softmax cross-entropy with its
gradient.  ``impl="core"`` passes NumPy arrays, ``impl="torch"`` the same data as
``torch.Tensor`` (so the call dispatches to the plugin).  Skipped when the plugin is not
installed.  ``python -m lamina_torch.bench`` times the same cases, one process each."""

import numpy as np

import lamina
import lamina.linalg
import lamina.losses
import lamina.solvers
import lamina.sparse

from .common import THREADS, ThreadLimit, optional, rng, scipy, skip_unless, torch, warm_up_openmp

lamina_torch = optional("lamina_torch")
IMPLS = ["core", "torch"]


class _Base:
    timeout = 300

    def _setup(self, impl, threads):
        skip_unless(impl == "core" or (torch is not None and lamina_torch is not None))
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        self.conv = torch.from_numpy if impl == "torch" else (lambda a: a)

    def teardown(self, *args):
        self.limit.stop()


class Matmul(_Base):
    params = (IMPLS, [256, 1024], ["float32", "float64"], THREADS)
    param_names = ["impl", "n", "dtype", "threads"]

    def setup(self, impl, n, dtype, threads):
        self._setup(impl, threads)
        r = rng()
        self.a = self.conv(r.standard_normal((n, n)).astype(dtype))
        self.b = self.conv(r.standard_normal((n, n)).astype(dtype))

    def time_matmul(self, *args):
        lamina.matmul(self.a, self.b)


class Solve(_Base):
    params = (IMPLS, [256, 1024], THREADS)
    param_names = ["impl", "n", "threads"]

    def setup(self, impl, n, threads):
        self._setup(impl, threads)
        r = rng()
        self.a = self.conv(r.standard_normal((n, n)) + n ** 0.5 * np.eye(n))
        self.b = self.conv(r.standard_normal(n))

    def time_solve(self, *args):
        lamina.linalg.solve(self.a, self.b)


class CG(_Base):
    params = (IMPLS, [100, 300], THREADS)
    param_names = ["impl", "grid", "threads"]

    def setup(self, impl, grid, threads):
        skip_unless(scipy is not None)
        self._setup(impl, threads)
        from lamina._bench.solvers import poisson2d

        a = scipy.sparse.csr_array(poisson2d(grid, np.float64))
        self.b = self.conv(np.ones(a.shape[0]))
        if impl == "torch":
            self.a = torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(np.int64)),
                                             torch.from_numpy(a.indices.astype(np.int64)),
                                             torch.from_numpy(a.data), size=a.shape,
                                             check_invariants=True)
        else:
            self.a = lamina.sparse.as_csr(a)

    def time_cg(self, *args):
        lamina.solvers.cg(self.a, self.b, rtol=1e-8)


class SoftmaxCrossEntropy(_Base):
    params = (IMPLS, ["4096x1000", "65536x10"], THREADS)
    param_names = ["impl", "shape", "threads"]

    def setup(self, impl, shape, threads):
        self._setup(impl, threads)
        n, c = (int(v) for v in shape.split("x"))
        r = rng()
        self.x = self.conv(r.standard_normal((n, c)).astype(np.float32))
        self.y = self.conv(r.integers(0, c, n))

    def time_softmax_cross_entropy(self, *args):
        lamina.losses.softmax_cross_entropy(self.x, self.y)
