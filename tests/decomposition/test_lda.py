"""LinearDiscriminantAnalysis against scikit-learn (digits and dense random)."""

import numpy as np
import pytest

import lamina
from lamina.decomposition import LinearDiscriminantAnalysis as LDA
from lamina.decomposition import ledoit_wolf

sk_da = pytest.importorskip("sklearn.discriminant_analysis")


def _digits():
    d = lamina.datasets.load_digits()
    return d.data, d.target


def _blobs(n=300, p=8, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centers = rng.standard_normal((classes, p)) * 2
    A = rng.standard_normal((p, p))
    return rng.standard_normal((n, p)) @ A + centers[y], y


SETTINGS = [
    dict(solver="svd"),
    dict(solver="eigen", shrinkage="auto"),
    dict(solver="eigen", shrinkage=0.3),
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_digits_predictions_identical(setting):
    X, y = _digits()
    ours = LDA(**setting).fit(X, y)
    ref = sk_da.LinearDiscriminantAnalysis(**setting).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.score(X, y) == ref.score(X, y)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-6, atol=1e-10)
    t, tr = ours.transform(X), ref.transform(X)
    assert t.shape == tr.shape == (X.shape[0], 9)
    np.testing.assert_allclose(np.abs(t), np.abs(tr), rtol=1e-5,
                               atol=1e-7 * np.abs(tr).max())


@pytest.mark.parametrize("setting", SETTINGS + [dict(solver="eigen")])
@pytest.mark.parametrize("classes", [2, 4])
def test_dense_random_matches_sklearn(setting, classes):
    X, y = _blobs(classes=classes)
    Xn, _ = _blobs(60, classes=classes, seed=3)
    ours = LDA(**setting).fit(X, y)
    ref = sk_da.LinearDiscriminantAnalysis(**setting).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.decision_function(Xn), ref.decision_function(Xn),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(Xn), ref.predict(Xn))
    # where the probability is representable (scikit-learn's binary case clamps
    # log(0) at log(tiny); ours stays exact there)
    lp, lr = ours.predict_log_proba(Xn), ref.predict_log_proba(Xn)
    keep = lr > -15
    np.testing.assert_allclose(lp[keep], lr[keep], rtol=1e-6, atol=1e-8)
    assert np.all(lp[~keep] < -14)
    np.testing.assert_allclose(np.abs(ours.transform(Xn)), np.abs(ref.transform(Xn)),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.means_, ref.means_)
    np.testing.assert_allclose(ours.priors_, ref.priors_)


def test_ledoit_wolf_matches_sklearn():
    from sklearn.covariance import ledoit_wolf as sk_lw

    X = np.random.default_rng(0).standard_normal((40, 12)) @ np.diag(np.arange(1, 13))
    cov, s = ledoit_wolf(X)
    ref_cov, ref_s = sk_lw(X)
    assert s == pytest.approx(ref_s, rel=1e-10)
    np.testing.assert_allclose(cov, ref_cov, rtol=1e-10)


def test_priors_n_components_and_float32():
    X, y = _blobs(classes=4)
    ours = LDA(priors=[0.1, 0.2, 0.3, 0.4], n_components=2).fit(X, y)
    ref = sk_da.LinearDiscriminantAnalysis(priors=[0.1, 0.2, 0.3, 0.4], n_components=2)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    assert ours.transform(X).shape == (300, 2)
    m32 = LDA(solver="eigen", shrinkage="auto").fit(X.astype(np.float32), y)
    assert m32.coef_.dtype == np.float32 and m32.transform(X.astype(np.float32)).dtype \
        == np.float32
    assert m32.score(X.astype(np.float32), y) == pytest.approx(ours.score(X, y), abs=0.02)
    labels = np.array(["a", "b", "c", "d"])[y]
    assert set(LDA().fit(X, labels).predict(X)) <= set(labels)


def test_bad_input():
    X, y = _blobs(classes=3)
    with pytest.raises(ValueError, match="cannot be larger"):
        LDA(n_components=3).fit(X, y)
    with pytest.raises(NotImplementedError, match="shrinkage"):
        LDA(solver="svd", shrinkage="auto").fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        LDA(solver="lsqr").fit(X, y)
    with pytest.raises(ValueError, match="shrinkage"):
        LDA(solver="eigen", shrinkage=1.5).fit(X, y)
    with pytest.raises(ValueError, match="2 classes"):
        LDA().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="one label per sample"):
        LDA().fit(X, y[:-1])
    with pytest.warns(UserWarning, match="Renormalizing"):
        LDA(priors=[1.0, 1.0, 2.0]).fit(X, y)
    with pytest.raises(lamina.LinAlgError):
        # a constant feature makes the within-class covariance singular
        Xs = X.copy()
        Xs[:, 0] = 1.0
        LDA(solver="eigen").fit(Xs, y)
