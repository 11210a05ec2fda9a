"""Inspect and refresh lamina's plugins (entry points of other distributions).

Examples
--------
>>> import lamina
>>> states = {p["name"]: p["state"] for p in lamina.plugins.status()}
"""

from lamina._registry import PLUGIN_API, REGISTRY, get_backend, load_entry, version_satisfies

__all__ = ["PLUGIN_API", "get_backend", "load_entry", "reload", "status", "version_satisfies"]


def status(group=None, *, load=False):
    """List every plugin entry point with its distribution, version, group and state.

    Parameters
    ----------
    group : str, optional
        Only this entry-point group (``"lamina.backends"``, ``"lamina.backend_info"``,
        ``"lamina.layers"``, ``"lamina.decompositions"``).
    load : bool
        Load every entry that is not loaded yet, so that ``not-loaded`` becomes ``ok`` or
        ``broken`` (what ``lamina info`` and ``lamina plugins`` do).  Loading imports the
        plugin's modules; a failure marks only that plugin broken, with one warning.

    Returns
    -------
    list of dict
        Keys ``distribution``, ``version``, ``group``, ``name``, ``value``, ``state``
        (``ok``, ``not-loaded``, ``incompatible``, ``broken``, ``blocked``) and ``error``.
    """
    REGISTRY.discover()
    selected = [e for e in REGISTRY.entries if group is None or e.group == group]
    if load:
        for entry in selected:
            if entry.state != "not-loaded":
                continue
            try:
                if entry.group == "lamina.backends":
                    REGISTRY.load_backend(entry)
                else:
                    REGISTRY.load_plain_entry(entry)
            except LookupError:
                pass                       # recorded on the entry as broken, warned once
    return [e.as_dict() for e in selected]


def reload():
    """Forget every loaded plugin and scan the entry points (and environment) again.

    Use it after installing a plugin into a running interpreter or after changing
    ``LAMINA_DISABLE_PLUGINS`` / ``LAMINA_BLOCK``.
    """
    REGISTRY.reload()
