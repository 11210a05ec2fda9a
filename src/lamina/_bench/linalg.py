"""``lamina bench linalg``: factorizations and solvers beside SciPy's LAPACK.

GFLOP/s use the classic operation counts (LU 2/3 n^3, Cholesky 1/3 n^3, QR with Q formed
4/3 n^3 as the issue counts it, solve 2/3 n^3 + 2 n^2, least squares on m x n
2 m n^2 - 2/3 n^3; eigh with vectors 9 n^3 and eigvalsh 4/3 n^3 (LAPACK's counts for
tridiagonal QR), svd economic with vectors 21 n^3 and svdvals 8/3 n^3, randomized_svd
(4q + 4) m n (k + p)); "ratio" is the peer's time over lamina's (above 1: lamina faster);
"% gemm" is lamina's rate as a fraction of lamina's own square GEMM rate at the same n,
dtype and thread count.  The peer is SciPy's LAPACK (eigh's default driver, gesdd for svd)
and scikit-learn's randomized_svd with the same n_iter and oversampling.
"""


import numpy as np

import lamina
from lamina._bench._common import blas_threads, format_table, interleaved_times, openblas_info

OPS = ("lu_factor", "cholesky", "qr", "solve", "lstsq", "eigh", "eigvalsh", "svd", "svdvals",
       "randomized_svd")
SPECTRAL = ("eigh", "eigvalsh", "svd", "svdvals")


def _ints(text):
    return [int(v) for v in text.split(",") if v]


def add_arguments(parser):
    parser.add_argument("--sizes", type=_ints, default=[128, 512, 1024, 2048, 4096],
                        help="square sizes n (comma-separated)")
    parser.add_argument("--dtypes", default="float64,float32",
                        help="comma-separated: float64,float32")
    parser.add_argument("--thread-counts", type=_ints, default=[1, 2],
                        help="thread counts to sweep (comma-separated)")
    parser.add_argument("--ops", default=",".join(OPS),
                        help="comma-separated subset of " + ", ".join(OPS))
    parser.add_argument("--lstsq-shape", default="8000x500",
                        help="m x n of the least-squares problem")
    parser.add_argument("--spectral-sizes", type=_ints, default=[512, 2048],
                        help="square sizes for eigh, eigvalsh, svd, svdvals")
    parser.add_argument("--rsvd-shape", default="8000x2000",
                        help="m x n of the randomized_svd problem")
    parser.add_argument("--rsvd-components", type=int, default=50,
                        help="n_components of the randomized_svd problem")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the process CPU clock, best of --repeat (use with "
                             "one thread and OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1: on a "
                             "machine shared with other work this excludes the time the "
                             "process waits for a core)")


