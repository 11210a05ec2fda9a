from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

_Vec = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Mat = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Out = tuple[int, int, float, npt.NDArray[np.float64]]
_Monitor = Callable[[int, float], Any] | None

CONVERGED: int
MAXITER: int
BREAKDOWN_CURVATURE: int
DIVERGED: int
BREAKDOWN_RHO: int
BREAKDOWN_OMEGA: int
PRECONDITIONER_INDEFINITE: int
BREAKDOWN_SINGULAR: int
BREAKDOWN_ALPHA: int
TEAM_MIN_N: int
DIVERGENCE_FACTOR: float

class Problem:
    n: int
    n_threads: int
    def __init__(self, n: int, n_threads: int = ...) -> None: ...
    def set_operator(self, kind: str, dense: Any = ..., indptr: Any = ..., indices: Any = ...,
                     data: Any = ..., blocks: Any = ..., fn: Any = ...) -> None: ...
    def set_preconditioner(self, kind: str, diag: Any = ..., omega: float = ...,
                           mat_kind: str | None = ..., dense: Any = ..., indptr: Any = ...,
                           indices: Any = ..., data: Any = ..., blocks: Any = ...,
                           fn: Any = ...) -> None: ...
    def apply_operator(self, x: _Vec, y: _Vec) -> None: ...
    def apply_preconditioner(self, r: _Vec, z: _Vec) -> float: ...

def cg(P: Problem, b: _Vec, x: _Vec, work: _Mat, x0_zero: bool, tol: float, maxiter: int,
       monitor: _Monitor = ...) -> _Out: ...
def stationary(P: Problem, method: int, diag: _Vec, omega: float, b: _Vec, x: _Vec,
               work: _Mat, tol: float, maxiter: int, monitor: _Monitor = ...) -> _Out: ...
def minres(P: Problem, b: _Vec, x: _Vec, work: _Mat, tol: float, maxiter: int,
           monitor: _Monitor = ...) -> _Out: ...
def gmres(P: Problem, b: _Vec, x: _Vec, work: _Mat, restart: int, tol: float, maxiter: int,
          monitor: _Monitor = ...) -> _Out: ...
def bicgstab(P: Problem, b: _Vec, x: _Vec, work: _Mat, tol: float, maxiter: int,
             monitor: _Monitor = ...) -> _Out: ...
def ic0_factor(indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int64],
               data: _Vec) -> int: ...
