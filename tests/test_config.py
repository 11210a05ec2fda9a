"""Thread settings and ISA selection reach the kernels."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina._kernels import _runtime

needs_openmp = pytest.mark.skipif(
    not _runtime.openmp_enabled() or _runtime.omp_num_procs() < 2,
    reason="needs an OpenMP build and two processors")

BIG = (np.ones((600, 600)), np.ones(600))        # above the gemv threading threshold


def _team_of_matvec(**kw):
    lamina.matvec(*BIG, **kw)
    return _runtime.last_team_size()


@needs_openmp
def test_default_uses_openmp_max():
    assert lamina.get_num_threads() == _runtime.omp_max_threads()
    assert _team_of_matvec() == min(2, _runtime.omp_max_threads())


@needs_openmp
def test_threads_context_changes_team_size():
    with lamina.threads(1):
        assert lamina.get_num_threads() == 1
        assert _team_of_matvec() == 1
        with lamina.threads(2):
            assert _team_of_matvec() == 2
        assert _team_of_matvec() == 1
    assert _team_of_matvec() == 2


@needs_openmp
def test_set_num_threads_changes_team_size():
    try:
        lamina.set_num_threads(1)
        assert _team_of_matvec() == 1
    finally:
        lamina.set_num_threads(None)
    assert _team_of_matvec() == 2


@needs_openmp
def test_argument_overrides_context():
    with lamina.threads(1):
        assert _team_of_matvec(n_threads=2) == 2


@needs_openmp
def test_threadpoolctl_limits_lamina():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert lamina.get_num_threads() == 1
        assert _team_of_matvec() == 1
    assert _team_of_matvec() == 2


def _run(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                          text=True, timeout=120)


@needs_openmp
def test_env_variable_changes_team_size():
    code = ("import numpy as np, lamina; from lamina._kernels import _runtime;"
            "lamina.matvec(np.ones((600, 600)), np.ones(600));"
            "print(lamina.get_num_threads(), _runtime.last_team_size())")
    out = _run(code, LAMINA_NUM_THREADS="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1"]


def test_bad_env_values_warn_not_crash():
    out = _run("import lamina; print(lamina.get_num_threads(), lamina.get_isa())",
               LAMINA_NUM_THREADS="lots", LAMINA_ISA="sse9")
    assert out.returncode == 0, out.stderr
    assert "LAMINA_NUM_THREADS" in out.stderr and "LAMINA_ISA" in out.stderr


@pytest.mark.parametrize("isa", _runtime.available_isas())
def test_isa_override_env(isa):
    out = _run("import lamina; print(lamina.get_isa())", LAMINA_ISA=isa)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == isa


def test_bad_thread_counts():
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive"):
            lamina.set_num_threads(bad)
    with pytest.raises(TypeError, match="positive integer"):
        with lamina.threads(1.5):
            pass
    with pytest.raises(TypeError):
        lamina.dot(np.ones(2), np.ones(2), n_threads="2")


def test_isa_introspection():
    assert lamina.get_isa() in _runtime.available_isas()
    assert "generic" in _runtime.available_isas()
    with pytest.raises(ValueError, match="unknown ISA"):
        _runtime.set_isa("neon")

