"""Level-1 BLAS: kernels against their _ref twins and NumPy, every ISA, strides, edges."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lamina
from lamina._kernels import _blas1

from ..conftest import tol

SIZES = [0, 1, 2, 3, 7, 31, 32, 33, 64, 65, 1000, 40_000, 70_001]


def _vec(rng, n, dtype):
    return rng.standard_normal(n).astype(dtype)


def _views(x):
    big = np.zeros(3 * x.shape[0] + 1, dtype=x.dtype)
    big[1::3] = x
    rev = x[::-1].copy()[::-1]
    return {"contig": x, "stride3": big[1::3], "reversed": rev}


@pytest.mark.parametrize("n", SIZES)
def test_dot_matches_ref_and_numpy(isa, dtype, rng, n):
    x, y = _vec(rng, n, dtype), _vec(rng, n, dtype)
    for name, xv in _views(x).items():
        got = lamina.dot(xv, y)
        assert got.dtype == dtype, name
        scale = float(np.abs(x.astype(np.float64)) @ np.abs(y.astype(np.float64)))
        exact = float(x.astype(np.float64) @ y.astype(np.float64))
        assert abs(float(got) - exact) <= tol(dtype, n) * max(scale, 1e-300) + 1e-300, name
        assert abs(float(got) - float(_blas1.dot_ref(xv, y))) <= 2 * tol(dtype, n) * max(scale, 1)
        assert abs(float(got) - float(np.dot(x, y))) <= 2 * tol(dtype, n) * max(scale, 1)


@pytest.mark.parametrize("n", SIZES)
def test_axpy_matches_ref(isa, dtype, rng, n):
    x, y = _vec(rng, n, dtype), _vec(rng, n, dtype)
    y_before = y.copy()
    got = lamina.axpy(1.75, x, y)
    np.testing.assert_array_equal(y, y_before)            # input untouched
    expected = y.copy()
    _blas1.axpy_ref(1.75, x, expected)
    np.testing.assert_allclose(got, expected, rtol=tol(dtype), atol=tol(dtype))
    assert got.dtype == dtype


def test_axpy_out_in_place_and_aliasing(rng):
    x, y = rng.standard_normal(100), rng.standard_normal(100)
    expected = 2 * x + y
    res = lamina.axpy(2.0, x, y, out=y)
    assert res is y
    np.testing.assert_allclose(y, expected)
    # out overlapping x in another way: never a silently wrong answer
    z = rng.standard_normal(101)
    x2, y2 = z[:100], rng.standard_normal(100)
    expected = 3 * x2 + y2
    out = z[1:]
    lamina.axpy(3.0, x2, y2, out=out)
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize("n", [0, 1, 5, 100, 70_001])
def test_scal(isa, dtype, rng, n):
    x = _vec(rng, n, dtype)
    got = lamina.blas.scal(-0.5, x)
    ref = x.copy()
    _blas1.scal_ref(-0.5, ref)
    np.testing.assert_array_equal(got, ref)
    same = x.copy()
    assert lamina.blas.scal(2.0, same, out=same) is same
    np.testing.assert_array_equal(same, 2 * x)


@pytest.mark.parametrize("n", SIZES[1:])
def test_nrm2_asum_iamax(isa, dtype, rng, n):
    x = _vec(rng, n, dtype)
    for name, xv in _views(x).items():
        nrm = lamina.blas.nrm2(xv)
        assert nrm.dtype == dtype
        np.testing.assert_allclose(nrm, _blas1.nrm2_ref(xv), rtol=tol(dtype, 4), err_msg=name)
        np.testing.assert_allclose(nrm, np.linalg.norm(x.astype(np.float64)),
                                   rtol=tol(dtype, 4), err_msg=name)
        np.testing.assert_allclose(lamina.blas.asum(xv), np.abs(x.astype(np.float64)).sum(),
                                   rtol=tol(dtype, n))
        assert lamina.blas.iamax(xv) == _blas1.iamax_ref(xv) == int(np.argmax(np.abs(x)))


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e150, 1e300, 5e-324])
def test_nrm2_no_overflow_underflow_float64(isa, scale):
    x = np.array([3.0, 4.0, 0.0] * 50) * scale
    expected = scale * np.sqrt(50 * 25.0)
    got = lamina.blas.nrm2(x)
    assert np.isfinite(got) and got > 0
    np.testing.assert_allclose(got, expected, rtol=1e-6 if scale < 1e-320 else 1e-14)


@pytest.mark.parametrize("scale", [1e-44, 1e-30, 1e20, 1e37])
def test_nrm2_no_overflow_underflow_float32(isa, scale):
    x = (np.array([3.0, 4.0] * 10) * scale).astype(np.float32)
    expected = np.sqrt(np.sum(x.astype(np.float64) ** 2))
    got = lamina.blas.nrm2(x)
    assert np.isfinite(got) and got > 0
    np.testing.assert_allclose(got, expected, rtol=1e-1 if scale < 1e-40 else 1e-6)


def test_nan_and_inf_propagate(isa):
    x = np.array([1.0, np.nan, 5.0, np.inf])
    assert np.isnan(lamina.blas.nrm2(x))
    assert np.isnan(lamina.dot(x, np.ones(4)))
    assert lamina.blas.iamax(x) == 1                    # first NaN, like numpy.argmax
    assert lamina.blas.nrm2(np.array([1.0, np.inf, -2.0])) == np.inf
    assert lamina.blas.iamax(np.array([1.0, -7.0, 7.0])) == 1


def test_large_vectors_identical_for_any_thread_count(rng):
    x, y = rng.standard_normal(300_001), rng.standard_normal(300_001)
    results = []
    for n in (1, 2, 3):
        results.append((lamina.dot(x, y, n_threads=n), lamina.blas.nrm2(x, n_threads=n),
                        lamina.blas.asum(x, n_threads=n)))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("ord", [1, 2, np.inf, -np.inf, 0, 3, 0.5, -1, -2.5])
def test_vector_norm_orders(dtype, rng, ord):
    x = _vec(rng, 257, dtype)
    x[3] = 0.0
    got = lamina.vector_norm(x, ord=ord)
    expected = np.linalg.vector_norm(x.astype(np.float64), ord=ord)
    np.testing.assert_allclose(got, expected, rtol=tol(dtype, 257, 4))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norm_axes(rng, axis, keepdims):
    x = rng.standard_normal((3, 4, 5))[:, ::-1, :]
    got = lamina.vector_norm(x, axis=axis, keepdims=keepdims)
    expected = np.linalg.vector_norm(x, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_vector_norm_empty_and_scalar():
    assert lamina.vector_norm(np.zeros(0)) == 0
    assert lamina.vector_norm(np.zeros((0, 3)), axis=1).shape == (0,)
    np.testing.assert_array_equal(lamina.vector_norm(np.zeros((2, 0)), axis=1), [0, 0])
    assert lamina.vector_norm(np.float64(-3.0)) == 3.0


def test_dtype_policy():
    assert lamina.dot(np.ones(3, np.float32), np.ones(3, np.float32)).dtype == np.float32
    assert lamina.dot(np.ones(3, np.float32), np.ones(3)).dtype == np.float64
    assert lamina.dot([1, 2], [3, 4]).dtype == np.float64                   # ints -> float64
    assert lamina.dot(np.ones(2, bool), np.ones(2, bool)) == 2.0
    assert lamina.axpy(1.0, np.ones(2, np.float16), np.ones(2, np.float16)).dtype == np.float32


@pytest.mark.parametrize("bad, exc, words", [
    ((np.ones(3), np.ones(4)), ValueError, "same length"),
    ((np.ones((2, 2)), np.ones(4)), ValueError, "1-dimensional"),
    ((np.ones(3, complex), np.ones(3)), TypeError, "complex"),
    (({"a": 1}, np.ones(1)), TypeError, "array-like"),
    ((None, np.ones(1)), TypeError, "None"),
    ((["a", "b"], np.ones(2)), TypeError, "x"),
    ((np.array([object(), object()]), np.ones(2)), TypeError, "x"),
])
def test_dot_bad_input(bad, exc, words):
    with pytest.raises(exc, match=words):
        lamina.dot(*bad)


def test_bad_scalars_and_orders():
    with pytest.raises(TypeError, match="alpha"):
        lamina.axpy(1j, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="alpha"):
        lamina.axpy("2", np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="ord"):
        lamina.vector_norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match="out of bounds"):
        lamina.vector_norm(np.ones(3), axis=2)
    with pytest.raises(ValueError, match="empty"):
        lamina.blas.iamax(np.ones(0))
    with pytest.raises(ValueError, match="out"):
        lamina.axpy(1.0, np.ones(3), np.ones(3), out=np.ones(2))
    with pytest.raises(TypeError, match="dtype"):
        lamina.axpy(1.0, np.ones(3), np.ones(3), out=np.ones(3, np.float32))


def test_read_only_inputs_accepted():
    x = np.arange(5.0)
    x.flags.writeable = False
    assert lamina.dot(x, x) == 30.0
    assert lamina.blas.nrm2(x) == np.sqrt(30.0)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 200),
                  elements=st.floats(-1e6, 1e6, allow_nan=False)),
       st.integers(1, 4), st.booleans())
def test_property_dot_and_norm_any_stride(x, step, reverse):
    v = x[::step]
    if reverse:
        v = v[::-1]
    exact = float(np.sum(v.astype(np.longdouble) ** 2))
    assert abs(float(lamina.dot(v, v)) - exact) <= 1e-13 * max(exact, 1.0)
    m = float(np.max(np.abs(v), initial=0.0))
    norm = m * float(np.sqrt(np.sum((v.astype(np.longdouble) / m) ** 2))) if m else 0.0
    np.testing.assert_allclose(lamina.blas.nrm2(v), norm, rtol=1e-13, atol=0)
