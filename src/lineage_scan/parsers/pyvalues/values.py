"""The value types of static evaluation besides plain constants, and helpers on values.

Constants are plain Python objects (str, int, float, bool, None, list, tuple, dict, `PurePosixPath`).
A string read unchanged from one literal is a `Text`, which knows where it starts. Everything the
evaluator cannot work out is `UNKNOWN`. Nothing here ever calls code from a scanned file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import libcst as cst

if TYPE_CHECKING:
    from lineage_scan.parsers.pyvalues.scope import Scope

MAX_TEXT = 1_000_000
"""Longest string or list built; longer results become UNKNOWN."""
MAX_DEPTH = 20
"""Deepest nesting of containers looked into."""
CONSTANT_TYPES = (str, int, float, bool, type(None))
"""Types of the scalar constants (keys of dicts, operands of operators)."""


class Unknown:
    """A value that cannot be worked out statically (only ever the one instance, UNKNOWN)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Origin:
    """Where the first character of a string literal's content is in a file.

    ``exact`` is True when the literal's source text equals its value (no escapes or line
    continuations), so every character keeps its column; otherwise only lines are trusted.
    """

    path: str
    line: int
    col: int
    exact: bool


class Text(str):
    """A string that came unchanged from one literal of a file, knowing where it starts: an `Origin`,
    or a parser's own record of it (the Python parser's `TextOrigin`, which has the same fields)."""

    origin: Any

    def __new__(cls, value: str, origin: Any) -> Text:
        text = super().__new__(cls, value)
        text.origin = origin
        return text

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        """Pickled as its plain text: where it came from only matters in the process that read it,
        and a table or column name taken from a literal travels in fragments to other processes."""
        return str, (str(self),)


@dataclass(frozen=True)
class Imported:
    """A name bound by an import: its dotted qualified name (``base`` is the folder of a relative import)."""

    qualname: str
    base: str | None = None

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass(eq=False)
class Function:
    """A `def` of the scanned file, with the scope it was defined in."""

    node: cst.FunctionDef
    scope: Scope

    @property
    def name(self) -> str:
        return self.node.name.value


@dataclass(eq=False)
class BoundMethod:
    """A method looked up on a known value, called later."""

    target: Any
    name: str


@dataclass(eq=False)
class FileHandle:
    """`open(path)`: only `.read()` is modelled, reading inside the scanned root."""

    path: str


@dataclass(eq=False)
class Opaque:
    """The result of a call that is not modelled, kept so its arguments can be inspected."""

    qualname: str | None
    args: tuple
    kwargs: dict


def is_constant(value: Any, depth: int = 0) -> bool:
    """True for a constant: a scalar, a path, or a list/tuple/dict made only of constants."""
    if isinstance(value, (*CONSTANT_TYPES, PurePosixPath)):
        return True
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, (list, tuple)):
        return all(is_constant(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(is_constant(item, depth + 1) for item in value.values())
    return False


def as_text(value: Any) -> str | None:
    """The string form of a scalar constant or path (as `str()`/f-strings give it), or None."""
    if isinstance(value, (*CONSTANT_TYPES, PurePosixPath)):
        return str(value)
    return None


def bounded(value: Any) -> Any:
    """The value, or UNKNOWN when it is a string or list too large to keep."""
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_TEXT:
        return UNKNOWN
    return value


def collect(value: Any, kind: type, depth: int = 0) -> list:
    """Every instance of ``kind`` inside a value (lists, tuples, dicts, opaque call arguments)."""
    if isinstance(value, kind):
        return [value]
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in collect(item, kind, depth + 1)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in collect(item, kind, depth + 1)]
    if isinstance(value, Opaque):
        return collect([*value.args, *value.kwargs.values()], kind, depth + 1)
    return []
