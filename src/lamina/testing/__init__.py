"""Conformance kit for plugin authors.

``check_backend`` runs every operation a backend implements on a battery of inputs
(sizes, dtypes, layouts, edge cases and bad inputs) and compares it with lamina's core.
``check_decomposition`` checks an estimator class (``lamina.decompositions`` entry
points) against the scikit-learn style estimator contract.

Examples
--------
>>> import lamina.testing
>>> class Half:                       # a toy backend implementing one op with NumPy
...     name = "half"
...     def asarray(self, x, *, device=None): return x
...     def to_numpy(self, x): return x
...     def dot(self, x, y):
...         if x.ndim != 1 or x.shape != y.shape:
...             raise ValueError("shape mismatch")
...         return (x * y).sum()
>>> report = lamina.testing.check_backend(Half(), ops=["dot"])
>>> report.passed_ops
['dot']
"""

from lamina.testing._backend import ConformanceReport, check_backend
from lamina.testing._decomposition import DecompositionReport, check_decomposition

__all__ = ["ConformanceReport", "DecompositionReport", "check_backend", "check_decomposition"]
