"""LU, solve, inv, det, slogdet: LAPACK residual ratios on LAPACK's matrix types, layouts,
stacks, singular input and the input policy."""

import warnings

import numpy as np
import pytest

import lamina
from lamina import linalg as la
from tests.conftest import layouts
from tests.linalg._matrices import (
    KINDS,
    SIZES,
    THRESHOLD,
    inverse_ratio,
    lu_ratio,
    matrix,
    solve_ratio,
)

WORST = {}


def _record(name, value):
    WORST[name] = max(WORST.get(name, 0.0), value)
    assert np.isfinite(value)
    assert value < THRESHOLD, f"{name} residual ratio {value:.3g}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_lu_solve_inverse_ratios(kind, n, dtype, rng):
    a = matrix(kind, n, n, dtype, rng)
    p, l, u = la.lu(a)
    assert p.dtype == l.dtype == u.dtype == dtype
    assert np.all(np.isfinite(l)) and np.all(np.isfinite(u))
    _record("lu", lu_ratio(a, p, l, u))
    if n == 0:
        return
    b = (a @ rng.standard_normal((n, 2)).astype(dtype)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.LinAlgWarning)
        x = la.solve(a, b)
    assert np.all(np.isfinite(x))
    _record("solve", solve_ratio(a, x, b))
    _record("inv", inverse_ratio(a, la.inv(a)))


@pytest.mark.parametrize("m, n", [(5, 3), (3, 5), (50, 10), (10, 50), (1, 4), (4, 1)])
def test_rectangular_lu(m, n, dtype, rng):
    a = matrix("cond2", m, n, dtype, rng)
    p, l, u = la.lu(a)
    assert l.shape == (m, min(m, n)) and u.shape == (min(m, n), n)
    _record("lu", lu_ratio(a, p, l, u))
    pl, u2 = la.lu(a, permute_l=True)
    np.testing.assert_allclose(pl, p @ l)
    idx, l3, _ = la.lu(a, p_indices=True)
    np.testing.assert_allclose((l3 @ u)[idx], p @ l @ u)


def test_large_ratios(rng):
    n = 257
    for dtype in (np.float32, np.float64):
        a = matrix("cond_sqrt", n, n, dtype, rng)
        p, l, u = la.lu(a)
        _record("lu", lu_ratio(a, p, l, u))
        b = rng.standard_normal((n, 3)).astype(dtype)
        _record("solve", solve_ratio(a, la.solve(a, b), b))
        _record("inv", inverse_ratio(a, la.inv(a)))


def test_lu_factor_matches_scipy(dtype, rng):
    sl = pytest.importorskip("scipy.linalg")
    a = matrix("cond2", 70, 70, dtype, rng)
    lu, piv = la.lu_factor(a)
    lu_s, piv_s = sl.lu_factor(a)
    np.testing.assert_array_equal(piv, piv_s)
    np.testing.assert_allclose(lu, lu_s, atol=200 * np.finfo(dtype).eps)
    b = rng.standard_normal(70).astype(dtype)
    for trans in (0, 1):
        x = la.lu_solve((lu, piv), b, trans=trans)
        op = a.T if trans else a
        assert solve_ratio(op, x, b) < THRESHOLD


def test_layouts(dtype, rng):
    a = matrix("cond2", 33, 33, dtype, rng)
    b = rng.standard_normal((33, 4)).astype(dtype)
    ref = la.solve(a, b)
    for name, view in layouts(a).items():
        original = view.copy()
        for bname, bview in layouts(b).items():
            x = la.solve(view, bview)
            np.testing.assert_allclose(x, ref, rtol=0, atol=1e3 * np.finfo(dtype).eps,
                                       err_msg=f"a {name}, b {bname}")
            np.testing.assert_array_equal(bview, b)
        np.testing.assert_array_equal(view, original)   # never modified
        assert abs(la.det(view) - la.det(a)) <= 1e3 * np.finfo(dtype).eps * abs(la.det(a))


def test_overwrite(rng):
    a = np.asfortranarray(matrix("cond2", 20, 20, np.float64, rng))
    keep = a.copy()
    lu, piv = la.lu_factor(a, overwrite_a=True)
    assert lu is a
    np.testing.assert_allclose(la.lu_solve((lu, piv), keep @ np.ones(20)), np.ones(20))
    b = np.asfortranarray(rng.standard_normal((20, 2)))
    x = la.solve(keep, b, overwrite_b=True)
    assert x is b


