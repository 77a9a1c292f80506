"""The query layer behind the MCP server, on small graphs built by hand and on the example repository."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from repo_paths import EXAMPLE_REPO

from lineage_scan import explore, scan
from lineage_scan.config import Config
from lineage_scan.graph import LineageGraph
from lineage_scan.model import (
    ColumnEdge,
    ColumnMeta,
    ColumnRef,
    EdgeKind,
    Finding,
    Location,
    MLModelDef,
    PathStep,
    RelatedLocation,
    RelationKind,
    RelationMeta,
    TaskDef,
)
from lineage_scan.model import Severity as Level


@dataclass
class FakeResult:
    """Stands in for ScanResult: what the query layer reads."""

    graph: LineageGraph
    findings: list = field(default_factory=list)
    root: Path = Path("repo")
    config: Config = field(default_factory=Config)
    files: list = field(default_factory=list)
    fragments: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)


def at(path: str, line: int) -> Location:
    return Location(path, line, 1, line, 10)


def edge(source: str, target: str, kind: EdgeKind, where: Location) -> ColumnEdge:
    (st, sc), (tt, tc) = source.rsplit(".", 1), target.rsplit(".", 1)
    return ColumnEdge(ColumnRef(st, sc), ColumnRef(tt, tc), kind, location=where)


@pytest.fixture
def shop() -> FakeResult:
    """raw.orders -> staging.orders -> mart.revenue -> a churn model, with owners, tests and docs."""
    g = LineageGraph()
    g.add_relation("raw.orders", RelationKind.TABLE, at("raw.sql", 1), produced=True, declared=True)
    g.set_columns("raw.orders", ("id", "amount", "status", "customer_id"))
    g.add_relation("staging.orders", RelationKind.VIEW, at("staging.sql", 1), produced=True)
    g.add_relation("mart.revenue", RelationKind.TABLE, at("mart.sql", 1), produced=True)
    for e in (
        edge("raw.orders.amount", "staging.orders.amount_usd", EdgeKind.TRANSFORM, at("staging.sql", 3)),
        edge("raw.orders.status", "staging.orders.amount_usd", EdgeKind.FILTER, at("staging.sql", 5)),
        edge("raw.orders.customer_id", "staging.orders.customer_id", EdgeKind.IDENTITY, at("staging.sql", 2)),
        edge("raw.orders.status", "staging.orders.customer_id", EdgeKind.FILTER, at("staging.sql", 5)),
        edge("staging.orders.amount_usd", "mart.revenue.revenue", EdgeKind.AGGREGATE, at("mart.sql", 3)),
        edge("staging.orders.customer_id", "mart.revenue.revenue", EdgeKind.GROUP_BY, at("mart.sql", 6)),
        edge("staging.orders.customer_id", "mart.revenue.customer_id", EdgeKind.IDENTITY, at("mart.sql", 2)),
    ):
        g.add_edge(e)
    g.add_metadata(RelationMeta("mart.revenue", description="Revenue per customer", owners=("finance@acme.test",),
                                tests=("unique_customer_id",),
                                columns=(ColumnMeta("revenue", "Sum of paid orders, USD", "numeric", ("not_null",)),)))
    g.add_metadata(RelationMeta("staging.orders", owners=("data-eng",)))
    g.add_task(TaskDef("dbt:shop.revenue", "model", "revenue", at("mart.sql", 1), ("staging.orders",), ("mart.revenue",),
                       attributes=(("owner", "analytics-oncall"),)))
    g.add_ml_model(MLModelDef("python:train.py:fit", "churn", at("train.py", 9),
                              features=(ColumnRef("mart.revenue", "revenue"),), target=ColumnRef("raw.orders", "status"),
                              estimator="LogisticRegression"))
    return FakeResult(g)


def test_pagination_walks_every_item_once() -> None:
    items = list(range(7))
    first = explore.paginate(items, limit=3)
    second = explore.paginate(items, limit=3, cursor=first["next_cursor"])
    third = explore.paginate(items, limit=3, cursor=second["next_cursor"])
    assert (first["items"], second["items"], third["items"]) == ([0, 1, 2], [3, 4, 5], [6])
    assert (first["total"], third["next_cursor"]) == (7, None)
    for bad in ({"cursor": "x"}, {"cursor": "99"}, {"cursor": "\u00b2"}, {"limit": 0}, {"limit": explore.MAX_LIMIT + 1}):
        with pytest.raises(explore.QueryError):
            explore.paginate(items, **bad)


def test_column_names_resolve_exactly_then_ignoring_case_with_hints(shop) -> None:
    assert explore.resolve_column(shop.graph, "mart.revenue.revenue") == ColumnRef("mart.revenue", "revenue")
    assert explore.resolve_column(shop.graph, "MART.Revenue.REVENUE") == ColumnRef("mart.revenue", "revenue")
    with pytest.raises(explore.QueryError, match="did you mean: mart.revenue.revenue"):
        explore.resolve_column(shop.graph, "mart.revenu.revenue")


def test_search_ranks_exact_then_prefix_then_substring_then_description(shop) -> None:
    names = [(i["type"], i.get("name") or i.get("id")) for i in explore.search(shop, "revenue")["items"]]
    assert names == [
        ("relation", "mart.revenue"), ("column", "mart.revenue.revenue"),   # exact (last segment)
        ("task", "dbt:shop.revenue"),                                       # exact task name
        ("column", "mart.revenue.customer_id"),                             # substring of the full name
    ]
    assert explore.search(shop, "finance", types=["owner"])["items"] == [
        {"type": "owner", "name": "finance@acme.test", "relations": ["mart.revenue"]}
    ]
    assert [i["name"] for i in explore.search(shop, "paid orders")["items"]] == ["mart.revenue.revenue"]
    assert explore.search(shop, "churn", types=["ml_model"])["items"] == [
        {"type": "ml_model", "id": "python:train.py:fit", "name": "churn"}
    ]
    with pytest.raises(explore.QueryError):
        explore.search(shop, "x", types=["table"])


def test_describe_relation_and_column_with_owners_tests_and_locations(shop) -> None:
    relation = explore.describe(shop, "mart.revenue")
    assert relation["owners"] == ["finance@acme.test"] and relation["tests"] == ["unique_customer_id"]
    assert relation["description"] == "Revenue per customer"
    assert relation["defined_at"] == ["mart.sql:1:1"]
    assert relation["column_docs"] == {"revenue": {"description": "Sum of paid orders, USD", "data_type": "numeric", "tests": ["not_null"]}}
    assert (relation["written_by"], relation["ml_models"], relation["upstream_relations"]) == (
        ["dbt:shop.revenue"], ["python:train.py:fit"], ["staging.orders"])
    column = explore.describe(shop, "mart.revenue.revenue")
    assert column["defined_at"] == ["mart.sql:3:1"]          # the SUM, not the GROUP BY
    assert (column["owners"], column["tests"], column["direct_sources"]) == (["finance@acme.test"], ["not_null"], 2)
    assert column["ml_models"] == [{"id": "python:train.py:fit", "name": "churn", "features": ["mart.revenue.revenue"]}]
    assert explore.describe(shop, "churn")["estimator"] == "LogisticRegression"
    assert explore.describe(shop, "dbt:shop.revenue")["attributes"] == {"owner": "analytics-oncall"}
    with pytest.raises(explore.QueryError, match="unknown relation, column, task or ML model"):
        explore.describe(shop, "nothing.here")


def test_lineage_reports_depth_kinds_location_and_directness(shop) -> None:
    up = explore.lineage(shop, "mart.revenue.revenue", "upstream")
    assert [(i["column"], i["depth"], i["via"], i["direct"]) for i in up["items"]] == [
        ("staging.orders.amount_usd", 1, ["aggregate"], True),
        ("staging.orders.customer_id", 1, ["group_by"], False),
        ("raw.orders.amount", 2, ["transform"], True),
        ("raw.orders.customer_id", 2, ["identity"], False),
        ("raw.orders.status", 2, ["filter"], False),
    ]
    assert up["items"][0]["at"] == "mart.sql:3:1"
    direct = explore.lineage(shop, "mart.revenue.revenue", "upstream", direct_only=True)
    assert [i["column"] for i in direct["items"]] == ["staging.orders.amount_usd", "raw.orders.amount"]
    assert [i["column"] for i in explore.lineage(shop, "mart.revenue.revenue", "upstream", depth=1)["items"]] == [
        "staging.orders.amount_usd", "staging.orders.customer_id"]
    down = explore.lineage(shop, "raw.orders.status", "downstream")
    assert {i["column"] for i in down["items"]} == {
        "staging.orders.amount_usd", "staging.orders.customer_id", "mart.revenue.revenue", "mart.revenue.customer_id"}
    assert down["ml_models"] == [{"id": "python:train.py:fit", "name": "churn", "features": ["mart.revenue.revenue"],
                                  "target": ["raw.orders.status"]}]


def test_impact_lists_code_sites_models_owners_and_tasks(shop) -> None:
    answer = explore.impact(shop, "raw.orders.customer_id", change="drop")
    assert answer["referenced_in"] == [{"path": "staging.sql", "lines": [2]}]
    assert [r["name"] for r in answer["relations"]] == ["mart.revenue", "staging.orders"]
    assert answer["owners"] == ["analytics-oncall", "data-eng", "finance@acme.test"]
    assert answer["tasks_to_rerun"] == ["dbt:shop.revenue"]
    assert answer["ml_models"] == [{"id": "python:train.py:fit", "name": "churn", "features": ["mart.revenue.revenue"]}]
    assert answer["summary"].startswith("1 place(s) in 1 file(s) name this column and will fail; 2 downstream")
    assert answer["downstream"]["total"] == 3
    assert "will fail" not in explore.impact(shop, "raw.orders.customer_id")["summary"]


def test_findings_are_filtered_by_rule_severity_and_path(shop) -> None:
    shop.findings = [
        Finding("LS101", "LS101|a|b", Level.ERROR, "feature reaches the label", at("features/f.sql", 4),
                related=(RelatedLocation("the label", at("labels.sql", 2)),),
                path=(PathStep("label", at("labels.sql", 2), ColumnRef("labels", "y")),
                      PathStep("feature", at("features/f.sql", 4), ColumnRef("features", "x")))),
        Finding("LS201", "LS201|old", Level.WARNING, "orphan table", at("marts/old.sql", 1)),
        Finding("LS201", "LS201|tmp", Level.WARNING, "orphan table", at("features/tmp.sql", 1)),
    ]
    everything = explore.findings(shop)
    assert everything["total"] == 3
    assert everything["items"][0] == {
        "rule": "LS101", "level": "error", "message": "feature reaches the label", "location": "features/f.sql:4:1",
        "related": ["labels.sql:2:1"], "path": ["labels.y", "features.x"], "key": "LS101|a|b",
    }
    assert [i["key"] for i in explore.findings(shop, rule="ls201")["items"]] == ["LS201|tmp", "LS201|old"]
    assert [i["key"] for i in explore.findings(shop, severity="error")["items"]] == ["LS101|a|b"]
    assert [i["key"] for i in explore.findings(shop, path="features/")["items"]] == ["LS101|a|b", "LS201|tmp"]
    assert [i["key"] for i in explore.findings(shop, path="*/old.sql")["items"]] == ["LS201|old"]
    assert explore.overview(shop)["findings"] == {"LS101": 1, "LS201": 2}


def test_upstream_of_a_feature_in_the_example_repo() -> None:
    result = scan(EXAMPLE_REPO)
    direct = explore.lineage(result, "ml.churn_features.days_since_cancel", "upstream", direct_only=True)
    assert [(i["column"], i["depth"]) for i in direct["items"]] == [
        ("marts.customer_subscriptions.cancelled_date", 1),
        ("staging.stg_subscriptions.cancelled_date", 2),
        ("raw.subscriptions.cancelled_at", 3),
    ]
