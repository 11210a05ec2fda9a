"""GEMM, matmul and the micro-kernels: against NumPy (float64 oracle) and the _ref twins."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina
from lamina._kernels import _gemm, _runtime

from ..conftest import layouts, tol


@contextlib.contextmanager
def _packed_always():
    """Drive every shape through the packing path (no small-problem shortcut)."""
    old = _gemm.set_small_flops(0)
    try:
        yield
    finally:
        _gemm.set_small_flops(old)


def _bound(dtype, k, *terms):
    """Elementwise error bound k*eps*(sum of |terms|) with headroom (Higham 3.5)."""
    eps = np.finfo(dtype).eps
    return 4 * (max(k, 1) + 2) * eps * (sum(terms) + np.finfo(dtype).tiny)


def _check(got, a, b, alpha=1.0, beta=0.0, c=None):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exact = alpha * (a64 @ b64)
    mag = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if beta != 0:
        exact = exact + beta * c
        mag = mag + abs(beta) * np.abs(c)
    err = np.abs(got.astype(np.float64) - exact)
    assert np.all(err <= _bound(got.dtype, a.shape[1], mag)), float(err.max())


def _edge_sizes(isa, dtype):
    bs = _gemm.block_sizes(_runtime.ISA_NAMES.index(isa), np.dtype(dtype).name)
    mr, nr, kc = bs["mr"], bs["nr"], bs["kc"]
    return bs, [0, 1, 2, 3, 7, mr - 1, mr, mr + 1, nr - 1, nr + 1], [kc - 1, kc + 1]


def test_block_table_is_consistent():
    for isa in range(3):
        for dt in ("float32", "float64"):
            bs = _gemm.block_sizes(isa, dt)
            assert bs["mc"] % bs["mr"] == 0 and bs["nc"] % bs["nr"] == 0
            assert bs["mr"] * bs["nr"] <= 8 * 48


def test_microkernel_matches_ref_twin(isa, dtype, rng):
    isa_id = _runtime.ISA_NAMES.index(isa)
    bs = _gemm.block_sizes(isa_id, dtype.name)
    mr, nr = bs["mr"], bs["nr"]
    for k in (0, 1, 5, 64):
        # 64-byte aligned packed panels
        raw_a = np.zeros(k * mr + 16, dtype)
        raw_b = np.zeros(k * nr + 16, dtype)
        off_a = (-raw_a.ctypes.data % 64) // dtype.itemsize
        off_b = (-raw_b.ctypes.data % 64) // dtype.itemsize
        a = raw_a[off_a:off_a + k * mr]
        b = raw_b[off_b:off_b + k * nr]
        a[...] = rng.standard_normal(a.size)
        b[...] = rng.standard_normal(b.size)
        for beta in (0.0, 1.0, -0.5):
            c0 = rng.standard_normal((mr, nr)).astype(dtype)
            got, ref = c0.copy(), c0.copy()
            _gemm.ukr(isa_id, k, a, b, got, beta)
            _gemm.ukr_ref(k, mr, nr, a, b, ref, beta)
            mag = np.abs(a.reshape(k, mr).T.astype(float)) @ np.abs(b.reshape(k, nr)) \
                + abs(beta) * np.abs(c0)
            assert np.all(np.abs(got - ref) <= _bound(dtype, k, mag))


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "auto"])
def test_gemm_edge_sizes(isa, dtype, rng, packed):
    bs, small, deep = _edge_sizes(isa, dtype)
    ctx = _packed_always() if packed else contextlib.nullcontext()
    with ctx:
        # every edge value along each dimension, the others fixed at awkward sizes
        shapes = [(m, bs["nr"] + 1, 5) for m in small] + [(bs["mr"] + 1, n, 3) for n in small]
        shapes += [(bs["mr"] - 1, bs["nr"] - 1, k) for k in [0, 1, 2, 3, 7] + deep]
        for m, n, k in shapes:
            a = rng.standard_normal((m, k)).astype(dtype)
            b = rng.standard_normal((k, n)).astype(dtype)
            got = lamina.gemm(a, b)
            assert got.shape == (m, n) and got.dtype == dtype
            _check(got, a, b)


def test_gemm_large_odd(isa, dtype, rng):
    m, k, n = 1001, 67, 131 if isa != "generic" else 61
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    _check(lamina.gemm(a, b, n_threads=2), a, b)
    a = rng.standard_normal((37, 1003)).astype(dtype)
    b = rng.standard_normal((1003, 29)).astype(dtype)
    _check(lamina.gemm(a, b), a, b)


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_transposes_and_layouts(dtype, rng, trans_a, trans_b):
    with _packed_always():
        m, k, n = 19, 33, 53
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        sa = a.T.copy() if trans_a else a
        sb = b.T.copy() if trans_b else b
        for va in layouts(sa).values():
            for vb in layouts(sb).values():
                got = lamina.gemm(va, vb, trans_a=trans_a, trans_b=trans_b)
                _check(got, a, b)
        # every output layout
        for name, out in layouts(np.zeros((m, n), dtype)).items():
            res = lamina.gemm(sa, sb, trans_a=trans_a, trans_b=trans_b, out=out)
            assert res is out, name
            _check(out, a, b)


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (-2.5, 0.0), (0.5, 1.0), (1.0, -0.75),
                                        (0.0, 2.0), (0.0, 0.0)])
def test_gemm_alpha_beta(isa, dtype, rng, alpha, beta):
    for m, k, n in ((5, 4, 3), (70, 45, 60)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = rng.standard_normal((m, n)).astype(dtype)
        got = lamina.gemm(a, b, c, alpha=alpha, beta=beta)
        _check(got, a, b, alpha, beta, c)


def test_gemm_beta_zero_ignores_nan_in_c(isa, dtype, rng):
    for m, k, n in ((3, 2, 4), (65, 70, 90)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = np.full((m, n), np.nan, dtype)
        got = lamina.gemm(a, b, c, beta=0.0)
        assert np.isfinite(got).all()
        out = c.copy()
        lamina.gemm(a, b, out=out)
        assert np.isfinite(out).all()


def test_gemm_nan_inf_propagate(isa, dtype, rng):
    for m, k, n in ((4, 3, 5), (50, 70, 60)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        a[1, 2] = np.nan
        b[0, 3] = np.inf
        got = lamina.gemm(a, b)
        with np.errstate(invalid="ignore"):
            exp = a.astype(np.float64) @ b.astype(np.float64)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(exp))


@pytest.mark.parametrize("activation", [None, "relu", "gelu", "sigmoid", "tanh"])
def test_gemm_fused_epilogue(isa, dtype, rng, activation):
    from math import erf

    for m, k, n in ((3, 4, 5), (67, 50, 101)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = rng.standard_normal((m, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        got = lamina.gemm(a, b, c, alpha=0.5, beta=2.0, bias=bias, activation=activation)
        z = 0.5 * (a.astype(np.float64) @ b) + 2.0 * c + bias
        mag = 0.5 * np.abs(a.astype(np.float64)) @ np.abs(b) + 2 * np.abs(c) + np.abs(bias)
        f = {None: lambda x: x, "relu": lambda x: np.maximum(x, 0),
             "gelu": lambda x: 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2))),
             "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh}[activation]
        # all activations here are 1.2-Lipschitz, plus their own rounding
        bound = 1.2 * _bound(dtype, k, mag) + 8 * np.finfo(dtype).eps * (1 + np.abs(z))
        assert np.all(np.abs(got - f(z)) <= bound)


def test_gemm_epilogue_relu_keeps_nan():
    a = np.array([[np.nan, 1.0], [1.0, 1.0]])
    got = lamina.gemm(a, np.eye(2), activation="relu")
    assert np.isnan(got[0, 0]) and got[1, 0] == 1.0


def test_gemm_out_overlapping_inputs(dtype, rng):
    for n in (6, 80):
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        expected = lamina.gemm(a, b)
        x = a.copy()
        lamina.gemm(x, b, out=x)                   # out is a
        np.testing.assert_array_equal(x, expected)
        y = b.copy()
        lamina.gemm(a, y, out=y)                   # out is b
        np.testing.assert_array_equal(y, expected)
        z = a.copy()
        lamina.gemm(z, z.T, out=z)                 # out is both, transposed view
        np.testing.assert_array_equal(z, lamina.gemm(a, a.T))
        c = rng.standard_normal((n, n)).astype(dtype)
        cc = c.copy()
        lamina.gemm(a, b, cc, beta=1.0, out=cc)    # in-place accumulate
        np.testing.assert_array_equal(cc, lamina.gemm(a, b, c, beta=1.0))


def test_gemm_threads_bitwise_identical(isa, dtype, rng):
    for m, k, n in ((200, 300, 170), (1001, 70, 67), (64, 800, 900)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = rng.standard_normal((m, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        one = lamina.gemm(a, b, c, beta=0.3, bias=bias, activation="gelu", n_threads=1)
        assert _runtime.last_team_size() == 1
        two = lamina.gemm(a, b, c, beta=0.3, bias=bias, activation="gelu", n_threads=2)
        np.testing.assert_array_equal(one, two)
        f = lamina.gemm(np.asfortranarray(a), b, n_threads=2)
        np.testing.assert_array_equal(f, lamina.gemm(a, b, n_threads=1))


@pytest.mark.parametrize("m, k, n", [(128, 300, 512), (40, 600, 131), (256, 90, 700),
                                     (130, 200, 130), (450, 800, 300)])
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True)])
def test_gemm_column_split_bitwise_identical(isa, dtype, rng, m, k, n, trans):
    """2 threads split the columns of C (forced here for every m and with the k split off;
    by default up to COLUMN_SPLIT_ROWS rows): each packs its own A and B, several row blocks
    and k blocks included.  Each thread gets whole SIMD vectors of columns, so its
    tiles are not the 1-thread ones, but every element gets the same roundings in any tile:
    the result is the 1-thread one bit for bit, and the row split agrees with it too."""
    ta, tb = trans
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)

    def run(threads):
        return lamina.gemm(a, b, c, beta=0.5, trans_a=ta, trans_b=tb, bias=bias,
                           activation="relu", n_threads=threads)

    one = run(1)
    old = _gemm.set_column_split_rows(1 << 30)
    old_k = _gemm.set_k_split(False)
    try:
        two = run(2)
    finally:
        _gemm.set_column_split_rows(old)
        _gemm.set_k_split(old_k)
    assert _runtime.last_team_size() == 2
    np.testing.assert_array_equal(one, two)
    old = _gemm.set_column_split_rows(0)
    try:
        rows = run(2)
    finally:
        _gemm.set_column_split_rows(old)
    np.testing.assert_array_equal(one, rows)
    ref = np.maximum(0.5 * c + (a.T if ta else a).astype(np.float64)
                     @ (b.T if tb else b).astype(np.float64) + bias, 0)
    np.testing.assert_allclose(one, ref, rtol=0, atol=(2e-3 if dtype == np.float32 else 1e-10)
                               * np.sqrt(k))


@pytest.mark.parametrize("m, k, n", [(128, 784, 512), (128, 512, 512), (32, 784, 512),
                                     (37, 450, 131), (192, 790, 49), (64, 401, 1000)])
def test_gemm_k_split_bitwise_identical(isa, dtype, rng, m, k, n):
    """Two threads, a row-major B and k in two KC blocks: each thread multiplies one k
    block, the second into a buffer added after a barrier, and the epilogue runs on the
    sum.  That sum is the serial path's own last step, so the result is the 1-thread one
    bit for bit (beta, bias, activation, small-m in-place B and edge tiles included), and
    equal to the column split's."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)

    def run(threads):
        return lamina.gemm(a, b, c, beta=0.5, bias=bias, activation="relu",
                           n_threads=threads)

    one = run(1)
    two = run(2)
    assert _runtime.last_team_size() == 2
    np.testing.assert_array_equal(one, two)
    old = _gemm.set_k_split(False)
    try:
        np.testing.assert_array_equal(one, run(2))
    finally:
        _gemm.set_k_split(old)
    plain = lamina.gemm(a, b, n_threads=2)
    np.testing.assert_array_equal(plain, lamina.gemm(a, b, n_threads=1))
    _check(plain, a, b)
    ref = np.maximum(0.5 * c + a.astype(np.float64) @ b.astype(np.float64) + bias, 0)
    np.testing.assert_allclose(one, ref, rtol=0, atol=(2e-3 if dtype == np.float32 else 1e-10)
                               * np.sqrt(k))


