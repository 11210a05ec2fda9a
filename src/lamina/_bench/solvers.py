"""``lamina bench solvers``: CG, Jacobi and SpMV on the 2-D Poisson matrix beside SciPy.

Per case: iterations (lamina / SciPy), ms per iteration, the bytes lamina's algorithm must
move per iteration (model below), the GB/s that implies, and the fraction of this machine's
streaming bandwidth (measured with an in-place axpy, read 2 + write 1 vectors).

Byte model (v = value size, i = index size, nnz = 5n): SpMV ``nnz (v + i) + (n + 1) i +
2 n v`` (values, indices, row pointers, x once, y); CG adds the fused x/r update (read 4,
write 2 vectors) and ``p = r + beta p`` (read 2, write 1); Jacobi is the fused residual
SpMV (reads b too) plus ``x += r / d`` (read 3, write 1).  Gathers of x are counted once
(the stencil's neighbours are in cache).

SciPy has no Jacobi: its column is the same iteration written with ``scipy.sparse``
(``x += (b - A @ x) * dinv``), run for a fixed number of sweeps (Jacobi needs ~n
iterations on Poisson, so rtol 1e-8 is out of reach at these sizes).
"""

import time
import warnings

import numpy as np

import lamina
import lamina.solvers
import lamina.sparse
from lamina._bench._common import format_table, interleaved_times, stream_bandwidths


def add_arguments(parser):
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")],
                        default=[10_000, 90_000, 1_000_000],
                        help="unknowns (perfect squares), default 1e4,9e4,1e6")
    parser.add_argument("--dtypes", type=lambda s: s.split(","),
                        default=["float64", "float32"])
    parser.add_argument("--rtol", type=float, default=1e-8)
    parser.add_argument("--jacobi-sweeps", type=int, default=100)
    parser.add_argument("--cases", type=lambda s: s.split(","),
                        default=["spmv", "cg", "jacobi"])


def poisson2d(m, dtype):
    """The 5-point Laplacian on an m x m grid as a SciPy CSR array (int32 indices)."""
    import scipy.sparse as sp

    t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    return (sp.kron(eye, t) + sp.kron(t, eye)).tocsr().astype(dtype)


def bytes_per_iteration(kind, n, nnz, v, i):
    spmv = nnz * (v + i) + (n + 1) * i + 2 * n * v
    if kind == "spmv":
        return spmv
    if kind == "cg":
        return spmv + 6 * n * v + 3 * n * v
    return spmv + n * v + 4 * n * v                    # jacobi


