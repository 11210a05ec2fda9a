"""Finite-difference gradient checks for layers and models (for users and plugin authors)."""

import dataclasses

import numpy as np

__all__ = ["GradcheckReport", "gradcheck"]


@dataclasses.dataclass
class GradcheckReport:
    """Worst relative errors found by :func:`gradcheck` (``ok`` when within tolerance)."""

    ok: bool
    input_error: float
    parameter_errors: dict

    def __str__(self):
        lines = [f"gradcheck {'passed' if self.ok else 'FAILED'}: input rel. error "
                 f"{self.input_error:.3g}"]
        lines += [f"  {k}: {v:.3g}" for k, v in self.parameter_errors.items()]
        return "\n".join(lines)


def _rel_error(a, b):
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)),
                1e-8)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def gradcheck(layer, x, *, eps=1e-6, tol=1e-5, n_checks=20, random_state=0,
              raise_on_failure=True):
    """Compare a layer's (or model's) backward pass with central finite differences.

    The scalar checked is ``sum(w * layer.forward(x))`` for a fixed random ``w``; its exact
    gradient is ``layer.backward(w)``.  Works in float64: an unbuilt layer is built in
    float64, a built float32 layer is rejected (finite differences need the precision).

    Parameters
    ----------
    layer : Layer or Sequential
    x : array_like, shape (batch, ...)
    eps : float
        Finite-difference step.
    tol : float
        Largest acceptable relative error.
    n_checks : int
        Random coordinates checked per array (all of them when the array is smaller).
    random_state : int
    raise_on_failure : bool
        Raise AssertionError (with the report) instead of returning a failing report.

    Returns
    -------
    GradcheckReport

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.nn import Dense, gradcheck
    >>> gradcheck(Dense(4, activation="tanh", random_state=0), np.ones((3, 5))).ok
    True
    """
    x = np.array(x, dtype=np.float64, copy=True)      # perturbed in place below
    if not layer.built:
        layer.build(x.shape[1:], np.float64, np.random.default_rng(random_state))
    if layer.dtype != np.float64:
        raise TypeError(f"gradcheck needs a float64 layer; {layer!r} was built as {layer.dtype}")
    # A stream of its own: a projection w drawn like the data (same seed) would correlate
    # with x and make the checked gradient nearly vanish for normalization layers.
    rng = np.random.default_rng([random_state, 0x6C616D])
    # Dropout and batch statistics make forward random or batch-dependent; training mode
    # is what backward differentiates, and a fixed seed keeps dropout masks repeatable.
    out = layer.forward(x, training=True)
    w = rng.standard_normal(out.shape)

    def objective():
        _reseed(layer, random_state)
        return float(np.sum(w * layer.forward(x, training=True)))

    _reseed(layer, random_state)
    layer.forward(x, training=True)
    grad_x = np.asarray(layer.backward(w), dtype=np.float64)
    grads = {k: g.copy() for k, g in layer.gradients().items()}

    def numeric(array, flat_index):
        flat = array.reshape(-1)
        old = flat[flat_index]
        flat[flat_index] = old + eps
        plus = objective()
        flat[flat_index] = old - eps
        minus = objective()
        flat[flat_index] = old
        return (plus - minus) / (2 * eps)

    def check(array, exact):
        idx = np.arange(array.size)
        if array.size > n_checks:
            idx = rng.choice(array.size, n_checks, replace=False)
        approx = np.array([numeric(array, i) for i in idx])
        return _rel_error(exact.reshape(-1)[idx], approx)

    input_error = check(x, grad_x)
    param_errors = {k: check(p, grads[k]) for k, p in layer.parameters().items()}
    ok = input_error <= tol and all(e <= tol for e in param_errors.values())
    report = GradcheckReport(ok, input_error, param_errors)
    if raise_on_failure and not ok:
        raise AssertionError(str(report))
    return report


def _reseed(layer, seed):
    """Make dropout masks identical between the evaluations of one check."""
    for sub in getattr(layer, "layers", [layer]):
        if hasattr(sub, "_gen"):
            sub._gen = np.random.default_rng(seed)
