"""What the interpreter learns from one DAG file: DAGs, task groups, tasks and raw dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_scan.model import Diagnostic, Location
from lineage_scan.parsers.airflow.values import AssetRef, GroupRef, TaskRef


@dataclass
class DagInfo:
    """A DAG: its id, where it is defined and its (evaluated) constructor or decorator arguments."""

    dag_id: str
    location: Location
    kwargs: dict[str, Any]


@dataclass
class GroupInfo:
    """A task group; ``group_id`` is already prefixed by its parents' ids."""

    dag_id: str
    group_id: str
    parent: str | None
    prefix_group_id: bool
    default_args: dict[str, Any]

    def child_id(self, label: str) -> str:
        return f"{self.group_id}.{label}" if self.prefix_group_id else label

    def depth(self, groups: dict[tuple[str, str], GroupInfo]) -> int:
        depth, parent = 0, self.parent
        while parent is not None and depth < 100:
            depth += 1
            parent = groups[(self.dag_id, parent)].parent
        return depth


@dataclass
class TaskInfo:
    """A task as written: operator (class name, `@task...` or `@asset`) and evaluated arguments.

    ``arguments`` holds where each keyword argument is written, to point diagnostics at it;
    ``callable`` is the decorated function of a TaskFlow task or `@asset`.
    """

    dag_id: str
    task_id: str
    operator: str
    qualname: str | None
    location: Location
    kwargs: dict[str, Any]
    arguments: dict[str, Location]
    groups: tuple[str, ...] = ()
    callable: Any = None
    mapped: bool = False

    @property
    def group(self) -> str | None:
        return self.groups[-1] if self.groups else None


Endpoint = TaskRef | GroupRef


@dataclass
class DagFile:
    """Everything one DAG file defines, in definition order."""

    path: str
    dags: dict[str, DagInfo] = field(default_factory=dict)
    groups: dict[tuple[str, str], GroupInfo] = field(default_factory=dict)
    tasks: dict[tuple[str, str], TaskInfo] = field(default_factory=dict)
    dependencies: list[tuple[Endpoint, Endpoint]] = field(default_factory=list)
    assets: dict[str, AssetRef] = field(default_factory=dict)
    """Assets declared with both a name and a uri, by name (to resolve `Asset.ref(name=...)`)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


PARSER = "airflow"
NOT_PYTHON = "LS920"
"""The DAG file does not parse as Python."""
NOT_STATIC = "LS921"
"""A value (task id, SQL, dependency, callable, asset) cannot be worked out without running the file."""
NOT_FOUND = "LS922"
"""A file the DAG names (SQL template, dbt project, Python module) is not in the scanned repository."""
TEMPLATE = "LS923"
"""A Jinja template could not be rendered, or was rendered with placeholders for runtime values."""
STRUCTURE = "LS924"
"""The DAG's structure is off: a task outside any DAG, a duplicate task id, a `@dag` never called."""
