"""lamina's conformance kit against the torch backend, and its metadata."""

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lamina_torch")

from lamina_torch._backend import TorchBackend  # noqa: E402
from lamina_torch._info import OPS, get_info  # noqa: E402

import lamina  # noqa: E402
import lamina.testing  # noqa: E402


def test_every_claimed_op_passes_the_kit():
    import lamina.linalg  # noqa: F401  (registers the linalg ops)

    report = lamina.testing.check_backend("torch", ops=list(OPS))
    print(report)
    report.raise_for_failures()
    assert sorted(report.passed_ops) == sorted(OPS)
    assert report.cases_run > 1000


def test_info_claims_exactly_what_the_backend_implements():
    info = get_info()
    assert info["array_types"] == ["torch.Tensor"]
    assert info["plugin_api"] == lamina._registry.PLUGIN_API
    backend = TorchBackend()
    claimed = set(info["ops"])
    implemented = {op for op in lamina._registry.OPS if callable(getattr(backend, op, None))}
    assert claimed == implemented
    assert claimed <= set(lamina._registry.OPS)


def test_discovery_and_metadata_do_not_import_torch():
    code = ("import sys, lamina, lamina.plugins; rows = lamina.plugins.status(); "
            "assert any(r['distribution'] == 'lamina-torch' for r in rows), rows; "
            "from lamina_torch._info import get_info; get_info(); "
            "assert 'torch' not in sys.modules, 'torch imported at discovery'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_listed_ok_after_use():
    lamina.plugins.reload()
    lamina.plugins.get_backend("torch")
    rows = [r for r in lamina.plugins.status() if r["distribution"] == "lamina-torch"]
    assert {r["group"] for r in rows} == {"lamina.backends", "lamina.backend_info"}
    assert all(r["state"] == "ok" for r in rows)


def test_kit_catches_a_broken_torch_backend():
    class Broken(TorchBackend):
        def gemm(self, a, b, c=None, **kw):
            kw["activation"] = None                     # drops the epilogue
            return super().gemm(a, b, c, **kw)

    report = lamina.testing.check_backend(Broken(), ops=["gemm", "dot"])
    assert list(report.failures) == ["gemm"]
    with pytest.raises(AssertionError, match="gemm"):
        report.raise_for_failures()


def test_signatures_are_exactly_the_cores():
    import inspect

    for op in OPS:
        core = inspect.signature(lamina._registry.OPS[op].core)
        ours = inspect.signature(getattr(TorchBackend, op))
        params = list(ours.parameters.values())[1:]                  # drop self
        assert [(p.name, p.kind, p.default) for p in params] == \
            [(p.name, p.kind, p.default) for p in core.parameters.values()], op
