"""Optional tqdm progress bars for the iterative fits (tqdm is imported only when asked)."""

__all__ = ["progress_bar"]


def progress_bar(enabled, *, total, desc):
    """A tqdm bar over ``total`` iterations when ``enabled`` (lamina.nn's helper, which
    raises ImportError with the install hint if tqdm is missing), else None.  Callers
    update it once per iteration and close it."""
    if not enabled:
        return None
    from lamina.nn._model import _progress_bar

    bar = _progress_bar(total, desc)
    bar.unit = "it"
    return bar
