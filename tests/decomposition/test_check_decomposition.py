"""lamina.testing.check_decomposition: passes lamina's estimators, fails broken ones."""

import numpy as np
import pytest

import lamina.decomposition
from lamina.decomposition._base import BaseDecomposition, check_int, check_random_state
from lamina.testing import DecompositionReport, check_decomposition


class Projection(BaseDecomposition):
    """A minimal correct estimator: a seeded random projection of centered data."""

    def __init__(self, n_components=2, *, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y=None):
        X = self._check_X(X, reset=True)
        k = check_int(self.n_components, "n_components", low=1, high=X.shape[1])
        rng = check_random_state(self.random_state)
        self.mean_ = X.mean(axis=0)
        self.components_ = rng.standard_normal((k, X.shape[1])).astype(X.dtype)
        return self

    def transform(self, X):
        X = self._check_X(X, reset=False)
        return (X - self.mean_) @ self.components_.T


class ConvertsParam(Projection):
    def __init__(self, n_components=2, *, random_state=None):
        self.n_components = n_components + 0.0     # changes the object it was given
        self.random_state = random_state


class Upcasts(Projection):
    def transform(self, X):
        return super().transform(X).astype(np.float64)


class NoFeatureCheck(Projection):
    def transform(self, X):
        X = np.asarray(X, dtype=float)
        return (X[:, :2] - self.mean_[:2]) @ self.components_[:, :2].T


class IgnoresSeed(Projection):
    def fit(self, X, y=None):
        super().fit(X)
        fresh = np.random.default_rng()            # unseeded: differs on every fit
        self.components_ = fresh.standard_normal(self.components_.shape).astype(X.dtype)
        return self


class ModifiesInput(Projection):
    def fit(self, X, y=None):
        X -= X.mean(axis=0)          # in place on the caller's array
        return super().fit(X)


class AcceptsNaN(Projection):
    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.mean_ = np.nanmean(X, axis=0)
        k = self.n_components
        if k < 1:
            raise ValueError("n_components")
        self.components_ = check_random_state(self.random_state).standard_normal(
            (k, X.shape[1]))
        return self


class SetParamsCopies(Projection):
    def set_params(self, **params):
        super().set_params(**{k: (v + 0.0 if isinstance(v, int) else v)
                              for k, v in params.items()})
        return self


def test_correct_toy_passes():
    report = check_decomposition(Projection)
    assert isinstance(report, DecompositionReport)
    report.raise_for_failures()
    assert "pickle" in report.passed and "clone" in report.passed
    assert report.skipped == {"inverse_transform": "no inverse_transform method"}


@pytest.mark.parametrize(("cls", "check"), [
    (ConvertsParam, "init_stores_params"),
    (Upcasts, "dtypes"),
    (NoFeatureCheck, "bad_input"),
    (IgnoresSeed, "determinism"),
    (ModifiesInput, "fit"),
    (AcceptsNaN, "bad_input"),
    (SetParamsCopies, "set_params"),
])
def test_broken_estimators_fail(cls, check):
    report = check_decomposition(cls)
    assert not report.ok
    assert check in report.failures, str(report)
    with pytest.raises(AssertionError, match=check):
        report.raise_for_failures()


def test_lookup_by_name_and_errors():
    report = check_decomposition("als")
    assert report.ok, str(report)
    with pytest.raises(LookupError, match="available decompositions"):
        check_decomposition("no-such-estimator")
    with pytest.raises(TypeError):
        check_decomposition(42)


@pytest.mark.parametrize("name", ["nmf", "als"])
def test_core_estimators_pass(name):
    cls = lamina.decomposition.get(name)
    params = {"nmf": dict(n_components=2, init="random", random_state=0, tol=1e-8,
                          max_iter=2000)}.get(name)
    check_decomposition(cls, params=params).raise_for_failures()

