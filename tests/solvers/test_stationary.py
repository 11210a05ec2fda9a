"""Jacobi, Gauss-Seidel and SOR: convergence, divergence, zero diagonals."""

import numpy as np
import pytest

import lamina
import lamina.solvers as ls

sp = pytest.importorskip("scipy.sparse")


def _dominant(n, dtype=np.float64, index_dtype=np.int32):
    a = sp.diags_array([-1.0, -1.5, 5.0, -1.2, -0.5], offsets=[-7, -1, 0, 1, 3],
                       shape=(n, n)).tocsr().astype(dtype)
    a.indices = a.indices.astype(index_dtype)
    a.indptr = a.indptr.astype(index_dtype)
    return a


@pytest.mark.parametrize("solver", ["jacobi", "gauss_seidel", "sor"])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_converge_on_diagonally_dominant(solver, index_dtype, dtype):
    A = _dominant(200, dtype, index_dtype)
    b = np.random.default_rng(0).standard_normal(200).astype(dtype)
    kw = {"omega": 1.1} if solver == "sor" else {}
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    res = getattr(ls, solver)(A, b, rtol=rtol, **kw)
    assert res.converged and res.x.dtype == dtype
    x = np.linalg.solve(A.toarray().astype(np.float64), b.astype(np.float64))
    np.testing.assert_allclose(res.x, x, rtol=0, atol=50 * rtol * np.abs(x).max())
    assert res.residual_history.shape == (res.iterations + 1,)
    dense = getattr(ls, solver)(A.toarray(), b, rtol=rtol, **kw)
    assert abs(dense.iterations - res.iterations) <= 1


def test_gauss_seidel_faster_than_jacobi():
    A = _dominant(300)
    b = np.ones(300)
    assert ls.gauss_seidel(A, b, rtol=1e-10).iterations < ls.jacobi(A, b, rtol=1e-10).iterations


@pytest.mark.parametrize("solver", ["jacobi", "gauss_seidel", "sor"])
def test_report_divergence(solver):
    # Diagonal 1 with off-diagonal mass 3 per row: spectral radius of the iteration > 1.
    A = sp.diags_array([1.5, 1.0, 1.5], offsets=[-1, 0, 1], shape=(50, 50)).tocsr()
    kw = {"omega": 1.5} if solver == "sor" else {}
    with pytest.warns(lamina.ConvergenceWarning, match="diverged"):
        res = getattr(ls, solver)(A, np.ones(50), maxiter=5000, **kw)
    assert not res.converged and "diverged" in res.reason
    assert res.iterations < 5000


@pytest.mark.parametrize("solver", ["jacobi", "gauss_seidel", "sor"])
def test_zero_diagonal_names_row(solver):
    A = np.array([[2.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 2.0]])
    with pytest.raises(lamina.LinAlgError, match="row 1"):
        getattr(ls, solver)(A, np.ones(3))
    with pytest.raises(np.linalg.LinAlgError):
        getattr(ls, solver)(sp.csr_array(A), np.ones(3))


def test_sor_omega_validated():
    with pytest.raises(ValueError, match="omega"):
        ls.sor(np.eye(2), np.ones(2), omega=2.0)


def test_maxiter_zero_and_zero_rhs():
    A = _dominant(20)
    with pytest.warns(lamina.ConvergenceWarning, match="maxiter"):
        res = ls.jacobi(A, np.ones(20), maxiter=0)
    assert res.iterations == 0 and not res.x.any()
    res = ls.gauss_seidel(A, np.zeros(20))
    assert res.converged and res.iterations == 0
