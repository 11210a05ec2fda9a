"""``python -m lamina_dask.bench``: lamina-dask on a local cluster beside lamina's core.

Starts a ``LocalCluster`` (``--workers`` processes of one thread each, loopback) and times
TSQR, the blocked ``A^T A``, the randomized SVD and CG with the distributed matvec on
row-chunked data, each beside the same lamina call on the whole NumPy array in this
process.  On one machine the cluster pays for serialization and scheduling; the figures
say what that costs, not what many machines gain.

    python -m lamina_dask.bench [--workers N] [--rows M]
"""

import argparse
import statistics
import sys
import time

import numpy as np


def _time(fn, repeat=3):
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lamina_dask.bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=8, help="row chunks")
    args = parser.parse_args(argv)

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    import lamina
    import lamina.linalg
    import lamina.solvers

    m, n = args.rows, args.cols
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, n))
    grid = 200
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        ad = client.persist(da.from_array(a, chunks=(-(-m // args.chunks), n)))
        wait(ad)
        import scipy.sparse as sp

        t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(grid, grid))
        poisson = sp.csr_array(sp.kron(sp.eye_array(grid), t) + sp.kron(t, sp.eye_array(grid)))
        b = np.ones(grid * grid)
        bd = da.from_array(b, chunks=-(-b.size // args.chunks))
        cases = {
            f"qr {m}x{n}": (lambda: lamina.linalg.qr(a),
                            lambda: dask.compute(*lamina.linalg.qr(ad))),
            f"A^T A {m}x{n}": (lambda: lamina.matmul(a.T, a),
                               lambda: lamina.matmul(ad.T, ad).compute()),
            f"randomized_svd k=10 {m}x{n}": (
                lambda: lamina.linalg.randomized_svd(a, 10, random_state=0),
                lambda: dask.compute(*lamina.linalg.randomized_svd(ad, 10, random_state=0))),
            f"cg poisson {grid}x{grid} rtol=1e-6": (
                lambda: lamina.solvers.cg(poisson, b, rtol=1e-6),
                lambda: lamina.solvers.cg(poisson, bd, rtol=1e-6)),
        }
        print(f"lamina {lamina.__version__}  dask {dask.__version__}  "
              f"workers={args.workers} x 1 thread, {args.chunks} row chunks; core runs "
              f"in this process with lamina's default threads ({lamina.get_num_threads()})")
        print(f"{'case':<34} {'core s':>8} {'dask s':>8} {'core/dask':>9}")
        for name, (core, dist) in cases.items():
            tc, td = _time(core), _time(dist)
            print(f"{name:<34} {tc:8.3f} {td:8.3f} {tc / td:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
