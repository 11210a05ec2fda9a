"""Spectral decompositions on tensors: eigh, SVD, randomized SVD, pseudo-inverse, rank.

``torch.linalg`` provides the dense kernels (LAPACK's syevd/gesdd on the CPU, cuSOLVER on
CUDA).  The randomized SVD is Halko, Martinsson & Tropp's algorithm 4.4 written on
tensors with lamina's conventions: the Gaussian test matrix is drawn by NumPy exactly as
lamina's core draws it (so a ``random_state`` gives the same sample), power iterations
re-normalized by LU or QR, the small SVD of ``Q^T A`` by ``torch.linalg.svd``.
"""

import numbers

import torch

import lamina
from lamina_torch._common import as_float, check_finite, device_of

_NORMALIZERS = ("auto", "QR", "LU", "none")


def _square(a, name):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be square, got shape {tuple(a.shape)}")


def _normalize(y, how):
    if how == "LU":
        p, low, _ = torch.linalg.lu(y)
        return p @ low
    if how == "QR":
        return torch.linalg.qr(y)[0]
    return y


class SpectralOps:
    def eigh(self, a, lower=True, eigvals_only=False, overwrite_a=False, check_finite=True,
             subset_by_index=None, *, n_threads=None):
        a = as_float(a, "a", device_of(a), min_ndim=2)
        _square(a, "a")
        if check_finite:
            _check(a)
        n = a.shape[-1]
        sel = None
        if subset_by_index is not None:
            lo, hi = (int(i) for i in subset_by_index)
            if not 0 <= lo <= hi < n:
                raise ValueError(f"subset_by_index must satisfy 0 <= first <= last < {n}, "
                                 f"got {subset_by_index!r}")
            sel = slice(lo, hi + 1)
        uplo = "L" if lower else "U"
        if eigvals_only:
            w = torch.linalg.eigvalsh(a, UPLO=uplo)
            return w[..., sel] if sel is not None else w
        w, v = torch.linalg.eigh(a, UPLO=uplo)
        if sel is not None:
            w, v = w[..., sel], v[..., :, sel]
        return w, v

    def eigvalsh(self, a, lower=True, overwrite_a=False, check_finite=True,
                 subset_by_index=None, *, n_threads=None):
        return self.eigh(a, lower=lower, eigvals_only=True, check_finite=check_finite,
                         subset_by_index=subset_by_index)

    def svd(self, a, full_matrices=True, compute_uv=True, overwrite_a=False,
            check_finite=True, method="auto", *, n_threads=None):
        if method not in ("auto", "gesdd-like", "jacobi"):
            raise ValueError(f"method must be 'auto', 'gesdd-like' or 'jacobi', got "
                             f"{method!r}")
        if method == "jacobi":
            from lamina import BackendNotImplemented
            raise BackendNotImplemented("lamina-torch has no one-sided Jacobi SVD (the "
                                        "relative-accuracy method)")
        a = as_float(a, "a", device_of(a), min_ndim=2)
        if check_finite:
            _check(a)
        if not compute_uv:
            return torch.linalg.svdvals(a)
        u, s, vh = torch.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    def svdvals(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = as_float(a, "a", device_of(a), min_ndim=2)
        if check_finite:
            _check(a)
        return torch.linalg.svdvals(a)

    def randomized_svd(self, a, n_components, n_oversamples=10, n_iter="auto",
                       power_iteration_normalizer="auto", random_state=None, flip_sign=True,
                       *, transpose="auto", n_threads=None):
        if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral) \
                or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        if not isinstance(n_oversamples, numbers.Integral) or n_oversamples < 0:
            raise ValueError(f"n_oversamples must be a non-negative integer, got "
                             f"{n_oversamples!r}")
        if power_iteration_normalizer not in _NORMALIZERS:
            raise ValueError(f"power_iteration_normalizer must be one of {_NORMALIZERS}, got "
                             f"{power_iteration_normalizer!r}")
        if n_iter != "auto" and (not isinstance(n_iter, numbers.Integral) or n_iter < 0):
            raise ValueError(f"n_iter must be a non-negative integer or 'auto', got "
                             f"{n_iter!r}")
        a = as_float(a, "a", device_of(a), ndim=2)
        _check(a)
        m, n = a.shape
        if n_components > min(m, n):
            raise ValueError(f"n_components={n_components} must be <= min(M, N) = "
                             f"{min(m, n)} for a of shape {tuple(a.shape)}")
        rng = lamina.check_random_state(random_state)
        if n_iter == "auto":
            n_iter = 7 if n_components < 0.1 * min(m, n) else 4
        if transpose == "auto":
            transpose = m < n
        op = a.mT if transpose else a
        size = min(n_components + n_oversamples, *op.shape)
        how = power_iteration_normalizer
        if how == "auto":
            how = "none" if n_iter <= 2 else "LU"
        # The test matrix is the backend's own (host-drawn, for reproducibility with the
        # core); copying it to the input's device is not a transfer of user data.
        omega = torch.as_tensor(rng.normal(size=(op.shape[1], size)), device=a.device,
                                dtype=a.dtype)
        y = op @ omega
        for _ in range(int(n_iter)):
            y = _normalize(y, how)
            y = _normalize(op.mT @ y, how)
            y = op @ y
        q = torch.linalg.qr(y)[0]
        uhat, s, vt = torch.linalg.svd(q.mT @ op, full_matrices=False)
        u = q @ uhat
        if transpose:
            u, vt = vt.mT, u.mT
        u, s, vt = u[:, :n_components], s[:n_components], vt[:n_components]
        if flip_sign:
            rows = torch.argmax(u.abs(), dim=0)
            signs = torch.sign(u[rows, torch.arange(u.shape[1], device=u.device)])
            signs = torch.where(signs == 0, torch.ones_like(signs), signs)
            u = u * signs
            vt = vt * signs[:, None]
        return u.contiguous(), s, vt.contiguous()

    def pinv(self, a, rtol=None, *, atol=None, return_rank=False, check_finite=True,
             n_threads=None):
        a = as_float(a, "a", device_of(a), min_ndim=2)
        if check_finite:
            _check(a)
        m, n = a.shape[-2:]
        if rtol is None:
            rtol = max(m, n) * torch.finfo(a.dtype).eps if atol is None else 0.0
        atol = 0.0 if atol is None else atol
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else torch.zeros(s.shape[:-1] + (1,), dtype=s.dtype,
                                                          device=s.device)
        keep = s > atol + rtol * smax
        inv_s = torch.where(keep, 1.0 / torch.where(keep, s, torch.ones_like(s)), 0.0)
        b = vh.mT @ (inv_s[..., :, None] * u.mT)
        if not return_rank:
            return b
        rank = keep.sum(dim=-1)
        return b, (int(rank) if rank.ndim == 0 else rank)

    def matrix_rank(self, A, tol=None, hermitian=False, *, rtol=None, n_threads=None):
        a = as_float(A, "A", device_of(A, tol))
        _check(a)
        if a.ndim < 2:
            return int(bool((a != 0).any()))
        m, n = a.shape[-2:]
        if hermitian:
            _square(a, "A")
            s = torch.linalg.eigvalsh(a).abs().sort(dim=-1, descending=True).values
        else:
            s = torch.linalg.svdvals(a)
        if tol is None:
            if rtol is None:
                rtol = max(m, n) * torch.finfo(a.dtype).eps
            smax = s[..., :1] if s.shape[-1] else torch.zeros(s.shape[:-1] + (1,),
                                                              dtype=s.dtype, device=s.device)
            threshold = smax * rtol
        else:
            threshold = torch.as_tensor(tol, dtype=s.dtype, device=s.device)
            threshold = threshold[..., None] if threshold.ndim else threshold
        rank = (s > threshold).sum(dim=-1)
        return int(rank) if rank.ndim == 0 else rank


def _check(a):
    check_finite(a, "a")
