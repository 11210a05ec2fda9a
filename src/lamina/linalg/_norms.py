"""Matrix norms and condition numbers: matrix_norm, norm, cond."""

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import LinAlgError
from lamina._registry import dispatchable
from lamina.blas import vector_norm
from lamina.linalg._common import matrices, prepare

__all__ = ["cond", "matrix_norm", "norm"]


def _singular_values(a):
    from lamina.linalg._svd import svdvals

    return svdvals(a, check_finite=False)


def _matrix_norm_2d(a, ord):
    if a.size == 0:
        return 0.0
    if ord in ("fro", "f"):
        return float(vector_norm(a.ravel(order="K")))
    absa = np.abs(a)
    if ord == 1:
        return float(absa.sum(axis=0).max())
    if ord == -1:
        return float(absa.sum(axis=0).min())
    if ord == np.inf:
        return float(absa.sum(axis=1).max())
    if ord == -np.inf:
        return float(absa.sum(axis=1).min())
    if ord in (2, -2, "nuc"):
        if not np.all(np.isfinite(a)):
            return float("nan")
        s = _singular_values(a)
        return float(s[0] if ord == 2 else s[-1] if ord == -2 else s.sum(dtype=np.float64))
    raise ValueError(f"invalid matrix norm order {ord!r}; use 'fro', 'nuc', 1, -1, 2, -2, inf "
                     "or -inf")


@dispatchable("matrix_norm")
def matrix_norm(x, ord="fro", keepdims=False):
    """Norm of a matrix or a stack of matrices, like :func:`numpy.linalg.matrix_norm`.

    Parameters
    ----------
    x : array_like, shape (..., M, N)
    ord : {"fro", "nuc", 1, -1, 2, -2, inf, -inf}
        Frobenius (computed with scaling: no overflow or underflow), nuclear (sum of the
        singular values), max/min absolute column sum, largest/smallest singular value
        (:func:`svdvals`), max/min absolute row sum.
    keepdims : bool

    Examples
    --------
    >>> import lamina
    >>> float(lamina.linalg.matrix_norm([[1.0, -2.0], [3.0, 4.0]], ord=1))
    6.0
    """
    x = prepare(x, "x", check_finite=False)
    out = np.empty(x.shape[:-2], dtype=x.dtype)
    for idx, mat in matrices(x):
        out[idx] = _matrix_norm_2d(mat, ord)
    if keepdims:
        out = out[..., None, None]
    return out[()] if out.ndim == 0 else out


@dispatchable("norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, like :func:`numpy.linalg.norm`.

    Vectors (1-D input or an integer ``axis``) go to :func:`lamina.blas.vector_norm`;
    matrices (2-D input or a pair ``axis``) to :func:`matrix_norm`, where ``ord=None``
    means Frobenius.

    Examples
    --------
    >>> import lamina
    >>> float(lamina.linalg.norm([[3.0, 0.0], [0.0, 4.0]]))
    5.0
    """
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if axis is None:
        if x.ndim == 2:
            return matrix_norm(x, "fro" if ord is None else ord, keepdims=keepdims)
        if ord is not None and x.ndim != 1:
            raise ValueError(f"ord={ord!r} needs 1-D or 2-D input or an axis, got shape "
                             f"{x.shape}")
        r = vector_norm(x.ravel(), 2 if ord is None else ord)
        return np.reshape(r, (1,) * x.ndim) if keepdims else r
    if isinstance(axis, int | np.integer):
        return vector_norm(x, 2 if ord is None else ord, axis=int(axis), keepdims=keepdims)
    axis = tuple(int(ax) % x.ndim for ax in axis)
    if len(axis) != 2 or axis[0] == axis[1]:
        raise ValueError(f"axis must be an int or a pair of distinct ints, got {axis}")
    moved = np.moveaxis(x, axis, (-2, -1))
    r = matrix_norm(moved, "fro" if ord is None else ord)
    if keepdims:
        r = np.expand_dims(r, axis=tuple(sorted(axis)))
    return r


@dispatchable("cond")
def cond(x, p=None, *, n_threads=None):
    """Condition number of a matrix, like :func:`numpy.linalg.cond`.

    Parameters
    ----------
    x : array_like, shape (..., M, N)
        M == N unless p is None, 2 or -2.
    p : {None, 2, -2, "fro", "nuc", 1, -1, inf, -inf}
        None and 2: ``s_max / s_min`` from the singular values (:func:`svdvals`); -2:
        ``s_min / s_max``; otherwise ``norm(x, p) * norm(inv(x), p)`` with the exact
        inverse from the LU factors.
    n_threads : int, optional

    Returns
    -------
    float or ndarray
        ``inf`` for a singular matrix (as NumPy).

    Examples
    --------
    >>> import lamina
    >>> float(lamina.linalg.cond([[1.0, 0.0], [0.0, 1e-3]]))
    1000.0
    >>> round(float(lamina.linalg.cond([[1.0, 2.0], [3.0, 4.0]], p=1)), 10)
    21.0
    """
    from lamina.linalg._lu import inv
    from lamina.linalg._svd import svdvals

    if not (p is None or (isinstance(p, str) and p in ("fro", "nuc"))
            or (not isinstance(p, str) and p in (1, -1, 2, -2, np.inf, -np.inf))):
        raise ValueError(f"p must be one of None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc', "
                         f"got {p!r}")
    x = prepare(x, "x", square=p not in (None, 2, -2), check_finite=True)
    threads = resolve_threads(n_threads)
    out = np.empty(x.shape[:-2], dtype=x.dtype)
    for idx, mat in matrices(x):
        if min(mat.shape) == 0:
            out[idx] = 0
            continue
        if p in (None, 2, -2):
            s = svdvals(mat, check_finite=False, n_threads=threads)
            big, small = float(s[0]), float(s[-1])
            if p == -2:
                big, small = small, big
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.float64(big) / np.float64(small)
        else:
            try:
                inverse = inv(mat, n_threads=threads)
            except LinAlgError:
                out[idx] = np.inf
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                r = _matrix_norm_2d(mat, p) * _matrix_norm_2d(inverse, p)
        out[idx] = np.inf if np.isnan(r) else r
    return out[()] if out.ndim == 0 else out
