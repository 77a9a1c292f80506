"""Expand `t.* -> x.*` edges once `t`'s columns are known from anywhere in the repository.

A relation's columns are known from DDL or a schema file, from a statement whose outputs were all
known, or from expanding its own stars first; expansion therefore repeats until nothing changes.
Ambiguous edges are settled here too: when exactly one candidate table has the column, the edge
is attributed to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from lineage_scan.model import STAR, Certainty, ColumnEdge, ColumnRef


def expand_stars(edges: Iterable[ColumnEdge], columns: dict[str, tuple[str, ...]]) -> list[ColumnEdge]:
    """Return ``edges`` with ambiguous ones settled (`_settled`) and every expandable star replaced;
    ``columns`` is extended in place.

    (One loop settles the edges and sorts them out, where a pass per question would do: the build
    hands over every edge of the repository, and each pass costs for the memory it walks.)
    """
    done: list[ColumnEdge] = []
    pending: list[ColumnEdge] = []
    """Edges from a star, expanded once their source table's columns are known."""
    into_stars: list[ColumnEdge] = []
    for edge in edges:
        if edge.source.table is None and edge.certainty == Certainty.AMBIGUOUS:
            edge = _settled(edge, columns)
        if edge.source.column == STAR:
            pending.append(edge)
        elif edge.target.column == STAR:
            into_stars.append(edge)
        else:
            done.append(edge)
    changed = True
    while changed and pending:
        changed = False
        still: list[ColumnEdge] = []
        for edge in pending:
            known = columns.get(edge.source.table or "")
            if known is None:
                still.append(edge)
                continue
            changed = True
            for name in known:
                if name in edge.excluded:
                    continue
                target = ColumnRef(edge.target.table, name if edge.target.column == STAR else edge.target.column)
                certainty = Certainty.RESOLVED if edge.certainty == Certainty.UNRESOLVED else edge.certainty
                done.append(ColumnEdge(ColumnRef(edge.source.table, name), target, edge.kind, certainty, edge.location, edge.candidates))
                if target.table and target.column not in columns.get(target.table, ()):
                    columns[target.table] = (*columns.get(target.table, ()), target.column)
        pending = still
    # An indirect edge into `x.*` (a filter of a star query) reaches every column `x` ends up with.
    for edge in into_stars:
        known = columns.get(edge.target.table or "")
        if known is None or edge.kind.is_direct:
            pending.append(edge)
        else:
            done.extend(_retargeted(edge, name) for name in known)
    return done + pending


def _retargeted(edge: ColumnEdge, column: str) -> ColumnEdge:
    """``edge`` into ``column`` of its target table (made directly: `replace` costs several times more)."""
    return ColumnEdge(edge.source, ColumnRef(edge.target.table, column), edge.kind, edge.certainty, edge.location,
                      edge.candidates, edge.excluded)


def _settled(edge: ColumnEdge, columns: dict[str, tuple[str, ...]]) -> ColumnEdge:
    """Attribute an ambiguous edge to its one candidate whose known columns include the column."""
    having = [t for t in edge.candidates if edge.source.column in columns.get(t, ())]
    if len(having) == 1:
        return replace(edge, source=ColumnRef(having[0], edge.source.column), certainty=Certainty.RESOLVED, candidates=())
    return edge
