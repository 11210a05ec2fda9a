"""The docstring examples of every lamina_tensor module run."""

import doctest
import importlib
import pkgutil

import lamina_tensor
import pytest

import lamina

MODULES = sorted(info.name for info in
                 pkgutil.walk_packages(lamina_tensor.__path__, "lamina_tensor."))


@pytest.mark.parametrize("name", ["lamina_tensor"] + MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_examples(monkeypatch, tmp_path):
    import pathlib
    import re

    readme = pathlib.Path(__file__).resolve().parents[1] / "README.md"
    if not readme.exists():
        pytest.skip("README.md not found beside tests/")
    monkeypatch.chdir(tmp_path)                 # examples may write files
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    assert blocks
    namespace = {}
    with lamina.threads(1):                      # see test_digits_cnn.py for why
        for block in blocks:
            exec(compile(block, str(readme), "exec"), namespace)  # noqa: S102
