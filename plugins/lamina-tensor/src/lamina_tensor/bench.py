"""Tucker and CP beside TensorLy (NumPy backend): ``python -m lamina_tensor.bench``.

Each case decomposes a planted low-rank tensor plus 10 % Gaussian noise and reports the
median wall time and the relative reconstruction error ``||X - X^|| / ||X||`` of both
libraries.  HOOI and CP-ALS run a fixed number of sweeps (``tol=0``) so the times compare
equal work; the errors come from those same runs.

Options: ``--threads N`` (lamina's threads and NumPy's BLAS threads; default: lamina's
current setting), ``--dtype float32|float64``, ``--repeat R``.
"""

import argparse
import statistics
import time
import warnings

import numpy as np

CASES = [
    # (label, method, shape, rank, sweeps)
    ("Tucker HOSVD", "hosvd", (120, 100, 80), (10, 10, 10), 0),
    ("Tucker HOOI", "hooi", (120, 100, 80), (10, 10, 10), 10),
    ("Tucker HOOI 4-way", "hooi", (40, 36, 32, 28), (5, 5, 5, 5), 10),
    ("CP-ALS", "cp", (120, 100, 80), 10, 25),
    ("CP-ALS 4-way", "cp", (40, 36, 32, 28), 6, 25),
]


def planted(shape, rank, dtype, seed=0):
    """A rank-``rank`` CP tensor plus 10 % noise (it has low multilinear rank too)."""
    rng = np.random.default_rng(seed)
    r = rank if isinstance(rank, int) else max(rank)
    factors = [rng.standard_normal((n, r)) for n in shape]
    x = np.einsum(",".join(f"{chr(97 + k)}z" for k in range(len(shape)))
                  + "->" + "".join(chr(97 + k) for k in range(len(shape))), *factors)
    x += 0.1 * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(shape)
    return x.astype(dtype)


def rel_error(x, approx):
    return float(np.linalg.norm((x - approx).ravel()) / np.linalg.norm(x.ravel()))


def run_lamina(method, x, rank, sweeps):
    from lamina_tensor import CP, Tucker

    if method == "cp":
        model = CP(rank=rank, max_iter=sweeps, tol=0.0).fit(x)
    else:
        model = Tucker(rank=rank, method=method, max_iter=sweeps, tol=0.0).fit(x)
    return model.reconstruct()


def run_tensorly(method, x, rank, sweeps):
    import tensorly as tl
    from tensorly.decomposition import parafac, tucker

    if method == "cp":
        return tl.cp_to_tensor(parafac(x, rank, init="svd", n_iter_max=sweeps, tol=0))
    if method == "hosvd":
        return tl.tucker_to_tensor(tucker(x, rank=list(rank), init="svd", n_iter_max=0))
    return tl.tucker_to_tensor(tucker(x, rank=list(rank), init="svd", n_iter_max=sweeps,
                                      tol=0))


def median_time(fn, repeat):
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None):
    import lamina

    parser = argparse.ArgumentParser(prog="python -m lamina_tensor.bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    threads = args.threads or lamina.get_num_threads()
    try:
        import tensorly  # (first: it loads SciPy's BLAS, limited below too)
    except ImportError:
        tensorly = None
    limit = None
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        limit = threadpool_limits(threads, user_api="blas")
        blas = "; ".join(f"{i['prefix']} {i['internal_api']} {i['version']} "
                         f"arch={i.get('architecture')}"
                         for i in threadpool_info() if i["user_api"] == "blas") or "unknown"
    except ImportError:
        blas = "unknown (threadpoolctl not installed)"
    print(f"{args.dtype}, {threads} thread(s); lamina {lamina.__version__} "
          f"isa={lamina.get_isa()}; "
          + (f"tensorly {tensorly.__version__} (NumPy backend, BLAS {blas})"
             if tensorly else "tensorly not installed"))
    header = (f"{'case':<18}{'shape':>17}{'rank':>14}{'sweeps':>7}{'lamina s':>10}"
              f"{'error':>10}")
    if tensorly:
        header += f"{'tensorly s':>11}{'error':>10}{'speedup':>9}"
    print(header)
    print("-" * len(header))
    with lamina.threads(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, method, shape, rank, sweeps in CASES:
            x = planted(shape, rank, args.dtype)
            job = (method, x, rank, sweeps)
            ours = median_time(lambda job=job: run_lamina(*job), args.repeat)
            err = rel_error(x, run_lamina(method, x, rank, sweeps))
            row = (f"{label:<18}{'x'.join(map(str, shape)):>17}"
                   f"{str(rank).replace(' ', ''):>14}{sweeps:>7}{ours:>10.3f}{err:>10.2e}")
            if tensorly:
                theirs = median_time(lambda job=job: run_tensorly(*job), args.repeat)
                terr = rel_error(x, np.asarray(run_tensorly(method, x, rank, sweeps)))
                row += f"{theirs:>11.3f}{terr:>10.2e}{theirs / ours:>9.2f}"
            print(row)
    if limit is not None:
        limit.restore_original_limits()


if __name__ == "__main__":
    main()
