"""``lamina bench losses``: fused loss+gradient beside NumPy, scikit-learn and PyTorch.

Softmax cross-entropy (mean over integer labels, loss and gradient) at the issue's shapes,
then the element-wise losses at 10**7 elements.  GB/s counts the bytes a fused kernel must
move (logits/prediction and target read once, gradient written once); "x bound" is the
time over those bytes at the streaming bandwidth that lamina's in-place axpy reaches on
1 GiB vectors with the same thread count, measured in the same run: how far the kernel is
from the memory-bandwidth bound (1.0 = at it).  Peers that are not installed are left out.
"""

import time

import numpy as np

import lamina
from lamina._bench._common import (
    format_table,
    interleaved_times,
    optional_module,
    stream_bandwidths,
)
from lamina.losses import _elementwise

SOFTMAX_SHAPES = [(4096, 1000), (65536, 10), (1024, 32000)]


def add_arguments(parser):
    parser.add_argument("--dtypes", default="float32,float64",
                        type=lambda s: s.split(","))
    parser.add_argument("--thread-counts", default="1,2",
                        type=lambda s: [int(v) for v in s.split(",")],
                        help="thread counts to sweep for every implementation")
    parser.add_argument("--shapes", default=None,
                        type=lambda s: [tuple(int(v) for v in p.split("x")) for p in s.split(",")],
                        help="softmax shapes as NxC,NxC (default: the issue's three)")
    parser.add_argument("--elements", type=int, default=10_000_000,
                        help="size of the element-wise loss benchmarks (0 skips them)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time one-thread rows by the calling thread's CPU time "
                             "(time.thread_time, best of --repeat consecutive calls): robust "
                             "to other load on a shared machine; rows with more threads "
                             "stay wall-clock")
    parser.add_argument("--linear", default=None,
                        type=lambda s: tuple(int(v) for v in s.split("x")),
                        help="also time linear_softmax_cross_entropy at NxHxV (e.g. "
                             "4096x1024x32000) against the unfused lamina composition")


# -- peers -----------------------------------------------------------------------------

def numpy_softmax_ce(x, y, g):
    """The usual NumPy composition, with a preallocated gradient (fair to NumPy)."""
    n = x.shape[0]
    rows = np.arange(n)
    m = x.max(axis=1, keepdims=True)
    np.subtract(x, m, out=g)
    np.exp(g, out=g)
    s = g.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - x[rows, y])
    g /= s
    g[rows, y] -= 1
    g *= 1.0 / n
    return loss, g


def sklearn_softmax_ce(x, y, n_threads):
    """scikit-learn's HalfMultinomialLoss.loss_gradient (per-sample loss, unscaled
    gradient: it leaves the 1/N of the mean to the caller), or None if unavailable."""
    sk = optional_module("sklearn._loss.loss")
    if sk is None:
        return None
    n, c = x.shape
    loss = sk.HalfMultinomialLoss(n_classes=c)
    yf = y.astype(x.dtype)
    loss_out = np.empty(n, dtype=x.dtype)
    grad_out = np.empty_like(x)

    def run():
        loss.loss_gradient(y_true=yf, raw_prediction=x, loss_out=loss_out,
                           gradient_out=grad_out, n_threads=n_threads)
        return loss_out.mean(), grad_out

    try:
        run()
    except (TypeError, ValueError):
        return None
    return run


def torch_softmax_ce(x, y, n_threads):
    """PyTorch's cross_entropy forward + backward, or None if torch is not installed."""
    torch = optional_module("torch")
    if torch is None:
        return None
    torch.set_num_threads(n_threads)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)

    def run():
        leaf = xt.detach().requires_grad_()
        loss = torch.nn.functional.cross_entropy(leaf, yt)
        loss.backward()
        return loss, leaf.grad

    return run


# -- tables ----------------------------------------------------------------------------

