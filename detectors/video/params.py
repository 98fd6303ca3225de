"""Parameters of the video detectors: frozen records built from plain mappings, checked early.

Parameters arrive as JSON-like mappings (settings, the plugin manifest, the ``detect`` CLI). A
misspelt key or an out-of-range value is refused when the detector is built, with the key
named, instead of a detector that silently runs with its default or never fires.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

P = TypeVar("P")

# Per field: (accepts the value, what the error says it must be).
Checks = Mapping[str, tuple[Callable[[Any], bool], str]]


class VideoParamsError(ValueError):
    """A video detector's parameters are unusable; the message names the offending key."""


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_in(low: float, high: float, *, low_open: bool = False) -> Callable[[Any], bool]:
    """Accepts numbers in ``low..high`` (``low`` excluded when ``low_open``)."""

    def accepts(value: Any) -> bool:
        if not is_number(value):
            return False
        return (value > low if low_open else value >= low) and value <= high

    return accepts


def whole_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: (
        isinstance(value, int) and not isinstance(value, bool) and (low <= value <= high)
    )


def check(params: object, checks: Checks) -> None:
    """Raises ``VideoParamsError`` naming the first field ``checks`` refuses."""
    name_of = type(params).__name__
    for name, (accepts, wanted) in checks.items():
        value = getattr(params, name)
        if not accepts(value):
            raise VideoParamsError(f"{name_of}.{name}: must be {wanted} (got {value!r})")


def from_mapping(cls: type[P], values: Mapping[str, Any] | P | None) -> P:
    """``cls`` from ``values`` (a mapping of field names; ``None`` or empty: the defaults).

    An instance of ``cls`` is passed through, so callers may hand either form. JSON lists are
    turned into tuples (and into frozensets for set fields) before the record checks itself.
    """
    if values is None:
        return cls()
    if isinstance(values, cls):
        return values
    if not isinstance(values, Mapping):
        raise VideoParamsError(f"{cls.__name__}: parameters must be a mapping, not {values!r}")
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise VideoParamsError(f"{cls.__name__}: unknown parameter {unknown[0]!r} (known: {known})")
    converted = {name: _converted(fields[name], value) for name, value in values.items()}
    try:
        return cls(**converted)
    except TypeError as exc:
        raise VideoParamsError(f"{cls.__name__}: {exc}") from exc


def _converted(field: dataclasses.Field[Any], value: Any) -> Any:
    if not isinstance(value, list | tuple | set | frozenset):
        return value
    wanted = str(field.type)
    if wanted.startswith("frozenset"):
        return frozenset(value)
    return tuple(value)