def _time_once(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _scipy_cg(A, b, rtol):
    import scipy.sparse.linalg as spla

    count = [0]

    def cb(_):
        count[0] += 1

    spla.cg(A, b, rtol=rtol, maxiter=20 * A.shape[0], callback=cb)
    return count[0]


def _scipy_jacobi(A, b, dinv, sweeps):
    x = np.zeros_like(b)
    for _ in range(sweeps):
        x += (b - A @ x) * dinv
    return x


def _cases(n, dtype, args, threads, bw):
    m = int(round(np.sqrt(n)))
    rows = []
    A = poisson2d(m, dtype)
    C = lamina.sparse.as_csr(A)
    n_, nnz = A.shape[0], A.nnz
    v, i = np.dtype(dtype).itemsize, A.indices.dtype.itemsize
    b = np.ones(n_, dtype=dtype)
    big = n_ >= 500_000
    # let each implementation's thread pool go idle before the next one's sample
    settle = 0.15 if threads > 1 else 0.0
    if "spmv" in args.cases:
        y = np.empty(n_, dtype=dtype)
        t = interleaved_times({
            "lamina": lambda: lamina.sparse.csr_matvec(C, b, out=y, n_threads=threads),
            "lamina1": lambda: lamina.sparse.csr_matvec(C, b, out=y, n_threads=1),
            "scipy": lambda: A @ b}, repeat=5, min_time=0.1, settle=settle)
        nb = bytes_per_iteration("spmv", n_, nnz, v, i)
        rows.append(["spmv (1 thread)", n_, dtype, "-", t["lamina1"] * 1e3,
                     t["scipy"] * 1e3, t["scipy"] / t["lamina1"], nb / 1e6,
                     nb / t["lamina1"] / 1e9, nb / t["lamina1"] / bw[1]])
        if threads > 1:
            rows.append([f"spmv ({threads} threads)", n_, dtype, "-", t["lamina"] * 1e3,
                         t["scipy"] * 1e3, t["scipy"] / t["lamina"], nb / 1e6,
                         nb / t["lamina"] / 1e9, nb / t["lamina"] / bw[threads]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.ConvergenceWarning)
        if "cg" in args.cases:
            res = lamina.solvers.cg(C, b, rtol=args.rtol, n_threads=threads)
            fns = {"lamina1": lambda: lamina.solvers.cg(C, b, rtol=args.rtol,
                                                        n_threads=1),
                   "scipy": lambda: _scipy_cg(A, b, args.rtol)}
            if threads > 1:
                fns["lamina"] = lambda: lamina.solvers.cg(C, b, rtol=args.rtol,
                                                          n_threads=threads)
            if big:
                timed = {name: _time_once(fn) for name, fn in fns.items()}
                t = {name: v[0] for name, v in timed.items()}
                its_s = timed["scipy"][1]
            else:
                t = interleaved_times(fns, repeat=3, settle=settle)
                its_s = _scipy_cg(A, b, args.rtol)
            nb = bytes_per_iteration("cg", n_, nnz, v, i)
            for name in [k for k in ("lamina1", "lamina") if k in t]:
                per_l = t[name] / max(res.iterations, 1)
                label = "cg (1 thread)" if name == "lamina1" else \
                    f"cg ({threads} threads)"
                rows.append([label, n_, dtype, f"{res.iterations}/{its_s}",
                             per_l * 1e3, t["scipy"] / max(its_s, 1) * 1e3,
                             t["scipy"] / t[name], nb / 1e6, nb / per_l / 1e9,
                             nb / per_l / bw[1 if name == "lamina1" else threads]])
        if "jacobi" in args.cases:
            sweeps = args.jacobi_sweeps
            dinv = (1 / A.diagonal()).astype(dtype)
            t = interleaved_times({
                "lamina": lambda: lamina.solvers.jacobi(
                    C, b, rtol=args.rtol, maxiter=sweeps, n_threads=threads),
                "scipy": lambda: _scipy_jacobi(A, b, dinv, sweeps)},
                repeat=3 if big else 5, min_time=0.05, settle=settle)
            nb = bytes_per_iteration("jacobi", n_, nnz, v, i)
            per_l = t["lamina"] / (sweeps + 1)
            rows.append(["jacobi", n_, dtype, f"{sweeps}/{sweeps}", per_l * 1e3,
                         t["scipy"] / sweeps * 1e3, t["scipy"] / t["lamina"],
                         nb / 1e6, nb / per_l / 1e9, nb / per_l / bw[threads]])
    return rows


def run(args):
    import scipy.sparse  # noqa: F401 - the peer; fail early with a clear ImportError

    threads = getattr(args, "threads", None) or lamina.get_num_threads()
    bw = stream_bandwidths(sorted({1, threads}))
    rows = []
    for n in args.sizes:
        for dtype in args.dtypes:
            rows += _cases(n, dtype, args, threads, bw)
    table = format_table(["case", "n", "dtype", "iters lamina/scipy", "lamina ms/it",
                          "scipy ms/it", "speedup (total)", "MB/it", "lamina GB/s",
                          "of stream bw"], rows)
    bws = ", ".join(f"{bw[k] / 1e9:.1f} GB/s with {k}" for k in sorted(bw))
    note = ("MB/it: the CSR traffic model (values, column indices and row pointers once, "
            "plus the vectors); lamina's solvers read the SELL-8 copy instead, which for "
            "stencil matrices skips most column indices and keeps float32-exact values in "
            "4 bytes, so its own traffic is lower and 'of stream bw' can exceed 1")
    return (f"rtol {args.rtol}; lamina threads {threads}; streaming bandwidth "
            f"(in-place axpy on 1 GiB vectors) {bws}\n" + table + "\n" + note)
