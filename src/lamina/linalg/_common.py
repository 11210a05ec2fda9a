"""Shared plumbing of lamina.linalg: input preparation, batching, work copies and the
Hager-Higham 1-norm estimator used for condition numbers."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _blas1, _lapack
from lamina._validation import as_float_array

__all__ = [
    "batch_shape",
    "eps",
    "estimate_inverse_norm1",
    "matrices",
    "prepare",
    "raise_not_finite",
    "require_finite",
    "rhs_is_vector",
    "safe_scale",
    "scale_for_max",
    "solve_stack",
    "work_copy",
]


def eps(dtype):
    return float(np.finfo(dtype).eps)


def prepare(a, name, *, square=False, check_finite=True):
    """A float32/float64 array with at least 2 dimensions (optionally square)."""
    a = as_float_array(a, name, min_ndim=2, check_finite=check_finite)
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be square in its last two dimensions, got shape {a.shape}")
    return a


def batch_shape(a):
    return a.shape[:-2]


def matrices(a):
    """Iterate over the 2-D matrices of a stacked (..., M, N) array, in C order of the
    batch indices."""
    for idx in np.ndindex(*a.shape[:-2]):
        yield idx, a[idx]


def rhs_is_vector(a, b, a_name="a"):
    """numpy.linalg's rule for the right-hand side of ``a`` (n, n) or a stack (..., n, n):
    a 1-D ``b`` is one vector (n,), anything else is (..., n, k).  Returns whether ``b``
    is a vector; raises ValueError naming both shapes when they do not fit."""
    n = a.shape[-1]
    if a.ndim == 2:
        ok = b.ndim in (1, 2) and b.shape[0] == n
    else:
        ok = b.shape[0] == n if b.ndim == 1 else b.shape[-2] == n
    if not ok:
        raise ValueError(f"b has shape {b.shape}, incompatible with {a_name} of shape "
                         f"{a.shape}")
    return b.ndim == 1


def solve_stack(a, b, vector, dtype, solve_one):
    """Solve every matrix of the stack ``a`` (..., n, n) against ``b`` ((n,) or
    (..., n, k), batch dimensions broadcast as in numpy.linalg).

    ``solve_one(a_index, a2, rhs2, where)`` returns the (n, k) solution for one pair;
    ``a_index`` is the pair's index into ``a``'s own batch dimensions (for arrays that go
    with ``a``, like pivots) and ``where`` names the matrix for error messages."""
    n = a.shape[-1]
    rhs = b[:, None] if vector else b
    a_batch = a.shape[:-2]
    batch = np.broadcast_shapes(a_batch, rhs.shape[:-2])
    a_b = np.broadcast_to(a, batch + a.shape[-2:])
    rhs_b = np.broadcast_to(rhs, batch + rhs.shape[-2:])
    out = np.empty(batch + (n, rhs.shape[-1]), dtype=dtype)
    lead = len(batch) - len(a_batch)
    for idx in np.ndindex(*batch):
        a_index = tuple(0 if size == 1 else i for i, size in zip(idx[lead:], a_batch,
                                                                 strict=True))
        out[idx] = solve_one(a_index, a_b[idx], rhs_b[idx], f" (matrix {idx})")
    return out[..., 0] if vector else out


def work_copy(m, overwrite, dtype=None, threads=None):
    """A Fortran-ordered matrix the kernels may overwrite: ``m`` itself when the caller
    allows it and it already has that layout and dtype, else a copy (made with
    ``threads`` threads, default lamina's setting)."""
    dtype = m.dtype if dtype is None else np.dtype(dtype)
    if overwrite and m.dtype == dtype and m.flags.f_contiguous and m.flags.writeable:
        return m
    if (m.ndim == 2 and m.dtype == dtype and m.flags.c_contiguous and not m.flags.f_contiguous
            and dtype in (np.float32, np.float64)):
        # Row-major input (NumPy's default): a tiled, threaded transposing copy, several
        # times faster than NumPy's element-strided one for large matrices.
        out = np.empty(m.shape, dtype=dtype, order="F")
        _lapack.to_fortran(m, out, resolve_threads(threads))
        return out
    return np.array(m, dtype=dtype, order="F", copy=True)


def empty_stack(batch, m, n, dtype):
    """An empty (..., m, n) array whose matrices are each Fortran-contiguous."""
    return np.empty(tuple(batch) + (n, m), dtype=dtype).swapaxes(-1, -2)


def estimate_inverse_norm1(n, solve, dtype):
    """Estimate ||A^-1||_1 from a solver, by Hager's method with Higham's refinements
    (the estimator of LAPACK's lacn2, Higham 1988).

    ``solve(x, transpose)`` returns A^-1 x or A^-T x for a vector x.  Costs a few
    solves (at most 5 iterations plus one extra test), O(n^2) each with factors at
    hand.  The estimate is a lower bound, usually within a factor 3 of the true norm.
    """
    if n == 0:
        return 0.0
    x = np.full(n, 1.0 / n, dtype=dtype)
    y = solve(x, False)
    est = float(np.abs(y).sum(dtype=np.float64))
    if n == 1:
        return est
    xi = np.where(y >= 0, 1.0, -1.0).astype(dtype)
    z = solve(xi, True)
    for _ in range(5):
        j = int(np.argmax(np.abs(z)))
        if abs(float(z[j])) <= float(_blas1.dot(np.ascontiguousarray(z, x.dtype), x)):
            break
        x = np.zeros(n, dtype=dtype)
        x[j] = 1
        y = solve(x, False)
        new = float(np.abs(y).sum(dtype=np.float64))
        new_xi = np.where(y >= 0, 1.0, -1.0).astype(dtype)
        if new <= est or np.array_equal(new_xi, xi):
            est = max(est, new)
            break
        est, xi = new, new_xi
        z = solve(xi, True)
    # Higham's alternating-sign vector guards against the estimator's known bad cases.
    alt = np.array([(-1) ** i * (1 + i / (n - 1)) for i in range(n)], dtype=dtype)
    y = solve(alt, False)
    return max(est, 2.0 * float(np.abs(y).sum(dtype=np.float64)) / (3.0 * n))


def norm1(a):
    """Max absolute column sum of a 2-D array (elementwise NumPy)."""
    if a.size == 0:
        return 0.0
    return float(np.abs(a).sum(axis=0).max())


def safe_scale(a, dtype):
    """The factor to divide ``a`` by before an eigenvalue or singular value iteration:
    its largest magnitude when that lies outside LAPACK's safe range [sqrt(tiny/eps),
    sqrt(1/(tiny/eps))] (where squares and products of entries would underflow or
    overflow), else 1.  Dividing by the largest magnitude cannot overflow."""
    if a.size == 0:
        return 1.0
    return scale_for_max(float(np.max(np.abs(a))), dtype)


def scale_for_max(anrm, dtype):
    """:func:`safe_scale` from a matrix's largest magnitude ``anrm``."""
    info = np.finfo(dtype)
    small = float(info.tiny) / float(info.eps)
    rmin, rmax = np.sqrt(small), np.sqrt(1.0 / small)
    if anrm == 0 or not np.isfinite(anrm) or rmin <= anrm <= rmax:
        return 1.0
    return anrm


def require_finite(a, what):
    """Iterations on NaN or Inf never converge: say so at once (reached only with
    check_finite=False; NumPy raises LinAlgError in the same case)."""
    if not np.isfinite(a).all():
        raise_not_finite(what)


def raise_not_finite(what):
    """The error :func:`require_finite` raises."""
    from lamina._errors import LinAlgError

    raise LinAlgError(f"{what} did not converge: the input contains NaN or Inf "
                      "(check_finite=False skipped the check)")
