"""Process and context settings: thread counts and the SIMD instruction set.

Thread count resolution (first that applies):

1. the ``n_threads=`` argument of the call;
2. the innermost ``with lamina.threads(n):`` block (a ContextVar: per thread and per asyncio
   task);
3. ``lamina.set_num_threads(n)`` (process-wide);
4. the ``LAMINA_NUM_THREADS`` environment variable (read when lamina is imported, as OpenMP
   reads ``OMP_NUM_THREADS`` at start-up);
5. OpenMP's current maximum, so ``threadpoolctl.threadpool_limits(n, user_api="openmp")``
   and ``OMP_NUM_THREADS`` limit lamina like any other OpenMP library.
"""

import contextlib
import contextvars
import os
import warnings

import numpy as np

from lamina._kernels import _runtime

__all__ = ["get_num_threads", "set_num_threads", "threads", "get_isa", "resolve_threads"]

_context_threads: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "lamina_threads", default=None
)
_global_threads: int | None = None


def _check_count(n, name="n_threads"):
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{name} must be a positive integer, got {n!r}")
    n = int(n)
    if n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n}")
    return n


def _read_env_threads():
    raw = os.environ.get("LAMINA_NUM_THREADS")
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw)
        if value < 1:
            raise ValueError
    except ValueError:
        warnings.warn(f"ignoring LAMINA_NUM_THREADS={raw!r}: expected a positive integer",
                      RuntimeWarning, stacklevel=3)
        return None
    return value


_env_threads = _read_env_threads()


def get_num_threads():
    """Number of threads lamina's threaded kernels use here and now.

    Returns
    -------
    int
        The first of: the innermost :func:`threads` block, :func:`set_num_threads`,
        ``LAMINA_NUM_THREADS``, OpenMP's current maximum.

    Examples
    --------
    >>> import lamina
    >>> with lamina.threads(1):
    ...     lamina.get_num_threads()
    1
    """
    n = _context_threads.get()
    if n is not None:
        return n
    if _global_threads is not None:
        return _global_threads
    if _env_threads is not None:
        return _env_threads
    return _runtime.omp_max_threads()


def resolve_threads(n_threads=None):
    """The effective thread count for a kernel call given its ``n_threads`` argument."""
    if n_threads is None:
        return get_num_threads()
    return _check_count(n_threads)


def set_num_threads(n):
    """Set the process-wide thread count; ``None`` restores the default resolution.

    Parameters
    ----------
    n : int or None
        Positive thread count, or None to fall back to ``LAMINA_NUM_THREADS`` / OpenMP.

    Examples
    --------
    >>> import lamina
    >>> lamina.set_num_threads(1); lamina.get_num_threads()
    1
    >>> lamina.set_num_threads(None)
    """
    global _global_threads
    _global_threads = None if n is None else _check_count(n, "n")


@contextlib.contextmanager
def threads(n):
    """Context manager limiting lamina's kernels to ``n`` threads inside the block.

    The setting lives in a :class:`contextvars.ContextVar`, so it is private to the current
    thread or asyncio task and nests.

    Examples
    --------
    >>> import lamina
    >>> with lamina.threads(1):
    ...     lamina.get_num_threads()
    1
    """
    token = _context_threads.set(_check_count(n, "n"))
    try:
        yield
    finally:
        _context_threads.reset(token)


def get_isa():
    """Name of the SIMD instruction set the kernels use (``generic``, ``avx2``, ``avx512``).

    Chosen at import from the CPU's features; ``LAMINA_ISA`` overrides it.

    Examples
    --------
    >>> import lamina
    >>> lamina.get_isa() in ("generic", "avx2", "avx512")
    True
    """
    return _runtime.isa_name()


def _apply_isa_env():
    """Honor ``LAMINA_ISA`` once at import; a bad value warns and keeps the detected ISA."""
    raw = os.environ.get("LAMINA_ISA", "").strip().lower()
    if not raw or raw == "auto":
        return
    try:
        _runtime.set_isa(raw)
    except ValueError as exc:
        warnings.warn(
            f"ignoring LAMINA_ISA={raw!r}: {exc}; using {_runtime.isa_name()}",
            RuntimeWarning,
            stacklevel=2,
        )


@contextlib.contextmanager
def _forced_isa(name):
    """Run a block with another ISA selected (tests and benchmarks)."""
    previous = _runtime.isa_name()
    _runtime.set_isa(name)
    try:
        yield
    finally:
        _runtime.set_isa(previous)


_apply_isa_env()
