"""Level-2 BLAS: gemv, ger, matvec, outer against _ref twins and NumPy."""

import numpy as np
import pytest

import lamina
from lamina._kernels import _blas2, _runtime

from ..conftest import layouts, tol

SHAPES = [(0, 0), (0, 3), (3, 0), (1, 1), (2, 3), (7, 5), (33, 65), (300, 257), (512, 300)]


@pytest.mark.parametrize("m,n", SHAPES)
def test_gemv_layouts(isa, dtype, rng, m, n):
    a = rng.standard_normal((m, n)).astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(m).astype(dtype)
    ref = y.copy()
    _blas2.gemv_ref(1.5, a, x, 0.5, ref)
    for name, view in layouts(a).items():
        got = lamina.blas.gemv(1.5, view, x, 0.5, y)
        assert got.dtype == dtype
        bound = tol(dtype, n, 4) * (1.5 * np.abs(a) @ np.abs(x) + 0.5 * np.abs(y) + 1)
        assert np.all(np.abs(got - ref) <= bound), name
        np.testing.assert_allclose(got, 1.5 * (a @ x) + 0.5 * y,
                                   rtol=tol(dtype, n, 16), atol=tol(dtype, n, 16) * 10)


@pytest.mark.parametrize("m,n", SHAPES)
def test_gemv_trans(dtype, rng, m, n):
    a = rng.standard_normal((m, n)).astype(dtype)
    x = rng.standard_normal(m).astype(dtype)
    for name, view in layouts(a).items():
        got = lamina.blas.gemv(1.0, view, x, trans=True)
        np.testing.assert_allclose(got, a.T @ x, rtol=tol(dtype, m, 16),
                                   atol=tol(dtype, m, 16) * 10, err_msg=name)


def test_gemv_beta_zero_ignores_nan_in_y():
    a, x = np.eye(3), np.ones(3)
    y = np.full(3, np.nan)
    np.testing.assert_array_equal(lamina.blas.gemv(1.0, a, x, 0.0, y), np.ones(3))


def test_gemv_nan_in_a_propagates():
    a = np.eye(3)
    a[1, 2] = np.nan
    got = lamina.blas.gemv(1.0, a, np.ones(3))
    assert np.isnan(got[1]) and np.isfinite(got[0]) and np.isfinite(got[2])


def test_gemv_out_may_be_y_and_inputs_untouched(rng):
    a = rng.standard_normal((40, 30))
    x = rng.standard_normal(30)
    y = rng.standard_normal(40)
    a0, x0, expected = a.copy(), x.copy(), 2 * a @ x + 3 * y
    got = lamina.blas.gemv(2.0, a, x, 3.0, y, out=y)
    assert got is y
    np.testing.assert_allclose(y, expected, rtol=1e-13)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("m,n", SHAPES)
def test_ger_and_outer(isa, dtype, rng, m, n):
    a = rng.standard_normal((m, n)).astype(dtype)
    x = rng.standard_normal(m).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    ref = a.copy()
    _blas2.ger_ref(0.5, x, y, ref, True)
    for name, view in layouts(a).items():
        before = view.copy()
        got = lamina.blas.ger(0.5, x, y, view)
        np.testing.assert_array_equal(view, before)         # not modified without out=
        np.testing.assert_allclose(got, ref, rtol=tol(dtype, 4), atol=tol(dtype, 4), err_msg=name)
    inplace = np.asfortranarray(a)
    assert lamina.blas.ger(0.5, x, y, inplace, out=inplace) is inplace
    np.testing.assert_allclose(inplace, ref, rtol=tol(dtype, 4), atol=tol(dtype, 4))
    np.testing.assert_allclose(lamina.outer(x, y), np.outer(x, y), rtol=tol(dtype))


def test_outer_flattens_like_numpy(rng):
    x, y = rng.standard_normal((2, 3)), rng.standard_normal(4)
    np.testing.assert_allclose(lamina.outer(x, y), np.outer(x, y))


@pytest.mark.parametrize("a_shape,x_shape", [
    ((4, 5), (5,)), ((3, 4, 5), (5,)), ((4, 5), (2, 5)), ((2, 1, 4, 5), (3, 5)), ((0, 4, 5), (5,)),
])
def test_matvec_broadcasting(rng, a_shape, x_shape):
    a = rng.standard_normal(a_shape)
    x = rng.standard_normal(x_shape)
    np.testing.assert_allclose(lamina.matvec(a, x), np.matvec(a, x), rtol=1e-13, atol=1e-13)


def test_level2_bad_input():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        lamina.matvec(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="broadcast"):
        lamina.matvec(np.ones((2, 2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="y is required"):
        lamina.blas.gemv(1.0, np.ones((2, 2)), np.ones(2), 1.0)
    with pytest.raises(ValueError, match="len"):
        lamina.blas.ger(1.0, np.ones(2), np.ones(3), np.ones((3, 2)))
    with pytest.raises(TypeError, match="complex"):
        lamina.matvec(np.ones((2, 2), complex), np.ones(2))
    with pytest.raises(ValueError, match="n_threads"):
        lamina.matvec(np.ones((2, 2)), np.ones(2), n_threads=0)


def test_gemv_identical_for_any_thread_count(rng):
    a = rng.standard_normal((700, 600))
    x = rng.standard_normal(600)
    r1 = lamina.matvec(a, x, n_threads=1)
    r2 = lamina.matvec(a, x, n_threads=2)
    np.testing.assert_array_equal(r1, r2)


@pytest.mark.skipif(not _runtime.openmp_enabled(), reason="serial build")
def test_gemv_threshold_is_serial_for_small(rng):
    lamina.matvec(rng.standard_normal((10, 10)), rng.standard_normal(10), n_threads=2)
    assert _runtime.last_team_size() == 1
