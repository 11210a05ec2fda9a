"""Device residency on CUDA: run where a GPU exists, skipped cleanly elsewhere."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lamina_torch")

import lamina  # noqa: E402
import lamina.linalg  # noqa: E402
import lamina.losses  # noqa: E402
import lamina.solvers  # noqa: E402
import lamina.testing  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CUDA = torch.device("cuda", 0) if torch.cuda.is_available() else None


def _randn(*shape, dtype=torch.float32):
    g = torch.Generator(device="cpu").manual_seed(0)
    return torch.randn(*shape, generator=g, dtype=dtype).to(CUDA)


def test_results_stay_on_the_gpu():
    a, b = _randn(64, 32), _randn(32, 16)
    assert lamina.matmul(a, b).device == CUDA
    assert lamina.gemm(a, b, bias=_randn(16), activation="gelu").device == CUDA
    spd = _randn(20, 20, dtype=torch.float64)
    spd = spd @ spd.T + 20 * torch.eye(20, device=CUDA, dtype=torch.float64)
    rhs = _randn(20, dtype=torch.float64)
    assert lamina.linalg.solve(spd, rhs).device == CUDA
    assert lamina.linalg.cholesky(spd).device == CUDA
    res = lamina.solvers.cg(spd, rhs, rtol=1e-10)
    assert res.converged and res.x.device == CUDA
    loss, grad = lamina.losses.softmax_cross_entropy(_randn(8, 5),
                                                     torch.arange(8, device=CUDA) % 5)
    assert loss.device == CUDA and grad.device == CUDA


def test_cg_on_a_cuda_sparse_csr_tensor():
    dense = 4 * torch.eye(50, dtype=torch.float64) - torch.diag(torch.ones(49,
                                                                           dtype=torch.float64), 1)
    dense = dense + dense.T
    a = dense.to_sparse_csr().to(CUDA)
    res = lamina.solvers.cg(a, torch.ones(50, device=CUDA, dtype=torch.float64), rtol=1e-12)
    assert res.converged and res.x.device == CUDA
    np.testing.assert_allclose((dense @ res.x.cpu()).numpy(), 1.0, rtol=1e-10)


def test_no_silent_transfers():
    a = _randn(4, 4)
    with pytest.raises(ValueError, match="never moves tensors between devices"):
        lamina.matmul(a, torch.ones(4, 4))
    with pytest.raises(TypeError, match="does not copy host data"):
        lamina.linalg.lu_solve(lamina.linalg.lu_factor(np.eye(4)), a)


def test_prioritized_numpy_goes_to_the_configured_device(monkeypatch):
    monkeypatch.setenv("LAMINA_TORCH_DEVICE", "cuda")
    a = np.eye(3) * 2
    with lamina.backend_opts(prioritize=["torch"], trace=True) as trace:
        x = lamina.linalg.solve(a, np.ones(3))
    assert trace[0].backend == "torch" and isinstance(x, np.ndarray)
    np.testing.assert_allclose(x, 0.5)


def test_conformance_kit_on_the_gpu(monkeypatch):
    from lamina_torch._info import OPS

    monkeypatch.setenv("LAMINA_TORCH_DEVICE", "cuda")
    # The kit passes (lu, piv) / (c, lower) pairs and SciPy matrices as host objects;
    # those ops are exercised with device tensors above instead.
    host_nested = {"lu_solve", "cho_solve", "cg", "csr_matvec", "csr_matmat"}
    from lamina_torch._backend import TorchBackend

    class OnGpu(TorchBackend):
        def asarray(self, x, *, device=None):
            return super().asarray(x, device=device or "cuda")

    report = lamina.testing.check_backend(OnGpu(), ops=[o for o in OPS
                                                        if o not in host_nested])
    print(report)
    report.raise_for_failures()
