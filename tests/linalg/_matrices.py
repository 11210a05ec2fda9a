"""LAPACK's test matrix types (TESTING/LIN, dlatms-style) and residual ratios.

Residual ratios are computed in float64 whatever the factors' dtype (so they measure the
factorization's error, not the test's), divided by the factor dtype's epsilon; LAPACK's
pass threshold for linear equations and QR is 30.
"""

import numpy as np

THRESHOLD = 30.0
SIZES = (0, 1, 2, 3, 5, 10, 50)
KINDS = ("cond2", "cond_sqrt", "cond_big", "diagonal", "upper", "lower", "small", "large")


def eps(dtype):
    return float(np.finfo(dtype).eps)


def _orthogonal(n, rng):
    if n == 0:
        return np.zeros((0, 0))
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diagonal(r))


def _spectrum(k, cond):
    if k <= 1:
        return np.ones(k)
    return cond ** (-np.arange(k) / (k - 1))


def matrix(kind, m, n, dtype, rng, spd=False):
    """A test matrix of LAPACK type ``kind``, m x n (spd=True: symmetric positive
    definite with the same spectrum, m == n)."""
    e = eps(dtype)
    tiny = float(np.finfo(dtype).tiny)
    k = min(m, n)
    if kind in ("cond2", "cond_sqrt", "cond_big", "small", "large"):
        cond = {"cond2": 2.0, "cond_sqrt": np.sqrt(0.1 / e), "cond_big": 0.1 / e}.get(kind, 2.0)
        d = _spectrum(k, cond)
        u = _orthogonal(m, rng)[:, :k]
        v = _orthogonal(n, rng)[:, :k] if not spd else u
        a = (u * d) @ v.T
        if spd:
            a = (a + a.T) / 2
        if kind == "small":
            a *= 0.25 * tiny / e
        elif kind == "large":
            a *= 1.0 / (0.25 * tiny / e) / max(k, 1)
    elif kind == "diagonal":
        a = np.zeros((m, n))
        d = rng.uniform(0.5, 2.0, k) * (1 if spd else rng.choice([-1.0, 1.0], k))
        a[np.arange(k), np.arange(k)] = d
    elif kind in ("upper", "lower"):
        a = rng.uniform(-1, 1, (m, n))
        a = np.triu(a) if kind == "upper" else np.tril(a)
        a[np.arange(k), np.arange(k)] = rng.uniform(1.0, 2.0, k) * rng.choice([-1.0, 1.0], k)
        if spd:
            a = a @ a.T + np.eye(m)
    else:
        raise ValueError(kind)
    return a.astype(dtype)


def norm1(a):
    a = np.asarray(a, dtype=np.float64)
    return float(np.abs(a).sum(axis=0).max()) if a.size else 0.0


def _ratio(num, den, e):
    if num == 0:
        return 0.0
    return num / den / e


def lu_ratio(a, p, l, u):
    """||P A - L U|| / (n ||A|| eps), with A = p @ l @ u given p as a matrix."""
    m, n = a.shape
    a64 = np.asarray(a, np.float64)
    r = np.asarray(p, np.float64).T @ a64 - np.asarray(l, np.float64) @ np.asarray(u, np.float64)
    return _ratio(norm1(r), max(m, n, 1) * max(norm1(a64), 1e-300), eps(a.dtype))


def solve_ratio(a, x, b):
    """max over columns of ||b - A x|| / (||A|| ||x|| eps)."""
    a64, x64, b64 = (np.asarray(t, np.float64) for t in (a, x, b))
    if x64.ndim == 1:
        x64, b64 = x64[:, None], b64[:, None]
    worst = 0.0
    an = norm1(a64)
    for j in range(x64.shape[1]):
        res = norm1((b64[:, j] - a64 @ x64[:, j])[:, None])
        xn = norm1(x64[:, j][:, None])
        if res:
            worst = max(worst, res / an / xn / eps(a.dtype))
    return worst


def inverse_ratio(a, ainv):
    n = a.shape[0]
    a64, i64 = np.asarray(a, np.float64), np.asarray(ainv, np.float64)
    r = np.eye(n) - i64 @ a64
    return _ratio(norm1(r), n * norm1(a64) * norm1(i64), eps(a.dtype))


def cholesky_ratio(a, l):
    n = a.shape[0]
    l64 = np.asarray(l, np.float64)
    a64 = np.asarray(a, np.float64)
    return _ratio(norm1(l64 @ l64.T - a64), max(n, 1) * norm1(a64), eps(a.dtype))


def qr_ratios(a, q, r):
    """(||R - Q^T A|| / (max(1,m) ||A|| eps), ||I - Q^T Q|| / (max(1,m) eps))."""
    m = a.shape[0]
    a64, q64, r64 = (np.asarray(t, np.float64) for t in (a, q, r))
    e = eps(a.dtype)
    fact = _ratio(norm1(r64 - q64.T @ a64), max(1, m) * norm1(a64), e) if a.size else 0.0
    orth = norm1(np.eye(q64.shape[1]) - q64.T @ q64) / (max(1, m) * e)
    return fact, orth


