"""``lamina bench nn``: MLP training and one Dense layer beside NumPy and PyTorch.

Cases (same architecture, initialization scheme, batches and optimizer for every peer):
(a) digits 64-128-10 ReLU, SGD lr 0.1 momentum 0.9, batch 32, 30 epochs;
(b) 784-512-512-10 ReLU, batch 128, one epoch over 60000 random samples (median of
    alternating rounds);
(c) one Dense 1024 -> 1024 forward + backward at batch 256.
"""

import math
import statistics
import time

import numpy as np

import lamina
import lamina.nn
from lamina._bench._common import format_table, interleaved_times


def add_arguments(parser):
    parser.add_argument("--cases", default="a,b,c", help="comma-separated subset of a,b,c")
    parser.add_argument("--epochs", type=int, default=30, help="epochs for case (a)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds for case (b) (median reported)")


def digits_split(dtype=np.float32):
    from lamina.datasets import load_digits, train_test_split

    d = load_digits(dtype=dtype)
    return train_test_split(d.data / dtype(16.0), d.target, test_size=0.25, random_state=0)


def _init(sizes, seed, dtype):
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((a, b)) * math.sqrt(2.0 / a)).astype(dtype),
             np.zeros(b, dtype)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def train_lamina(X, y, sizes, epochs, batch_size, lr=0.1, momentum=0.9, seed=0,
                 progress=False, X_test=None, y_test=None):
    """Train with lamina.nn; returns (seconds per epoch, test accuracy or None, model)."""
    layers = [lamina.nn.Dense(b, activation="relu" if i < len(sizes) - 2 else None)
              for i, b in enumerate(sizes[1:])]
    model = lamina.nn.Sequential(layers, dtype=X.dtype, random_state=seed)
    model.build(X.shape[1:])
    for layer, (w, b) in zip(layers, _init(sizes, seed, X.dtype), strict=True):
        layer.weight[...] = w
        layer.bias[...] = b
    history = model.fit(X, y, optimizer=lamina.nn.SGD(lr=lr, momentum=momentum),
                        epochs=epochs, batch_size=batch_size, progress=progress,
                        random_state=seed)
    acc = model.evaluate(X_test, y_test)["accuracy"] if X_test is not None else None
    return sum(history["time"]) / max(epochs, 1), acc, model


def train_numpy(X, y, sizes, epochs, batch_size, lr=0.1, momentum=0.9, seed=0,
                X_test=None, y_test=None):
    """The same MLP and SGD written directly in NumPy (the peer every user can run)."""
    params = _init(sizes, seed, X.dtype)
    vel = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            idx = order[s:s + batch_size]
            acts = [X[idx]]
            for i, (w, b) in enumerate(params):
                z = acts[-1] @ w + b
                acts.append(np.maximum(z, 0) if i < len(params) - 1 else z)
            logits = acts[-1]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            grad = e / e.sum(axis=1, keepdims=True)
            grad[np.arange(idx.size), y[idx]] -= 1
            grad /= idx.size
            for i in range(len(params) - 1, -1, -1):
                w, b = params[i]
                gw, gb = acts[i].T @ grad, grad.sum(axis=0)
                if i:
                    grad = (grad @ w.T) * (acts[i] > 0)
                vw, vb = vel[i]
                vw *= momentum
                vw += gw
                vb *= momentum
                vb += gb
                w -= lr * vw
                b -= lr * vb
    per_epoch = (time.perf_counter() - start) / max(epochs, 1)
    acc = None
    if X_test is not None:
        h = X_test
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            h = np.maximum(h, 0) if i < len(params) - 1 else h
        acc = float(np.mean(h.argmax(axis=1) == y_test))
    return per_epoch, acc


