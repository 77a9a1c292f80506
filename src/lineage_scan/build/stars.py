"""Expand `t.* -> x.*` edges once `t`'s columns are known from anywhere in the repository.

A relation's columns are known from DDL or a schema file, from a statement whose outputs were all
known, or from expanding its own stars first; expansion therefore repeats until nothing changes.
Ambiguous edges are settled here too: when exactly one candidate table has the column, the edge
is attributed to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from itertools import repeat
from operator import attrgetter

from lineage_scan.fieldwise import build_objects
from lineage_scan.model import STAR, Certainty, ColumnEdge, ColumnRef

_SOURCE, _KIND, _CERTAINTY, _LOCATION, _CANDIDATES, _EXCLUDED = map(
    attrgetter, ("source", "kind", "certainty", "location", "candidates", "excluded"))
_TARGET_TABLE = attrgetter("target.table")


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
    retargets: list[tuple[ColumnEdge, str]] = []
    for edge in into_stars:
        known = columns.get(edge.target.table or "")
        if known is None or edge.kind.is_direct:
            pending.append(edge)
        else:
            retargets.extend(zip(repeat(edge), known))
    done += _retargeted(retargets)
    done += pending
    return done


def _retargeted(retargets: list[tuple[ColumnEdge, str]]) -> list[ColumnEdge]:
    """Each edge into the column paired with it, of its target table.

    (Made a field at a time: a star query's filter columns reach every column of its target, tens
    of thousands of new edges in a large repository, and `replace` costs several times more.)
    """
    if not retargets:
        return []
    edges, names = zip(*retargets)
    count = len(edges)
    targets = build_objects(ColumnRef, count, [map(_TARGET_TABLE, edges), names])
    return build_objects(ColumnEdge, count, [
        map(_SOURCE, edges), targets, map(_KIND, edges), map(_CERTAINTY, edges), map(_LOCATION, edges),
        map(_CANDIDATES, edges), map(_EXCLUDED, edges),
    ])


def _settled(edge: ColumnEdge, columns: dict[str, tuple[str, ...]]) -> ColumnEdge:
    """Attribute an ambiguous edge to its one candidate whose known columns include the column."""
    having = [t for t in edge.candidates if edge.source.column in columns.get(t, ())]
    if len(having) == 1:
        return replace(edge, source=ColumnRef(having[0], edge.source.column), certainty=Certainty.RESOLVED, candidates=())
    return edge
