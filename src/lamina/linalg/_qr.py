"""Householder QR: qr (reduced, complete, r, raw; optional column pivoting) and
qr_multiply."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _lapack
from lamina._registry import dispatchable
from lamina._validation import as_float_array, result_dtype
from lamina.linalg._common import matrices, prepare, work_copy

__all__ = ["qr", "qr_multiply"]

_MODES = {"reduced": "reduced", "economic": "reduced", "complete": "complete",
          "full": "complete", "r": "r", "raw": "raw"}


def _geqrf(mat, overwrite, threads, pivoting=False):
    """(factor in a Fortran array, tau, jpvt or None)."""
    f = work_copy(mat, overwrite, threads=threads)
    m, n = f.shape
    tau = np.zeros(min(m, n), dtype=f.dtype)
    if pivoting:
        jpvt = np.zeros(n, dtype=np.intp)
        _lapack.geqp2(f, jpvt, tau)
        return f, tau, jpvt
    _lapack.geqrf(f, tau, threads)
    return f, tau, None


def _form_q(f, tau, ncol, threads):
    """The first ncol columns of Q from geqrf's factor."""
    m = f.shape[0]
    k = tau.shape[0]
    q = np.zeros((m, ncol), dtype=f.dtype, order="F")
    q[:, :k] = f[:, :k]
    _lapack.orgqr(q, tau, k, threads)
    return q


@dispatchable("qr")
def qr(a, mode="reduced", pivoting=False, overwrite_a=False, check_finite=True, *,
       n_threads=None):
    """QR decomposition ``a = Q R`` (``a P = Q R`` with pivoting) by Householder
    reflections.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
    mode : {"reduced", "complete", "r", "raw"}
        NumPy's names ("economic" and "full", SciPy's, are accepted too).
        "reduced": Q (M, K), R (K, N) with K = min(M, N); "complete": Q (M, M),
        R (M, N); "r": R only; "raw": ``(h, tau)``, LAPACK's compact form (R on and above
        the diagonal of ``h`` (M, N), the Householder vectors below it).
    pivoting : bool
        Column pivoting (rank revealing, ``|R[i, i]|`` non-increasing); the permutation
        ``p`` (column indices, ``a[:, p] = Q R``) is returned last.  2-D input only.
    overwrite_a, check_finite : bool
    n_threads : int, optional

    Notes
    -----
    Blocked Householder QR with the compact WY representation (T formed; the block
    reflector applied with GEMMs); Q is formed the same way.  ``Q^T Q = I`` to O(eps)
    whatever the condition of ``a``.  Column pivoting uses the level-2 algorithm.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[3.0, 1.0], [4.0, 2.0]])
    >>> q, r = lamina.linalg.qr(a)
    >>> bool(np.allclose(q @ r, a)), bool(np.allclose(q.T @ q, np.eye(2)))
    (True, True)
    """
    try:
        mode_ = _MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"mode must be one of {sorted(_MODES)}, got {mode!r}") from None
    a = prepare(a, "a", check_finite=check_finite)
    if pivoting and a.ndim != 2:
        raise ValueError("pivoting is supported for 2-D input only")
    threads = resolve_threads(n_threads)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    qcols = m if mode_ == "complete" else k
    rrows = m if mode_ == "complete" else k
    hs = np.empty(batch + (m, n), dtype=a.dtype)
    taus = np.empty(batch + (k,), dtype=a.dtype)
    qs = np.empty(batch + (m, qcols), dtype=a.dtype) if mode_ in ("reduced", "complete") else None
    rs = np.empty(batch + (rrows, n), dtype=a.dtype)
    jpvt = None
    for idx, mat in matrices(a):
        f, tau, jpvt = _geqrf(mat, overwrite_a and a.ndim == 2, threads, pivoting)
        if mode_ == "raw":
            hs[idx] = f
            taus[idx] = tau
            continue
        rs[idx] = np.triu(f[:rrows] if rrows <= m else f)
        if qs is not None:
            qs[idx] = _form_q(f, tau, qcols, threads)
    extra = (jpvt,) if pivoting else ()
    if mode_ == "raw":
        if a.ndim == 2:
            hs = np.asfortranarray(hs)
        return (hs, taus) + extra
    if mode_ == "r":
        return (rs,) + extra if pivoting else rs
    return (qs, rs) + extra


@dispatchable("qr_multiply")
def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False,
                overwrite_c=False, *, n_threads=None):
    """Multiply by Q of the QR decomposition of ``a`` without forming Q, like
    :func:`scipy.linalg.qr_multiply`.

    Parameters
    ----------
    a : array_like, shape (M, N)
    c : array_like
        "left": shape (K,) / (K, P) for ``Q_reduced @ c`` or (M,) / (M, P) for
        ``Q_complete @ c``; "right": shape (M,) / (P, M) for ``c @ Q``, whose result is
        cut to the K columns of the reduced Q (K = min(M, N)).
    mode : {"left", "right"}
    pivoting : bool
        Column-pivoted QR (the permutation is returned last).
    conjugate : bool
        Ignored for real data (accepted for SciPy compatibility).
    overwrite_a, overwrite_c : bool

    Returns
    -------
    cq : ndarray
        ``Q @ c`` or ``c @ Q``.
    r : ndarray, shape (K, N)
    p : ndarray, only with ``pivoting``

    Notes
    -----
    Applies the blocked reflectors (Q, or Q^T for the right-hand product) directly:
    O(M K P) flops and no M x M matrix.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> a = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 1.0]])
    >>> cq, r = lamina.linalg.qr_multiply(a, np.eye(3), mode="right")
    >>> q, _ = lamina.linalg.qr(a)
    >>> bool(np.allclose(cq, q))
    True
    """
    if mode not in ("left", "right"):
        raise ValueError(f"mode must be 'left' or 'right', got {mode!r}")
    a = prepare(a, "a")
    if a.ndim != 2:
        raise ValueError(f"a must be 2-dimensional, got shape {a.shape}")
    c = as_float_array(c, "c", ndim=(1, 2), check_finite=True)
    threads = resolve_threads(n_threads)
    dtype = result_dtype(a, c)
    m, n = a.shape
    k = min(m, n)
    f, tau, jpvt = _geqrf(a.astype(dtype, copy=False), overwrite_a, threads, pivoting)
    r = np.triu(f[:k])
    vector = c.ndim == 1
    if mode == "left":
        c2 = c[:, None] if vector else c
        if c2.shape[0] not in (k, m):
            raise ValueError(f"c has shape {c.shape}: mode 'left' needs {k} or {m} rows "
                             f"for a of shape {a.shape}")
        if c2.shape[0] == m:
            work = work_copy(c2, overwrite_c, dtype)
        else:
            work = np.zeros((m, c2.shape[1]), dtype=dtype, order="F")
            work[:k] = c2
        if m and k:
            _lapack.ormqr(False, f[:, :k].copy(order="F"), tau, work, threads)
        out = work[:, 0] if vector else work
    else:
        c2 = c[None, :] if vector else c
        if c2.shape[1] != m:
            raise ValueError(f"c has shape {c.shape}: mode 'right' needs {m} columns for a "
                             f"of shape {a.shape}")
        # c Q = (Q^T c^T)^T
        work = np.array(c2.T, dtype=dtype, order="F", copy=True)
        if m and k:
            _lapack.ormqr(True, f[:, :k].copy(order="F"), tau, work, threads)
        out = work[:k].T
        out = out[0] if vector else out
    return (out, r, jpvt) if pivoting else (out, r)
