"""The Python analysis' values seen as the plain constants of `parsers/pyvalues`, and back.

`Const` becomes its value (a string keeps its origin as a `Text`), `Seq` a tuple, `MapValue` a dict
(when its keys are constants), `PathValue` a `PurePosixPath`; other values (frames, columns,
unknowns) pass through unchanged, as items the shared functions do not compute with.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from lineage_scan.parsers.python.values import UNKNOWN, Const, MapValue, PathValue, Seq
from lineage_scan.parsers.pyvalues import values as static


def to_static(value: object) -> object:
    """``value`` as a plain constant where it is one (containers converted item by item)."""
    if isinstance(value, Const):
        text = value.value
        return static.Text(text, value.origin) if isinstance(text, str) and value.origin is not None else text
    if isinstance(value, Seq):
        return tuple(to_static(item) for item in value.items)
    if isinstance(value, MapValue):
        if not all(isinstance(key, Const) for key, _ in value.items):
            return value
        return {key.value: to_static(item) for key, item in value.items}
    if isinstance(value, PathValue):
        return PurePosixPath(value.path)
    return value


def shown(value: object) -> object:
    """What a value shows in an f-string or `str.format`: a str, int or float constant (anything else,
    `None` included, stays a `{hole}` in the text)."""
    if isinstance(value, Const) and isinstance(value.value, str | int | float):
        return value.value
    return static.UNKNOWN


def from_static(value: object, origin: object = None) -> object:
    """A result of the shared functions as a value of the analysis (``origin`` for a string result)."""
    if value is static.UNKNOWN:
        return UNKNOWN
    if isinstance(value, static.Text):
        return Const(str(value), value.origin)
    if isinstance(value, static.CONSTANT_TYPES):
        return Const(value, origin if isinstance(value, str) else None)
    if isinstance(value, list | tuple):
        return Seq(tuple(from_static(item) for item in value))
    if isinstance(value, dict):
        return MapValue(tuple((from_static(key), from_static(item)) for key, item in value.items()))
    if isinstance(value, PurePosixPath):
        return PathValue(str(value))
    return value
