"""Exception and warning types shared by all of lamina."""

import numpy as np

__all__ = [
    "BackendNotImplemented",
    "ConvergenceWarning",
    "LinAlgError",
    "LinAlgWarning",
    "PluginWarning",
]


class LinAlgError(np.linalg.LinAlgError):
    """A linear-algebra routine failed (singular matrix, not positive definite, ...).

    A subclass of :class:`numpy.linalg.LinAlgError`, so ``except np.linalg.LinAlgError``
    keeps working when code switches to lamina.  The message names the pivot, leading
    minor or iteration that failed.
    """


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before reaching its tolerance."""


class BackendNotImplemented(NotImplementedError):
    """Raised by a backend that declines an operation, so dispatch tries the next one."""


class PluginWarning(UserWarning):
    """A plugin could not be loaded (broken, incompatible, duplicated) and was disabled."""


class LinAlgWarning(RuntimeWarning):
    """A linear-algebra result is valid but suspect (exactly singular factors, a matrix
    so ill-conditioned that the solution may be inaccurate).  Mirrors SciPy's
    ``scipy.linalg.LinAlgWarning``."""
