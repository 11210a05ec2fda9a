"""Throwaway plugin distributions (dist-info folders on sys.path) for registry tests."""

import sys
import textwrap
import warnings

import pytest

import lamina

FAKE_MODULE = '''
import numpy as np

CALLS = []


class FakeArray:
    """A stand-in for a device array type owned by the 'fake' backend."""

    def __init__(self, data):
        self.data = np.asarray(data)


class OtherArray(FakeArray):
    pass


def info():
    return {"name": "fake", "plugin_api": 1, "lamina_requires": ">=0.1",
            "array_types": ["fakeplug_mod.FakeArray"], "devices": ["cpu"],
            "ops": {"dot": {"dtypes": ["float32", "float64"]}}}


def other_info():
    return {"name": "other", "plugin_api": 1, "array_types": ["fakeplug_mod.OtherArray"]}


class Backend:
    name = "fake"
    __version__ = "1.0"

    def asarray(self, x, *, device=None):
        return x if isinstance(x, FakeArray) else FakeArray(x)

    def to_numpy(self, x):
        return x.data

    def dot(self, x, y, *, n_threads=None):
        import lamina
        CALLS.append("dot")
        # a nested lamina call inside a backend runs on the core, not dispatched again
        lamina.blas.asum(np.asarray(x.data, dtype=float))
        return FakeArray(np.dot(x.data, y.data))

    def asum(self, x, *, n_threads=None):
        CALLS.append("asum")
        return FakeArray(np.abs(x.data).sum())

    def iamax(self, x):
        return int(np.argmax(np.abs(x.data)))

    def nrm2(self, x, *, n_threads=None):
        raise RuntimeError("kernel exploded")

    def scal(self, alpha, x, *, out=None, n_threads=None):
        from lamina import BackendNotImplemented
        raise BackendNotImplemented("scal not today")

    def can_run(self, op, args, kwargs):
        return "declines iamax for the test" if op == "iamax" else True


class Other(Backend):
    name = "other"


class Layer:
    kind = "toy layer"
'''

BROKEN_MODULE = "raise ImportError('this plugin is broken on purpose')\n"

OLD_MODULE = '''
def info():
    return {"name": "old", "plugin_api": 99}


class Backend:
    name = "old"
    def asarray(self, x, *, device=None): return x
    def to_numpy(self, x): return x
'''

DUP_MODULE = '''
class Backend:
    name = "dup"
    def __init__(self):
        import os
        self.origin = os.path.basename(__file__)
    def asarray(self, x, *, device=None): return x
    def to_numpy(self, x): return x
    def dot(self, x, y, *, n_threads=None):
        return -1.0
'''


def _dist(root, name, entry_points):
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    (tmp_path / "fakeplug_mod.py").write_text(FAKE_MODULE)
    (tmp_path / "brokenplug_mod.py").write_text(BROKEN_MODULE)
    (tmp_path / "oldplug_mod.py").write_text(OLD_MODULE)
    (tmp_path / "dupa_mod.py").write_text(DUP_MODULE)
    (tmp_path / "dupb_mod.py").write_text(DUP_MODULE)
    _dist(tmp_path, "fakeplug", """
        [lamina.backends]
        fake = fakeplug_mod:Backend
        other = fakeplug_mod:Other
        [lamina.backend_info]
        fake = fakeplug_mod:info
        other = fakeplug_mod:other_info
        [lamina.layers]
        toylayer = fakeplug_mod:Layer
        """)
    _dist(tmp_path, "brokenplug", """
        [lamina.backends]
        broken = brokenplug_mod:Backend
        [lamina.layers]
        brokenlayer = brokenplug_mod:Layer
        """)
    _dist(tmp_path, "oldplug", """
        [lamina.backends]
        old = oldplug_mod:Backend
        [lamina.backend_info]
        old = oldplug_mod:info
        """)
    _dist(tmp_path, "dupa", "[lamina.backends]\ndup = dupa_mod:Backend\n")
    _dist(tmp_path, "dupb", "[lamina.backends]\ndup = dupb_mod:Backend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in ("fakeplug_mod", "brokenplug_mod", "oldplug_mod", "dupa_mod", "dupb_mod"):
        sys.modules.pop(mod, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.PluginWarning)
        lamina.plugins.reload()
    yield tmp_path
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lamina.PluginWarning)
        lamina.plugins.reload()


@pytest.fixture
def fake(plugin_dir):
    import fakeplug_mod

    fakeplug_mod.CALLS.clear()
    return fakeplug_mod
