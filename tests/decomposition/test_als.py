"""ALS: planted low-rank recovery, the Cholesky row solves, queries and bad input."""

import numpy as np
import pytest

import lamina
from lamina.decomposition import ALS

sp = pytest.importorskip("scipy.sparse")


def _planted(n_users=80, n_items=60, rank=4, density=0.6, seed=0):
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n_users, rank))
    V = rng.standard_normal((n_items, rank))
    full = U @ V.T + 3.0
    mask = rng.random(full.shape) < density
    return full, mask


def test_explicit_recovers_planted_low_rank_matrix():
    full, mask = _planted()
    # a rank-4 matrix plus a constant is rank 5
    R = sp.csr_array(np.where(mask, full, 0.0))
    model = ALS(n_factors=5, regularization=1e-3, iterations=40, random_state=0).fit(R)
    pred = model.user_factors_ @ model.item_factors_.T
    held_out = ~mask
    rmse = np.sqrt(np.mean((pred[held_out] - full[held_out]) ** 2))
    assert rmse < 0.05 * full.std()
    # the objective never increases (each half-step is an exact minimization)
    assert np.all(np.diff(model.loss_) <= 1e-9 * model.loss_[0])
    u, i = np.nonzero(held_out)
    np.testing.assert_allclose(model.predict(u[:20], i[:20]), pred[u[:20], i[:20]],
                               rtol=1e-12)


def test_half_step_solves_the_normal_equations():
    from lamina._kernels import _decomp

    rng = np.random.default_rng(1)
    R = sp.random(30, 25, density=0.3, format="csr", random_state=2, dtype=np.float64)
    R.data *= 5
    Y = rng.standard_normal((25, 6))
    reg, alpha = 0.1, 2.0
    for implicit in (False, True):
        X = np.zeros((30, 6))
        gram = Y.T @ Y
        work = np.empty((2, 6 * 6 + 12))
        failed = _decomp.als_solve(R.indptr, R.indices, R.data, Y, gram, X, work, reg,
                                   alpha, implicit, 2)
        assert failed == 0
        for u in range(30):
            cols = R.indices[R.indptr[u]:R.indptr[u + 1]]
            vals = R.data[R.indptr[u]:R.indptr[u + 1]]
            Yu = Y[cols]
            if implicit:
                c = 1 + alpha * vals
                A = gram + Yu.T @ ((c - 1)[:, None] * Yu) + reg * np.eye(6)
                b = Yu.T @ c
            else:
                A = Yu.T @ Yu + reg * np.eye(6)
                b = Yu.T @ vals
            np.testing.assert_allclose(X[u], np.linalg.solve(A, b), rtol=1e-9, atol=1e-12)


def test_implicit_recommends_within_the_user_group():
    rng = np.random.default_rng(0)
    n_users, n_items = 60, 40
    counts = np.zeros((n_users, n_items))
    group_u = np.arange(n_users) % 2
    group_i = np.arange(n_items) % 2
    for u in range(n_users):
        mine = np.flatnonzero(group_i == group_u[u])
        seen = rng.choice(mine, size=8, replace=False)
        counts[u, seen] = rng.integers(1, 5, size=8)
    R = sp.csr_array(counts)
    model = ALS(n_factors=4, regularization=0.1, iterations=15, implicit=True, alpha=10.0,
                random_state=0).fit(R)
    for u in (0, 1, 7):
        items, scores = model.recommend(u, k=5)
        assert np.all(group_i[items] == group_u[u])
        assert not set(items) & set(np.flatnonzero(counts[u]))   # seen items excluded
        assert np.all(np.diff(scores) <= 0)
    items, _ = model.recommend(0, k=n_items, exclude_seen=False)
    assert len(items) == n_items
    similar, sims = model.similar_items(3, k=5)
    assert 3 not in similar and np.all(group_i[similar] == group_i[3])
    assert np.all(sims <= 1 + 1e-12)


def test_sparse_and_dense_input_agree_and_float32():
    full, mask = _planted(30, 20, 3)
    dense = np.where(mask, full, 0.0)
    a = ALS(3, iterations=5, random_state=0).fit(sp.coo_matrix(dense))
    b = ALS(3, iterations=5, random_state=0).fit(dense)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-10, atol=1e-12)
    c = ALS(3, iterations=5, random_state=0).fit(sp.csr_array(dense.astype(np.float32)))
    assert c.user_factors_.dtype == np.float32 and c.item_factors_.dtype == np.float32
    np.testing.assert_allclose(c.user_factors_, a.user_factors_, rtol=1e-2, atol=1e-3)


def test_results_do_not_depend_on_thread_count():
    full, mask = _planted(50, 40, 3)
    R = sp.csr_array(np.where(mask, full, 0.0))
    with lamina.threads(1):
        a = ALS(3, iterations=4, random_state=0).fit(R)
    with lamina.threads(2):
        b = ALS(3, iterations=4, random_state=0).fit(R)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)


def test_bad_input_and_queries():
    full, mask = _planted(20, 10, 2)
    R = sp.csr_array(np.where(mask, full, 0.0))
    with pytest.raises(ValueError, match="n_factors"):
        ALS(0).fit(R)
    with pytest.raises(ValueError, match="regularization"):
        ALS(2, regularization=-1.0).fit(R)
    bad = R.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ALS(2).fit(bad)
    with pytest.raises(ValueError, match="non-negative"):
        ALS(2, implicit=True).fit(sp.csr_array(-np.abs(full)))
    with pytest.raises(lamina.LinAlgError, match="regularization > 0"):
        ALS(5, regularization=0.0).fit(sp.csr_array(np.eye(20, 10)))
    model = ALS(2, iterations=2, random_state=0)
    with pytest.raises(ValueError, match="not fitted"):
        model.recommend(0)
    model.fit(R)
    with pytest.raises(ValueError, match="user"):
        model.predict(20, 0)
    with pytest.raises(ValueError, match="item"):
        model.similar_items(-1)
    with pytest.raises(ValueError, match="k must be"):
        model.recommend(0, k=0)


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    full, mask = _planted(20, 10, 2)
    ALS(2, iterations=3, progress=True, random_state=0).fit(np.where(mask, full, 0.0))
    assert "ALS" in capsys.readouterr().err