@pytest.mark.parametrize("where", ["first", "last", "trailing"])
def test_singular(where, dtype, rng):
    n = 10
    a = matrix("cond2", n, n, dtype, rng)
    zero = {"first": 0, "last": n - 1, "trailing": n // 2}[where]
    if where == "trailing":
        a[:, n // 2:] = 0
    else:
        a[:, zero] = 0
    with pytest.warns(lamina.LinAlgWarning, match=rf"U\[{zero}, {zero}\]"):
        lu, piv = la.lu_factor(a)
    assert lu.shape == (n, n)
    with pytest.raises(lamina.LinAlgError, match=rf"pivot {zero + 1}"):
        la.solve(a, np.ones(n, dtype))
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        la.inv(a)
    assert la.det(a) == 0
    sign, logdet = la.slogdet(a)
    assert sign == 0 and logdet == -np.inf


def test_det_slogdet(dtype, rng):
    a = rng.standard_normal((4, 6, 6)).astype(dtype)
    np.testing.assert_allclose(la.det(a), np.linalg.det(a), rtol=1e-4)
    s, ld = la.slogdet(a)
    s2, ld2 = np.linalg.slogdet(a)
    np.testing.assert_array_equal(s, s2)
    np.testing.assert_allclose(ld, ld2, rtol=1e-4)
    big = np.eye(300) * 10.0
    sign, logdet = la.slogdet(big)
    assert sign == 1 and np.isclose(logdet, 300 * np.log(10.0))
    assert la.det(big) == np.inf or la.det(big) > 1e299
    assert la.det(np.zeros((0, 0))) == 1


def test_stacked(dtype, rng):
    a = rng.standard_normal((2, 3, 5, 5)).astype(dtype) + 5 * np.eye(5, dtype=dtype)
    b = rng.standard_normal((2, 3, 5, 2)).astype(dtype)
    tol = 1e3 * np.finfo(dtype).eps
    np.testing.assert_allclose(la.solve(a, b), np.linalg.solve(a, b), atol=tol)
    np.testing.assert_allclose(la.solve(a, b[0, 0, :, 0]),
                               np.linalg.solve(a, b[0, 0, :, 0]), atol=tol)
    np.testing.assert_allclose(la.inv(a), np.linalg.inv(a), atol=tol)
    lu, piv = la.lu_factor(a)
    assert lu.shape == a.shape and piv.shape == (2, 3, 5)
    p, l, u = la.lu(a)
    np.testing.assert_allclose(p @ l @ u, a, atol=tol * 10)


def test_assume_a(rng):
    a = matrix("cond2", 30, 30, np.float64, rng, spd=True)
    b = rng.standard_normal(30)
    for assume in ("gen", "sym", "pos"):
        assert solve_ratio(a, la.solve(a, b, assume_a=assume), b) < THRESHOLD
    assert solve_ratio(a.T, la.solve(a, b, transposed=True), b) < THRESHOLD
    with pytest.raises(ValueError, match="assume_a"):
        la.solve(a, b, assume_a="banded")
    with pytest.raises(np.linalg.LinAlgError, match="leading minor"):
        la.solve(-a, b, assume_a="pos")


def test_ill_conditioned_warns():
    a = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-17 * 4]])
    a[1, 1] = np.nextafter(1.0, 2.0)
    with pytest.warns(lamina.LinAlgWarning, match="ill-conditioned"):
        la.solve(a, [1.0, 2.0])


def test_input_policy():
    with pytest.raises(ValueError, match="NaN or Inf"):
        la.solve([[1.0, np.nan], [0.0, 1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="NaN or Inf"):
        la.lu_factor([[np.inf]])
    la.lu_factor([[np.inf]], check_finite=False)
    with pytest.raises(ValueError, match="square"):
        la.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="incompatible"):
        la.solve(np.eye(3), np.ones(2))
    with pytest.raises(TypeError, match="complex"):
        la.inv(np.eye(2) * 1j)
    with pytest.raises(ValueError, match="at least 2"):
        la.inv(np.ones(3))
    assert la.solve(np.eye(2, dtype=np.float32), np.ones(2, np.float32)).dtype == np.float32
    assert la.solve(np.eye(2, dtype=np.int64), [1, 2]).dtype == np.float64
    assert la.inv(np.zeros((0, 0))).shape == (0, 0)
    assert la.solve(np.zeros((0, 0)), np.zeros(0)).shape == (0,)


def test_cond_and_norms(dtype, rng):
    a = matrix("cond_sqrt", 40, 40, dtype, rng)
    rtol = 1e-2 if dtype == np.float32 else 1e-7
    for p in (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"):
        np.testing.assert_allclose(la.cond(a, p), np.linalg.cond(a.astype(np.float64), p),
                                   rtol=rtol)
    z = a.copy()
    z[:, 3] = 0
    assert la.cond(z, 1) == np.inf
    assert la.cond(np.zeros((3, 3))) == np.inf
    assert la.cond(z) > 0.01 / np.finfo(dtype).eps
    for ord in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        np.testing.assert_allclose(la.matrix_norm(a, ord=ord),
                                   np.linalg.matrix_norm(a, ord=ord), rtol=1e-5)
    np.testing.assert_allclose(la.norm(a), np.linalg.norm(a), rtol=1e-5)
    np.testing.assert_allclose(la.norm(a[0]), np.linalg.norm(a[0]), rtol=1e-5)
    s = rng.standard_normal((3, 4, 5)).astype(dtype)
    np.testing.assert_allclose(la.norm(s, axis=(0, 2)), np.linalg.norm(s, axis=(0, 2)),
                               rtol=1e-5)
    np.testing.assert_allclose(la.matrix_norm(s, ord=1), np.linalg.matrix_norm(s, ord=1),
                               rtol=1e-5)
    assert la.matrix_norm(np.array([[1e300, 1e300]])) == pytest.approx(np.sqrt(2) * 1e300)
    for ord in (2, -2, "nuc"):
        np.testing.assert_allclose(la.matrix_norm(s, ord=ord), np.linalg.matrix_norm(s, ord=ord),
                                   rtol=1e-5)
        np.testing.assert_allclose(la.norm(s[0], ord), np.linalg.norm(s[0], ord), rtol=1e-5)
    np.testing.assert_allclose(la.cond(s), np.linalg.cond(s), rtol=1e-4)
    assert np.isnan(la.matrix_norm(np.array([[1.0, np.nan]]), ord=2))
    with pytest.raises(ValueError, match="matrix norm order"):
        la.matrix_norm(a, ord=3)
    with pytest.raises(ValueError, match="p must be"):
        la.cond(a, 3)
    with pytest.raises(ValueError, match="square"):
        la.cond(np.ones((3, 2)), 1)
