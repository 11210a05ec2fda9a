"""The reference backend: each operation as the obvious NumPy expression.

Signatures match lamina's core operations exactly (``n_threads`` is accepted and ignored:
NumPy chooses its own threads).  Inputs get the same dtype policy as the core so results
compare dtype for dtype.
"""

import numpy as np

from lamina_reference import __version__


def _float(x, name, ndim=None):
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name}: complex input is not supported")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be array-like of numbers")
    if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def _common(*arrays):
    dtype = np.result_type(*arrays)
    return tuple(a.astype(dtype, copy=False) for a in arrays)


def _write(out, value):
    if out is None:
        return value
    out[...] = value
    return out


class ReferenceBackend:
    """lamina's NumPy oracle backend."""

    name = "reference"
    __version__ = __version__

    def asarray(self, x, *, device=None):
        if device not in (None, "cpu"):
            raise ValueError(f"the reference backend runs on the CPU only, not {device!r}")
        return np.asarray(x)

    def to_numpy(self, x):
        return np.asarray(x)

    # -- level 1 ------------------------------------------------------------------------
    def dot(self, x, y, *, n_threads=None):
        x, y = _common(_float(x, "x", 1), _float(y, "y", 1))
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same length, got {x.shape} and {y.shape}")
        return x.dtype.type(np.dot(x, y))

    def axpy(self, alpha, x, y, *, out=None, n_threads=None):
        x, y = _common(_float(x, "x", 1), _float(y, "y", 1))
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same length, got {x.shape} and {y.shape}")
        return _write(out, (x.dtype.type(alpha) * x + y).astype(x.dtype))

    def scal(self, alpha, x, *, out=None, n_threads=None):
        x = _float(x, "x", 1)
        return _write(out, x.dtype.type(alpha) * x)

    def nrm2(self, x, *, n_threads=None):
        # numpy.linalg.norm squares without scaling and overflows for |x| > 1e154 (float64):
        # scale by max|x| as reference BLAS does.
        x = _float(x, "x", 1)
        m = np.max(np.abs(x), initial=x.dtype.type(0))
        if m == 0 or not np.isfinite(m):
            return x.dtype.type(m if np.isnan(x).sum() == 0 else np.nan)
        return x.dtype.type(m * np.sqrt(np.sum((x / m) ** 2)))

    def asum(self, x, *, n_threads=None):
        x = _float(x, "x", 1)
        return x.dtype.type(np.abs(x).sum())

    def iamax(self, x):
        x = _float(x, "x", 1)
        if x.size == 0:
            raise ValueError("iamax of an empty vector is undefined")
        return int(np.argmax(np.abs(x)))

    def vector_norm(self, x, ord=2, axis=None, keepdims=False):
        x = _float(x, "x")
        result = np.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims)
        return result.astype(x.dtype) if isinstance(result, np.ndarray) else x.dtype.type(result)

    # -- level 2 ------------------------------------------------------------------------
    def gemv(self, alpha, a, x, beta=0.0, y=None, *, trans=False, out=None, n_threads=None):
        a, x = _float(a, "a", 2), _float(x, "x", 1)
        op = a.T if trans else a
        if op.shape[1] != x.shape[0]:
            raise ValueError(f"x has shape {x.shape} but op(a) has shape {op.shape}")
        arrays = [op, x] + ([_float(y, "y", 1)] if beta != 0 else [])
        if beta != 0 and y is None:
            raise ValueError("y is required when beta != 0")
        arrays = _common(*arrays)
        result = arrays[0].dtype.type(alpha) * (arrays[0] @ arrays[1])
        if beta != 0:
            result = result + arrays[0].dtype.type(beta) * arrays[2]
        return _write(out, result.astype(arrays[0].dtype, copy=False))

    def ger(self, alpha, x, y, a, *, out=None, n_threads=None):
        x, y, a = _common(_float(x, "x", 1), _float(y, "y", 1), _float(a, "a", 2))
        if a.shape != (x.shape[0], y.shape[0]):
            raise ValueError(f"a has shape {a.shape}, expected (len(x), len(y))")
        return _write(out, a + a.dtype.type(alpha) * np.outer(x, y))

    def matvec(self, a, x, *, out=None, n_threads=None):
        a, x = _common(_float(a, "a"), _float(x, "x"))
        if a.ndim < 2 or x.ndim < 1 or a.shape[-1] != x.shape[-1]:
            raise ValueError(f"matvec: shapes {a.shape} and {x.shape} do not match")
        try:
            return _write(out, np.matvec(a, x))
        except ValueError as exc:
            raise ValueError(f"matvec: {exc}") from None

    def outer(self, x, y, *, out=None, n_threads=None):
        x, y = _common(_float(x, "x").ravel(), _float(y, "y").ravel())
        return _write(out, np.outer(x, y))

    # -- sparse and iterative solvers ----------------------------------------------------
    # SciPy is the oracle here (imported on first use so discovery stays cheap).
    def csr_matvec(self, a, x, *, out=None, n_threads=None):
        a = _scipy_csr(a)
        x = _float(x, "x", 1)
        if x.shape[0] != a.shape[1]:
            raise ValueError(f"x has shape {x.shape} but a has shape {a.shape}")
        dtype = np.result_type(a.dtype, x.dtype)
        return _write(out, np.asarray(a.astype(dtype) @ x.astype(dtype)))

    def csr_matmat(self, a, b, *, out=None, n_threads=None):
        a = _scipy_csr(a)
        b = _float(b, "b", 2)
        if b.shape[0] != a.shape[1]:
            raise ValueError(f"b has shape {b.shape} but a has shape {a.shape}")
        dtype = np.result_type(a.dtype, b.dtype)
        return _write(out, np.asarray(a.astype(dtype) @ b.astype(dtype)))

    def cg(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
           progress=False, n_threads=None):
        return _krylov("cg", A, b, x0, rtol, atol, maxiter, M, callback)

    def minres(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None,
               callback=None, progress=False, n_threads=None):
        return _krylov("minres", A, b, x0, rtol, atol, maxiter, M, callback)

    def gmres(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, restart=None, maxiter=None,
              M=None, callback=None, progress=False, n_threads=None):
        return _krylov("gmres", A, b, x0, rtol, atol, maxiter, M, callback, restart=restart)

    def bicgstab(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None,
                 callback=None, progress=False, n_threads=None):
        return _krylov("bicgstab", A, b, x0, rtol, atol, maxiter, M, callback)

    def jacobi(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, callback=None,
               progress=False, n_threads=None):
        return _stationary("jacobi", A, b, x0, rtol, atol, maxiter, callback, 1.0)

    def gauss_seidel(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None,
                     callback=None, progress=False, n_threads=None):
        return _stationary("gauss_seidel", A, b, x0, rtol, atol, maxiter, callback, 1.0)

    def sor(self, A, b, x0=None, *, omega=1.5, rtol=1e-5, atol=0.0, maxiter=None,
            callback=None, progress=False, n_threads=None):
        if not 0 < omega < 2:
            raise ValueError(f"omega must be in (0, 2), got {omega}")
        return _stationary("sor", A, b, x0, rtol, atol, maxiter, callback, omega)


