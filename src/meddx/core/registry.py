"""A name -> factory registry with helpful errors (the timm pattern, with close matches)."""

from __future__ import annotations

import difflib
import fnmatch
import inspect
import numbers
import operator
from typing import Any, Callable, Generic, TypeVar

from meddx.core.errors import ModelError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories; ``create`` validates the name and the keyword arguments."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._info: dict[str, dict[str, Any]] = {}

    def register(self, name: str, **info: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``fn`` under ``name``; ``info`` holds metadata (e.g. dims)."""

        def deco(fn: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = fn
            self._info[name] = dict(info)
            return fn

        return deco

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching a shell-style ``pattern``, sorted."""
        return sorted(n for n in self._factories if fnmatch.fnmatch(n, pattern))

    def names_where(self, **info: Any) -> list[str]:
        """Registered names whose metadata has every ``key=value`` of ``info``, sorted."""
        return sorted(n for n, meta in self._info.items() if all(meta.get(k) == v for k, v in info.items()))

    def info(self, name: str) -> dict[str, Any]:
        """Metadata registered with ``name``."""
        self._check_name(name)
        return dict(self._info[name])

    def check_name(self, name: str, among: list[str] | None = None, what: str | None = None) -> None:
        """Raise :class:`ModelError` when ``name`` is not registered, suggesting and listing only
        ``among`` (default: every name), so that a typo for a text source is not answered with the
        image and segmentation names too; ``what`` names them (``"text model"``)."""
        self._check_name(name, among, what)

    def create(self, name: str, **kwargs: Any) -> T:
        """Build ``name`` with ``kwargs``; ``None`` values are dropped (use the default)."""
        self._check_name(name)
        fn = self._factories[name]
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        params = inspect.signature(fn).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            unknown = sorted(set(kwargs) - set(params))
            if unknown:
                valid = ", ".join(sorted(params)) or "(none)"
                raise ModelError(
                    f"{self.kind} {name!r} got unknown argument(s) {', '.join(unknown)}; "
                    f"valid arguments: {valid}"
                )
        for key, value in kwargs.items():
            if key in params:
                _check_scalar(self.kind, name, key, params[key].annotation, value)
        try:
            return fn(**kwargs)
        except (TypeError, ValueError, RuntimeError, IndexError, OverflowError) as exc:
            # A value the factory or its library refuses (a negative width, a float where a list of
            # widths goes): config.json, plan.json and YAML model_args reach here, so one line naming
            # the model, its arguments and the library's reason, not a traceback from deep in torch.
            given = ", ".join(f"{k}={_short(v)}" for k, v in sorted(kwargs.items())) or "no arguments"
            reason = " ".join(str(exc).split())[:200]
            raise ModelError(f"{self.kind} {name!r} cannot be built with {given} ({type(exc).__name__}: {reason}); "
                             "expected valid values for its arguments (model_args in the config or plan.json)") from exc

    def _check_name(self, name: str, among: list[str] | None = None, what: str | None = None) -> None:
        if name in self._factories:
            return
        valid = sorted(among) if among is not None else self.names()
        close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ModelError(f"unknown {what or self.kind} {name!r}.{hint} Valid names: {', '.join(valid) or '(none)'}")


_SCALARS = {"int": "an integer", "float": "a number", "bool": "true or false"}


def _check_scalar(kind: str, name: str, key: str, annotation: Any, value: Any) -> None:
    """Refuse ``value`` for a parameter annotated ``int``, ``float`` or ``bool`` (optionally ``| None``)
    when it is not one, naming the argument: ``hidden_size: 1.5`` in a config's ``model_args`` was a
    ``TypeError`` traceback from torch. NumPy integers count as integers; a bool is not a number."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    parts = {p.strip() for p in text.split("|")} - {"None"}
    if len(parts) != 1 or (wanted := parts.pop()) not in _SCALARS:
        return
    if wanted == "bool":
        ok = type(value).__name__ in ("bool", "bool_")  # NumPy's too
    elif isinstance(value, bool):
        ok = False
    elif wanted == "int":
        try:
            operator.index(value)
            ok = True
        except TypeError:
            ok = False
    else:
        ok = isinstance(value, numbers.Real)
    if not ok:
        raise ModelError(f"{kind} {name!r}: {key} must be {_SCALARS[wanted]}; got {value!r}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
