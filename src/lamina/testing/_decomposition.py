"""``check_decomposition``: the scikit-learn style estimator contract, checked without
scikit-learn.

Each check fits small problems and records a message when the estimator breaks the
contract; nothing is skipped silently (a check that does not apply, e.g.
``inverse_transform`` on a model without one, is listed under ``skipped`` with why).
"""

import dataclasses
import inspect
import pickle
import warnings

import numpy as np

from lamina.testing._report import CheckFailed, FailureReport, require

__all__ = ["DecompositionReport", "check_decomposition"]

#: constructor parameters that set the size of the model
SIZE_PARAMS = ("n_components", "n_factors", "rank")


@dataclasses.dataclass
class DecompositionReport(FailureReport):
    """What :func:`check_decomposition` found.

    Attributes
    ----------
    estimator : str
        The class checked.
    passed : list of str
        Checks that passed.
    failures : dict
        Check -> message, for each failed check.
    skipped : dict
        Check -> reason it does not apply.
    """

    estimator: str
    passed: list
    failures: dict
    skipped: dict

    def __str__(self):
        lines = [f"conformance of estimator {self.estimator}: {len(self.passed)} passed, "
                 f"{len(self.failures)} failed, {len(self.skipped)} skipped"]
        for name, msg in self.failures.items():
            lines.append(f"  FAILED {name}: {msg}")
        for name, why in self.skipped.items():
            lines.append(f"  skipped {name}: {why}")
        return "\n".join(lines)



def _init_params(cls):
    sig = inspect.signature(cls.__init__).parameters
    return [p for p in sig.values() if p.name != "self"
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def _learned(est):
    """The estimator's learned float arrays (public attributes ending in one underscore)."""
    out = {}
    for k, v in vars(est).items():
        if k.endswith("_") and not k.startswith("_") and isinstance(v, np.ndarray) \
                and v.dtype.kind == "f":
            out[k] = v
    return out


def _outputs(est, X, y):
    """What a fitted estimator produces for X: transform (else predict), as one array."""
    if hasattr(est, "transform"):
        return np.asarray(est.transform(X))
    if hasattr(est, "predict") and y is not None:
        return np.asarray(est.predict(X))
    learned = _learned(est)
    require(learned, "the fitted estimator exposes no learned float array attribute "
                      "(names ending in '_') and has no transform")
    return learned[sorted(learned)[0]]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # ConvergenceWarning on tiny problems is fine
        return est.fit(X) if y is None else est.fit(X, y)


def _same(a, b, rtol):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-30)
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def _default_data(kind, shape, seed=0):
    rng = np.random.default_rng(seed)
    n, p = shape
    if kind == "classifier":
        y = np.arange(n) % 3
        X = rng.random((n, p)) + y[:, None] * 0.5 * (np.arange(p) % 2)
        return X, y
    # non-negative, rank-deficient-free data: fits NMF as well as PCA/SVD-type models
    return rng.random((n, p)) + 0.1, None


