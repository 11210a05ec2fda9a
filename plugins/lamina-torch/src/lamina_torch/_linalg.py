"""Factorizations and direct solvers on tensors, with lamina's (SciPy-style) signatures.

Singular and not-positive-definite inputs raise :class:`lamina.LinAlgError` (a subclass of
``numpy.linalg.LinAlgError``) as the core does; the ``*_ex`` variants of ``torch.linalg``
report the failure without raising, and the check reads one small ``info`` tensor.
``overwrite_*`` flags are accepted and ignored (they permit, never require, overwriting).
"""

import warnings

import torch

from lamina_torch._common import as_float, as_index, check_finite, common, device_of


def _linalg_error(msg):
    from lamina import LinAlgError

    return LinAlgError(msg)


def _square(a, name):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be square, got shape {tuple(a.shape)}")


def _prepare(a, name, check, dev, *, ndim=None, min_ndim=2):
    a = as_float(a, name, dev, ndim=ndim, min_ndim=min_ndim)
    if check:
        check_finite(a, name)
    return a


def _raise_info(info, what):
    """Raise LinAlgError if any ``info`` entry (LAPACK convention) is positive."""
    bad = info > 0
    if bool(bad.any()):
        first = int(info.reshape(-1)[bad.reshape(-1)][0])
        raise _linalg_error(f"{what}: singular matrix (zero pivot or non-positive leading "
                            f"minor at position {first})")


def _rhs(b, n, name="b"):
    if b.ndim == 0 or b.shape[0] != n:
        raise ValueError(f"{name} has shape {tuple(b.shape)}, incompatible with a matrix of "
                         f"order {n}")
    vector = b.ndim == 1
    return (b.unsqueeze(-1) if vector else b), vector


def _trans_flag(trans):
    if trans in (0, "N"):
        return False
    if trans in (1, 2, "T", "C"):
        return True
    raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


