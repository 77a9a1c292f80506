"""The query engine's own values and entry points: `Leaf.under` (built by hand for speed) and `QueryLineage.reads`."""

from __future__ import annotations

import sqlglot
from hypothesis import given
from hypothesis import strategies as st
from sqlglot.dialects.dialect import Dialect

from lineage_scan.model import Certainty, EdgeKind
from lineage_scan.sql.names import Names
from lineage_scan.sql.query import QueryLineage
from lineage_scan.sql.query_types import AGGREGATE, BARE, TRANSFORM, Leaf, base_leaf
from lineage_scan.sql.schema import SchemaRegistry

spans = st.none() | st.tuples(st.integers(0, 3), st.integers(3, 6))
kinds = st.none() | st.sampled_from([EdgeKind.JOIN, EdgeKind.FILTER, EdgeKind.SORT])
leaves = st.builds(Leaf, st.sampled_from([None, "t"]), st.sampled_from(["a", "*"]), st.sampled_from([BARE, TRANSFORM, AGGREGATE]),
                   kinds, st.sampled_from(list(Certainty)), st.just(("x",)), st.just(()), spans, spans, spans, spans)


@given(leaves, st.sampled_from([BARE, TRANSFORM, AGGREGATE]), kinds, spans)
def test_a_leaf_under_a_hop_is_the_leaf_with_the_hop_s_level_or_indirect_kind(
        leaf: Leaf, level: int, indirect: EdgeKind | None, span: tuple[int, int] | None) -> None:
    seen = leaf.under(level, indirect, span)
    assert type(seen) is Leaf
    if indirect is not None:  # an indirect use: its kind, and its span unless it has none (then the leaf's)
        expected = leaf._replace(indirect=indirect, span=span or leaf.span)
        unchanged = indirect == leaf.indirect and (span is None or span == leaf.span)
    else:  # a direct use: the stronger level
        expected = leaf._replace(level=max(level, leaf.level))
        unchanged = level <= leaf.level
    assert seen == expected
    assert (seen is leaf) == unchanged


def _reads(sql: str) -> list[str]:
    dialect = Dialect.get_or_raise("snowflake")
    query = sqlglot.parse_one(sql, dialect=dialect)
    return [table.sql(dialect=dialect) for table in QueryLineage(Names(dialect), SchemaRegistry()).reads(query)]


def test_reads_lists_each_table_once_in_source_order_with_aliased_uses_apart() -> None:
    assert _reads("SELECT a FROM s JOIN r ON s.id = r.id WHERE a IN (SELECT a FROM s)") == ["s", "r"]
    assert _reads("SELECT x.a FROM s AS x JOIN s AS y ON x.id = y.id") == ["s AS x", "s AS y"]
    assert _reads("WITH c AS (SELECT a FROM s) SELECT a FROM c") == ["s"]


def test_a_base_leaf_is_the_leaf_with_every_other_field_at_its_default() -> None:
    leaf = base_leaf("t", "a")
    assert type(leaf) is Leaf and leaf == Leaf("t", "a") and hash(leaf) == hash(Leaf("t", "a"))


def test_names_are_shown_lower_case_in_upper_folding_dialects_only() -> None:
    upper, lower = Names(Dialect.get_or_raise("snowflake")), Names(Dialect.get_or_raise("postgres"))
    for names, shown in ((upper, ["orders", "Orders", "orders", ""]), (lower, ["ORDERS", "Orders", "orders", ""])):
        identifiers = [sqlglot.exp.to_identifier(text) for text in ("ORDERS", "Orders", "orders", "")]
        assert [names.ident(i) for i in identifiers] == shown
        assert [names.ident(i) for i in identifiers] == shown  # again, from what was met
        assert [names.display(i.name) for i in identifiers] == shown


def test_node_type_traits_say_what_isinstance_says() -> None:
    from lineage_scan.sql import query

    expected = {
        sqlglot.exp.Paren: query._PASSES, sqlglot.exp.Alias: query._PASSES, sqlglot.exp.Sum: query._AGGREGATES,
        sqlglot.exp.Lag: 0, sqlglot.exp.Avg: query._AGGREGATES | query._VALUES, sqlglot.exp.Coalesce: query._VALUES,
        sqlglot.exp.If: query._VALUES | query._ROLES, sqlglot.exp.Window: query._ROLES, sqlglot.exp.Filter: query._ROLES,
        sqlglot.exp.Select: query._NESTS, sqlglot.exp.Union: query._NESTS, sqlglot.exp.Subquery: query._NESTS,
        sqlglot.exp.Column: 0, sqlglot.exp.Add: 0,
    }
    assert {kind: query._traits_of(kind) for kind in expected} == expected
    assert all(query._TRAITS[kind] == traits for kind, traits in expected.items())
