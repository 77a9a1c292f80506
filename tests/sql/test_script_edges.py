"""A script's edges are unique: an edge made again with another location keeps its earliest one."""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

from lineage_scan.model import ColumnEdge, EdgeKind
from lineage_scan.sql.script import analyse_script

DIALECT = Dialect.get_or_raise("snowflake")


def _edges(sql: str) -> list[tuple[str, str, str, int]]:
    return [(str(e.source), str(e.target), e.kind.value, e.location.start_line if e.location else 0)
            for e in analyse_script(sql, DIALECT).edges]


def test_a_filter_reached_through_two_ctes_is_kept_at_the_first() -> None:
    sql = (
        "CREATE TABLE out AS\n"
        "WITH c1 AS (SELECT a, b FROM t WHERE b > 0),\n"
        "c2 AS (SELECT a, b FROM c1 WHERE b < 9)\n"
        "SELECT a FROM c2"
    )
    edges = _edges(sql)
    # out.a: t.a by identity (located at the final projection, line 4), and t.b as a filter twice
    # (c1's WHERE on line 2, c2's WHERE on line 3 through c1.b): once, at line 2.
    assert sorted(edges) == [("t.a", "out.a", EdgeKind.IDENTITY.value, 4), ("t.b", "out.a", EdgeKind.FILTER.value, 2)]


def test_a_later_statement_repeating_an_edge_adds_nothing() -> None:
    sql = "INSERT INTO out SELECT a FROM t;\nINSERT INTO out SELECT a FROM t;\nINSERT INTO out SELECT b AS a FROM t;\n"
    assert _edges(sql) == [("t.a", "out.a", EdgeKind.IDENTITY.value, 1), ("t.b", "out.a", EdgeKind.RENAME.value, 3)]


def test_edges_are_the_objects_their_constructor_makes() -> None:
    # Statements make their edges a field at a time (as the fragment codec decodes them), not through
    # ColumnEdge's __init__: they must be equal to, hash and order like, and print as the ones it makes.
    sql = "CREATE TABLE out AS SELECT a, b + 1 AS c, COUNT(*) AS n FROM t WHERE d > 0 GROUP BY a, b;\nSELECT x FROM u"
    edges = analyse_script(sql, DIALECT).edges
    assert len(edges) == 12  # out.a/c/n from t.a, t.b (group by), t.d (filter), t.a and t.b directly; u.x
    for edge in edges:
        made = ColumnEdge(edge.source, edge.target, edge.kind, edge.certainty, edge.location, edge.candidates, edge.excluded)
        assert edge == made and hash(edge) == hash(made) and str(edge) == str(made) and edge.sort_key() == made.sort_key()
    first = edges[:11]  # the CREATE's: sorted as `sort_key` orders them
    assert [e.sort_key() for e in first] == sorted(e.sort_key() for e in first)


def test_a_statement_s_edges_at_one_span_share_one_location() -> None:
    # `_edges` locates each distinct span once: the edges of `b` (group by, on line 2) share its Location.
    sql = "CREATE TABLE out AS SELECT a, COUNT(*) AS n\nFROM t GROUP BY b"
    edges = analyse_script(sql, DIALECT, path="q.sql").edges
    grouped = [e for e in edges if e.kind is EdgeKind.GROUP_BY]
    assert [str(e.target) for e in grouped] == ["out.a", "out.n"]
    assert grouped[0].location is grouped[1].location
    assert (grouped[0].location.path, grouped[0].location.start_line, grouped[0].location.start_col) == ("q.sql", 2, 17)
