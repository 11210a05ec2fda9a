"""``check_layer``: the contract every layer (lamina's own and plugins') must honour.

The checks build fresh instances of the layer from its class and constructor arguments,
so a layer that cannot be rebuilt from ``get_config()`` fails early, as it would when a
saved model is loaded.  Gradients are verified with :func:`lamina.nn.gradcheck` (central
finite differences in float64); everything else compares arrays exactly or against the
float64 result with a float32 tolerance.
"""

import dataclasses
import json
import os
import tempfile

import numpy as np

from lamina._config import threads as thread_limit
from lamina.nn._base import Layer
from lamina.nn._gradcheck import gradcheck
from lamina.nn._model import Sequential, load
from lamina.testing._report import CheckFailed, FailureReport, require

__all__ = ["LayerCheckReport", "check_layer"]

CHECKS = ("config", "build", "forward", "dtypes", "backward", "gradients", "state",
          "save_load", "determinism", "bad_input")

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclasses.dataclass
class LayerCheckReport(FailureReport):
    """What :func:`check_layer` found.

    Attributes
    ----------
    layer : str
        ``repr`` of the layer checked.
    input_shape : tuple
        Per-sample input shape used.
    results : dict
        Check name -> ``"passed"``, ``"skipped: <reason>"`` or ``"FAILED: <reason>"``
        (the checks are listed in ``lamina.testing.LAYER_CHECKS``).
    gradcheck : GradcheckReport or None
        The finite-difference report (worst relative errors per array).
    """

    layer: str
    input_shape: tuple
    results: dict
    gradcheck: object = None

    @property
    def failures(self):
        """Check name -> reason, for every failed check."""
        return {k: v[len("FAILED: "):] for k, v in self.results.items()
                if v.startswith("FAILED")}

    def __str__(self):
        n_failed = len(self.failures)
        passed = sum(v == "passed" for v in self.results.values())
        lines = [f"check_layer {self.layer} on input {self.input_shape}: {passed} passed, "
                 f"{n_failed} failed"]
        lines += [f"  {name:<12} {state}" for name, state in self.results.items()]
        return "\n".join(lines)



def _factory(layer, kwargs):
    """A callable returning a fresh, unbuilt instance of the layer under test."""
    if isinstance(layer, type):
        if not issubclass(layer, Layer) and not all(
                hasattr(layer, a) for a in ("build", "forward", "backward", "parameters",
                                            "gradients")):
            raise TypeError(f"check_layer: {layer.__name__} does not follow the Layer "
                            "protocol (build, forward, backward, parameters, gradients)")
        kwargs = dict(kwargs or {})
        return lambda: layer(**kwargs), f"{layer.__name__}(**{kwargs!r})"
    if kwargs:
        raise TypeError("check_layer: kwargs apply to a layer class, not to an instance")
    for attr in ("build", "forward", "backward", "parameters", "gradients", "get_config"):
        if not hasattr(layer, attr):
            raise TypeError(f"check_layer: {layer!r} lacks {attr}() and does not follow the "
                            "Layer protocol")
    cls = type(layer)
    config = layer.get_config()
    return lambda: cls(**config), repr(layer)


def _input(rng, batch, input_shape, dtype):
    return rng.standard_normal((batch,) + tuple(input_shape)).astype(dtype)


def _close(a, b, rtol):
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1.0)
    return float(np.max(np.abs(np.asarray(a, np.float64) - b), initial=0.0)) <= rtol * scale


