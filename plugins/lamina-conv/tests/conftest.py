"""Collect this plugin's tests only where it is installed; elsewhere one visible skip
(``test_installed.py``) says how to install it, instead of import errors that would stop
the whole test run."""

import importlib.util
import pathlib

if importlib.util.find_spec("lamina_conv") is None:
    collect_ignore = [p.name for p in pathlib.Path(__file__).parent.glob("test_*.py")
                      if p.name != "test_installed.py"]
