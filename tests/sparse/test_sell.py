"""The SELL-8 layout the solvers multiply with: exact against the one-accumulator row loop."""

import numpy as np
import pytest

import lamina
import lamina.solvers as solvers
from lamina._kernels import _sparse

sp = pytest.importorskip("scipy.sparse")
pytestmark = pytest.mark.skipif(not _sparse.sell_available(),
                                reason="the SELL-8 kernels need AVX-512")


def _row_loop(a, x):
    """Each row summed in column order with one accumulator and fused multiply-adds is
    the SELL kernel's order; NumPy's fma-free loop can differ by rounding only."""
    y = np.empty(a.shape[0], dtype=x.dtype)
    for i in range(a.shape[0]):
        lo, hi = a.indptr[i], a.indptr[i + 1]
        s = x.dtype.type(0)
        for v, j in zip(a.data[lo:hi], a.indices[lo:hi], strict=True):
            s = s + v * x[j]
        y[i] = s
    return y


def _poisson(m, dtype=np.float64):
    t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    return (sp.kron(eye, t) + sp.kron(t, eye)).tocsr().astype(dtype)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 203])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["random", "band"])
def test_matches_row_loop(n, threads, kind, dtype, rng):
    # "random": rows of 0-6 random columns (empty rows too) plus a band: gathers,
    # contiguous runs and padded slots all occur.  "band": 5 consecutive columns per row,
    # so whole slices are flagged contiguous (the unmasked path), mixed with others.
    if kind == "random":
        lengths = rng.integers(0, 7, size=n)
        cols = np.concatenate([np.sort(rng.choice(n + 5, k, replace=False))
                               for k in lengths])
        rows = np.repeat(np.arange(n), lengths)
        a = sp.csr_array((rng.standard_normal(cols.size), (rows, cols)), shape=(n, n + 5))
        a = a + sp.eye_array(n, n + 5, k=3)
    else:
        a = sum(sp.diags_array(rng.standard_normal(n), offsets=k, shape=(n, n + 5))
                for k in range(5))
        a = sp.lil_array(a)
        a[n // 2, :] = 0                      # one short row: its slice is not flagged
        a[n // 2, 0] = 1.0
    a = sp.csr_array(a).astype(dtype)
    a.indices = a.indices.astype(np.int32)
    a.indptr = a.indptr.astype(np.int32)
    layout = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1], np.inf)
    sptr, slen, col, val, blocks = layout
    nsl = (n + 7) // 8
    assert slen.shape == (9 * nsl + col.size // 8 + 1,)
    # value format: float32 storage only for a float64 matrix of float32 numbers
    compact = dtype == np.float64 and np.array_equal(a.data.astype(np.float32), a.data)
    assert slen[-1] == int(compact) and val.dtype == (np.float32 if compact else dtype)
    assert np.array_equal(slen[:n], np.diff(a.indptr)) and not slen[n:8 * nsl].any()
    for s in range(nsl):               # the per-slice flag: full steps of consecutive columns
        steps = col[sptr[s]:sptr[s + 1]].reshape(-1, 8)
        full = (slen[8 * s:8 * s + 8] == steps.shape[0]).all()
        assert slen[8 * nsl + s] == int(bool(full and (np.diff(steps, axis=1) == 1).all()))
    assert np.array_equal(slen[9 * nsl:-1], col[::8])
    if kind == "band" and n >= 16:
        assert slen[8 * nsl:].sum() >= nsl - 2 and not slen[8 * nsl:].all()
    x = rng.standard_normal(n + 5).astype(dtype)
    y = np.full(n, np.nan, dtype=dtype)
    _sparse.sell_matvec(n, sptr, slen, col, val, blocks, x, y, threads)
    bound = 16 * np.finfo(dtype).eps * (1 + abs(a) @ abs(x))
    assert (abs(y - _row_loop(a, x)) <= bound).all()
    assert (abs(y - a @ x) <= bound).all()


def test_padding_never_reaches_the_result():
    # Row 1 is empty and row 0 short: their padded slots sit over x = inf columns, which
    # would give 0 * inf = nan if the padding were multiplied instead of masked.
    dense = np.zeros((8, 8))
    dense[0, 0] = 1.0
    dense[2:, :] = np.arange(1.0, 9.0)
    a = sp.csr_array(dense)
    a.indices = a.indices.astype(np.int32)
    a.indptr = a.indptr.astype(np.int32)
    layout = _sparse.sell_from_csr(a.indptr, a.indices, a.data, 8)
    x = np.zeros(8)
    x[5:] = np.inf
    y = np.empty(8)
    _sparse.sell_matvec(8, *layout[:4], layout[4], x, y, 1)
    assert y[0] == 0.0 and y[1] == 0.0
    assert np.isinf(y[2:]).all()


def test_declined_when_padding_or_row_length_is_large():
    n = 64
    a = sp.eye_array(n, format="lil")
    a[3, :] = 1.0                       # one full row: its slice pads 7 rows to n entries
    a = a.tocsr()
    assert _sparse.sell_from_csr(a.indptr, a.indices, a.data, n) is None
    dense = sp.csr_array(np.ones((16, 16)))   # rows of 16: CSR rows fill vectors already
    assert _sparse.sell_from_csr(dense.indptr, dense.indices, dense.data, 16) is None


def test_thread_count_does_not_change_the_solve():
    a = _poisson(150)                         # 22500 unknowns: above the threading threshold
    b = np.ones(a.shape[0])
    r1 = solvers.cg(a, b, rtol=1e-8, n_threads=1)
    r2 = solvers.cg(a, b, rtol=1e-8, n_threads=2)
    assert r1.iterations == r2.iterations
    assert np.array_equal(r1.x, r2.x)
    resid = np.linalg.norm(b - a @ r1.x) / np.linalg.norm(b)
    assert resid <= 1.01e-8


def test_solvers_agree_with_and_without_the_layout(monkeypatch):
    a = _poisson(40)
    b = np.random.default_rng(1).standard_normal(a.shape[0])
    with_sell = [f(a, b, rtol=1e-10) for f in (solvers.cg, solvers.minres, solvers.gmres,
                                              solvers.bicgstab)]
    monkeypatch.setattr(_sparse, "sell_from_csr", lambda *args, **kwargs: None)
    plain = [f(a, b, rtol=1e-10) for f in (solvers.cg, solvers.minres, solvers.gmres,
                                           solvers.bicgstab)]
    for s, p in zip(with_sell, plain, strict=True):
        assert s.converged and p.converged
        assert abs(s.iterations - p.iterations) <= 4   # rounding only
        np.testing.assert_allclose(s.x, p.x, rtol=0, atol=1e-7 * abs(p.x).max())
    assert lamina.solvers.sor(a, b, rtol=1e-6, omega=1.5, maxiter=2000).converged


@pytest.mark.parametrize("layout", ["sell", "csr"])
@pytest.mark.parametrize("precond", [False, True])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_team_cg_is_bitwise_the_serial_cg(layout, precond, index_dtype, dtype, monkeypatch):
    # From _iterative.TEAM_MIN_N unknowns on, 2-thread CG runs in one parallel region with
    # per-block partial sums added in block order: the same arithmetic as 1 thread.
    from lamina._kernels import _iterative

    if layout == "csr":
        monkeypatch.setattr(_sparse, "sell_from_csr", lambda *args, **kwargs: None)
    a = _poisson(80, dtype)                      # 6400 unknowns
    assert a.shape[0] >= _iterative.TEAM_MIN_N
    a.indices = a.indices.astype(index_dtype)
    a.indptr = a.indptr.astype(index_dtype)
    b = np.linspace(-1.0, 1.0, a.shape[0]).astype(dtype)
    M = solvers.preconditioners.Jacobi(a) if precond else None
    rtol = 1e-6 if dtype == np.float32 else 1e-10
    r1 = solvers.cg(a, b, rtol=rtol, M=M, n_threads=1)
    r2 = solvers.cg(a, b, rtol=rtol, M=M, n_threads=2)
    assert r1.converged and r2.converged
    assert r1.iterations == r2.iterations
    assert np.array_equal(r1.x, r2.x)
    assert np.array_equal(r1.residual_history, r2.residual_history)


def test_layout_built_the_same_by_any_thread_count(rng):
    a = _poisson(120)            # above the size from which the copy is threaded
    one = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1], n_threads=1)
    two = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1], n_threads=2)
    for u, v in zip(one, two, strict=True):
        assert np.array_equal(u, v)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("scale", [1.0, 0.1])        # 0.1: values not float32 numbers
