"""Shared fixtures for lamina's tests."""

import numpy as np
import pytest

from lamina._kernels import _runtime

AVAILABLE_ISAS = _runtime.available_isas()


@pytest.fixture(params=AVAILABLE_ISAS)
def isa(request):
    """Run the test once per ISA this CPU supports (kernels switch at run time)."""
    from lamina._config import _forced_isa

    with _forced_isa(request.param):
        yield request.param


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def layouts(a):
    """The same matrix as C-order, F-order, and a strided view with negative steps."""
    big = np.zeros((a.shape[0] * 2 + 1, a.shape[1] * 3 + 1), dtype=a.dtype)
    view = big[1::2, 1::3][: a.shape[0], : a.shape[1]]
    view[...] = a
    flipped = np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    return {
        "C": np.ascontiguousarray(a),
        "F": np.asfortranarray(a),
        "strided": view,
        "negative": flipped,
    }


def tol(dtype, n=1, factor=8.0):
    return factor * np.finfo(dtype).eps * max(n, 1)
