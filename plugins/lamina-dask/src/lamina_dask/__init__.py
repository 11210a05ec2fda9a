"""lamina-dask: a lamina backend for ``dask.array`` inputs.

lamina's operations on Dask arrays run lamina's own kernels on every chunk, on whatever
scheduler is active — typically a ``dask.distributed`` cluster::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")       # workers need lamina + lamina-dask
    q, r = lamina.linalg.qr(tall)                  # TSQR, lazy dask arrays
    u, s, vt = lamina_dask.randomized_svd(tall, 10)
    pca = lamina_dask.PCA(10).fit(tall)

Every task passes lamina an explicit thread count (Dask's workers set
``OMP_NUM_THREADS=1``): :func:`task_threads` sets it, default 1 or
``LAMINA_DASK_TASK_THREADS``.
"""

__version__ = "0.1.0"

from lamina_dask._threads import task_threads  # noqa: E402

__all__ = ["PCA", "__version__", "randomized_svd", "task_threads", "tsqr"]


def __getattr__(name):
    # dask is imported on first use, so lamina's discovery of the plugin stays cheap.
    if name == "tsqr":
        from lamina_dask._tsqr import tsqr

        return tsqr
    if name in ("randomized_svd", "PCA"):
        from lamina_dask import _rsvd

        return getattr(_rsvd, name)
    raise AttributeError(f"module 'lamina_dask' has no attribute {name!r}")
