"""`names.normalize_identifiers` folds identifiers exactly as sqlglot's `normalize_identifiers` does."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers as sqlglot_normalize_identifiers

from lineage_scan.model import ColumnRef
from lineage_scan.sql.names import dialect_spec, normalize_identifiers
from lineage_scan.sql.script import analyse_script

STATEMENTS = [
    'CREATE TABLE Analytics.Orders AS SELECT o.Id, "Quoted"."MixedCase" AS Kept FROM Raw."Orders" AS o',
    "WITH Base AS (SELECT A, b FROM T WHERE C > 1) SELECT Base.A, COUNT(*) AS N FROM Base GROUP BY Base.A",
    "SELECT a /* sqlglot.meta case_sensitive */ AS Keep, B FROM Tbl",
    "INSERT INTO Tgt (ColA, ColB) SELECT x.Ärger, x.ÉTÉ FROM Src AS x JOIN Other AS y ON x.K = y.K",
    "SELECT SUM(Amount) OVER (PARTITION BY Cust ORDER BY Ts) AS Running FROM Sales QUALIFY Running > 0",
]
DIALECTS = ["snowflake", "postgres", "duckdb", "bigquery", "spark", "mysql", "tsql", "redshift", "databricks"]


@pytest.mark.parametrize("dialect_name", DIALECTS)
@pytest.mark.parametrize("sql", STATEMENTS)
def test_same_folding_as_sqlglot(dialect_name: str, sql: str) -> None:
    dialect = Dialect.get_or_raise(dialect_name)
    try:
        parsed = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        pytest.skip(f"{dialect_name} does not parse this statement")
    expected = sqlglot_normalize_identifiers(parsed.copy(), dialect=dialect)
    folded = normalize_identifiers(parsed.copy(), dialect)
    assert [(i.this, i.quoted) for i in folded.find_all(sqlglot.exp.Identifier)] == [
        (i.this, i.quoted) for i in expected.find_all(sqlglot.exp.Identifier)
    ]
    assert folded.sql(dialect=dialect) == expected.sql(dialect=dialect)


def test_snowflake_folds_unquoted_names_up_and_keeps_marked_ones() -> None:
    dialect = Dialect.get_or_raise("snowflake")
    folded = normalize_identifiers(sqlglot.parse_one(STATEMENTS[2], read=dialect), dialect)
    # the comment marks the column `a`: it keeps its case, the alias, `B` and the table are folded up
    assert sorted(i.this for i in folded.find_all(sqlglot.exp.Identifier)) == ["B", "KEEP", "TBL", "a"]


@pytest.mark.parametrize(
    ("sql", "source_column"),
    [
        ("CREATE TABLE T AS SELECT Mixed /* sqlglot.meta case_sensitive */ AS C FROM Src", "Mixed"),
        ("CREATE TABLE T AS SELECT Mixed /* a plain comment */ AS C FROM Src", "mixed"),
    ],
)
def test_a_script_folds_names_but_those_a_comment_marks(sql: str, source_column: str) -> None:
    # analyse_script looks for marks only in a script that holds a `sqlglot.meta` comment
    edges = analyse_script(sql, Dialect.get_or_raise("duckdb")).edges
    assert [(e.source, e.target) for e in edges] == [(ColumnRef("src", source_column), ColumnRef("t", "c"))]


@pytest.mark.parametrize(
    "spec", ["", "snowflake", "tsql", "bigquery", "mysql, normalization_strategy=lowercase", "duckdb, version=1.1.3"]
)
def test_dialect_spec_reads_back_as_the_same_dialect(spec: str) -> None:
    dialect = Dialect.get_or_raise(spec or None)
    again = Dialect.get_or_raise(dialect_spec(dialect) or None)
    assert type(again) is type(dialect)
    assert (again.normalization_strategy, again.version, again.settings) == (
        dialect.normalization_strategy, dialect.version, dialect.settings)
    assert dialect_spec(dialect) == spec  # only what differs from the defaults is written
