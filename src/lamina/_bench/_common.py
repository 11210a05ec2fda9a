"""Shared helpers for ``lamina bench``: interleaved timing, tables, environment facts."""

import contextlib
import importlib
import os
import platform
import statistics
import time


def median_time(fn, *, repeat=5, min_time=0.05, warmup=1):
    """Median wall time of one call of ``fn`` over ``repeat`` samples.

    Each sample runs ``fn`` enough times to last ``min_time`` seconds, so short kernels
    are not dominated by timer resolution.
    """
    for _ in range(warmup):
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


def interleaved_times(fns, *, repeat=5, min_time=0.05, settle=0.0):
    """Median times of several implementations measured in alternation.

    Alternating the implementations within each round spreads slow drifts of the
    machine (frequency, other load) evenly over all of them, so their ratio is fair.
    ``settle`` seconds of sleep before each implementation's sample let the previous
    one's thread pool go idle: OpenBLAS's workers spin for ~0.1 s after a call and
    OpenMP's for a while too, and a spinning pool steals the cores the next
    implementation needs (use it whenever more than one thread is timed).
    """
    names = list(fns)
    loops = {}
    for name in names:
        fns[name]()
        start = time.perf_counter()
        fns[name]()
        one = max(time.perf_counter() - start, 1e-7)
        loops[name] = max(1, int(min_time / one))
    samples = {name: [] for name in names}
    for _ in range(repeat):
        for name in names:
            fn, n = fns[name], loops[name]
            if settle:
                time.sleep(settle)
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(v) for name, v in samples.items()}


def stream_bandwidths(thread_counts, *, mib=1024):
    """{threads: bytes/s} of lamina's in-place axpy (two reads and a write per element)
    on two ``mib``-MiB vectors: the practical memory bandwidth of a streaming kernel with
    that many threads.  The default 1 GiB vectors are far beyond any cache of the machines
    lamina is measured on (this one reports a 480 MiB L3)."""
    import numpy as np

    import lamina

    x = np.ones((mib << 20) // 8)
    y = np.ones_like(x)
    out = {}
    for nt in thread_counts:
        t = median_time(lambda: lamina.axpy(0.5, x, y, out=y, n_threads=nt),  # noqa: B023
                        repeat=3, min_time=0.0)
        out[nt] = 3 * x.nbytes / t
    return out


def optional_module(name):
    """The module ``name``, or None when it is not installed (peers are optional)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextlib.contextmanager
def blas_threads(n):
    """Limit the peers' BLAS (OpenBLAS/MKL through threadpoolctl) to ``n`` threads, when
    threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(n, user_api="blas"):
        yield


def openblas_info():
    """NumPy's BLAS as threadpoolctl reports it: (internal_api, version, architecture)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    libs = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    # NumPy's OpenBLAS first: with PyTorch imported, its MKL is listed as well.
    libs.sort(key=lambda lib: lib.get("internal_api") != "openblas")
    if not libs:
        return "no BLAS found by threadpoolctl"
    lib = libs[0]
    return (f"{lib.get('internal_api')} {lib.get('version')} "
            f"arch={lib.get('architecture')} threads={lib.get('num_threads')}")


def environment_lines():
    import numpy as np

    import lamina

    return [
        f"lamina {lamina.__version__}  isa={lamina.get_isa()}  threads={lamina.get_num_threads()}",
        f"numpy {np.__version__}  BLAS: {openblas_info()}",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}",
        f"python {platform.python_version()}  machine {platform.machine()}",
    ]


def format_table(headers, rows):
    """A plain-text table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value):
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e5:
            return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)
