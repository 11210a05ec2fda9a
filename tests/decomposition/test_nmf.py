"""NMF against scikit-learn on the same data and settings."""

import warnings

import numpy as np
import pytest

import lamina
from lamina.decomposition import NMF

sk_decomp = pytest.importorskip("sklearn.decomposition")


def _dense(shape=(60, 30), seed=0, dtype=np.float64):
    return np.abs(np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def _digits(n=300):
    return lamina.datasets.load_digits().data[:n]


def _fit_both(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = NMF(**kw)
        W = ours.fit_transform(X)
        ref = sk_decomp.NMF(**kw)
        Wr = ref.fit_transform(X)
    return ours, W, ref, Wr


SETTINGS = [
    dict(solver="cd", beta_loss="frobenius"),
    dict(solver="mu", beta_loss="frobenius"),
    dict(solver="mu", beta_loss="kullback-leibler"),
    dict(solver="cd", beta_loss="frobenius", alpha_W=0.01, l1_ratio=0.5),
    dict(solver="mu", beta_loss="frobenius", alpha_W=0.02, alpha_H=0.01, l1_ratio=0.2),
    dict(solver="cd", beta_loss="frobenius", shuffle=True),
]


@pytest.mark.parametrize("data", ["dense", "digits"])
@pytest.mark.parametrize("setting", SETTINGS)
def test_reconstruction_error_matches_sklearn(data, setting):
    X = _dense() if data == "dense" else _digits()
    ours, W, ref, Wr = _fit_both(X, n_components=5, init="random", random_state=0,
                                 max_iter=300, **setting)
    assert ours.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=0.01)
    assert W.shape == Wr.shape and ours.components_.shape == ref.components_.shape
    assert (W >= 0).all() and (ours.components_ >= 0).all()
    # same iterates: the algorithms are the same, so the models agree closely too
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(W, Wr, rtol=1e-6, atol=1e-8 * np.abs(Wr).max())


@pytest.mark.parametrize("solver", ["cd", "mu"])
def test_transform_and_inverse_match_sklearn(solver):
    X = _dense()
    ours, _, ref, _ = _fit_both(X, n_components=4, init="random", random_state=1,
                                solver=solver, max_iter=400)
    Xn = _dense((10, 30), seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(ours.transform(Xn), ref.transform(Xn), rtol=1e-6,
                                   atol=1e-9)
    Wn = ours.transform(Xn)
    np.testing.assert_allclose(ours.inverse_transform(Wn), ref.inverse_transform(Wn),
                               rtol=1e-10)


def test_cd_kernel_equals_sklearn_sweep_for_any_thread_count():
    from sklearn.decomposition._cdnmf_fast import _update_cdnmf_fast

    from lamina._kernels import _decomp

    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        W = np.abs(rng.standard_normal((700, 40))).astype(dtype)
        H = np.abs(rng.standard_normal((40, 40))).astype(dtype)
        HHt = (H @ H.T).astype(dtype)
        XHt = (rng.random((700, 40)) * 50).astype(dtype)
        perm = rng.permutation(40).astype(np.intp)
        Wr = W.copy()
        vr = _update_cdnmf_fast(Wr, HHt, XHt, perm)
        for threads in (1, 2, 3):
            Wl = W.copy()
            vl = _decomp.cdnmf_update(Wl, HHt, XHt, perm, np.empty(700), threads)
            np.testing.assert_array_equal(Wl, Wr)
            assert vl == pytest.approx(vr, rel=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.filterwarnings("ignore::lamina.ConvergenceWarning")
def test_float32_preserved_and_close_to_float64():
    X = _dense()
    m64 = NMF(3, init="random", random_state=0, max_iter=400, tol=1e-6).fit(X)
    m32 = NMF(3, init="random", random_state=0, max_iter=400, tol=1e-6).fit(
        X.astype(np.float32))
    assert m32.components_.dtype == np.float32
    assert m32.transform(X.astype(np.float32)).dtype == np.float32
    assert m32.reconstruction_err_ == pytest.approx(m64.reconstruction_err_, rel=1e-2)


def test_convergence_warning_and_n_iter():
    X = _dense()
    with pytest.warns(lamina.ConvergenceWarning, match="Maximum number of iterations 3"):
        m = NMF(3, init="random", random_state=0, max_iter=3).fit(X)
    assert m.n_iter_ == 3


def test_bad_input():
    X = _dense()
    neg = X.copy()
    neg[2, 3] = -1.0
    with pytest.raises(ValueError, match="Negative values"):
        NMF(2, init="random").fit(neg)
    nan = X.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        NMF(2, init="random").fit(nan)
    with pytest.raises(ValueError, match="n_components"):
        NMF(0).fit(X)
    with pytest.raises(ValueError, match="beta_loss"):
        NMF(2, solver="cd", beta_loss="kullback-leibler").fit(X)
    with pytest.raises(ValueError, match="solver"):
        NMF(2, solver="als").fit(X)
    with pytest.raises(ValueError, match="init"):
        NMF(2, init="svd").fit(X)
    with pytest.raises(ValueError, match="min"):
        NMF(40, init="nndsvd").fit(X)
    m = NMF(2, init="random", random_state=0).fit(X)
    with pytest.raises(ValueError, match="29 features, but NMF is expecting 30"):
        m.transform(X[:, :-1])
    with pytest.raises(ValueError, match="Negative values"):
        m.transform(neg)


def test_custom_init_and_progress(capsys):
    pytest.importorskip("tqdm")
    X = _dense()
    rng = np.random.default_rng(0)
    W0 = np.abs(rng.standard_normal((60, 3)))
    H0 = np.abs(rng.standard_normal((3, 30)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = NMF(3, init="custom", max_iter=50, progress=True)
        W = ours.fit_transform(X, W=W0.copy(), H=H0.copy())
        ref = sk_decomp.NMF(3, init="custom", max_iter=50)
        Wr = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
    np.testing.assert_allclose(W, Wr, rtol=1e-6, atol=1e-10)
    assert "NMF (cd)" in capsys.readouterr().err
    with pytest.raises(ValueError, match="W and H"):
        NMF(3, init="custom").fit(X)
