"""``lamina bench gemm``: matrix products beside NumPy's BLAS, in GFLOP/s and % of peak."""

import time

import numpy as np

import lamina
from lamina._bench._common import (
    blas_threads,
    format_table,
    interleaved_times,
    openblas_info,
    optional_module,
)

DL_SHAPES = [(32, 784, 512), (128, 784, 512), (512, 784, 512), (128, 4096, 1024),
             (4096, 64, 256), (10000, 32, 512)]


def _sizes(text):
    return [int(v) for v in text.split(",")]


def add_arguments(parser):
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--sizes", type=_sizes, default=[256, 1024, 2048],
                        help="square sizes n (comma-separated)")
    parser.add_argument("--dl", action="store_true",
                        help="also time the deep-learning shapes m x k x n: "
                             + ", ".join("x".join(map(str, s)) for s in DL_SHAPES))
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--torch", action="store_true",
                        help="also time PyTorch's matmul (its own BLAS, MKL on x86 wheels) "
                             "and give its share of the same peak")


def _peak_burst(dtype, isa=None):
    """(fn, flops): one ~2 ms burst of the register-only FMA loop for `dtype`."""
    from lamina._kernels import _gemm, _runtime

    isa_id = _runtime.ISA_NAMES.index(isa or lamina.get_isa())
    is_float = np.dtype(dtype) == np.float32
    iters = 1 << 12
    while True:                              # size a burst to about 2 ms
        start = time.perf_counter()
        flops = _gemm.fma_peak(isa_id, is_float, iters)
        if time.perf_counter() - start > 0.002:
            break
        iters *= 2
    return (lambda: _gemm.fma_peak(isa_id, is_float, iters)), flops


def fma_peak_gflops(dtype, isa=None):
    """One core's FMA peak in GFLOP/s for `dtype`, measured with a register-only loop.

    The best of 100 bursts of ~2 ms: on a shared machine a short burst is likely to run
    uncontended at least once, while a long one would average in the other load."""
    burst, flops = _peak_burst(dtype, isa)
    best = 0.0
    for _ in range(100):
        start = time.perf_counter()
        burst()
        best = max(best, flops / (time.perf_counter() - start) / 1e9)
    return best


def _torch_matmul(torch, a, b):
    """PyTorch's matmul of a and b into a preallocated output, as a no-argument call."""
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    to = torch.from_numpy(np.empty((a.shape[0], b.shape[1]), a.dtype))
    return lambda: torch.matmul(ta, tb, out=to)


def _torch_blas(torch):
    mkl = getattr(getattr(torch, "backends", None), "mkl", None)
    blas = "MKL" if mkl is not None and mkl.is_available() else "its bundled BLAS"
    return f"PyTorch {torch.__version__} ({blas})"


def run(args):
    threads = args.threads or lamina.get_num_threads()
    dtype = np.dtype(args.dtype)
    torch = None
    if getattr(args, "torch", False):
        torch = optional_module("torch")
        if torch is None:
            raise SystemExit("lamina bench gemm --torch: PyTorch is not installed")
    peak = fma_peak_gflops(dtype) * threads
    burst, burst_flops = _peak_burst(dtype)
    rng = np.random.default_rng(0)
    shapes = [(n, n, n) for n in args.sizes] + (DL_SHAPES if args.dl else [])
    rows = []
    torch_threads = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(threads)
        with blas_threads(threads), lamina.threads(threads):
            for m, k, n in shapes:
                a = rng.standard_normal((m, k)).astype(dtype)
                b = rng.standard_normal((k, n)).astype(dtype)
                out_l = np.empty((m, n), dtype)
                out_n = np.empty((m, n), dtype)
                # The FMA loop runs in the same rounds as the products: the machine's
                # clock drifts by 10-20% between phases, and "% round peak" compares a
                # product with the peak of the moment, "% peak" with the best burst.
                fns = {"lamina": lambda a=a, b=b, o=out_l: lamina.matmul(a, b, out=o),
                       "numpy": lambda a=a, b=b, o=out_n: np.matmul(a, b, out=o),
                       "peak": burst}
                if torch is not None:
                    fns["torch"] = _torch_matmul(torch, a, b)
                t = interleaved_times(fns, repeat=args.repeat,
                                      settle=0.15 if threads > 1 else 0.0)
                flops = 2.0 * m * n * k
                gl, gn = flops / t["lamina"] / 1e9, flops / t["numpy"] / 1e9
                round_peak = burst_flops / t["peak"] / 1e9 * threads
                row = [f"{m}x{k}x{n}", gl, gn, gl / gn, 100.0 * gl / peak,
                       100.0 * gl / round_peak]
                if torch is not None:
                    gt = flops / t["torch"] / 1e9
                    row += [gt, gl / gt, 100.0 * gt / round_peak]
                rows.append(row)
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
    head = (f"{dtype.name}, {threads} thread(s); FMA peak {peak:.1f} GFLOP/s "
            f"({lamina.get_isa()} register loop x {threads}, best of 100 bursts; "
            f"'% round peak': the loop's median in the same rounds); "
            f"NumPy BLAS: {openblas_info()}")
    columns = ["m x k x n", "lamina GF/s", "numpy GF/s", "ratio", "% peak", "% round peak"]
    if torch is not None:
        head += f"; torch: {_torch_blas(torch)}"
        columns += ["torch GF/s", "lamina/torch", "torch % round peak"]
    return head + "\n" + format_table(columns, rows)
