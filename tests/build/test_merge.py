"""What the merge reads off every edge in one pass."""

from __future__ import annotations

from lineage_scan.build.merge import _edge_sources
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Fragment


def test_edge_sources_are_the_tables_and_candidates_the_edges_read() -> None:
    edges = [
        ColumnEdge(ColumnRef("raw.a", "x"), ColumnRef("q", "x"), EdgeKind.IDENTITY),
        ColumnEdge(ColumnRef(None, "y"), ColumnRef("q", "y"), EdgeKind.IDENTITY, Certainty.AMBIGUOUS,
                   candidates=("raw.b", "raw.c")),
        ColumnEdge(ColumnRef("", "z"), ColumnRef("q", "z"), EdgeKind.IDENTITY),  # no table name: not a table
        ColumnEdge(ColumnRef(None, "w"), ColumnRef("q", "w"), EdgeKind.FILTER, Certainty.AMBIGUOUS, candidates=("",)),
    ]
    fragments = [Fragment("a.sql", "sql", edges=edges[:2]), Fragment("b.sql", "sql", edges=edges[2:])]
    # an empty candidate is kept as the comprehension over candidates kept it; only sources' falsy tables are not tables
    assert _edge_sources(fragments) == {"raw.a", "raw.b", "raw.c", ""}
    assert _edge_sources(fragments[:1]) == {"raw.a", "raw.b", "raw.c"}
