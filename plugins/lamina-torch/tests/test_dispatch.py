"""Dispatch through lamina's registry: torch in, torch out; no silent moves."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lamina_torch")

import lamina  # noqa: E402
import lamina.linalg  # noqa: E402
import lamina.losses  # noqa: E402
import lamina.solvers  # noqa: E402
import lamina.sparse  # noqa: E402


def test_torch_in_torch_out_keeps_dtype(rng):
    a = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
    b = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
    out = lamina.matmul(a, b)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert out.device == a.device
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy(), rtol=1e-5, atol=1e-5)
    g = lamina.gemm(a, b, bias=torch.ones(3), activation="relu")
    assert isinstance(g, torch.Tensor) and bool((g >= 0).all())


def test_explain_and_trace_name_the_torch_backend():
    t = torch.ones(3, dtype=torch.float64)
    record = lamina.explain("dot", t, t)
    assert record.backend == "torch"
    assert any("owns the input's array type" in r for r in record.reasons)
    with lamina.backend_opts(trace=True) as trace:
        assert float(lamina.dot(t, t)) == 3.0
    assert [r.backend for r in trace] == ["torch"]


def test_numpy_stays_on_core_unless_prioritized(rng):
    a = rng.standard_normal((5, 5)) + 5 * np.eye(5)
    b = rng.standard_normal(5)
    assert lamina.explain("solve", a, b).backend == "core"
    with lamina.backend_opts(prioritize=["torch"], trace=True) as trace:
        x = lamina.linalg.solve(a, b)
    assert trace[0].backend == "torch"
    assert isinstance(x, np.ndarray)                     # results come back as NumPy
    np.testing.assert_allclose(a @ x, b, atol=1e-12)
    x = lamina.linalg.solve(a, b, backend="torch")
    assert isinstance(x, np.ndarray)


def test_prioritized_cg_returns_numpy_solve_result():
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    with lamina.backend_opts(prioritize=["torch"]):
        res = lamina.solvers.cg(a, np.array([1.0, 2.0]), rtol=1e-12)
    assert isinstance(res.x, np.ndarray) and res.converged
    np.testing.assert_allclose(res.x, [1 / 11, 7 / 11])


def test_default_device_env_is_validated(monkeypatch):
    from lamina_torch._common import default_device

    monkeypatch.setenv("LAMINA_TORCH_DEVICE", "nonsense")
    with pytest.raises(ValueError, match="LAMINA_TORCH_DEVICE"):
        default_device()
    monkeypatch.setenv("LAMINA_TORCH_DEVICE", "cpu")
    assert default_device() == torch.device("cpu")


def test_mixing_with_another_backends_arrays_raises():
    da = pytest.importorskip("dask.array")
    pytest.importorskip("lamina_dask")
    t = torch.ones(4, dtype=torch.float64)
    d = da.ones(4, chunks=2)
    with pytest.raises(TypeError, match="mix arrays of backends"):
        lamina.dot(t, d)


def test_ops_without_torch_implementation_never_convert_silently():
    a = torch.eye(3, dtype=torch.float64) * 2
    b = torch.ones(3, dtype=torch.float64)
    with pytest.raises(lamina.BackendNotImplemented, match="does not move data"):
        lamina.solvers.gmres(a, b)
    with lamina.backend_opts(fallback="allow"):
        res = lamina.solvers.gmres(a, b, rtol=1e-12)
    assert isinstance(res.x, torch.Tensor)
    np.testing.assert_allclose(res.x.numpy(), 0.5)


def test_declined_variants_say_why():
    a = torch.eye(3, dtype=torch.float64)
    with pytest.raises(lamina.BackendNotImplemented, match="pivoted"):
        lamina.linalg.qr(a, pivoting=True)
    with pytest.raises(lamina.BackendNotImplemented, match="several right-hand sides"):
        lamina.explain("cg", a, torch.ones((3, 2), dtype=torch.float64))


def test_input_policy_dtypes_and_errors():
    h = torch.ones(3, dtype=torch.float16)
    assert lamina.dot(h, h).dtype == torch.float32
    i = torch.arange(3)
    assert lamina.dot(i, i).dtype == torch.float64
    with pytest.raises(TypeError, match="complex"):
        lamina.dot(torch.ones(2, dtype=torch.complex64), torch.ones(2, dtype=torch.complex64))
    with pytest.raises(ValueError, match="same length"):
        lamina.dot(torch.ones(2), torch.ones(3))
    with pytest.raises(np.linalg.LinAlgError):
        lamina.linalg.solve(torch.ones((3, 3), dtype=torch.float64), torch.ones(3))
    with pytest.raises(lamina.LinAlgError, match="positive definite"):
        lamina.linalg.cholesky(-torch.eye(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="NaN"):
        lamina.linalg.inv(torch.tensor([[1.0, float("nan")], [0.0, 1.0]]))


def test_inputs_are_not_modified(rng):
    a = torch.from_numpy(rng.standard_normal((8, 8)) + 8 * np.eye(8))
    b = torch.from_numpy(rng.standard_normal(8))
    a0, b0 = a.clone(), b.clone()
    lamina.linalg.solve(a, b)
    lamina.linalg.lu_factor(a)
    lamina.linalg.cholesky(a @ a.T)
    lamina.axpy(2.0, b, b)
    lamina.solvers.cg(a @ a.T, b)
    assert torch.equal(a, a0) and torch.equal(b, b0)


def test_out_argument_is_written_and_checked():
    a = torch.ones((2, 3), dtype=torch.float64)
    out = torch.empty((2, 2), dtype=torch.float64)
    assert lamina.matmul(a, a.T, out) is out
    assert torch.equal(out, torch.full((2, 2), 3.0, dtype=torch.float64))
    with pytest.raises(ValueError, match="shape"):
        lamina.matmul(a, a.T, torch.empty(3, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        lamina.matmul(a, a.T, np.empty((2, 2)))


def _poisson_torch_csr(m):
    import scipy.sparse as sp

    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    a = sp.csr_array(sp.kron(sp.eye(m), t) + sp.kron(t, sp.eye(m)))
    tensor = torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(np.int64)),
                                     torch.from_numpy(a.indices.astype(np.int64)),
                                     torch.from_numpy(a.data), size=a.shape,
                                     check_invariants=True)
    return a, tensor


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_cg_on_sparse_csr_tensor_matches_core():
    pytest.importorskip("scipy")
    a, tensor = _poisson_torch_csr(20)
    b = np.random.default_rng(1).standard_normal(a.shape[0])
    res = lamina.solvers.cg(tensor, torch.from_numpy(b), rtol=1e-10)
    core = lamina.solvers.cg(a, b, rtol=1e-10)
    assert isinstance(res.x, torch.Tensor) and res.converged and core.converged
    assert abs(res.iterations - core.iterations) <= 2
    np.testing.assert_allclose(res.x.numpy(), core.x, rtol=1e-8, atol=1e-10)
    assert res.residual_history.shape == (res.iterations + 1,)
    jac = torch.from_numpy(1.0 / a.diagonal())
    pre = lamina.solvers.cg(tensor, torch.from_numpy(b), rtol=1e-10,
                            M=lamina.solvers.aslinearoperator(lambda r: jac * r, a.shape))
    assert pre.converged
    np.testing.assert_allclose(pre.x.numpy(), core.x, rtol=1e-8, atol=1e-10)
    y = lamina.sparse.csr_matvec(tensor, torch.from_numpy(b))
    np.testing.assert_allclose(y.numpy(), a @ b)


def test_cg_reports_non_spd_breakdown():
    a = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    with pytest.warns(lamina.ConvergenceWarning):
        res = lamina.solvers.cg(a, torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert not res.converged and "not symmetric positive definite" in res.reason


def test_softmax_ce_gradient_matches_autograd(rng):
    x = torch.from_numpy(rng.standard_normal((12, 7))).requires_grad_(True)
    y = torch.from_numpy(rng.integers(0, 7, 12))
    cw = torch.from_numpy(rng.random(7) + 0.5)
    loss, grad = lamina.losses.softmax_cross_entropy(x.detach(), y, class_weight=cw,
                                                     label_smoothing=0.1)
    ref = torch.nn.functional.cross_entropy(x, y, weight=cw, label_smoothing=0.1)
    ref.backward()
    # torch normalizes the smoothed term by the same class weights of the true labels.
    assert float(loss) == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(grad.numpy(), x.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_linear_softmax_ce_chunking_is_invisible(rng):
    h = torch.from_numpy(rng.standard_normal((50, 8)))
    w = torch.from_numpy(rng.standard_normal((40, 8)))
    b = torch.from_numpy(rng.standard_normal(40))
    y = torch.from_numpy(rng.integers(0, 40, 50))
    one = lamina.losses.linear_softmax_cross_entropy(h, w, b, y)
    many = lamina.losses.linear_softmax_cross_entropy(h, w, b, y, chunk_bytes=3 * 40 * 8)
    assert float(one[0]) == pytest.approx(float(many[0]), rel=1e-13)
    for g1, g2 in zip(one[1], many[1], strict=True):
        np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-12, atol=1e-14)


def test_host_arrays_mixed_into_a_cpu_call_are_wrapped_not_copied_to_a_device():
    lu, piv = lamina.linalg.lu_factor(np.array([[2.0, 1.0], [1.0, 3.0]]))
    x = lamina.linalg.lu_solve((lu, piv), torch.tensor([3.0, 4.0], dtype=torch.float64))
    assert isinstance(x, torch.Tensor)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0])


def test_softmax_ce_writes_grad_out_in_place(rng):
    x = torch.from_numpy(rng.standard_normal((9, 4)))
    y = torch.from_numpy(rng.integers(0, 4, 9))
    g = torch.empty_like(x)
    loss, grad = lamina.losses.softmax_cross_entropy(x, y, grad_out=g, reduction="sum")
    assert grad is g
    ref_loss, ref_grad = lamina.losses.softmax_cross_entropy(x.numpy(), y.numpy(),
                                                             reduction="sum")
    assert float(loss) == pytest.approx(float(ref_loss), rel=1e-13)
    np.testing.assert_allclose(g.numpy(), ref_grad, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="grad_out has shape"):
        lamina.losses.softmax_cross_entropy(x, y, grad_out=torch.empty(3, 4,
                                                                        dtype=torch.float64))
