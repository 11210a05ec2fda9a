"""The Dask backend on a real multi-process cluster, against lamina's core."""

import concurrent.futures
import os
import signal
import time

import numpy as np
import pytest

pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
lamina_dask = pytest.importorskip("lamina_dask")

import lamina  # noqa: E402
import lamina.linalg  # noqa: E402
import lamina.losses  # noqa: E402
import lamina.solvers  # noqa: E402


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_blocked_matmul_matches_core(client):
    a = _rng(1).standard_normal((1200, 300)).astype(np.float32)
    b = _rng(2).standard_normal((300, 500)).astype(np.float32)
    ad = da.from_array(a, chunks=(300, 100))
    bd = da.from_array(b, chunks=(100, 250))
    with lamina.backend_opts(trace=True) as trace:
        c = lamina.matmul(ad, bd)
    assert trace[0].backend == "dask"
    assert isinstance(c, da.Array) and c.dtype == np.float32
    assert c.numblocks == (4, 2)
    np.testing.assert_allclose(c.compute(), lamina.matmul(a, b), rtol=1e-4, atol=1e-3)
    v = lamina.matvec(ad, da.from_array(b[:, 0], chunks=100)).compute()
    np.testing.assert_allclose(v, lamina.matvec(a, b[:, 0]), rtol=1e-4, atol=1e-3)


def test_tsqr_on_a_tall_array(client):
    a = _rng(3).standard_normal((20000, 40))
    ad = da.from_array(a, chunks=(2500, 40))
    q, r = lamina.linalg.qr(ad)
    q, r = da.compute(q, r)
    assert q.shape == (20000, 40) and r.shape == (40, 40)
    eps = np.finfo(np.float64).eps
    assert np.abs(q.T @ q - np.eye(40)).max() < 100 * eps * 40
    assert np.abs(q @ r - a).max() < 100 * eps * np.abs(a).max() * 40
    assert not np.tril(r, -1).any()
    _, r_core = lamina.linalg.qr(a)
    np.testing.assert_allclose(np.abs(r), np.abs(r_core), rtol=1e-10, atol=1e-10)


def test_randomized_svd_and_pca_on_a_tall_array(client):
    rng = _rng(4)
    # A planted rank-8 signal plus small noise.
    u = np.linalg.qr(rng.standard_normal((6000, 8)))[0]
    v = np.linalg.qr(rng.standard_normal((60, 8)))[0]
    s = np.geomspace(100, 10, 8)
    a = (u * s) @ v.T + 1e-3 * rng.standard_normal((6000, 60))
    ad = da.from_array(a, chunks=(1000, 60))
    uu, ss, vt = lamina_dask.randomized_svd(ad, 8, n_oversamples=10, n_iter=2,
                                            random_state=0)
    uu, ss, vt = da.compute(uu, ss, vt)
    _, s_exact, vt_exact = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(ss, s_exact[:8], rtol=1e-8)
    np.testing.assert_allclose(np.abs(vt @ vt_exact[:8].T), np.eye(8), atol=1e-8)
    np.testing.assert_allclose(np.abs(vt @ v), np.eye(8), atol=1e-3)   # the planted signal
    np.testing.assert_allclose((uu * ss) @ vt, a, atol=1e-2)

    pca = lamina_dask.PCA(n_components=3, random_state=0).fit(ad + 5.0)
    centered = a - a.mean(axis=0)
    sv = np.linalg.svd(centered, compute_uv=False)
    np.testing.assert_allclose(pca.explained_variance_, sv[:3] ** 2 / (6000 - 1), rtol=1e-6)
    np.testing.assert_allclose(pca.mean_, a.mean(axis=0) + 5.0, rtol=1e-12)
    z = pca.transform(ad + 5.0)
    assert isinstance(z, da.Array) and z.shape == (6000, 3)
    np.testing.assert_allclose(np.abs(z.compute()), np.abs(centered @ pca.components_.T),
                               rtol=1e-8, atol=1e-8)


def _poisson(m):
    import scipy.sparse as sp

    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    return sp.csr_array(sp.kron(sp.eye(m), t) + sp.kron(t, sp.eye(m)))


def test_cg_with_distributed_matvec_dense_and_csr(client):
    rng = _rng(5)
    q = rng.standard_normal((800, 800))
    spd = q @ q.T / 800 + np.eye(800)
    b = rng.standard_normal(800)
    res = lamina.solvers.cg(da.from_array(spd, chunks=(200, 800)),
                            da.from_array(b, chunks=200), rtol=1e-10)
    core = lamina.solvers.cg(spd, b, rtol=1e-10)
    assert res.converged and isinstance(res.x, da.Array)
    np.testing.assert_allclose(res.x.compute(), core.x, rtol=1e-8, atol=1e-10)
    assert abs(res.iterations - core.iterations) <= 2

    a = _poisson(30)
    b = rng.standard_normal(900)
    res = lamina.solvers.cg(a, da.from_array(b, chunks=300), rtol=1e-10)
    core = lamina.solvers.cg(a, b, rtol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.x.compute(), core.x, rtol=1e-8, atol=1e-10)


