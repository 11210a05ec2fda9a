"""The `lamina` command line."""

import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina._cli import main


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"lamina {lamina.__version__}" in out
    for word in ("openmp", "simd isa", "threads", "plugins", "Cython"):
        assert word in out
    assert lamina.get_isa() in out


def test_plugins_command(capsys):
    assert main(["plugins"]) == 0
    assert capsys.readouterr().out.strip()


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "lamina", "info"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "simd isa" in out.stdout


def test_bench_blas1_small(capsys):
    assert main(["bench", "blas1", "--sizes", "1000"]) == 0
    out = capsys.readouterr().out
    assert "speedup" in out and "dot" in out


def test_threads_option_is_scoped(capsys):
    before = lamina.get_num_threads()
    assert main(["bench", "blas1", "--sizes", "1000", "--threads", "1"]) == 0
    assert "threads=1" in capsys.readouterr().out
    assert lamina.get_num_threads() == before


def test_demo_runs(capsys):
    assert main(["demo", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    for word in ("UCI handwritten digits", "lamina", "numpy", "ms", "Headline kernels",
                 "matmul", "softmax CE"):
        assert word in out


def test_bench_gemm_small(capsys):
    assert main(["bench", "gemm", "--sizes", "64", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "% peak" in out and "64x64x64" in out and "FMA peak" in out


def test_bench_gemm_torch_column(capsys):
    pytest.importorskip("torch")
    assert main(["bench", "gemm", "--sizes", "64", "--repeat", "1", "--torch"]) == 0
    out = capsys.readouterr().out
    assert "torch GF/s" in out and "lamina/torch" in out and "PyTorch" in out
    # NumPy's own BLAS stays the one named, even with PyTorch's MKL loaded beside it.
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    if "openblas" in blas:
        assert "NumPy BLAS: openblas" in out


def test_bench_gemm_torch_missing(monkeypatch):
    import lamina._bench.gemm as bench_gemm

    monkeypatch.setattr(bench_gemm, "optional_module", lambda name: None)
    with pytest.raises(SystemExit, match="PyTorch is not installed"):
        main(["bench", "gemm", "--sizes", "64", "--repeat", "1", "--torch"])


@pytest.mark.parametrize("argv", [["--help"], ["bench", "--help"], ["bench", "gemm", "--help"],
                                  ["bench", "nn", "--help"], ["demo", "--help"]])
def test_help_pages_render(argv, capsys):
    # argparse %-formats help text; a stray "%" in a summary once broke `lamina bench --help`.
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage: lamina" in capsys.readouterr().out