def _scipy_csr(a):
    import scipy.sparse as sp

    if hasattr(a, "indptr") and not sp.issparse(a):           # lamina.sparse.CSR
        a = sp.csr_array((a.data, a.indices, a.indptr), shape=a.shape)
    if not sp.issparse(a):
        raise TypeError(f"a must be a sparse matrix, got {type(a).__name__}")
    a = sp.csr_array(a)
    if a.dtype.kind == "c":
        raise TypeError("a: complex input is not supported")
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def _problem(A, b, x0):
    import scipy.sparse as sp

    if sp.issparse(A):
        A = _scipy_csr(A)
        if not np.isfinite(A.data).all():
            raise ValueError("A must not contain NaN or Inf")
    elif isinstance(A, np.ndarray) or not hasattr(A, "matvec"):
        A = _float(A, "A", 2)
        if not np.isfinite(A).all():
            raise ValueError("A must not contain NaN or Inf")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    b = _float(b, "b", 1)
    if b.shape[0] != A.shape[0] or not np.isfinite(b).all():
        raise ValueError(f"b must be finite with {A.shape[0]} rows, got shape {b.shape}")
    dtype = np.result_type(b.dtype, getattr(A, "dtype", None) or b.dtype)
    x = np.zeros(b.shape, dtype) if x0 is None else _float(x0, "x0", 1).astype(dtype)
    if x.shape != b.shape:
        raise ValueError(f"x0 has shape {x.shape}, expected {b.shape}")
    return A, b.astype(dtype), x