def check_layer(layer, input_shape=(6,), *, kwargs=None, batch_size=4, random_state=0,
                grad_tol=1e-5, grad_eps=1e-6, n_checks=20, checks=None):
    """Check a layer class or instance against lamina's Layer contract.

    Parameters
    ----------
    layer : Layer subclass or Layer instance
        A class is instantiated as ``layer(**kwargs)``; an instance is re-created as
        ``type(layer)(**layer.get_config())`` for every check (it is never modified).
    input_shape : tuple of int, default (6,)
        Per-sample input shape (without the batch dimension).
    kwargs : dict, optional
        Constructor arguments when ``layer`` is a class.
    batch_size : int, default 4
    random_state : int, default 0
        Seed of the inputs and of the parameter initialization.
    grad_tol, grad_eps, n_checks
        Passed to :func:`lamina.nn.gradcheck` as ``tol``, ``eps`` and ``n_checks``.
    checks : sequence of str, optional
        Run only these checks (default: all of ``lamina.testing.LAYER_CHECKS``).

    Returns
    -------
    LayerCheckReport
        ``report.ok`` is True when no check failed; ``report.raise_for_failures()`` turns
        failures into an AssertionError.

    Notes
    -----
    The checks:

    ``config``
        ``get_config()`` is JSON-serializable and rebuilds an equivalent layer.
    ``build``
        ``build(input_shape, dtype, rng)`` returns ``output_shape(input_shape)``.
    ``forward``
        Output shape ``(batch,) + output_shape``, finite values, in inference and
        training mode, for two batch sizes; the input is not modified.
    ``dtypes``
        float32 and float64 layers keep their dtype (outputs, parameters, gradients),
        and the float32 output matches the float64 one for the same parameters.
    ``backward``
        The input gradient has the input's shape and dtype, ``gradients()`` has the
        keys, shapes and dtypes of ``parameters()``, the output gradient passed in is
        not modified, and ``backward_parameters`` (the shortcut training takes for a
        model's first trainable layer) stores the same parameter gradients.
    ``gradients``
        Finite-difference check of the input and parameter gradients (float64).
    ``state``
        ``state_dict()`` / ``load_state_dict()`` into a differently initialized layer
        reproduces the outputs exactly.
    ``save_load``
        The layer inside a :class:`lamina.nn.Sequential`, saved with ``save`` and
        restored with :func:`lamina.nn.load`, predicts exactly the same (the layer must
        be registered under the ``lamina.layers`` entry points).
    ``determinism``
        Same seed -> same parameters and outputs; a repeated backward gives the same
        gradients (they are overwritten, not accumulated); one thread and the default
        thread count agree.
    ``bad_input``
        A wrong per-sample shape raises ValueError naming the shape.

    Examples
    --------
    >>> import lamina.testing
    >>> from lamina.nn import Dense
    >>> report = lamina.testing.check_layer(Dense, (5,), kwargs={"units": 3})
    >>> report.ok
    True
    """
    make, label = _factory(layer, kwargs)
    input_shape = tuple(int(d) for d in input_shape)
    if any(d < 1 for d in input_shape):
        raise ValueError(f"check_layer: input_shape must hold positive sizes, got "
                         f"{input_shape}")
    if int(batch_size) < 2:
        raise ValueError(f"check_layer: batch_size must be at least 2, got {batch_size}")
    selected = CHECKS if checks is None else tuple(checks)
    unknown = [c for c in selected if c not in CHECKS]
    if unknown:
        raise ValueError(f"check_layer: unknown checks {unknown}; known: {list(CHECKS)}")
    ctx = _Context(make, input_shape, int(batch_size), int(random_state),
                   dict(tol=grad_tol, eps=grad_eps, n_checks=n_checks))
    results = {}
    for name in selected:
        try:
            getattr(ctx, f"check_{name}")()
        except CheckFailed as exc:
            results[name] = f"FAILED: {exc}"
        except _Skip as exc:
            results[name] = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001 - any crash of the layer is a failure
            results[name] = f"FAILED: {type(exc).__name__}: {exc}"
        else:
            results[name] = "passed"
    return LayerCheckReport(label, input_shape, results, ctx.grad_report)


class _Skip(Exception):
    pass


