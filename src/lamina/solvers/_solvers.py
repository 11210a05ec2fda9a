"""The public solvers: validation, set-up, and the result object around the nogil loops."""

import dataclasses
import warnings

import numpy as np

from lamina._config import resolve_threads
from lamina._errors import ConvergenceWarning, LinAlgError
from lamina._kernels import _blas1, _iterative
from lamina._registry import dispatchable
from lamina._validation import as_float_array, assert_finite, check_scalar, result_dtype
from lamina.solvers._operators import as_operator
from lamina.solvers.preconditioners import Preconditioner

__all__ = ["SolveResult", "bicgstab", "cg", "gauss_seidel", "gmres", "jacobi", "minres",
           "sor"]


@dataclasses.dataclass(frozen=True, repr=False)
class SolveResult:
    """What an iterative solver returns.

    Attributes
    ----------
    x : ndarray
        The last iterate (the solution when ``converged``).
    converged : bool
        ``||b - A x|| <= max(rtol * ||b||, atol)`` was reached (per column for CG with
        several right-hand sides: then a bool array).
    iterations : int
        Iterations done (Arnoldi steps for GMRES; an int array for several columns).
    residual_norm : float
        ``||r||`` at the end (the recurrence's value for CG and BiCGSTAB; the true
        residual for Jacobi, Gauss-Seidel, SOR, GMRES and MINRES).
    residual_history : ndarray
        ``||r||`` at the start and after every iteration (a (iterations + 1, k) array,
        NaN-padded, for several right-hand sides).
    reason : str
        Why the solver stopped, in words.
    """

    x: np.ndarray
    converged: bool
    iterations: int
    residual_norm: float
    residual_history: np.ndarray
    reason: str

    def __repr__(self):
        return (f"SolveResult(converged={self.converged}, iterations={self.iterations}, "
                f"residual_norm={self.residual_norm!r}, reason={self.reason!r})")


def _reason(method, status, it, res, tol, maxiter):
    S = _iterative
    if status == S.CONVERGED:
        return f"converged: ||r|| = {res:.3g} <= tol = {tol:.3g} after {it} iterations"
    if status == S.MAXITER:
        unit = "restart cycles" if method == "gmres" else "iterations"
        return (f"maxiter reached: {maxiter} {unit} done, ||r|| = {res:.3g} > "
                f"tol = {tol:.3g}")
    if status == S.BREAKDOWN_CURVATURE:
        return (f"breakdown at iteration {it + 1}: p^T A p <= 0, so A is not symmetric "
                "positive definite (CG needs SPD A; use minres for symmetric indefinite A)")
    if status == S.DIVERGED:
        return (f"diverged at iteration {it}: ||r|| = {res:.3g} is non-finite or grew "
                f"{_iterative.DIVERGENCE_FACTOR:.0e}-fold"
                + (" (the iteration matrix has spectral radius >= 1; A is not, e.g., "
                   "diagonally dominant)" if method in ("jacobi", "gauss_seidel", "sor")
                   else ""))
    if status == S.BREAKDOWN_RHO:
        return f"breakdown at iteration {it + 1}: rhat^T r == 0 (BiCGSTAB rho breakdown)"
    if status == S.BREAKDOWN_ALPHA:
        return f"breakdown at iteration {it + 1}: rhat^T A p == 0 (BiCGSTAB alpha breakdown)"
    if status == S.BREAKDOWN_OMEGA:
        return (f"breakdown at iteration {it + 1}: omega == 0 (BiCGSTAB stagnation: "
                "t^T s == 0)")
    if status == S.PRECONDITIONER_INDEFINITE:
        return (f"breakdown at iteration {it + 1}: r^T M r <= 0, the preconditioner is "
                "not positive definite")
    if status == S.BREAKDOWN_SINGULAR:
        return f"breakdown after {it} steps: A is singular on the Krylov space"
    return f"stopped with status {status}"  # pragma: no cover