@pytest.mark.parametrize("n", [1, 5, 8, 10, 16])
@pytest.mark.parametrize("ta", [False, True])
def test_gemm_one_vector_wide_c(isa, dtype, rng, n, ta):
    """A C at most one vector wide (AVX-512: no packing, 8 rows in registers): alpha,
    beta (beta == 0 ignores NaN in C), the epilogue, strided and transposed A, a ragged
    last row block, and the same result for 1 and 2 threads."""
    m, k = 203, 300
    if n * np.dtype(dtype).itemsize > 64:
        n = 8
    base = rng.standard_normal((2 * k, 2 * m) if ta else (2 * m, 2 * k)).astype(dtype)
    a = base[::2, ::2]
    b = rng.standard_normal((k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    a64 = (a.T if ta else a).astype(np.float64)
    got = lamina.gemm(a, b, c, alpha=0.5, beta=2.0, trans_a=ta, bias=bias,
                      activation="relu", n_threads=1)
    ref = np.maximum(0.5 * a64 @ b.astype(np.float64) + 2.0 * c + bias, 0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=(2e-3 if dtype == np.float32 else 1e-10)
                               * np.sqrt(k))
    big = rng.standard_normal((3000, k)).astype(dtype)      # above the threading size
    two = lamina.gemm(big, b, n_threads=2)
    np.testing.assert_array_equal(two, lamina.gemm(big, b, n_threads=1))
    nan_c = np.full((m, n), np.nan, dtype=dtype)
    assert np.isfinite(lamina.gemm(a, b, nan_c, beta=0.0, trans_a=ta)).all()


def test_gemm_float32_error_bound(isa, rng):
    m, k, n = 40, 2500, 30
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    got = lamina.gemm(a, b)
    err = np.abs(got - a.astype(np.float64) @ b.astype(np.float64))
    assert np.all(err <= k * np.finfo(np.float32).eps * (np.abs(a) @ np.abs(b)))


def test_gemm_matches_ref_twin(dtype, rng):
    a = rng.standard_normal((13, 29)).astype(dtype)
    b = rng.standard_normal((29, 31)).astype(dtype)
    c = rng.standard_normal((13, 31)).astype(dtype)
    ref = c.copy()
    _gemm.gemm_ref(1.5, a, b, 0.5, ref)
    got = lamina.gemm(a, b, c, alpha=1.5, beta=0.5)
    assert np.all(np.abs(got - ref) <= 2 * _bound(dtype, 29, 1.5 * np.abs(a) @ np.abs(b)
                                                  + 0.5 * np.abs(c)))


def test_gemm_input_policy(rng):
    a = rng.standard_normal((4, 3))
    b = rng.standard_normal((3, 2))
    a_copy = a.copy()
    lamina.gemm(a, b)
    np.testing.assert_array_equal(a, a_copy)
    assert lamina.gemm(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    assert lamina.gemm(a.astype(np.float32), b).dtype == np.float64
    assert lamina.gemm(np.ones((2, 2), int), np.ones((2, 2), int)).dtype == np.float64
    with pytest.raises(ValueError, match="inner dimensions"):
        lamina.gemm(a, a)
    with pytest.raises(ValueError, match="c is required"):
        lamina.gemm(a, b, beta=1.0)
    with pytest.raises(ValueError, match="bias"):
        lamina.gemm(a, b, bias=np.ones(3))
    with pytest.raises(ValueError, match="activation"):
        lamina.gemm(a, b, activation="swish")
    with pytest.raises(TypeError, match="complex"):
        lamina.gemm(a.astype(complex), b)
    with pytest.raises(ValueError, match="shape"):
        lamina.gemm(a, b, out=np.empty((3, 3)))
    # c broadcasts (a row vector added to every row)
    got = lamina.gemm(a, b, np.ones(2), beta=1.0)
    np.testing.assert_allclose(got, a @ b + 1)


# ---- matmul ----------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 5)),
                                   ((2, 4, 3), (3, 5)), ((4, 3), (2, 3, 5)),
                                   ((2, 1, 4, 3), (3, 3, 5)), ((0, 3), (3, 4)),
                                   ((2, 0), (0, 3)), ((5, 2, 3), (3,)), ((3,), (6, 3, 2))])
def test_matmul_matches_numpy(dtype, rng, sa, sb):
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    got = lamina.matmul(a, b)
    exp = np.matmul(a, b)
    assert np.shape(got) == exp.shape and got.dtype == exp.dtype
    np.testing.assert_allclose(got, exp, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


def test_matmul_out_and_errors(rng):
    a = rng.standard_normal((3, 4, 4))
    b = rng.standard_normal((4, 4))
    out = np.empty((3, 4, 4))
    assert lamina.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b)
    x = a.copy()
    lamina.matmul(x, b, out=x)                    # out overlaps an input
    np.testing.assert_allclose(x, a @ b)
    with pytest.raises(ValueError, match="core dimension"):
        lamina.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="scalar"):
        lamina.matmul(2.0, np.ones(3))
    with pytest.raises(ValueError, match="broadcast"):
        lamina.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2)))


