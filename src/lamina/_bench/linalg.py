"""``lamina bench linalg``: factorizations and solvers beside SciPy's LAPACK.

GFLOP/s use the classic operation counts (LU 2/3 n^3, Cholesky 1/3 n^3, QR with Q formed
4/3 n^3 as the issue counts it, solve 2/3 n^3 + 2 n^2, least squares on m x n
2 m n^2 - 2/3 n^3); "ratio" is SciPy's time over lamina's (above 1: lamina faster);
"% gemm" is lamina's rate as a fraction of lamina's own square GEMM rate at the same n,
dtype and thread count.
"""

import contextlib

import numpy as np

import lamina
from lamina._bench._common import format_table, interleaved_times, openblas_info

OPS = ("lu_factor", "cholesky", "qr", "solve", "lstsq")


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
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median)")


@contextlib.contextmanager
def _blas_threads(n):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(n, user_api="blas"):
        yield


def _problem(op, n, dtype, rng, lstsq_shape):
    """(lamina call, scipy call, flops, label)."""
    import scipy.linalg as sl

    la = lamina.linalg
    if op == "lstsq":
        m, k = lstsq_shape
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal(m).astype(dtype)
        return (lambda: la.lstsq(a, b), lambda: sl.lstsq(a, b),
                2.0 * m * k * k - 2.0 / 3.0 * k ** 3, f"{m}x{k}")
    a = rng.standard_normal((n, n)).astype(dtype)
    if op == "lu_factor":
        return (lambda: la.lu_factor(a), lambda: sl.lu_factor(a), 2 / 3 * n ** 3, str(n))
    if op == "cholesky":
        s = (a @ a.T + n * np.eye(n)).astype(dtype)
        return (lambda: la.cholesky(s, lower=True), lambda: sl.cholesky(s, lower=True),
                n ** 3 / 3, str(n))
    if op == "qr":
        return (lambda: la.qr(a), lambda: sl.qr(a, mode="economic"), 4 / 3 * n ** 3, str(n))
    if op == "solve":
        b = rng.standard_normal(n).astype(dtype)
        return (lambda: la.solve(a, b), lambda: sl.solve(a, b), 2 / 3 * n ** 3 + 2 * n * n,
                str(n))
    raise ValueError(f"unknown op {op!r}; choose from {OPS}")


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
    rng = np.random.default_rng(0)
    rows = []
    for dtype in [np.dtype(d) for d in args.dtypes.split(",") if d]:
        for threads in args.thread_counts:
            with _blas_threads(threads), lamina.threads(threads):
                gemm_rates = {}
                for op in ops:
                    sizes = [0] if op == "lstsq" else args.sizes
                    for n in sizes:
                        fl, fs, flops, label = _problem(op, n, dtype, rng, (m, k))
                        t = interleaved_times({"lamina": fl, "scipy": fs},
                                              repeat=args.repeat,
                                              settle=0.15 if threads > 1 else 0.0)
                        gref = max(n, k) if op == "lstsq" else n
                        if gref not in gemm_rates:
                            gemm_rates[gref] = _gemm_rate(gref, dtype, rng, args.repeat)
                        gl = flops / t["lamina"] / 1e9
                        gs = flops / t["scipy"] / 1e9
                        rows.append([op, label, dtype.name, threads, t["lamina"], t["scipy"],
                                     gl, gs, t["scipy"] / t["lamina"],
                                     100.0 * gl / gemm_rates[gref]])
    head = f"lamina {lamina.__version__} ({lamina.get_isa()}); SciPy's LAPACK: {openblas_info()}"
    return head + "\n" + format_table(
        ["op", "n", "dtype", "threads", "lamina s", "scipy s", "lamina GF/s", "scipy GF/s",
         "ratio", "% gemm"], rows)
