"""Planted low-rank tensors shared by the tests (NumPy builds them: it is the oracle)."""

import importlib.util
import pathlib
import types

import numpy as np
import pytest

if importlib.util.find_spec("lamina_tensor") is None:   # one visible skip instead
    collect_ignore = [p.name for p in pathlib.Path(__file__).parent.glob("test_*.py")
                      if p.name != "test_installed.py"]


def orthonormal(rng, n, r):
    q, _ = np.linalg.qr(rng.standard_normal((n, r)))
    return q


def planted_tucker(shape, ranks, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    core = rng.standard_normal(ranks)
    factors = [orthonormal(rng, n, r) for n, r in zip(shape, ranks, strict=True)]
    x = core
    for k, u in enumerate(factors):
        x = np.moveaxis(np.tensordot(u, x, axes=(1, k)), 0, k)
    if noise:
        x = x + noise * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(x.shape)
    return x, core, factors


def planted_cp(shape, rank, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    factors = [rng.standard_normal((n, rank)) for n in shape]
    x = np.zeros(shape)
    for r in range(rank):
        term = factors[0][:, r]
        for a in factors[1:]:
            term = np.multiply.outer(term, a[:, r])
        x += term
    if noise:
        x = x + noise * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(x.shape)
    return x, factors


def congruence(a, b):
    """Smallest |cosine| between matched columns of a and b (best permutation, greedy)."""
    an = a / np.linalg.norm(a, axis=0)
    bn = b / np.linalg.norm(b, axis=0)
    cos = np.abs(an.T @ bn)
    worst = 1.0
    for _ in range(cos.shape[0]):
        i, j = np.unravel_index(np.argmax(cos), cos.shape)
        worst = min(worst, cos[i, j])
        cos[i, :] = -1
        cos[:, j] = -1
    return worst


@pytest.fixture
def planted():
    """``planted.tucker(...)``, ``planted.cp(...)``, ``planted.congruence(a, b)``."""
    return types.SimpleNamespace(tucker=planted_tucker, cp=planted_cp, congruence=congruence)
