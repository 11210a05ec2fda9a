"""``lamina bench blas1``: level-1/2 kernels beside NumPy (memory-bound, so GB/s)."""

import numpy as np

import lamina
from lamina._bench._common import format_table, interleaved_times


def add_arguments(parser):
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")],
                        default=[1000, 100_000, 10_000_000])


def _cases(n, dtype, rng):
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    out = np.empty_like(y)
    side = max(1, int(np.sqrt(n)))
    a = rng.standard_normal((side, side)).astype(dtype)
    v = rng.standard_normal(side).astype(dtype)
    item = np.dtype(dtype).itemsize
    return [
        ("dot", 2 * n * item, lambda: lamina.dot(x, y), lambda: np.dot(x, y)),
        ("axpy", 3 * n * item, lambda: lamina.axpy(2.0, x, y, out=out),
         lambda: np.add(np.multiply(2.0, x, out=out), y, out=out)),
        ("nrm2", n * item, lambda: lamina.blas.nrm2(x), lambda: np.linalg.norm(x)),
        ("asum", n * item, lambda: lamina.blas.asum(x), lambda: np.abs(x).sum()),
        (f"gemv {side}x{side}", side * side * item, lambda: lamina.matvec(a, v),
         lambda: a @ v),
    ]


def run(args):
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        for name, nbytes, ours, theirs in _cases(n, args.dtype, rng):
            t = interleaved_times({"lamina": ours, "numpy": theirs})
            rows.append([name, n, t["lamina"] * 1e6, t["numpy"] * 1e6,
                         t["numpy"] / t["lamina"], nbytes / t["lamina"] / 1e9])
    return format_table(["kernel", "n", "lamina us", "numpy us", "speedup", "lamina GB/s"], rows)
