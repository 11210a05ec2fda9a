"""``lamina demo``: a short tour — train on the bundled digits, compare with the peers.

1. Trains a 64-128-10 ReLU MLP on the UCI digits (1347 train / 450 test) with lamina.nn,
   showing a progress bar, and prints the test accuracy and time per epoch.
2. Trains the same network (same initial weights, batches and SGD) written in NumPy, and in
   PyTorch when it is installed, and prints their time per epoch beside lamina's.
3. Prints a few headline kernel ratios against NumPy measured in the same run.
Finishes in well under a minute on a 2-core machine.
"""

import time

import numpy as np

import lamina
import lamina.nn
from lamina._bench import nn as nn_bench
from lamina._bench._common import interleaved_times, openblas_info

EPOCHS = 20
SIZES = [64, 128, 10]


def _kernels():
    rng = np.random.default_rng(0)
    rows = []
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)
    # settle: OpenBLAS's and OpenMP's idle threads spin for a while after a call and would
    # steal the cores the other library's next call needs
    settle = 0.1 if lamina.get_num_threads() > 1 else 0.0
    t = interleaved_times({"lamina": lambda: lamina.matmul(a, b), "numpy": lambda: a @ b},
                          repeat=3, min_time=0.1, settle=settle)
    flops = 2 * 1024 ** 3
    rows.append(("matmul 1024^3 float32", f"{flops / t['lamina'] / 1e9:.0f} GFLOP/s",
                 f"{flops / t['numpy'] / 1e9:.0f} GFLOP/s", t["numpy"] / t["lamina"]))
    logits = rng.standard_normal((4096, 1000)).astype(np.float32)
    labels = rng.integers(0, 1000, 4096)

    def numpy_ce():
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(4096), labels]))
        g = e / s
        g[np.arange(4096), labels] -= 1
        g /= 4096
        return loss, g

    t = interleaved_times({"lamina": lambda: lamina.losses.softmax_cross_entropy(logits, labels),
                           "numpy": numpy_ce}, repeat=3, min_time=0.1, settle=settle)
    rows.append(("softmax CE loss+grad 4096x1000", f"{t['lamina'] * 1e3:.2f} ms",
                 f"{t['numpy'] * 1e3:.2f} ms", t["numpy"] / t["lamina"]))
    return rows


def _torch_in_subprocess(epochs, threads):
    """PyTorch's time and accuracy on the same network, measured in a fresh process.

    PyTorch brings its own OpenMP runtime; two runtimes in one process fight over the cores
    (each one's idle threads spin while the other works), which would misreport both.
    Returns None when PyTorch is not installed.
    """
    import json
    import subprocess
    import sys

    code = (
        "import json; from lamina._bench import nn as b\n"
        "X, Xt, y, yt = b.digits_split()\n"
        f"r = b.train_torch(X, y, {SIZES!r}, {int(epochs)}, 32, X_test=Xt, y_test=yt, "
        f"threads={int(threads)})\n"
        "print(json.dumps(r))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=300, check=True)
    except (subprocess.SubprocessError, OSError):
        return None
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return tuple(result) if result else None


def add_arguments(parser):
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help=f"training epochs (default {EPOCHS})")


def main(args=None):
    epochs = getattr(args, "epochs", EPOCHS)
    print(f"lamina {lamina.__version__} demo  (SIMD {lamina.get_isa()}, "
          f"{lamina.get_num_threads()} threads; NumPy BLAS: {openblas_info()})\n")
    X_train, X_test, y_train, y_test = nn_bench.digits_split()
    print(f"Training a {'-'.join(map(str, SIZES))} ReLU MLP on the UCI handwritten digits "
          f"({X_train.shape[0]} train / {X_test.shape[0]} test images, 8x8 pixels),\n"
          f"SGD lr 0.1 momentum 0.9, batch 32, {epochs} epochs, float32:")
    start = time.perf_counter()
    t_lamina, acc_lamina, _ = nn_bench.train_lamina(X_train, y_train, SIZES, epochs, 32,
                                                    progress=True, X_test=X_test,
                                                    y_test=y_test)
    t_numpy, acc_numpy = nn_bench.train_numpy(X_train, y_train, SIZES, epochs, 32,
                                              X_test=X_test, y_test=y_test)
    torch_res = _torch_in_subprocess(epochs, lamina.get_num_threads())
    print(f"\n  {'':<8} {'time/epoch':>12}   {'test accuracy':>13}   lamina's speed-up")
    print(f"  {'lamina':<8} {t_lamina * 1e3:9.1f} ms   {acc_lamina:13.3f}")
    print(f"  {'numpy':<8} {t_numpy * 1e3:9.1f} ms   {acc_numpy:13.3f}   "
          f"{t_numpy / t_lamina:.2f}x")
    if torch_res is not None:
        print(f"  {'pytorch':<8} {torch_res[0] * 1e3:9.1f} ms   {torch_res[1]:13.3f}   "
              f"{torch_res[0] / t_lamina:.2f}x")
    else:
        print("  pytorch  (not installed: pip install torch to compare)")
    print("\nHeadline kernels, lamina beside NumPy in this run:")
    for name, ours, theirs, ratio in _kernels():
        print(f"  {name:<32} lamina {ours:>13}   numpy {theirs:>13}   {ratio:.2f}x")
    print(f"\nDone in {time.perf_counter() - start:.1f} s.  More: `lamina bench gemm|losses|nn`,"
          " `lamina info`.")
    return 0
