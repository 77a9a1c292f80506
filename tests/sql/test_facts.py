"""What the SQL engine reports besides edges: write modes, logic fingerprints, value facts."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot.dialects.dialect import Dialect

from lineage_scan.model import ColumnRef, ValueOp, WriteMode
from lineage_scan.sql.fingerprint import logic_fingerprint
from lineage_scan.sql.names import Names
from lineage_scan.sql.script import analyse_script, logic_fingerprint_of


def _analyse(sql: str, dialect: str | None = None):
    return analyse_script(sql, Dialect.get_or_raise(dialect), path="q.sql")


@pytest.mark.parametrize(
    ("sql", "dialect", "mode"),
    [
        ("CREATE TABLE t AS SELECT a FROM s", None, WriteMode.CREATE),
        ("CREATE VIEW t AS SELECT a FROM s", None, WriteMode.CREATE),
        ("SELECT a INTO t FROM s", "tsql", WriteMode.CREATE),
        ("CREATE TABLE t (a INT)", None, WriteMode.DECLARE),
        ("INSERT INTO t SELECT a FROM s", None, WriteMode.INSERT),
        ("INSERT INTO t VALUES (1)", None, WriteMode.INSERT),
        ("INSERT OVERWRITE TABLE t SELECT a FROM s", "spark", WriteMode.OVERWRITE),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a", None, WriteMode.MERGE),
        ("UPDATE t SET a = 1", None, WriteMode.UPDATE),
        ("COPY INTO t FROM @stage", "snowflake", WriteMode.LOAD),
    ],
)
def test_write_modes(sql: str, dialect: str | None, mode: WriteMode) -> None:
    [relation] = _analyse(sql, dialect).relations
    assert relation.mode == mode


def _logic(sql: str, dialect: str | None = None) -> tuple[str, str | None] | None:
    """The last relation's logic: its shape and its full fingerprint (the statement analysed again)."""
    logic = _analyse(sql, dialect).relations[-1].logic
    return None if logic is None else (logic.shape, logic_fingerprint_of(logic))


BASE = "CREATE VIEW v AS SELECT c.id, SUM(o.amount) AS total FROM shop.customers c JOIN shop.orders o ON o.cid = c.id WHERE o.ok AND o.amount > 0 GROUP BY c.id"


@pytest.mark.parametrize(
    "same",
    [
        # formatting, comments, keyword case, aliases, AS, output names and order, operand order
        (
            "create view w as\n  select sum(x.amount) as revenue, y.id -- total first\n"
            "  from shop.customers as y join shop.orders as x on y.id = x.cid\n"
            "  where x.amount > 0 and x.ok group by y.id"
        ),
        # positional GROUP BY
        "CREATE VIEW w AS SELECT c.id, SUM(o.amount) AS total FROM shop.customers c JOIN shop.orders o ON o.cid = c.id WHERE o.ok AND o.amount > 0 GROUP BY 1",
    ],
)
def test_equivalent_queries_share_a_fingerprint(same: str) -> None:
    base = _logic(BASE)
    assert base is not None and base[1] is not None
    assert base[0] == "2:shop.customers,shop.orders"  # two outputs; the tables read
    assert _logic(same) == base  # the same shape (which LS302 compares first) and fingerprint


def test_cte_names_do_not_matter() -> None:
    a = "CREATE VIEW a AS WITH x AS (SELECT id FROM t WHERE k = 1) SELECT id FROM x"
    b = "CREATE VIEW b AS WITH recent AS (SELECT t.id FROM t WHERE t.k = 1) SELECT r.id FROM recent r"
    assert _logic(a) == _logic(b)


@pytest.mark.parametrize(
    "different",
    [
        BASE.replace("o.amount > 0", "o.amount > 1"),  # a literal
        BASE.replace("JOIN", "LEFT JOIN"),  # a join type
        BASE.replace("SUM(", "AVG("),  # an aggregate
        BASE.replace("o.amount > 0", "o.amount >= 0"),  # a comparison
        BASE.replace("shop.orders", "shop.orders_archive"),  # a source
        BASE.replace(" GROUP BY c.id", " GROUP BY c.id HAVING SUM(o.amount) > 10"),  # a clause
    ],
)
def test_real_differences_change_the_fingerprint(different: str) -> None:
    assert _logic(different)[1] != _logic(BASE)[1]


def test_a_statement_is_analysed_again_as_it_was_in_its_script() -> None:
    """The fingerprint LS302 computes later from a relation's `QueryLogic` is the one of the query as
    it was parsed in its script: the statement after other statements, its comments, its dialect and
    the script's default schema and database."""
    script = (
        "CREATE TABLE t (a INT);\n-- the report\nCREATE VIEW v AS SELECT o.a, COUNT(*) AS n FROM orders o GROUP BY 1;\n"
        "SELECT a, b INTO w FROM orders WHERE a > 2"
    )
    relations = analyse_script(script, Dialect.get_or_raise("tsql"), default_db="dbo", default_catalog="shop").relations
    names = Names(Dialect.get_or_raise("tsql"), "dbo", "shop")
    view = sqlglot.parse_one("CREATE VIEW v AS SELECT o.a, COUNT(*) AS n FROM orders o GROUP BY 1", read="tsql").expression
    into = sqlglot.parse_one("SELECT a, b FROM orders WHERE a > 2", read="tsql")
    expected = [None, logic_fingerprint(view, names), logic_fingerprint(into, names)]
    assert [r.logic and logic_fingerprint_of(r.logic) for r in relations] == expected
    assert [r.logic and (r.logic.shape, r.logic.index, r.logic.dialect) for r in relations] == [
        None, ("2:shop.dbo.orders", 0, "tsql"), ("2:shop.dbo.orders", 0, "tsql")]
    assert relations[1].logic is not None and relations[1].logic.statement.startswith(";\n-- the report\nCREATE VIEW")


