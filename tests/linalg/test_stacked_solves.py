"""Stacked (..., N, N) factors and triangular matrices in the solve routines, with
numpy.linalg's broadcasting of the right-hand side."""

import numpy as np
import pytest

import lamina
from lamina import linalg

sl = pytest.importorskip("scipy.linalg")


def _spd(rng, batch, n, dtype):
    x = rng.standard_normal(batch + (n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


def _tol(dtype):
    return 1e-3 if dtype == np.float32 else 1e-10


@pytest.mark.parametrize("b_shape", [(5,), (2, 3, 5, 4), (3, 5, 1), (5, 2)])
def test_lu_solve_stack(dtype, rng, b_shape):
    a = (rng.standard_normal((2, 3, 5, 5)) + 5 * np.eye(5)).astype(dtype)
    lu, piv = linalg.lu_factor(a)
    assert lu.shape == a.shape and piv.shape == (2, 3, 5)
    b = rng.standard_normal(b_shape).astype(dtype)
    x = linalg.lu_solve((lu, piv), b)
    if len(b_shape) == 1:
        ref = np.linalg.solve(a.astype(np.float64), b.astype(np.float64)[..., None])[..., 0]
    else:
        ref = np.linalg.solve(a.astype(np.float64), b.astype(np.float64))
    assert x.shape == ref.shape and x.dtype == dtype
    np.testing.assert_allclose(x, ref, rtol=_tol(dtype), atol=_tol(dtype))
    xt = linalg.lu_solve((lu, piv), b, trans=1)
    at = np.swapaxes(a, -1, -2).astype(np.float64)
    reft = (np.linalg.solve(at, b.astype(np.float64)[..., None])[..., 0] if len(b_shape) == 1
            else np.linalg.solve(at, b.astype(np.float64)))
    np.testing.assert_allclose(xt, reft, rtol=_tol(dtype), atol=_tol(dtype))


def test_lu_solve_stack_checks_pivots_and_shapes(rng):
    a = rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    lu, piv = linalg.lu_factor(a)
    with pytest.raises(ValueError, match="piv"):
        linalg.lu_solve((lu, piv[0]), np.ones(4))
    with pytest.raises(ValueError, match="incompatible"):
        linalg.lu_solve((lu, piv), np.ones((3, 5, 1)))
    one = linalg.lu_solve((lu[1], piv[1]), np.arange(4.0))
    np.testing.assert_allclose(linalg.lu_solve((lu, piv), np.arange(4.0))[1], one)


@pytest.mark.parametrize("lower", [False, True])
def test_cho_factor_and_solve_stack(dtype, rng, lower):
    a = _spd(rng, (2, 3), 6, dtype)
    c, low = linalg.cho_factor(a, lower=lower)
    assert c.shape == a.shape and low is lower
    np.testing.assert_allclose(c[1, 2], linalg.cho_factor(a[1, 2], lower=lower)[0])
    b = rng.standard_normal((3, 6, 2)).astype(dtype)      # broadcasts over the first axis
    x = linalg.cho_solve((c, low), b)
    ref = np.linalg.solve(a.astype(np.float64), b.astype(np.float64))
    assert x.shape == (2, 3, 6, 2) and x.dtype == dtype
    np.testing.assert_allclose(x, ref, rtol=_tol(dtype), atol=_tol(dtype))
    v = linalg.cho_solve((c, low), np.ones(6, dtype))
    np.testing.assert_allclose(v, np.linalg.solve(a.astype(np.float64), np.ones((6, 1)))[..., 0],
                               rtol=_tol(dtype), atol=_tol(dtype))


def test_cho_factor_stack_names_the_failing_matrix(rng):
    a = _spd(rng, (3,), 4, np.float64)
    a[2, 3, 3] = -100.0
    with pytest.raises(lamina.LinAlgError, match=r"matrix \(2,\).*leading minor of order 4"):
        linalg.cho_factor(a)


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, 1])
def test_solve_triangular_stack(dtype, rng, lower, trans):
    a = rng.standard_normal((4, 5, 5)) + 5 * np.eye(5)
    a = (np.tril(a) if lower else np.triu(a)).astype(dtype)
    b = rng.standard_normal((4, 5, 3)).astype(dtype)
    x = linalg.solve_triangular(a, b, trans=trans, lower=lower)
    for i in range(4):
        ref = sl.solve_triangular(a[i].astype(np.float64), b[i].astype(np.float64),
                                  trans=trans, lower=lower)
        np.testing.assert_allclose(x[i], ref, rtol=_tol(dtype), atol=_tol(dtype))
    v = linalg.solve_triangular(a, b[0, :, 0], lower=lower)
    assert v.shape == (4, 5)


def test_solve_triangular_stack_names_the_singular_matrix():
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0])])
    with pytest.raises(lamina.LinAlgError, match=r"matrix \(1,\).*a\[1, 1\] is zero"):
        linalg.solve_triangular(a, np.ones(3))