def _result(method, x, converged, iterations, history, tol):
    import warnings

    from lamina import ConvergenceWarning
    from lamina.solvers import SolveResult

    history = np.asarray(history, dtype=np.float64)
    reason = "converged" if converged else "not converged"
    if not converged:
        warnings.warn(f"{method} did not converge (reference)", ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(x, bool(converged), int(iterations), float(history[-1]), history,
                       f"{reason} (reference, tol {tol:.3g})")


def _krylov(method, A, b, x0, rtol, atol, maxiter, M, callback, restart=None):
    import scipy.sparse.linalg as spla

    if rtol < 0 or atol < 0 or (maxiter is not None and maxiter < 0):
        raise ValueError("rtol, atol and maxiter must be >= 0")
    A, b, x = _problem(A, b, x0)
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0:
        return _result(method, np.zeros_like(b), True, 0, [0.0], 0.0)
    tol = max(rtol * bnorm, atol)
    history = [float(np.linalg.norm(b - A @ x))]
    count = [0]

    def cb(xk):
        count[0] += 1
        if callback is not None:
            callback(xk)

    kw = {"rtol": rtol, "atol": atol, "maxiter": maxiter, "M": M}
    if method == "minres":
        # SciPy's minres has no atol; rtol relative to ||b|| expresses the same test.
        kw.pop("atol")
        kw["rtol"] = tol / bnorm
    if method == "gmres":
        kw.update(restart=restart, callback=lambda _: count.__setitem__(0, count[0] + 1),
                  callback_type="pr_norm")
    else:
        kw["callback"] = cb
    if maxiter == 0:
        return _result(method, x, history[0] <= tol, 0, history, tol)
    x, info = getattr(spla, method)(A, b, x0=x, **kw)
    history.append(float(np.linalg.norm(b - A @ x)))
    # SciPy's own verdict (its minres tests an estimate) or the true residual.
    return _result(method, x.astype(b.dtype), info == 0 or history[-1] <= tol * 1.01,
                   count[0], history, tol)


def _stationary(method, A, b, x0, rtol, atol, maxiter, callback, omega):
    import scipy.sparse as sp

    A, b, x = _problem(A, b, x0)
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    d = np.diagonal(dense)
    if (d == 0).any():
        i = int(np.flatnonzero(d == 0)[0])
        raise np.linalg.LinAlgError(f"{method}: zero diagonal in row {i}")
    n = b.shape[0]
    maxiter = 10 * n if maxiter is None else maxiter
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0:
        return _result(method, np.zeros_like(b), True, 0, [0.0], 0.0)
    tol = max(rtol * bnorm, atol)
    history = []
    it = 0
    while True:
        r = b - dense @ x
        history.append(float(np.linalg.norm(r)))
        if history[-1] <= tol or it >= maxiter or not np.isfinite(history[-1]) \
                or history[-1] > 1e8 * history[0]:
            break
        if method == "jacobi":
            x = x + r / d
        else:
            for i in range(n):
                x[i] += omega * (b[i] - dense[i] @ x) / d[i]
        it += 1
        if callback is not None:
            callback(x)
    return _result(method, x, history[-1] <= tol, it, history, tol)