class _Context:
    def __init__(self, make, input_shape, batch, seed, grad_options):
        self.make = make
        self.input_shape = input_shape
        self.batch = batch
        self.seed = seed
        self.grad_options = grad_options
        self.grad_report = None

    def built(self, dtype=np.float64, seed=None):
        layer = self.make()
        out_shape = layer.build(self.input_shape, dtype,
                                np.random.default_rng(self.seed if seed is None else seed))
        return layer, tuple(out_shape)

    def x(self, dtype=np.float64, batch=None, offset=0):
        rng = np.random.default_rng([self.seed, 1 + offset])
        return _input(rng, batch or self.batch, self.input_shape, dtype)

    # -- checks ---------------------------------------------------------------------------
    def check_config(self):
        layer = self.make()
        config = layer.get_config()
        require(isinstance(config, dict), f"get_config() returned {type(config).__name__}, "
                "not a dict")
        try:
            text = json.dumps(config)
        except TypeError as exc:
            raise CheckFailed(f"get_config() is not JSON-serializable: {exc}") from None
        clone = type(layer)(**json.loads(text))
        require(clone.get_config() == json.loads(text),
                f"rebuilding from get_config() {config} gives {clone.get_config()}")

    def check_build(self):
        layer, out_shape = self.built()
        require(getattr(layer, "built", True), "build() did not mark the layer built")
        expected = tuple(layer.output_shape(self.input_shape))
        require(out_shape == expected, f"build() returned output shape {out_shape} but "
                f"output_shape() says {expected}")
        for name, p in layer.parameters().items():
            require(isinstance(p, np.ndarray), f"parameter {name!r} is not an ndarray")

    def check_forward(self):
        layer, out_shape = self.built()
        for batch in (self.batch, self.batch + 3):
            for training in (False, True):
                x = self.x(batch=batch)
                x0 = x.copy()
                y = np.asarray(layer.forward(x, training=training))
                mode = "training" if training else "inference"
                require(y.shape == (batch,) + out_shape,
                        f"forward ({mode}) on {x.shape} returned shape {y.shape}, expected "
                        f"{(batch,) + out_shape}")
                require(np.isfinite(y).all(), f"forward ({mode}) returned non-finite values")
                require(np.array_equal(x, x0), f"forward ({mode}) modified its input")

    def check_dtypes(self):
        outputs = {}
        ref, _ = self.built(np.float64)
        for dtype in _DTYPES:
            layer, _ = self.built(dtype)
            for name, p in layer.parameters().items():
                require(p.dtype == dtype, f"{dtype.name} layer has {p.dtype} parameter "
                        f"{name!r}")
            if dtype == np.float32:
                layer.load_state_dict({k: v.astype(np.float32)
                                       for k, v in ref.state_dict().items()})
            else:
                layer = ref
            y = np.asarray(layer.forward(self.x(dtype), training=False))
            require(y.dtype == dtype, f"{dtype.name} layer returned a {y.dtype} output")
            layer.forward(self.x(dtype), training=True)
            g = layer.backward(np.ones((self.batch,) + layer.output_shape(self.input_shape),
                                       dtype))
            require(np.asarray(g).dtype == dtype, f"{dtype.name} layer returned a "
                    f"{np.asarray(g).dtype} input gradient")
            for name, gr in layer.gradients().items():
                require(gr.dtype == dtype, f"{dtype.name} layer has a {gr.dtype} gradient "
                        f"{name!r}")
            outputs[dtype] = y
        require(_close(outputs[_DTYPES[0]], outputs[_DTYPES[1]], 1e-4),
                "float32 output differs from the float64 output for the same parameters "
                f"by more than 1e-4 (relative to its scale): max |diff| "
                f"{np.max(np.abs(outputs[_DTYPES[0]] - outputs[_DTYPES[1]])):.3g}")

    def check_backward(self):
        layer, out_shape = self.built()
        x = self.x()
        layer.forward(x, training=True)
        g = np.random.default_rng([self.seed, 7]).standard_normal((self.batch,) + out_shape)
        g0 = g.copy()
        dx = np.asarray(layer.backward(g))
        require(dx.shape == x.shape, f"backward returned shape {dx.shape}, expected the "
                f"input's {x.shape}")
        require(np.isfinite(dx).all(), "backward returned non-finite values")
        require(np.array_equal(g, g0), "backward modified the gradient passed in")
        params, grads = layer.parameters(), layer.gradients()
        require(set(params) == set(grads), f"parameters() keys {sorted(params)} != "
                f"gradients() keys {sorted(grads)}")
        for name, p in params.items():
            require(grads[name].shape == p.shape, f"gradient {name!r} has shape "
                    f"{grads[name].shape}, parameter has {p.shape}")
        if hasattr(layer, "backward_parameters") and params:
            # the shortcut Sequential.fit takes for the first trainable layer must store
            # the same parameter gradients as backward
            full = {k: v.copy() for k, v in grads.items()}
            for v in grads.values():
                v[...] = np.nan
            layer.forward(x, training=True)
            layer.backward_parameters(g)
            for name, v in layer.gradients().items():
                require(_close(v, full[name], 1e-12), f"backward_parameters stores a "
                        f"different gradient {name!r} than backward")

    def check_gradients(self):
        layer, _ = self.built(np.float64)
        report = gradcheck(layer, self.x(), raise_on_failure=False,
                           random_state=self.seed, **self.grad_options)
        self.grad_report = report
        require(report.ok, str(report).replace("\n", ";"))

    def check_state(self):
        a, _ = self.built(seed=self.seed)
        b, _ = self.built(seed=self.seed + 1)
        x = self.x()
        a.forward(x, training=True)           # updates buffers such as running statistics
        state = a.state_dict()
        for key, v in state.items():
            require(isinstance(v, np.ndarray), f"state_dict()[{key!r}] is not an ndarray")
        b.load_state_dict(state)
        ya = np.asarray(a.forward(x, training=False))
        yb = np.asarray(b.forward(x, training=False))
        require(np.array_equal(ya, yb), "a layer loaded with load_state_dict(state_dict()) "
                "gives different outputs")
        try:
            b.load_state_dict({**state, "__unexpected__": np.zeros(1)})
        except (KeyError, ValueError):
            pass
        else:
            raise CheckFailed("load_state_dict accepted an unexpected key")

    def check_save_load(self):
        a, _ = self.built()
        model = Sequential([self.make()], dtype=np.float64)
        model.build(self.input_shape, rng=np.random.default_rng(self.seed + 1))
        model.layers[0].load_state_dict(a.state_dict())
        x = self.x()
        expected = model.predict(x)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.npz")
            try:
                model.save(path)
            except LookupError as exc:
                raise CheckFailed(f"Sequential.save: {exc}") from None
            restored = load(path)
        require(type(restored.layers[0]) is type(model.layers[0]),
                f"nn.load rebuilt a {type(restored.layers[0]).__name__}")
        require(np.array_equal(restored.predict(x), expected),
                "the model restored by lamina.nn.load predicts differently")

    def check_determinism(self):
        a, out_shape = self.built()
        b, _ = self.built()
        pa, pb = a.parameters(), b.parameters()
        for name in pa:
            require(np.array_equal(pa[name], pb[name]), f"parameter {name!r} differs "
                    "between two layers built with the same seed")
        x = self.x()
        y1 = np.asarray(a.forward(x, training=False))
        y2 = np.asarray(a.forward(x, training=False))
        require(np.array_equal(y1, y2), "two inference calls on the same input differ")
        require(np.array_equal(y1, np.asarray(b.forward(x, training=False))),
                "two layers built with the same seed give different outputs")
        with thread_limit(1):
            y_one = np.asarray(a.forward(x, training=False))
        require(_close(y_one, y1, 1e-12), "the output depends on the thread count beyond "
                "rounding")
        a.forward(x, training=True)
        g = np.random.default_rng([self.seed, 7]).standard_normal((self.batch,) + out_shape)
        dx1 = np.array(a.backward(g))
        grads1 = {k: v.copy() for k, v in a.gradients().items()}
        dx2 = np.array(a.backward(g))
        require(np.array_equal(dx1, dx2), "a repeated backward gives a different input "
                "gradient")
        for name, v in a.gradients().items():
            require(np.array_equal(v, grads1[name]), f"a repeated backward changed gradient "
                    f"{name!r} (gradients must be overwritten, not accumulated)")

    def check_bad_input(self):
        layer, _ = self.built()
        bad_shapes = [self.input_shape[:-1] + (self.input_shape[-1] + 1,),
                      self.input_shape + (2,)]
        for shape in bad_shapes:
            x = np.ones((self.batch,) + shape)
            try:
                layer.forward(x, training=False)
            except ValueError as exc:
                text = str(exc)
                require(str(tuple(x.shape)) in text or "shape" in text,
                        f"the error for input shape {x.shape} does not say which shape is "
                        f"wrong: {text!r}")
            except Exception as exc:  # noqa: BLE001
                raise CheckFailed(f"input of shape {x.shape} (built for "
                                   f"{self.input_shape}) raised {type(exc).__name__} "
                                   f"instead of ValueError: {exc}") from None
            else:
                raise CheckFailed(f"input of shape {x.shape} (built for {self.input_shape})"
                                   " was accepted")
