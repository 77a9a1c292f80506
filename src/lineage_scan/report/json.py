"""The versioned JSON graph document (`--format json`), documented in README.md."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lineage_scan import __version__
from lineage_scan.model import Diagnostic, Location
from lineage_scan.report.summary import summarise

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

SCHEMA_VERSION = "1.0"


def render_json(result: ScanResult) -> str:
    """The whole scan as a sorted, deterministic JSON document (no timestamps, repo-relative paths)."""
    return json.dumps(document(result), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def document(result: ScanResult) -> dict:
    graph = result.graph
    nodes: list[dict] = []
    for name in graph.relations():
        info = graph.relation(name)
        nodes.append({
            "id": relation_id(name),
            "type": "relation",
            "name": name,
            "kind": info.kind.value,
            "produced": info.produced,
            "declared": info.declared,
            "columns": list(info.columns),
            "locations": [location_json(loc) for loc in info.locations],
        })
        nodes.extend(
            {"id": column_id(name, column), "type": "column", "relation": name, "name": column}
            for column in info.columns
        )
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
    edges.sort(key=lambda e: (e["type"], e["source"], e["target"], e["kind"]))
    return {
        "lineage_scan_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "dialect": result.config.dialect,
        "summary": summarise(result),
        "nodes": nodes,
        "edges": edges,
        "findings": [],
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }


def relation_id(name: str) -> str:
    return f"relation:{name}"


def column_id(relation: str | None, column: str) -> str:
    return f"column:{relation}.{column}"


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
