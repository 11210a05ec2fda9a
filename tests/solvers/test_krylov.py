"""lamina.solvers Krylov methods beside scipy.sparse.linalg."""

import warnings

import numpy as np
import pytest

import lamina
import lamina.solvers as ls
from lamina.solvers import preconditioners as pc

sp = pytest.importorskip("scipy.sparse")
spla = pytest.importorskip("scipy.sparse.linalg")


def poisson2d(m, dtype=np.float64):
    t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    return (sp.kron(eye, t) + sp.kron(t, eye)).tocsr().astype(dtype)


def _scipy_iterations(solver, A, b, **kw):
    count = [0]

    def cb(_):
        count[0] += 1

    x, info = solver(A, b, callback=cb, **kw)
    return x, info, count[0]


def _relres(A, x, b):
    return np.linalg.norm(A @ x.astype(np.float64) - b) / np.linalg.norm(b)


@pytest.mark.parametrize("m", [10, 40])
def test_cg_poisson_iterations_match_scipy(isa, m):
    A = poisson2d(m)
    b = np.random.default_rng(m).standard_normal(m * m)
    res = ls.cg(A, b, rtol=1e-8)
    x_ref, info, its = _scipy_iterations(spla.cg, A, b, rtol=1e-8, maxiter=10 * m * m)
    assert res.converged and info == 0
    assert abs(res.iterations - its) <= 2
    assert _relres(A, res.x, b) <= 1e-8 * 1.01
    np.testing.assert_allclose(res.x, x_ref, rtol=1e-6, atol=1e-6 * np.abs(x_ref).max())
    assert res.residual_history.shape == (res.iterations + 1,)
    assert res.residual_history[0] == pytest.approx(np.linalg.norm(b))
    assert res.residual_norm == res.residual_history[-1]


def test_cg_float32_and_operator_kinds(dtype):
    A = poisson2d(12, dtype)
    b = np.ones(144, dtype=dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    results = [ls.cg(A, b, rtol=rtol),
               ls.cg(A.toarray(), b, rtol=rtol),
               ls.cg(np.asfortranarray(A.toarray()), b, rtol=rtol),
               ls.cg(spla.aslinearoperator(A), b, rtol=rtol),
               ls.cg(ls.aslinearoperator(lambda v: A @ v, A.shape), b, rtol=rtol)]
    for r in results:
        assert r.converged and r.x.dtype == dtype
        assert _relres(A, r.x, b) <= rtol * 1.5
    its = {r.iterations for r in results}
    assert max(its) - min(its) <= 2


def test_cg_multiple_rhs():
    A = poisson2d(10)
    B = np.random.default_rng(0).standard_normal((100, 3))
    B[:, 1] = 0
    res = ls.cg(A, B, rtol=1e-10)
    assert res.x.shape == (100, 3) and res.converged.all()
    for j in range(3):
        single = ls.cg(A, B[:, j], rtol=1e-10)
        assert np.array_equal(res.x[:, j], single.x)
        assert res.iterations[j] == single.iterations
    assert res.residual_history.shape[1] == 3


def test_cg_indefinite_breaks_down():
    A = np.diag([1.0, -2.0, -3.0, 4.0])
    with pytest.warns(lamina.ConvergenceWarning, match=r"p\^T A p <= 0"):
        res = ls.cg(A, np.ones(4))
    assert not res.converged
    assert "not symmetric positive definite" in res.reason
    assert np.isfinite(res.x).all()


def test_minres_symmetric_indefinite():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((60, 60)))
    A = q @ np.diag(np.r_[np.linspace(-5, -1, 30), np.linspace(1, 5, 30)]) @ q.T
    A = (A + A.T) / 2
    b = rng.standard_normal(60)
    res = ls.minres(A, b, rtol=1e-10)
    x_ref, info = spla.minres(A, b, rtol=1e-10)
    assert res.converged
    assert _relres(A, res.x, b) <= 1e-10 * 1.01
    np.testing.assert_allclose(res.x, x_ref, rtol=1e-6, atol=1e-8)
    # Preconditioned (SPD M), sparse input.
    S = poisson2d(8) - 3.0 * sp.eye_array(64)
    b = np.ones(64)
    r1 = ls.minres(S, b, rtol=1e-10, M=pc.Jacobi(S.tocsr() + 7.0 * sp.eye_array(64)))
    assert r1.converged and _relres(S, r1.x, b) <= 1e-10 * 1.01


