"""What every conformance report and check shares: the verdict and the failure signal."""

__all__ = ["CheckFailed", "FailureReport", "require"]


class FailureReport:
    """Mixin for the kit's reports: ``failures`` maps a check or operation to what failed."""

    @property
    def ok(self):
        return not self.failures

    def raise_for_failures(self):
        """Raise AssertionError listing every failure (for use inside a test)."""
        if self.failures:
            raise AssertionError(str(self))


class CheckFailed(Exception):
    """Raised inside one check; the runner records it as that check's failure."""


def require(condition, message):
    if not condition:
        raise CheckFailed(message)
