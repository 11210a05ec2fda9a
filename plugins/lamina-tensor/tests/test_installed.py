"""Whether lamina-tensor is installed (its other tests are collected only then)."""

import pytest


def test_plugin_is_installed():
    pytest.importorskip("lamina_tensor", reason="lamina-tensor is not installed; run "
                        "python -m pip install ./plugins/lamina-tensor")