def check_decomposition(cls, *, params=None, X=None, y=None, rtol=1e-6):
    """Check that an estimator class follows lamina's (scikit-learn's) estimator contract.

    Checks: the constructor stores its parameters unchanged; ``get_params`` /
    ``set_params`` round trip (and reject an unknown name); a clone rebuilt from
    ``get_params`` fits to the same result; ``repr``; use before ``fit`` raises; ``fit``
    returns ``self`` and sets ``n_features_in_``; ``transform`` / ``fit_transform`` shapes
    and agreement; float32 stays float32 and float64 stays float64 (outputs and learned
    arrays); ``inverse_transform`` shape and dtype where defined; NaN input, a wrong
    feature count, 1-D input, complex input, a size parameter of 0, and (for estimators
    that declare ``_positive_only``) negative input raise; fits with the same
    ``random_state`` agree; the input is not modified; a pickled fitted estimator gives
    the same output.

    Parameters
    ----------
    cls : type or str
        The estimator class, or its name under the ``lamina.decompositions`` entry
        points (then looked up with :func:`lamina.decomposition.get`).
    params : dict, optional
        Constructor arguments for the checks (default: ``n_components=2`` or the
        class's size parameter, and ``random_state=0`` when the class takes them).
    X : array_like, optional
        Training data (default: a 40 x 6 non-negative random matrix, which suits
        PCA/SVD/NMF-type models; classifiers also get 3-class labels).  Pass a higher-
        dimensional array for tensor models; the feature axis is axis 1.
    y : array_like, optional
        Targets, for supervised models.
    rtol : float
        Relative tolerance (to the largest magnitude) for results that must agree.

    Returns
    -------
    DecompositionReport
        ``report.ok``; ``report.raise_for_failures()`` inside a test.

    Examples
    --------
    >>> import lamina.testing
    >>> report = lamina.testing.check_decomposition("pca")
    >>> report.ok, report.failures
    (True, {})
    """
    if isinstance(cls, str):
        from lamina.decomposition import get

        cls = get(cls)
    if not isinstance(cls, type):
        raise TypeError(f"cls must be an estimator class or a registered name, got "
                        f"{type(cls).__name__}")
    init = _init_params(cls)
    names = [p.name for p in init]
    params = dict(params or {})
    size_param = next((n for n in SIZE_PARAMS if n in names), None)
    if size_param and size_param not in params:
        params[size_param] = 2
    if "random_state" in names and "random_state" not in params:
        params["random_state"] = 0
    kind = getattr(cls, "_estimator_type", "transformer")
    if X is None:
        X, y0 = _default_data(kind, (40, 6))
        if y is None:
            y = y0
    X = np.asarray(X) if not hasattr(X, "tocsr") else X
    report = DecompositionReport(cls.__name__, [], {}, {})

    def run(name, fn):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outcome = fn()
        except CheckFailed as exc:
            report.failures[name] = str(exc)
            return
        except Exception as exc:  # any other error is a failure of that check
            report.failures[name] = f"raised {type(exc).__name__}: {exc}"
            return
        if isinstance(outcome, str):
            report.skipped[name] = outcome
        else:
            report.passed.append(name)

    def make(**extra):
        return cls(**{**params, **extra})

    def dense():
        return not hasattr(X, "tocsr")

    def check_init():
        est = make()
        for k, v in params.items():
            require(hasattr(est, k), f"__init__ did not store parameter {k!r}")
            require(getattr(est, k) is v, f"__init__ changed parameter {k!r}: got "
                     f"{getattr(est, k)!r} for {v!r} (store arguments unchanged; "
                     f"validate in fit)")
        fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
        require(not fitted, f"__init__ set learned attributes {fitted}")

    def check_get_params():
        est = make()
        got = est.get_params(deep=False)
        require(set(got) == set(names), f"get_params keys {sorted(got)} differ from the "
                 f"__init__ parameters {sorted(names)}")
        for k, v in params.items():
            require(got[k] is v, f"get_params()[{k!r}] is not the value given")

    def check_set_params():
        est = make()
        got = est.get_params(deep=False)
        require(est.set_params(**got) is est, "set_params must return self")
        for k in names:
            require(getattr(est, k) is got[k], f"set_params round trip changed {k!r}")
        if size_param:
            est.set_params(**{size_param: 3})
            require(est.get_params()[size_param] == 3, f"set_params({size_param}=3) "
                     f"was not visible in get_params")
        try:
            est.set_params(no_such_parameter_xyz=1)
        except ValueError:
            pass
        else:
            raise CheckFailed("set_params accepted an unknown parameter name")

    def check_repr():
        text = repr(make())
        require(isinstance(text, str) and text.startswith(cls.__name__ + "("),
                 f"repr should read '{cls.__name__}(...)', got {text!r}")

    def check_not_fitted():
        est = make()
        methods = ("transform", "predict") if kind == "classifier" else ("transform",)
        method = next((m for m in methods if hasattr(est, m)), None)
        if method is None:
            return "no transform method"
        try:
            getattr(est, method)(X)
        except (ValueError, AttributeError):
            return None
        raise CheckFailed(f"{method} before fit did not raise (expected NotFittedError, "
                           f"a ValueError/AttributeError)")

    def check_fit():
        est = make()
        X0 = X.copy()
        require(_fit(est, X, y) is est, "fit must return self")
        if dense():
            require(np.array_equal(X, X0, equal_nan=True), "fit modified its input X")
        require(getattr(est, "n_features_in_", None) == X.shape[1],
                 f"n_features_in_ is {getattr(est, 'n_features_in_', None)!r}, expected "
                 f"{X.shape[1]}")

    def check_transform():
        est = make()
        if not hasattr(est, "transform"):
            return "no transform method"
        _fit(est, X, y)
        X0 = X.copy()
        t1 = np.asarray(est.transform(X))
        if dense():
            require(np.array_equal(X, X0), "transform modified its input X")
        require(t1.ndim >= 2 and t1.shape[0] == X.shape[0],
                 f"transform returned shape {t1.shape} for {X.shape[0]} samples")
        if size_param and t1.ndim == 2 and isinstance(params[size_param], int):
            require(t1.shape[1] <= params[size_param], f"transform returned {t1.shape[1]} "
                     f"columns for {size_param}={params[size_param]}")
        require(np.isfinite(t1).all(), "transform returned NaN or Inf")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t2 = np.asarray(make().fit_transform(X) if y is None else make().fit_transform(X, y))
        require(t2.shape == t1.shape, f"fit_transform shape {t2.shape} differs from "
                 f"fit().transform() shape {t1.shape}")
        require(_same(np.abs(t2), np.abs(t1), 1e-3),
                 "fit_transform(X) and fit(X).transform(X) disagree (beyond sign)")

    def check_dtypes():
        if not dense():
            return "sparse training data"
        for dt in (np.float32, np.float64):
            Xd = X.astype(dt)
            est = make()
            _fit(est, Xd, y)
            for k, v in _learned(est).items():
                if v.ndim >= 1 and v.size > 1 and k not in ("classes_",):
                    require(v.dtype == dt, f"fitting {np.dtype(dt).name} data gave "
                             f"{k} of dtype {v.dtype}")
            if hasattr(est, "transform"):
                t = np.asarray(est.transform(Xd))
                require(t.dtype == dt, f"transform of {np.dtype(dt).name} data returned "
                         f"{t.dtype}")
        return None

    def check_inverse():
        est = make()
        if not hasattr(est, "inverse_transform"):
            return "no inverse_transform method"
        _fit(est, X, y)
        t = est.transform(X)
        back = np.asarray(est.inverse_transform(t))
        require(back.shape == X.shape, f"inverse_transform returned shape {back.shape}, "
                 f"expected {X.shape}")
        require(back.dtype == np.asarray(t).dtype, f"inverse_transform changed the dtype "
                 f"{np.asarray(t).dtype} to {back.dtype}")
        if dense():
            err = np.sqrt(np.sum((back - X) ** 2) / max(np.sum(X.astype(float) ** 2), 1e-300))
            require(err < 1.0, f"inverse_transform(transform(X)) is further from X than "
                     f"zero is (relative error {err:.3g})")

    def expect_raise(fn, excs, what):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn()
        except excs:
            return
        except Exception as exc:
            raise CheckFailed(f"{what} raised {type(exc).__name__} ({exc}); expected "
                               f"{' or '.join(e.__name__ for e in excs)}") from None
        raise CheckFailed(f"{what} did not raise")

    def check_bad_input():
        if not dense():
            return "sparse training data"
        bad = X.astype(np.float64).copy()
        bad.flat[0] = np.nan
        expect_raise(lambda: _fit(make(), bad, y), (ValueError,), "fit on data with NaN")
        expect_raise(lambda: _fit(make(), X.reshape(-1)[:X.shape[0]], y),
                     (ValueError,), "fit on 1-D data")
        expect_raise(lambda: _fit(make(), X.astype(np.complex128), y), (TypeError, ValueError),
                     "fit on complex data")
        if size_param:
            expect_raise(lambda: _fit(make(**{size_param: 0}), X, y), (ValueError,),
                         f"fit with {size_param}=0")
            expect_raise(lambda: _fit(make(**{size_param: -1}), X, y), (ValueError,),
                         f"fit with {size_param}=-1")
        est = make()
        _fit(est, X, y)
        for method in ("transform", "predict"):
            if hasattr(est, method) and (method == "transform" or y is not None):
                expect_raise(lambda m=method: getattr(est, m)(X[:, :-1]), (ValueError,),
                             f"{method} with {X.shape[1] - 1} features (fitted on "
                             f"{X.shape[1]})")
                nan_x = X.astype(np.float64).copy()
                nan_x.flat[0] = np.nan
                expect_raise(lambda m=method, a=nan_x: getattr(est, m)(a), (ValueError,),
                             f"{method} on data with NaN")
        if getattr(cls, "_positive_only", False):
            neg = X.astype(np.float64).copy()
            neg.flat[0] = -1.0
            expect_raise(lambda: _fit(make(), neg, y), (ValueError,),
                         "fit on data with a negative value")

    def check_determinism():
        if "random_state" not in names:
            est1, est2 = make(), make()
        else:
            est1, est2 = make(random_state=0), make(random_state=0)
        _fit(est1, X, y)
        _fit(est2, X, y)
        o1, o2 = _outputs(est1, X, y), _outputs(est2, X, y)
        require(_same(o1, o2, rtol), "two fits with the same random_state disagree")
        l1, l2 = _learned(est1), _learned(est2)
        for k in l1:
            require(_same(l1[k], l2[k], rtol), f"two fits with the same random_state "
                     f"learned different {k}")

    def check_clone():
        est = make()
        _fit(est, X, y)
        clone = type(est)(**est.get_params(deep=False))
        fitted = [k for k in vars(clone) if k.endswith("_") and not k.startswith("_")]
        require(not fitted, f"a clone rebuilt from get_params carries learned "
                 f"attributes {fitted}")
        for k, v in est.get_params(deep=False).items():
            require(getattr(clone, k) is v, f"clone's parameter {k!r} is not the original")
        _fit(clone, X, y)
        require(_same(_outputs(clone, X, y), _outputs(est, X, y), rtol),
                 "a clone fitted on the same data gives different results")

    def check_pickle():
        est = make()
        _fit(est, X, y)
        before = _outputs(est, X, y)
        again = pickle.loads(pickle.dumps(est))
        require(type(again) is type(est), "unpickling changed the class")
        require(_same(_outputs(again, X, y), before, 0.0),
                 "the unpickled estimator gives different results")
        require(again.get_params(deep=False).keys() == est.get_params(deep=False).keys(),
                 "unpickling changed the parameters")

    for name, fn in [
        ("init_stores_params", check_init),
        ("get_params", check_get_params),
        ("set_params", check_set_params),
        ("repr", check_repr),
        ("not_fitted", check_not_fitted),
        ("fit", check_fit),
        ("transform", check_transform),
        ("dtypes", check_dtypes),
        ("inverse_transform", check_inverse),
        ("bad_input", check_bad_input),
        ("determinism", check_determinism),
        ("clone", check_clone),
        ("pickle", check_pickle),
    ]:
        run(name, fn)
    return report
