"""Conv2D forward + backward beside PyTorch: ``python -m lamina_conv.bench``.

Each shape is one training step of a convolution with bias (forward in training mode,
then the input, weight and bias gradients).  PyTorch runs in a separate process: it
brings its own OpenMP runtime, and two runtimes in one process compete for the cores
and distort both timings.  Times are medians over repeated samples.

Options: ``--threads N`` (default: lamina's current setting), ``--dtype float32|float64``,
``--repeat R``.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

# (batch, in_channels, height, width, filters, kernel, stride, padding, groups)
SHAPES = [
    (32, 3, 32, 32, 16, 3, 1, 1, 1),
    (32, 16, 16, 16, 32, 3, 1, 1, 1),
    (32, 32, 16, 16, 64, 3, 2, 1, 1),
    (32, 64, 8, 8, 64, 3, 1, 1, 1),
    (32, 32, 16, 16, 32, 3, 1, 1, 32),
    (32, 64, 16, 16, 128, 1, 1, 0, 1),
]


def label(shape):
    n, c, h, w, o, k, s, p, g = shape
    text = f"{n}x{c}x{h}x{w} -> {o}, {k}x{k}"
    if s != 1:
        text += f" s{s}"
    if g != 1:
        text += f" g{g}"
    return text


def flops(shape):
    """Multiply-adds x 2 of the forward pass; a training step is about three times that."""
    n, c, h, w, o, k, s, p, g = shape
    oh = (h + 2 * p - k) // s + 1
    ow = (w + 2 * p - k) // s + 1
    return 2.0 * n * oh * ow * o * (c // g) * k * k


def median_time(fn, repeat, min_time=0.1):
    fn()
    start = time.perf_counter()
    fn()
    loops = max(1, int(min_time / max(time.perf_counter() - start, 1e-7)))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def inputs(shape, dtype):
    n, c, h, w, o, k, s, p, g = shape
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, c, h, w)).astype(dtype)


def time_lamina(shape, dtype, repeat):
    from lamina_conv import Conv2D

    n, c, h, w, o, k, s, p, g = shape
    x = inputs(shape, dtype)
    layer = Conv2D(o, k, stride=s, padding=p, groups=g, random_state=0)
    layer.build(x.shape[1:], dtype)
    grad = np.ones((n,) + layer.output_shape(x.shape[1:]), dtype)

    def step():
        layer.forward(x, training=True)
        layer.backward(grad)

    return median_time(step, repeat)


def time_torch(shape, dtype, repeat, threads):
    import torch

    torch.set_num_threads(threads)
    n, c, h, w, o, k, s, p, g = shape
    x = torch.from_numpy(inputs(shape, dtype)).requires_grad_(True)
    conv = torch.nn.Conv2d(c, o, k, stride=s, padding=p, groups=g).to(getattr(torch, dtype))
    with torch.no_grad():
        grad = torch.ones_like(conv(x))

    def step():
        x.grad = None
        conv.zero_grad(set_to_none=True)
        conv(x).backward(grad)

    return median_time(step, repeat)


def _torch_worker(dtype, repeat, threads):
    try:
        import torch
    except ImportError:
        print(json.dumps(None))
        return
    times = [time_torch(shape, dtype, repeat, threads) for shape in SHAPES]
    print(json.dumps({"version": torch.__version__, "times": times}))


def torch_times(dtype, repeat, threads):
    """PyTorch's times from a fresh process, or None when PyTorch is not installed."""
    code = (f"from lamina_conv.bench import _torch_worker; "
            f"_torch_worker({dtype!r}, {repeat}, {threads})")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"PyTorch run failed: {exc}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    import lamina

    parser = argparse.ArgumentParser(prog="python -m lamina_conv.bench", description=__doc__.
                                     splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    threads = args.threads or lamina.get_num_threads()
    with lamina.threads(threads):
        ours = [time_lamina(shape, args.dtype, args.repeat) for shape in SHAPES]
    theirs = torch_times(args.dtype, args.repeat, threads)
    print(f"Conv2D forward + backward (one training step, with bias), {args.dtype}, "
          f"{threads} thread(s); lamina {lamina.__version__} isa={lamina.get_isa()}; "
          + (f"torch {theirs['version']} (own process)" if theirs else "torch not installed"))
    header = f"{'shape (NCHW -> filters, kernel)':<34}{'lamina ms':>10}{'GFLOP/s':>9}"
    if theirs:
        header += f"{'torch ms':>10}{'GFLOP/s':>9}{'lamina/torch':>14}"
    print(header)
    print("-" * len(header))
    for i, shape in enumerate(SHAPES):
        work = 3 * flops(shape) / 1e9
        row = f"{label(shape):<34}{ours[i] * 1e3:>10.2f}{work / ours[i]:>9.1f}"
        if theirs:
            t = theirs["times"][i]
            row += f"{t * 1e3:>10.2f}{work / t:>9.1f}{ours[i] / t:>14.2f}"
        print(row)


if __name__ == "__main__":
    main()
