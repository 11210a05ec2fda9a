"""lamina's conformance kit against the Dask backend (array chunks smaller than the
inputs, so every op runs on several blocks), plus metadata checks."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
pytest.importorskip("lamina_dask")

from lamina_dask._backend import DaskBackend  # noqa: E402
from lamina_dask._info import OPS, get_info  # noqa: E402

import lamina  # noqa: E402
import lamina.testing  # noqa: E402


class ThreeRowBlocks(DaskBackend):
    """Cuts every input into about three row blocks (and two along other axes)."""

    def asarray(self, x, *, device=None):
        arr = np.asarray(x)
        if arr.ndim == 0:
            return da.from_array(arr)
        return da.from_array(arr, chunks=(max(1, -(-arr.shape[0] // 3)),) +
                             tuple(max(1, -(-s // 2)) for s in arr.shape[1:]))


def test_every_claimed_op_passes_the_kit_on_blocked_inputs():
    # The synchronous scheduler runs the same task graphs in-process (fast); the cluster
    # tests run them on worker processes.
    with dask.config.set(scheduler="synchronous"):
        report = lamina.testing.check_backend(ThreeRowBlocks(), ops=list(OPS))
    print(report)
    report.raise_for_failures()
    assert sorted(report.passed_ops) == sorted(OPS)
    assert report.cases_run > 300


def test_info_claims_exactly_what_the_backend_implements():
    info = get_info()
    assert info["array_types"] == ["dask.array.core.Array"]
    assert f"{da.Array.__module__}.{da.Array.__qualname__}" in info["array_types"]
    implemented = {op for op in lamina._registry.OPS
                   if callable(getattr(DaskBackend(), op, None))}
    assert set(info["ops"]) == implemented


def test_discovery_does_not_import_dask():
    code = ("import sys, lamina, lamina.plugins; rows = lamina.plugins.status(); "
            "assert any(r['distribution'] == 'lamina-dask' for r in rows), rows; "
            "assert 'dask' not in sys.modules, 'dask imported at discovery'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_listed_ok_after_use():
    lamina.plugins.reload()
    lamina.plugins.get_backend("dask")
    rows = [r for r in lamina.plugins.status() if r["distribution"] == "lamina-dask"]
    assert {r["group"] for r in rows} == {"lamina.backends", "lamina.backend_info"}
    assert all(r["state"] == "ok" for r in rows)


def test_signatures_are_exactly_the_cores():
    import inspect

    for op in OPS:
        core = inspect.signature(lamina._registry.OPS[op].core)
        ours = inspect.signature(getattr(DaskBackend, op))
        params = list(ours.parameters.values())[1:]                  # drop self
        assert [(p.name, p.kind, p.default) for p in params] == \
            [(p.name, p.kind, p.default) for p in core.parameters.values()], op
