"""Questions asked of a scanned repository: search, describe, lineage walks, change impact, findings.

Pure functions from a `ScanResult` to small JSON-ready dicts, used by the MCP server. Names are
plain strings: a relation `schema.table`, a column `schema.table.column`, a task id, an ML model
id. Long lists are paginated: a call takes ``limit`` and the opaque ``cursor`` of the previous page
and answers ``items``, ``total`` and ``next_cursor`` (None on the last page).
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Sequence
from enum import Enum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from lineage_scan.graph import FEATURE, TARGET, LineageGraph, column_node, model_node
from lineage_scan.model import DIRECT_KINDS, ColumnRef, Location, MLModelDef, TaskDef
from lineage_scan.report.json import relation_fields
from lineage_scan.report.summary import summarise

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIST_CAP = 50
"""Longest secondary list inside one answer (owners, locations, ...); the total is given beside it."""
NODE_TYPES = ("relation", "column", "task", "ml_model", "owner")


class QueryError(ValueError):
    """A question that cannot be answered as asked (unknown name, bad cursor), with a hint."""


# --------------------------------------------------------------------------------------- pages
def paginate(items: Sequence[Any], limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """One page of ``items``: ``{"items", "total", "next_cursor"}``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    start = 0
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > len(items):
            raise QueryError(f"invalid cursor {cursor!r}: pass the next_cursor of the previous answer")
        start = int(cursor)
    end = start + limit
    return {"items": list(items[start:end]), "total": len(items), "next_cursor": str(end) if end < len(items) else None}


def capped(values: Iterable[Any], cap: int = LIST_CAP) -> list[Any]:
    values = list(values)
    return values if len(values) <= cap else [*values[:cap], f"... {len(values) - cap} more"]


def where(location: Location | None) -> str | None:
    return str(location) if location is not None else None


# --------------------------------------------------------------------------------------- names
def resolve_column(graph: LineageGraph, name: str) -> ColumnRef:
    """`schema.table.column` -> ColumnRef (exact first, then ignoring case), or QueryError with hints."""
    exact = [ColumnRef(rel, col) for rel, col in _splits(name) if column_node(rel, col) in graph.nx]
    if exact:
        return exact[0]
    folded = name.casefold()
    matches = sorted(ColumnRef(n[1], n[2]) for n in graph.nx if n[0] == "column" and f"{n[1]}.{n[2]}".casefold() == folded)
    if matches:
        return matches[0]
    raise QueryError(_unknown("column", name, [f"{n[1]}.{n[2]}" for n in graph.nx if n[0] == "column"]))


def resolve_relation(graph: LineageGraph, name: str) -> str | None:
    if graph.has_relation(name):
        return name
    folded = [r for r in graph.relations() if r.casefold() == name.casefold()]
    return folded[0] if folded else None