def _cpu_times(fns, repeat):
    """Best calling-thread CPU time of each implementation in consecutive calls.

    Valid for single-threaded runs only (every implementation computes in the calling
    thread); unlike wall-clock time it does not count time the thread waited for a core
    taken by another process.  Each implementation runs ``repeat`` times in a row on the
    same buffers (the steady state of a training loop that reuses them), in two rounds
    alternating the implementations; the best time counts."""
    best = {name: float("inf") for name in fns}
    for _ in range(2):
        for name, fn in fns.items():
            fn()
            for _ in range(max(repeat, 5)):
                start = time.thread_time()
                fn()
                best[name] = min(best[name], time.thread_time() - start)
    return best


def _times(fns, args, n_threads):
    if args.cpu_time and n_threads == 1:
        return _cpu_times(fns, args.repeat)
    # with several threads, let each implementation's spinning pool go idle first
    return interleaved_times(fns, repeat=args.repeat, settle=0.2 if n_threads > 1 else 0.0)


def _softmax_rows(args):
    rng = np.random.default_rng(0)
    rows = []
    bw = stream_bandwidths(args.thread_counts)
    for n, c in args.shapes or SOFTMAX_SHAPES:
        for dtype in args.dtypes:
            x = rng.standard_normal((n, c)).astype(dtype)
            y = rng.integers(0, c, n)
            g = np.empty_like(x)
            g2 = np.empty_like(x)
            nbytes = 2 * x.nbytes
            for nt in args.thread_counts:
                fns = {
                    "lamina": lambda: lamina.losses.softmax_cross_entropy(  # noqa: B023
                        x, y, grad_out=g, n_threads=nt),  # noqa: B023
                    "numpy": lambda: numpy_softmax_ce(x, y, g2),  # noqa: B023
                }
                sk = sklearn_softmax_ce(x, y, nt)
                if sk is not None:
                    fns["sklearn"] = sk
                th = torch_softmax_ce(x, y, nt)
                if th is not None:
                    fns["torch"] = th
                t = _times(fns, args, nt)
                ours = t["lamina"]
                rows.append([f"{n}x{c}", dtype, nt, ours * 1e3, t["numpy"] / ours,
                             t["sklearn"] / ours if "sklearn" in t else "-",
                             t["torch"] / ours if "torch" in t else "-",
                             nbytes / ours / 1e9, ours / (nbytes / bw[nt])])
    bws = ", ".join(f"{bw[k] / 1e9:.1f} GB/s with {k}" for k in sorted(bw))
    return (f"streaming bandwidth (in-place axpy on 1 GiB vectors): {bws}\n"
            + format_table(["softmax CE", "dtype", "thr", "lamina ms", "x numpy", "x sklearn",
                            "x torch", "GB/s", "x bound"], rows))


def _numpy_elementwise(name, x, t, g):
    """Straightforward NumPy loss + gradient (mean reduction)."""
    n = x.size
    if name == "mse":
        d = x - t
        np.multiply(d, 2.0 / n, out=g)
        return np.mean(d * d)
    if name == "mae":
        d = x - t
        np.sign(d, out=g)
        g /= n
        return np.mean(np.abs(d))
    if name == "huber":
        d = x - t
        a = np.abs(d)
        np.clip(d, -1.0, 1.0, out=g)
        g /= n
        return np.mean(np.where(a <= 1.0, 0.5 * d * d, a - 0.5))
    if name == "log_cosh":
        d = x - t
        np.tanh(d, out=g)
        g /= n
        return np.mean(np.logaddexp(d, -d) - np.log(2.0))
    if name == "sigmoid_binary_cross_entropy":
        sig = 1.0 / (1.0 + np.exp(-x))
        np.subtract(sig, t, out=g)
        g /= n
        return np.mean(np.logaddexp(0, x) - t * x)
    if name == "kl_divergence":
        np.negative(t, out=g)
        g /= x.shape[0]
        return np.sum(np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0)) / x.shape[0]
    raise KeyError(name)


