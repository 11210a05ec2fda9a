import numpy as np
import numpy.typing as npt

_Vec = npt.NDArray[np.float32] | npt.NDArray[np.float64]
_Mat = npt.NDArray[np.float32] | npt.NDArray[np.float64]

LOSS_IDS: dict[str, int]
LOSS_CHUNK: int
SOFTMAX_STREAM_BYTES: int

def elementwise(loss: int, p: _Vec, t: _Vec, a: float, pcol: _Vec | None, w: _Vec | None,
                k: int, gscale: float, g: _Vec, accumulate: bool, lout: _Vec | None,
                n_threads: int) -> float: ...
def softmax_cross_entropy(x: _Mat, labels: npt.NDArray[np.int64] | None, q: _Mat | None,
                          cw: _Vec | None, sw: _Vec | None, smoothing: float,
                          has_ignore: bool, ignore_index: int, gscale: float, g: _Mat,
                          row_loss: npt.NDArray[np.float64], n_threads: int) -> None: ...
def hinge_multiclass(x: _Mat, labels: npt.NDArray[np.int64], sw: _Vec | None, gscale: float,
                     g: _Mat, row_loss: npt.NDArray[np.float64], n_threads: int) -> None: ...
def set_stream_bytes(nbytes: int) -> int: ...
def softmax_cross_entropy_ref(x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]
                              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def log_cosh_ref(d: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def vmath(fn: str, x: _Vec, out: _Vec) -> None: ...  # exp, log, expm1, log1p, exp_nonpos
