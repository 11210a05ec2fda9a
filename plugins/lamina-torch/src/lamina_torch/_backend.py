"""The backend object lamina loads from the ``lamina.backends`` entry point."""

import dataclasses

import numpy as np
import torch

from lamina_torch import __version__
from lamina_torch._blas import BlasOps
from lamina_torch._common import default_device
from lamina_torch._linalg import LinalgOps
from lamina_torch._losses import LossOps
from lamina_torch._solvers import SolverOps
from lamina_torch._spectral import SpectralOps


class TorchBackend(BlasOps, LinalgOps, SpectralOps, LossOps, SolverOps):
    """lamina's operations on ``torch.Tensor`` inputs, on the tensors' own device.

    Examples
    --------
    >>> import torch, lamina
    >>> a = torch.ones(2, 3, dtype=torch.float64)
    >>> lamina.matmul(a, a.T)
    tensor([[3., 3.],
            [3., 3.]], dtype=torch.float64)
    """

    name = "torch"
    __version__ = __version__

    def asarray(self, x, *, device=None):
        """``x`` as a tensor on ``device`` (default: :func:`default_device`).

        A tensor already there is returned as is; moving a tensor happens only when a
        ``device`` is asked for explicitly.
        """
        if isinstance(x, torch.Tensor):
            return x if device is None or x.device == torch.device(device) else x.to(device)
        if dataclasses.is_dataclass(x) and not isinstance(x, type) and hasattr(x, "x"):
            return dataclasses.replace(x, x=self.asarray(x.x, device=device))  # SolveResult
        arr = np.asarray(x)
        if arr.dtype.kind == "c":
            raise TypeError("complex input is not supported")
        if any(s < 0 for s in arr.strides) or not arr.flags.writeable:
            arr = arr.copy()
        return torch.as_tensor(arr, device=default_device() if device is None else device)

    def to_numpy(self, x):
        """Tensors to NumPy (copying device memory to the host); other values unchanged."""
        if isinstance(x, torch.Tensor):
            t = x.detach()
            if t.layout != torch.strided:
                t = t.to_dense()
            if t.dtype == torch.bfloat16:
                t = t.to(torch.float32)
            return t.cpu().numpy()
        if dataclasses.is_dataclass(x) and not isinstance(x, type) and hasattr(x, "x"):
            return dataclasses.replace(x, x=self.to_numpy(x.x))      # a SolveResult
        return x

    def can_run(self, op, args, kwargs):
        if op in ("qr", "qr_multiply") and kwargs.get("pivoting"):
            return "column-pivoted QR is not available in PyTorch"
        if op == "qr" and kwargs.get("mode") == "raw":
            return "qr mode='raw' (LAPACK's Householder form) is not offered"
        if op == "svd" and kwargs.get("method") == "jacobi":
            return "the one-sided Jacobi SVD (method='jacobi') is not offered"
        if op == "cg":
            b = args[1] if len(args) > 1 else kwargs.get("b")
            if getattr(b, "ndim", 1) != 1:
                return "cg with several right-hand sides (b of shape (n, k)) is not offered"
        return True
