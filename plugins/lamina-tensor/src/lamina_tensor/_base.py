"""scikit-learn's estimator conventions for tensor models, on lamina's public API only.

The constructor stores its arguments unchanged; ``fit`` validates them.  Learned
attributes end in an underscore.  Axis 0 of the data is the sample axis and the other
axes are the "features" (``n_features_in_`` is ``X.shape[1]``, as lamina's conformance
kit expects); ``transform`` accepts new samples with the fitted feature shape.
"""

import inspect
import numbers

import numpy as np

from lamina.decomposition import NotFittedError

__all__ = ["TensorEstimator"]


class TensorEstimator:
    """get_params / set_params / repr driven by the ``__init__`` signature, and input checks."""

    @classmethod
    def _get_param_names(cls):
        params = inspect.signature(cls.__init__).parameters.values()
        return sorted(p.name for p in params if p.name != "self")

    def get_params(self, deep=True):
        """The constructor parameters as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor parameters; returns self.  Unknown names raise ValueError."""
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator "
                                 f"{type(self).__name__}. Valid parameters are: {valid!r}.")
            setattr(self, key, value)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__).parameters
        parts = []
        for name in self._get_param_names():
            value, default = getattr(self, name), sig[name].default
            try:
                same = value is default or (type(value) is type(default) and value == default)
            except (TypeError, ValueError):
                same = False
            if not same:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def fit_transform(self, X, y=None):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X)

    # -- checks -------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "factors_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: "
                                 "call 'fit' with appropriate arguments before using it")

    def _check_tensor(self, X, name="X", *, reset):
        """X as a finite float32/float64 ndarray with >= 2 axes (lamina's input policy)."""
        if hasattr(X, "tocsr"):
            raise TypeError(f"{type(self).__name__} does not accept sparse {name}; pass a "
                            "dense array")
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise TypeError(f"{name} is complex ({X.dtype}); complex tensors are not "
                            "supported")
        if X.dtype.kind in "biu":
            X = X.astype(np.float64)
        elif X.dtype == np.float16:
            X = X.astype(np.float32)
        elif X.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
        if X.ndim < 2:
            raise ValueError(f"{name} must have at least 2 axes (n_samples, n_features, ...), "
                             f"got shape {X.shape}")
        if X.size == 0:
            raise ValueError(f"{name} is empty (shape {X.shape})")
        if not np.isfinite(X).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if reset:
            self.n_features_in_ = X.shape[1]
            self.feature_shape_ = tuple(X.shape[1:])
        else:
            self._check_fitted()
            if tuple(X.shape[1:]) != self.feature_shape_:
                raise ValueError(f"{name} has per-sample shape {tuple(X.shape[1:])}, but "
                                 f"{type(self).__name__} was fitted on "
                                 f"{self.feature_shape_}")
        return np.ascontiguousarray(X)


def check_int(value, name, *, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def check_tol(value, name="tol"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0 \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_option(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got "
                         f"{value!r}")
    return value