def test_analysing_a_statement_again_is_bounded_by_the_statement_time_limit(monkeypatch) -> None:
    """LS302 analyses stored statements again in the scanning process: a runaway analysis gives up at
    the statement limit (no fingerprint: the relation is not compared) instead of stalling the scan."""
    from lineage_scan.sql.statements import StatementAnalyser

    logic = _analyse("CREATE TABLE t AS SELECT a FROM s").relations[0].logic
    assert logic is not None and logic_fingerprint_of(logic, 5) is not None

    def runaway(self, statement, line):
        while True:
            pass

    monkeypatch.setattr(StatementAnalyser, "analyse", runaway)
    assert logic_fingerprint_of(logic, 0.2) is None


def test_only_defining_writes_get_a_fingerprint() -> None:
    relations = _analyse("CREATE TABLE t (a INT); INSERT INTO t SELECT a FROM s; CREATE TEMPORARY TABLE x AS SELECT 1 AS a").relations
    assert [r.logic for r in relations] == [None, None, None]


def _facts(sql: str, dialect: str | None = None) -> set[tuple[str, str, str, int, int | None]]:
    return {
        (f.op.value, str(f.source), str(f.target), f.location.start_col, f.rate.start_col if f.rate else None)
        for f in _analyse(sql, dialect).value_facts
    }


def test_null_to_zero_and_rates() -> None:
    sql = "CREATE TABLE t AS SELECT COALESCE(a, 0) / b AS r, COALESCE(c / d, 0) AS q, AVG(e) AS m FROM s"
    # columns: COALESCE(a at 26 (the division starts there too), COALESCE(c at 51, c / d at 60, AVG at 76
    assert _facts(sql) == {
        ("null_to_zero", "s.a", "t.r", 26, 26),  # filled, then divided
        ("rate", "s.a", "t.r", 26, None),
        ("rate", "s.b", "t.r", 26, None),
        ("null_to_zero", "s.c", "t.q", 51, None),  # divided, then filled: no rate after the fill
        ("null_to_zero", "s.d", "t.q", 51, None),
        ("rate", "s.c", "t.q", 60, None),
        ("rate", "s.d", "t.q", 60, None),
        ("rate", "s.e", "t.m", 76, None),
    }


@pytest.mark.parametrize(
    ("expression", "dialect"),
    [
        ("IFNULL(a, 0)", None),
        ("NVL(a, 0)", "snowflake"),
        ("ZEROIFNULL(a)", "snowflake"),
        ("ISNULL(a, 0)", "tsql"),
        ("COALESCE(a, b, 0.0)", None),
        ("CASE WHEN a IS NULL THEN 0 ELSE a END", None),
        ("COALESCE(a, CAST(0 AS INT))", None),
    ],
)
def test_null_to_zero_spellings(expression: str, dialect: str | None) -> None:
    facts = _analyse(f"CREATE TABLE t AS SELECT {expression} AS x FROM s", dialect).value_facts
    assert (ValueOp.NULL_TO_ZERO, ColumnRef("s", "a"), ColumnRef("t", "x")) in {(f.op, f.source, f.target) for f in facts}


@pytest.mark.parametrize("expression", ["COALESCE(a, 1)", "COALESCE(a, '0')", "COALESCE(a, b)", "CASE WHEN a IS NULL THEN 1 ELSE a END"])
def test_other_fallbacks_are_not_null_to_zero(expression: str) -> None:
    facts = _analyse(f"CREATE TABLE t AS SELECT {expression} AS x FROM s").value_facts
    assert not [f for f in facts if f.op == ValueOp.NULL_TO_ZERO]


def test_fill_in_a_cte_reaches_the_rate_outside() -> None:
    sql = "CREATE TABLE t AS WITH c AS (SELECT COALESCE(a, 0) AS a0, b FROM s) SELECT a0 / b AS r FROM c"
    fills = [f for f in _analyse(sql).value_facts if f.op == ValueOp.NULL_TO_ZERO]
    # the COALESCE starts at column 37, the division `a0 / b` at 76
    assert [(str(f.source), str(f.target), f.location.start_col, f.rate.start_col) for f in fills] == [("s.a", "t.r", 37, 76)]


@pytest.mark.parametrize(
    "expression",
    [
        "p - COALESCE(a, 0)",  # a missing discount is no discount; the result is NULL when p is
        "(q * p) - (COALESCE(a, 0))",
        "COALESCE(a, 0) + p + COALESCE(b, 0)",
    ],
)
def test_a_fill_that_only_adjusts_a_nullable_value_is_not_null_to_zero(expression: str) -> None:
    facts = _analyse(f"CREATE TABLE t AS SELECT {expression} AS x FROM s").value_facts
    assert not [f for f in facts if f.op == ValueOp.NULL_TO_ZERO]


@pytest.mark.parametrize(
    ("expression", "filled"),
    [
        ("COALESCE(a, 0) + COALESCE(b, 0)", {"s.a", "s.b"}),  # all missing -> 0
        ("1 + COALESCE(a, 0)", {"s.a"}),  # a constant never stays NULL
        ("(COALESCE(a, 0) + COALESCE(b, 0)) - COALESCE(c, 0)", {"s.a", "s.b", "s.c"}),
        ("p * COALESCE(a, 0)", {"s.a"}),  # a product with 0 is 0, not "no adjustment"
    ],
)
def test_fills_that_can_make_the_result_zero_are_null_to_zero(expression: str, filled: set[str]) -> None:
    facts = _analyse(f"CREATE TABLE t AS SELECT {expression} AS x FROM s").value_facts
    assert {str(f.source) for f in facts if f.op == ValueOp.NULL_TO_ZERO} == filled
