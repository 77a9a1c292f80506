"""What an expression of a DAG file is known to be besides the values of `parsers/pyvalues`:
references to tasks, task groups, DAGs and assets, Airflow decorators and what they make of
functions. Nothing here ever calls code from the scanned file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_scan.parsers.pyvalues.values import Function, Imported


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


def is_task_like(value: Any) -> bool:
    """True for what `>>` accepts: tasks, groups, labels and lists of them."""
    if isinstance(value, (TaskRef, GroupRef, EdgeLabel)):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(is_task_like(v) for v in value)
