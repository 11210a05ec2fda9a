"""lamina-torch: a lamina backend for ``torch.Tensor`` inputs.

Every lamina operation the backend implements runs with PyTorch on the device the input
tensors live on (CPU or CUDA); results stay on that device and keep the input's float
dtype.  NumPy inputs keep running on lamina's Cython core unless the backend is
prioritized (``lamina.backend_opts(prioritize=["torch"])`` or
``LAMINA_BACKEND_PRIORITY=torch``); then they are moved to the backend's default device
(``LAMINA_TORCH_DEVICE`` if set, else PyTorch's default device) and results come back as
NumPy arrays.  Tensors are never moved between devices by lamina.
"""

__version__ = "0.1.0"