class LinalgOps:
    # -- LU ---------------------------------------------------------------------------
    def lu_factor(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = _prepare(a, "a", check_finite, device_of(a), ndim=2)
        lu, piv, info = torch.linalg.lu_factor_ex(a)
        if bool((info > 0).any()):
            from lamina import LinAlgWarning
            warnings.warn(f"lu_factor: exactly singular, U[{int(info) - 1}, {int(info) - 1}] "
                          "is zero", LinAlgWarning, stacklevel=3)
        # torch counts pivots from 1 (LAPACK); lamina, like SciPy, from 0.
        return lu, piv.to(torch.int64) - 1

    def lu_solve(self, lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True, *,
                 n_threads=None):
        try:
            lu, piv = lu_and_piv
        except (TypeError, ValueError):
            raise TypeError("lu_and_piv must be the (lu, piv) pair from lu_factor") from None
        dev = device_of(lu, piv, b)
        lu = as_float(lu, "lu", dev, ndim=2)
        _square(lu, "lu")
        n = lu.shape[0]
        piv = as_index(piv, "piv", dev)
        if piv.shape != (n,) or (n and bool(((piv < 0) | (piv >= n)).any())):
            raise ValueError(f"piv must be {n} integer row indices in [0, {n})")
        transpose = _trans_flag(trans)
        b = _prepare(b, "b", check_finite, dev, min_ndim=1)
        lu, b = common(lu, b)
        b2, vector = _rhs(b, n)
        x = torch.linalg.lu_solve(lu, (piv + 1).to(torch.int32), b2, adjoint=transpose)
        return x[..., 0] if vector else x

    def lu(self, a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False,
           *, n_threads=None):
        a = _prepare(a, "a", check_finite, device_of(a))
        p, low, up = torch.linalg.lu(a)
        if permute_l:
            return p @ low, up
        if p_indices:
            return torch.argmax(p, dim=-1), low, up       # a = (low @ up)[perm]
        return p, low, up

    # -- general solve, inverse, determinants -----------------------------------------
    def solve(self, a, b, lower=False, overwrite_a=False, overwrite_b=False,
              check_finite=True, assume_a="gen", transposed=False, *, n_threads=None):
        if assume_a not in ("gen", "sym", "pos"):
            raise ValueError(f"assume_a must be 'gen', 'sym' or 'pos', got {assume_a!r}")
        dev = device_of(a, b)
        a = _prepare(a, "a", check_finite, dev)
        b = _prepare(b, "b", check_finite, dev, min_ndim=1)
        _square(a, "a")
        a, b = common(a, b)
        n = a.shape[-1]
        if a.ndim == 2:
            b2, vector = _rhs(b, n)
        else:
            vector = b.ndim == a.ndim - 1
            b2 = b.unsqueeze(-1) if vector else b
            if b2.shape[-2] != n:
                raise ValueError(f"b has shape {tuple(b.shape)}, incompatible with a of shape "
                                 f"{tuple(a.shape)}")
        if assume_a == "pos":
            tri = torch.tril(a) if lower else torch.triu(a).mT
            low, info = torch.linalg.cholesky_ex(tri + torch.tril(tri, -1).mT)
            if bool((info > 0).any()):
                raise _linalg_error("solve: a is not positive definite (leading minor "
                                    f"{int(info.reshape(-1).max())})")
            x = torch.cholesky_solve(b2, low)
        else:
            if assume_a == "sym":
                tri = torch.tril(a) if lower else torch.triu(a)
                a = tri + (torch.tril(tri, -1).mT if lower else torch.triu(tri, 1).mT)
            x, info = torch.linalg.solve_ex(a.mT if transposed else a, b2)
            _raise_info(info, "solve")
        return x[..., 0] if vector else x

    def inv(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = _prepare(a, "a", check_finite, device_of(a))
        _square(a, "a")
        result, info = torch.linalg.inv_ex(a)
        _raise_info(info, "inv")
        return result

    def det(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        a = _prepare(a, "a", check_finite, device_of(a))
        _square(a, "a")
        return torch.linalg.det(a)

    def slogdet(self, a, *, n_threads=None):
        a = _prepare(a, "a", True, device_of(a))
        _square(a, "a")
        sign, logabsdet = torch.linalg.slogdet(a)
        return sign, logabsdet

    # -- Cholesky ---------------------------------------------------------------------
    def cholesky(self, a, lower=False, overwrite_a=False, check_finite=True, *,
                 n_threads=None):
        a = _prepare(a, "a", check_finite, device_of(a))
        _square(a, "a")
        # Only the named triangle is read, as in LAPACK's potrf.
        tri = torch.tril(a) if lower else torch.triu(a).mT
        low, info = torch.linalg.cholesky_ex(tri + torch.tril(tri, -1).mT)
        if bool((info > 0).any()):
            raise _linalg_error(f"cholesky: the leading minor of order "
                                f"{int(info.reshape(-1).max())} is not positive definite")
        return low if lower else low.mT.contiguous()

    def cho_factor(self, a, lower=False, overwrite_a=False, check_finite=True, *,
                   n_threads=None):
        return self.cholesky(a, lower=lower, check_finite=check_finite), bool(lower)

    def cho_solve(self, c_and_lower, b, overwrite_b=False, check_finite=True, *,
                  n_threads=None):
        try:
            c, lower = c_and_lower
        except (TypeError, ValueError):
            raise TypeError("c_and_lower must be the (c, lower) pair from cho_factor") \
                from None
        dev = device_of(c, b)
        c = as_float(c, "c", dev, ndim=2)
        _square(c, "c")
        b = _prepare(b, "b", check_finite, dev, min_ndim=1)
        c, b = common(c, b)
        b2, vector = _rhs(b, c.shape[0])
        low = torch.tril(c) if lower else torch.triu(c).mT
        x = torch.cholesky_solve(b2, low)
        return x[..., 0] if vector else x

    def solve_triangular(self, a, b, trans=0, lower=False, unit_diagonal=False,
                         overwrite_b=False, check_finite=True, *, n_threads=None):
        transpose = _trans_flag(trans)
        dev = device_of(a, b)
        a = _prepare(a, "a", check_finite, dev, ndim=2)
        _square(a, "a")
        b = _prepare(b, "b", check_finite, dev, min_ndim=1)
        a, b = common(a, b)
        b2, vector = _rhs(b, a.shape[0])
        if not unit_diagonal and a.numel():
            zero = torch.diagonal(a) == 0
            if bool(zero.any()):
                i = int(torch.nonzero(zero)[0, 0])
                raise _linalg_error(f"solve_triangular: singular matrix, diagonal entry "
                                    f"{i} is zero")
        t = torch.tril(a) if lower else torch.triu(a)
        upper = not lower
        if transpose:
            t, upper = t.mT, lower
        x = torch.linalg.solve_triangular(t, b2, upper=upper,
                                          unitriangular=bool(unit_diagonal))
        return x[..., 0] if vector else x

    # -- QR and least squares ----------------------------------------------------------
    _QR_MODES = {"reduced": "reduced", "economic": "reduced", "complete": "complete",
                 "full": "complete", "r": "r", "raw": "raw"}

    def qr(self, a, mode="reduced", pivoting=False, overwrite_a=False, check_finite=True, *,
           n_threads=None):
        if mode not in self._QR_MODES:
            raise ValueError(f"mode must be one of {sorted(self._QR_MODES)}, got {mode!r}")
        mode = self._QR_MODES[mode]
        if pivoting or mode == "raw":
            from lamina import BackendNotImplemented
            raise BackendNotImplemented("lamina-torch's qr has no column pivoting and no "
                                        "'raw' mode (torch.linalg.qr offers neither)")
        a = _prepare(a, "a", check_finite, device_of(a))
        if mode == "r":
            return torch.linalg.qr(a, mode="r")[1]
        q, r = torch.linalg.qr(a, mode=mode)
        return q, r

    def qr_multiply(self, a, c, mode="right", pivoting=False, conjugate=False,
                    overwrite_a=False, overwrite_c=False, *, n_threads=None):
        if mode not in ("left", "right"):
            raise ValueError(f"mode must be 'left' or 'right', got {mode!r}")
        if pivoting:
            from lamina import BackendNotImplemented
            raise BackendNotImplemented("lamina-torch's qr_multiply has no column pivoting")
        dev = device_of(a, c)
        a, c = common(as_float(a, "a", dev, ndim=2), as_float(c, "c", dev, ndim=(1, 2)))
        m, n = a.shape
        k = min(m, n)
        # Householder factors applied with ormqr: Q is never formed.
        h, tau = torch.geqrf(a)
        r = torch.triu(h[:k])
        vector = c.ndim == 1
        if mode == "right":
            c2 = c.unsqueeze(0) if vector else c
            if c2.shape[1] != m:
                raise ValueError(f"c has shape {tuple(c.shape)}, expected (..., {m})")
            cq = torch.ormqr(h, tau, c2, left=False, transpose=False)[:, :k]
            return (cq[0] if vector else cq), r
        c2 = c.unsqueeze(1) if vector else c
        if c2.shape[0] != k:
            raise ValueError(f"c has shape {tuple(c.shape)}, expected ({k}, ...)")
        full = torch.zeros((m, c2.shape[1]), dtype=c2.dtype, device=dev)
        full[:k] = c2
        qc = torch.ormqr(h, tau, full, left=True, transpose=False)
        return (qc[:, 0] if vector else qc), r

    def lstsq(self, a, b, rcond=None, overwrite_a=False, overwrite_b=False,
              check_finite=True, *, n_threads=None):
        """Minimum-norm least squares through the SVD (the same answer on every device;
        ``torch.linalg.lstsq`` has no rank-revealing driver on CUDA).  The fourth output
        is the singular values, which order and reveal the rank as lamina's ``rdiag``."""
        dev = device_of(a, b)
        a = _prepare(a, "a", check_finite, dev, ndim=2)
        b = _prepare(b, "b", check_finite, dev, ndim=(1, 2), min_ndim=None)
        m, n = a.shape
        if b.shape[0] != m:
            raise ValueError(f"b has shape {tuple(b.shape)}, incompatible with a of shape "
                             f"{tuple(a.shape)}")
        a, b = common(a, b)
        vector = b.ndim == 1
        b2 = b.unsqueeze(1) if vector else b
        if rcond is None or rcond < 0:
            rcond = torch.finfo(a.dtype).eps * max(m, n, 1)
        k = min(m, n)
        if k == 0:
            x = torch.zeros((n, b2.shape[1]), dtype=a.dtype, device=dev)
            res = (b2 * b2).sum(0) if (m > 0 and n == 0) else b2.new_empty(0)
            s, rank = a.new_empty(0), 0
        else:
            u, s, vh = torch.linalg.svd(a, full_matrices=False)
            keep = s > rcond * s[0]
            rank = int(keep.sum())
            inv_s = torch.where(keep, 1.0 / torch.where(keep, s, torch.ones_like(s)),
                                torch.zeros_like(s))
            x = vh.mT @ (inv_s[:, None] * (u.mT @ b2))
            if m > n and rank == n:
                r = b2 - a @ x
                res = (r * r).sum(0)
            else:
                res = b2.new_empty(0)
        if vector:
            x = x[:, 0]
            res = res[0] if res.numel() else res
        return x, res, rank, s

    # -- norms ------------------------------------------------------------------------
    def matrix_norm(self, x, ord="fro", keepdims=False):
        x = as_float(x, "x", device_of(x), min_ndim=2)
        return torch.linalg.matrix_norm(x, ord=ord, keepdim=keepdims)

    def norm(self, x, ord=None, axis=None, keepdims=False):
        x = as_float(x, "x", device_of(x))
        return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)

    def cond(self, x, p=None, *, n_threads=None):
        if not (p is None or (isinstance(p, str) and p in ("fro", "nuc"))
                or (not isinstance(p, str) and p in (1, -1, 2, -2, float("inf"),
                                                     -float("inf")))):
            raise ValueError(f"p must be one of None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc', "
                             f"got {p!r}")
        x = as_float(x, "x", device_of(x), min_ndim=2)
        check_finite(x, "x")
        if p in (None, 2, -2):
            if min(x.shape[-2:]) == 0:
                return torch.zeros(x.shape[:-2], dtype=x.dtype, device=x.device)
            s = torch.linalg.svdvals(x)
            hi, lo = s[..., 0], s[..., -1]
            if p == -2:
                return lo / hi
            return torch.where(lo > 0, hi / torch.where(lo > 0, lo, 1.0),
                               torch.full_like(hi, float("inf")))
        _square(x, "x")
        inv, info = torch.linalg.inv_ex(x)
        r = torch.linalg.matrix_norm(x, ord=p) * torch.linalg.matrix_norm(inv, ord=p)
        return torch.where((info > 0) | ~torch.isfinite(r), torch.full_like(r, float("inf")),
                           r)
