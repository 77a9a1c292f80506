"""Lineage walks the rules share: closures over chosen edge kinds, and paths with their locations.

A walk follows only edges whose source is known (`resolved` or `inferred`): an `ambiguous` or
`unresolved` edge is a guess, and a finding must not rest on a guess. Star columns are never
walked through.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import NamedTuple

from lineage_scan.graph import LineageGraph
from lineage_scan.model import STAR, Certainty, ColumnRef, EdgeKind, Location, PathStep

NAME_KINDS = frozenset({EdgeKind.IDENTITY, EdgeKind.RENAME})
"""The value itself under another name."""
ROW_KINDS = frozenset({EdgeKind.IDENTITY, EdgeKind.RENAME, EdgeKind.TRANSFORM, EdgeKind.CONDITIONAL})
"""Row-level derivations: the target's value is a function of the source's value in the same row."""
VALUE_KINDS = ROW_KINDS | {EdgeKind.AGGREGATE}
"""Every edge that carries or decides a value (not the ones that only pick or order rows)."""
SURE = frozenset({Certainty.RESOLVED, Certainty.INFERRED})


class Hop(NamedTuple):
    """How a walk reached a column: from ``via`` (one step nearer the start) by an edge of ``kind``.

    (A named tuple: walks create one per column reached, and it is cheaper than a frozen dataclass.)
    """

    via: ColumnRef
    kind: EdgeKind
    location: Location | None
    depth: int


Walk = dict[ColumnRef, Hop | None]
"""Every column a walk reached (the start maps to None), with the hop that reached it first."""


def walk(
    graph: LineageGraph,
    starts: Iterable[ColumnRef],
    kinds: frozenset[EdgeKind],
    upstream: bool = True,
    stop: frozenset[ColumnRef] | set[ColumnRef] = frozenset(),
    edges_of: Callable[[ColumnRef], list[tuple[ColumnRef, EdgeKind, Certainty, Location | None]]] | None = None,
) -> Walk:
    """Breadth-first closure from ``starts`` over edges of ``kinds`` (shortest hops first).

    Columns in ``stop`` are reached but not walked through. ``edges_of`` gives a column's edges in
    the walk's direction (default: `LineageGraph.edges_into` / `edges_out_of`); a rule walking from
    many columns passes a memoized one.
    """
    if edges_of is None:
        edges_of = graph.edges_into if upstream else graph.edges_out_of
    reached: Walk = {}
    queue: deque[tuple[ColumnRef, int]] = deque()
    for start in starts:
        if start not in reached:
            reached[start] = None
            queue.append((start, 0))
    while queue:
        column, depth = queue.popleft()
        if stop and depth > 0 and column in stop:
            continue
        for other, kind, certainty, location in edges_of(column):
            if kind not in kinds or certainty not in SURE or other.column == STAR or other in reached:
                continue
            reached[other] = Hop(column, kind, location, depth + 1)
            queue.append((other, depth + 1))
    return reached


def depth(reached: Walk, column: ColumnRef) -> int:
    hop = reached[column]
    return hop.depth if hop else 0


def chain(reached: Walk, column: ColumnRef) -> list[tuple[ColumnRef, Hop | None]]:
    """The columns from ``column`` back to the walk's start, each with the hop that reached it."""
    result = []
    current: ColumnRef | None = column
    while current is not None:
        hop = reached[current]
        result.append((current, hop))
        current = hop.via if hop else None
    return result


def definition_location(graph: LineageGraph, column: ColumnRef) -> Location | None:
    """Where a column is computed: its first direct incoming edge, else its relation's first definition."""
    for _, kind, _, location in graph.edges_into(column):
        if kind.is_direct and location is not None:
            return location
    if column.table and graph.has_relation(column.table):
        locations = graph.relation(column.table).locations
        return locations[0] if locations else None
    return None


def steps_from(reached: Walk, column: ColumnRef) -> list[PathStep]:
    """Path steps from ``column`` (reached by an upstream walk) down to the walk's start.

    In dataflow order, ``column`` itself excluded: each step is a column and sits where that column
    is computed from the step before it.
    """
    nodes = chain(reached, column)  # column, ..., start: already in dataflow order
    steps = []
    for (source, hop), (target, _) in pairwise(nodes):
        assert hop is not None
        steps.append(PathStep(f"{target} is computed from {source} ({hop.kind.value})", hop.location, target))
    return steps


def steps_to(reached: Walk, column: ColumnRef) -> list[PathStep]:
    """Path steps from a downstream walk's start to ``column``, in dataflow order (the start excluded)."""
    steps = []
    current, hop = column, reached[column]
    while hop is not None:
        steps.append(PathStep(f"{current} is computed from {hop.via} ({hop.kind.value})", hop.location, current))
        current, hop = hop.via, reached[hop.via]
    return steps[::-1]
