"""Plugin discovery, isolation, selection and fallback (REGISTRY.md)."""

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lamina
from lamina._registry import version_satisfies


def _states():
    return {(p["distribution"], p["group"], p["name"]): p for p in lamina.plugins.status()}


def test_status_reports_every_state(plugin_dir):
    s = _states()
    assert s[("fakeplug", "lamina.backends", "fake")]["state"] in ("ok", "not-loaded")
    assert s[("fakeplug", "lamina.backend_info", "fake")]["state"] == "ok"
    assert s[("oldplug", "lamina.backends", "old")]["state"] == "incompatible"
    assert "plugin_api 99" in s[("oldplug", "lamina.backends", "old")]["error"]
    assert s[("fakeplug", "lamina.layers", "toylayer")]["state"] == "not-loaded"
    for key in s:
        assert set(s[key]) >= {"distribution", "version", "group", "name", "state", "error"}


def test_broken_plugin_is_isolated_with_one_warning(plugin_dir):
    x = np.ones(3)
    with pytest.warns(lamina.PluginWarning, match="broken") as record:
        with pytest.raises(LookupError, match="broken") as info:
            lamina.dot(x, x, backend="broken")
    assert len(record) == 1
    assert isinstance(info.value.__cause__, ImportError)             # original error chained
    assert _states()[("brokenplug", "lamina.backends", "broken")]["state"] == "broken"
    with warnings.catch_warnings():
        warnings.simplefilter("error")                               # no second warning
        with pytest.raises(LookupError, match="broken"):
            lamina.dot(x, x, backend="broken")
        assert lamina.dot(x, x) == 3.0                              # everything else works


def test_import_lamina_survives_broken_plugins(plugin_dir):
    env = dict(os.environ, PYTHONPATH=str(plugin_dir))
    code = ("import lamina, numpy as np; print(float(lamina.dot(np.ones(2), np.ones(2))));"
            "lamina.plugins.status()")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2.0"
    assert "oldplug" in out.stderr and "incompatible" in out.stderr   # warned, not raised


def test_explicit_backend_runs_there_and_explain_says_so(fake):
    x = np.arange(3.0)
    assert lamina.explain("dot", x, x, backend="fake").backend == "fake"
    result = lamina.dot(x, x, backend="fake")
    assert fake.CALLS == ["dot"]
    assert isinstance(result, np.ndarray) and float(result) == 5.0    # NumPy in, NumPy out
    assert "fake" in str(lamina.explain(lamina.dot, x, x, backend="fake"))


def test_nested_calls_are_not_dispatched_again(fake):
    x = np.arange(3.0)
    with lamina.backend_opts(prioritize=["fake"], trace=True) as trace:
        lamina.dot(x, x)
    assert fake.CALLS == ["dot"]                    # the inner asum ran on the core
    assert [r.backend for r in trace] == ["fake"]


def test_input_array_type_selects_backend(fake):
    a = fake.FakeArray([1.0, 2.0])
    out = lamina.dot(a, a)
    assert isinstance(out, fake.FakeArray) and float(out.data) == 5.0
    assert lamina.explain("dot", a, a).backend == "fake"
    assert "owns the input" in str(lamina.explain("dot", a, a))


def test_numpy_inputs_stay_on_core_with_plugins_installed(fake):
    x = np.ones(4)
    assert lamina.explain("dot", x, x).backend == "core"
    lamina.dot(x, x)
    assert fake.CALLS == []


def test_device_arrays_never_move_silently(fake):
    a = fake.FakeArray([3.0, 4.0])
    with pytest.raises(lamina.BackendNotImplemented, match="silently"):
        lamina.blas.iamax(a)                                       # fake declines iamax
    with lamina.backend_opts(fallback="allow"):
        assert lamina.blas.iamax(a) == 1
    with lamina.backend_opts(fallback="warn"):
        with pytest.warns(lamina.PluginWarning, match="converting"):
            lamina.vector_norm(a)                                  # fake lacks vector_norm


def test_backend_not_implemented_falls_through_for_numpy(fake):
    x = np.ones(3)
    with lamina.backend_opts(prioritize=["fake"], trace=True) as trace:
        np.testing.assert_array_equal(lamina.blas.scal(2.0, x), 2 * x)
    assert trace[0].backend == "core"
    assert any("BackendNotImplemented" in r for r in trace[0].reasons)
    with pytest.raises(lamina.BackendNotImplemented, match="scal not today"):
        lamina.blas.scal(2.0, x, backend="fake")


def test_backend_errors_carry_name_and_version(fake):
    with pytest.raises(RuntimeError, match="exploded") as info:
        lamina.blas.nrm2(np.ones(3), backend="fake")
    assert any("'fake'" in note and "1.0" in note for note in info.value.__notes__)


def test_declining_backend_with_explicit_request_raises(fake):
    with pytest.raises(lamina.BackendNotImplemented, match="declines iamax"):
        lamina.blas.iamax(np.ones(3), backend="fake")
    with pytest.raises(lamina.BackendNotImplemented, match="does not implement"):
        lamina.outer(np.ones(3), np.ones(3), backend="fake")


def test_mixing_backends_arrays_is_an_error(fake):
    with pytest.raises(TypeError, match="mix"):
        lamina.dot(fake.FakeArray([1.0]), fake.OtherArray([1.0]))


