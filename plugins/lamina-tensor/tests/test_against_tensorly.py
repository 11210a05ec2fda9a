"""Accuracy beside TensorLy (the peer; installed with the plugin's [test] extra)."""

import warnings

import numpy as np
import pytest
from lamina_tensor import CP, Tucker

tl = pytest.importorskip("tensorly")
from tensorly.decomposition import parafac, tucker  # noqa: E402


@pytest.mark.parametrize("shape, ranks, noise", [((30, 20, 10), (5, 4, 3), 0.1),
                                                 ((12, 10, 9, 8), (3, 3, 2, 2), 0.2)])
def test_tucker_matches_tensorly(planted, shape, ranks, noise):
    x, _, _ = planted.tucker(shape, ranks, noise=noise, seed=3)
    ours = Tucker(rank=ranks, tol=1e-12).fit(x)
    core, factors = tucker(tl.tensor(x), rank=list(ranks), init="svd", n_iter_max=100,
                           tol=1e-12)
    theirs = np.linalg.norm(x - tl.tucker_to_tensor((core, factors))) / np.linalg.norm(x)
    # both are HOOI from the HOSVD: same stationary point, same error
    assert ours.reconstruction_error_ == pytest.approx(theirs, rel=1e-6)
    for u, v in zip(ours.factors_, factors, strict=True):
        np.testing.assert_allclose(u @ u.T, v @ v.T, atol=1e-6)


@pytest.mark.parametrize("shape, rank, noise", [((25, 20, 15), 4, 0.0),
                                                ((25, 20, 15), 4, 0.1),
                                                ((10, 9, 8, 7), 3, 0.05)])
def test_cp_matches_tensorly(planted, shape, rank, noise):
    x, _ = planted.cp(shape, rank, noise=noise, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = CP(rank=rank, tol=1e-12, max_iter=500).fit(x)
        cp = parafac(tl.tensor(x), rank, init="svd", n_iter_max=500, tol=1e-12)
    theirs = np.linalg.norm(x - tl.cp_to_tensor(cp)) / np.linalg.norm(x)
    # (a noiseless tensor: both end at ~1e-9, the resolution of the fit criterion)
    assert ours.reconstruction_error_ <= theirs * (1 + 1e-4) + 1e-7
