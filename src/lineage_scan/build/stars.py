"""Expand `t.* -> x.*` edges once `t`'s columns are known from anywhere in the repository.

A relation's columns are known from DDL or a schema file, from a statement whose outputs were all
known, or from expanding its own stars first; expansion therefore repeats until nothing changes.
Ambiguous edges are settled here too: when exactly one candidate table has the column, the edge
is attributed to it.
"""

from __future__ import annotations

from dataclasses import replace

from lineage_scan.model import STAR, Certainty, ColumnEdge, ColumnRef


def expand_stars(edges: list[ColumnEdge], columns: dict[str, tuple[str, ...]]) -> list[ColumnEdge]:
    """Return ``edges`` with every expandable star replaced; ``columns`` is extended in place."""
    done = [e for e in edges if e.source.column != STAR and e.target.column != STAR]
    pending = [e for e in edges if e.source.column == STAR]
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
    for edge in (e for e in edges if e.target.column == STAR and e.source.column != STAR):
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


def settle_ambiguous(edges: list[ColumnEdge], columns: dict[str, tuple[str, ...]]) -> list[ColumnEdge]:
    """Attribute an ambiguous edge to its one candidate whose known columns include the column."""
    return [_settled(edge, columns) if edge.certainty == Certainty.AMBIGUOUS and edge.source.table is None else edge
            for edge in edges]


def _settled(edge: ColumnEdge, columns: dict[str, tuple[str, ...]]) -> ColumnEdge:
    having = [t for t in edge.candidates if edge.source.column in columns.get(t, ())]
    if len(having) == 1:
        return replace(edge, source=ColumnRef(having[0], edge.source.column), certainty=Certainty.RESOLVED, candidates=())
    return edge
