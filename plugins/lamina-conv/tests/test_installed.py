"""Whether lamina-conv is installed (its other tests are collected only then)."""

import pytest


def test_plugin_is_installed():
    pytest.importorskip("lamina_conv", reason="lamina-conv is not installed; run "
                        "python -m pip install ./plugins/lamina-conv")
