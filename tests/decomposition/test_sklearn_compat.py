"""lamina's estimators inside scikit-learn: clone, Pipeline, GridSearchCV, pickling, and
check_decomposition for every registered core estimator."""

import pickle

import numpy as np
import pytest

import lamina
from lamina.decomposition import (
    ALS,
    NMF,
    PCA,
    LinearDiscriminantAnalysis,
    TruncatedSVD,
)
from lamina.testing import check_decomposition

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402

CORE = {
    "pca": (PCA, {}),
    "truncated_svd": (TruncatedSVD, {}),
    "nmf": (NMF, dict(n_components=2, init="nndsvda", tol=1e-8, max_iter=3000)),
    "lda": (LinearDiscriminantAnalysis, {}),
    "als": (ALS, {}),
}


def _digits(n=300):
    d = lamina.datasets.load_digits()
    return d.data[:n], d.target[:n]


def test_registry_lists_the_core_estimators():
    names = lamina.decomposition.available()
    for name, (cls, _) in CORE.items():
        assert name in names
        assert lamina.decomposition.get(name) is cls
        assert lamina.decomposition.get(f"lamina:{name}") is cls
    with pytest.raises(LookupError, match="available decompositions: .*pca"):
        lamina.decomposition.get("svd-of-doom")


@pytest.mark.parametrize("name", list(CORE))
def test_check_decomposition_passes_for_core_estimators(name):
    cls, params = CORE[name]
    extra = dict(params)
    if "n_components" in extra or name in ("pca", "truncated_svd", "lda"):
        extra.setdefault("n_components", 2)
    if "random_state" in cls._get_param_names():
        extra.setdefault("random_state", 0)
    check_decomposition(cls, params=extra).raise_for_failures()


@pytest.mark.parametrize("name", list(CORE))
def test_clone_and_repr(name):
    cls, params = CORE[name]
    est = cls(**params)
    twin = clone(est)
    assert type(twin) is cls and twin is not est
    assert twin.get_params() == est.get_params()
    assert repr(est).startswith(cls.__name__ + "(")
    assert repr(cls()) == f"{cls.__name__}()"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::lamina.ConvergenceWarning")
def test_pipelines_with_sklearn_transformers_and_classifiers():
    from sklearn import decomposition as skd

    X, y = _digits()
    for ours, ref in ((PCA(20, random_state=0), skd.PCA(20, random_state=0)),
                      (TruncatedSVD(20, random_state=0), skd.TruncatedSVD(20, random_state=0)),
                      (NMF(10, init="nndsvda", max_iter=400),
                       skd.NMF(10, init="nndsvda", max_iter=400))):
        scores = [cross_val_score(make_pipeline(MinMaxScaler(), est,
                                                LogisticRegression(max_iter=2000)),
                                  X, y, cv=3).mean() for est in (ours, ref)]
        assert scores[0] == pytest.approx(scores[1], abs=0.02), (ours, scores)
        assert scores[0] > 0.6
    pipe = make_pipeline(StandardScaler(), LinearDiscriminantAnalysis())
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.8
    pipe = make_pipeline(StandardScaler(), LinearDiscriminantAnalysis(n_components=5),
                         LogisticRegression(max_iter=2000))
    assert pipe.fit(X, y).score(X, y) > 0.9
    assert pipe.named_steps["lineardiscriminantanalysis"].n_features_in_ == 64


def test_grid_search_over_lamina_parameters():
    X, y = _digits(300)
    pipe = make_pipeline(StandardScaler(), PCA(random_state=0),
                         LogisticRegression(max_iter=2000))
    grid = GridSearchCV(pipe, {"pca__n_components": [5, 20],
                               "pca__svd_solver": ["full", "covariance_eigh"]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["pca__n_components"] == 20
    assert grid.best_estimator_.named_steps["pca"].n_components_ == 20
    grid = GridSearchCV(LinearDiscriminantAnalysis(solver="eigen"),
                        {"shrinkage": [0.1, "auto"]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pickle_and_dtype_in_pipeline(dtype):
    X, y = _digits()
    X = X.astype(dtype)
    pipe = make_pipeline(PCA(10, random_state=0), LinearDiscriminantAnalysis()).fit(X, y)
    assert pipe[0].transform(X).dtype == dtype
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))
    names = pipe[0].get_feature_names_out()
    assert list(names[:2]) == ["pca0", "pca1"]


def test_set_params_nested_and_errors():
    pipe = make_pipeline(PCA(), LogisticRegression())
    pipe.set_params(pca__n_components=3, pca__whiten=True)
    assert pipe[0].n_components == 3 and pipe[0].whiten is True
    with pytest.raises(ValueError, match="Invalid parameter"):
        PCA().set_params(n_component=3)
    with pytest.raises(lamina.decomposition.NotFittedError):
        PCA().transform(np.ones((2, 2)))
