"""PCA, TruncatedSVD and low_rank_approximation against scikit-learn / NumPy."""

import numpy as np
import pytest

import lamina
from lamina.decomposition import PCA, TruncatedSVD, low_rank_approximation, svd_flip

sk_decomp = pytest.importorskip("sklearn.decomposition")
sp = pytest.importorskip("scipy.sparse")


def _dense(shape=(300, 40), seed=0):
    rng = np.random.default_rng(seed)
    # decaying spectrum: well separated singular values
    return rng.standard_normal(shape) @ np.diag(np.geomspace(10, 0.1, shape[1])) + 2.0


def _digits():
    return lamina.datasets.load_digits().data


DATA = {"dense": _dense, "wide": lambda: _dense((40, 90), 1), "digits": _digits}


def _assert_same_pca(ours, ref, k):
    np.testing.assert_allclose(ours.explained_variance_[:k], ref.explained_variance_[:k],
                               rtol=1e-6)
    np.testing.assert_allclose(ours.explained_variance_ratio_[:k],
                               ref.explained_variance_ratio_[:k], rtol=1e-6)
    np.testing.assert_allclose(ours.singular_values_[:k], ref.singular_values_[:k],
                               rtol=1e-6)
    # equal up to sign; with svd_flip both sides pick the same sign
    a, b = ours.components_[:k], ref.components_[:k]
    signs = np.sign(np.sum(a * b, axis=1))
    np.testing.assert_allclose(a * signs[:, None], b, atol=1e-6)
    assert np.all(signs == 1)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
def test_pca_matches_sklearn(data, solver):
    X = DATA[data]()
    k = 10
    kw = dict(n_components=k, svd_solver=solver, random_state=0)
    if solver == "randomized":
        kw["iterated_power"] = 12          # converge fully: compare against the exact model
    ours = PCA(**kw).fit(X)
    ref = sk_decomp.PCA(**kw).fit(X)
    if data == "digits" or solver != "randomized":
        _assert_same_pca(ours, ref, k)
    assert ours.noise_variance_ == pytest.approx(ref.noise_variance_, rel=1e-6)
    np.testing.assert_allclose(np.abs(ours.transform(X)), np.abs(ref.transform(X)),
                               rtol=1e-6, atol=1e-6 * np.abs(ref.transform(X)).max())


@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
def test_pca_all_components_and_variance_fraction(solver):
    X = _dense((200, 15))
    ours = PCA(svd_solver=solver).fit(X)
    ref = sk_decomp.PCA(svd_solver=solver).fit(X)
    assert ours.n_components_ == ref.n_components_ == 15
    _assert_same_pca(ours, ref, 15)
    assert ours.noise_variance_ == 0.0
    ours = PCA(0.9, svd_solver=solver).fit(X)
    ref = sk_decomp.PCA(0.9, svd_solver=solver).fit(X)
    assert ours.n_components_ == ref.n_components_
    _assert_same_pca(ours, ref, ours.n_components_)


@pytest.mark.parametrize("shape", [(600, 50), (300, 40), (510, 100), (40, 90)])
def test_auto_solver_follows_sklearn_rule(shape):
    X = np.random.default_rng(0).standard_normal(shape)
    for k in (5, min(shape) - 1):
        ours = PCA(k, random_state=0).fit(X)
        ref = sk_decomp.PCA(k, random_state=0).fit(X)
        assert ours._fit_svd_solver == ref._fit_svd_solver


def test_pca_randomized_reconstruction_error_like_sklearn():
    X = _dense((400, 120))
    k = 8
    ours = PCA(k, svd_solver="randomized", random_state=0).fit(X)
    ref = sk_decomp.PCA(k, svd_solver="randomized", random_state=0).fit(X)

    def err(model):
        back = model.inverse_transform(model.transform(X))
        return np.linalg.norm(X - back) / np.linalg.norm(X - X.mean(0))

    assert err(ours) == pytest.approx(err(ref), rel=1e-3)


@pytest.mark.parametrize("whiten", [False, True])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
def test_pca_whiten_inverse_and_scores(whiten, solver):
    X = _dense((250, 20))
    Xn = _dense((30, 20), seed=4)
    ours = PCA(6, whiten=whiten, svd_solver=solver).fit(X)
    ref = sk_decomp.PCA(6, whiten=whiten, svd_solver=solver).fit(X)
    t, tr = ours.transform(Xn), ref.transform(Xn)
    np.testing.assert_allclose(np.abs(t), np.abs(tr), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.inverse_transform(tr), ref.inverse_transform(tr),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.get_covariance(), ref.get_covariance(), rtol=1e-6,
                               atol=1e-10)
    np.testing.assert_allclose(ours.get_precision(), ref.get_precision(), rtol=1e-6,
                               atol=1e-10)
    np.testing.assert_allclose(ours.score_samples(Xn), ref.score_samples(Xn), rtol=1e-8)
    assert ours.score(Xn) == pytest.approx(ref.score(Xn), rel=1e-8)
    np.testing.assert_allclose(np.abs(ours.fit_transform(X)), np.abs(ref.fit_transform(X)),
                               rtol=1e-6, atol=1e-9)


