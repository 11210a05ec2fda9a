"""Conversion, dtype policy and device rules shared by the backend's operations.

lamina's input policy, restated for tensors: float32 stays float32 and float64 stays
float64; float16 and bfloat16 become float32; integer and bool become float64; complex
raises TypeError.  All tensors of one call must live on one device; lamina-torch never
moves a tensor between devices.  Host array-likes (NumPy arrays, lists) mixed into a call
are wrapped as CPU tensors when the call runs on the CPU; on another device they raise
TypeError, because wrapping them would be a silent host-to-device copy.
"""

import os

import numpy as np
import torch

_F32, _F64 = torch.float32, torch.float64


def float_dtype(dtype, name):
    """The float dtype lamina computes in for a tensor of ``dtype`` (or TypeError)."""
    if dtype in (_F32, _F64):
        return dtype
    if dtype.is_complex:
        raise TypeError(f"{name}: complex input ({dtype}) is not supported")
    if dtype.is_floating_point:
        return _F32 if dtype.itemsize < 4 else _F64
    if dtype == torch.bool or not dtype.is_floating_point:
        return _F64
    raise TypeError(f"{name}: unsupported dtype {dtype}")


def device_of(*values):
    """The one device of the tensors among ``values`` (CPU when there are none)."""
    device = None
    for v in values:
        if isinstance(v, tuple | list):
            sub = device_of(*v) if any(isinstance(t, torch.Tensor) for t in v) else None
            v = torch.empty(0, device=sub) if sub is not None else None
        if isinstance(v, torch.Tensor):
            if device is None:
                device = v.device
            elif v.device != device:
                raise ValueError(
                    f"inputs live on different devices ({device} and {v.device}); "
                    "lamina-torch never moves tensors between devices - move them first "
                    "(tensor.to(device))")
    return device if device is not None else torch.device("cpu")


def host_to_tensor(x, name, device):
    """A non-tensor array-like as a tensor on ``device`` (CPU only, see module notes)."""
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name}: complex input is not supported")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}")
    if device.type != "cpu" and arr.ndim > 0:
        raise TypeError(
            f"{name} is a host {type(x).__name__} but the other inputs are tensors on "
            f"{device}; lamina-torch does not copy host data to {device.type} silently - "
            f"pass torch.as_tensor({name}, device=...)")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    if any(s < 0 for s in arr.strides) or not arr.flags.writeable:
        arr = arr.copy()
    return torch.as_tensor(arr, device=device)


def on_device(t, name, device):
    """The tensor ``t`` itself, or a ValueError when it lives elsewhere than ``device``."""
    if t.device != device:
        raise ValueError(f"{name} lives on {t.device} but the call runs on {device}; "
                         "lamina-torch never moves tensors between devices")
    return t


def as_index(x, name, device):
    """Integer data (labels, pivots) as an int64 tensor on ``device``, same device rules."""
    if isinstance(x, torch.Tensor):
        t = on_device(x, name, device)
    else:
        arr = np.asarray(x)
        if device.type != "cpu" and arr.ndim > 0:
            raise TypeError(
                f"{name} is a host {type(x).__name__} but the other inputs are tensors on "
                f"{device}; lamina-torch does not copy host data to {device.type} silently "
                f"- pass torch.as_tensor({name}, device=...)")
        t = torch.as_tensor(arr.copy() if any(st < 0 for st in arr.strides) else arr)
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, got {t.dtype}")
    return t.to(torch.int64)


def as_float(x, name, device, *, ndim=None, min_ndim=None):
    """``x`` as a float32/float64 tensor on ``device`` following the input policy."""
    if x is None:
        raise TypeError(f"{name} must be array-like, got None")
    if isinstance(x, torch.Tensor):
        t = on_device(x, name, device)
    else:
        t = host_to_tensor(x, name, device)
    if t.layout != torch.strided:
        raise TypeError(f"{name} must be a dense tensor, got layout {t.layout}")
    want = float_dtype(t.dtype, name)
    if t.dtype != want:
        t = t.to(want)
    if ndim is not None:
        allowed = ndim if isinstance(ndim, tuple) else (ndim,)
        if t.ndim not in allowed:
            dims = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must be {dims}-dimensional, got shape {tuple(t.shape)}")
    if min_ndim is not None and t.ndim < min_ndim:
        raise ValueError(f"{name} must be at least {min_ndim}-dimensional, got shape "
                         f"{tuple(t.shape)}")
    return t


def common(*tensors):
    """Cast ``tensors`` to their promoted float dtype (float32 with float64 -> float64)."""
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return tuple(t if t.dtype == dtype else t.to(dtype) for t in tensors)


def check_finite(t, name):
    if t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must not contain NaN or Inf")


def check_out(out, like, name="out"):
    """Raise unless ``out`` is a tensor with ``like``'s shape, dtype and device."""
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor for tensor inputs, got "
                        f"{type(out).__name__}")
    if out.device != like.device:
        raise ValueError(f"{name} lives on {out.device}, the result on {like.device}")
    if tuple(out.shape) != tuple(like.shape):
        raise ValueError(f"{name} has shape {tuple(out.shape)}, expected "
                         f"{tuple(like.shape)}")
    if out.dtype != like.dtype:
        raise ValueError(f"{name} has dtype {out.dtype}, expected {like.dtype}")


def write_out(out, value, name="out"):
    """Return ``value``, or copy it into the tensor ``out`` and return ``out``."""
    if out is None:
        return value
    check_out(out, value, name)
    out.copy_(value)
    return out


def default_device():
    """Where NumPy inputs go when the backend is prioritized for them.

    ``LAMINA_TORCH_DEVICE`` (e.g. ``cuda:0``) if set, else PyTorch's own default device
    (``torch.set_default_device``), which is the CPU unless the user changed it.
    """
    raw = os.environ.get("LAMINA_TORCH_DEVICE", "").strip()
    if raw:
        try:
            return torch.device(raw)
        except RuntimeError as exc:
            raise ValueError(f"LAMINA_TORCH_DEVICE={raw!r} is not a torch device: {exc}") \
                from None
    return torch.get_default_device()
