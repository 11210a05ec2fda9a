"""Helpers shared by every benchmark module (imported defensively: peers are optional)."""

import importlib

import numpy as np


def optional(name):
    """Import a peer library if installed, else None (the benchmark then skips it)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


scipy = optional("scipy")
torch = optional("torch")
threadpoolctl = optional("threadpoolctl")

IMPLS = ["lamina", "numpy"]
THREADS = [1, 2]
DTYPES = ["float32", "float64"]


def skip_unless(condition):
    """asv convention: raising NotImplementedError in setup skips the parameter combo."""
    if not condition:
        raise NotImplementedError


def rng():
    return np.random.default_rng(0)


class ThreadLimit:
    """Limit both lamina and the peer's BLAS to ``n`` threads during a benchmark."""

    def __init__(self, n):
        self.n = n
        self._ctl = None

    def start(self):
        import lamina

        lamina.set_num_threads(self.n)
        if threadpoolctl is not None:
            self._ctl = threadpoolctl.threadpool_limits(self.n, user_api="blas")
        if torch is not None:
            torch.set_num_threads(self.n)

    def stop(self):
        import lamina

        lamina.set_num_threads(None)
        if self._ctl is not None:
            self._ctl.restore_original_limits()
            self._ctl = None


def warm_up_openmp():
    """Start lamina's OpenMP team before timing so thread creation is not measured."""
    import lamina

    a = np.ones((512, 512))
    lamina.matvec(a, a[0])
