"""A DAG file's tasks as lineage: one `TaskDef` per task, plus the relations, reads and column edges of
the SQL, transfers and assets the tasks touch.

Task ids are `airflow:<dag_id>.<task_id>`; a task's reads/writes come from its SQL, transfer
arguments, inlets/outlets and (for a DAG's first tasks) the assets the DAG is scheduled on; its
upstream tasks from the DAG's dependencies, `ExternalTaskSensor`s and the dbt models it runs.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from sqlglot.dialects.dialect import Dialect

from lineage_scan.model import Diagnostic, Fragment, Location, RelationDef, RelationKind, RelationUse, Severity, TaskDef
from lineage_scan.parsers.airflow import dbt_tasks, transfers
from lineage_scan.parsers.airflow.dagfile import NOT_FOUND, NOT_STATIC, PARSER, DagFile, DagInfo, TaskInfo
from lineage_scan.parsers.airflow.dependencies import task_upstreams
from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.airflow.sql_tasks import (
    GENERIC,
    SqlReader,
    sql_operator,
    sql_value,
    table_name,
    written_relations,
)
from lineage_scan.parsers.airflow.templates import TemplateContext, is_template
from lineage_scan.parsers.airflow.values import AssetRef, LineageEntity
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.pyvalues.values import Function, Imported, Opaque, collect

TASK_KIND = "airflow_task"
AIRFLOW_TASK_PREFIX = "airflow:"
"""Task ids of Airflow tasks: `airflow:<dag_id>.<task_id>`."""
WAREHOUSE_SCHEMES = {
    "snowflake": "snowflake", "bigquery": "bigquery", "postgres": "postgres", "postgresql": "postgres",
    "redshift": "redshift", "mysql": "mysql", "trino": "trino", "databricks": "databricks", "mssql": "tsql",
}
"""Asset URI schemes that name a warehouse table (`snowflake://account/db/schema/table`)."""


def task_id(dag_id: str, task: str) -> str:
    return f"{AIRFLOW_TASK_PREFIX}{dag_id}.{task}"


@dataclass
class TaskLineage:
    """What one task reads, writes and waits for, and the attributes shown for it."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    upstream: set[str] = field(default_factory=set)
    attributes: dict[str, str] = field(default_factory=dict)