def _elementwise_rows(args):
    n = args.elements
    rng = np.random.default_rng(1)
    rows = []
    names = ["mse", "mae", "huber", "log_cosh", "sigmoid_binary_cross_entropy",
             "kl_divergence"]
    for dtype in args.dtypes:
        x = rng.standard_normal(n).astype(dtype)
        t = rng.random(n).astype(dtype)
        g = np.empty_like(x)
        g2 = np.empty_like(x)
        for name in names:
            fn = getattr(_elementwise, name)
            for nt in args.thread_counts:
                t_ = _times({
                    "lamina": lambda: fn(x, t, grad_out=g, n_threads=nt),  # noqa: B023
                    "numpy": lambda: _numpy_elementwise(name, x, t, g2),  # noqa: B023
                }, args, nt)
                ours = t_["lamina"]
                rows.append([name, dtype, nt, ours * 1e3, t_["numpy"] / ours,
                             3 * x.nbytes / ours / 1e9])
    return format_table(["loss (1e7 elements)", "dtype", "thr", "lamina ms", "x numpy",
                         "GB/s"], rows)


def _linear_rows(args):
    """Fused linear + cross-entropy against lamina's unfused composition: time, peak memory.

    Each thread count times the two alternately (best of two runs: one run is seconds);
    with ``--cpu-time`` the one-thread row uses the calling thread's CPU time."""
    import tracemalloc

    from lamina.losses import linear_softmax_cross_entropy, softmax_cross_entropy

    n, hidden, vocab = args.linear
    rng = np.random.default_rng(0)
    h = rng.standard_normal((n, hidden)).astype(np.float32)
    w = (rng.standard_normal((vocab, hidden)) / np.sqrt(hidden)).astype(np.float32)
    b = np.zeros(vocab, np.float32)
    y = rng.integers(0, vocab, n)
    outputs = h.nbytes + w.nbytes + b.nbytes

    def unfused(nt):
        logits = lamina.gemm(h, w, trans_b=True, bias=b, n_threads=nt)
        loss, g = softmax_cross_entropy(logits, y, n_threads=nt)
        return (loss, lamina.gemm(g, w, n_threads=nt),
                lamina.gemm(g, h, trans_a=True, n_threads=nt), g.sum(axis=0))

    def fused(nt):
        return linear_softmax_cross_entropy(h, w, b, y, n_threads=nt)

    peaks = {}
    for name, fn in (("fused", fused), ("unfused", unfused)):
        tracemalloc.start()
        fn(1)
        peaks[name] = tracemalloc.get_traced_memory()[1] - outputs
        tracemalloc.stop()
    rows = []
    for nt in args.thread_counts:
        cpu = args.cpu_time and nt == 1
        clock = time.thread_time if cpu else time.perf_counter
        best = {"fused": float("inf"), "unfused": float("inf")}
        for _ in range(2):
            for name, fn in (("fused", fused), ("unfused", unfused)):
                if nt > 1:
                    time.sleep(0.2)
                start = clock()
                fn(nt)
                best[name] = min(best[name], clock() - start)
        for name in ("fused", "unfused"):
            rows.append([f"linear CE {n}x{hidden}x{vocab} {name}", nt,
                         "cpu" if cpu else "wall", best[name] * 1e3,
                         best["unfused"] / best[name], peaks[name] / 2**20,
                         peaks["unfused"] / peaks[name],
                         6.0 * n * hidden * vocab / best[name] / 1e9])
    return format_table(["case", "thr", "clock", "ms", "x unfused", "peak extra MiB",
                         "x less memory", "GEMM GFLOP/s"], rows)


def run(args):
    parts = [_softmax_rows(args)]
    if args.elements:
        parts.append(_elementwise_rows(args))
    if args.linear:
        parts.append(_linear_rows(args))
    return "\n\n".join(parts)
