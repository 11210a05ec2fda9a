"""``python -m lamina_torch.bench``: lamina's core beside the torch backend on CPU tensors.

Each implementation is timed in its own subprocess (two OpenMP runtimes in one process
disturb each other's thread pools), with the same thread count, on the same problems:
GEMM, a dense solve, CG on the 2-D Poisson matrix (CSR) and softmax cross-entropy with
its gradient.  The figure reported is the median of several samples, each long enough to
dwarf the timer's resolution.

    python -m lamina_torch.bench [--threads N] [--quick]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = ("matmul", "solve", "cg", "softmax_ce")


def _problems(quick):
    n = 512 if quick else 1024
    grid = 100 if quick else 300
    return {
        "matmul": {"n": n, "dtype": "float32"},
        "solve": {"n": n, "dtype": "float64"},
        "cg": {"grid": grid, "dtype": "float64", "rtol": 1e-8},
        "softmax_ce": {"rows": 2048 if quick else 8192, "classes": 1000, "dtype": "float32"},
    }


def _poisson_csr(m, dtype):
    """The 5-point Laplacian on an m x m grid as (indptr, indices, data), built in NumPy."""
    n = m * m
    idx = np.arange(n).reshape(m, m)
    rows, cols, vals = [idx.ravel()], [idx.ravel()], [np.full(n, 4.0)]
    for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        src = idx[max(0, -di):m - max(0, di), max(0, -dj):m - max(0, dj)]
        dst = idx[max(0, di):m - max(0, -di) or None, max(0, dj):m - max(0, -dj) or None]
        rows.append(src.ravel())
        cols.append(dst.ravel())
        vals.append(np.full(src.size, -1.0))
    rows, cols, vals = (np.concatenate(v) for v in (rows, cols, vals))
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order].astype(dtype)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    return np.cumsum(indptr), cols.astype(np.int64), vals


def _median_time(fn, repeat=5, min_time=0.2):
    fn()
    start = time.perf_counter()
    fn()
    one = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(min_time / one))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def _worker(impl, case, params, threads):
    """Time one implementation of one case in this process; returns seconds."""
    import lamina
    import lamina.linalg
    import lamina.losses
    import lamina.solvers

    rng = np.random.default_rng(0)
    lamina.set_num_threads(threads)
    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
        conv = torch.from_numpy
    else:
        def conv(a):
            return a
    dtype = params["dtype"]
    if case == "matmul":
        n = params["n"]
        a, b = (conv(rng.standard_normal((n, n)).astype(dtype)) for _ in range(2))
        return _median_time(lambda: lamina.matmul(a, b))
    if case == "solve":
        n = params["n"]
        a = rng.standard_normal((n, n)) + n ** 0.5 * np.eye(n)
        a, b = conv(a.astype(dtype)), conv(rng.standard_normal(n).astype(dtype))
        return _median_time(lambda: lamina.linalg.solve(a, b))
    if case == "cg":
        indptr, indices, data = _poisson_csr(params["grid"], dtype)
        n = indptr.shape[0] - 1
        b = np.ones(n, dtype=dtype)
        if impl == "torch":
            import torch

            A = torch.sparse_csr_tensor(torch.from_numpy(indptr), torch.from_numpy(indices),
                                        torch.from_numpy(data), size=(n, n),
                                        check_invariants=True)
            b = torch.from_numpy(b)
        else:
            A = lamina.sparse.CSR(data, indices, indptr, (n, n))
        rtol = params["rtol"]
        return _median_time(lambda: lamina.solvers.cg(A, b, rtol=rtol), repeat=3, min_time=0)
    if case == "softmax_ce":
        x = rng.standard_normal((params["rows"], params["classes"])).astype(dtype)
        y = rng.integers(0, params["classes"], params["rows"])
        x, y = conv(x), conv(y)
        return _median_time(lambda: lamina.losses.softmax_cross_entropy(x, y))
    raise ValueError(f"unknown case {case!r}")


def _run_isolated(impl, case, params, threads):
    cmd = [sys.executable, "-m", "lamina_torch.bench", "--_worker",
           json.dumps({"impl": impl, "case": case, "params": params, "threads": threads})]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{impl} {case} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lamina_torch.bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smaller problems")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=CASES)
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        job = json.loads(args._worker)
        print(_worker(job["impl"], job["case"], job["params"], job["threads"]))
        return 0
    import torch

    import lamina

    print(f"lamina {lamina.__version__} isa={lamina.get_isa()}  torch {torch.__version__}  "
          f"threads={args.threads}  python {platform.python_version()} "
          f"{platform.machine()}  OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} arch={i.get('architecture')}"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        print(f"NumPy's BLAS (threadpoolctl): {', '.join(blas) or 'none found'}")
    except ImportError:
        pass
    problems = _problems(args.quick)
    print(f"{'case':<12} {'problem':<44} {'core ms':>9} {'torch ms':>9} {'core/torch':>10}")
    for case in args.cases:
        params = problems[case]
        core = _run_isolated("core", case, params, args.threads)
        tch = _run_isolated("torch", case, params, args.threads)
        desc = " ".join(f"{k}={v}" for k, v in params.items())
        print(f"{case:<12} {desc:<44} {core * 1e3:9.2f} {tch * 1e3:9.2f} {core / tch:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