def test_matmul_deep_learning_shapes(rng):
    for m, k, n in ((32, 784, 512), (128, 64, 300)):
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        _check(lamina.matmul(a, b), a, b)


def test_gemm_many_blocks_threads(isa, dtype, rng):
    """Tiny MC/KC/NC so every loop (JC, PC, IC, JR, IR) runs many times, 1 and 2 threads."""
    isa_id = _runtime.ISA_NAMES.index(isa)
    bs = _gemm.block_sizes(isa_id, dtype.name)
    old = _gemm.set_block_sizes(isa_id, dtype.name, 2 * bs["mr"], 17, 2 * bs["nr"])
    try:
        m, k, n = 7 * bs["mr"] + 3, 60, 5 * bs["nr"] + 1
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = rng.standard_normal((m, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        one = lamina.gemm(a, b, c, beta=0.5, bias=bias, activation="tanh", n_threads=1)
        two = lamina.gemm(a, b, c, beta=0.5, bias=bias, activation="tanh", n_threads=2)
        np.testing.assert_array_equal(one, two)
        got = lamina.gemm(np.asfortranarray(a), b, c, beta=0.5, n_threads=2)
        _check(got, a, b, 1.0, 0.5, c)
    finally:
        _gemm.set_block_sizes(isa_id, dtype.name, old["mc"], old["kc"], old["nc"])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40),
       st.sampled_from([(1, 1), (2, 1), (1, 3), (-1, 1), (1, -2)]),
       st.booleans(), st.booleans(), st.sampled_from(["float32", "float64"]))
