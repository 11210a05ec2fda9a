"""The plugin registry and operation dispatch.

Plugins enter lamina only through Python entry points:

==========================  ===================================================  ==========
group                       value                                                loaded
==========================  ===================================================  ==========
``lamina.backends``         ``"pkg.mod:Backend"`` (a class or an instance)       on use
``lamina.backend_info``     ``"pkg._info:get_info"`` returning a metadata dict    at discovery
``lamina.layers``           ``"pkg.mod:LayerClass"``                             on use
``lamina.decompositions``   ``"pkg.mod:EstimatorClass"``                         on use
==========================  ===================================================  ==========

Discovery happens the first time something needs it (a non-NumPy input, ``backend=``,
``backend_opts``, ``lamina.plugins.status()``), never at ``import lamina``, so a broken plugin
cannot break the import.  Anything that goes wrong while loading a plugin marks that plugin
``broken`` with one :class:`~lamina.PluginWarning`; it is not retried per call, and an
explicit ``backend="name"`` re-raises the original error chained.

Selection for one call of a dispatchable operation:

1. ``backend="name"``: only that backend (``"core"`` forces the Cython core); unknown,
   broken or declining raises with the reason.
2. ``with lamina.backend_opts(prioritize=[...], disable=[...], fallback=...)`` (a ContextVar;
   thread- and asyncio-safe, nestable), else ``LAMINA_BACKEND_PRIORITY=a,b``.
3. The input's array type: the backend whose ``array_types`` lists it.  Mixing two backends'
   arrays raises TypeError.
4. NumPy and other array-likes run on the Cython core.

Fallback: with NumPy inputs, a backend that lacks the op, declines (``can_run``) or raises
:class:`~lamina.BackendNotImplemented` passes to the next candidate and finally the core.
With a backend's own arrays, lamina never moves data silently: it raises unless
``fallback="warn"`` or ``"allow"`` converts to NumPy, runs the core and converts back.
Calls made inside a backend's implementation run on the core directly.
"""

import contextlib
import contextvars
import dataclasses
import functools
import importlib.metadata
import logging
import os
import re
import threading
import warnings

import numpy as np

from lamina._errors import BackendNotImplemented, PluginWarning

__all__ = [
    "PLUGIN_API",
    "backend_opts",
    "dispatchable",
    "explain",
    "get_backend",
    "load_entry",
    "entries",
]

PLUGIN_API = 1
GROUPS = ("lamina.backends", "lamina.backend_info", "lamina.layers", "lamina.decompositions")
CORE = "core"
logger = logging.getLogger("lamina.dispatch")


# ---------------------------------------------------------------------------------------
# Version gate (the PEP 440 subset plugins use: release numbers with comparison operators)

_VERSION_RE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


