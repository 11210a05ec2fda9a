"""lamina.sparse: CSR SpMV / SpMM against SciPy and the plain-loop twin."""

import numpy as np
import pytest

import lamina
import lamina.sparse as ls
from lamina._kernels import _sparse

sp = pytest.importorskip("scipy.sparse")


def _random(n, m, density, dtype, seed, index_dtype=np.int32):
    a = sp.random_array((n, m), density=density, dtype=np.float64,
                        rng=np.random.default_rng(seed), format="csr").astype(dtype)
    a.indices = a.indices.astype(index_dtype)
    a.indptr = a.indptr.astype(index_dtype)
    return a


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (5, 3), (40, 40), (300, 200)])
def test_matvec_matches_scipy(isa, dtype, index_dtype, shape, rng):
    a = _random(*shape, 0.2, dtype, 1, index_dtype)
    x = rng.standard_normal(shape[1]).astype(dtype)
    y = ls.csr_matvec(a, x)
    assert y.dtype == dtype and y.shape == (shape[0],)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y, a @ x, atol=50 * eps * max(1, shape[1]))
    ref = np.empty_like(y)
    c = ls.as_csr(a)
    assert c.indices.dtype == index_dtype          # index dtype kept, no copy to int64
    _sparse.csr_matvec_ref(c.indptr, c.indices, c.data, x, ref)
    np.testing.assert_allclose(y, ref, atol=50 * eps * max(1, shape[1]))


@pytest.mark.parametrize("fmt", ["coo", "csc", "bsr", "dia", "lil", "dok"])
def test_any_scipy_format(fmt):
    a = _random(30, 30, 0.3, np.float64, 2)
    x = np.arange(30.0)
    np.testing.assert_allclose(ls.csr_matvec(a.asformat(fmt), x), a @ x, rtol=1e-13)
    np.testing.assert_allclose(ls.csr_matvec(sp.csr_matrix(a), x), a @ x, rtol=1e-13)


def test_thread_count_does_not_change_result():
    # Skewed rows: a few dense rows among sparse ones exercise the nonzero balancing.
    a = _random(50_000, 2000, 0.003, np.float64, 3).tolil()
    a[7, :] = 1.0
    a[40_000, :] = 2.0
    a = a.tocsr()
    x = np.random.default_rng(0).standard_normal(2000)
    c = ls.as_csr(a)
    assert c.blocks.shape[0] > 3
    y1 = ls.csr_matvec(c, x, n_threads=1)
    y2 = ls.csr_matvec(c, x, n_threads=2)
    assert np.array_equal(y1, y2)
    np.testing.assert_allclose(y1, a @ x, rtol=1e-12, atol=1e-12)


def test_row_blocks_balance_nonzeros():
    indptr = np.concatenate(([0], np.cumsum(np.r_[np.full(10, 100_000), np.ones(100_000)])))
    blocks = _sparse.csr_row_blocks(indptr.astype(np.int64))
    work = np.diff(indptr[blocks] + blocks)
    assert blocks[0] == 0 and blocks[-1] == indptr.shape[0] - 1
    assert work.max() <= 100_000 + _sparse.BLOCK_WORK       # a dense row is its own block


@pytest.mark.parametrize("k", [1, 3, 17])
def test_matmat(dtype, k, rng):
    a = _random(120, 80, 0.1, dtype, 4)
    b = rng.standard_normal((80, k)).astype(dtype)
    out = np.empty((120, k), dtype=dtype)
    y = ls.csr_matmat(a, np.asfortranarray(b), out=out)
    assert y is out
    np.testing.assert_allclose(y, a @ b, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)
    assert np.array_equal(ls.csr_matmat(a, b, n_threads=1), ls.csr_matmat(a, b, n_threads=2))


def test_mixed_dtypes_and_out():
    a = _random(20, 20, 0.3, np.float32, 5)
    y = ls.csr_matvec(a, np.ones(20))                       # float64 x promotes
    assert y.dtype == np.float64
    out = np.empty(40)[::2]
    r = ls.csr_matvec(a, np.ones(20), out=out)
    assert r is out
    np.testing.assert_allclose(out, a.astype(np.float64) @ np.ones(20), rtol=1e-6)


def test_bad_input():
    a = _random(4, 3, 0.5, np.float64, 6)
    with pytest.raises(ValueError, match="length 3"):
        ls.csr_matvec(a, np.ones(4))
    with pytest.raises(TypeError, match="sparse"):
        ls.csr_matvec(np.eye(3), np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        ls.csr_matvec(sp.csr_array(np.eye(2, dtype=complex)), np.ones(2))
    with pytest.raises(ValueError, match="rows"):
        ls.csr_matmat(a, np.ones((4, 2)))


def test_dispatchable():
    assert lamina.explain("csr_matvec", sp.eye_array(2, format="csr"),
                          np.ones(2)).backend == "core"


@pytest.mark.parametrize("max_len", [5, 8, 11])
def test_matvec_short_rows(isa, dtype, max_len, rng):
    # Short rows take the AVX-512 kernel's 8-row transposed reduction when all 8 rows of a
    # group have at most 8 nonzeros, and the row-by-row path otherwise; n = 203 leaves a
    # ragged tail.  Empty rows included.
    n = 203
    lengths = rng.integers(0, max_len + 1, size=n)
    cols = np.concatenate([np.sort(rng.choice(n, k, replace=False)) for k in lengths])
    rows = np.repeat(np.arange(n), lengths)
    a = sp.csr_array((rng.standard_normal(cols.size), (rows, cols)), shape=(n, n))
    a = a.astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    y = ls.csr_matvec(a, x)
    bound = 16 * np.finfo(dtype).eps * (1 + abs(a) @ abs(x))
    assert (abs(y - a @ x) <= bound).all()
    assert np.array_equal(y, ls.csr_matvec(a, x, n_threads=2))