def test_pca_score_with_all_components():
    X = _dense((100, 6))
    ours = PCA(svd_solver="full").fit(X)
    ref = sk_decomp.PCA(svd_solver="full").fit(X)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-8)


def test_pca_float32_and_bad_input():
    X = _dense((100, 12)).astype(np.float32)
    for solver in ("full", "covariance_eigh", "randomized"):
        m = PCA(3, svd_solver=solver, random_state=0).fit(X)
        assert m.components_.dtype == np.float32
        assert m.transform(X).dtype == np.float32
        assert m.inverse_transform(m.transform(X)).dtype == np.float32
    with pytest.raises(ValueError, match="between 1 and min"):
        PCA(13).fit(X)
    with pytest.raises(ValueError, match="between 1 and min"):
        PCA(0).fit(X)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        PCA(1.5).fit(X)
    with pytest.raises(ValueError, match="svd_solver"):
        PCA(2, svd_solver="arpack").fit(X)
    with pytest.raises(TypeError, match="TruncatedSVD"):
        PCA(2).fit(sp.random(10, 5, density=0.5, format="csr"))
    m = PCA(2).fit(X)
    with pytest.raises(ValueError, match="11 features, but PCA is expecting 12"):
        m.transform(X[:, :11])


def test_svd_flip_matches_sklearn():
    from sklearn.utils.extmath import svd_flip as sk_flip

    rng = np.random.default_rng(0)
    u, v = rng.standard_normal((7, 4)), rng.standard_normal((4, 6))
    for based in (False, True):
        a = svd_flip(u.copy(), v.copy(), u_based_decision=based)
        b = sk_flip(u.copy(), v.copy(), u_based_decision=based)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("kind", ["dense", "digits", "sparse"])
def test_truncated_svd_matches_sklearn(kind):
    if kind == "sparse":
        X = sp.random(400, 150, density=0.05, format="csr", random_state=0)
    elif kind == "digits":
        X = _digits()
    else:
        X = np.abs(_dense((300, 60)))
    k = 6
    ours = TruncatedSVD(k, random_state=0).fit(X)
    ref = sk_decomp.TruncatedSVD(k, random_state=0).fit(X)
    Xt, Xr = ours.transform(X), ref.transform(X)

    def rel_err(model, T):
        dense = X.toarray() if sp.issparse(X) else X
        return np.linalg.norm(dense - model.inverse_transform(T)) / np.linalg.norm(dense)

    assert rel_err(ours, Xt) == pytest.approx(rel_err(ref, Xr), rel=1e-3)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-2)
    np.testing.assert_allclose(ours.explained_variance_ratio_.sum(),
                               ref.explained_variance_ratio_.sum(), rtol=1e-2)
    assert Xt.shape == (X.shape[0], k)
    np.testing.assert_allclose(ours.fit_transform(X), Xt, rtol=1e-10, atol=1e-12)


def test_truncated_svd_exact_on_low_rank_sparse_and_float32():
    rng = np.random.default_rng(0)
    dense = rng.random((200, 4)) @ rng.random((4, 80))
    dense[dense < 1.0] = 0
    X = sp.csr_array(dense)
    ours = TruncatedSVD(5, n_iter=10, random_state=0).fit(X)
    exact = np.linalg.svd(dense, compute_uv=False)[:5]
    np.testing.assert_allclose(ours.singular_values_, exact, rtol=1e-6)
    m32 = TruncatedSVD(3, random_state=0).fit(dense.astype(np.float32))
    assert m32.components_.dtype == np.float32
    assert m32.transform(sp.csr_array(dense.astype(np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match="n_components"):
        TruncatedSVD(81).fit(dense)


@pytest.mark.parametrize("method", ["full", "randomized"])
def test_low_rank_approximation(method):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((60, 50))
    approx, err = low_rank_approximation(img, 10, method=method, random_state=0)
    s = np.linalg.svd(img, compute_uv=False)
    best = np.sqrt(np.sum(s[10:] ** 2) / np.sum(s ** 2))
    assert err >= best * (1 - 1e-10)
    assert err == pytest.approx(best, rel=1e-10 if method == "full" else 0.05)
    assert err == pytest.approx(np.linalg.norm(img - approx) / np.linalg.norm(img), rel=1e-10)
    approx32, _ = low_rank_approximation(img.astype(np.float32), 5)
    assert approx32.dtype == np.float32
    with pytest.raises(ValueError, match="rank"):
        low_rank_approximation(img, 0)
    with pytest.raises(ValueError, match="rank"):
        low_rank_approximation(img, 51)
    with pytest.raises(ValueError, match="NaN"):
        low_rank_approximation(np.full((3, 3), np.nan), 1)
