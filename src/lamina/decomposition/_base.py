"""The estimator base of ``lamina.decomposition``: scikit-learn's conventions, without
scikit-learn.

* The constructor stores its keyword arguments unchanged (no validation, no copies):
  validation happens in ``fit``, so ``clone`` (which rebuilds an estimator from
  ``get_params()`` and checks the parameters are the very same objects) works.
* ``get_params`` / ``set_params`` are driven by the ``__init__`` signature, including
  nested ``"step__param"`` keys for parameters that are estimators themselves.
* Learned attributes end in an underscore and exist only after ``fit``; using an
  unfitted estimator raises :class:`NotFittedError` (a ValueError and an AttributeError,
  as scikit-learn's).
* ``n_features_in_`` is recorded by ``fit``; ``transform`` checks it.
* ``__sklearn_tags__`` imports scikit-learn lazily: it is only ever called by
  scikit-learn itself (Pipeline, GridSearchCV, clone), so lamina never imports it.
"""

import inspect
import numbers

import numpy as np

from lamina._validation import as_float_array, assert_finite, check_random_state
from lamina.sparse import as_csr, is_sparse

__all__ = [
    "BaseDecomposition",
    "TransformerMixin",
    "NotFittedError",
    "check_is_fitted",
    "check_random_state",
]


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (a ValueError and an AttributeError, like
    scikit-learn's ``NotFittedError``)."""


def check_is_fitted(est, attribute):
    if not hasattr(est, attribute):
        raise NotFittedError(f"This {type(est).__name__} instance is not fitted yet: call "
                             f"'fit' with appropriate arguments before using it")


def check_int(value, name, *, low=None, high=None, allow_none=False):
    """``value`` as an int within [low, high], else a ValueError/TypeError naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def check_real(value, name, *, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} "
                        f"({value!r})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_option(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; "
                         f"got {value!r}")
    return value


class BaseDecomposition:
    """Shared machinery of lamina's estimators (see the module docstring).

    Subclasses define ``__init__`` with explicit keyword parameters stored as attributes
    of the same names, and ``fit``; transformers also ``transform`` (and, where the
    model defines it, ``inverse_transform``).
    """

    #: entry-point name under ``lamina.decompositions`` (informational)
    estimator_name = None
    #: scikit-learn's estimator type: "transformer", "classifier" or "recommender"
    _estimator_type = "transformer"
    #: accept SciPy sparse input in fit/transform
    _accept_sparse = False
    #: input must be non-negative (NMF)
    _positive_only = False

    # -- parameters -----------------------------------------------------------------------
    @classmethod
    def _get_param_names(cls):
        init = cls.__init__
        if init is object.__init__:
            return []
        params = [p for p in inspect.signature(init).parameters.values()
                  if p.name != "self" and p.kind != p.VAR_KEYWORD]
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ must not take *args "
                                   f"(scikit-learn convention)")
        return sorted(p.name for p in params)

    def get_params(self, deep=True):
        """Parameters of this estimator (the ``__init__`` arguments).

        Parameters
        ----------
        deep : bool
            Also return the parameters of sub-estimators as ``"name__param"``.

        Returns
        -------
        dict
        """
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for k, v in value.get_params().items():
                    out[f"{key}__{k}"] = v
            out[key] = value
        return out

    def set_params(self, **params):
        """Set parameters (``"name__param"`` reaches into a sub-estimator); returns self."""
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested = {}
        for key, value in params.items():
            key, delim, sub = key.partition("__")
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self!r}. "
                                 f"Valid parameters are: {sorted(self._get_param_names())!r}.")
            if delim:
                nested.setdefault(key, {})[sub] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__).parameters
        parts = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = sig[name].default
            same = value is default
            if not same:
                try:
                    same = bool(type(value) is type(default) and value == default)
                except Exception:   # arrays and other objects without a plain ==
                    same = False
            if not same:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __sklearn_tags__(self):
        # Called only by scikit-learn (already imported then); lamina never imports it.
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags, TransformerTags

        kind = self._estimator_type
        tags = Tags(estimator_type=None if kind == "recommender" else kind,
                    target_tags=TargetTags(required=kind == "classifier"),
                    transformer_tags=(TransformerTags(preserves_dtype=["float64", "float32"])
                                      if hasattr(self, "transform") else None),
                    classifier_tags=ClassifierTags() if kind == "classifier" else None,
                    input_tags=InputTags(sparse=self._accept_sparse,
                                               positive_only=self._positive_only))
        return tags

    def __sklearn_is_fitted__(self):
        return any(k.endswith("_") and not k.startswith("__") for k in vars(self))

    # -- input checks ---------------------------------------------------------------------
    def _check_X(self, X, *, reset, name="X", dtype=None):
        """``X`` as lamina computes with it (dense float32/float64 2-D, or a lamina CSR
        when sparse input is accepted), checking finiteness and the feature count."""
        if is_sparse(X):
            if not self._accept_sparse:
                raise TypeError(f"{type(self).__name__} does not accept sparse {name}; "
                                f"convert it to a dense array")
            X = as_csr(X, name, dtype=dtype, check_finite=True)
        else:
            X = as_float_array(X, name, dtype=dtype)
            if X.ndim != 2:
                raise ValueError(f"{name} must be 2-dimensional (n_samples, n_features), got "
                                 f"shape {X.shape}; reshape 1-D data with "
                                 f"x.reshape(-1, 1) or x.reshape(1, -1)")
            assert_finite(X, name)
        n_samples, n_features = X.shape
        if n_samples < 1:
            raise ValueError(f"{name} has {n_samples} samples (shape {X.shape}); at least "
                             f"one is required")
        if n_features < 1:
            raise ValueError(f"{name} has {n_features} features (shape {X.shape}); at "
                             f"least one is required")
        if reset:
            self.n_features_in_ = n_features
        else:
            check_is_fitted(self, "n_features_in_")
            if n_features != self.n_features_in_:
                raise ValueError(f"{name} has {n_features} features, but "
                                 f"{type(self).__name__} is expecting {self.n_features_in_} "
                                 f"features as input")
        return X


class TransformerMixin:
    """``fit_transform`` and ``get_feature_names_out`` for estimators with ``transform``."""

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X`` and return its transform (one pass where the model allows)."""
        return self.fit(X, y, **fit_params).transform(X)

    def get_feature_names_out(self, input_features=None):
        """Output feature names ``"<class name lowercased><i>"`` (scikit-learn's rule for
        components)."""
        check_is_fitted(self, "n_features_in_")
        n = self._n_features_out
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(n)], dtype=object)

    @property
    def _n_features_out(self):
        return self.components_.shape[0]
