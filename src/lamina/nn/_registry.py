"""Layer lookup through the ``lamina.layers`` entry-point group (core and plugins alike)."""

from lamina._registry import entries, load_entry

__all__ = ["available_layers", "get_layer", "registered_name"]


def available_layers():
    """Names of every layer registered under ``lamina.layers`` (lamina's own included).

    Examples
    --------
    >>> import lamina.nn
    >>> "dense" in lamina.nn.available_layers()
    True
    """
    return sorted({e.name for e in entries("lamina.layers") if e.state in ("ok", "not-loaded")})


def get_layer(name):
    """The layer class registered as ``name`` (or ``"distribution:name"``).

    Examples
    --------
    >>> import lamina.nn
    >>> lamina.nn.get_layer("dense") is lamina.nn.Dense
    True
    """
    if ":" in name:
        dist, _, plain = name.partition(":")
        for e in entries("lamina.layers"):
            if e.name == plain and e.distribution == dist:
                from lamina._registry import REGISTRY

                return REGISTRY.load_plain_entry(e)
        raise LookupError(f"no layer {plain!r} from distribution {dist!r}")
    try:
        return load_entry("lamina.layers", name)
    except LookupError as exc:
        raise LookupError(f"{exc}; available layers: {', '.join(available_layers())}") from None


def registered_name(layer):
    """The entry-point name under which ``type(layer)`` is registered (for saving models)."""
    cls = type(layer)
    name = getattr(cls, "layer_name", None)
    if name:
        try:
            if get_layer(name) is cls:
                return name
        except LookupError:
            pass
    for e in entries("lamina.layers"):
        try:
            if get_layer(f"{e.distribution}:{e.name}") is cls:
                return f"{e.distribution}:{e.name}"
        except LookupError:
            continue
    raise LookupError(f"{cls.__name__} is not registered under the 'lamina.layers' entry points; "
                      "register it to save models that use it")
