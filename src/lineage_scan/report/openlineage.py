"""OpenLineage export (`--format openlineage`): one COMPLETE RunEvent per job, as JSON Lines.

A job is a unit of code that writes relations: a graph task (dbt model, Airflow task, Python job) or,
where no task accounts for it, the file whose statements write them (a SQL script, a Python module).
Each event lists the job's input and output datasets with schema, documentation and ownership facets,
and each output carries the `columnLineage` facet with our direct and indirect column edges.

The events describe code, not an execution: `eventTime` is fixed (the Unix epoch unless configured)
and `runId` is a uuid5 of the job and that time, so one repository always gives the same bytes.
Built with the `openlineage-python` event model (the optional `openlineage` extra).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_dataset,
    extraction_error_run,
    job_dependencies_run,
    job_type_job,
    ownership_dataset,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.serde import Serde

from lineage_scan import __version__
from lineage_scan.config import Config, ConfigError
from lineage_scan.graph import LineageGraph
from lineage_scan.model import STAR, Certainty, ColumnRef, EdgeKind, Location, RelationKind, Severity, TaskDef

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

EPOCH = "1970-01-01T00:00:00Z"
PRODUCER = f"urn:lineage-scan:{__version__}"
RUN_ID_NAMESPACE = uuid.UUID("5b4d7e0c-3f7a-5c4e-9a57-6c1f0e2b8d41")
"""uuid5 namespace of run ids: runId = uuid5(this, "<job namespace>/<job name>@<eventTime>")."""

TRANSFORMATIONS: dict[EdgeKind, tuple[str, str]] = {
    EdgeKind.IDENTITY: ("DIRECT", "IDENTITY"),
    EdgeKind.RENAME: ("DIRECT", "IDENTITY"),
    EdgeKind.TRANSFORM: ("DIRECT", "TRANSFORMATION"),
    EdgeKind.AGGREGATE: ("DIRECT", "AGGREGATION"),
    EdgeKind.JOIN: ("INDIRECT", "JOIN"),
    EdgeKind.FILTER: ("INDIRECT", "FILTER"),
    EdgeKind.GROUP_BY: ("INDIRECT", "GROUP_BY"),
    EdgeKind.SORT: ("INDIRECT", "SORT"),
    EdgeKind.WINDOW: ("INDIRECT", "WINDOW"),
    EdgeKind.CONDITIONAL: ("INDIRECT", "CONDITIONAL"),
}
"""Our edge kinds as OpenLineage column-lineage transformation (type, subtype)."""

DIALECT_SCHEMES = {
    "athena": "awsathena", "bigquery": "bigquery", "databricks": "databricks", "duckdb": "duckdb",
    "hive": "hive", "mysql": "mysql", "oracle": "oracle", "postgres": "postgres", "presto": "trino",
    "redshift": "redshift", "snowflake": "snowflake", "spark": "hive", "spark2": "hive",
    "teradata": "teradata", "trino": "trino", "tsql": "mssql",
}
"""The OpenLineage naming scheme of each dialect's datasource (namespace `<scheme>://<authority>`)."""

TASK_INTEGRATIONS = {"dbt": ("DBT", None), "airflow": ("AIRFLOW", "TASK"), "python": ("PYTHON", None)}
"""Task id prefix -> (integration, job type); a None job type comes from the task's kind (MODEL, SEED...)."""
FILE_INTEGRATIONS = {".sql": "SQL", ".py": "PYTHON", ".ipynb": "PYTHON"}
SETTINGS_KEYS = ("namespace", "job_namespace", "event_time", "producer", "source_url")


@dataclass(frozen=True)
class OpenLineageSettings:
    """Where the events say they come from (`openlineage:` in `lineage-scan.yml`)."""

    namespace: str
    """Dataset namespace: the warehouse, e.g. `snowflake://myorg-myaccount`, `bigquery`."""
    job_namespace: str
    event_time: str = EPOCH
    producer: str = PRODUCER
    source_url: str | None = None
    """Base URL of the repository's files (`https://github.com/org/repo/blob/<sha>`): adds a
    `sourceCodeLocation` facet to each job."""
    namespace_is_default: bool = False