def test_disable_in_context(fake):
    a = fake.FakeArray([1.0])
    with lamina.backend_opts(disable=["fake"]):
        with pytest.raises(lamina.BackendNotImplemented):
            lamina.dot(a, a)
    x = np.ones(2)
    with lamina.backend_opts(prioritize=["fake"], disable=["fake"], trace=True) as trace:
        lamina.dot(x, x)
    assert trace[0].backend == "core"


def test_context_is_per_thread(fake):
    import threading

    seen = {}

    def worker():
        seen["inner"] = lamina.explain("dot", np.ones(2), np.ones(2)).backend

    with lamina.backend_opts(prioritize=["fake"]):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["outer"] = lamina.explain("dot", np.ones(2), np.ones(2)).backend
    assert seen == {"inner": "core", "outer": "fake"}


def test_unknown_and_ambiguous_names(plugin_dir):
    x = np.ones(2)
    with pytest.raises(LookupError, match="unknown backend 'nope'"):
        lamina.dot(x, x, backend="nope")
    with pytest.raises(LookupError, match="ambiguous"):
        lamina.dot(x, x, backend="dup")
    assert lamina.dot(x, x, backend="dupa:dup") == -1.0
    with pytest.raises(LookupError, match="incompatible"):
        lamina.dot(x, x, backend="old")
    assert lamina.dot(x, x, backend="core") == 2.0


def test_duplicate_names_warn_on_discovery(plugin_dir):
    with pytest.warns(lamina.PluginWarning, match="claimed by several"):
        lamina.plugins.reload()


def test_block_and_disable_env(plugin_dir, monkeypatch):
    monkeypatch.setenv("LAMINA_BLOCK", "fake,dupb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.PluginWarning)
        lamina.plugins.reload()
    s = _states()
    assert s[("fakeplug", "lamina.backends", "fake")]["state"] == "blocked"
    assert s[("dupb", "lamina.backends", "dup")]["state"] == "blocked"
    with pytest.raises(LookupError, match="blocked"):
        lamina.dot(np.ones(2), np.ones(2), backend="fake")
    monkeypatch.setenv("LAMINA_DISABLE_PLUGINS", "1")
    lamina.plugins.reload()
    assert all(p["state"] == "blocked" for p in lamina.plugins.status())
    monkeypatch.setenv("LAMINA_DISABLE_PLUGINS", "perhaps")
    with pytest.warns(lamina.PluginWarning, match="LAMINA_DISABLE_PLUGINS"):
        lamina.plugins.reload()


def test_layers_group_loads_lazily(plugin_dir):
    cls = lamina.plugins.load_entry("lamina.layers", "toylayer")
    assert cls.kind == "toy layer"
    assert _states()[("fakeplug", "lamina.layers", "toylayer")]["state"] == "ok"
    with pytest.warns(lamina.PluginWarning):
        with pytest.raises(LookupError, match="broken"):
            lamina.plugins.load_entry("lamina.layers", "brokenlayer")


def test_trace_and_logger(fake, caplog):
    x = np.ones(2)
    with caplog.at_level(logging.DEBUG, logger="lamina.dispatch"):
        with lamina.backend_opts(trace=True) as trace:
            lamina.dot(x, x, backend="fake")
            lamina.dot(x, x)
    assert [r.backend for r in trace] == ["fake", "core"]
    assert "runs on 'fake'" in caplog.text


def test_backend_opts_validation():
    with pytest.raises(ValueError, match="fallback"):
        with lamina.backend_opts(fallback="sometimes"):
            pass
    with pytest.raises(TypeError, match="sequence"):
        with lamina.backend_opts(prioritize="fake"):
            pass
    with pytest.raises(ValueError, match="unknown operation"):
        lamina.explain("no_such_op")
    with pytest.raises(TypeError, match="backend"):
        lamina.dot(np.ones(2), np.ones(2), backend=3)


def test_signature_advertises_backend():
    import inspect

    assert "backend" in inspect.signature(lamina.dot).parameters


@pytest.mark.parametrize("version,spec,ok", [
    ("0.1.0", ">=0.1", True), ("0.1.0", ">=0.2", False), ("1.2.3", ">=1,<2", True),
    ("2.0", ">=1,<2", False), ("1.4.2", "~=1.4", True), ("1.5", "~=1.4.0", False),
    ("0.1.0", "==0.1.*", True), ("0.2.0", "==0.1.*", False), ("1.0", "!=1.0.0", False),
])
def test_version_gate(version, spec, ok):
    assert version_satisfies(version, spec) is ok


def test_version_gate_rejects_garbage():
    with pytest.raises(ValueError):
        version_satisfies("1.0", "=>1")


def test_cli_lists_broken_plugin_without_failing(plugin_dir, capsys):
    from lamina._cli import main

    with pytest.warns(lamina.PluginWarning, match="broken"):
        assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "brokenplug" in out and "broken" in out and "ImportError" in out
    assert "incompatible" in out
    states = {(p["distribution"], p["name"]): p["state"] for p in lamina.plugins.status()}
    assert states[("fakeplug", "fake")] == "ok"           # loaded and verified
    assert states[("fakeplug", "toylayer")] == "ok"
