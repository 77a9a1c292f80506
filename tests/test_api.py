"""The public Python API: sql_column_lineage() and scan()."""

from __future__ import annotations

import pytest

from lineage_scan import Certainty, ColumnRef, EdgeKind, scan, sql_column_lineage
from lineage_scan.config import ConfigError


def test_sql_column_lineage_returns_sorted_unique_edges_with_locations() -> None:
    sql = "CREATE TABLE mart.totals AS\nSELECT customer_id, SUM(amount) AS total\nFROM sales\nGROUP BY customer_id"
    edges = sql_column_lineage(sql, dialect="postgres")
    assert [str(e) for e in edges] == [
        "sales.amount -> mart.totals.total : aggregate (resolved)",
        "sales.customer_id -> mart.totals.customer_id : group_by (resolved)",
        "sales.customer_id -> mart.totals.customer_id : identity (resolved)",
        "sales.customer_id -> mart.totals.total : group_by (resolved)",
    ]
    total = edges[0].location
    assert (total.path, total.start_line, total.start_col, total.end_line) == ("<sql>", 2, 21, 2)
    group_by = edges[1].location
    assert (group_by.start_line, group_by.start_col) == (4, 10)


def test_schema_expands_stars_and_settles_ambiguity() -> None:
    sql = "SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id"
    schema = {"orders": {"id": "int", "customer_id": "int"}, "customers": ["id", "name"]}
    direct = {str(e) for e in sql_column_lineage(sql, schema=schema) if e.kind.is_direct}
    assert direct == {
        "orders.id -> __query__.id : identity (resolved)",
        "customers.id -> __query__.id : identity (resolved)",
        "orders.customer_id -> __query__.customer_id : identity (resolved)",
        "customers.name -> __query__.name : identity (resolved)",
    }
    ambiguous = sql_column_lineage("SELECT name FROM orders JOIN customers ON orders.cid = customers.id")
    name = next(e for e in ambiguous if e.kind == EdgeKind.IDENTITY)
    assert name.source == ColumnRef(None, "name")
    assert name.certainty == Certainty.AMBIGUOUS
    assert name.candidates == ("customers", "orders")


def test_unknown_dialect_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        sql_column_lineage("select 1", dialect="no-such-dialect")


def test_scan_links_files_and_uses_config(make_repo) -> None:
    root = make_repo({
        "lineage-scan.yml": "dialect: postgres\ndefault_schema: analytics\n",
        "a.sql": "CREATE TABLE orders AS SELECT id, amount FROM raw_orders;",
        "b.sql": "CREATE VIEW order_totals AS SELECT id, amount * 2 AS doubled FROM analytics.orders;",
    })
    result = scan(root)
    graph = result.graph
    assert "analytics.orders" in graph.relations()
    assert graph.upstream(ColumnRef("analytics.order_totals", "doubled")) == [
        ColumnRef("analytics.orders", "amount"),
        ColumnRef("analytics.raw_orders", "amount"),
    ]


def test_unqualified_read_meets_the_single_qualified_writer(make_repo) -> None:
    root = make_repo({
        "a.sql": "CREATE TABLE staging.orders AS SELECT id FROM raw.orders;",
        "b.sql": "CREATE TABLE marts.x AS SELECT id FROM orders;",
    })
    graph = scan(root).graph
    assert graph.upstream(ColumnRef("marts.x", "id")) == [ColumnRef("raw.orders", "id"), ColumnRef("staging.orders", "id")]
    assert "orders" not in graph.relations()


def test_scan_rejects_bad_config(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "dialect: [1, 2]\n"})
    with pytest.raises(ConfigError):
        scan(root)
    with pytest.raises(ConfigError):
        scan(root, {"dialect": "klingon"})


def test_schema_file_outside_the_root_is_refused(make_repo, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "schema.yml"
    outside.write_text("t: [a]\n")
    root = make_repo({"lineage-scan.yml": f"schema_file: ../{outside.parent.name}/schema.yml\n"})
    with pytest.raises(ConfigError, match="outside"):
        scan(root)


@pytest.mark.parametrize(("value", "expected"), [("2.5", 2.5), ("0", None), ("null", None), ("30", 30.0)])
def test_statement_timeout_setting(make_repo, value, expected) -> None:
    root = make_repo({"lineage-scan.yml": f"statement_timeout_seconds: {value}\n"})
    assert scan(root).config.statement_timeout_seconds == expected


@pytest.mark.parametrize("value", ["-1", "soon", "true", "[1]"])
def test_bad_statement_timeout_is_a_config_error(make_repo, value) -> None:
    root = make_repo({"lineage-scan.yml": f"statement_timeout_seconds: {value}\n"})
    with pytest.raises(ConfigError, match="statement_timeout_seconds"):
        scan(root)