def settings_from_config(config: Config, root_name: str, event_time: str | None = None) -> OpenLineageSettings:
    """The `openlineage:` section of the config, with defaults from the dialect and the repository.

    ``event_time`` (the `--openlineage-event-time` option) overrides the config. Raises ConfigError.
    """
    section = config.extra.get("openlineage") or {}
    if not isinstance(section, Mapping):
        raise ConfigError("openlineage: expected a mapping")
    unknown = sorted(set(section) - set(SETTINGS_KEYS))
    if unknown:
        raise ConfigError(f"openlineage: unknown setting(s) {', '.join(map(str, unknown))}; known: {', '.join(SETTINGS_KEYS)}")
    for key, value in section.items():
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise ConfigError(f"openlineage: '{key}' must be a non-empty string")
    namespace = section.get("namespace")
    return OpenLineageSettings(
        namespace=namespace or default_namespace(config.dialect),
        job_namespace=section.get("job_namespace") or root_name or "lineage-scan",
        event_time=check_event_time(event_time or section.get("event_time") or EPOCH),
        producer=section.get("producer") or PRODUCER,
        source_url=section.get("source_url"),
        namespace_is_default=not namespace,
    )


def default_namespace(dialect: str | None) -> str:
    """A placeholder namespace in the dialect's naming scheme (`bigquery` needs no authority)."""
    scheme = DIALECT_SCHEMES.get((dialect or "").lower(), (dialect or "sql").lower())
    return scheme if scheme == "bigquery" else f"{scheme}://unknown"


