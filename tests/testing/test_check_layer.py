"""lamina.testing.check_layer: passes every core layer, fails broken ones (it can fail)."""

import numpy as np
import pytest

import lamina.nn as nn
import lamina.testing
from lamina.testing import LAYER_CHECKS, check_layer

# (class, constructor kwargs, per-sample input shape): every layer lamina registers, except
# the Sequential container (checked through the save/load of every other layer here).
CORE_LAYERS = [
    (nn.Dense, {"units": 3}, (6,)),
    (nn.Dense, {"units": 4, "activation": "relu"}, (6,)),
    (nn.Dense, {"units": 4, "activation": "sigmoid"}, (6,)),
    (nn.Dense, {"units": 4, "activation": "tanh"}, (6,)),
    (nn.Dense, {"units": 4, "activation": "gelu"}, (6,)),
    (nn.Dense, {"units": 2, "use_bias": False, "init": "xavier"}, (5,)),
    (nn.ReLU, {}, (6,)),
    (nn.LeakyReLU, {"negative_slope": 0.2}, (6,)),
    (nn.Sigmoid, {}, (6,)),
    (nn.Tanh, {}, (6,)),
    (nn.GELU, {}, (6,)),
    (nn.Softmax, {}, (6,)),
    (nn.Dropout, {"rate": 0.3}, (6,)),
    (nn.BatchNorm1d, {}, (6,)),
    (nn.LayerNorm, {}, (6,)),
    (nn.LayerNorm, {}, (3, 5)),
    (nn.Flatten, {}, (2, 3, 4)),
]


def _id(case):
    cls, kwargs, shape = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{cls.__name__}({args})-{'x'.join(map(str, shape))}"


@pytest.mark.parametrize("case", CORE_LAYERS, ids=_id)
def test_core_layer_passes(case):
    cls, kwargs, shape = case
    report = check_layer(cls, shape, kwargs=kwargs)
    report.raise_for_failures()
    assert set(report.results) == set(LAYER_CHECKS)
    assert all(v == "passed" for v in report.results.values())
    assert report.gradcheck is not None and report.gradcheck.ok


def test_every_registered_core_layer_is_covered():
    covered = {cls.layer_name for cls, _, _ in CORE_LAYERS}
    registered = {name for name in nn.available_layers()
                  if nn.get_layer(name).__module__.startswith("lamina.nn")}
    assert registered - covered == {"sequential"}


def test_instance_is_rebuilt_not_modified():
    layer = nn.Dense(3, activation="tanh")
    report = check_layer(layer, (4,))
    assert report.ok, str(report)
    assert not layer.built
    assert "Dense(units=3" in str(report)


# -- broken layers: each must fail the check that covers its defect ----------------------
class WrongInputGradient(nn.Dense):
    def backward(self, grad):
        return super().backward(grad) * 1.01


class WrongWeightGradient(nn.Dense):
    def backward(self, grad):
        dx = super().backward(grad)
        self.grad_weight[0, 0] += 0.1
        return dx


class TransposedInputGradient(nn.Tanh):
    """Right values in the wrong places (a classic im2col / layout bug)."""

    def backward(self, grad):
        return super().backward(grad)[::-1].copy()


class Accumulating(nn.Dense):
    def backward(self, grad):
        old = self.grad_weight.copy()
        dx = super().backward(grad)
        self.grad_weight += old
        return dx


class Upcasting(nn.Tanh):
    def forward(self, x, training=False):
        return super().forward(x, training).astype(np.float64)


class Lenient(nn.Tanh):
    def forward(self, x, training=False):
        x = np.asarray(x, dtype=self.dtype)
        if training:
            self._x = x
        return np.tanh(x)

    def backward(self, grad):
        return grad * (1 - np.tanh(self._x) ** 2)


class Mutating(nn.ReLU):
    def forward(self, x, training=False):
        y = super().forward(x, training)
        x[...] = 0
        return y


class LosesState(nn.BatchNorm1d):
    def load_state_dict(self, state):
        super().load_state_dict({k: v * 0 for k, v in state.items()})


@pytest.mark.parametrize("cls, shape, check", [
    (WrongInputGradient, (5,), "gradients"),
    (WrongWeightGradient, (5,), "gradients"),
    (TransposedInputGradient, (5,), "gradients"),
    (Accumulating, (5,), "determinism"),
    (Upcasting, (5,), "dtypes"),
    (Lenient, (5,), "bad_input"),
    (Mutating, (5,), "forward"),
    (LosesState, (5,), "state"),
], ids=lambda v: v.__name__ if isinstance(v, type) else str(v))
def test_broken_layer_fails(cls, shape, check):
    kwargs = {"units": 3} if issubclass(cls, nn.Dense) else {}
    report = check_layer(cls, shape, kwargs=kwargs)
    assert not report.ok
    assert check in report.failures, str(report)
    with pytest.raises(AssertionError, match=check):
        report.raise_for_failures()


def test_unregistered_layer_fails_save_load_only():
    class Renamed(nn.Tanh):
        pass

    report = check_layer(Renamed, (4,))
    assert set(report.failures) == {"save_load"}, str(report)
    assert "not registered" in report.failures["save_load"]


def test_wrong_gradient_report_names_the_array():
    report = check_layer(WrongWeightGradient, (5,), kwargs={"units": 3},
                         checks=["gradients"])
    assert list(report.results) == ["gradients"]
    assert report.gradcheck.parameter_errors["weight"] > 1e-3
    assert report.gradcheck.input_error < 1e-6


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="unknown checks"):
        check_layer(nn.ReLU, checks=["nope"])
    with pytest.raises(ValueError, match="input_shape"):
        check_layer(nn.ReLU, (0,))
    with pytest.raises(TypeError, match="Layer protocol"):
        check_layer(object)
    with pytest.raises(TypeError, match="kwargs"):
        check_layer(nn.ReLU(), kwargs={"x": 1})


def test_exported():
    assert lamina.testing.check_layer is check_layer
    assert "check_layer" in lamina.testing.__all__


class ShortcutDiffers(nn.Dense):
    """backward is right; the shortcut used for a model's first layer is not."""

    _in_backward = False

    def backward(self, grad):
        self._in_backward = True
        try:
            return super().backward(grad)
        finally:
            self._in_backward = False

    def backward_parameters(self, grad):
        dz = super().backward_parameters(grad)
        if not self._in_backward:
            self.grad_weight *= 2
        return dz


def test_backward_parameters_must_agree_with_backward():
    report = check_layer(ShortcutDiffers, (5,), kwargs={"units": 3})
    assert "backward" in report.failures, str(report)
    assert "backward_parameters" in report.failures["backward"]
    assert "gradients" not in report.failures
