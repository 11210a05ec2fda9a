"""Input policy for Dask arrays and the helpers every operation shares."""

import dask.array as da
import numpy as np

#: Every lamina call made by a task names the core explicitly: a chunk is NumPy data, and
#: dispatch options of the caller (``prioritize=["dask"]``) must not route it back here.
CORE = "core"


def float_dtype(dtype, name):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        raise TypeError(f"{name}: complex input ({dtype}) is not supported")
    if dtype.kind == "f":
        return np.dtype(np.float32) if dtype.itemsize < 4 else \
            np.dtype(np.float64) if dtype.itemsize > 4 else dtype
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    raise TypeError(f"{name} must hold numbers, got dtype {dtype}")


def as_dask(x, name, *, ndim=None, min_ndim=None, float_=True):
    """``x`` as a dask array with lamina's dtype policy (NumPy inputs become one chunk)."""
    if x is None:
        raise TypeError(f"{name} must be array-like, got None")
    if not isinstance(x, da.Array):
        arr = np.asarray(x)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}")
        x = da.from_array(arr, chunks=arr.shape or ())
    if any(np.isnan(c) for c in x.shape):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes()")
    if float_:
        want = float_dtype(x.dtype, name)
        if x.dtype != want:
            x = x.astype(want)
    if ndim is not None:
        allowed = ndim if isinstance(ndim, tuple) else (ndim,)
        if x.ndim not in allowed:
            raise ValueError(f"{name} must be {' or '.join(map(str, allowed))}-dimensional, "
                             f"got shape {x.shape}")
    if min_ndim is not None and x.ndim < min_ndim:
        raise ValueError(f"{name} must be at least {min_ndim}-dimensional, got shape "
                         f"{x.shape}")
    return x


def result_dtype(*arrays):
    return np.result_type(*[a.dtype for a in arrays])


def row_blocks(x, rows):
    """``x`` (NumPy or dask) cut into dask row blocks matching ``rows`` (a chunks tuple)."""
    if isinstance(x, da.Array):
        return x.rechunk((rows,) + tuple((s,) for s in x.shape[1:])).to_delayed() \
            .reshape(-1)
    arr = np.asarray(x)
    bounds = np.cumsum((0,) + tuple(rows))
    return [arr[bounds[i]:bounds[i + 1]] for i in range(len(rows))]


def rows_whole(x):
    """``x`` rechunked so every chunk holds whole rows (one chunk along other axes)."""
    if all(len(c) == 1 for c in x.chunks[1:]):
        return x
    return x.rechunk({i: -1 for i in range(1, x.ndim)})