def _problem(op, n, dtype, rng, lstsq_shape, rsvd=((8000, 2000), 50)):
    """(lamina call, peer call, flops, label, peer name)."""
    import scipy.linalg as sl

    la = lamina.linalg
    if op == "randomized_svd":
        from sklearn.utils.extmath import randomized_svd

        (m, k), ncomp = rsvd
        a = rng.standard_normal((m, k)).astype(dtype)
        q = 7 if ncomp < 0.1 * min(m, k) else 4
        return (lambda: la.randomized_svd(a, ncomp, random_state=0),
                lambda: randomized_svd(a, ncomp, random_state=0),
                (4 * q + 4) * m * k * (ncomp + 10), f"{m}x{k} k={ncomp}", "sklearn")
    if op in SPECTRAL:
        a = rng.standard_normal((n, n)).astype(dtype)
        s = (a + a.T) / 2
        return {
            "eigh": (lambda: la.eigh(s), lambda: sl.eigh(s), 9.0 * n ** 3),
            "eigvalsh": (lambda: la.eigvalsh(s), lambda: sl.eigvalsh(s), 4 / 3 * n ** 3),
            "svd": (lambda: la.svd(a, full_matrices=False),
                    lambda: sl.svd(a, full_matrices=False), 21.0 * n ** 3),
            "svdvals": (lambda: la.svdvals(a), lambda: sl.svdvals(a), 8 / 3 * n ** 3),
        }[op] + (str(n), "scipy")
    if op == "lstsq":
        m, k = lstsq_shape
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal(m).astype(dtype)
        return (lambda: la.lstsq(a, b), lambda: sl.lstsq(a, b),
                2.0 * m * k * k - 2.0 / 3.0 * k ** 3, f"{m}x{k}", "scipy")
    a = rng.standard_normal((n, n)).astype(dtype)
    if op == "lu_factor":
        return (lambda: la.lu_factor(a), lambda: sl.lu_factor(a), 2 / 3 * n ** 3, str(n), "scipy")
    if op == "cholesky":
        s = (a @ a.T + n * np.eye(n)).astype(dtype)
        return (lambda: la.cholesky(s, lower=True), lambda: sl.cholesky(s, lower=True),
                n ** 3 / 3, str(n), "scipy")
    if op == "qr":
        return (lambda: la.qr(a), lambda: sl.qr(a, mode="economic"), 4 / 3 * n ** 3, str(n),
                "scipy")
    if op == "solve":
        b = rng.standard_normal(n).astype(dtype)
        return (lambda: la.solve(a, b), lambda: sl.solve(a, b), 2 / 3 * n ** 3 + 2 * n * n,
                str(n), "scipy")
    raise ValueError(f"unknown op {op!r}; choose from {OPS}")


def _cpu_times(fns, repeat):
    """Best process CPU time per implementation, alternating between them."""
    import time

    best = dict.fromkeys(fns, float("inf"))
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            start = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - start)
    return best


def _gemm_rate(n, dtype, rng, repeat):
    a = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype)
    t = interleaved_times({"gemm": lambda: lamina.matmul(a, a, out=out)}, repeat=repeat)
    return 2.0 * n ** 3 / t["gemm"] / 1e9


def run(args):
    ops = [o for o in args.ops.split(",") if o]
    for op in ops:
        if op not in OPS:
            raise SystemExit(f"unknown op {op!r}; choose from {', '.join(OPS)}")
    m, k = (int(v) for v in args.lstsq_shape.lower().split("x"))
    rsvd = (tuple(int(v) for v in args.rsvd_shape.lower().split("x")), args.rsvd_components)
    rng = np.random.default_rng(0)
    rows = []
    for dtype in [np.dtype(d) for d in args.dtypes.split(",") if d]:
        for threads in args.thread_counts:
            with blas_threads(threads), lamina.threads(threads):
                gemm_rates = {}
                for op in ops:
                    sizes = ([0] if op in ("lstsq", "randomized_svd") else
                             args.spectral_sizes if op in SPECTRAL else args.sizes)
                    for n in sizes:
                        fl, fs, flops, label, peer = _problem(op, n, dtype, rng, (m, k), rsvd)
                        if args.cpu_time:
                            t = _cpu_times({"lamina": fl, "scipy": fs}, args.repeat)
                        else:
                            t = interleaved_times({"lamina": fl, "scipy": fs},
                                                  repeat=args.repeat,
                                                  settle=0.15 if threads > 1 else 0.0)
                        gref = (max(n, k) if op == "lstsq" else
                                max(rsvd[0]) if op == "randomized_svd" else n)
                        if gref not in gemm_rates:
                            gemm_rates[gref] = _gemm_rate(gref, dtype, rng, args.repeat)
                        gl = flops / t["lamina"] / 1e9
                        gs = flops / t["scipy"] / 1e9
                        rows.append([op, label, dtype.name, threads, peer, t["lamina"],
                                     t["scipy"], gl, gs, t["scipy"] / t["lamina"],
                                     100.0 * gl / gemm_rates[gref]])
    head = f"lamina {lamina.__version__} ({lamina.get_isa()}); SciPy's LAPACK: {openblas_info()}"
    return head + "\n" + format_table(
        ["op", "n", "dtype", "threads", "peer", "lamina s", "peer s", "lamina GF/s",
         "peer GF/s", "ratio", "% gemm"], rows)
