"""The logic fingerprint's CTE numbering: found through scopes, in the order a walk of the tree meets them."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import build_scope

from lineage_scan.sql.fingerprint import _ctes, logic_fingerprint
from lineage_scan.sql.names import Names

NESTED = """
WITH a AS (SELECT x FROM (WITH inner1 AS (SELECT x FROM t) SELECT x FROM inner1) AS d),
     b AS (WITH inner2 AS (SELECT y FROM u) SELECT y AS x FROM inner2)
SELECT a.x FROM a JOIN b ON a.x = b.x WHERE a.x IN (WITH inner3 AS (SELECT z FROM v) SELECT z FROM inner3)
"""


def _query(sql: str) -> exp.Query:
    query = sqlglot.parse_one(sql, read="snowflake")
    assert isinstance(query, exp.Query)
    return query


def test_ctes_come_in_breadth_first_order_like_a_walk() -> None:
    query = _query(NESTED)
    scopes = list(build_scope(query).traverse())
    assert [c.alias for c in _ctes(query, scopes)] == [c.alias for c in query.find_all(exp.CTE)]
    # depths: a and b 2 (select, with, cte), inner2 5 (b's select and with), inner3 6 (where, IN,
    # subquery, select, with), inner1 8 (a's select, from, subquery, select, with)
    assert [c.alias for c in _ctes(query, scopes)] == ["a", "b", "inner2", "inner3", "inner1"]


def test_renamed_nested_ctes_keep_the_fingerprint() -> None:
    names = Names(sqlglot.Dialect.get_or_raise("snowflake"))
    renamed = NESTED.replace("inner1", "p").replace("inner2", "q").replace("inner3", "r")
    assert logic_fingerprint(_query(NESTED), names) == logic_fingerprint(_query(renamed), names)
    changed = NESTED.replace("SELECT z FROM v", "SELECT z FROM w")
    assert logic_fingerprint(_query(NESTED), names) != logic_fingerprint(_query(changed), names)