def train_torch(X, y, sizes, epochs, batch_size, lr=0.1, momentum=0.9, seed=0,
                X_test=None, y_test=None, threads=None):
    """The same MLP in PyTorch (CPU), or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    mods = []
    for i, (w, b) in enumerate(_init(sizes, seed, X.dtype)):
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(sizes) - 2:
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods).to(torch.float32 if X.dtype == np.float32
                                        else torch.float64)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(X.shape[0]))
        for s in range(0, X.shape[0], batch_size):
            idx = order[s:s + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    per_epoch = (time.perf_counter() - start) / max(epochs, 1)
    acc = None
    if X_test is not None:
        with torch.no_grad():
            pred = net(torch.from_numpy(X_test)).argmax(dim=1).numpy()
        acc = float(np.mean(pred == y_test))
    return per_epoch, acc


def dense_step_times(batch=256, features=1024, dtype=np.float32):
    """Forward + backward of one Dense layer: lamina, NumPy and PyTorch (when installed)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, features)).astype(dtype)
    g = rng.standard_normal((batch, features)).astype(dtype)
    layer = lamina.nn.Dense(features, activation="relu", random_state=0)
    layer.build((features,), dtype)
    w, b = layer.weight, layer.bias

    def ours():
        layer.forward(x, training=True)
        layer.backward(g)

    def numpy_step():
        z = np.maximum(x @ w + b, 0)
        dz = g * (z > 0)
        return x.T @ dz, dz.sum(axis=0), dz @ w.T

    fns = {"lamina": ours, "numpy": numpy_step}
    try:
        import torch

        lin = torch.nn.Linear(features, features)
        xt = torch.from_numpy(x).requires_grad_(True)
        gt = torch.from_numpy(g)

        def torch_step():
            lin.zero_grad(set_to_none=True)
            xt.grad = None
            torch.relu(lin(xt)).backward(gt)

        fns["torch"] = torch_step
    except ImportError:
        pass
    return interleaved_times(fns, repeat=5, min_time=0.2)


def run(args):
    cases = set(args.cases.split(","))
    rows = []
    threads = lamina.get_num_threads()
    if "a" in cases:
        X_train, X_test, y_train, y_test = digits_split()
        sizes = [64, 128, 10]
        t_l, acc_l, _ = train_lamina(X_train, y_train, sizes, args.epochs, 32,
                                     X_test=X_test, y_test=y_test)
        t_n, acc_n = train_numpy(X_train, y_train, sizes, args.epochs, 32, X_test=X_test,
                                 y_test=y_test)
        torch_res = train_torch(X_train, y_train, sizes, args.epochs, 32, X_test=X_test,
                                y_test=y_test, threads=threads)
        rows.append(["(a) digits MLP, s/epoch", t_l, t_n, torch_res[0] if torch_res else "-",
                     f"acc {acc_l:.3f} / {acc_n:.3f}" +
                     (f" / {torch_res[1]:.3f}" if torch_res else "")])
    if "b" in cases:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((60000, 784)).astype(np.float32)
        y = rng.integers(0, 10, 60000)
        sizes = [784, 512, 512, 10]
        # One epoch per library per round, rounds alternating (the machine's speed drifts
        # by 10-20% over minutes; alternation spreads that over every library), each
        # library's pool let settle first; the median round is reported.
        times = {"lamina": [], "numpy": [], "torch": []}
        for _ in range(args.rounds):
            time.sleep(0.15)
            times["lamina"].append(train_lamina(X, y, sizes, 1, 128, lr=0.01)[0])
            time.sleep(0.15)
            times["numpy"].append(train_numpy(X, y, sizes, 1, 128, lr=0.01)[0])
            time.sleep(0.15)
            torch_res = train_torch(X, y, sizes, 1, 128, lr=0.01, threads=threads)
            if torch_res:
                times["torch"].append(torch_res[0])
        med = {k: statistics.median(v) if v else "-" for k, v in times.items()}
        rows.append(["(b) 784-512-512-10, s/epoch", med["lamina"], med["numpy"], med["torch"],
                     f"median of {args.rounds} alternating rounds"])
    if "c" in cases:
        t = dense_step_times()
        rows.append(["(c) Dense 1024 fwd+bwd, ms", t["lamina"] * 1e3, t["numpy"] * 1e3,
                     t["torch"] * 1e3 if "torch" in t else "-", ""])
    return format_table(["case", "lamina", "numpy", "torch", "notes"], rows)