def _release(version):
    m = _VERSION_RE.match(str(version))
    if not m:
        raise ValueError(f"cannot parse version {version!r}")
    parts = [int(p) for p in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_satisfies(version, specifier):
    """True if ``version`` meets a comma-separated specifier such as ``">=0.1,<2"``.

    Supports ``==``, ``!=``, ``>=``, ``<=``, ``>``, ``<``, ``~=`` and ``==X.*`` on release
    numbers, which is what ``lamina_requires`` needs; anything else raises ValueError.
    """
    have = _release(version)
    for clause in filter(None, (c.strip() for c in str(specifier).split(","))):
        m = re.fullmatch(r"(~=|==|!=|>=|<=|>|<)\s*([0-9][0-9.]*)(\.\*)?", clause)
        if not m:
            raise ValueError(f"unsupported version specifier {clause!r}")
        op, raw, star = m.groups()
        want = _release(raw)
        if star:
            n = len(raw.split("."))
            ok = have[:n] + (0,) * max(0, n - len(have)) == tuple(int(p) for p in raw.split("."))
            ok = ok if op == "==" else not ok
        elif op == "~=":
            prefix = tuple(int(p) for p in raw.split(".")[:-1])
            ok = have >= want and have[: len(prefix)] == prefix
        else:
            ok = {"==": have == want, "!=": have != want, ">=": have >= want,
                  "<=": have <= want, ">": have > want, "<": have < want}[op]
        if not ok:
            return False
    return True


# ---------------------------------------------------------------------------------------
# Plugin records

@dataclasses.dataclass
class PluginEntry:
    """One entry point of one distribution, and what lamina made of it."""

    group: str
    name: str
    value: str
    distribution: str
    version: str
    state: str = "not-loaded"          # ok | not-loaded | incompatible | broken | blocked
    error: str | None = None
    info: dict | None = None
    obj: object = None
    exc: BaseException | None = dataclasses.field(default=None, repr=False)
    _ep: object = dataclasses.field(default=None, repr=False)

    @property
    def qualified_name(self):
        return f"{self.distribution}:{self.name}"

    def as_dict(self):
        return {
            "distribution": self.distribution,
            "version": self.version,
            "group": self.group,
            "name": self.name,
            "value": self.value,
            "state": self.state,
            "error": self.error,
        }


def _truthy_env(name):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return False
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    warnings.warn(f"ignoring {name}={raw!r}: expected 0/1/true/false", PluginWarning,
                  stacklevel=4)
    return False


def _env_list(name):
    raw = os.environ.get(name, "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


class _Registry:
    """Process-wide plugin state; every mutation holds ``_lock``."""

    def __init__(self):
        self._lock = threading.RLock()
        self._discovered = False
        self.entries: list[PluginEntry] = []
        self.backends: dict[str, list[PluginEntry]] = {}   # plain name -> entries
        self.array_types: dict[str, str] = {}             # "module.Qualname" -> backend key
        self.generation = 0

    # -- discovery ----------------------------------------------------------------------
    def reload(self):
        global _ENV_PRIORITY
        with self._lock:
            _ENV_PRIORITY = _env_list("LAMINA_BACKEND_PRIORITY")
            self._discovered = False
            self.entries = []
            self.backends = {}
            self.array_types = {}
            self.generation += 1
            _native_types_cache.clear()
            self.discover()

    def discover(self):
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            disabled = _truthy_env("LAMINA_DISABLE_PLUGINS")
            blocked = set(_env_list("LAMINA_BLOCK"))
            try:
                eps = importlib.metadata.entry_points()
            except Exception as exc:  # a corrupt dist-info must not take lamina down
                warnings.warn(f"could not read entry points: {exc}", PluginWarning, stacklevel=3)
                eps = ()
            for group in GROUPS:
                selected = eps.select(group=group) if eps else ()
                for ep in selected:
                    dist = getattr(ep, "dist", None)
                    entry = PluginEntry(
                        group=group,
                        name=ep.name,
                        value=ep.value,
                        distribution=dist.name if dist is not None else "unknown",
                        version=dist.version if dist is not None else "unknown",
                        _ep=ep,
                    )
                    if disabled:
                        entry.state, entry.error = "blocked", "LAMINA_DISABLE_PLUGINS is set"
                    elif entry.name in blocked or entry.distribution in blocked:
                        entry.state, entry.error = "blocked", "listed in LAMINA_BLOCK"
                    self.entries.append(entry)
            self._load_infos()
            self._index_backends()
            self._discovered = True

    def _load_infos(self):
        from lamina import __version__

        for entry in self.entries:
            if entry.group != "lamina.backend_info" or entry.state == "blocked":
                continue
            try:
                getter = entry._ep.load()
                info = getter() if callable(getter) else getter
                if not isinstance(info, dict):
                    raise TypeError(f"backend_info must return a dict, got {type(info).__name__}")
                info = dict(info)
                info.setdefault("name", entry.name)
                entry.info = info
            except Exception as exc:
                self._mark_broken(entry, exc, "loading its backend_info")
                continue
            api = info.get("plugin_api")
            requires = info.get("lamina_requires")
            try:
                if api is not None and int(api) != PLUGIN_API:
                    raise _Incompatible(
                        f"plugin_api {api} is not lamina's plugin API {PLUGIN_API}")
                if requires and not version_satisfies(__version__, requires):
                    raise _Incompatible(
                        f"requires lamina {requires}, this is lamina {__version__}")
            except (_Incompatible, ValueError) as exc:
                entry.state, entry.error = "incompatible", str(exc)
                warnings.warn(f"lamina plugin {entry.qualified_name} is incompatible and "
                              f"disabled: {exc}", PluginWarning, stacklevel=5)
                continue
            entry.state = "ok"

    def _index_backends(self):
        infos = {(e.distribution, e.name): e for e in self.entries
                 if e.group == "lamina.backend_info"}
        for entry in self.entries:
            if entry.group != "lamina.backends":
                continue
            info_entry = infos.get((entry.distribution, entry.name))
            if info_entry is not None:
                entry.info = info_entry.info
                if info_entry.state in ("incompatible", "broken", "blocked") and \
                        entry.state != "blocked":
                    entry.state, entry.error = info_entry.state, info_entry.error
                    entry.exc = info_entry.exc
            self.backends.setdefault(entry.name, []).append(entry)
        for name, group in self.backends.items():
            if len(group) > 1:
                dists = ", ".join(e.distribution for e in group)
                warnings.warn(
                    f"lamina backend name {name!r} is claimed by several distributions "
                    f"({dists}); select one as 'distribution:{name}'",
                    PluginWarning, stacklevel=5)
        for entry in self.entries:
            if entry.group == "lamina.backends" and entry.state in ("ok", "not-loaded") \
                    and entry.info:
                for t in entry.info.get("array_types", ()) or ():
                    key = entry.name if len(self.backends[entry.name]) == 1 \
                        else entry.qualified_name
                    self.array_types[str(t)] = key

    def _mark_broken(self, entry, exc, doing):
        entry.state = "broken"
        entry.error = f"{type(exc).__name__}: {exc}"
        entry.exc = exc
        warnings.warn(
            f"lamina plugin {entry.qualified_name} ({entry.group}) is broken and disabled; "
            f"error while {doing}: {entry.error}",
            PluginWarning, stacklevel=5)

    # -- lookup -------------------------------------------------------------------------
    def find_backend_entry(self, name):
        """The backend entry for ``name`` or ``"dist:name"``; raises LookupError with a reason."""
        self.discover()
        if ":" in name:
            dist, _, plain = name.partition(":")
            for entry in self.backends.get(plain, ()):
                if entry.distribution == dist:
                    return entry
            raise LookupError(f"no backend {plain!r} from distribution {dist!r} is installed")
        group = self.backends.get(name)
        if not group:
            known = sorted(self.backends) or ["none installed"]
            raise LookupError(f"unknown backend {name!r}; available: core, {', '.join(known)}")
        if len(group) > 1:
            options = ", ".join(e.qualified_name for e in group)
            raise LookupError(f"backend name {name!r} is ambiguous; choose one of {options}")
        return group[0]

    def load_backend(self, entry):
        """Load (once) and return the backend object of ``entry``, or raise why not."""
        if entry.state == "ok" and entry.obj is not None:
            return entry.obj
        if entry.state in ("blocked", "incompatible"):
            raise LookupError(f"backend {entry.qualified_name} is {entry.state}: {entry.error}")
        if entry.state == "broken":
            raise LookupError(f"backend {entry.qualified_name} is broken: {entry.error}") \
                from entry.exc
        with self._lock:
            if entry.obj is not None:
                return entry.obj
            try:
                obj = entry._ep.load()
                if isinstance(obj, type):
                    obj = obj()
                for attr in ("name", "asarray", "to_numpy"):
                    if not hasattr(obj, attr):
                        raise TypeError(f"backend object lacks required attribute {attr!r}")
            except Exception as exc:
                self._mark_broken(entry, exc, "loading the backend")
                raise LookupError(f"backend {entry.qualified_name} is broken: {entry.error}") \
                    from exc
            entry.obj = obj
            entry.state = "ok"
            return obj

    def load_entry(self, group, name):
        """Load a ``lamina.layers`` / ``lamina.decompositions`` entry by name."""
        self.discover()
        matches = [e for e in self.entries if e.group == group and e.name == name]
        if not matches:
            raise LookupError(f"no {group} entry named {name!r}")
        if len(matches) > 1:
            options = ", ".join(e.qualified_name for e in matches)
            raise LookupError(f"{group} name {name!r} is ambiguous: {options}")
        return self.load_plain_entry(matches[0])

    def load_plain_entry(self, entry):
        """Load (once) a layer/decomposition entry's object, or raise LookupError why not."""
        group = entry.group
        if entry.state in ("blocked", "incompatible", "broken"):
            raise LookupError(f"{group} entry {entry.qualified_name} is {entry.state}: "
                              f"{entry.error}") from entry.exc
        if entry.obj is None:
            with self._lock:
                try:
                    entry.obj = entry._ep.load()
                    entry.state = "ok"
                except Exception as exc:
                    self._mark_broken(entry, exc, "loading it")
                    raise LookupError(f"{group} entry {entry.qualified_name} is broken: "
                                      f"{entry.error}") from exc
        return entry.obj


class _Incompatible(Exception):
    pass


REGISTRY = _Registry()


def get_backend(name):
    """Return the loaded backend object registered as ``name`` (or ``"dist:name"``)."""
    return REGISTRY.load_backend(REGISTRY.find_backend_entry(name))


def load_entry(group, name):
    """Load a plugin entry (a layer or decomposition class) by group and name."""
    return REGISTRY.load_entry(group, name)


def entries(group=None):
    """All discovered entries, optionally of one group (discovering first)."""
    REGISTRY.discover()
    return [e for e in REGISTRY.entries if group is None or e.group == group]


# ---------------------------------------------------------------------------------------
# Dispatch options (ContextVar) and tracing

@dataclasses.dataclass(frozen=True)
class _Options:
    prioritize: tuple = ()
    disable: frozenset = frozenset()
    fallback: str = "raise"
    trace: list | None = None


_opts: contextvars.ContextVar[_Options | None] = contextvars.ContextVar(
    "lamina_backend_opts", default=None)
_in_backend: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lamina_in_backend", default=False)

_FALLBACKS = ("raise", "warn", "allow")


@dataclasses.dataclass
class DispatchRecord:
    """What one dispatch decided: the op, the backend that ran, and why."""

    op: str
    backend: str
    reasons: list

    def __str__(self):
        lines = [f"{self.op}: runs on {self.backend!r}"]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)


@contextlib.contextmanager
def backend_opts(*, prioritize=None, disable=None, fallback=None, trace=False):
    """Context manager steering dispatch inside the block.

    Parameters
    ----------
    prioritize : sequence of str, optional
        Backends to try first, in order, even for NumPy inputs (the inputs are converted
        with the backend's ``asarray`` and results come back as NumPy arrays).
    disable : sequence of str, optional
        Backends never to use inside the block.
    fallback : {"raise", "warn", "allow"}, optional
        What happens when no backend can run an op on a backend's own arrays: raise
        (default), or convert to NumPy and run the core, with or without a warning.
    trace : bool
        Record every dispatch decision; the ``as`` target is the list of records.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> with lamina.backend_opts(trace=True) as trace:
    ...     _ = lamina.dot(np.ones(3), np.ones(3))
    >>> trace[0].backend
    'core'
    """
    parent = _opts.get() or _Options()
    if fallback is not None and fallback not in _FALLBACKS:
        raise ValueError(f"fallback must be one of {_FALLBACKS}, got {fallback!r}")
    for label, seq in (("prioritize", prioritize), ("disable", disable)):
        if seq is not None and (isinstance(seq, str) or
                                not all(isinstance(s, str) for s in seq)):
            raise TypeError(f"{label} must be a sequence of backend names, got {seq!r}")
    records = ([] if trace else None)
    new = _Options(
        prioritize=tuple(prioritize) if prioritize is not None else parent.prioritize,
        disable=parent.disable | frozenset(disable or ()),
        fallback=fallback or parent.fallback,
        trace=records if trace else parent.trace,
    )
    token = _opts.set(new)
    try:
        yield records
    finally:
        _opts.reset(token)


# ---------------------------------------------------------------------------------------
# Operations

OPS: dict[str, "Operation"] = {}

# LAMINA_BACKEND_PRIORITY is read at import and by lamina.plugins.reload(): reading the
# environment costs ~2 us, too much for every call of a small kernel.
_ENV_PRIORITY = _env_list("LAMINA_BACKEND_PRIORITY")

_native_types_cache: dict[type, bool] = {}
_NATIVE_MODULES = ("builtins", "numpy")


def _is_native(t):
    """NumPy arrays, Python and NumPy scalars, sequences: what the core takes directly."""
    hit = _native_types_cache.get(t)
    if hit is not None:
        return hit
    if issubclass(t, np.ndarray | np.generic) or t.__module__ in _NATIVE_MODULES:
        _native_types_cache[t] = True
        return True
    REGISTRY.discover()
    native = not any(_type_key(b) in REGISTRY.array_types for b in t.__mro__)
    _native_types_cache[t] = native
    return native


def _type_key(t):
    return f"{t.__module__}.{t.__qualname__}"


def _foreign_backends(values):
    """Backend keys owning the non-NumPy arrays among ``values`` (discovering if needed)."""
    found = []
    for v in values:
        t = type(v)
        if _native_types_cache.get(t) is True:
            continue
        REGISTRY.discover()
        if _is_native(t):
            continue
        for b in t.__mro__:
            key = REGISTRY.array_types.get(_type_key(b))
            if key is not None:
                if key not in found:
                    found.append(key)
                break
    return found


class Operation:
    """A dispatchable public operation: its name, core implementation and call wrapper."""

    def __init__(self, name, core):
        self.name = name
        self.core = core

    def plan(self, args, kwargs, backend):
        """Ordered candidates ``[(key, entry_or_None)]``, foreign key, and reasons so far."""
        reasons = []
        opts = _opts.get() or _Options()
        if _in_backend.get():
            return [(CORE, None)], None, ["nested call inside a backend: runs on the core"], True
        if backend is not None:
            if not isinstance(backend, str):
                raise TypeError(f"backend must be a backend name (str), got {backend!r}")
            if backend == CORE:
                return [(CORE, None)], None, ["backend='core' requested"], True
            try:
                entry = REGISTRY.find_backend_entry(backend)
            except LookupError as exc:
                raise LookupError(f"{self.name}: {exc}") from None
            return [(backend, entry)], None, [f"backend={backend!r} requested"], True
        foreign = _foreign_backends(list(args) + list(kwargs.values()))
        if len(foreign) > 1:
            raise TypeError(f"{self.name}: inputs mix arrays of backends {foreign}; convert "
                            f"them to one array type first (lamina never moves data silently)")
        foreign_key = foreign[0] if foreign else None
        prioritized = opts.prioritize or _ENV_PRIORITY
        candidates = []
        for key in prioritized:
            if key in opts.disable:
                reasons.append(f"{key}: disabled by backend_opts")
                continue
            if key == CORE:
                candidates.append((CORE, None))
                continue
            try:
                entry = REGISTRY.find_backend_entry(key)
            except LookupError as exc:
                reasons.append(f"{key}: {exc}")
                continue
            if foreign_key is not None and key != foreign_key:
                reasons.append(f"{key}: prioritized but does not own the input's array type")
                continue
            candidates.append((key, entry))
        if foreign_key is not None and all(k != foreign_key for k, _ in candidates):
            if foreign_key in opts.disable:
                reasons.append(f"{foreign_key}: owns the input arrays but is disabled")
            else:
                candidates.append((foreign_key, REGISTRY.find_backend_entry(foreign_key)))
                reasons.append(f"{foreign_key}: owns the input's array type")
        if foreign_key is None and all(k != CORE for k, _ in candidates):
            candidates.append((CORE, None))
        return candidates, foreign_key, reasons, False

    def select(self, args, kwargs, backend):
        """Choose the implementation.

        Returns ``(key, fn, backend_object_or_None, foreign_key, strict, reasons)``; a core
        choice for a backend's own arrays (the fallback) has ``foreign_key`` set.
        """
        candidates, foreign_key, reasons, strict = self.plan(args, kwargs, backend)
        for key, entry in candidates:
            if key == CORE:
                reasons.append("core: the Cython kernels")
                return key, self.core, None, foreign_key, strict, reasons
            try:
                obj = REGISTRY.load_backend(entry)
            except LookupError as exc:
                if strict:
                    raise LookupError(f"{self.name}: {exc}") from exc.__cause__
                reasons.append(f"{key}: {exc}")
                continue
            fn = getattr(obj, self.name, None)
            if fn is None:
                reasons.append(f"{key}: does not implement {self.name}")
                if strict:
                    raise BackendNotImplemented(
                        f"backend {key!r} does not implement {self.name}")
                continue
            can_run = getattr(obj, "can_run", None)
            if can_run is not None:
                verdict = can_run(self.name, args, kwargs)
                if verdict is not True:
                    why = verdict if isinstance(verdict, str) else "declined (can_run)"
                    reasons.append(f"{key}: {why}")
                    if strict:
                        raise BackendNotImplemented(
                            f"backend {key!r} declines {self.name}: {why}")
                    continue
            reasons.append(f"{key}: implements {self.name}")
            return key, fn, obj, foreign_key, strict, reasons
        return self._fallback(foreign_key, strict, reasons)

    def _fallback(self, foreign_key, strict, reasons):
        if foreign_key is None:
            reasons.append("core: fallback for NumPy inputs")
            return CORE, self.core, None, None, strict, reasons
        opts = _opts.get() or _Options()
        if opts.fallback == "raise":
            raise BackendNotImplemented(
                f"{self.name}: no backend can run this op on {foreign_key!r} arrays "
                f"({'; '.join(reasons)}); lamina does not move data to NumPy silently - use "
                f"lamina.backend_opts(fallback='allow') to permit it")
        reasons.append(f"core: fallback={opts.fallback!r} converts {foreign_key} arrays "
                       "to NumPy and back")
        return CORE, self.core, None, foreign_key, strict, reasons

    def __call__(self, args, kwargs, backend):
        if _in_backend.get():                  # inside a backend: the core, untraced
            return self.core(*args, **kwargs)
        key, fn, obj, foreign_key, strict, reasons = self.select(args, kwargs, backend)
        record = DispatchRecord(self.name, key, reasons)
        try:
            if obj is None:
                return self._run_core(args, kwargs, foreign_key)
            return self._run_backend(key, fn, obj, args, kwargs, foreign_key, strict, record)
        finally:
            opts = _opts.get()
            if opts is not None and opts.trace is not None:
                opts.trace.append(record)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s", record)

    def _run_core(self, args, kwargs, foreign_key):
        if foreign_key is None:
            return self.core(*args, **kwargs)
        owner = get_backend(foreign_key)
        opts = _opts.get() or _Options()
        if opts.fallback == "warn":
            warnings.warn(f"{self.name}: no backend could run on {foreign_key} arrays; "
                          "converting them to NumPy for lamina's core", PluginWarning,
                          stacklevel=4)
        args, kwargs = _convert(args, kwargs, owner.to_numpy, _is_foreign)
        return _convert_result(self.core(*args, **kwargs), owner.asarray)

    def _run_backend(self, key, fn, obj, args, kwargs, foreign_key, strict, record):
        numpy_in = foreign_key is None
        call_args, call_kwargs = args, kwargs
        if numpy_in:
            # The user prioritized or named this backend for NumPy data: convert in and out.
            call_args, call_kwargs = _convert(args, kwargs, obj.asarray,
                                              lambda v: isinstance(v, np.ndarray))
        token = _in_backend.set(True)
        try:
            result = fn(*call_args, **call_kwargs)
        except BackendNotImplemented as exc:
            if strict:
                raise
            record.reasons.append(f"{key}: raised BackendNotImplemented ({exc})")
            _in_backend.reset(token)
            token = None
            key, _, _, foreign_key, _, _ = self._fallback(foreign_key, strict, record.reasons)
            record.backend = key
            return self._run_core(args, kwargs, foreign_key)
        except Exception as exc:
            version = getattr(obj, "__version__", None) or _entry_version(key)
            exc.add_note(f"raised by lamina backend {key!r} (version {version}) "
                         f"running {self.name}")
            raise
        finally:
            if token is not None:
                _in_backend.reset(token)
        if numpy_in:
            result = _convert_result(result, obj.to_numpy)
        return result


def _entry_version(key):
    try:
        return REGISTRY.find_backend_entry(key).version
    except LookupError:
        return "unknown"


def _is_foreign(v):
    return not _is_native(type(v))


def _convert(args, kwargs, fn, want):
    args = tuple(fn(a) if want(a) else a for a in args)
    kwargs = {k: (fn(v) if want(v) else v) for k, v in kwargs.items()}
    return args, kwargs


def _convert_result(result, fn):
    if isinstance(result, tuple):
        converted = tuple(_convert_result(r, fn) for r in result)
        return type(result)(*converted) if hasattr(result, "_fields") else converted
    if result is None or isinstance(result, int | float | bool | str | np.generic):
        return result
    return fn(result)


def dispatch_is_default():
    """True when no ``backend_opts`` block and no ``LAMINA_BACKEND_PRIORITY`` is in effect:
    then every dispatchable operation called on NumPy arrays runs on the core, and an
    internal loop may call the core kernels directly (as the wrapper below would)."""
    return _opts.get() is None and not _ENV_PRIORITY


def dispatchable(name):
    """Declare a public function as the dispatchable operation ``name``.

    The decorated function is the core implementation.  The returned wrapper adds a
    ``backend=`` keyword and costs one ContextVar read and a type check per argument when
    no plugin is involved.
    """

    def decorate(core):
        if name in OPS:
            raise ValueError(f"operation {name!r} is declared twice")
        op = Operation(name, core)
        OPS[name] = op

        @functools.wraps(core)
        def wrapper(*args, backend=None, **kwargs):
            if backend is None and dispatch_is_default():
                for a in args:
                    if _native_types_cache.get(type(a)) is not True:
                        break
                else:
                    for v in kwargs.values():
                        if _native_types_cache.get(type(v)) is not True:
                            break
                    else:
                        return core(*args, **kwargs)
            return op(args, kwargs, backend)

        wrapper.lamina_op = op
        wrapper.__signature__ = _signature_with_backend(core)
        return wrapper

    return decorate


def _signature_with_backend(core):
    import inspect

    sig = inspect.signature(core)
    params = list(sig.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return sig
    params.append(inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default=None))
    return sig.replace(parameters=params)


def explain(op, *args, backend=None, **kwargs):
    """Say which backend would run ``op`` on these arguments, and why (nothing is run).

    Parameters
    ----------
    op : str or callable
        An operation name (``"dot"``) or a public lamina function.
    *args, **kwargs
        The arguments the call would get.

    Returns
    -------
    DispatchRecord
        ``.backend`` is the chosen backend, ``.reasons`` the steps; ``str()`` prints both.

    Examples
    --------
    >>> import numpy as np, lamina
    >>> lamina.explain("dot", np.ones(3), np.ones(3)).backend
    'core'
    """
    if callable(op) and hasattr(op, "lamina_op"):
        operation = op.lamina_op
    elif isinstance(op, str) and op in OPS:
        operation = OPS[op]
    else:
        raise ValueError(f"unknown operation {op!r}; known: {', '.join(sorted(OPS))}")
    key, *_, reasons = operation.select(args, kwargs, backend)
    return DispatchRecord(operation.name, key, reasons)


# Seed the type cache with what the core always takes directly.
for _t in (np.ndarray, float, int, bool, complex, str, list, tuple, type(None), np.float64,
           np.float32, np.float16, np.int64, np.int32, np.bool_, dict, slice):
    _native_types_cache[_t] = True