class FragmentBuilder:
    """Turns the interpreted DAG file into a Fragment."""

    def __init__(self, dag_file: DagFile, files: RepoFiles, context: ParseContext, variables: dict[str, Any]):
        self.dag_file = dag_file
        self.files = files
        self.context = context
        self.variables = variables
        self.reader = SqlReader(context, files)
        self.fragment = Fragment(path=dag_file.path, parser=PARSER)
        self.diagnostics: list[Diagnostic] = list(dag_file.diagnostics)
        self.folders: dict[str, list[str]] = {}

    def build(self) -> Fragment:
        upstreams = task_upstreams(self.dag_file)
        lineages: dict[tuple[str, str], TaskLineage] = {}
        for key, task in self.dag_file.tasks.items():
            lineage = lineages[key] = TaskLineage()
            lineage.upstream = {task_id(*up) for up in upstreams[key]}
            self.describe(task, lineage)
        self.scheduled_reads(upstreams, lineages)
        for key, task in self.dag_file.tasks.items():
            lineage = lineages[key]
            self.fragment.tasks.append(TaskDef(
                id=task_id(*key), kind=TASK_KIND, name=task.task_id, location=task.location,
                reads=tuple(sorted(lineage.reads - lineage.writes)), writes=tuple(sorted(lineage.writes)),
                upstream=tuple(sorted(lineage.upstream)), attributes=tuple(sorted(lineage.attributes.items())),
            ))
        self.fragment.diagnostics = sorted(set(self.diagnostics))
        return self.fragment

    # ----------------------------------------------------------------- one task
    def describe(self, task: TaskInfo, lineage: TaskLineage) -> None:
        attributes = lineage.attributes
        attributes.update({"dag_id": task.dag_id, "task_id": task.task_id, "operator": task.operator})
        if task.group is not None:
            attributes["task_group"] = task.group
        if task.mapped:
            attributes["mapped"] = "true"
        for key in ("owner", "trigger_dag_id"):
            if isinstance(task.kwargs.get(key), str):
                attributes[key] = str(task.kwargs[key])
        if self.sql(task, lineage) | self.transfer(task, lineage):
            connections = {k: str(v) for k, v in task.kwargs.items() if k.endswith("conn_id") and isinstance(v, str)}
            attributes.update(connections)
        self.dbt(task, lineage)
        self.python_callable(task, lineage)
        self.assets(task, lineage)
        self.external_task(task, lineage)

    @staticmethod
    def anchor(task: TaskInfo, argument: str) -> Location:
        """Where an argument (`configuration.query.query` -> `configuration`) is written, else the task."""
        return task.arguments.get(argument.split(".")[0], task.location)

    def search_folders(self, dag: DagInfo) -> list[str]:
        """The DAG folder, then each `template_searchpath` entry found in the repository."""
        if dag.dag_id in self.folders:
            return self.folders[dag.dag_id]
        folders = [self.files.dag_dir]
        paths = dag.kwargs.get("template_searchpath")
        for path in paths if isinstance(paths, (list, tuple)) else [paths] if paths is not None else []:
            found = self.files.locate(str(path), want_dir=True) if isinstance(path, (str, PurePosixPath)) else None
            if found is None:
                self.diagnostics.append(Diagnostic(dag.location, PARSER, f"template_searchpath entry {str(path)!r} of "
                                                   f"DAG {dag.dag_id!r} is not a folder of the repository",
                                                   Severity.NOTE, NOT_FOUND))
            elif found not in folders:
                folders.append(found)
        self.folders[dag.dag_id] = folders
        return folders

    def templates(self, task: TaskInfo) -> TemplateContext:
        dag = self.dag_file.dags[task.dag_id]
        macros = dag.kwargs.get("user_defined_macros")
        return TemplateContext(
            params={**static_params(dag.kwargs.get("params")), **static_params(task.kwargs.get("params"))},
            macros={str(k): v if isinstance(v, (str, int, float, bool)) else None
                    for k, v in (macros.items() if isinstance(macros, dict) else ())},
            variables=self.variables,
        )

    def add_sql(self, task: TaskInfo, lineage: TaskLineage, sql: Any, argument: str, dialect: Dialect,
                target: str | None = None, target_kind: RelationKind | None = None) -> None:
        dag = self.dag_file.dags[task.dag_id]
        folders = self.search_folders(dag)
        sources = self.reader.sources(sql, self.anchor(task, argument), folders, self.diagnostics,
                                      f"{argument!r} of task {task.task_id!r}")
        if not sources:
            return
        schema_name = task.kwargs.get("schema") if task.operator.startswith("Snowflake") else None
        result = self.reader.analyse(task, sources, dialect, self.templates(task), folders, self.diagnostics,
                                     target, schema_name if isinstance(schema_name, str) else None)
        script = result.script
        relations = [
            RelationDef(r.name, target_kind, r.location, r.columns, r.declared)
            if target_kind is not None and r.name == target and r.kind == RelationKind.QUERY else r
            for r in script.relations
        ]
        self.fragment.relations.extend(relations)
        self.fragment.reads.extend(script.reads)
        self.fragment.edges.extend(script.edges)
        self.diagnostics.extend(script.diagnostics)
        self.fragment.statements += result.inline_statements
        self.fragment.statements_failed += result.inline_failed
        temporary = {r.name for r in relations if r.kind == RelationKind.TEMPORARY}
        lineage.reads.update(use.source for use in script.reads if use.source not in temporary)
        lineage.writes.update(written_relations(relations))
        if type(dialect) is not Dialect:
            lineage.attributes["sql_dialect"] = type(dialect).__name__.lower()
        if result.files:
            lineage.attributes["sql_files"] = ", ".join(dict.fromkeys(result.files))

    def sql(self, task: TaskInfo, lineage: TaskLineage) -> bool:
        """The lineage of a SQL task's SQL; False when the task runs no SQL."""
        spec = sql_operator(task)
        if spec is None and "sql" in task.kwargs and task.operator not in transfers.TRANSFERS:
            spec = GENERIC  # an operator of the repository's own taking SQL, e.g. a SQLExecuteQueryOperator subclass
        if spec is None:
            return False
        value = sql_value(task, spec)
        if value is None:
            self.diagnostics.append(Diagnostic(task.location, PARSER, f"task {task.task_id!r} ({task.operator}) has no "
                                               f"{spec.field!r} argument that can be read", Severity.NOTE, NOT_STATIC))
            return True
        target = spec.destination(task.kwargs) if spec.destination is not None else None
        dialect = self.reader.dialect(task, spec)
        if target is not None:
            target = table_name(target, dialect, self.context) or target
        self.add_sql(task, lineage, value, spec.field, dialect, target, RelationKind.TABLE if target else None)
        return True

    def transfer(self, task: TaskInfo, lineage: TaskLineage) -> bool:
        """The files and tables a transfer task moves; False when the task is no transfer."""
        spec = transfers.TRANSFERS.get(task.operator)
        if spec is None:
            return False
        move = spec(task.kwargs)
        dialect = Dialect.get_or_raise(move.dialect) if move.dialect else self.reader.dialect(task, GENERIC)
        reads = [self.transfer_relation(ref, dialect) for ref in move.reads]
        writes = [self.transfer_relation(ref, dialect) for ref in move.writes]
        missing = [side for side, found in (("source", reads or move.query is not None),
                                            ("destination", writes or move.reads_only)) if not found]
        if missing:
            self.diagnostics.append(Diagnostic(task.location, PARSER, f"transfer task {task.task_id!r} "
                                               f"({task.operator}): its {' and '.join(missing)} cannot be read "
                                               "statically", Severity.NOTE, NOT_STATIC))
        for name, kind in writes:
            self.fragment.relations.append(RelationDef(name, kind, task.location))
        for source, _ in reads:
            for target, _ in writes:
                self.fragment.reads.append(RelationUse(source, target, task.location))
        lineage.reads.update(name for name, _ in reads)
        lineage.writes.update(name for name, _ in writes)
        if move.query is not None and move.query_field is not None:
            target, kind = writes[0] if writes else (None, None)
            self.add_sql(task, lineage, move.query, move.query_field, dialect, target, kind)
        return True

    def transfer_relation(self, ref: transfers.Ref, dialect: Dialect) -> tuple[str, RelationKind]:
        kind, name = ref
        if kind == transfers.FILE:
            return name, RelationKind.FILE
        return table_name(name, dialect, self.context) or name, RelationKind.TABLE

    def dbt(self, task: TaskInfo, lineage: TaskLineage) -> None:
        cosmos = dbt_tasks.cosmos_run(task.operator, task.kwargs)
        if cosmos is not None:
            runs = [cosmos]
        else:
            command = task.kwargs.get("bash_command")
            if not isinstance(command, str) or "dbt" not in command:
                return
            if is_template(command):
                folders = self.search_folders(self.dag_file.dags[task.dag_id])
                rendered = self.reader.renderer.render(command, self.templates(task), task.dag_id, task.task_id,
                                                       folders)
                command = rendered.text or command
            runs = dbt_tasks.dbt_runs(command)
        if not runs:
            return
        attributes = lineage.attributes
        attributes["dbt_command"] = "; ".join(run.text for run in runs)
        for key, values in (("dbt_select", [s for r in runs for s in r.select]),
                            ("dbt_exclude", [s for r in runs for s in r.exclude]),
                            ("dbt_selector", [r.selector for r in runs if r.selector])):
            if values:
                attributes[key] = " ".join(dict.fromkeys(values))
        models = dbt_tasks.selected_models([s for r in runs for s in r.select])
        project_dir = next((r.project_dir for r in runs if r.project_dir), None)
        project = dbt_tasks.dbt_project(self.files, project_dir)
        if project is not None:
            attributes["dbt_project_dir"], attributes["dbt_project"] = project
            lineage.upstream.update(f"dbt:{project[1]}.{model}" for model in models)
        elif models:
            where = f"at {project_dir!r}" if project_dir else "above the DAG file"
            self.diagnostics.append(Diagnostic(self.anchor(task, "bash_command"), PARSER,
                                               f"no dbt project found {where} for task {task.task_id!r}; models "
                                               f"{', '.join(models)} are not linked", Severity.NOTE, NOT_FOUND))

    def python_callable(self, task: TaskInfo, lineage: TaskLineage) -> None:
        function = task.callable if task.callable is not None else task.kwargs.get("python_callable")
        if function is None:
            return
        if isinstance(function, Function):
            lineage.attributes["python_callable"] = f"python:{self.dag_file.path}:{function.name}"
            return
        if isinstance(function, Imported):
            found = self.files.module(function.qualname, function.base)
            if found is not None:
                lineage.attributes["python_callable"] = f"python:{found[0]}:{found[1]}"
                return
            if function.qualname.split(".")[0] in ("airflow", "builtins"):
                return
            message = f"python callable {function.qualname!r} of task {task.task_id!r} is not in the repository"
            code = NOT_FOUND
        else:
            message = f"python callable of task {task.task_id!r} cannot be resolved statically"
            code = NOT_STATIC
        self.diagnostics.append(Diagnostic(self.anchor(task, "python_callable"), PARSER, message, Severity.NOTE, code))

    def assets(self, task: TaskInfo, lineage: TaskLineage) -> None:
        for argument, is_write in (("inlets", False), ("outlets", True)):
            value = task.kwargs.get(argument)
            for item in [*collect(value, AssetRef), *collect(value, LineageEntity)]:
                name, kind = self.asset_relation(item, task)
                (lineage.writes if is_write else lineage.reads).add(name)
                if is_write:
                    self.fragment.relations.append(RelationDef(name, kind, task.location))

    def asset_relation(self, item: AssetRef | LineageEntity, task: TaskInfo) -> tuple[str, RelationKind]:
        if isinstance(item, LineageEntity):
            if item.is_file:
                return item.name, RelationKind.FILE
            return table_name(item.name, self.context.dialect, self.context) or item.name, RelationKind.TABLE
        uri = item.uri
        if uri is None:
            known = self.dag_file.assets.get(item.name)
            uri = known.uri if known is not None and known.uri else item.name
        name = uri if "://" in uri else f"asset:{uri}"
        table = warehouse_table(uri, self.context)
        if table is not None:
            self.fragment.reads.append(RelationUse(table, name, task.location))
        return name, RelationKind.DATASET

    def external_task(self, task: TaskInfo, lineage: TaskLineage) -> None:
        if task.operator not in ("ExternalTaskSensor", "ExternalTaskMarker"):
            return
        dag_id = task.kwargs.get("external_dag_id")
        if not isinstance(dag_id, str):
            return
        ids = task.kwargs.get("external_task_ids") or task.kwargs.get("external_task_id")
        if task.operator == "ExternalTaskSensor":
            lineage.upstream.update(task_id(dag_id, t) for t in transfers.strings(ids))
        lineage.attributes["external_dag_id"] = dag_id

    # ----------------------------------------------------------------- DAG level
    def scheduled_reads(self, upstreams: dict, lineages: dict[tuple[str, str], TaskLineage]) -> None:
        """Assets a DAG is scheduled on are read by its first tasks (those with no upstream)."""
        for dag in self.dag_file.dags.values():
            schedule = dag.kwargs.get("schedule", dag.kwargs.get("schedule_interval"))
            assets = collect(schedule, AssetRef)
            roots = [key for key in lineages
                     if key[0] == dag.dag_id and not any(up[0] == dag.dag_id for up in upstreams[key])]
            for key in roots:
                task = self.dag_file.tasks[key]
                lineages[key].reads.update(self.asset_relation(asset, task)[0] for asset in assets)
            if isinstance(schedule, str):
                for key, lineage in lineages.items():
                    if key[0] == dag.dag_id:
                        lineage.attributes["schedule"] = str(schedule)


def static_params(value: Any) -> dict[str, Any]:
    """`params={...}` of a DAG or task, with `Param(default)` replaced by its default."""
    if not isinstance(value, dict):
        return {}
    params = {}
    for key, item in value.items():
        if isinstance(item, Opaque) and item.qualname and item.qualname.endswith("Param"):
            item = item.kwargs.get("default", item.args[0] if item.args else None)
        if item is not None and not isinstance(item, Opaque):
            params[str(key)] = item
    return params


def warehouse_table(uri: str, context: ParseContext) -> str | None:
    """`snowflake://account/db/schema/table` -> `schema.table` (the last two path parts), normalised."""
    try:
        parsed = urlparse(uri)
    except ValueError:
        return None
    dialect = WAREHOUSE_SCHEMES.get(parsed.scheme.lower())
    parts = [p for p in parsed.path.split("/") if p]
    if dialect is None or len(parts) < 2:
        return None
    return table_name(posixpath.join(*parts[-2:]).replace("/", "."), Dialect.get_or_raise(dialect), context)