def _nonsymmetric(n, seed=2):
    rng = np.random.default_rng(seed)
    conv = sp.diags_array([-1.3, 2.5, -0.7], offsets=[-1, 0, 1], shape=(n, n))
    return (conv + sp.random_array((n, n), density=0.01, rng=rng) * 0.1).tocsr()


@pytest.mark.parametrize("solver,ref", [("gmres", "gmres"), ("bicgstab", "bicgstab")])
def test_nonsymmetric_agree_with_scipy(solver, ref):
    A = _nonsymmetric(300)
    b = np.random.default_rng(3).standard_normal(300)
    res = getattr(ls, solver)(A, b, rtol=1e-10)
    x_ref, info = getattr(spla, ref)(A, b, rtol=1e-10)
    assert res.converged and info == 0
    assert _relres(A, res.x, b) <= 1e-10 * 1.01
    np.testing.assert_allclose(res.x, x_ref, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["gmres", "bicgstab"])
def test_nonsymmetric_preconditioned(solver):
    A = _nonsymmetric(400, seed=5)
    b = np.ones(400)
    plain = getattr(ls, solver)(A, b, rtol=1e-10)
    pre = getattr(ls, solver)(A, b, rtol=1e-10, M=pc.SSOR(A))
    assert plain.converged and pre.converged
    assert pre.iterations < plain.iterations
    assert _relres(A, pre.x, b) <= 1e-10 * 1.01


def test_gmres_restart_and_maxiter_cycles():
    A = _nonsymmetric(200, seed=7)
    b = np.ones(200)
    r5 = ls.gmres(A, b, restart=5, rtol=1e-10, maxiter=1000)
    assert r5.converged
    with pytest.warns(lamina.ConvergenceWarning, match="restart cycles"):
        short = ls.gmres(A, b, restart=5, maxiter=2, rtol=1e-14)
    assert short.iterations <= 10 and not short.converged
    assert short.residual_norm == pytest.approx(np.linalg.norm(b - A @ short.x), rel=1e-8)


@pytest.mark.parametrize("M", ["jacobi", "ssor", "ic0", "matrix", "operator"])
def test_preconditioning_reduces_cg_iterations(M):
    A = poisson2d(30)
    b = np.ones(900)
    plain = ls.cg(A, b, rtol=1e-8)
    d = A.diagonal()
    prec = {"jacobi": lambda: pc.SSOR(A, omega=1.5),
            "ssor": lambda: pc.SSOR(A, omega=1.5),
            "ic0": lambda: pc.IncompleteCholesky(A),
            "matrix": lambda: pc.IncompleteCholesky(A),
            "operator": lambda: ls.aslinearoperator(pc.IncompleteCholesky(A).matvec,
                                                    A.shape)}[M]()
    if M == "jacobi":
        # Poisson's diagonal is constant, so Jacobi only rescales: same iterations.
        r = ls.cg(A, b, rtol=1e-8, M=pc.Jacobi(A))
        assert abs(r.iterations - plain.iterations) <= 1
        scaled = sp.diags_array(np.linspace(1, 100, 900)) @ A @ sp.diags_array(
            np.linspace(1, 100, 900))
        assert (ls.cg(scaled, b, rtol=1e-8, M=pc.Jacobi(scaled)).iterations
                < ls.cg(scaled, b, rtol=1e-8, maxiter=100_000).iterations)
        return
    if M == "matrix":
        # A dense approximate inverse applied as M @ r.
        prec = np.linalg.inv(A.toarray() + 0.5 * np.diag(d))
    res = ls.cg(A, b, rtol=1e-8, M=prec)
    assert res.converged and res.iterations < plain.iterations
    assert _relres(A, res.x, b) <= 1e-8 * 1.01


def test_ic0_matches_dense_cholesky_on_tridiagonal():
    # IC(0) of a tridiagonal matrix is its exact Cholesky factor (no fill-in exists).
    A = sp.diags_array([-1.0, 3.0, -1.0], offsets=[-1, 0, 1], shape=(20, 20)).tocsr()
    M = pc.IncompleteCholesky(A)
    b = np.arange(20.0)
    np.testing.assert_allclose(M.matvec(b), np.linalg.solve(A.toarray(), b), rtol=1e-12)
    with pytest.raises(lamina.LinAlgError, match="row 0"):
        pc.IncompleteCholesky(-A)


