"""`LineageGraph`: relations and columns as nodes of a networkx MultiDiGraph, with typed queries.

Node keys are tuples, so relation and column names can never collide:
``("relation", name)`` and ``("column", relation, column)``. Column-to-column edges are keyed by
their kind (one edge per source, target and kind); relation-to-relation edges (``"reads"``) record
that a relation is computed from another even where no column edge says so (an INSERT ... VALUES,
an unexpandable star).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from lineage_scan.model import DIRECT_KINDS, Certainty, ColumnEdge, ColumnRef, Location, RelationKind

RelationNode = tuple[str, str]
ColumnNode = tuple[str, str, str]
RELATION_DEPENDENCY = "reads"


def relation_node(name: str) -> RelationNode:
    return ("relation", name)


def column_node(relation: str, column: str) -> ColumnNode:
    return ("column", relation, column)


@dataclass(frozen=True)
class RelationInfo:
    """What the graph knows of a relation."""

    name: str
    kind: RelationKind
    columns: tuple[str, ...]
    declared: bool
    locations: tuple[Location, ...]
    produced: bool
    """True when some file in the repository writes or declares it."""


class LineageGraph:
    """The merged, cross-file lineage of a repository."""

    def __init__(self) -> None:
        self.nx = nx.MultiDiGraph()

    # ----------------------------------------------------------------- building
    def add_relation(
        self,
        name: str,
        kind: RelationKind = RelationKind.EXTERNAL,
        location: Location | None = None,
        produced: bool = False,
        declared: bool = False,
    ) -> None:
        node = relation_node(name)
        if node not in self.nx:
            self.nx.add_node(node, kind=kind, columns=[], locations=[], produced=False, declared=False)
        data = self.nx.nodes[node]
        if produced and (not data["produced"] or data["kind"] == RelationKind.EXTERNAL):
            data["kind"] = kind
        data["produced"] = data["produced"] or produced
        data["declared"] = data["declared"] or declared
        if location is not None and location not in data["locations"]:
            data["locations"].append(location)

    def add_column(self, relation: str, column: str) -> None:
        node = column_node(relation, column)
        if node in self.nx:
            return
        self.add_relation(relation)
        self.nx.add_node(node)
        self.nx.nodes[relation_node(relation)]["columns"].append(column)

    def add_edge(self, edge: ColumnEdge) -> None:
        """Add a column edge; an ambiguous source is linked from each candidate table."""
        sources = [edge.source] if edge.source.table else [ColumnRef(t, edge.source.column) for t in edge.candidates]
        for source in sources:
            assert source.table is not None
            self.add_column(source.table, source.column)
            self.add_column(edge.target.table or "?", edge.target.column)
            key = edge.kind.value
            u, v = column_node(source.table, source.column), column_node(edge.target.table or "?", edge.target.column)
            existing = self.nx.get_edge_data(u, v, key)
            if existing is None or Certainty(existing["certainty"]).rank > edge.certainty.rank:
                self.nx.add_edge(u, v, key=key, kind=edge.kind, certainty=edge.certainty, location=edge.location,
                                 candidates=edge.candidates)
            self.add_dependency(source.table, edge.target.table or "?", edge.location)

    def add_dependency(self, source: str, target: str, location: Location | None) -> None:
        self.add_relation(source)
        self.add_relation(target)
        u, v = relation_node(source), relation_node(target)
        if not self.nx.has_edge(u, v, RELATION_DEPENDENCY):
            self.nx.add_edge(u, v, key=RELATION_DEPENDENCY, location=location)

    # ----------------------------------------------------------------- relations and columns
    def relations(self) -> list[str]:
        return sorted(node[1] for node in self.nx if node[0] == "relation")

    def relation(self, name: str) -> RelationInfo:
        data = self.nx.nodes[relation_node(name)]
        return RelationInfo(
            name=name,
            kind=data["kind"],
            columns=tuple(data["columns"]),
            declared=data["declared"],
            locations=tuple(sorted(data["locations"])),
            produced=data["produced"],
        )

    def has_relation(self, name: str) -> bool:
        return relation_node(name) in self.nx

    def columns_of(self, relation: str) -> tuple[str, ...]:
        return tuple(self.nx.nodes[relation_node(relation)]["columns"]) if self.has_relation(relation) else ()

    def set_columns(self, relation: str, columns: tuple[str, ...]) -> None:
        """Declare a relation's column order (declared columns first, then any others seen)."""
        self.add_relation(relation)
        for column in columns:
            self.add_column(relation, column)
        data = self.nx.nodes[relation_node(relation)]
        data["columns"] = list(dict.fromkeys([*columns, *data["columns"]]))

    def column_edges(self) -> Iterator[tuple[ColumnRef, ColumnRef, dict]]:
        for u, v, data in self.nx.edges(data=True):
            if u[0] == "column":
                yield ColumnRef(u[1], u[2]), ColumnRef(v[1], v[2]), data

    def relation_edges(self) -> Iterator[tuple[str, str, dict]]:
        for u, v, key, data in self.nx.edges(keys=True, data=True):
            if key == RELATION_DEPENDENCY:
                yield u[1], v[1], data

    def upstream_relations(self, relation: str) -> list[str]:
        return sorted(u[1] for u, _, key in self.nx.in_edges(relation_node(relation), keys=True) if key == RELATION_DEPENDENCY)

    def downstream_relations(self, relation: str) -> list[str]:
        return sorted(v[1] for _, v, key in self.nx.out_edges(relation_node(relation), keys=True) if key == RELATION_DEPENDENCY)

    # ----------------------------------------------------------------- lineage queries
    def upstream(self, column: ColumnRef, direct_only: bool = False, max_depth: int | None = None) -> list[ColumnRef]:
        """Every column the given column is computed from (transitively), sorted."""
        return self._walk(column, forward=False, direct_only=direct_only, max_depth=max_depth)

    def downstream(self, column: ColumnRef, direct_only: bool = False, max_depth: int | None = None) -> list[ColumnRef]:
        """Every column computed from the given column (transitively), sorted."""
        return self._walk(column, forward=True, direct_only=direct_only, max_depth=max_depth)

    def _walk(self, column: ColumnRef, forward: bool, direct_only: bool, max_depth: int | None) -> list[ColumnRef]:
        start = column_node(column.table or "?", column.column)
        if start not in self.nx:
            return []
        seen = {start}
        queue = deque([(start, 0)])
        while queue:
            node, depth = queue.popleft()
            if max_depth is not None and depth >= max_depth:
                continue
            for neighbour in self._column_neighbours(node, forward, direct_only):
                if neighbour not in seen:
                    seen.add(neighbour)
                    queue.append((neighbour, depth + 1))
        seen.discard(start)
        return sorted(ColumnRef(n[1], n[2]) for n in seen)

    def _column_neighbours(self, node: ColumnNode, forward: bool, direct_only: bool) -> Iterator[ColumnNode]:
        edges = self.nx.out_edges(node, data=True) if forward else self.nx.in_edges(node, data=True)
        for u, v, data in edges:
            if direct_only and data["kind"] not in DIRECT_KINDS:
                continue
            yield v if forward else u

    def paths(self, source: ColumnRef, target: ColumnRef, direct_only: bool = False, limit: int = 100) -> list[list[ColumnRef]]:
        """Simple paths of column edges from ``source`` to ``target`` (at most ``limit``), shortest first."""
        view = self._column_view(direct_only)
        u, v = column_node(source.table or "?", source.column), column_node(target.table or "?", target.column)
        if u not in view or v not in view or not nx.has_path(view, u, v):
            return []
        found: list[list[ColumnRef]] = []
        for path in nx.shortest_simple_paths(nx.DiGraph(view), u, v):
            found.append([ColumnRef(n[1], n[2]) for n in path])
            if len(found) >= limit:
                break
        return found

    def neighbourhood(self, column: ColumnRef, hops: int = 1, direct_only: bool = False) -> list[ColumnRef]:
        """Columns within ``hops`` edges upstream or downstream, the column itself included."""
        up = self.upstream(column, direct_only, hops)
        down = self.downstream(column, direct_only, hops)
        node = column_node(column.table or "?", column.column)
        own = [column] if node in self.nx else []
        return sorted({*up, *down, *own})

    def _column_view(self, direct_only: bool) -> nx.MultiDiGraph:
        def keep_edge(u, v, key) -> bool:
            if u[0] != "column":
                return False
            return not direct_only or self.nx.edges[u, v, key]["kind"] in DIRECT_KINDS

        return nx.subgraph_view(self.nx, filter_node=lambda n: n[0] == "column", filter_edge=keep_edge)
