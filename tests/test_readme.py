"""The README's Python examples run, and so do the docstring examples of every module."""

import doctest
import importlib
import pathlib
import pkgutil
import re

import pytest

import lamina
import lamina._config
import lamina._registry
import lamina.blas._level1
import lamina.blas._level2
import lamina.blas._level3
import lamina.datasets
import lamina.datasets._digits
import lamina.losses
import lamina.losses._elementwise
import lamina.losses._softmax
import lamina.solvers
import lamina.solvers._operators
import lamina.solvers._solvers
import lamina.solvers.preconditioners
import lamina.sparse
import lamina.sparse._csr
import lamina.linalg
import lamina.linalg._cholesky
import lamina.linalg._lstsq
import lamina.linalg._lu
import lamina.linalg._norms
import lamina.linalg._qr
import lamina.linalg._triangular
import lamina.testing

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"

# Every pure-Python module of the package (compiled modules document their Python wrappers).
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(lamina.__path__, "lamina.")
    if not info.name.endswith("__main__")
)


def _python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.skipif(not README.exists(), reason="README.md not found beside tests/")
def test_readme_python_blocks_run():
    blocks = _python_blocks(README.read_text())
    assert blocks, "README.md should have python examples"
    for block in blocks:
        namespace = {}
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    if not getattr(module, "__file__", "").endswith(".py"):
        pytest.skip("compiled module")
@pytest.mark.parametrize("module", [lamina, lamina._config, lamina._registry,
                                    lamina.blas._level1, lamina.blas._level2, lamina.blas._level3,
                                    lamina.testing,
                                    lamina.datasets, lamina.datasets._digits],
                                    lamina.blas._level1, lamina.blas._level2, lamina.testing,
                                    lamina.datasets, lamina.datasets._digits, lamina.losses,
                                    lamina.losses._elementwise, lamina.losses._softmax],
                                    lamina.blas._level1, lamina.blas._level2, lamina.testing,
                                    lamina.datasets, lamina.datasets._digits,
                                    lamina.solvers, lamina.solvers._operators,
                                    lamina.solvers._solvers,
                                    lamina.solvers.preconditioners, lamina.sparse,
                                    lamina.sparse._csr],
                                    lamina.datasets, lamina.datasets._digits,
                                    lamina.linalg, lamina.linalg._cholesky, lamina.linalg._lstsq,
                                    lamina.linalg._lu, lamina.linalg._norms, lamina.linalg._qr,
                                    lamina.linalg._triangular],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_api_has_examples():
    """Every public function and class exported at the top level shows an example."""
    missing = [name for name in lamina.__all__
               if callable(getattr(lamina, name)) and not isinstance(getattr(lamina, name), type)
               and ">>>" not in (getattr(lamina, name).__doc__ or "")]
    assert not missing, f"public functions without an Examples section: {missing}"
