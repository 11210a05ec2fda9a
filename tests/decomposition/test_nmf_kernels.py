"""The fused NMF kernels (lamina._kernels._nmf) against a NumPy / scikit-learn oracle of
one iteration, for every ISA, both dtypes, odd shapes and several thread counts."""

import numpy as np
import pytest

from lamina._kernels import _nmf, _runtime
from lamina.decomposition._nmf import EPSILON, _Frobenius

_cdnmf = pytest.importorskip("sklearn.decomposition._cdnmf_fast")

# (n_samples, n_features, n_components): tails in every direction (row blocks, 16-row
# groups, 8-row tiles, column panels), several row chunks, and k above the vectorized
# row kernels' limit (128), which takes the scalar row path.
SHAPES = [(601, 53, 7), (70, 33, 20), (40, 300, 3), (1, 5, 1), (50, 140, 130)]


def _problem(shape, dtype, seed=0):
    n, m, k = shape
    rng = np.random.default_rng(seed)
    X = np.abs(rng.standard_normal((n, m))).astype(dtype)
    W = (np.abs(rng.standard_normal((n, k))) * 0.3).astype(dtype)
    H = (np.abs(rng.standard_normal((k, m))) * 0.3).astype(dtype)
    W[rng.random(W.shape) < 0.1] = 0       # exercise the projected gradient at W = 0
    return X, W, H


def _reference_step(X, W, H, cd, perm_W, perm_H, l1_W, l1_H, l2_W, l2_H):
    """One iteration of scikit-learn's cd / mu (Frobenius) in float64."""
    X, W, H = (a.astype(np.float64) for a in (X, W, H))
    k = W.shape[1]
    eye = np.eye(k)
    if cd:
        W = W.copy()
        v = _cdnmf._update_cdnmf_fast(W, H @ H.T + l2_W * eye, X @ H.T - l1_W, perm_W)
        Ht = np.ascontiguousarray(H.T)
        v += _cdnmf._update_cdnmf_fast(Ht, W.T @ W + l2_H * eye, X.T @ W - l1_H, perm_H)
        return W, Ht.T, v
    den = W @ (H @ H.T) + l1_W + l2_W * W
    den[den == 0] = EPSILON
    W = W * ((X @ H.T) / den)
    den = (W.T @ W) @ H + l1_H + l2_H * H
    den[den == 0] = EPSILON
    H = H * ((W.T @ X) / den)
    return W, H, 0.0


@pytest.fixture(params=["rows", "columns"])
def orientation(request, monkeypatch):
    """The pass along the rows of X, or (X wider than tall) along its columns."""
    if request.param == "columns":
        monkeypatch.setattr(_Frobenius, "CACHE_PARTIAL_BYTES", 0)
    return request.param


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("cd", [True, False], ids=["cd", "mu"])
@pytest.mark.parametrize("penalty", [(0.0, 0.0, 0.0, 0.0), (0.3, 0.1, 0.5, 0.2)],
                         ids=["plain", "regularized"])
def test_iteration_matches_reference(isa, dtype, shape, cd, penalty, orientation):
    X, W, H = _problem(shape, dtype)
    k = shape[2]
    rng = np.random.default_rng(1)
    perm_W = rng.permutation(k).astype(np.intp)
    perm_H = rng.permutation(k).astype(np.intp)
    solver = _Frobenius(X, W, H, True, 1)
    assert solver.by_columns == (orientation == "columns" and shape[1] > shape[0])
    Wr, Hr, vr = W, H, 0.0
    for _ in range(2):          # the second iteration uses the partial sums of the first
        violation = solver.step(cd, perm_W, perm_H, *penalty)
        Wr, Hr, vr = _reference_step(X, Wr, Hr, cd, perm_W, perm_H, *penalty)
    W1, H1 = solver.factors()
    assert W1.dtype == dtype and H1.dtype == dtype
    assert W1.shape == W.shape and H1.shape == H.shape
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(W1, Wr, rtol=rtol, atol=rtol * np.abs(Wr).max())
    np.testing.assert_allclose(H1, Hr, rtol=rtol, atol=rtol * np.abs(Hr).max())
    assert violation == pytest.approx(vr, rel=rtol, abs=rtol)
    # the zero padding of the factor buffers stays zero
    assert not solver.Wp[:, k:].any() and not solver.Hp[:, k:].any()


