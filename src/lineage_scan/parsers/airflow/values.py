"""What an expression of a DAG file is known to be, without running it.

The interpreter (`interpreter.py`) evaluates expressions to plain Python constants (str, int, float,
bool, None, list, tuple, dict, `PurePosixPath`), to `UNKNOWN`, or to one of the small value types
below: references to tasks, task groups, DAGs and assets, imported names, functions of the file and
the results of calls it does not model. Nothing here ever calls code from the scanned file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import libcst as cst

ROOT_MARK = "/__lineage_scan_root__"
"""`__file__` evaluates to ROOT_MARK + "/" + the repo path, so path arithmetic stays plain strings."""

MAX_TEXT = 1_000_000
"""Longest string or list the interpreter builds; longer results become UNKNOWN."""


class Unknown:
    """A value the interpreter cannot work out statically (only ever the one instance, UNKNOWN)."""

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
    """A string that came unchanged from one literal of a file, knowing where it starts."""

    origin: Origin

    def __new__(cls, value: str, origin: Origin) -> Text:
        text = super().__new__(cls, value)
        text.origin = origin
        return text


@dataclass(frozen=True)
class TaskRef:
    """An operator instance (or a TaskFlow call's XComArg when ``xcom``) of a DAG."""

    dag_id: str
    task_id: str
    xcom: bool = False


@dataclass(frozen=True)
class GroupRef:
    dag_id: str
    group_id: str


@dataclass(frozen=True)
class DagRef:
    dag_id: str


@dataclass(frozen=True)
class AssetRef:
    """An Airflow Dataset/Asset. ``uri`` is None for a reference by name (`Asset.ref(name=...)`,
    an `@asset` function's parameters), resolved against the file's assets at the end."""

    uri: str | None
    name: str


@dataclass(frozen=True)
class LineageEntity:
    """An `airflow.lineage.entities` File/Table used as an inlet or outlet."""

    name: str
    is_file: bool


@dataclass(frozen=True)
class EdgeLabel:
    """`a >> Label("why")`: the tasks waiting for the right-hand side of the next `>>`."""

    upstream: Any


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


@dataclass(frozen=True)
class Decorator:
    """An Airflow decorator (`task`, `task.bash`, `dag`, `task_group`, `asset`, ...) with its options."""

    kind: str
    options: dict = field(default_factory=dict, hash=False)


@dataclass(eq=False)
class TaskFlow:
    """A function decorated with `@task` (or a variant): calling it inside a DAG creates a task."""

    function: Function | Imported | Any
    kind: str
    options: dict
    mapped: bool = False

    @property
    def name(self) -> str:
        function = self.function
        return function.name if isinstance(function, (Function, Imported)) else "task"


@dataclass(eq=False)
class Factory:
    """A `@dag` or `@task_group` function: calling it runs its body in a new DAG or group."""

    function: Function
    kind: str
    options: dict


@dataclass(eq=False)
class PartialOperator:
    """`SomeOperator.partial(...)`, waiting for `.expand(...)`."""

    operator: Imported | Any
    kwargs: dict


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
    """The result of a call the interpreter does not model, kept so its arguments can be inspected."""

    qualname: str | None
    args: tuple
    kwargs: dict


class Scope:
    """Variables of a module or a function call, falling back to the enclosing scope."""

    def __init__(self, parent: Scope | None = None, values: dict[str, Any] | None = None):
        self.parent = parent
        self.values: dict[str, Any] = values or {}

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        return UNKNOWN

    def assign(self, name: str, value: Any) -> None:
        self.values[name] = value


def is_task_like(value: Any) -> bool:
    """True for what `>>` accepts: tasks, groups, labels and lists of them."""
    if isinstance(value, (TaskRef, GroupRef, EdgeLabel)):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(is_task_like(v) for v in value)


def as_text(value: Any) -> str | None:
    """The string form of a constant (as `str()`/f-strings give it), or None."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (str, int, float, PurePosixPath)):
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
    if depth > 20:
        return []
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in collect(item, kind, depth + 1)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in collect(item, kind, depth + 1)]
    if isinstance(value, Opaque):
        return collect([*value.args, *value.kwargs.values()], kind, depth + 1)
    return []
