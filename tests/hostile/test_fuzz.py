"""Property-based fuzzing of the SQL engine: any input gives edges and diagnostics, never an exception.

Kept small for CI (the `ci` Hypothesis profile in conftest.py); `benchmarks/fuzz_sql.py` runs the same
properties with the `long` profile.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlglot.dialects.dialect import Dialect

from lineage_scan.sql.script import analyse_script

DIALECTS = ["snowflake", "bigquery", "postgres", "redshift", "databricks", "duckdb", "tsql", None]
KEYWORDS = ["SELECT", "FROM", "WHERE", "JOIN", "ON", "GROUP BY", "UNION ALL", "WITH", "AS", "(", ")", ",", "*",
            "INSERT INTO", "CREATE TABLE", "MERGE INTO", "USING", "WHEN MATCHED THEN UPDATE SET", "=", ";", "'", '"',
            "CASE WHEN", "THEN", "END", "OVER (PARTITION BY", "PIVOT (", "UNNEST(", "LATERAL", "QUALIFY", "--", "/*"]
NAMES = st.sampled_from(["a", "b", "t", "u", "x.y", "orders", "id", "`q`", '"Q"', "[z]", "1", "NULL"])
TOKENS = st.one_of(st.sampled_from(KEYWORDS), NAMES)

VALID = st.builds(
    lambda cols, table, where, join: (
        f"CREATE TABLE out AS SELECT {', '.join(cols)} FROM {table} t"
        + (" JOIN other o ON t.id = o.id" if join else "")
        + (f" WHERE {where} > 0" if where else "")
    ),
    st.lists(st.sampled_from(["a", "t.b", "SUM(c) AS s", "CASE WHEN d THEN e END AS f", "*", "o.*", "x + 1 AS y"]),
             min_size=1, max_size=5),
    st.sampled_from(["src", "db.src", "(SELECT * FROM z)"]),
    st.sampled_from([None, "a", "t.q"]),
    st.booleans(),
)


def _check(sql: str, dialect: str | None) -> None:
    result = analyse_script(sql, Dialect.get_or_raise(dialect))
    assert result.statements_failed <= len(result.diagnostics), "every failed statement has a diagnostic"
    assert not [d.message for d in result.diagnostics if "internal error" in d.message], "a bug in the engine"
    for edge in result.edges:
        assert edge.target.column
        assert edge.location is None or edge.location.start_line >= 1


@given(st.lists(TOKENS, max_size=40).map(" ".join), st.sampled_from(DIALECTS))
def test_token_soup_never_raises(sql: str, dialect: str | None) -> None:
    _check(sql, dialect)


@given(VALID, st.sampled_from(DIALECTS), st.data())
def test_valid_and_mutated_queries_never_raise(sql: str, dialect: str | None, data: st.DataObject) -> None:
    _check(sql, dialect)
    cut = data.draw(st.integers(0, len(sql)))
    insert = data.draw(st.sampled_from(["", "(", ")", ",", "'", "*", " FROM ", ";"]))
    _check(sql[:cut] + insert + sql[cut + 1 :], dialect)


@given(st.text(max_size=200), st.sampled_from(DIALECTS))
def test_random_text_never_raises(sql: str, dialect: str | None) -> None:
    _check(sql, dialect)
