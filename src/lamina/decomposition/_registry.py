"""Estimator lookup through the ``lamina.decompositions`` entry-point group (lamina's own
estimators register there exactly as plugins' do)."""

from lamina._registry import REGISTRY, entries, load_entry

__all__ = ["available", "get"]

GROUP = "lamina.decompositions"


def available():
    """Names of every estimator registered under ``lamina.decompositions``.

    lamina's own estimators are listed beside those of installed plugins.

    Examples
    --------
    >>> import lamina.decomposition
    >>> {"pca", "truncated_svd", "nmf", "lda", "als"} <= set(lamina.decomposition.available())
    True
    """
    return sorted({e.name for e in entries(GROUP) if e.state in ("ok", "not-loaded")})


def get(name):
    """The estimator class registered as ``name`` (or ``"distribution:name"``).

    Parameters
    ----------
    name : str
        An entry-point name such as ``"pca"``; ``"dist:name"`` picks one distribution's
        entry when two claim the same name.

    Returns
    -------
    type
        The estimator class (loaded on first use).

    Raises
    ------
    LookupError
        Unknown name (the message lists the available ones), or a broken plugin.

    Examples
    --------
    >>> import lamina.decomposition
    >>> lamina.decomposition.get("pca") is lamina.decomposition.PCA
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if ":" in name:
        dist, _, plain = name.partition(":")
        for e in entries(GROUP):
            if e.name == plain and e.distribution == dist:
                return REGISTRY.load_plain_entry(e)
        raise LookupError(f"no decomposition {plain!r} from distribution {dist!r}")
    try:
        return load_entry(GROUP, name)
    except LookupError as exc:
        raise LookupError(f"{exc}; available decompositions: {', '.join(available())}"
                          ) from None
