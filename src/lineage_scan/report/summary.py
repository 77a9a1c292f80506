"""Coverage and size figures of a scan, shared by the terminal summary and the JSON document."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from lineage_scan.graph import LineageGraph
from lineage_scan.model import STAR, Certainty, EdgeKind, Fragment, Severity
from lineage_scan.parsers.airflow import PARSER as AIRFLOW_PARSER
from lineage_scan.parsers.airflow.fragment import TASK_KIND as AIRFLOW_TASK
from lineage_scan.parsers.dbt.nodes import TASK_KINDS
from lineage_scan.parsers.dbt.parse import RENDER_FAILED

TEMPLATED_TASK_KINDS = frozenset({TASK_KINDS["model"], TASK_KINDS["snapshot"]})

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult


def summarise(result: ScanResult) -> dict:
    """Counts of files, statements, relations, columns and edges, and coverage percentages."""
    graph = result.graph
    files_by_kind = Counter(f.kind for f in result.files)
    failed_files = sorted(
        f.path for f in result.fragments
        if any(d.severity == Severity.ERROR for d in f.diagnostics)
    )
    statements = sum(f.statements for f in result.fragments)
    statements_failed = sum(f.statements_failed for f in result.fragments)
    kinds: Counter[str] = Counter()
    certainties: Counter[str] = Counter()
    direct = direct_resolved = 0
    unresolved_stars = 0
    for source, _, data in graph.column_edges():
        kind: EdgeKind = data["kind"]
        certainty: Certainty = data["certainty"]
        kinds[kind.value] += 1
        certainties[certainty.value] += 1
        if source.column == STAR:
            unresolved_stars += 1
        if kind.is_direct:
            direct += 1
            direct_resolved += certainty == Certainty.RESOLVED
    parsed_stars = sum(1 for f in result.fragments for e in f.edges if e.source.column == STAR)
    relations = graph.relations()
    return {
        "files": {
            "discovered": len(result.files),
            "by_kind": dict(sorted(files_by_kind.items())),
            "analysed": len({f.path for f in result.fragments}),
            "with_errors": len(failed_files),
        },
        "statements": {"total": statements, "failed": statements_failed, "analysed_pct": _pct(statements - statements_failed, statements)},
        "relations": len(relations),
        "columns": sum(len(graph.columns_of(r)) for r in relations),
        "edges": {
            "total": sum(kinds.values()),
            "by_kind": {k.value: kinds[k.value] for k in EdgeKind if kinds[k.value]},
            "by_certainty": {c.value: certainties[c.value] for c in Certainty if certainties[c.value]},
        },
        "coverage": {
            "direct_edges_resolved_pct": _pct(direct_resolved, direct),
            "stars_unresolved_after_build": unresolved_stars,
            "stars_expanded_pct": _pct(max(parsed_stars - unresolved_stars, 0), parsed_stars),
        },
        "diagnostics": dict(sorted(Counter(d.severity.value for d in result.diagnostics).items())),
        "findings": {
            **{level.value: sum(1 for f in result.findings if f.level == level and not f.suppressed) for level in Severity},
            "suppressed": sum(1 for f in result.findings if f.suppressed),
        },
        "dbt": _dbt_coverage(result.fragments, graph),
        "airflow": _airflow(result),
        "tasks": dict(sorted(Counter(t.kind for t in graph.tasks()).items())),
        "ml_models": len(graph.ml_models()),
        "python": _python_summary(result),
    }


def _dbt_coverage(fragments: list[Fragment], graph: LineageGraph) -> dict:
    """SQL dbt models/snapshots rendered and parsed, and how many of their columns are resolved.

    A column is resolved when every direct edge into it is `resolved` (a literal has none).
    """
    models = rendered = parsed = columns = resolved = 0
    for fragment in fragments:
        for task in fragment.tasks:
            if task.kind not in TEMPLATED_TASK_KINDS or dict(task.attributes).get("language") != "sql":
                continue
            models += 1
            if any(d.code == RENDER_FAILED and d.severity == Severity.ERROR for d in fragment.diagnostics):
                continue
            rendered += 1
            parsed += fragment.statements > 0 and fragment.statements_failed == 0
            for relation in task.writes:
                for column in graph.columns_of(relation) or (STAR,):
                    columns += 1
                    resolved += column != STAR and all(
                        data["certainty"] == Certainty.RESOLVED
                        for source, target, data in graph.column_edges_into(relation, column)
                        if data["kind"].is_direct
                    )
    return {
        "models": models,
        "rendered": rendered,
        "parsed": parsed,
        "rendered_pct": _pct(rendered, models),
        "parsed_pct": _pct(parsed, models),
        "columns": columns,
        "columns_resolved": resolved,
        "columns_resolved_pct": _pct(resolved, columns),
    }


def _airflow(result: ScanResult) -> dict:
    """DAGs and tasks found, and how many things the Airflow parser could not resolve (its diagnostics)."""
    tasks = [t for t in result.graph.tasks() if t.kind == AIRFLOW_TASK]
    return {
        "dags": len({dict(t.attributes).get("dag_id") for t in tasks}),
        "tasks": len(tasks),
        "unresolved": sum(1 for d in result.diagnostics if d.parser == AIRFLOW_PARSER),
    }


PYTHON_PARSERS = ("python", "notebook")


def _python_summary(result: ScanResult) -> dict:
    """Python modules and notebooks analysed, and what their analysis could not resolve (by code)."""
    fragments = [f for f in result.fragments if f.parser in PYTHON_PARSERS]
    unresolved = Counter(
        d.code for d in result.diagnostics
        if d.parser in PYTHON_PARSERS and d.severity != Severity.ERROR
    )
    return {
        "modules": sum(1 for f in fragments if f.parser == "python"),
        "notebooks": sum(1 for f in fragments if f.parser == "notebook"),
        "with_lineage": sum(1 for f in fragments if f.edges or f.tasks or f.ml_models),
        "unresolved": dict(sorted(unresolved.items())),
    }


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0
