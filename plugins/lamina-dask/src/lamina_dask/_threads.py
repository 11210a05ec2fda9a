"""The thread count every Dask task hands to lamina's kernels.

Dask's workers set ``OMP_NUM_THREADS=1`` so that tasks running side by side do not
oversubscribe the cores; lamina would then run single-threaded by accident.  lamina-dask
instead decides the count when it builds the graph and passes it to every kernel call as
``n_threads=``: the innermost :func:`task_threads` block, else the environment variable
``LAMINA_DASK_TASK_THREADS`` (read on the client), else 1 (one core per worker thread,
Dask's own model).
"""

import contextlib
import contextvars
import os

_override: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "lamina_dask_task_threads", default=None)


def current():
    """The thread count tasks built now will pass to lamina."""
    n = _override.get()
    if n is not None:
        return n
    raw = os.environ.get("LAMINA_DASK_TASK_THREADS", "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"LAMINA_DASK_TASK_THREADS must be a positive integer, got "
                             f"{raw!r}") from None
        if n < 1:
            raise ValueError(f"LAMINA_DASK_TASK_THREADS must be >= 1, got {n}")
        return n
    return 1


@contextlib.contextmanager
def task_threads(n):
    """Within the block, tasks built by lamina-dask run lamina with ``n`` threads each.

    Examples
    --------
    >>> import lamina_dask
    >>> with lamina_dask.task_threads(4):
    ...     pass        # e.g. lamina.matmul(a, b) on dask arrays, for 4-thread workers
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"task_threads needs a positive int, got {n!r}")
    token = _override.set(n)
    try:
        yield n
    finally:
        _override.reset(token)
