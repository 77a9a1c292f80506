"""The site renderer, without a browser: which files, what each page says, escaping, caps, determinism.

Expected relations, columns and neighbours are read off the example repository's SQL by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from html_helpers import data_file, parse
from site_fixtures import EXAMPLE_REPO, FEATURES, LEAKAGE_PATH, enriched_example, hostile_result, leakage_finding

from lineage_scan import rules
from lineage_scan.api import ScanResult
from lineage_scan.config import Config
from lineage_scan.graph import LineageGraph
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Location, RelationKind
from lineage_scan.report.html import render_site, urls
from lineage_scan.report.html.catalog import Catalog
from lineage_scan.report.html.views import OWN_COLUMN_LIMIT, RELATION_HOP_LIMIT, column_view, relation_view

RELATIONS = {
    "raw.customers", "raw.payments", "raw.subscriptions", "raw.support_tickets", "raw.marketing_touches",
    "staging.stg_customers", "staging.stg_payments", "staging.stg_subscriptions", "staging.stg_support_tickets",
    "staging.stg_failed_payments", "marts.customer_revenue", "marts.customer_subscriptions", "marts.legacy_revenue_v1",
    "ml.churn_features", "ml.churn_labels", "ml.training_set",
}
FEATURE_COLUMNS = [
    "customer_id", "country_code", "tenure_days", "channel_group", "plan_code", "mrr_usd", "subscription_count",
    "lifetime_revenue_usd", "days_since_last_payment", "failed_payment_ratio", "ticket_count_90d", "avg_csat_90d",
    "days_since_cancel",
]


@pytest.fixture(scope="module")
def site() -> dict[str, str]:
    return render_site(enriched_example())


def page(site: dict[str, str], path: str):
    return parse(site[path])


def test_the_site_has_a_page_for_everything(site) -> None:
    relation_pages = {p for p in site if p.startswith("relation/")}
    assert relation_pages == {urls.relation_page(name) for name in RELATIONS}
    sql_files = {str(p.relative_to(EXAMPLE_REPO)) for p in EXAMPLE_REPO.rglob("*.sql")}
    assert {p for p in site if p.startswith("source/")} == {urls.source_page(path) for path in sql_files}
    for path in ("index.html", "search.html", "relations.html", "findings.html", "findings/ls101.html",
                 "diagnostics.html", "owners.html", "models.html", "dags.html", urls.dag_page("nightly"),
                 urls.model_page("python:train.py:train"), "assets/site.css", "assets/site.js", "data/search/keys.js"):
        assert path in site
    assert "rules.html" not in site  # the rules engine exposes no documented rules yet
    assert "tasks.html" not in site  # every task belongs to a DAG


def test_relation_page_shows_columns_owner_tests_and_definition(site) -> None:
    doc = page(site, urls.relation_page(FEATURES))
    table = doc.find_all("table", class_="columns-table")[0]
    assert [row.attrs["id"] for row in table.find_all("tr") if "id" in row.attrs] == [f"c-{c}" for c in FEATURE_COLUMNS]
    facts = doc.find_all("dl", class_="facts")[0].all_text()
    assert "ml-platform" in facts and "dbt_utils.recency" in facts and "table" in facts
    customer_id = doc.by_id("c-customer_id").all_text()
    assert "not_null" in customer_id and "unique" in customer_id and "The customer the features describe." in customer_id
    cancel = doc.by_id("c-days_since_cancel")
    direct = cancel.find_all("td")[-2].find_all("ul")[0].all_text()  # "Computed from", direct part
    assert "marts.customer_subscriptions.cancelled_date" in direct and "(transform)" in direct
    marks = [m.all_text() for m in doc.find_all("mark")]
    assert marks == ["ml.churn_features"]  # the name in CREATE OR REPLACE TABLE ml.churn_features AS, line 3
    upstream = {li.find_all("a")[0].all_text(): li.find_all("span")[0].all_text() for li in doc.by_id("upstream").find_all("li")}
    assert upstream == {  # how many of its columns each feeds directly (copied or computed)
        "staging.stg_customers": "(3 columns)",  # customer_id, country_code, tenure_days
        "marts.customer_subscriptions": "(4 columns)",  # plan_code, mrr_usd, subscription_count, days_since_cancel
        "marts.customer_revenue": "(4 columns)",  # channel_group, lifetime_revenue_usd, days_since_last_payment, failed_payment_ratio
        "staging.stg_failed_payments": "(1 column)",  # failed_payment_ratio
        "staging.stg_support_tickets": "(2 columns)",  # ticket_count_90d, avg_csat_90d
    }
    assert {a.all_text() for a in doc.by_id("downstream").find_all("a")} == {"ml.training_set"}


def test_relation_lineage_at_each_depth(site) -> None:
    doc = page(site, urls.relation_page(FEATURES))
    figure = doc.by_id("fig-rel")
    buttons = {b.attrs["data-depth"]: b for b in figure.find_all("button") if "data-depth" in b.attrs}
    assert set(buttons) == {"1", "2", "3"}
    assert buttons["2"].attrs["aria-pressed"] == "true" and buttons["2"].attrs["data-src"] == ""
    drawn = {g.attrs.get("data-label") or g.find_all("text", class_="name")[0].all_text()
             for g in figure.find_all("g") if "n" in g.classes()}
    depth_one = {FEATURES, "ml.training_set", "marts.customer_revenue", "marts.customer_subscriptions",
                 "staging.stg_customers", "staging.stg_failed_payments", "staging.stg_support_tickets"}
    depth_two = depth_one | {"staging.stg_payments", "raw.marketing_touches", "staging.stg_subscriptions",
                             "raw.customers", "raw.payments", "raw.support_tickets"}
    assert drawn == depth_two
    key, svg = data_file(site[buttons["3"].attrs["data-src"]])
    assert key == buttons["3"].attrs["data-key"]
    names = {n.all_text() for n in parse(svg).find_all("text", class_="name")}
    assert names == depth_two | {"raw.subscriptions"}


def test_findings_page_draws_the_leakage_path(site) -> None:
    finding = leakage_finding()
    doc = page(site, "findings/ls101.html")
    article = doc.by_id(urls.finding_anchor(finding.key))
    assert [li.all_text() for li in article.find_all("ol", class_="path")[0].find_all("li")] == [
        f"{c.table}.{c.column}" for c in LEAKAGE_PATH]
    svg = article.find_all("svg")[0]
    steps = {}  # step number -> (local id of the row, relation.column)
    for box in (g for g in svg.find_all("g") if "n" in g.classes()):
        name = box.find_all("text", class_="name")[0].all_text()
        for index, row in enumerate(t for t in box.find_all("text") if "row" in t.classes()):
            if "data-step" in row.attrs:
                steps[int(row.attrs["data-step"])] = (f"{box.attrs['data-id']}.{index}", f"{name}.{row.all_text()}")
    assert [steps[i][1] for i in sorted(steps)] == [f"{c.table}.{c.column}" for c in LEAKAGE_PATH]
    numbers = sorted(int(t.all_text()) for t in svg.find_all("text", class_="stepno"))
    assert numbers == list(range(1, len(LEAKAGE_PATH) + 1))
    highlighted = {(p.attrs["data-s"], p.attrs["data-t"]) for p in svg.find_all("path") if "hl" in p.classes()}
    consecutive = [(steps[i][0], steps[i + 1][0]) for i in range(1, len(LEAKAGE_PATH))]
    # every step of the path is a highlighted edge, drawn in the direction lineage flows
    assert {frozenset(pair) for pair in highlighted} == {frozenset(pair) for pair in consecutive}
    assert (steps[2][0], steps[1][0]) in highlighted  # churned -> label: label is computed from churned
    assert (steps[3][0], steps[2][0]) in highlighted  # cancelled_date -> churned (CASE condition)
    assert (steps[3][0], steps[4][0]) in highlighted  # cancelled_date -> days_since_cancel


def test_relation_and_model_pages_list_the_finding(site) -> None:
    target = f"findings/ls101.html#{urls.finding_anchor(leakage_finding().key)}"
    for path in (urls.relation_page(FEATURES), urls.relation_page("marts.customer_subscriptions"),
                 urls.model_page("python:train.py:train")):
        assert any(a.attrs.get("href") == f"../{target}" for a in page(site, path).find_all("a")), path
    model = page(site, urls.model_page("python:train.py:train"))
    button = [b for b in model.find_all("button") if "data-highlight" in b.attrs]
    assert len(button) == 1 and len(button[0].attrs["data-highlight"].split()) == len(LEAKAGE_PATH)


def test_model_page(site) -> None:
    doc = page(site, urls.model_page("python:train.py:train"))
    facts = doc.find_all("dl", class_="facts")[0].all_text()
    assert "GradientBoostingClassifier" in facts and "ml.training_set.label" in facts
    sources = {a.all_text() for a in doc.find_all("dl", class_="facts")[0].find_all("div")[4].find_all("a")}
    # tenure_days comes from raw.customers.signup_ts, days_since_cancel from raw.subscriptions.cancelled_at
    assert {"raw.customers", "raw.subscriptions"} <= sources
    assert not {s for s in sources if s.startswith(("staging.", "ml."))}


def test_dag_page(site) -> None:
    doc = page(site, urls.dag_page("nightly"))
    rows = [tr for tr in doc.find_all("tr") if tr.attrs.get("id", "").startswith("t-")]
    assert [r.find_all("th")[0].all_text().split("airflow:")[0] for r in rows] == [  # in the order they run
        "load_raw", "build_staging", "build_marts", "build_features"]
    svg = doc.find_all("svg", class_="graph")[0]
    assert len([p for p in svg.find_all("path") if "depends_on" in p.classes()]) == 3


def test_hostile_names_render_as_text(tmp_path: Path) -> None:
    site = render_site(hostile_result(tmp_path))
    for path, text in site.items():
        if path.endswith(".html"):
            doc = parse(text)
            scripts = doc.find_all("script")
            assert [s.attrs.get("src", "").rsplit("/", 1)[-1] for s in scripts] == ["site.js"], path
            for element in doc.iter():
                assert not [a for a in element.attrs if a.lower().startswith("on")], (path, element.tag)
                for attribute in ("href", "src", "action"):
                    assert not element.attrs.get(attribute, "").strip().lower().startswith("javascript:"), path
            assert "<img" not in text and "<b>" not in text
        elif path != "assets/site.js":
            assert "</script" not in text.lower() and "<img" not in text, path
    relation = next(p for p in site if p.startswith("relation/") and "script" in p)
    text = parse(site[relation]).all_text()
    for shown in ("<script>alert(1)</script>", 'x" onmouseover="alert(2)', "<img src=x onerror=alert(4)>",
                  "javascript:alert(5)", '"><script>alert(6)</script>', "</script><b>bold</b>"):
        assert shown in text
    assert "window.__pwned = 1" in parse(site[urls.source_page("evil.sql")]).all_text()


def test_source_outside_the_root_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.sql").write_text("TOPSECRET\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "ok.sql").write_text("CREATE TABLE ok AS SELECT 1 AS a;\n")
    (root / "link.sql").symlink_to(outside / "secret.sql")
    graph = LineageGraph()
    for index, path in enumerate(("../outside/secret.sql", str(outside / "secret.sql"), "link.sql", "ok.sql")):
        graph.add_relation(f"r{index}", RelationKind.TABLE, Location(path, 1, 1, 1, 5), produced=True)
    site = render_site(ScanResult(root, Config(), [], graph, [], []))
    assert not any("TOPSECRET" in text for text in site.values())
    assert {p for p in site if p.startswith("source/")} == {urls.source_page("ok.sql")}
    assert "source not available" in parse(site[urls.relation_page("r2")]).all_text()


def test_search_index(site) -> None:
    keys = data_file(site["data/search/keys.js"])[1]
    assert {"da", "si", "ca", "ml", "ch", "fe"} <= set(keys)
    entries = data_file(site["data/search/da.js"])[1]
    assert ["c", "ml.churn_features.days_since_cancel", urls.column_url(FEATURES, "days_since_cancel"), "NUMBER"] in entries
    # columns are placed by their own names: churn_features.customer_id is not in the "churn" shard
    assert not [e for e in data_file(site["data/search/ch.js"])[1] if e[1] == f"{FEATURES}.customer_id"]
    assert [e for e in data_file(site["data/search/ch.js"])[1] if e[1] == f"{FEATURES}.channel_group"]
    ml = data_file(site["data/search/ml.js"])[1]
    assert ["o", "ml-platform", f"owners.html#{urls.owner_anchor('ml-platform')}", "owns 1"] in ml
    assert ["r", FEATURES, urls.relation_page(FEATURES), "table"] in ml
    assert any(e[0] == "m" and e[1] == "churn_classifier (python:train.py:train)" for e in data_file(site["data/search/ch.js"])[1])
    assert any(e[0] == "d" and e[1] == "nightly" for e in data_file(site["data/search/ni.js"])[1])
    assert any(e[0] == "t" and e[1] == "airflow:nightly.load_raw" for e in data_file(site["data/search/lo.js"])[1])


def test_large_shards_are_split() -> None:
    graph = LineageGraph()
    graph.add_relation("wide", RelationKind.TABLE, None, produced=True)
    graph.set_columns("wide", tuple(f"fx{i:04d}" for i in range(2000)))
    site = render_site(ScanResult(Path("."), Config(), [], graph, [], []))
    keys = data_file(site["data/search/keys.js"])[1]
    # 2,000 words start "fx": too many for one shard, so they are split by the third character
    assert "fx" not in keys and {"fx0", "fx1"} <= set(keys)
    assert [len(data_file(site[f"data/search/{k}.js"])[1]) for k in ("fx0", "fx1")] == [1000, 1000]
    # columns are placed by their own names: the relation's shard holds the relation only
    assert data_file(site["data/search/wi.js"])[1] == [["r", "wide", urls.relation_page("wide"), "table"]]


def test_neighbourhoods_are_capped() -> None:
    graph = LineageGraph()
    graph.add_relation("hub", RelationKind.TABLE, None, produced=True)
    graph.set_columns("hub", tuple(f"c{i:03d}" for i in range(300)))
    for index in range(500):
        graph.add_edge(ColumnEdge(ColumnRef("hub", "c000"), ColumnRef(f"r{index:03d}", "x"), EdgeKind.IDENTITY,
                                  Certainty.RESOLVED))
    catalog = Catalog(ScanResult(Path("."), Config(), [], graph, [], []))
    drawing = relation_view(catalog, "hub", 1, "")
    relations = [b for b in drawing.boxes if b.kind == "relation"]
    notes = [b for b in drawing.boxes if b.kind == "more"]
    assert len(relations) == 1 + RELATION_HOP_LIMIT
    assert [n.label for n in notes] == [f"+{500 - RELATION_HOP_LIMIT} more"]
    columns = column_view(catalog, "hub", 1, "")
    hub = next(b for b in columns.boxes if b.focus)
    assert len(hub.rows) == OWN_COLUMN_LIMIT + 1 and hub.rows[-1].label == f"+{300 - OWN_COLUMN_LIMIT} more columns"


def test_long_lists_are_paged() -> None:
    graph = LineageGraph()
    for index in range(1100):
        graph.add_relation(f"s{index // 600}.t{index:04d}", RelationKind.TABLE, None, produced=True)
    site = render_site(ScanResult(Path("."), Config(), [], graph, [], []))
    assert {"relations.html", "relations-2.html", "relations-3.html"} <= set(site) and "relations-4.html" not in site
    schemas = parse(site["index.html"]).find_all("section", aria_labelledby="h-schemas")[0]
    schema_links = {a.all_text(): a.attrs["href"] for a in schemas.find_all("a")}
    assert schema_links == {"s0": "relations.html#r-s0.t0000", "s1": "relations-2.html#r-s1.t0600"}
    assert parse(site["relations-2.html"]).by_id("r-s1.t0600")


def test_rules_page_from_the_registry(monkeypatch) -> None:
    class TargetLeakage:
        """## What it does
        Flags a feature computed from the target's sources (`<label>`).

        ## Example
        ```sql
        SELECT '</script>' AS x
        ```
        """

        id = "LS101"
        name = "target-leakage"
        level = "error"

    result = enriched_example()
    monkeypatch.setattr(rules, "RULES", (TargetLeakage,))
    site = render_site(result)
    doc = parse(site["rules.html"])
    article = doc.by_id("rule-LS101")
    assert "target-leakage" in article.all_text()
    assert [h.all_text() for h in article.find_all("h3")] == ["What it does", "Example"]
    assert article.find_all("pre")[0].all_text() == "SELECT '</script>' AS x"
    assert "&lt;/script&gt;" in site["rules.html"]
    assert "target-leakage" in parse(site["findings/ls101.html"]).find_all("h1")[0].all_text()


def test_output_is_deterministic_across_hash_seeds() -> None:
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from site_fixtures import enriched_example; from lineage_scan.report.html import render_site;"
        "files = render_site(enriched_example());"
        "print(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("0", "7", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
        run = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], env=env, capture_output=True,
                             text=True, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1
