"""Iterative solvers for large (sparse) linear systems ``A x = b``.

Krylov methods :func:`cg` (symmetric positive definite), :func:`minres` (symmetric
indefinite), :func:`gmres` and :func:`bicgstab` (general), and the stationary methods
:func:`jacobi`, :func:`gauss_seidel`, :func:`sor`.  ``A`` may be a NumPy array, a SciPy
sparse matrix or array of any format, or a matrix-free operator (anything with ``shape``
and ``matvec``, or :func:`aslinearoperator`).  With a dense or sparse ``A`` and no
Python callback the whole iteration runs in compiled code without the GIL.
Preconditioners live in :mod:`lamina.solvers.preconditioners`.  Every solver returns a
:class:`SolveResult` and warns with :class:`lamina.ConvergenceWarning` when it stops
short.

Examples
--------
>>> import numpy as np, scipy.sparse as sp, lamina.solvers
>>> A = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(100, 100))
>>> res = lamina.solvers.cg(A, np.ones(100), rtol=1e-8)
>>> res.converged, float(np.linalg.norm(A @ res.x - 1)) < 1e-6
(True, True)
"""

from lamina.solvers import preconditioners
from lamina.solvers._operators import LinearOperator, aslinearoperator
from lamina.solvers._solvers import (
                                     SolveResult,
                                     bicgstab,
                                     cg,
                                     gauss_seidel,
                                     gmres,
                                     jacobi,
                                     minres,
                                     sor,
)

__all__ = [
    "LinearOperator",
    "SolveResult",
    "aslinearoperator",
    "bicgstab",
    "cg",
    "gauss_seidel",
    "gmres",
    "jacobi",
    "minres",
    "preconditioners",
    "sor",
]