def check_event_time(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise ConfigError(f"openlineage event time {value!r} is not an ISO 8601 date-time") from error
    if parsed.tzinfo is None or "t" not in value.lower():
        raise ConfigError(f"openlineage event time {value!r} needs a date, a time and a zone, e.g. 2024-05-01T12:00:00Z")
    return value


# --------------------------------------------------------------------------------------- jobs
@dataclass
class PlannedJob:
    """A job before it becomes an event: what it reads and writes, and the column edges it creates."""

    name: str
    integration: str
    job_type: str
    path: str | None
    inputs: set[str] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    edges: list[tuple[ColumnRef, ColumnRef, dict]] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    upstream: tuple[str, ...] = ()


def plan_jobs(graph: LineageGraph) -> list[PlannedJob]:
    """One job per task, plus one per file whose writes no task accounts for; sorted by name.

    Each (file, written relation) pair goes to: the tasks defined in that file that write the
    relation; else the tasks anywhere that write it (an Airflow task running a SQL file); else the
    single task defined in that file; else a job named after the file.
    """
    edges, reads, producers = _producers(graph)
    tasks = graph.tasks()
    names = _task_job_names(tasks)
    jobs: dict[str, PlannedJob] = {}
    for task in tasks:
        path = task.location.path if task.location else None
        integration, job_type = _task_integration(task)
        job = jobs.setdefault(names[task.id], PlannedJob(names[task.id], integration, job_type, path))
        job.inputs |= {r for r in task.reads if _is_dataset(graph, r)}
        job.outputs |= {w for w in task.writes if _is_dataset(graph, w)}
        job.upstream = tuple(sorted(names[u] for u in task.upstream if u in names))
        if path:
            job.files.add(path)
    for path, relation in sorted(producers):
        owners = _claimants(tasks, path, relation)
        targets = [jobs[names[t.id]] for t in owners] or [
            jobs.setdefault(path, PlannedJob(path, _file_integration(path), "SCRIPT", path))
        ]
        for job in targets:
            job.outputs.add(relation)
            job.files.add(path)
            job.edges.extend(edges.get((path, relation), ()))
            job.inputs |= reads.get((path, relation), set())
            job.inputs |= {source.table for source, _, _ in edges.get((path, relation), ()) if source.table}
    return sorted(jobs.values(), key=lambda job: job.name)


def _producers(graph: LineageGraph) -> tuple[dict, dict, set[tuple[str, str]]]:
    """Column edges and relation reads by the (file, written relation) that creates them."""
    edges: dict[tuple[str, str], list] = defaultdict(list)
    reads: dict[tuple[str, str], set[str]] = defaultdict(set)
    producers: set[tuple[str, str]] = set()
    for source, target, data in graph.column_edges():
        location: Location | None = data["location"]
        if location is None or not _is_dataset(graph, target.table) or STAR in (source.column, target.column):
            continue
        edges[(location.path, target.table)].append((source, target, data))
    for source, target, data in graph.relation_edges():
        location = data.get("location")
        if location is not None and _is_dataset(graph, target) and _is_dataset(graph, source):
            reads[(location.path, target)].add(source)
    for name in graph.relations():
        if _is_dataset(graph, name):
            producers |= {(location.path, name) for location in graph.relation(name).locations}
    return edges, reads, producers | set(edges) | set(reads)


def _claimants(tasks: list[TaskDef], path: str, relation: str) -> list[TaskDef]:
    here = [t for t in tasks if t.location is not None and t.location.path == path]
    writers = [t for t in tasks if relation in t.writes]
    return [t for t in here if t in writers] or writers or (here if len(here) == 1 else [])


def _task_job_names(tasks: list[TaskDef]) -> dict[str, str]:
    """Task id -> job name: the id without its `dbt:`/`airflow:`/`python:` prefix, unless that clashes."""
    short = {t.id: t.id.split(":", 1)[1] if ":" in t.id else t.id for t in tasks}
    clashes = {name for name in short.values() if list(short.values()).count(name) > 1}
    return {task_id: task_id if name in clashes else name for task_id, name in short.items()}


def _task_integration(task: TaskDef) -> tuple[str, str]:
    prefix = task.id.split(":", 1)[0] if ":" in task.id else ""
    integration, job_type = TASK_INTEGRATIONS.get(prefix, (_job_type(prefix or "task"), None))
    return integration, job_type or _job_type(task.kind)


def _file_integration(path: str) -> str:
    return FILE_INTEGRATIONS.get(PurePosixPath(path).suffix.lower(), "LINEAGE_SCAN")


def _job_type(kind: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", kind.upper()).strip("_") or "TASK"


def _is_dataset(graph: LineageGraph, name: str | None) -> bool:
    return bool(name) and graph.has_relation(name) and graph.relation(name).kind != RelationKind.QUERY


# --------------------------------------------------------------------------------------- events
def render_openlineage(result: ScanResult, settings: OpenLineageSettings) -> str:
    """The scan as OpenLineage RunEvents, one JSON document per line, sorted by job name."""
    return "".join(Serde.to_json(event) + "\n" for event in run_events(result, settings))


def run_events(result: ScanResult, settings: OpenLineageSettings) -> list[RunEvent]:
    graph = result.graph
    jobs = plan_jobs(graph)
    events = []
    for job in jobs:
        events.append(RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=settings.event_time,
            producer=settings.producer,
            run=Run(runId=run_id(settings, job.name), facets=_run_facets(job, result, settings)),
            job=Job(namespace=settings.job_namespace, name=job.name, facets=_job_facets(job, settings)),
            inputs=[
                InputDataset(namespace=settings.namespace, name=name, facets=_dataset_facets(graph, name, settings),
                             inputFacets=None)
                for name in sorted(job.inputs)
            ],
            outputs=[
                OutputDataset(namespace=settings.namespace, name=name, facets={
                    **_dataset_facets(graph, name, settings),
                    **_column_lineage(job, name, settings),
                }, outputFacets=None)
                for name in sorted(job.outputs)
            ],
        ))
    return events


def run_id(settings: OpenLineageSettings, job_name: str) -> str:
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{settings.job_namespace}/{job_name}@{settings.event_time}"))


def _job_facets(job: PlannedJob, settings: OpenLineageSettings) -> dict:
    facets: dict = {"jobType": job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration=job.integration, jobType=job.job_type, producer=settings.producer,
    )}
    if settings.source_url and job.path:
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url=f"{settings.source_url.rstrip('/')}/{job.path}", path=job.path, producer=settings.producer,
        )
    return facets