def test_property_gemm_shapes_and_strides(m, k, n, steps, f_order, packed, dtype):
    rng = np.random.default_rng(m * 10_000 + k * 100 + n)
    sr, sc = steps
    base_a = rng.standard_normal((abs(sr) * m + 1, abs(sc) * k + 1)).astype(dtype)
    base_b = rng.standard_normal((abs(sr) * k + 1, abs(sc) * n + 1)).astype(dtype)
    if f_order:
        base_a, base_b = np.asfortranarray(base_a), np.asfortranarray(base_b)
    a = base_a[::sr, ::sc][:m, :k]
    b = base_b[::sr, ::sc][:k, :n]
    ctx = _packed_always() if packed else contextlib.nullcontext()
    with ctx:
        got = lamina.gemm(a, b)
    _check(got, a, b)


@pytest.mark.parametrize("shape", [(8, 300, 96), (37, 800, 130), (128, 70, 49), (5, 3, 200)])
def test_gemm_unpacked_b_matches_packed(isa, dtype, rng, shape):
    """Small-m products read a row-major B in place; the result is the packed path's,
    bit for bit (same FMA order), including strided, negative-stride and unaligned B,
    beta, the epilogue and a partial last panel."""
    m, k, n = shape
    a = rng.standard_normal((m, k)).astype(dtype)
    big = rng.standard_normal((k + 1, 2 * n + 3)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    for b in (big[:k, :n], big[1:, 3:3 + n], big[:k, n - 1::-1][:, ::-1], big[k - 1::-1, :n]):
        with _packed_always():
            old = _gemm.set_direct_b_rows(0)
            try:
                packed = lamina.gemm(a, b, c, beta=0.5, bias=bias, activation="relu")
            finally:
                _gemm.set_direct_b_rows(old)
            direct = lamina.gemm(a, b, c, beta=0.5, bias=bias, activation="relu")
        np.testing.assert_array_equal(direct, packed)
        _check(lamina.gemm(a, b), a, b)


@pytest.mark.parametrize("m, k, n", [(64, 64, 64), (17, 33, 49), (9, 100, 16), (8, 7, 47),
                                     (3, 384, 17), (100, 60, 100), (2, 1, 2)])
def test_gemm_direct_tiles_match_packed(isa, dtype, rng, m, k, n):
    """Small products run without packing (A and B read in place, the last vector of a
    row under a mask): bit for bit the packed path's result, for row-major, column-major,
    strided and reversed A, strided and offset B, beta and the epilogue; nothing outside
    C is written and the NaN beside B's columns is never used.  (AVX-512 only: other ISAs
    take the strip loop or the packed path, within rounding of it.)"""
    a0 = rng.standard_normal((m, k)).astype(dtype)
    big_b = np.full((k + 2, n + 5), np.nan, dtype)
    big_b[1:k + 1, 2:n + 2] = rng.standard_normal((k, n))
    b = big_b[1:k + 1, 2:n + 2]
    c0 = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    big_a = rng.standard_normal((2 * m, 2 * k)).astype(dtype)
    for a in (a0, np.asfortranarray(a0), big_a[::2, ::2], big_a[::-2, 1::2]):
        for beta, act in ((0.0, None), (0.5, "relu")):
            with _packed_always():
                packed = lamina.gemm(a, b, c0, beta=beta, bias=bias, activation=act)
            sentinel = np.full((m + 3, n + 4), -7.0, dtype)
            out = sentinel[1:m + 1, 2:n + 2]
            out[...] = c0
            got = lamina.gemm(a, b, out if beta else None, beta=beta, bias=bias,
                              activation=act, out=out)
            assert got is out
            if isa == "avx512":             # the direct tiles (other ISAs: strip loop)
                np.testing.assert_array_equal(out, packed)
            else:
                scale = tol(dtype, k) * (1 + np.abs(packed).max())
                np.testing.assert_allclose(out, packed, rtol=0, atol=scale)
            out[...] = -7.0
            assert np.all(sentinel == -7.0)
    _check(lamina.matmul(a0, b), a0, b)


def test_matmul_fast_path_contract(dtype, rng):
    """lamina.matmul's C-level fast path: the same answer as the general path for views
    and out=, and anything it does not take (mixed dtypes, overlap, read-only or
    non-contiguous out, 1-D and stacked operands) still right or a clear error."""
    a = rng.standard_normal((40, 30)).astype(dtype)
    b = rng.standard_normal((30, 20)).astype(dtype)
    exp = a.astype(np.float64) @ b.astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for x, y in ((a, b), (a[::-1], b[:, ::-1]), (np.asfortranarray(a), b.T.copy().T)):
        got = lamina.matmul(x, y)
        assert got.dtype == dtype and got.flags.c_contiguous
        np.testing.assert_allclose(got, x.astype(np.float64) @ y.astype(np.float64),
                                   rtol=tol, atol=tol)
    out = np.empty((40, 20), dtype)
    assert lamina.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, exp, rtol=tol, atol=tol)
    strided = np.empty((40, 40), dtype)[:, ::2]
    assert lamina.matmul(a, b, out=strided) is strided
    np.testing.assert_allclose(strided, exp, rtol=tol, atol=tol)
    sq = rng.standard_normal((30, 30)).astype(dtype)
    x = sq.copy()
    assert lamina.matmul(x, x, out=x) is x              # out is both inputs
    np.testing.assert_allclose(x, sq.astype(np.float64) @ sq, rtol=tol * 10, atol=tol * 10)
    mixed = lamina.matmul(a, b.astype(np.float64 if dtype == np.float32 else np.float32))
    assert mixed.dtype == np.float64
    ro = np.empty((40, 20), dtype)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        lamina.matmul(a, b, out=ro)
    with pytest.raises(ValueError, match="dtype|shape"):
        lamina.matmul(a, b, out=np.empty((40, 21), dtype))
    with pytest.raises(ValueError, match="core dimension"):
        lamina.matmul(a, a)
    swapped = np.empty((40, 30), dtype).byteswap().view(np.dtype(dtype).newbyteorder())
    swapped[...] = a
    np.testing.assert_allclose(lamina.matmul(swapped, b), exp, rtol=tol, atol=tol)


