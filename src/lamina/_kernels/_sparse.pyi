import numpy as np
import numpy.typing as npt

_Vec = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Mat = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Idx = npt.NDArray[np.int32] | npt.NDArray[np.int64]

BLOCK_WORK: int

def csr_row_blocks(indptr: _Idx) -> npt.NDArray[np.intp]: ...
def csr_matvec(indptr: _Idx, indices: _Idx, data: _Vec, blocks: npt.NDArray[np.intp],
               x: _Vec, y: _Vec, n_threads: int = ...) -> None: ...
def csr_matmat(indptr: _Idx, indices: _Idx, data: _Vec, blocks: npt.NDArray[np.intp],
               X: _Mat, Y: _Mat, n_threads: int = ...) -> None: ...
def csr_matvec_ref(indptr: _Idx, indices: _Idx, data: _Vec, x: _Vec, y: _Vec) -> None: ...
def update_xr(alpha: float, x: _Vec, p: _Vec, r: _Vec, q: _Vec,
              n_threads: int = ...) -> float: ...
