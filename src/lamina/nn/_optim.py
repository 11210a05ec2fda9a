"""Optimizers with fused in-place update kernels, learning-rate schedules, gradient clipping.

Update rules are PyTorch's (``torch.optim``), so hyper-parameters carry over unchanged:

* SGD: ``d = g + wd*p``; with momentum ``v = mu*v + d`` (``v = d`` on the first step) and
  ``d = v`` (or ``d + mu*v`` with Nesterov); ``p -= lr*d``.
* Adam: L2 weight decay added to the gradient; AdamW: decoupled ``p *= 1 - lr*wd``; both
  with bias-corrected first and second moments.
* RMSprop: ``s = alpha*s + (1-alpha)*d^2``, ``p -= lr * d/(sqrt(s)+eps)`` (with momentum
  buffer when ``momentum > 0``).

Each step is one pass per parameter array in ``lamina._kernels._nn`` — no temporaries.
"""

import math

import numpy as np

from lamina._kernels import _nn
from lamina.blas import nrm2
from lamina.nn._base import threads

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "StepLR", "CosineAnnealingLR", "clip_grad_norm"]


def _check(name, value, low=0.0, high=math.inf, low_open=False):
    value = float(value)
    if math.isnan(value) or value < low or value > high or (low_open and value == low):
        raise ValueError(f"{name} must be in {'(' if low_open else '['}{low}, {high}], "
                         f"got {value}")
    return value


