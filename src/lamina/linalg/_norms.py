"""Matrix norms and condition numbers: matrix_norm, norm, cond."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina.blas import vector_norm
from lamina.linalg._common import matrices, norm1, prepare, work_copy

__all__ = ["cond", "matrix_norm", "norm"]

_UNSUPPORTED = "needs singular values, which lamina does not compute yet"


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
        raise ValueError(f"matrix norm ord={ord!r} {_UNSUPPORTED}")
    raise ValueError(f"invalid matrix norm order {ord!r}; use 'fro', 1, -1, inf or -inf")


@dispatchable("matrix_norm")
def matrix_norm(x, ord="fro", keepdims=False):
    """Norm of a matrix or a stack of matrices, like :func:`numpy.linalg.matrix_norm`.

    Parameters
    ----------
    x : array_like, shape (..., M, N)
    ord : {"fro", 1, -1, inf, -inf}
        Frobenius (computed with scaling: no overflow or underflow), max/min absolute
        column sum, max/min absolute row sum.
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
def cond(x, p=1, *, n_threads=None):
    """Condition number in the 1- or infinity-norm, estimated from the LU factors.

    Parameters
    ----------
    x : array_like, shape (..., N, N)
    p : {1, inf}
        The norm.  The 2-norm (NumPy's default) needs singular values and is not
        available yet.

    Returns
    -------
    float or ndarray
        ``||x|| * est(||x^-1||)``, with LAPACK's gecon estimator (Hager-Higham): a lower
        bound usually within a factor 3 of the exact value; ``inf`` for a singular
        matrix.

    Examples
    --------
    >>> import lamina
    >>> float(lamina.linalg.cond([[1.0, 0.0], [0.0, 1e-3]]))
    1000.0
    """
    from lamina.linalg._lu import _rcond_from_lu

    if p not in (1, np.inf, "1", "inf"):
        raise ValueError(f"p must be 1 or inf (other norms {_UNSUPPORTED}), got {p!r}")
    which = "1" if p in (1, "1") else "inf"
    x = prepare(x, "x", square=True, check_finite=True)
    threads = resolve_threads(n_threads)
    out = np.empty(x.shape[:-2], dtype=x.dtype)
    for idx, mat in matrices(x):
        n = mat.shape[0]
        if n == 0:
            out[idx] = 0
            continue
        f = work_copy(mat, False)
        anorm = norm1(f) if which == "1" else norm1(f.T)
        ipiv = np.zeros(n, dtype=np.intp)
        info = _lapack.getrf(f, ipiv, threads)
        rc = 0.0 if info else _rcond_from_lu(f, ipiv, anorm, threads, which)
        with np.errstate(divide="ignore", over="ignore"):
            out[idx] = np.inf if rc == 0 else 1.0 / rc
    return out[()] if out.ndim == 0 else out