def test_cached_layout_is_checked_against_the_matrix(threads, index_dtype, scale, dtype):
    """The CSR object keeps its SELL copy between solves, and every reuse first compares
    it with the CSR arrays: values (bit patterns), columns or row lengths changed in place
    are all seen, and the copy is rebuilt."""
    m = _poisson(30, dtype) * np.dtype(dtype).type(scale)
    m.indices = m.indices.astype(index_dtype)
    m.indptr = m.indptr.astype(index_dtype)
    a = lamina.sparse.as_csr(m)
    assert a.indices.dtype == index_dtype
    saved = a.data.copy(), a.indices.copy(), a.indptr.copy()

    def matches(layout):
        sptr, slen, col, val, _ = layout
        return _sparse.sell_matches_csr(a.indptr, a.indices, a.data, sptr, slen, col, val,
                                        n_threads=threads)

    for change in ("value", "signed zero", "column", "row length"):
        if change == "signed zero":
            a.data[100] = 0.0
        layout = a.sell_layout(threads)
        assert a.sell_layout(threads) is layout and matches(layout)   # unchanged: reused
        if change == "value":
            a.data[-1] *= 1.5
        elif change == "signed zero":        # equal as numbers, different bits
            a.data[100] = -0.0
        elif change == "column":
            a.indices[7] += 1
        else:                                # same nonzero count, rows 0 and 1 re-split
            a.indptr[1] -= 1
        assert not matches(layout)
        assert a.sell_layout(threads) is not layout
        a.data[:], a.indices[:], a.indptr[:] = saved


