"""Optimizer steps against hand-computed updates (PyTorch's rules)."""

import math

import numpy as np
import pytest

import lamina.nn as nn


def _run(opt, p0, grads):
    p = np.array(p0, dtype=np.float64)
    g = np.zeros_like(p)
    opt.attach([p], [g])
    for step_grad in grads:
        g[...] = step_grad
        opt.step()
    return p


def test_sgd_plain_and_weight_decay():
    p = _run(nn.SGD(lr=0.1, weight_decay=0.5), [1.0, -2.0], [[0.2, 0.4]])
    np.testing.assert_allclose(p, [1.0 - 0.1 * (0.2 + 0.5), -2.0 - 0.1 * (0.4 - 1.0)])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(nesterov):
    lr, mu = 0.1, 0.9
    grads = [[1.0], [0.5], [-0.25]]
    p_ref, v = 2.0, 0.0
    for i, (g,) in enumerate(grads):
        v = g if i == 0 else mu * v + g
        p_ref -= lr * (g + mu * v if nesterov else v)
    p = _run(nn.SGD(lr=lr, momentum=mu, nesterov=nesterov), [2.0], grads)
    np.testing.assert_allclose(p, [p_ref])


@pytest.mark.parametrize("cls,wd", [(nn.Adam, 0.0), (nn.Adam, 0.1), (nn.AdamW, 0.1)])
def test_adam_family(cls, wd):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    grads = [[0.3], [-0.1], [0.2], [0.05]]
    p_ref, m, v = 1.5, 0.0, 0.0
    for t, (g,) in enumerate(grads, start=1):
        if cls is nn.AdamW:
            p_ref *= 1 - lr * wd
        else:
            g = g + wd * p_ref
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p_ref -= lr * mhat / (math.sqrt(vhat) + eps)
    p = _run(cls(lr=lr, weight_decay=wd), [1.5], grads)
    np.testing.assert_allclose(p, [p_ref], rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop(momentum):
    lr, alpha, eps = 0.01, 0.99, 1e-8
    grads = [[0.3], [-0.2], [0.1]]
    p_ref, s, buf = 1.0, 0.0, 0.0
    for (g,) in grads:
        s = alpha * s + (1 - alpha) * g * g
        u = g / (math.sqrt(s) + eps)
        if momentum:
            buf = momentum * buf + u
            u = buf
        p_ref -= lr * u
    p = _run(nn.RMSprop(lr=lr, momentum=momentum), [1.0], grads)
    np.testing.assert_allclose(p, [p_ref], rtol=1e-12)


def test_float32_parameters_stay_float32():
    p = np.ones(10, np.float32)
    g = np.full(10, 0.5, np.float32)
    nn.Adam(lr=0.1).attach([p], [g]).step()
    assert p.dtype == np.float32 and np.all(p < 1)


def test_schedules():
    opt = nn.SGD(lr=1.0)
    step = nn.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        step.step()
        lrs.append(opt.lr)
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt = nn.SGD(lr=1.0)
    cos = nn.CosineAnnealingLR(opt, t_max=4, eta_min=0.0)
    values = []
    for _ in range(4):
        cos.step()
        values.append(opt.lr)
    np.testing.assert_allclose(values, [0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(1, 5)])


def test_clip_grad_norm():
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    total = nn.clip_grad_norm(grads, 1.0)
    assert total == 5.0
    np.testing.assert_allclose(math.hypot(*[np.linalg.norm(g) for g in grads]), 1.0)
    small = [np.array([0.1])]
    nn.clip_grad_norm(small, 1.0)
    assert small[0][0] == 0.1


def test_optimizer_errors():
    with pytest.raises(ValueError, match="lr"):
        nn.SGD(lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        nn.SGD(lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        nn.Adam(betas=(1.0, 0.9))
    with pytest.raises(RuntimeError, match="attach"):
        nn.SGD(lr=0.1).step()
    with pytest.raises(ValueError, match="match"):
        nn.SGD(lr=0.1).attach([np.ones(2)], [np.ones(3)])
