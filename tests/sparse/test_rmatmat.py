"""csr_rmatmat: a.T @ b by scattering rows, against SciPy."""

import numpy as np
import pytest

import lamina
from lamina.sparse import as_csr, csr_rmatmat

sp = pytest.importorskip("scipy.sparse")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "density", "k"), [((1, 1), 1.0, 1), ((7, 5), 0.4, 3),
                                                     ((300, 40), 0.1, 6),
                                                     ((20000, 800), 0.02, 12)])
def test_matches_scipy_and_thread_count(dtype, shape, density, k):
    a = sp.random(*shape, density=density, format="csr", random_state=0, dtype=dtype)
    b = np.random.default_rng(1).standard_normal((shape[0], k)).astype(dtype)
    ref = a.T @ b
    got = csr_rmatmat(a, b, n_threads=1)
    assert got.dtype == dtype and got.shape == (shape[1], k)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * np.abs(ref).max())
    with lamina.threads(2):
        np.testing.assert_array_equal(csr_rmatmat(as_csr(a), b), got)


def test_out_empty_and_errors():
    a = sp.random(30, 8, density=0.3, format="coo", random_state=0)
    b = np.ones((30, 2))
    out = np.empty((8, 2))
    assert csr_rmatmat(a, b, out=out) is out
    np.testing.assert_allclose(out, a.T @ b)
    assert csr_rmatmat(sp.csr_array((0, 4)), np.ones((0, 3))).tolist() == [[0.0] * 3] * 4
    with pytest.raises(ValueError, match="30 rows"):
        csr_rmatmat(a, np.ones((8, 2)))
    with pytest.raises(TypeError, match="sparse"):
        csr_rmatmat(np.ones((3, 3)), np.ones((3, 1)))