# ---------------------------------------------------------------------------------------
# Symmetric eigenproblem and SVD (LAPACK's TESTING/EIG: dchkst / dchkbd style).

EIG_THRESHOLD = 60.0
SVD_THRESHOLD = 50.0
SPECTRAL_KINDS = (
    "zero", "identity",
    "evenly", "geometric", "clustered",
    "evenly_big", "geometric_big", "clustered_big",
    "evenly_small", "geometric_small", "clustered_small",
    "random", "banded",
)
SVD_KINDS = SPECTRAL_KINDS + ("rank_deficient",)


def _spectral_values(kind, k, dtype):
    """Values between 1 and eps: evenly spaced, geometric, or clustered (one at 1, the
    rest at eps), and the scale factor of the kind (sqrt(overflow) or sqrt(underflow))."""
    e = eps(dtype)
    base, _, scale = kind.partition("_")
    i = np.arange(k)
    if k <= 1:
        v = np.ones(k)
    elif base == "evenly":
        v = 1 - i / (k - 1) * (1 - e)
    elif base == "geometric":
        v = e ** (i / (k - 1))
    else:
        v = np.where(i == 0, 1.0, e)
    factor = {"": 1.0, "big": 0.25 * np.sqrt(float(np.finfo(dtype).max)),
              "small": 4 * np.sqrt(float(np.finfo(dtype).tiny))}[scale]
    return v, factor


def symmetric_matrix(kind, n, dtype, rng):
    """A symmetric test matrix of kind ``kind`` (SPECTRAL_KINDS)."""
    if kind == "zero":
        a = np.zeros((n, n))
    elif kind == "identity":
        a = np.eye(n)
    elif kind == "random":
        g = rng.standard_normal((n, n))
        a = (g + g.T) / 2
    elif kind == "banded":
        g = rng.standard_normal((n, n))
        a = np.triu(np.tril(g + g.T, 2), -2) / 2
    else:
        v, factor = _spectral_values(kind, n, dtype)
        v = v * rng.choice([-1.0, 1.0], n)
        q = _orthogonal(n, rng)
        a = (q * v) @ q.T
        a = (a + a.T) / 2 * factor
    return a.astype(dtype)


def general_matrix(kind, m, n, dtype, rng):
    """An m x n test matrix of kind ``kind`` (SVD_KINDS)."""
    k = min(m, n)
    if kind == "zero":
        a = np.zeros((m, n))
    elif kind == "identity":
        a = np.eye(m, n)
    elif kind == "random":
        a = rng.standard_normal((m, n))
    elif kind == "banded":
        a = np.triu(np.tril(rng.standard_normal((m, n)), 2), -1)
    elif kind == "rank_deficient":
        r = k // 2
        a = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    else:
        v, factor = _spectral_values(kind, k, dtype)
        u = _orthogonal(m, rng)[:, :k]
        w = _orthogonal(n, rng)[:, :k]
        a = (u * v) @ w.T * factor
    return a.astype(dtype)


def _ratio_or_abs(num, den, e):
    """num / den / e, or (when the matrix is zero) num measured in units of e."""
    if num == 0:
        return 0.0
    return num / (den if den > 0 else 1.0) / e


def eigh_ratios(a, w, z):
    """(||A - Z D Z^T|| / (||A|| n eps), ||I - Z^T Z|| / (n eps))."""
    n = a.shape[0]
    e = eps(a.dtype)
    a64, w64, z64 = (np.asarray(t, np.float64) for t in (a, w, z))
    # Compare with the triangle eigh reads (lower), mirrored.
    sym = np.tril(a64) + np.tril(a64, -1).T
    fact = _ratio_or_abs(norm1(sym - (z64 * w64) @ z64.T), max(n, 1) * norm1(sym), e)
    orth = norm1(np.eye(z64.shape[1]) - z64.T @ z64) / (max(n, 1) * e)
    return fact, orth


def values_ratio(w1, w2, dtype):
    """max |w1 - w2| / (len * eps * max |w|)."""
    w1, w2 = np.asarray(w1, np.float64), np.asarray(w2, np.float64)
    if w1.size == 0:
        return 0.0
    den = max(w1.size, 1) * eps(dtype) * max(np.abs(w1).max(), np.abs(w2).max())
    diff = np.abs(w1 - w2).max()
    return 0.0 if diff == 0 else diff / (den if den > 0 else 1.0)


def svd_ratios(a, u, s, vt):
    """(||A - U S V^T|| / (||A|| max(m,n) eps), ||I - U^T U|| / (m eps),
    ||I - V^T V|| / (n eps))."""
    m, n = a.shape
    k = s.shape[0]
    e = eps(a.dtype)
    a64, u64, s64, v64 = (np.asarray(t, np.float64) for t in (a, u, s, vt))
    rec = (u64[:, :k] * s64) @ v64[:k]
    fact = _ratio_or_abs(norm1(a64 - rec), max(m, n, 1) * norm1(a64), e)
    orth_u = norm1(np.eye(u64.shape[1]) - u64.T @ u64) / (max(m, 1) * e)
    orth_v = norm1(np.eye(v64.shape[0]) - v64 @ v64.T) / (max(n, 1) * e)
    return fact, orth_u, orth_v
