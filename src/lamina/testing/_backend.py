"""``check_backend``: run a backend's operations against lamina's core."""

import dataclasses
import math
import warnings

import numpy as np

from lamina._errors import ConvergenceWarning
from lamina._registry import OPS, _in_backend, get_backend
from lamina.testing._cases import CASES
from lamina.testing._report import FailureReport


@dataclasses.dataclass
class ConformanceReport(FailureReport):
    """What :func:`check_backend` found.

    Attributes
    ----------
    backend : str
        The backend's name.
    implemented : list of str
        Operations the backend provides (of those checked).
    missing : list of str
        Operations in lamina's op table the backend does not provide.
    passed_ops : list of str
        Implemented operations whose every case agreed with the core.
    failures : dict
        Operation -> list of messages, for each case that disagreed.
    cases_run : int
        Number of cases executed.
    """

    backend: str
    implemented: list
    missing: list
    passed_ops: list
    failures: dict
    cases_run: int

    def __str__(self):
        lines = [f"conformance of backend {self.backend!r}: {len(self.passed_ops)} passed, "
                 f"{len(self.failures)} failed, {len(self.missing)} missing, "
                 f"{self.cases_run} cases"]
        for op in self.implemented:
            state = "FAILED" if op in self.failures else "passed"
            lines.append(f"  {op:<24} {state}")
            for msg in self.failures.get(op, ())[:5]:
                lines.append(f"      {msg}")
        if self.missing:
            lines.append(f"  missing: {', '.join(self.missing)}")
        return "\n".join(lines)


def _eps(dtype):
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else float(np.finfo(np.float64).eps)


def _compare(actual, expected, case):
    """None when ``actual`` matches the core's ``expected``, else a message."""
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(expected):
            return f"expected a tuple of {len(expected)}, got {type(actual).__name__}"
        for a, e in zip(actual, expected, strict=True):
            msg = _compare(a, e, case)
            if msg:
                return msg
        return None
    if isinstance(expected, int | np.integer) and not isinstance(expected, bool):
        return None if int(actual) == int(expected) else f"expected {expected}, got {actual}"
    exp = np.asarray(expected)
    act = np.asarray(actual)
    if act.shape != exp.shape:
        return f"shape {act.shape} != core's {exp.shape}"
    if exp.dtype.kind == "f" and act.dtype != exp.dtype:
        return f"dtype {act.dtype} != core's {exp.dtype}"
    if exp.size == 0:
        return None
    eps = _eps(exp.dtype)
    scale = max(1.0, float(np.max(np.abs(exp[np.isfinite(exp)]), initial=0.0)))
    tol = case.tol * eps * max(1, case.size) * scale
    same_nan = np.array_equal(np.isnan(act), np.isnan(exp))
    if not same_nan:
        return "NaN pattern differs from the core"
    finite = np.isfinite(exp)
    if not np.array_equal(act[~finite & ~np.isnan(exp)], exp[~finite & ~np.isnan(exp)]):
        return "infinities differ from the core"
    err = float(np.max(np.abs(act[finite] - exp[finite]), initial=0.0))
    if not math.isfinite(err) or err > tol:
        return f"max abs error {err:.3g} exceeds tolerance {tol:.3g}"
    return None


def _resolve(backend):
    if isinstance(backend, str):
        return get_backend(backend)
    for attr in ("name", "asarray", "to_numpy"):
        if not hasattr(backend, attr):
            raise TypeError(f"backend object lacks required attribute {attr!r}")
    return backend


def check_backend(backend, ops=None):
    """Check a backend's operations against lamina's core on a battery of inputs.

    Parameters
    ----------
    backend : str or object
        A registered backend name, or a backend object (``name``, ``asarray``,
        ``to_numpy`` and operation attributes).
    ops : sequence of str, optional
        Operations to check (default: every operation in lamina's op table that has a
        case battery).

    Returns
    -------
    ConformanceReport
        ``report.ok`` is True when every implemented operation agreed with the core on
        every case; ``report.raise_for_failures()`` turns failures into an AssertionError.

    Notes
    -----
    Values are compared with a tolerance of ``tol * eps * size * max|expected|`` per case;
    shapes and float dtypes must match exactly, and inputs the core rejects must be
    rejected with the same exception type.  Factorizations (added by later lamina
    releases) are compared through reconstruction and orthogonality, not sign-ambiguous
    factors.
    """
    obj = _resolve(backend)
    names = sorted(CASES) if ops is None else list(ops)
    unknown = [op for op in names if op not in CASES]
    if unknown:
        raise ValueError(f"no conformance cases for {unknown}; known: {sorted(CASES)}")
    implemented = [op for op in names if callable(getattr(obj, op, None))]
    missing = [op for op in sorted(OPS) if not callable(getattr(obj, op, None))
               and (ops is None or op in names)]
    failures = {}
    cases_run = 0
    for op in implemented:
        fn = getattr(obj, op)
        core = OPS[op].core
        for case in CASES[op]():
            cases_run += 1
            msg = _run_case(obj, fn, core, case)
            if msg:
                failures.setdefault(op, []).append(f"{case.label}: {msg}")
    passed = [op for op in implemented if op not in failures]
    return ConformanceReport(str(getattr(obj, "name", backend)), implemented, missing,
                             passed, failures, cases_run)


def _convert_args(obj, values):
    return tuple(obj.asarray(v) if isinstance(v, np.ndarray) else v for v in values)


def _run_case(obj, fn, core, case):
    args = _convert_args(obj, case.args)
    kwargs = dict(zip(case.kwargs, _convert_args(obj, case.kwargs.values()), strict=True))
    token = _in_backend.set(True)
    try:
        if case.raises is not None:
            try:
                fn(*args, **kwargs)
            except case.raises:
                return None
            except Exception as exc:  # noqa: BLE001 - reported, not swallowed
                return (f"raised {type(exc).__name__} where the core raises "
                        f"{case.raises.__name__}: {exc}")
            return f"did not raise {case.raises.__name__}"
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            return f"raised {type(exc).__name__}: {exc}"
    finally:
        _in_backend.reset(token)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = core(*[np.copy(a) if isinstance(a, np.ndarray) else a
                          for a in case.args], **case.kwargs)
    if case.compare is not None:
        return case.compare(result, expected)
    actual = _to_numpy(obj, result)
    if case.check is not None:
        return case.check(actual, expected, case)
    return _compare(actual, expected, case)


def _to_numpy(obj, value):
    if isinstance(value, tuple):
        return tuple(_to_numpy(obj, v) for v in value)
    if isinstance(value, int | float | np.generic):
        return value
    return obj.to_numpy(value)
