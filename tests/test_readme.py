"""The README's Python examples run (and the docstring examples of the public API)."""

import doctest
import pathlib
import re

import pytest

import lamina
import lamina._config
import lamina._registry
import lamina.blas._level1
import lamina.blas._level2
import lamina.datasets
import lamina.datasets._digits
import lamina.losses
import lamina.losses._elementwise
import lamina.losses._softmax
import lamina.testing

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.skipif(not README.exists(), reason="README.md not found beside tests/")
def test_readme_python_blocks_run():
    blocks = _python_blocks(README.read_text())
    assert blocks, "README.md should have python examples"
    for block in blocks:
        namespace = {}
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102


@pytest.mark.parametrize("module", [lamina, lamina._config, lamina._registry,
                                    lamina.blas._level1, lamina.blas._level2, lamina.testing,
                                    lamina.datasets, lamina.datasets._digits, lamina.losses,
                                    lamina.losses._elementwise, lamina.losses._softmax],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
