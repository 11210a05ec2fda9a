"""Decomposition estimators beside scikit-learn: PCA (full, randomized), TruncatedSVD on
a sparse matrix, NMF (cd and mu, 200 iterations) and LDA fits, at the sizes of
``lamina bench decomposition`` (the cases are defined once, in lamina._bench)."""

import numpy as np

from .common import THREADS, ThreadLimit, optional, skip_unless, warm_up_openmp

sklearn = optional("sklearn")

CASES = ["pca_full", "pca_random", "tsvd_sparse", "nmf_cd", "nmf_mu", "lda"]


class DecompositionFit:
    timeout = 1200
    number = 1
    repeat = 3
    params = (["lamina", "sklearn"], CASES, THREADS)
    param_names = ["impl", "case", "threads"]

    def setup(self, impl, case, threads):
        skip_unless(sklearn is not None)
        from lamina._bench.decomposition import make_case

        _, fit_lamina, fit_sklearn = make_case(case, dtype=np.float64)
        self.fn = fit_lamina if impl == "lamina" else fit_sklearn
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()

    def teardown(self, *args):
        self.limit.stop()

    def time_fit(self, *args):
        self.fn()


class DecompositionFitQuick(DecompositionFit):
    """The same cases at the --quick sizes (a fast regression signal)."""

    timeout = 300
    repeat = 5

    def setup(self, impl, case, threads):
        skip_unless(sklearn is not None)
        from lamina._bench.decomposition import make_case

        _, fit_lamina, fit_sklearn = make_case(case, quick=True, dtype=np.float64)
        self.fn = fit_lamina if impl == "lamina" else fit_sklearn
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