def _splits(name: str) -> list[tuple[str, str]]:
    """Every (relation, column) reading of a dotted name, the longest relation first."""
    parts = name.split(".")
    return [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    hints = difflib.get_close_matches(name, sorted(set(known)), n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(hints)}" if hints else "; use search to find names"
    return f"unknown {kind} {name!r}{hint}"


# --------------------------------------------------------------------------------------- search
def search(result: ScanResult, query: str, types: Sequence[str] | None = None,
           limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """Relations, columns, tasks, ML models and owners whose name (or description) matches ``query``.

    Case-insensitive; exact matches first, then prefixes, then substrings, then description matches.
    """
    wanted = set(types or NODE_TYPES)
    if wanted - set(NODE_TYPES):
        raise QueryError(f"unknown type(s) {sorted(wanted - set(NODE_TYPES))}; known: {', '.join(NODE_TYPES)}")
    graph, needle = result.graph, query.strip().casefold()
    hits: list[tuple[int, int, str, dict]] = []

    def consider(kind: str, names: Sequence[str], item: dict, description: str | None = None) -> None:
        rank = _rank(needle, names, description)
        if rank is not None and kind in wanted:
            hits.append((rank, NODE_TYPES.index(kind), names[0], item))

    owners: dict[str, list[str]] = {}
    for name in graph.relations():
        info = graph.relation(name)
        consider("relation", [name, name.rsplit(".", 1)[-1]],
                 {"type": "relation", "name": name, "kind": info.kind.value, "columns": len(info.columns)}, info.description)
        for column in info.columns:
            meta = graph.column_meta(ColumnRef(name, column))
            consider("column", [f"{name}.{column}", column], {"type": "column", "name": f"{name}.{column}"}, meta.description)
        for owner in info.owners:
            owners.setdefault(owner, []).append(name)
    for task in graph.tasks():
        consider("task", [task.id, task.name], {"type": "task", "id": task.id, "kind": task.kind})
    for model in graph.ml_models():
        consider("ml_model", [model.id, model.name], {"type": "ml_model", "id": model.id, "name": model.name})
    for owner, relations in sorted(owners.items()):
        consider("owner", [owner], {"type": "owner", "name": owner, "relations": capped(relations)})
    hits.sort(key=lambda hit: hit[:3])
    return {"query": query, **paginate([hit[3] for hit in hits], limit, cursor)}


def _rank(needle: str, names: Sequence[str], description: str | None) -> int | None:
    folded = [n.casefold() for n in names]
    if not needle or needle in folded:
        return 0
    if any(n.startswith(needle) for n in folded):
        return 1
    if any(needle in n for n in folded):
        return 2
    if description and needle in description.casefold():
        return 3
    return None


# --------------------------------------------------------------------------------------- describe
def describe(result: ScanResult, name: str) -> dict:
    """What the repository says about a relation, column, task or ML model."""
    graph = result.graph
    relation = resolve_relation(graph, name)
    if relation is not None:
        return _describe_relation(graph, relation)
    tasks = {t.id: t for t in graph.tasks()}
    if name in tasks:
        return _describe_task(graph, tasks[name])
    models = {key: m for m in graph.ml_models() for key in (m.id, m.name)}
    if name in models:
        return _describe_model(models[name])
    try:
        return _describe_column(graph, resolve_column(graph, name))
    except QueryError:
        known = [*graph.relations(), *tasks, *models, *(f"{n[1]}.{n[2]}" for n in graph.nx if n[0] == "column")]
        raise QueryError(_unknown("relation, column, task or ML model", name, known)) from None


def _describe_relation(graph: LineageGraph, name: str) -> dict:
    info = graph.relation(name)
    docs = {}
    for column in info.columns:
        meta = graph.column_meta(ColumnRef(name, column))
        doc = _compact({"description": meta.description, "data_type": meta.data_type, "tests": list(meta.tests)})
        if doc:
            docs[column] = doc
    tasks = graph.tasks()
    return _compact({
        **relation_fields(name, info),
        "defined_at": capped(where(loc) for loc in info.locations),
        "columns": capped(info.columns, MAX_LIMIT),
        "column_docs": dict(list(docs.items())[:MAX_LIMIT]),
        "upstream_relations": capped(graph.upstream_relations(name)),
        "downstream_relations": capped(graph.downstream_relations(name)),
        "written_by": capped(t.id for t in tasks if name in t.writes),
        "read_by": capped(t.id for t in tasks if name in t.reads),
        "ml_models": capped(sorted({m.id for m in graph.ml_models() for c in _model_columns(m) if c.table == name})),
    }, keep=("produced", "declared", "owners"))


def _describe_column(graph: LineageGraph, column: ColumnRef) -> dict:
    info = graph.relation(column.table or "?")
    meta = graph.column_meta(column)
    node = column_node(column.table or "?", column.column)
    created_at = sorted({  # where its value is computed: the locations of its direct incoming edges
        d["location"] for u, _, d in graph.nx.in_edges(node, data=True)
        if u[0] == "column" and d.get("location") and d["kind"] in DIRECT_KINDS
    })
    return _compact({
        "type": "column",
        "name": f"{column.table}.{column.column}",
        "relation": column.table,
        "description": meta.description,
        "data_type": meta.data_type,
        "tests": list(meta.tests),
        "tags": list(meta.tags),
        "relation_kind": info.kind.value,
        "relation_description": info.description,
        "owners": list(info.owners),
        "defined_at": capped(where(loc) for loc in created_at or info.locations),
        "direct_sources": sum(1 for u, _ in graph.nx.in_edges(node) if u[0] == "column"),
        "direct_consumers": sum(1 for _, v in graph.nx.out_edges(node) if v[0] == "column"),
        "ml_models": _model_roles(graph, [column]),
    }, keep=("owners", "direct_sources", "direct_consumers"))


def _describe_task(graph: LineageGraph, task: TaskDef) -> dict:
    downstream = [t.id for t in graph.tasks() if task.id in t.upstream]
    return _compact({
        "type": "task", "id": task.id, "name": task.name, "kind": task.kind, "defined_at": where(task.location),
        "reads": capped(task.reads), "writes": capped(task.writes), "upstream_tasks": capped(task.upstream),
        "downstream_tasks": capped(downstream), "attributes": dict(task.attributes),
    })


def _describe_model(model: MLModelDef) -> dict:
    return _compact({
        "type": "ml_model", "id": model.id, "name": model.name, "estimator": model.estimator,
        "defined_at": where(model.location), "features": capped(str(f) for f in model.features),
        "target": str(model.target) if model.target else None, "attributes": dict(model.attributes),
    })


def _compact(data: dict, keep: Sequence[str] = ()) -> dict:
    """Drop empty values (None, "", [], {}) except the keys in ``keep``."""
    return {k: v for k, v in data.items() if k in keep or v not in (None, "", [], {})}


# --------------------------------------------------------------------------------------- lineage
def lineage(result: ScanResult, column: str, direction: str, depth: int | None = None, direct_only: bool = False,
            limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """Columns upstream (``direction="upstream"``) or downstream of a column, nearest first.

    Each item: the column, its ``depth`` (edges away), the kinds of the edges that reach it from the
    previous layer (``via``), where the first such edge is created (``at``), and ``direct``: whether
    a path of direct edges only (values copied or computed, not row selection) reaches it.
    """
    if direction not in ("upstream", "downstream"):
        raise QueryError("direction must be 'upstream' or 'downstream'")
    if depth is not None and depth < 1:
        raise QueryError("depth must be at least 1")
    graph = result.graph
    start = resolve_column(graph, column)
    reached = walk(graph, start, forward=direction == "downstream", direct_only=direct_only, max_depth=depth)
    answer = {
        "column": f"{start.table}.{start.column}",
        "direction": direction,
        "depth": depth,
        "direct_only": direct_only,
        **paginate([item for _, item in reached], limit, cursor),
    }
    if direction == "downstream":
        answer["ml_models"] = _model_roles(graph, [start, *(column for column, _ in reached)])
    return answer


def walk(graph: LineageGraph, start: ColumnRef, forward: bool, direct_only: bool = False,
         max_depth: int | None = None) -> list[tuple[ColumnRef, dict]]:
    """Breadth-first walk over column edges: (column, item) per reached column, by depth then name."""
    direct = _reach(graph, start, forward, True, max_depth)
    if direct_only:
        return _items(direct, direct)
    return _items(_reach(graph, start, forward, False, max_depth), direct)


def _reach(graph: LineageGraph, start: ColumnRef, forward: bool, direct_only: bool,
           max_depth: int | None) -> dict[tuple, tuple[int, set[str], Location | None]]:
    origin = column_node(start.table or "?", start.column)
    if origin not in graph.nx:
        return {}
    reached: dict[tuple, tuple[int, set[str], Location | None]] = {origin: (0, set(), None)}
    queue = deque([origin])
    while queue:
        node = queue.popleft()
        depth = reached[node][0]
        if max_depth is not None and depth >= max_depth:
            continue
        edges = graph.nx.out_edges(node, data=True) if forward else graph.nx.in_edges(node, data=True)
        column_edges = [(u, v, data) for u, v, data in edges if u[0] == "column" and v[0] == "column"]
        for u, v, data in sorted(column_edges, key=_edge_order):
            other = v if forward else u
            if direct_only and data["kind"] not in DIRECT_KINDS:
                continue
            if other not in reached:
                reached[other] = (depth + 1, set(), data.get("location"))
                queue.append(other)
            if reached[other][0] == depth + 1:
                reached[other][1].add(data["kind"].value)
    del reached[origin]
    return reached


def _edge_order(edge: tuple) -> tuple:
    u, v, data = edge
    location = data.get("location")
    return (u, v, data["kind"].value, (location.path, location.start_line, location.start_col) if location else ("", 0, 0))


def _items(reached: dict, direct: dict) -> list[tuple[ColumnRef, dict]]:
    items = [
        (ColumnRef(node[1], node[2]), {"column": f"{node[1]}.{node[2]}", "depth": depth, "via": sorted(kinds),
                                       "at": where(location), "direct": node in direct})
        for node, (depth, kinds, location) in reached.items()
    ]
    return sorted(items, key=lambda pair: (pair[1]["depth"], pair[1]["column"]))


def _model_columns(model: MLModelDef) -> list[ColumnRef]:
    return [*model.features, *([model.target] if model.target else [])]


def _model_roles(graph: LineageGraph, columns: Sequence[ColumnRef]) -> list[dict]:
    """The ML models that take any of ``columns`` as a feature or as the target."""
    wanted = {column_node(c.table or "?", c.column) for c in columns}
    roles: dict[str, dict[str, set[str]]] = {}
    for node in wanted & set(graph.nx):
        for _, model, key in graph.nx.out_edges(node, keys=True):
            if model[0] == "model" and key in (FEATURE, TARGET):
                roles.setdefault(model[1], {FEATURE: set(), TARGET: set()})[key].add(f"{node[1]}.{node[2]}")
    return [
        _compact({"id": model_id, "name": graph.nx.nodes[model_node(model_id)]["name"],
                  "features": capped(sorted(found[FEATURE])), "target": capped(sorted(found[TARGET]))})
        for model_id, found in sorted(roles.items())
    ]


# --------------------------------------------------------------------------------------- impact
def impact(result: ScanResult, column: str, change: str = "modify",
           limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """What a change to a column affects: the code naming it, downstream columns, relations, ML models,
    owners to notify and tasks to re-run. ``change`` is ``modify`` (values change) or ``drop``."""
    if change not in ("modify", "drop"):
        raise QueryError("change must be 'modify' or 'drop'")
    graph = result.graph
    start = resolve_column(graph, column)
    reached = walk(graph, start, forward=True)
    columns = [column for column, _ in reached]
    downstream = [item for _, item in reached]
    relations = sorted({c.table for c in columns if c.table} - {start.table})
    node = column_node(start.table or "?", start.column)
    sites: dict[str, set[int]] = {}
    for _, target, data in graph.nx.out_edges(node, data=True):
        if target[0] == "column" and data.get("location"):
            sites.setdefault(data["location"].path, set()).add(data["location"].start_line)
    models = _model_roles(graph, [start, *columns])
    tasks = sorted({t.id for t in graph.tasks() if set(t.writes) & set(relations)})
    owners = _owners(graph, relations, models, tasks)
    values = sum(item["direct"] for item in downstream)
    return {
        "column": f"{start.table}.{start.column}",
        "change": change,
        "summary": _impact_sentence(change, sites, values, len(downstream) - values, relations, models),
        "referenced_in": capped({"path": path, "lines": sorted(lines)} for path, lines in sorted(sites.items())),
        "relations": capped(
            _compact({"name": r, "owners": list(graph.relation(r).owners),
                      "columns": sum(1 for c in columns if c.table == r)}) for r in relations
        ),
        "ml_models": models,
        "owners": capped(owners),
        "tasks_to_rerun": capped(tasks),
        "downstream": paginate(downstream, limit, cursor),
    }


def _impact_sentence(change: str, sites: dict, values: int, rows: int, relations: list[str], models: list[dict]) -> str:
    where_named = f"{sum(len(lines) for lines in sites.values())} place(s) in {len(sites)} file(s) name this column"
    first = f"{where_named} and will fail" if change == "drop" else where_named
    return (f"{first}; {values} downstream column(s) take their values from it and {rows} more depend on it "
            f"through joins/filters/grouping, across {len(relations)} relation(s); {len(models)} ML model(s) affected.")


def _owners(graph: LineageGraph, relations: list[str], models: list[dict], tasks: list[str]) -> list[str]:
    """Owners of the affected relations, plus `owner`/`owners` attributes of affected models and tasks."""
    found = {owner for r in relations for owner in graph.relation(r).owners}
    attributes = [dict(graph.nx.nodes[model_node(m["id"])]["attributes"]) for m in models]
    attributes += [dict(t.attributes) for t in graph.tasks() if t.id in tasks]
    for attrs in attributes:
        for key in ("owner", "owners"):
            found |= {o.strip() for o in str(attrs.get(key, "")).split(",") if o.strip()}
    return sorted(found)


# --------------------------------------------------------------------------------------- findings
def findings(result: ScanResult, rule: str | None = None, severity: str | None = None, path: str | None = None,
             limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """The scan's findings, filtered by rule (id or slug), severity (level) and path (prefix or glob)."""
    items = [finding_json(f) for f in result.findings]
    if rule:
        items = [i for i in items if rule.casefold() in (str(i["rule"]).casefold(), str(i.get("name", "")).casefold())]
    if severity:
        items = [i for i in items if str(i["level"]).casefold() == severity.casefold()]
    if path:
        items = [i for i in items if _path_matches(i.get("location"), path)]
    items.sort(key=lambda i: (i.get("location") or "", str(i["rule"]), i.get("key") or ""))
    return paginate(items, limit, cursor)


def finding_json(finding: Any) -> dict:
    """A finding as a small dict, read by attribute name (`rule`, `message`, `location`, `related`,
    `path`, `key`, and `level` or `severity`) so any Finding type with those fields works. A related
    location shows as its location, a path step as its column (else its location)."""
    rule = getattr(finding, "rule", None)
    rule_id = getattr(rule, "id", rule)
    level = getattr(finding, "level", None) or getattr(finding, "severity", None)
    return _compact({
        "rule": _plain(rule_id),
        "name": _plain(getattr(rule, "name", None)),
        "level": _plain(level),
        "message": getattr(finding, "message", None),
        "location": _plain(getattr(finding, "location", None)),
        "related": capped(_plain(getattr(r, "location", r)) for r in getattr(finding, "related", None) or ()),
        "path": capped(_plain(getattr(p, "column", None) or getattr(p, "location", p)) for p in getattr(finding, "path", None) or ()),
        "key": getattr(finding, "key", None),
    }, keep=("rule", "level", "message"))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _path_matches(location: str | None, pattern: str) -> bool:
    if not location:
        return False
    file = location.split(":", 1)[0]
    return file.startswith(pattern.rstrip("/")) or fnmatchcase(file, pattern)


# --------------------------------------------------------------------------------------- overview
def overview(result: ScanResult) -> dict:
    """Sizes and coverage of the scan, findings by rule, and how many tasks and ML models it found."""
    graph = result.graph
    by_rule: dict[str, int] = {}
    for finding in result.findings:
        rule = str(finding_json(finding)["rule"])
        by_rule[rule] = by_rule.get(rule, 0) + 1
    summary = summarise(result)
    return {
        "root": result.root.name,
        "dialect": result.config.dialect,
        "files": summary["files"],
        "relations": summary["relations"],
        "columns": summary["columns"],
        "edges": summary["edges"],
        "coverage": summary["coverage"],
        "tasks": len(graph.tasks()),
        "ml_models": len(graph.ml_models()),
        "findings": dict(sorted(by_rule.items())),
        "diagnostics": summary["diagnostics"],
    }

