"""lamina-tensor as a third-party plugin: listed ok, found by name."""

from lamina_tensor import CP, Tucker

import lamina
import lamina.decomposition


def test_listed_ok_by_lamina_plugins():
    lamina.plugins.reload()
    rows = [r for r in lamina.plugins.status("lamina.decompositions", load=True)
            if r["distribution"] == "lamina-tensor"]
    assert {r["name"] for r in rows} == {"tucker", "cp"}
    assert all(r["state"] == "ok" for r in rows), rows


def test_lookup_by_name():
    assert lamina.decomposition.get("tucker") is Tucker
    assert lamina.decomposition.get("lamina-tensor:cp") is CP
    assert {"tucker", "cp"} <= set(lamina.decomposition.available())