def _run_facets(job: PlannedJob, result: ScanResult, settings: OpenLineageSettings) -> dict:
    facets: dict = {}
    if job.upstream:
        facets["jobDependencies"] = job_dependencies_run.JobDependenciesRunFacet(
            upstream=[
                job_dependencies_run.JobDependency(
                    job=job_dependencies_run.JobIdentifier(namespace=settings.job_namespace, name=name),
                    run=job_dependencies_run.RunIdentifier(runId=run_id(settings, name)),
                )
                for name in job.upstream
            ],
            producer=settings.producer,
        )
    diagnostics = [d for d in result.diagnostics if d.location.path in job.files]
    if diagnostics:
        total = failed = 0
        for path in job.files:  # a file's statements are its tasks; a file without statements is one task
            statements = sum(f.statements for f in result.fragments if f.path == path)
            total += statements or 1
            failed += sum(f.statements_failed for f in result.fragments if f.path == path) if statements else any(
                d.location.path == path and d.severity == Severity.ERROR for d in diagnostics)
        facets["extractionError"] = extraction_error_run.ExtractionErrorRunFacet(
            totalTasks=total,
            failedTasks=failed,
            errors=[
                extraction_error_run.Error(errorMessage=f"{d.code} {d.severity.value}: {d.message}", task=str(d.location))
                for d in diagnostics
            ],
            producer=settings.producer,
        )
    return facets


def _dataset_facets(graph: LineageGraph, name: str, settings: OpenLineageSettings) -> dict:
    """Schema (when the repository knows the relation's columns), description and owners."""
    info = graph.relation(name)
    facets: dict = {}
    columns = [c for c in info.columns if c != STAR]
    if (info.produced or info.declared) and columns:
        fields = []
        for position, column in enumerate(columns, start=1):
            meta = graph.column_meta(ColumnRef(name, column))
            fields.append(schema_dataset.SchemaDatasetFacetFields(
                name=column, type=meta.data_type, description=meta.description, ordinal_position=position, fields=None,
            ))
        facets["schema"] = schema_dataset.SchemaDatasetFacet(fields=fields, producer=settings.producer)
    if info.description:
        facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=info.description, producer=settings.producer,
        )
    if info.owners:
        facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(
            owners=[ownership_dataset.Owner(name=owner) for owner in info.owners], producer=settings.producer,
        )
    return facets


def _column_lineage(job: PlannedJob, relation: str, settings: OpenLineageSettings) -> dict:
    """The `columnLineage` facet of one output: every target column with its input fields."""
    by_target: dict[str, dict[ColumnRef, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for source, target, data in job.edges:
        if target.table == relation:
            by_target[target.column][source].append(data)
    if not by_target:
        return {}
    fields = {
        column: column_lineage_dataset.Fields(inputFields=[
            column_lineage_dataset.InputField(
                namespace=settings.namespace, name=source.table, field=source.column,
                transformations=_transformations(sources[source]),
            )
            for source in sorted(sources)
        ])
        for column, sources in sorted(by_target.items())
    }
    return {"columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
        fields=fields, dataset=None, producer=settings.producer,
    )}


def _transformations(edges: Iterable[dict]) -> list[column_lineage_dataset.Transformation]:
    """One transformation per edge kind, masking false (masking functions are not detected).

    The description says what the subtype cannot: a rename, a source that is not certain.
    """
    transformations = []
    for data in sorted(edges, key=lambda d: list(TRANSFORMATIONS).index(d["kind"])):
        kind, certainty = data["kind"], data["certainty"]
        notes = [kind.value] if kind == EdgeKind.RENAME else []
        if certainty != Certainty.RESOLVED:
            candidates = data.get("candidates")
            notes.append(f"{certainty.value}: one of {', '.join(candidates)}" if candidates else certainty.value)
        description = "; ".join(notes) or None
        type_, subtype = TRANSFORMATIONS[kind]
        transformations.append(column_lineage_dataset.Transformation(
            type=type_, subtype=subtype, description=description, masking=False,
        ))
    return transformations