def test_callback_and_progress(capsys):
    A = poisson2d(8)
    b = np.ones(64)
    seen = []
    res = ls.cg(A, b, callback=lambda xk: seen.append(xk.copy()), progress=True)
    assert len(seen) == res.iterations
    np.testing.assert_array_equal(seen[-1], res.x)
    for solver in (ls.minres, ls.bicgstab, ls.gmres):
        calls = []
        solver(A, b, callback=calls.append)
        assert calls


def test_progress_without_tqdm(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match="pip install tqdm"):
        ls.cg(np.eye(3), np.ones(3), progress=True)


def test_callback_exception_propagates():
    def boom(_):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ls.cg(poisson2d(5), np.ones(25), callback=boom)


@pytest.mark.parametrize("solver", ["cg", "minres", "gmres", "bicgstab"])
def test_zero_rhs_and_maxiter_zero(solver):
    f = getattr(ls, solver)
    A = poisson2d(5)
    res = f(A, np.zeros(25), x0=np.ones(25))
    assert res.converged and res.iterations == 0 and not res.x.any()
    x0 = np.full(25, 0.5)
    with pytest.warns(lamina.ConvergenceWarning):
        res = f(A, np.ones(25), x0=x0, maxiter=0)
    assert res.iterations == 0 and not res.converged
    np.testing.assert_array_equal(res.x, x0)
    assert x0[0] == 0.5                                     # input untouched
    assert res.residual_norm == pytest.approx(np.linalg.norm(np.ones(25) - A @ x0))


@pytest.mark.parametrize("solver", ["cg", "minres", "gmres", "bicgstab", "jacobi",
                                    "gauss_seidel", "sor"])
def test_bad_input(solver):
    f = getattr(ls, solver)
    A = poisson2d(3).toarray()
    with pytest.raises(ValueError, match="square"):
        f(np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="rows"):
        f(A, np.ones(4))
    bad = A.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        f(bad, np.ones(9))
    with pytest.raises(ValueError, match="NaN"):
        f(sp.csr_array(bad), np.ones(9))
    with pytest.raises(ValueError, match="NaN"):
        f(A, np.r_[np.ones(8), np.inf])
    with pytest.raises(ValueError, match="x0"):
        f(A, np.ones(9), x0=np.ones(8))
    with pytest.raises(ValueError, match="rtol"):
        f(A, np.ones(9), rtol=-1.0)
    with pytest.raises(ValueError, match="maxiter"):
        f(A, np.ones(9), maxiter=-1)
    with pytest.raises(TypeError, match="complex"):
        f(A.astype(complex), np.ones(9))


def test_operator_errors():
    with pytest.raises(TypeError, match="aslinearoperator"):
        ls.cg(lambda v: v, np.ones(3))
    bad = ls.aslinearoperator(lambda v: np.ones(2), (3, 3))
    with pytest.raises(ValueError, match="returned shape"):
        ls.cg(bad, np.ones(3))
    with pytest.raises(TypeError, match="matrix-free"):
        ls.jacobi(ls.aslinearoperator(lambda v: v, (3, 3)), np.ones(3))


def test_thread_count_does_not_change_iterates():
    A = poisson2d(200)                                      # 40k unknowns: threaded kernels
    b = np.ones(40_000)
    with pytest.warns(lamina.ConvergenceWarning):
        r1 = ls.cg(A, b, maxiter=30, n_threads=1, rtol=0.0)
    with pytest.warns(lamina.ConvergenceWarning):
        r2 = ls.cg(A, b, maxiter=30, n_threads=2, rtol=0.0)
    assert np.array_equal(r1.x, r2.x)
    assert np.array_equal(r1.residual_history, r2.residual_history)


def test_dispatch_declared():
    for op in ("cg", "minres", "gmres", "bicgstab", "jacobi", "gauss_seidel", "sor"):
        assert lamina.explain(op, np.eye(2), np.ones(2)).backend == "core"


def test_result_repr():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ls.cg(np.eye(2), np.ones(2))
    assert "converged=True" in repr(res)


def test_long_nogil_solve_can_be_interrupted():
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no setitimer")

    def handler(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt):
            ls.cg(poisson2d(200), np.ones(40000), rtol=0.0, maxiter=10**7)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