def test_solve_after_in_place_change_uses_the_new_matrix():
    a = lamina.sparse.as_csr(_poisson(40))
    b = np.ones(a.shape[0])
    solvers.cg(a, b, rtol=1e-10)                     # builds and caches the layout
    a.data *= 2.0                                    # A -> 2A in place: x must halve
    again = solvers.cg(a, b, rtol=1e-10)
    fresh = solvers.cg(lamina.sparse.as_csr(_poisson(40) * 2.0), b, rtol=1e-10)
    np.testing.assert_array_equal(again.x, fresh.x)


@pytest.mark.parametrize("threads", [1, 2])
def test_float32_values_of_a_float64_matrix(threads, rng):
    """A float64 matrix whose values are all float32 numbers (the Poisson stencil's -1 and
    4, here times the float32 number 0.1f) keeps them as float32: same products bit for
    bit, half the bytes.  One value needing float64 (or a NaN) keeps the whole layout
    float64."""
    a = _poisson(41)
    a.data *= np.float64(np.float32(0.1))       # -0.1f and 0.4f: float32 numbers, still SPD
    a.indices = a.indices.astype(np.int32)
    a.indptr = a.indptr.astype(np.int32)
    full = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1],
                                 compact_values=False)
    compact = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1])
    assert full[1][-1] == 0 and full[3].dtype == np.float64
    assert compact[1][-1] == 1 and compact[3].dtype == np.float32
    for layout in (full, compact):
        assert _sparse.sell_matches_csr(a.indptr, a.indices, a.data, *layout[:4],
                                        n_threads=threads)
    x = rng.standard_normal(a.shape[1])
    y_full, y_compact = np.empty(a.shape[0]), np.empty(a.shape[0])
    _sparse.sell_matvec(a.shape[0], *full, x, y_full, threads)
    _sparse.sell_matvec(a.shape[0], *compact, x, y_compact, threads)
    np.testing.assert_array_equal(y_compact, y_full)
    with pytest.raises(TypeError, match="value format"):
        _sparse.sell_matvec(a.shape[0], *full[:3], full[3].astype(np.float32), full[4], x,
                            y_full, threads)
    b = np.ones(a.shape[0])
    r = solvers.cg(a, b, rtol=1e-10, n_threads=threads)
    csr = lamina.sparse.as_csr(a)
    assert csr.sell_layout(threads)[3].dtype == np.float32
    assert np.array_equal(solvers.cg(csr, b, rtol=1e-10, n_threads=threads).x, r.x)
    for odd in (0.1, np.nan):
        a.data[5] = odd
        layout = _sparse.sell_from_csr(a.indptr, a.indices, a.data, a.shape[1])
        assert layout[1][-1] == 0 and layout[3].dtype == np.float64


def test_cached_layout_not_used_below_avx512():
    """With a lower ISA forced, a kept SELL copy is neither reused nor rebuilt (the solvers
    fall back to CSR, as they would have without the cache), and is reused again after."""
    from lamina._config import _forced_isa

    a = lamina.sparse.as_csr(_poisson(20))
    layout = a.sell_layout()
    assert layout is not None
    with _forced_isa("avx2"):
        assert not _sparse.sell_matches_csr(a.indptr, a.indices, a.data, *layout[:4])
        assert a.sell_layout() is None
        b = np.ones(a.shape[0])
        assert solvers.cg(a, b, rtol=1e-10).converged
    assert a.sell_layout() is not None
