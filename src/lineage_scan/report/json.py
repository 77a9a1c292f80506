"""The versioned JSON graph document (`--format json`), documented in README.md."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lineage_scan import __version__
from lineage_scan.model import ColumnRef, Diagnostic, Finding, Location
from lineage_scan.report.summary import summarise
from lineage_scan.rules import find_rule

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult
    from lineage_scan.graph import RelationInfo

SCHEMA_VERSION = "1.0"


def render_json(result: ScanResult) -> str:
    """The whole scan as a sorted, deterministic JSON document (no timestamps, repo-relative paths)."""
    return json.dumps(document(result), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def relation_fields(name: str, info: RelationInfo) -> dict:
    """What the JSON document and the explorer both say of a relation."""
    return {
        "type": "relation",
        "name": name,
        "kind": info.kind.value,
        "produced": info.produced,
        "declared": info.declared,
        "description": info.description,
        "owners": list(info.owners),
        "tags": list(info.tags),
        "tests": list(info.tests),
        "attributes": dict(info.attributes),
    }


def document(result: ScanResult) -> dict:
    graph = result.graph
    nodes: list[dict] = []
    for name in graph.relations():
        info = graph.relation(name)
        nodes.append({
            "id": relation_id(name),
            **relation_fields(name, info),
            "columns": list(info.columns),
            "locations": [location_json(loc) for loc in info.locations],
        })
        for column in info.columns:
            meta = graph.column_meta(ColumnRef(name, column))
            nodes.append({
                "id": column_id(name, column),
                "type": "column",
                "relation": name,
                "name": column,
                "description": meta.description,
                "data_type": meta.data_type,
                "tests": list(meta.tests),
                "tags": list(meta.tags),
            })
    for task in graph.tasks():
        nodes.append({
            "id": task_id(task.id),
            "type": "task",
            "name": task.name,
            "kind": task.kind,
            "attributes": dict(task.attributes),
            "location": location_json(task.location),
        })
    for model in graph.ml_models():
        nodes.append({
            "id": ml_model_id(model.id),
            "type": "ml_model",
            "name": model.name,
            "estimator": model.estimator,
            "features": [column_id(c.table, c.column) for c in model.features],
            "target": column_id(model.target.table, model.target.column) if model.target else None,
            "prediction_time": column_id(model.prediction_time.table, model.prediction_time.column) if model.prediction_time else None,
            "keys": [column_id(c.table, c.column) for c in model.keys],
            "attributes": dict(model.attributes),
            "location": location_json(model.location),
        })
    edges: list[dict] = []
    for source, target, data in graph.column_edges():
        edges.append({
            "type": "column",
            "source": column_id(source.table, source.column),
            "target": column_id(target.table, target.column),
            "kind": data["kind"].value,
            "certainty": data["certainty"].value,
            "location": location_json(data["location"]),
            "candidates": list(data["candidates"]),
        })
    for source, target, data in graph.relation_edges():
        edges.append({
            "type": "relation",
            "source": relation_id(source),
            "target": relation_id(target),
            "kind": "reads",
            "location": location_json(data["location"]),
        })
    for task in graph.tasks():
        edges.extend({"type": "task", "source": relation_id(r), "target": task_id(task.id), "kind": "read"} for r in task.reads)
        edges.extend({"type": "task", "source": task_id(task.id), "target": relation_id(w), "kind": "write"} for w in task.writes)
        edges.extend(
            {"type": "task", "source": task_id(u), "target": task_id(task.id), "kind": "depends_on"} for u in task.upstream
        )
    edges.sort(key=lambda e: (e["type"], e["source"], e["target"], e["kind"]))
    return {
        "lineage_scan_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "dialect": result.config.dialect,
        "summary": summarise(result),
        "nodes": nodes,
        "edges": edges,
        "findings": [finding_json(f) for f in result.findings],
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }


def relation_id(name: str) -> str:
    return f"relation:{name}"


def column_id(relation: str | None, column: str) -> str:
    return f"column:{relation}.{column}"


def task_id(task: str) -> str:
    return f"task:{task}"


def ml_model_id(model: str) -> str:
    return f"ml_model:{model}"


def location_json(location: Location | None) -> dict | None:
    if location is None:
        return None
    return {
        "path": location.path,
        "start_line": location.start_line,
        "start_col": location.start_col,
        "end_line": location.end_line,
        "end_col": location.end_col,
    }


def diagnostic_json(diagnostic: Diagnostic) -> dict:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "parser": diagnostic.parser,
        "message": diagnostic.message,
        "location": location_json(diagnostic.location),
    }


def finding_json(finding: Finding) -> dict:
    rule = find_rule(finding.rule)
    return {
        "rule": finding.rule,
        "name": rule.slug if rule else None,
        "level": finding.level.value,
        "key": finding.key,
        "message": finding.message,
        "location": location_json(finding.location),
        "related": [{"message": r.message, "location": location_json(r.location)} for r in finding.related],
        "path": [
            {
                "message": step.message,
                "location": location_json(step.location),
                "column": column_id(step.column.table, step.column.column) if step.column else None,
            }
            for step in finding.path
        ],
        "suppressed": finding.suppressed,
        "suppression": {
            "reason": finding.suppression.reason,
            "location": location_json(finding.suppression.location),
        } if finding.suppression else None,
    }
