"""``lamina bench decomposition``: PCA, TruncatedSVD, NMF and LDA fits beside scikit-learn.

Cases (full size; ``--quick`` divides the dimensions for a fast look):

=============  ====================================================  ===================
case           problem                                               settings
=============  ====================================================  ===================
pca_full       dense 20000 x 500                                     svd_solver="full"
pca_random     dense 20000 x 2000, k = 50                            svd_solver="randomized"
tsvd_sparse    sparse 100000 x 10000, 1% nonzeros, k = 100            n_iter=5
nmf_cd         dense non-negative 2000 x 1000, k = 20, 200 iterations  solver="cd"
nmf_mu         the same                                               solver="mu"
lda            dense 20000 x 200, 10 classes                          solver="svd"
=============  ====================================================  ===================

"ratio" is scikit-learn's time over lamina's (above 1: lamina faster).  Both fit the same
data with the same settings and seeds, in alternation (see ``_common.interleaved_times``).
"""

import warnings

import numpy as np

import lamina
from lamina._bench._common import blas_threads, format_table, interleaved_times, openblas_info

CASES = ("pca_full", "pca_random", "tsvd_sparse", "nmf_cd", "nmf_mu", "lda")


def add_arguments(parser):
    parser.add_argument("--cases", default=",".join(CASES),
                        help="comma-separated subset of " + ", ".join(CASES))
    parser.add_argument("--quick", action="store_true",
                        help="smaller problems (about 1/4 to 1/10 of each dimension)")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median)")


def make_case(case, *, quick=False, dtype=np.float64, seed=0):
    """(label, data, lamina fit, scikit-learn fit) for one case; the fits are callables
    of no argument.  Shared with the asv benchmarks."""
    from sklearn import decomposition as skd
    from sklearn import discriminant_analysis as skda

    from lamina import decomposition as ld

    rng = np.random.default_rng(seed)
    if case == "pca_full":
        n, p = (4000, 200) if quick else (20000, 500)
        X = rng.standard_normal((n, p)).astype(dtype)
        kw = dict(n_components=50, svd_solver="full")
        return f"{n}x{p}", (lambda: ld.PCA(**kw).fit(X)), (lambda: skd.PCA(**kw).fit(X))
    if case == "pca_random":
        n, p = (4000, 500) if quick else (20000, 2000)
        X = rng.standard_normal((n, p)).astype(dtype)
        kw = dict(n_components=50, svd_solver="randomized", random_state=0)
        return (f"{n}x{p} k=50", (lambda: ld.PCA(**kw).fit(X)),
                (lambda: skd.PCA(**kw).fit(X)))
    if case == "tsvd_sparse":
        import scipy.sparse as sp

        n, p = (20000, 2000) if quick else (100000, 10000)
        X = sp.random(n, p, density=0.01, format="csr", random_state=seed, dtype=dtype)
        kw = dict(n_components=100, n_iter=5, random_state=0)
        return (f"{n}x{p} 1% k=100", (lambda: ld.TruncatedSVD(**kw).fit(X)),
                (lambda: skd.TruncatedSVD(**kw).fit(X)))
    if case in ("nmf_cd", "nmf_mu"):
        n, p = (500, 300) if quick else (2000, 1000)
        X = np.abs(rng.standard_normal((n, p))).astype(dtype)
        kw = dict(n_components=20, init="random", solver=case[-2:], max_iter=200, tol=0.0,
                  random_state=0)

        def fit(cls):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return cls(**kw).fit(X)

        return (f"{n}x{p} k=20 200 it", (lambda: fit(ld.NMF)), (lambda: fit(skd.NMF)))
    if case == "lda":
        n, p = (4000, 100) if quick else (20000, 200)
        y = rng.integers(0, 10, n)
        X = (rng.standard_normal((n, p)) + rng.standard_normal((10, p))[y]).astype(dtype)
        return (f"{n}x{p} 10 classes", (lambda: ld.LinearDiscriminantAnalysis().fit(X, y)),
                (lambda: skda.LinearDiscriminantAnalysis().fit(X, y)))
    raise ValueError(f"unknown case {case!r}; choose from {CASES}")


def run(args):
    try:
        import sklearn
    except ImportError:
        raise SystemExit("lamina bench decomposition needs scikit-learn: "
                         "pip install scikit-learn (or lamina[bench])") from None
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in CASES:
            raise SystemExit(f"unknown case {c!r}; choose from {', '.join(CASES)}")
    threads = lamina.get_num_threads()
    rows = []
    with blas_threads(threads):
        for case in cases:
            label, fl, fs = make_case(case, quick=args.quick, dtype=np.dtype(args.dtype))
            t = interleaved_times({"lamina": fl, "sklearn": fs}, repeat=args.repeat,
                                  min_time=0.0, settle=0.15 if threads > 1 else 0.0)
            rows.append([case, label, args.dtype, threads, t["lamina"], t["sklearn"],
                         t["sklearn"] / t["lamina"]])
        blas = openblas_info()             # inside the limit: the threads sklearn ran with
    head = (f"lamina {lamina.__version__} ({lamina.get_isa()}); scikit-learn "
            f"{sklearn.__version__}; NumPy/SciPy BLAS: {blas}")
    return head + "\n" + format_table(
        ["case", "problem", "dtype", "threads", "lamina s", "sklearn s", "ratio"], rows)
