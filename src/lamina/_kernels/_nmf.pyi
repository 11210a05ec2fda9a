import numpy as np
import numpy.typing as npt

_Mat = npt.NDArray[np.float32] | npt.NDArray[np.float64]

def fused_pass(X: _Mat, W: _Mat, Hp: _Mat, G: _Mat, perm: npt.NDArray[np.intp],
               partial: _Mat, scratch: _Mat, row_violation: npt.NDArray[np.float64],
               cd: bool, l1: float, l2: float, gamma: float, eps: float, accumulate: bool,
               n_threads: int) -> float: ...
def update_rows(F: _Mat, G: _Mat, partial: _Mat, perm: npt.NDArray[np.intp],
                row_violation: npt.NDArray[np.float64], cd: bool, l1: float, l2: float,
                gamma: float, eps: float, n_threads: int) -> float: ...
def gram(F: _Mat, out: _Mat) -> None: ...
def xh_product(X: _Mat, Hp: _Mat, out: _Mat, n_threads: int) -> None: ...
def column_pass(X: _Mat, W: _Mat, Hp: _Mat, G: _Mat, perm: npt.NDArray[np.intp],
                partial: _Mat, scratch: _Mat, row_violation: npt.NDArray[np.float64],
                cd: bool, l1: float, l2: float, gamma: float, eps: float,
                n_threads: int) -> float: ...
