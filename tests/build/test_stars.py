"""Settling ambiguous edges and expanding stars, in the one loop `expand_stars` walks the edges in."""

from __future__ import annotations

from lineage_scan.build.stars import expand_stars
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind


def test_settles_expands_and_retargets_in_order_from_a_generator() -> None:
    columns = {"raw.a": ("id", "x"), "raw.b": ("y",)}
    edges = [
        ColumnEdge(ColumnRef("raw.u", "*"), ColumnRef("stg.t", "*"), EdgeKind.IDENTITY),  # raw.u unknown: stays
        ColumnEdge(ColumnRef("raw.f", "flag"), ColumnRef("stg.s", "*"), EdgeKind.FILTER),  # into a star
        ColumnEdge(ColumnRef(None, "id"), ColumnRef("q", "id"), EdgeKind.IDENTITY, Certainty.AMBIGUOUS,
                   candidates=("raw.a", "raw.b")),  # only raw.a has `id`
        ColumnEdge(ColumnRef("raw.a", "*"), ColumnRef("stg.s", "*"), EdgeKind.IDENTITY, Certainty.UNRESOLVED),
        ColumnEdge(ColumnRef("raw.b", "y"), ColumnRef("q", "y"), EdgeKind.TRANSFORM),
    ]

    result = expand_stars((edge for edge in edges), columns)

    assert result == [
        ColumnEdge(ColumnRef("raw.a", "id"), ColumnRef("q", "id"), EdgeKind.IDENTITY),
        ColumnEdge(ColumnRef("raw.b", "y"), ColumnRef("q", "y"), EdgeKind.TRANSFORM),
        # raw.a.* -> stg.s.*: one edge per known column, sure once the columns are known
        ColumnEdge(ColumnRef("raw.a", "id"), ColumnRef("stg.s", "id"), EdgeKind.IDENTITY),
        ColumnEdge(ColumnRef("raw.a", "x"), ColumnRef("stg.s", "x"), EdgeKind.IDENTITY),
        # the filter reaches every column stg.s ended up with
        ColumnEdge(ColumnRef("raw.f", "flag"), ColumnRef("stg.s", "id"), EdgeKind.FILTER),
        ColumnEdge(ColumnRef("raw.f", "flag"), ColumnRef("stg.s", "x"), EdgeKind.FILTER),
        edges[0],
    ]
    assert columns["stg.s"] == ("id", "x")
    assert "stg.t" not in columns