def test_softmax_cross_entropy_over_row_chunks(client):
    rng = _rng(6)
    x = (3 * rng.standard_normal((12000, 20))).astype(np.float32)
    y = rng.integers(0, 20, 12000)
    y[::7] = -1
    sw = rng.random(12000).astype(np.float32)
    cw = (rng.random(20) + 0.5).astype(np.float32)
    xd, yd = da.from_array(x, chunks=(1500, 20)), da.from_array(y, chunks=1700)
    swd = da.from_array(sw, chunks=2000)
    kw = {"class_weight": cw, "ignore_index": -1}
    for reduction in ("mean", "sum", "none"):
        loss, grad = lamina.losses.softmax_cross_entropy(xd, yd, sample_weight=swd,
                                                         reduction=reduction, **kw)
        assert isinstance(grad, da.Array) and grad.numblocks[0] == 8
        ref_loss, ref_grad = lamina.losses.softmax_cross_entropy(
            x, y, sample_weight=sw, reduction=reduction, **kw)
        loss, grad = da.compute(loss, grad)
        assert loss.dtype == np.float32 and grad.dtype == np.float32
        np.testing.assert_allclose(loss, ref_loss, rtol=2e-5)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-7)
    loss, grad = lamina.losses.mse(xd, da.zeros_like(xd), sample_weight=swd)
    ref = lamina.losses.mse(x, np.zeros_like(x), sample_weight=sw)
    np.testing.assert_allclose(loss.compute(), ref[0], rtol=2e-5)
    np.testing.assert_allclose(grad.compute(), ref[1], rtol=1e-5, atol=1e-9)


def test_every_task_passes_an_explicit_thread_count(client):
    def install():
        import lamina

        calls = []
        original = lamina.matmul

        def recording(*args, **kwargs):
            calls.append(kwargs.get("n_threads"))
            return original(*args, **kwargs)

        lamina.matmul = recording
        lamina._recorded_calls = (calls, original)
        return os.environ.get("OMP_NUM_THREADS")

    def collect():
        import lamina

        calls, original = lamina._recorded_calls
        lamina.matmul = original
        del lamina._recorded_calls
        return calls

    omp = client.run(install)
    assert set(omp.values()) == {"1"}          # Dask's workers pin OpenMP to one thread
    a = da.ones((400, 400), chunks=100)
    with lamina_dask.task_threads(2):
        c = lamina.matmul(a, a)
    np.testing.assert_allclose(c.compute(), 400.0)
    calls = [n for worker_calls in client.run(collect).values() for n in worker_calls]
    assert len(calls) == 4 * 4 * 4 and set(calls) == {2}


def test_mixing_with_torch_tensors_raises():
    torch = pytest.importorskip("torch")
    pytest.importorskip("lamina_torch")
    with pytest.raises(TypeError, match="mix arrays of backends"):
        lamina.matmul(da.ones((2, 2)), torch.ones(2, 2))


def test_numpy_stays_on_core_unless_prioritized():
    a = np.eye(3)
    assert lamina.explain("matmul", a, a).backend == "core"
    with lamina.backend_opts(prioritize=["dask"]):
        out = lamina.matmul(a, 2 * a)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, 2 * a)


def test_a_worker_killed_mid_computation(client):
    """SIGKILL one worker process while CG iterates: Dask recomputes its persisted row
    blocks elsewhere and the solve finishes with the undisturbed answer."""
    a = _poisson(40)
    b = _rng(7).standard_normal(1600)
    core = lamina.solvers.cg(a, b, rtol=1e-10)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    iterations_at_kill = []

    def kill_soon(res_x):
        if not iterations_at_kill and time.perf_counter() - start > 0.3:
            iterations_at_kill.append(True)
            os.kill(victim, signal.SIGKILL)

    # The matrix is generated on the workers block by block, so a lost block is
    # recomputed from its (small) recipe.
    dense = da.map_blocks(_poisson_rows, chunks=((200,) * 8, (1600,)), m=40,
                          dtype=np.float64)
    start = time.perf_counter()
    # A watchdog: the solve must finish (rescheduled) or fail, never hang.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        job = pool.submit(lamina.solvers.cg, dense, da.from_array(b, chunks=200),
                          rtol=1e-10, callback=kill_soon)
        res = job.result(timeout=120)
    assert iterations_at_kill, "the solve finished before the worker could be killed"
    assert res.converged
    np.testing.assert_allclose(res.x.compute(), core.x, rtol=1e-8, atol=1e-10)
    client.wait_for_workers(2, timeout=30)          # the nanny restarted the worker
    assert victim not in client.run(os.getpid).values()


def _poisson_rows(block_info=None, m=40):
    start, stop = block_info[None]["array-location"][0]
    return _poisson(m)[start:stop].toarray()

