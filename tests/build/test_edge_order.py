"""The build's sort of every edge: the memoised key is `ColumnEdge.sort_key`, whatever objects the edges share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lineage_scan.build.merge import memoised_sort_key
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Location

TABLES = st.sampled_from([None, "a", "a.b", "a-b", "?", "ab"])
COLUMNS = st.sampled_from(["x", "*", "b.x", "", "y"])
REFS = st.builds(ColumnRef, TABLES, COLUMNS)
LOCATIONS = st.none() | st.builds(Location, st.sampled_from(["f.sql", "e.sql"]), *[st.integers(1, 3)] * 4)
NAMES = st.lists(st.sampled_from(["a", "b"]), max_size=2).map(tuple)


@st.composite
def edge_lists(draw) -> list[ColumnEdge]:
    """Edges that share some reference and location objects (as decoded fragments do) and hold equal
    copies of others."""
    refs, locations = draw(st.lists(REFS, min_size=1, max_size=6)), draw(st.lists(LOCATIONS, min_size=1, max_size=4))
    pick_ref = st.sampled_from(refs) | REFS
    pick_location = st.sampled_from(locations) | LOCATIONS
    edge = st.builds(ColumnEdge, pick_ref, pick_ref, st.sampled_from(EdgeKind), st.sampled_from(Certainty),
                     pick_location, NAMES, NAMES)
    return draw(st.lists(edge, max_size=40))


@given(edge_lists())
def test_memoised_key_is_the_sort_key(edges: list[ColumnEdge]) -> None:
    key = memoised_sort_key()
    assert [key(edge) for edge in edges] == [edge.sort_key() for edge in edges]
    assert all(a is b for a, b in zip(sorted(edges, key=memoised_sort_key()), sorted(edges, key=ColumnEdge.sort_key), strict=True))


def test_edges_sharing_objects_share_their_key_parts() -> None:
    source, location = ColumnRef("raw.t", "id"), Location("a.sql", 1, 1, 1, 9)
    first = ColumnEdge(source, ColumnRef("stg.t", "id"), EdgeKind.IDENTITY, location=location)
    second = ColumnEdge(source, ColumnRef("stg.u", "id"), EdgeKind.JOIN, location=location)
    key = memoised_sort_key()
    one, two = key(first), key(second)
    assert one[0] == "raw.t.id" and one[0] is two[0] and one[4] is two[4]