@pytest.mark.parametrize("m, n", [(1, 300), (300, 1), (1, 1)])
def test_gemm_vector_shapes_take_the_gemv_route(isa, dtype, rng, m, n):
    """A row or column vector operand runs as a GEMV: same contract (alpha, beta == 0
    ignoring NaN in C, the epilogue, out=) and the same result for 1 and 2 threads."""
    k = 2000
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    c = np.full((m, n), np.nan, dtype)
    got = lamina.gemm(a, b, c, alpha=0.5, beta=0.0, bias=bias, activation="relu",
                      n_threads=1)
    expected = np.maximum(0.5 * (a.astype(np.float64) @ b) + bias, 0)
    np.testing.assert_allclose(got, expected, rtol=tol(dtype, k), atol=tol(dtype, k) * 50)
    c2 = rng.standard_normal((m, n)).astype(dtype)
    one = lamina.gemm(a, b, c2, beta=2.0, n_threads=1)
    np.testing.assert_array_equal(one, lamina.gemm(a, b, c2, beta=2.0, n_threads=2))
    _check(one, a, b, beta=2.0, c=c2.astype(np.float64))


@pytest.mark.parametrize("m, k, n, tb", [
    (128, 10, 512, True),      # small k: threads split rows (an output layer's backward)
    (128, 512, 512, True),     # column split
    (128, 784, 512, False),    # k split
    (64, 64, 64, False),       # direct tiles
    (203, 300, 10, False),     # one vector wide
    (9, 20, 7, False),         # strip loop
    (300, 70, 200, False),     # row split
])
def test_gemm_relu_mask_is_product_then_mask(isa, dtype, rng, m, k, n, tb):
    """gemm_relu_mask(a, b, y, out) = (a @ b) * (y > 0) bit for bit, the mask applied in
    the epilogue: 1 and 2 threads, a strided y with NaN and zeros in it (both give 0),
    C- and F-order out, and a y of the wrong shape is refused."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype).T if tb else \
        rng.standard_normal((k, n)).astype(dtype)
    y = rng.standard_normal((m, 2 * n)).astype(dtype)[:, ::2]
    y[0, 0], y[-1, -1] = np.nan, 0.0
    for order in ("C", "F"):
        plain = np.empty((m, n), dtype, order=order)
        _gemm.gemm(1.0, a, b, 0.0, plain, None, 0, 1)
        want = np.where(y > 0, plain, 0).astype(dtype)
        for threads in (1, 2):
            out = np.full((m, n), np.nan, dtype, order=order)
            _gemm.gemm_relu_mask(a, b, y, out, threads)
            np.testing.assert_array_equal(out, want)
    assert want[0, 0] == 0 and want[-1, -1] == 0
    _check(np.where(y > 0, want, plain), a, b)
    with pytest.raises(ValueError, match="y has shape"):
        _gemm.gemm_relu_mask(a, b, y[:-1], out, 1)
    with pytest.raises(ValueError, match="must not overlap y"):
        _gemm.gemm_relu_mask(a, b, y, y, 1)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _gemm.gemm_relu_mask(a[:0], b[:-1], y[:0], out[:0], 1)
    with pytest.raises(ValueError, match="unknown activation code"):
        _gemm.gemm(1.0, a, b, 0.0, out, None, 5, 1)    # the mask code needs its y


@pytest.mark.parametrize("m, k, n", [(128, 10, 512), (256, 4, 256), (64, 64, 512)])
def test_gemm_small_k_threads_bitwise_identical(dtype, rng, m, k, n):
    """Small-k products with a large C take two threads whatever their flop count (rows
    split for k <= 16): the result is the one-thread one bit for bit."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype).T
    one = lamina.gemm(a, b, n_threads=1)
    two = lamina.gemm(a, b, n_threads=2)
    assert _runtime.last_team_size() == 2
    np.testing.assert_array_equal(one, two)
    _check(two, a, b)
