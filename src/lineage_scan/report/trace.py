"""`lineage-scan trace`: a column's or relation's upstream or downstream as a tree, text or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from lineage_scan.graph import LineageGraph
from lineage_scan.model import ColumnRef

Neighbours = Callable[[Hashable], list[tuple[Hashable, str]]]


@dataclass
class TraceNode:
    label: str
    kind: str | None = None
    children: list[TraceNode] = field(default_factory=list)
    repeated: bool = False
    """The node was already expanded elsewhere in the tree (a shared or cyclic path)."""


def trace_column(graph: LineageGraph, column: ColumnRef, upstream: bool, depth: int, direct_only: bool) -> TraceNode:
    def neighbours(col: Hashable) -> list[tuple[Hashable, str]]:
        pairs = graph.inputs(col) if upstream else graph.outputs(col)  # type: ignore[arg-type]
        return [(other, kind.value) for other, kind in pairs if kind.is_direct or not direct_only]

    return _tree(column, neighbours, depth)


def trace_relation(graph: LineageGraph, relation: str, upstream: bool, depth: int) -> TraceNode:
    def neighbours(name: Hashable) -> list[tuple[Hashable, str]]:
        names = graph.upstream_relations(name) if upstream else graph.downstream_relations(name)  # type: ignore[arg-type]
        return [(other, "reads") for other in names]

    return _tree(relation, neighbours, depth)


def _tree(start: Hashable, neighbours: Neighbours, depth: int) -> TraceNode:
    """Breadth-first, each node expanded once, at most ``depth`` levels."""
    root = TraceNode(str(start))
    expanded = {start}
    frontier = [(root, start, 0)]
    while frontier:
        node, key, level = frontier.pop(0)
        if level >= depth:
            continue
        for other, kind in neighbours(key):
            child = TraceNode(str(other), kind, repeated=other in expanded)
            node.children.append(child)
            if not child.repeated:
                expanded.add(other)
                frontier.append((child, other, level + 1))
    return root


def render_trace_text(root: TraceNode) -> str:
    lines = [root.label]

    def walk(node: TraceNode, prefix: str) -> None:
        for index, child in enumerate(node.children):
            last = index == len(node.children) - 1
            note = " (repeated)" if child.repeated else ""
            lines.append(f"{prefix}{'└── ' if last else '├── '}{child.label}  [{child.kind}]{note}")
            walk(child, prefix + ("    " if last else "│   "))

    walk(root, "")
    return "\n".join(lines) + "\n"


def render_trace_json(root: TraceNode, upstream: bool) -> str:
    def node_json(node: TraceNode) -> dict:
        data: dict = {"node": node.label}
        if node.kind:
            data["kind"] = node.kind
        if node.repeated:
            data["repeated"] = True
        if node.children:
            data["children"] = [node_json(c) for c in node.children]
        return data

    return json.dumps({"direction": "upstream" if upstream else "downstream", "tree": node_json(root)}, indent=2) + "\n"
