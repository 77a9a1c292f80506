"""Helpers shared by the Airflow parser tests: parse one DAG file of a small repository."""

from __future__ import annotations

from pathlib import Path

from sqlglot.dialects.dialect import Dialect

from lineage_scan.config import config_from_mapping
from lineage_scan.model import Fragment, TaskDef
from lineage_scan.parsers.airflow import parse_airflow_file
from lineage_scan.parsers.context import ParseContext
from lineage_scan.sql.schema import SchemaRegistry

DAG = "dags/dag.py"


def parse(root: Path, dag: str = DAG, config: dict | None = None) -> Fragment:
    """The Fragment of ``dag`` (a repo path) in the repository at ``root``."""
    settings = config_from_mapping(config or {})
    context = ParseContext(Dialect.get_or_raise(settings.dialect), SchemaRegistry(), settings)
    return parse_airflow_file(root / dag, dag, context)


def tasks(fragment: Fragment) -> dict[str, TaskDef]:
    return {task.id: task for task in fragment.tasks}


def attributes(fragment: Fragment, task_id: str) -> dict[str, str]:
    return dict(tasks(fragment)[task_id].attributes)


def dependencies(fragment: Fragment) -> set[tuple[str, str]]:
    """(upstream, downstream) task ids, without the `airflow:<dag>.` prefix when both are in one DAG."""
    pairs = set()
    for task in fragment.tasks:
        for upstream in task.upstream:
            prefix = task.id[: task.id.index(".") + 1]
            pairs.add((upstream.removeprefix(prefix), task.id.removeprefix(prefix)))
    return pairs


def edges(fragment: Fragment) -> set[str]:
    return {f"{e.source} -> {e.target} : {e.kind.value}" for e in fragment.edges}


def codes(fragment: Fragment) -> list[str]:
    return sorted(d.code for d in fragment.diagnostics)