@pytest.mark.parametrize("cd", [True, False], ids=["cd", "mu"])
def test_results_do_not_depend_on_thread_count(isa, dtype, cd, orientation):
    shape = (1100, 500, 9) if orientation == "rows" else (300, 3000, 9)
    X, W, H = _problem(shape, dtype, seed=2)
    perm = np.arange(9, dtype=np.intp)
    results = []
    for threads in (1, 2, 3):
        solver = _Frobenius(X, W, H, True, threads)
        assert solver.scratch.shape[0] > 1          # several row chunks
        v = [solver.step(cd, perm, perm, 0.01, 0.0, 0.0, 0.02) for _ in range(3)]
        if _runtime.openmp_enabled():
            assert _runtime.last_team_size() == min(threads, solver.scratch.shape[0])
        results.append((*solver.factors(), v))
    for W1, H1, v in results[1:]:
        np.testing.assert_array_equal(W1, results[0][0])
        np.testing.assert_array_equal(H1, results[0][1])
        assert v == results[0][2]


def test_transform_step_leaves_H_alone(dtype):
    X, W, H = _problem((90, 40, 6), dtype, seed=3)
    solver = _Frobenius(X, W, H, False, 1)
    perm = np.arange(6, dtype=np.intp)
    solver.step(True, perm, perm, 0.0, 0.0, 0.0, 0.0)
    W1, H1 = solver.factors()
    np.testing.assert_array_equal(H1, H)
    Wr = W.astype(np.float64)
    _cdnmf._update_cdnmf_fast(Wr, (H @ H.T).astype(np.float64), (X @ H.T).astype(np.float64),
                              perm)
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(W1, Wr, rtol=rtol, atol=rtol * np.abs(Wr).max())


def test_pass_without_accumulation_updates_w_alike(isa, dtype):
    X, W, H = _problem((300, 70, 5), dtype, seed=5)
    perm = np.arange(5, dtype=np.intp)
    a = _Frobenius(X, W, H, True, 1)
    b = _Frobenius(X, W, H, True, 1)
    G = np.ascontiguousarray(a.gram_H[:5, :5])
    va = _nmf.fused_pass(a.X, a.Wp, a.Hp, G, perm, a.partial, a.scratch, a.viol_W, True,
                         0.1, 0.0, 1.0, EPSILON, True, 2)
    vb = _nmf.fused_pass(b.X, b.Wp, b.Hp, G, perm, b.partial[:0], b.scratch, b.viol_W,
                         True, 0.1, 0.0, 1.0, EPSILON, False, 2)
    np.testing.assert_array_equal(a.Wp, b.Wp)
    assert va == vb


def test_xh_product(isa, dtype):
    X, W, H = _problem((150, 41, 5), dtype, seed=6)
    s = _Frobenius(X, W, H, False, 2)
    np.testing.assert_allclose(s.XHt[:, :5], X.astype(np.float64) @ H.T,
                               rtol=1e-4 if dtype == np.float32 else 1e-12)
    assert not s.XHt[:, 5:].any()


def test_gram(isa, dtype):
    F = np.random.default_rng(4).standard_normal((37, 16 if dtype == np.float32 else 8))
    F = F.astype(dtype)
    out = np.full((F.shape[1], F.shape[1]), np.nan, dtype)
    _nmf.gram(F, out)
    np.testing.assert_allclose(out, F.T.astype(np.float64) @ F,
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    np.testing.assert_array_equal(out, out.T)
    _nmf.gram(F[:0], out)
    assert not out.any()


def test_kernels_reject_inconsistent_shapes():
    X, W, H = _problem((20, 10, 3), np.float64)
    s = _Frobenius(X, W, H, True, 1)
    G = np.eye(3)
    perm = np.arange(3, dtype=np.intp)
    with pytest.raises(ValueError, match="inconsistent"):
        _nmf.fused_pass(X[:, :9].copy(), s.Wp, s.Hp, G, perm, s.partial, s.scratch,
                        s.viol_W, True, 0, 0, 1, EPSILON, True, 1)
    with pytest.raises(ValueError, match="partial"):
        _nmf.fused_pass(X, s.Wp, s.Hp, G, perm, s.partial[:, :10], s.scratch, s.viol_W,
                        True, 0, 0, 1, EPSILON, True, 1)
    with pytest.raises(ValueError, match="permutation"):
        _nmf.fused_pass(X, s.Wp, s.Hp, G, np.array([0, 1, 3], dtype=np.intp), s.partial,
                        s.scratch, s.viol_W, True, 0, 0, 1, EPSILON, True, 1)
    with pytest.raises(ValueError, match="inconsistent"):
        _nmf.update_rows(s.Hp, np.eye(4), s.partial, perm, s.viol_H, True, 0, 0, 1,
                         EPSILON, 1)
    with pytest.raises(ValueError, match="out"):
        _nmf.gram(s.Hp, np.empty((3, 3)))