class _Monitor:
    """Per-iteration Python hook: the user's callback and/or a tqdm bar."""

    def __init__(self, method, x, callback, progress, total, bnorm):
        self.x = x
        self.callback = callback
        self.bar = None
        self.scale = 1.0 / bnorm if bnorm > 0 else 1.0
        if progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("progress=True needs tqdm: pip install tqdm (or "
                                  "pip install 'lamina[progress]')") from None
            self.bar = tqdm(total=total, desc=method, unit="it", leave=False)

    def __call__(self, it, res):
        if self.bar is not None:
            self.bar.update(it - self.bar.n)
            self.bar.set_postfix_str(f"rel. residual {res * self.scale:.2e}", refresh=False)
        if self.callback is not None:
            self.callback(self.x)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _check_tol(rtol, atol, maxiter):
    rtol = check_scalar(rtol, "rtol")
    atol = check_scalar(atol, "atol")
    if not rtol >= 0:
        raise ValueError(f"rtol must be >= 0, got {rtol}")
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0, got {atol}")
    if maxiter is not None:
        if isinstance(maxiter, bool) or not isinstance(maxiter, int | np.integer):
            raise TypeError(f"maxiter must be an int or None, got {type(maxiter).__name__}")
        if maxiter < 0:
            raise ValueError(f"maxiter must be >= 0, got {maxiter}")
        maxiter = int(maxiter)
    return rtol, atol, maxiter


def _setup(method, A, b, x0, M, n_threads, *, allow_2d=False, need_matrix=False):
    op = as_operator(A, "A")
    n = op.shape[0]
    b = as_float_array(b, "b", ndim=(1, 2) if allow_2d else 1)
    assert_finite(b, "b")
    if b.shape[0] != n:
        raise ValueError(f"b has shape {b.shape} but A has shape {op.shape}: b must have "
                         f"{n} rows")
    arrays = [b] if op.dtype is None else [b, np.empty(0, dtype=op.dtype)]
    if x0 is not None:
        x0 = as_float_array(x0, "x0", ndim=b.ndim)
        if x0.shape != b.shape:
            raise ValueError(f"x0 has shape {x0.shape}, expected {b.shape} (b's shape)")
        assert_finite(x0, "x0")
        arrays.append(x0)
    dtype = result_dtype(*arrays)
    if need_matrix and op.kind == "python":
        raise TypeError(f"{method} needs the matrix entries (a NumPy array or a sparse "
                        "matrix), not a matrix-free operator")
    threads = resolve_threads(n_threads)
    problem = _iterative.Problem(n, threads)
    op = op.cast(dtype)
    # Gauss-Seidel/SOR sweep the CSR rows themselves; every other method only multiplies.
    kind, args = op.configure_args(dtype, sell=method not in ("gauss_seidel", "sor"),
                                   n_threads=threads)
    problem.set_operator(kind, **args)
    if M is not None:
        if isinstance(M, Preconditioner):
            if M.shape != op.shape:
                raise ValueError(f"M has shape {M.shape}, A has shape {op.shape}")
            M._configure(problem, dtype)
        else:
            mop = as_operator(M, "M")
            if mop.shape != op.shape:
                raise ValueError(f"M has shape {mop.shape}, A has shape {op.shape}")
            kind, args = mop.cast(dtype).configure_args(dtype, sell=True, n_threads=threads)
            problem.set_preconditioner("operator", mat_kind=kind, **args)
    b = np.ascontiguousarray(b, dtype=dtype)
    x = np.zeros(b.shape, dtype=dtype) if x0 is None else np.array(x0, dtype=dtype)
    return op, problem, b, x, dtype


def _nrm2(v):
    """Euclidean norm of any array with lamina's overflow-free nrm2 kernel."""
    return float(_blas1.nrm2(np.ascontiguousarray(v).reshape(-1))) if v.size else 0.0


