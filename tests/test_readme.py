"""The README's Python examples run, and so do the docstring examples of every module."""

import doctest
import importlib
import pathlib
import pkgutil
import re

import pytest

import lamina

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
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_api_has_examples():
    """Every public function and class exported at the top level shows an example."""
    missing = [name for name in lamina.__all__
               if callable(getattr(lamina, name)) and not isinstance(getattr(lamina, name), type)
               and ">>>" not in (getattr(lamina, name).__doc__ or "")]
    assert not missing, f"public functions without an Examples section: {missing}"