class Optimizer:
    """Base class: holds ``(params, grads)`` pairs and per-parameter state."""

    def __init__(self, lr):
        self.lr = _check("lr", lr, low_open=True)
        self.initial_lr = self.lr
        self._pairs = []
        self._flat = []
        self.state = []
        self.iterations = 0

    def attach(self, params, grads):
        """Bind to lists of parameter arrays and their gradient arrays (same shapes)."""
        if len(params) != len(grads):
            raise ValueError("params and grads must pair up one to one")
        for p, g in zip(params, grads, strict=True):
            if p.shape != g.shape or p.dtype != g.dtype or not p.flags.c_contiguous:
                raise ValueError(f"parameter {p.shape} {p.dtype} and gradient {g.shape} "
                                 f"{g.dtype} must match and be C-contiguous")
        self._pairs = list(zip(params, grads, strict=True))
        # flat views made once (a gradient that is not C-contiguous is flattened, i.e.
        # copied, at each step instead)
        self._flat = [(p.reshape(-1), g.reshape(-1) if g.flags.c_contiguous else None, g)
                      for p, g in self._pairs]
        self.state = [self._init_state(p) for p in params]
        self.iterations = 0
        return self

    def _init_state(self, p):
        return ()

    def step(self):
        """Apply one update to every attached parameter, in place."""
        if not self._pairs:
            raise RuntimeError(f"{type(self).__name__} has no parameters: call attach() (or "
                               "pass it to Model.fit) first")
        self.iterations += 1
        nt = threads()
        update = self._update
        for (p, g_flat, g), state in zip(self._flat, self.state, strict=True):
            update(p, g.reshape(-1) if g_flat is None else g_flat, state, nt)

    def get_config(self):
        return {"lr": self.initial_lr}


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.nn import SGD
    >>> p, g = np.ones(3), np.full(3, 0.5)
    >>> SGD(lr=0.1).attach([p], [g]).step()
    >>> p
    array([0.95, 0.95, 0.95])
    """

    def __init__(self, lr=0.01, *, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr)
        self.momentum = _check("momentum", momentum)
        self.weight_decay = _check("weight_decay", weight_decay)
        if nesterov and self.momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)

    def _init_state(self, p):
        return (np.zeros(p.size if self.momentum else 0, dtype=p.dtype),)

    def _update(self, p, g, state, nt):
        velocity = state[0] if self.momentum else p
        _nn.sgd_update(p, g, velocity, self.lr, self.momentum, self.weight_decay,
                       self.nesterov, self.iterations == 1, nt)

    def get_config(self):
        return {"lr": self.initial_lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with L2 weight decay added to the gradient."""

    decoupled = False

    def __init__(self, lr=0.001, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr)
        self.beta1 = _check("betas[0]", betas[0], 0.0, 1.0)
        self.beta2 = _check("betas[1]", betas[1], 0.0, 1.0)
        if self.beta1 == 1.0 or self.beta2 == 1.0:
            raise ValueError("betas must be < 1")
        self.eps = _check("eps", eps, low_open=True)
        self.weight_decay = _check("weight_decay", weight_decay)

    def _init_state(self, p):
        return (np.zeros(p.size, p.dtype), np.zeros(p.size, p.dtype))

    def _update(self, p, g, state, nt):
        _nn.adam_update(p, g, state[0], state[1], self.lr, self.beta1, self.beta2, self.eps,
                        self.weight_decay, self.decoupled, self.iterations, nt)

    def get_config(self):
        return {"lr": self.initial_lr, "betas": [self.beta1, self.beta2], "eps": self.eps,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

    decoupled = True

    def __init__(self, lr=0.001, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(lr, betas=betas, eps=eps, weight_decay=weight_decay)


class RMSprop(Optimizer):
    """RMSprop with optional momentum and weight decay."""

    def __init__(self, lr=0.01, *, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
        super().__init__(lr)
        self.alpha = _check("alpha", alpha, 0.0, 1.0)
        self.eps = _check("eps", eps, low_open=True)
        self.weight_decay = _check("weight_decay", weight_decay)
        self.momentum = _check("momentum", momentum)

    def _init_state(self, p):
        return (np.zeros(p.size, p.dtype), np.zeros(p.size if self.momentum else 1, p.dtype))

    def _update(self, p, g, state, nt):
        _nn.rmsprop_update(p, g, state[0], state[1] if self.momentum else state[0], self.lr,
                           self.alpha, self.eps, self.weight_decay, self.momentum, nt)

    def get_config(self):
        return {"lr": self.initial_lr, "alpha": self.alpha, "eps": self.eps,
                "weight_decay": self.weight_decay, "momentum": self.momentum}


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if int(step_size) < 1:
            raise ValueError(f"step_size must be >= 1, got {step_size}")
        self.optimizer, self.step_size, self.gamma = optimizer, int(step_size), float(gamma)
        self.epoch = 0

    def step(self):
        self.epoch += 1
        self.optimizer.lr = self.optimizer.initial_lr * self.gamma ** (self.epoch //
                                                                       self.step_size)


class CosineAnnealingLR:
    """Cosine decay from the initial rate to ``eta_min`` over ``t_max`` epochs."""

    def __init__(self, optimizer, t_max, eta_min=0.0):
        if int(t_max) < 1:
            raise ValueError(f"t_max must be >= 1, got {t_max}")
        self.optimizer, self.t_max, self.eta_min = optimizer, int(t_max), float(eta_min)
        self.epoch = 0

    def step(self):
        self.epoch += 1
        t = min(self.epoch, self.t_max)
        base = self.optimizer.initial_lr
        self.optimizer.lr = self.eta_min + 0.5 * (base - self.eta_min) * (
            1 + math.cos(math.pi * t / self.t_max))


def clip_grad_norm(grads, max_norm):
    """Scale gradients in place so their global 2-norm is at most ``max_norm``.

    Returns the norm before clipping (computed with lamina's overflow-free nrm2).

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.nn import clip_grad_norm
    >>> g = [np.array([3.0, 4.0])]
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> g[0]
    array([0.6, 0.8])
    """
    max_norm = _check("max_norm", max_norm, low_open=True)
    norms = [float(nrm2(g.reshape(-1))) for g in grads]
    total = math.hypot(*norms) if norms else 0.0
    if total > max_norm and math.isfinite(total):
        factor = max_norm / (total + 1e-12 * max_norm)
        for g in grads:
            _nn.scale_in_place(g.reshape(-1), factor, threads())
    return total