def _finish(method, x, status, it, res, hist, tol, maxiter):
    reason = _reason(method, status, it, res, tol, maxiter)
    converged = status == _iterative.CONVERGED
    if not converged:
        warnings.warn(f"{method} did not converge: {reason}", ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(x, converged, int(it), float(res), hist, reason)


def _zero_rhs(method, b):
    return SolveResult(np.zeros_like(b), True, 0, 0.0, np.zeros(1),
                       "converged: b is zero, so x = 0 is exact")


def _run(method, A, b, x0, rtol, atol, maxiter, M, callback, progress, n_threads,
         default_maxiter, core, work_rows, need_matrix=False, allow_2d=False):
    rtol, atol, maxiter = _check_tol(rtol, atol, maxiter)
    op, problem, b, x, dtype = _setup(method, A, b, x0, M, n_threads, allow_2d=allow_2d,
                                      need_matrix=need_matrix)
    n = op.shape[0]
    if maxiter is None:
        maxiter = default_maxiter(n)
    if b.ndim == 2:
        return _run_columns(method, problem, b, x, x0 is None, rtol, atol, maxiter,
                            callback, progress, core, work_rows, dtype)
    bnorm = _nrm2(b)
    if bnorm == 0:
        return _zero_rhs(method, b)
    tol = max(rtol * bnorm, atol)
    work = np.empty((work_rows(n), n), dtype=dtype)
    monitor = None
    if callback is not None or progress:
        monitor = _Monitor(method, x, callback, progress, maxiter, bnorm)
    try:
        status, it, res, hist = core(problem, b, x, work, x0 is None, tol, maxiter, monitor)
    finally:
        if monitor is not None:
            monitor.close()
    return _finish(method, x, status, it, res, hist, tol, maxiter)


def _run_columns(method, problem, b, x, x0_zero, rtol, atol, maxiter, callback, progress,
                 core, work_rows, dtype):
    n, k = b.shape
    work = np.empty((work_rows(n), n), dtype=dtype)
    bcols = np.ascontiguousarray(b.T)
    xcols = np.ascontiguousarray(x.T)
    conv = np.zeros(k, dtype=bool)
    its = np.zeros(k, dtype=np.int64)
    res = np.zeros(k)
    hists, reasons = [], []
    for j in range(k):
        bnorm = _nrm2(bcols[j])
        if bnorm == 0:
            xcols[j] = 0
            conv[j] = True
            hists.append(np.zeros(1))
            reasons.append("b is zero")
            continue
        tol = max(rtol * bnorm, atol)
        monitor = None
        if callback is not None or progress:
            monitor = _Monitor(f"{method}[{j}]", xcols[j], callback, progress, maxiter, bnorm)
        try:
            status, it, r, hist = core(problem, bcols[j], xcols[j], work, x0_zero, tol,
                                       maxiter, monitor)
        finally:
            if monitor is not None:
                monitor.close()
        conv[j] = status == _iterative.CONVERGED
        its[j], res[j] = it, r
        hists.append(hist)
        reasons.append(_reason(method, status, it, r, tol, maxiter))
    history = np.full((max(h.shape[0] for h in hists), k), np.nan)
    for j, h in enumerate(hists):
        history[: h.shape[0], j] = h
    if conv.all():
        reason = f"converged: all {k} systems"
    else:
        bad = [f"column {j}: {reasons[j]}" for j in np.flatnonzero(~conv)]
        reason = "not converged: " + "; ".join(bad)
        warnings.warn(f"{method} did not converge: {reason}", ConvergenceWarning,
                      stacklevel=3)
    return SolveResult(np.ascontiguousarray(xcols.T), conv, its, res, history, reason)


def _cg_core(problem, b, x, work, x0_zero, tol, maxiter, monitor):
    return _iterative.cg(problem, b, x, work, x0_zero, tol, maxiter, monitor)


def _minres_core(problem, b, x, work, x0_zero, tol, maxiter, monitor):
    return _iterative.minres(problem, b, x, work, tol, maxiter, monitor)


def _bicgstab_core(problem, b, x, work, x0_zero, tol, maxiter, monitor):
    return _iterative.bicgstab(problem, b, x, work, tol, maxiter, monitor)


def _ten_n(n):
    return 10 * max(n, 1)


_COMMON = """
    Parameters
    ----------
    A : array_like, sparse matrix or operator, shape (n, n)
        A NumPy array; a SciPy sparse matrix or array in any format (converted to CSR once,
        keeping its index dtype); or any object with ``shape`` and ``matvec`` (SciPy's
        ``LinearOperator``, :func:`lamina.solvers.aslinearoperator`).  Dense and sparse
        operators run the whole iteration in compiled code without Python; matrix-free ones
        cost one Python call per product.
    b : array_like, shape (n,){b_2d}
    x0 : array_like, optional
        Initial guess (default zeros); never modified.
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol * ||b||, atol)`` (SciPy's test).
    maxiter : int, optional
        {maxiter}  ``0`` returns ``x0`` (checked, not iterated).{M}
    callback : callable, optional
        ``callback(xk)`` after each iteration with the current iterate (do not modify it).
    progress : bool
        Show a tqdm progress bar with the relative residual (needs ``tqdm``).
    n_threads : int, optional
        Threads for the kernels (default :func:`lamina.get_num_threads`); results do not
        depend on it.

    Returns
    -------
    SolveResult
        ``x``, ``converged``, ``iterations``, ``residual_norm``, ``residual_history``,
        ``reason``.  A :class:`lamina.ConvergenceWarning` is emitted when not converged.

    Raises
    ------
    ValueError
        Non-square A, mismatched shapes, NaN or Inf in A, b or x0.
"""

_M_DOC = """
    M : preconditioner, optional
        Approximates ``A^-1``: one of :mod:`lamina.solvers.preconditioners` (applied in
        compiled code), or a matrix / operator applied as ``M @ r``."""


@dispatchable("cg")
def cg(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
       progress=False, n_threads=None):
    """Conjugate gradients for symmetric positive definite A.

    One SpMV per iteration with ``p^T A p`` fused into it, the x and r updates fused with
    ``r^T r``; four work vectors.  A ``b`` of shape (n, k) solves k independent systems
    (then ``converged``, ``iterations`` and ``residual_norm`` are arrays).  When ``p^T A p
    <= 0`` (A not positive definite) CG stops with ``converged=False`` and says so.
    {COMMON}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> res = lamina.solvers.cg(A, [1.0, 2.0], rtol=1e-10)
    >>> res.x
    array([0.09090909, 0.63636364])
    >>> res.converged, res.iterations
    (True, 2)
    """
    return _run("cg", A, b, x0, rtol, atol, maxiter, M, callback, progress, n_threads,
                _ten_n, _cg_core, lambda n: 4, allow_2d=True)


@dispatchable("minres")
def minres(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
           progress=False, n_threads=None):
    """MINRES for symmetric (possibly indefinite) A (Paige & Saunders).

    Minimizes ``||b - A x||`` over the Krylov space with short recurrences; ``M`` must be
    symmetric positive definite.  Convergence is confirmed on the true residual.
    {COMMON}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[1.0, 2.0], [2.0, -1.0]])
    >>> res = lamina.solvers.minres(A, [3.0, 1.0], rtol=1e-10)
    >>> np.round(res.x, 6)
    array([1., 1.])
    """
    return _run("minres", A, b, x0, rtol, atol, maxiter, M, callback, progress, n_threads,
                _ten_n, _minres_core, lambda n: 8)


@dispatchable("gmres")
def gmres(A, b, x0=None, *, rtol=1e-5, atol=0.0, restart=None, maxiter=None, M=None,
          callback=None, progress=False, n_threads=None):
    """Restarted GMRES(restart) for general (non-symmetric) A.

    Arnoldi with modified Gram-Schmidt and Givens rotations; right preconditioning, so
    the residual it minimizes is the true one.  ``restart`` (default ``min(20, n)``) is
    the Krylov dimension per cycle; ``maxiter`` counts restart cycles as in SciPy, while
    ``iterations`` counts Arnoldi steps.  The callback gets the iterate as of the last
    restart (GMRES forms x only then).
    {COMMON}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[3.0, 1.0], [-1.0, 2.0]])
    >>> res = lamina.solvers.gmres(A, [4.0, 1.0], rtol=1e-10)
    >>> np.round(res.x, 6)
    array([1., 1.])
    """
    if restart is None:
        restart = 20
    if isinstance(restart, bool) or not isinstance(restart, int | np.integer) or restart < 1:
        raise ValueError(f"restart must be a positive int, got {restart!r}")

    def core(problem, b, x, work, x0_zero, tol, maxiter, monitor):
        return _iterative.gmres(problem, b, x, work, m, tol, maxiter, monitor)

    def rows(n):
        return m + 3

    n = _square_size(A)
    m = int(max(1, min(restart, n)))
    return _run("gmres", A, b, x0, rtol, atol, maxiter, M, callback, progress, n_threads,
                lambda n: max(1, -(-10 * n // m)), core, rows)


def _square_size(A):
    shape = getattr(A, "shape", None)
    if shape is None:
        shape = np.shape(A)
    return int(shape[0]) if len(shape) else 1


@dispatchable("bicgstab")
def bicgstab(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
             progress=False, n_threads=None):
    """BiCGSTAB (van der Vorst) for general (non-symmetric) A, right preconditioned.

    Two products with A per iteration, the dot products fused into them where possible.
    Breakdowns (``rhat^T r == 0``, ``omega == 0``) stop with a reason.
    {COMMON}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[3.0, 1.0], [-1.0, 2.0]])
    >>> res = lamina.solvers.bicgstab(A, [4.0, 1.0], rtol=1e-10)
    >>> np.round(res.x, 6)
    array([1., 1.])
    """
    return _run("bicgstab", A, b, x0, rtol, atol, maxiter, M, callback, progress,
                n_threads, _ten_n, _bicgstab_core, lambda n: 8)


def _stationary(method, A, b, x0, rtol, atol, maxiter, callback, progress, n_threads,
                omega):
    op = as_operator(A, "A")
    if op.kind == "python":
        raise TypeError(f"{method} needs the matrix entries (a NumPy array or a sparse "
                        "matrix), not a matrix-free operator")
    d = op.dense.diagonal() if op.kind == "dense" else op.csr.diagonal()
    zero = np.flatnonzero(d == 0)
    if zero.size:
        i = int(zero[0])
        raise LinAlgError(f"{method}: zero diagonal entry A[{i}, {i}] in row {i} "
                          "(the method divides by the diagonal)")

    def core(problem, b, x, work, x0_zero, tol, maxiter, monitor):
        diag = np.ascontiguousarray(d, dtype=b.dtype)
        return _iterative.stationary(problem, 0 if method == "jacobi" else 1, diag, omega,
                                     b, x, work, tol, maxiter, monitor)

    return _run(method, op, b, x0, rtol, atol, maxiter, None, callback, progress,
                n_threads, _ten_n, core, lambda n: 2)


_STATIONARY_DOC = """
    Parameters
    ----------
    A : array_like or sparse matrix, shape (n, n)
        A NumPy array or a SciPy sparse matrix/array (converted to CSR once).  The
        diagonal must have no zeros (else :class:`lamina.LinAlgError` naming the row).
    b : array_like, shape (n,)
    x0 : array_like, optional
        Initial guess (default zeros); never modified.
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol * ||b||, atol)``.
    maxiter : int, optional
        Sweeps at most (default 10 n); ``0`` returns ``x0``.
    callback : callable, optional
        ``callback(xk)`` after each sweep.
    progress : bool
        Show a tqdm progress bar (needs ``tqdm``).
    n_threads : int, optional
        Threads for the residual SpMV (and Jacobi's update); results do not depend on it.

    Returns
    -------
    SolveResult
        Stops as diverged (``converged=False``, with a reason) once the residual is
        non-finite or has grown 1e8-fold: the method converges for every x0 only when the
        iteration matrix has spectral radius < 1 (e.g. A strictly diagonally dominant).
"""


@dispatchable("jacobi")
def jacobi(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, callback=None,
           progress=False, n_threads=None):
    """Jacobi iteration ``x <- x + D^-1 (b - A x)``.

    One fused SpMV + residual norm and one scaled update per sweep, threaded.
    {STATIONARY}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> res = lamina.solvers.jacobi(A, [5.0, 4.0], rtol=1e-10)
    >>> np.round(res.x, 6), res.converged
    (array([1., 1.]), True)
    """
    return _stationary("jacobi", A, b, x0, rtol, atol, maxiter, callback, progress,
                       n_threads, 1.0)


@dispatchable("gauss_seidel")
def gauss_seidel(A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, callback=None,
                 progress=False, n_threads=None):
    """Gauss-Seidel iteration (forward sweeps, SOR with ``omega = 1``).

    Each sweep is serial (row i uses the rows before it); the residual is measured with
    one threaded SpMV per sweep.
    {STATIONARY}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> res = lamina.solvers.gauss_seidel(A, [5.0, 4.0], rtol=1e-10)
    >>> np.round(res.x, 6), res.converged
    (array([1., 1.]), True)
    """
    return _stationary("gauss_seidel", A, b, x0, rtol, atol, maxiter, callback, progress,
                       n_threads, 1.0)


@dispatchable("sor")
def sor(A, b, x0=None, *, omega=1.5, rtol=1e-5, atol=0.0, maxiter=None, callback=None,
        progress=False, n_threads=None):
    """Successive over-relaxation: Gauss-Seidel sweeps relaxed by ``omega`` in (0, 2).

    ``omega`` defaults to 1.5; the best value depends on A (for the 2-D Poisson matrix on
    an m x m grid it is ``2 / (1 + sin(pi / (m + 1)))``).
    {STATIONARY}
    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> res = lamina.solvers.sor(A, [5.0, 4.0], omega=1.1, rtol=1e-10)
    >>> np.round(res.x, 6), res.converged
    (array([1., 1.]), True)
    """
    omega = check_scalar(omega, "omega")
    if not 0 < omega < 2:
        raise ValueError(f"omega must be in (0, 2), got {omega}")
    return _stationary("sor", A, b, x0, rtol, atol, maxiter, callback, progress, n_threads,
                       omega)


for _f in (cg, minres, gmres, bicgstab):
    _f.__doc__ = _f.__doc__.replace("{COMMON}", _COMMON.format(
        b_2d=" or (n, k) (k independent systems)" if _f is cg else "",
        maxiter=("Restart cycles at most (default ceil(10 n / restart))."
                 if _f is gmres else "Iterations at most (default 10 n)."),
        M=_M_DOC))
for _f in (jacobi, gauss_seidel, sor):
    _f.__doc__ = _f.__doc__.replace("{STATIONARY}", _STATIONARY_DOC)
del _f
