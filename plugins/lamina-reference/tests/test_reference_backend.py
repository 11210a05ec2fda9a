"""The reference plugin as a third-party backend: discovery, dispatch, conformance."""

import numpy as np
import pytest

import lamina
import lamina.testing


def _reference_status():
    return [p for p in lamina.plugins.status() if p["distribution"] == "lamina-reference"]


def test_listed_ok_after_use():
    lamina.plugins.reload()
    rows = _reference_status()
    assert {r["group"] for r in rows} == {"lamina.backends", "lamina.backend_info"}
    assert all(r["state"] in ("ok", "not-loaded") for r in rows)
    lamina.plugins.get_backend("reference")
    assert all(r["state"] == "ok" for r in _reference_status())


def test_conformance_kit_passes():
    report = lamina.testing.check_backend("reference")
    print(report)
    report.raise_for_failures()
    assert report.ok
    assert report.cases_run > 100
    assert "dot" in report.passed_ops and "gemv" in report.passed_ops


def test_dispatch_by_name_and_explain():
    x = np.arange(4.0)
    assert lamina.explain("dot", x, x, backend="reference").backend == "reference"
    with lamina.backend_opts(trace=True) as trace:
        assert lamina.dot(x, x, backend="reference") == 14.0
    assert trace[0].backend == "reference"


def test_numpy_inputs_stay_on_core_unless_prioritized():
    x = np.ones(3)
    assert lamina.explain("dot", x, x).backend == "core"
    with lamina.backend_opts(prioritize=["reference"]):
        assert lamina.explain("dot", x, x).backend == "reference"
        np.testing.assert_allclose(lamina.matvec(np.eye(3), x), x)


def test_kit_detects_a_wrong_backend():
    """The kit must fail a backend that computes the wrong thing (it can fail)."""
    from lamina_reference._backend import ReferenceBackend

    class Wrong(ReferenceBackend):
        name = "wrong"

        def dot(self, x, y, *, n_threads=None):
            return super().dot(x, y) * 1.001

        def nrm2(self, x, *, n_threads=None):
            return super().nrm2(x).astype(np.float64)      # drops float32

    report = lamina.testing.check_backend(Wrong(), ops=["dot", "nrm2", "asum"])
    assert not report.ok
    assert set(report.failures) == {"dot", "nrm2"}
    assert report.passed_ops == ["asum"]
    with pytest.raises(AssertionError, match="dot"):
        report.raise_for_failures()


def test_kit_checks_factorizations_by_their_properties():
    """Sign flips of singular/eigen vectors pass; a broken factor does not."""
    from lamina_reference._backend import ReferenceBackend

    class Flipped(ReferenceBackend):
        name = "flipped"

        def svd(self, a, full_matrices=True, compute_uv=True, **kw):
            out = super().svd(a, full_matrices=full_matrices, compute_uv=compute_uv, **kw)
            if not compute_uv:
                return out
            u, s, vt = out
            return -u, s, -vt

        def eigh(self, a, lower=True, eigvals_only=False, **kw):
            out = super().eigh(a, lower=lower, eigvals_only=eigvals_only, **kw)
            return out if eigvals_only else (out[0], -out[1])

    class Broken(ReferenceBackend):
        name = "broken"

        def svd(self, a, full_matrices=True, compute_uv=True, **kw):
            out = super().svd(a, full_matrices=full_matrices, compute_uv=compute_uv, **kw)
            if not compute_uv:
                return out
            u, s, vt = out
            return u, s, vt[..., ::-1, :]          # rows of Vh out of order

        def eigh(self, a, lower=True, eigvals_only=False, **kw):
            out = super().eigh(a, lower=lower, eigvals_only=eigvals_only, **kw)
            return out if eigvals_only else (out[0], out[1] * 1.01)

        def randomized_svd(self, a, n_components, *args, **kw):
            u, s, vt = super().randomized_svd(a, n_components, n_iter=0, n_oversamples=0)
            return u, s, vt

    assert lamina.testing.check_backend(Flipped(), ops=["svd", "eigh"]).ok
    report = lamina.testing.check_backend(Broken(), ops=["svd", "eigh", "randomized_svd"])
    assert set(report.failures) == {"svd", "eigh", "randomized_svd"}
