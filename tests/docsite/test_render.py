"""The site renderer, without a browser: which files, what each page says, escaping, caps, determinism.

Expected relations, columns, neighbours, owners, tests and findings are read off the example
repository's SQL, dbt YAML, DAG files and lineage-scan.yml by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from html_helpers import data_file, parse
from site_fixtures import (
    CHURN_MODEL,
    DBT_MODEL,
    EXAMPLE_REPO,
    FEATURES,
    LEAKAGE_COLUMNS,
    LEAKAGE_KEY,
    LEAKAGE_PATH,
    TRAINING,
    example_result,
    hostile_result,
)

from lineage_scan.api import ScanResult
from lineage_scan.config import Config
from lineage_scan.graph import LineageGraph
from lineage_scan.model import (
    Certainty,
    ColumnEdge,
    ColumnRef,
    EdgeKind,
    Finding,
    Location,
    PathStep,
    RelationKind,
    Severity,
)
from lineage_scan.report.html import findings as site_findings
from lineage_scan.report.html import render_site, urls
from lineage_scan.report.html.catalog import Catalog
from lineage_scan.report.html.docs import inline
from lineage_scan.report.html.views import (
    OWN_COLUMN_LIMIT,
    RELATION_HOP_LIMIT,
    column_view,
    finding_view,
    relation_view,
)
from lineage_scan.rules import RULES, Rule

WAREHOUSE_RELATIONS = {
    "raw.crm_contacts", "raw.customers", "raw.payments", "raw.subscriptions", "raw.support_tickets",
    "raw.marketing_touches",  # read by customer_revenue.sql, created nowhere
    "staging.stg_customers", "staging.stg_payments", "staging.stg_subscriptions", "staging.stg_support_tickets",
    "staging.stg_failed_payments",  # the statement after the broken one in warehouse/broken/bad_syntax.sql
    "marts.customer_revenue", "marts.customer_subscriptions", "marts.legacy_revenue_v1", "marts.monthly_revenue",
    "ml.churn_features", "ml.churn_labels", "ml.training_set",
}
AIRFLOW_RELATIONS = {
    "ml.training_set_snapshots",  # snapshot_training_set's inline INSERT
    "snowflake://acme/analytics/ml/training_set",  # the Dataset append_training_set updates
    "s3://acme-ml/models/churn/model.joblib",  # train_churn_model's outlet
    "s3://acme-ml/scores/churn_scores.parquet",  # the @asset
}
DBT_RELATIONS = {  # target prod: custom schemas as they are (generate_schema_name); legacy_arpu is disabled
    "stg.stg_customers", "stg.stg_payments", "stg.stg_subscriptions", "stg.stg_support_tickets",
    "int.int_payments_by_customer", "int.int_subscription_periods", "int.int_ticket_stats",
    "core.customer_subscriptions", "core.dim_customers", "core.fct_payments", "core.mrr_by_month", "core.ticket_priorities",
    "ml_features.churn_features", "ml_features.churn_labels", "ml_features.churn_training_set",
    "ref_data.country_regions", "ref_data.plan_catalog", "snapshots.subscriptions_snapshot",
}  # its sources are raw.customers, raw.payments, raw.subscriptions, raw.support_tickets: warehouse tables too
RELATIONS = WAREHOUSE_RELATIONS | AIRFLOW_RELATIONS | DBT_RELATIONS
DIM_CUSTOMERS_COLUMNS = [  # in the order of its SELECT
    "customer_id", "email", "signup_date", "acquisition_channel", "channel_group", "region", "payment_count",
    "lifetime_revenue_usd", "last_payment_at",
]
FINDING_RULES = {"LS101", "LS201", "LS202", "LS203", "LS301", "LS302", "LS401"}  # example_repo_findings.txt
DBT_MODEL_ID = "dbt:churn.exposure.churn_model"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return example_result()


@pytest.fixture(scope="module")
def site(result) -> dict[str, str]:
    return render_site(result)


def page(site: dict[str, str], path: str):
    return parse(site[path])


def test_the_site_has_a_page_for_everything(site, result) -> None:
    relation_pages = {p for p in site if p.startswith("relation/")}
    assert relation_pages == {urls.relation_page(name) for name in result.graph.relations()}
    assert {urls.relation_page(name) for name in RELATIONS} <= relation_pages
    defining = {  # every file a relation, task or ML model is defined in gets a source page
        *(str(p.relative_to(EXAMPLE_REPO)) for p in (EXAMPLE_REPO / "warehouse").rglob("*.sql")),
        *(str(p.relative_to(EXAMPLE_REPO)) for p in (EXAMPLE_REPO / "dbt" / "models").rglob("*.sql")
          if p.name != "legacy_arpu.sql"),
        "dbt/snapshots/subscriptions_snapshot.sql", "dbt/seeds/country_regions.csv", "dbt/seeds/plan_catalog.csv",
        "dbt/models/staging/_sources.yml",  # the sources
        "dbt/models/features/_features.yml",  # the churn_model exposure
        "airflow/dags/warehouse_nightly.py", "airflow/dags/churn_training.py", "lineage-scan.yml",
    }
    sources = {p for p in site if p.startswith("source/")}
    assert {urls.source_page(path) for path in defining} <= sources
    assert urls.source_page("dbt/models/marts/legacy_arpu.sql") not in sources  # disabled: defines nothing
    assert urls.source_page("dbt/macros/money.sql") not in sources  # nothing is defined in a macro file
    for path in ("index.html", "search.html", "relations.html", "findings.html", "rules.html", "diagnostics.html",
                 "owners.html", "models.html", "dags.html", "tasks.html", "assets/site.css", "assets/site.js",
                 "data/search/keys.js", urls.model_page(CHURN_MODEL), urls.model_page(DBT_MODEL_ID),
                 *(urls.dag_page(d) for d in ("warehouse_nightly", "churn_training", "churn_scores")),
                 *(urls.findings_page(rule) for rule in FINDING_RULES)):
        assert path in site, path
    # dbt models are tasks outside any DAG: they are listed on tasks.html, the Airflow tasks on their DAG pages
    tasks = {tr.attrs["id"] for tr in page(site, "tasks.html").find_all("tr") if "id" in tr.attrs}
    assert urls.task_anchor("dbt:churn.dim_customers") in tasks
    assert not [t for t in tasks if t.startswith("t-airflow")]


def test_dbt_relation_page_shows_columns_owners_tests_and_definition(site) -> None:
    doc = page(site, urls.relation_page(DBT_MODEL))
    table = doc.find_all("table", class_="columns-table")[0]
    assert [row.attrs["id"] for row in table.find_all("tr") if "id" in row.attrs] == [f"c-{c}" for c in DIM_CUSTOMERS_COLUMNS]
    facts = doc.find_all("dl", class_="facts")[0]
    owners = {a.all_text() for a in facts.find_all("a") if a.attrs["href"].startswith("../owners.html#")}
    # dbt_project.yml: `models: churn: +meta: owner`; .github/CODEOWNERS: /dbt/ @acme/analytics-engineering
    assert owners == {"analytics-engineering@example.com", "@acme/analytics-engineering"}
    text = facts.all_text()
    assert "dbt_utils.expression_is_true" in text and "table" in text  # _marts.yml model test; marts: +materialized
    customer_id = doc.by_id("c-customer_id").all_text()
    assert "unique" in customer_id and "not_null" in customer_id
    assert "relationships" in doc.by_id("c-region").all_text()
    assert "paid or organic." in doc.by_id("c-channel_group").all_text()
    revenue = doc.by_id("c-lifetime_revenue_usd")
    direct = revenue.find_all("td")[-2].find_all("ul")[0].all_text()  # "Computed from", direct part
    assert "int.int_payments_by_customer.lifetime_revenue_usd" in direct and "(transform)" in direct  # coalesce(x, 0)
    upstream = {li.find_all("a")[0].all_text(): li.find_all("span")[0].all_text() for li in doc.by_id("upstream").find_all("li")}
    assert upstream == {  # how many of its columns each feeds directly (copied or computed)
        "stg.stg_customers": "(4 columns)",  # customer_id, email, signup_date, acquisition_channel (channel_group: CASE condition)
        "ref_data.country_regions": "(1 column)",  # region
        "int.int_payments_by_customer": "(3 columns)",  # payment_count, lifetime_revenue_usd, last_payment_at
    }
    assert {a.all_text() for a in doc.by_id("downstream").find_all("a")} == {"ml_features.churn_features"}
    findings = [a.all_text() for a in doc.find_all("section", class_="findings-box")[0].find_all("a")]
    assert [f.split(":")[0] for f in findings] == ["LS401"]  # coalesce(payments.lifetime_revenue_usd, 0), line 24
    # the definition: the model's file, from its first line (the query is the whole file)
    assert doc.find_all("a", href=f"../{urls.source_page('dbt/models/marts/dim_customers.sql')}#L1")


def test_relation_lineage_at_each_depth(site) -> None:
    doc = page(site, urls.relation_page(FEATURES))
    figure = doc.by_id("fig-rel")
    buttons = {b.attrs["data-depth"]: b for b in figure.find_all("button") if "data-depth" in b.attrs}
    assert set(buttons) == {"1", "2", "3"}
    assert buttons["2"].attrs["aria-pressed"] == "true" and buttons["2"].attrs["data-src"] == ""
    drawn = {g.attrs.get("data-label") or g.find_all("text", class_="name")[0].all_text()
             for g in figure.find_all("g") if "n" in g.classes()}
    depth_one = {FEATURES, TRAINING, "marts.customer_revenue", "marts.customer_subscriptions",
                 "staging.stg_customers", "staging.stg_failed_payments", "staging.stg_support_tickets",
                 # read by ml/features.py's FEATURES_SQL: scored by ml/score.py, trained on by ml/train.py
                 "ml.churn_scores", "python:ml/train.py:train_churn_model.X_train",
                 # joined into the upsell model's training set for mrr_usd
                 "ml.upsell_training_set"}
    depth_two = depth_one | {"staging.stg_payments", "raw.marketing_touches", "staging.stg_subscriptions",
                             "raw.customers", "raw.payments", "raw.support_tickets",
                             # downstream of ml.training_set: the DAG's snapshot copy, and the Dataset whose URI
                             # names the table (snowflake://acme/analytics/ml/training_set)
                             "ml.training_set_snapshots", "snowflake://acme/analytics/ml/training_set",
                             # and the CSV the notebook writes from ml.training_set
                             "reports/churn_by_plan.csv"}
    assert drawn == depth_two
    key, svg = data_file(site[buttons["3"].attrs["data-src"]])
    assert key == buttons["3"].attrs["data-key"]
    names = {g.attrs.get("data-label") or g.find_all("text", class_="name")[0].all_text()
             for g in parse(svg).find_all("g") if "n" in g.classes()}
    assert names == depth_two | {"raw.subscriptions"}


def _path_items(article):
    return article.find_all("ol", class_="path")[0].find_all("li")


def test_findings_page_lists_and_draws_the_leakage_path(site) -> None:
    doc = page(site, "findings/ls101.html")
    assert "target-leakage" in doc.find_all("h1")[0].all_text()
    article = doc.by_id(urls.finding_anchor(LEAKAGE_KEY))
    assert "error" in article.find_all("h2")[0].all_text()
    items = _path_items(article)
    assert [li.find_all("a", class_="step-col")[0].all_text() for li in items] == list(LEAKAGE_COLUMNS)
    assert [li.find_all("a", class_="loc")[0].attrs["href"] for li in items] == [
        f"../{urls.source_page(path)}#L{line}" for _, path, line in LEAKAGE_PATH]
    related = article.find_all("ul", class_="related")[0].find_all("li")
    # where the target is derived from cancelled_date (the CASE), and where the model is declared
    assert [li.find_all("a", class_="loc")[0].all_text() for li in related] == [
        "warehouse/features/churn_labels.sql:8", "lineage-scan.yml:11"]
    where = article.find_all("table", class_="kv")[0].find_all("a", class_="loc")[0]
    assert where.attrs["href"] == f"../{urls.source_page('warehouse/features/churn_features.sql')}#L34"
    svg = article.find_all("svg")[0]
    steps = {}  # step number -> (local id of the row, relation.column)
    for box in (g for g in svg.find_all("g") if "n" in g.classes()):
        name = box.find_all("text", class_="name")[0].all_text()
        for index, row in enumerate(t for t in box.find_all("text") if "row" in t.classes()):
            if "data-step" in row.attrs:
                steps[int(row.attrs["data-step"])] = (f"{box.attrs['data-id']}.{index}", f"{name}.{row.all_text()}")
    assert [steps[i][1] for i in sorted(steps)] == list(LEAKAGE_COLUMNS)
    numbers = sorted(int(t.all_text()) for t in svg.find_all("text", class_="stepno"))
    assert numbers == list(range(1, len(LEAKAGE_PATH) + 1))
    highlighted = {(p.attrs["data-s"], p.attrs["data-t"]) for p in svg.find_all("path") if "hl" in p.classes()}
    consecutive = [(steps[i][0], steps[i + 1][0]) for i in range(1, len(LEAKAGE_PATH))]
    # every hop of the path is a highlighted edge, drawn in the direction lineage flows
    assert {frozenset(pair) for pair in highlighted} == {frozenset(pair) for pair in consecutive}
    assert (steps[2][0], steps[1][0]) in highlighted  # churned -> label: label is computed from churned
    assert (steps[3][0], steps[2][0]) in highlighted  # cancelled_date -> churned (CASE condition)
    assert (steps[3][0], steps[4][0]) in highlighted  # cancelled_date -> days_since_cancel
    assert (steps[4][0], steps[5][0]) in highlighted  # copied into the training set


def test_a_path_through_one_column_is_listed_not_drawn(site) -> None:
    # LS401 on failed_payment_ratio: step 1 is the COALESCE (NULL becomes 0), step 2 the division by
    # NULLIF(r.payment_count, 0) in the same expression, line 30: one column, two steps, nothing to draw.
    doc = page(site, "findings/ls401.html")
    article = doc.by_id(urls.finding_anchor("LS401|ml.churn_features.failed_payment_ratio"))
    items = _path_items(article)
    assert [li.find_all("a", class_="step-col")[0].all_text() for li in items] == [
        "ml.churn_features.failed_payment_ratio"] * 2
    assert "divides or averages the filled value" in items[1].all_text()
    assert article.find_all("svg") == []


def test_a_step_that_revisits_a_column_is_numbered_twice() -> None:
    graph = LineageGraph()
    for name in ("t", "u"):
        graph.add_relation(name, RelationKind.TABLE, None, produced=True)
    graph.add_edge(ColumnEdge(ColumnRef("t", "r"), ColumnRef("u", "r"), EdgeKind.IDENTITY, Certainty.RESOLVED))
    here = Location("x.sql", 1, 1, 1, 5)
    finding = Finding("LS401", "LS401|t.r", Severity.WARNING, "r", here, path=(
        PathStep("NULL becomes 0 in t.r", here, ColumnRef("t", "r")), PathStep("t.r divides it", here, ColumnRef("t", "r")),
        PathStep("a Python call", None), PathStep("u.r is copied from t.r", here, ColumnRef("u", "r"))))
    catalog = Catalog(ScanResult(Path("."), Config(), [], graph, [], [], findings=[finding]))
    drawing = finding_view(catalog, catalog.findings[0], "", "f0")
    steps = {f"{box.title}.{row.title}": row.steps for box in drawing.boxes for row in box.rows}
    assert steps == {"t.r": (1, 2), "u.r": (4,)}  # numbered as listed; the step without a column is not drawn
    assert [(e.source, e.target, e.highlighted) for e in drawing.edges] == [("b0.0", "b1.0", True)]


def test_suppressed_findings_say_by_what(site) -> None:
    doc = page(site, "findings/ls201.html")
    article = doc.by_id(urls.finding_anchor("LS201|marts.monthly_revenue"))
    assert "suppressed" in article.classes()
    row = next(tr for tr in article.find_all("tr") if tr.find_all("th")[0].all_text() == "Suppressed")
    text = row.all_text()
    # the comment on line 3 of monthly_revenue.sql, with the reason written after it
    assert "warehouse/marts/monthly_revenue.sql:3" in text and "read by the finance dashboard in Looker" in text
    counts = page(site, "findings.html").find_all("table")[0]
    ls201 = next(tr for tr in counts.find_all("tr") if tr.find_all("th")[0].all_text().startswith("LS201"))
    # six open orphans (warning; ml.churn_scores from ml/score.py the sixth) and the suppressed one;
    # levels, then suppressed, then open
    assert [td.all_text() for td in ls201.find_all("td")] == ["0", "6", "0", "1", "6"]


def test_relation_and_model_pages_list_the_finding(site) -> None:
    target = f"findings/ls101.html#{urls.finding_anchor(LEAKAGE_KEY)}"
    for name in (TRAINING, "ml.churn_labels", "marts.customer_subscriptions", FEATURES):  # the tables of its path
        assert any(a.attrs.get("href") == f"../{target}" for a in page(site, urls.relation_page(name)).find_all("a")), name
    orphan = f"findings/ls201.html#{urls.finding_anchor('LS201|core.fct_payments')}"  # named by its key alone
    assert any(a.attrs.get("href") == f"../{orphan}" for a in page(site, urls.relation_page("core.fct_payments")).find_all("a"))
    model = page(site, urls.model_page(CHURN_MODEL))
    assert any(a.attrs.get("href") == f"../{target}" for a in model.find_all("a"))
    buttons = {b.all_text().split(":")[1].strip(): b for b in model.find_all("button") if "data-highlight" in b.attrs}
    # LS101 only: LS401 on ticket_count_90d names the nearest feature it reaches, ml.churn_features.ticket_count_90d
    # of the model ml/train.py trains, whose page lists it beside both LS101 findings (its own, and the config
    # model's, whose path goes through its feature ml.churn_features.days_since_cancel)
    assert sorted(buttons) == ["LS101"]
    assert len(buttons["LS101"].attrs["data-highlight"].split()) == len(LEAKAGE_PATH)
    # and the fillna(0) of ml/features.py, whose filled column is its feature X_train.failed_payment_ratio
    python = page(site, urls.model_page("python:ml/train.py:train_churn_model#model"))
    assert sorted(b.all_text().split(":")[1].strip() for b in python.find_all("button") if "data-highlight" in b.attrs) == [
        "LS101", "LS101", "LS401", "LS401"]


def test_model_pages(site) -> None:
    doc = page(site, urls.model_page(CHURN_MODEL))
    facts = doc.find_all("dl", class_="facts")[0]
    fields = {div.find_all("dt")[0].all_text(): div.find_all("dd")[0] for div in facts.find_all("div")}
    assert fields["Trained on"].all_text() == TRAINING  # relation: ml.training_set; its columns by name below
    assert fields["Target"].all_text() == "label"
    assert fields["Target"].find_all("a")[0].attrs["href"] == f"../{urls.column_url(TRAINING, 'label')}"
    # features: "*" in lineage-scan.yml, so every column but the target, its date and the key
    assert [a.all_text() for a in fields["Features"].find_all("a")] == [
        "tenure_days", "plan_code", "mrr_usd", "lifetime_revenue_usd", "days_since_last_payment", "failed_payment_ratio",
        "ticket_count_90d", "avg_csat_90d", "days_since_cancel"]
    assert "lineage-scan.yml:11" in fields["Defined in"].all_text()
    assert fields["Keys"].all_text() == "customer_id"  # keys: [customer_id]
    assert fields["Prediction time"].all_text() == "label_date"  # prediction_time: label_date
    sources = {a.all_text() for a in fields["Upstream sources"].find_all("a")}
    # the landing tables the features and label come from, and the table customer_revenue joins for
    # first-touch campaigns (its join keys decide which rows of lifetime_revenue_usd there are)
    assert sources == {"raw.customers", "raw.payments", "raw.subscriptions", "raw.support_tickets", "raw.marketing_touches"}
    exposure = page(site, urls.model_page(DBT_MODEL_ID))
    fields = {div.find_all("dt")[0].all_text(): div.find_all("dd")[0]
              for div in exposure.find_all("dl", class_="facts")[0].find_all("div")}
    assert fields["Estimator"].all_text() == "xgboost.XGBClassifier"  # meta.estimator
    assert fields["Trained on"].all_text() == "ml_features.churn_training_set"  # depends_on
    assert fields["Target"].all_text() == "churned"  # meta.target
    # f.* of churn_features, without customer_id and label_date (meta.exclude) and the target
    assert len(fields["Features"].find_all("a")) == 12
    assert "dbt/models/features/_features.yml" in fields["Defined in"].all_text()
    assert "Keys" not in fields and "Prediction time" not in fields  # the exposure declares neither


def test_dag_page(site) -> None:
    doc = page(site, urls.dag_page("warehouse_nightly"))
    rows = [tr for tr in doc.find_all("tr") if tr.attrs.get("id", "").startswith("t-")]
    assert [r.find_all("code")[0].all_text().removeprefix("airflow:warehouse_nightly.") for r in rows] == [  # run order
        "start",
        "staging.stg_customers", "staging.stg_payments", "staging.stg_subscriptions", "staging.stg_support_tickets",
        "marts.customer_revenue", "marts.customer_subscriptions",
        "churn_features", "churn_labels", "append_training_set", "snapshot_training_set",
    ]
    svg = doc.find_all("svg", class_="graph")[0]
    # start >> staging (4) >> marts (4 x 2) >> [features, labels] (2 x 2) >> append (2) >> snapshot (1)
    assert len([p for p in svg.find_all("path") if "depends_on" in p.classes()]) == 19
    append = doc.by_id(urls.task_anchor("airflow:warehouse_nightly.append_training_set"))
    writes = {a.all_text() for a in append.find_all("td")[4].find_all("a")}
    assert {TRAINING, "snowflake://acme/analytics/ml/training_set"} <= writes  # its SQL file, and its outlet


def test_rules_page_documents_every_rule(site) -> None:
    doc = page(site, "rules.html")
    for rule in RULES:
        article = doc.by_id(urls.anchor("rule", rule.id))
        text = article.all_text()
        assert rule.slug in text and rule.level.value in text and rule.precision in text
        assert [h.all_text() for h in article.find_all("h3")] == list(rule.sections())
    preprocessing = doc.by_id(urls.anchor("rule", "LS102"))  # its list items start with **bold** names
    assert "preprocessing before the split" in [s.all_text() for s in preprocessing.find_all("strong")]
    assert "**" not in preprocessing.all_text()
    leakage = doc.by_id(urls.anchor("rule", "LS101"))
    assert "CREATE TABLE ml.labels AS" in leakage.find_all("pre")[0].all_text()  # its Example section
    assert "indirect" in leakage.find_all("table", class_="kv")[0].all_text()  # its option


def test_inline_markdown_of_rule_documentation() -> None:
    assert inline("a **b** `c**d` e ** f") == (
        ("a ", "text"), ("b", "strong"), (" ", "text"), ("c**d", "code"), (" e ** f", "text"))
    assert inline("an unclosed `tick") == (("an unclosed `tick", "text"),)


def test_rule_documentation_is_escaped(monkeypatch, result) -> None:
    class Hostile(Rule):
        """A rule <b>documented</b> with markup.

        ## What it does
        Flags a feature computed from the target's sources (`<label>`).

        ## Example
        ```sql
        SELECT '</script>' AS x
        ```
        """

        id = "LS999"
        slug = "hostile"
        level = Severity.ERROR
        precision = "high"
        tags = ("<i>tag</i>",)

    monkeypatch.setattr(site_findings, "RULES", (*RULES, Hostile))
    text = render_site(result)["rules.html"]
    article = parse(text).by_id("rule-LS999")
    assert [h.all_text() for h in article.find_all("h3")] == ["What it does", "Example"]
    assert article.find_all("pre")[0].all_text() == "SELECT '</script>' AS x"
    assert "&lt;/script&gt;" in text and "<b>" not in text and "<i>" not in text


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
    finding = parse(site["findings/ls201.html"]).all_text()
    for shown in ("<img src=x onerror=alert(7)>", "<b>related</b>", "</script><b>step</b>", "javascript:alert(8)",
                  "<b>reason</b>"):
        assert shown in finding


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
    assert {"da", "si", "ca", "ml", "ch", "fe", "wa", "st"} <= set(keys)
    entries = data_file(site["data/search/da.js"])[1]
    assert ["c", f"{FEATURES}.days_since_cancel", urls.column_url(FEATURES, "days_since_cancel"), ""] in entries
    # columns are placed by their own names: churn_features.customer_id is not in the "churn" shard
    churn = data_file(site["data/search/ch.js"])[1]
    assert not [e for e in churn if e[1] == f"{FEATURES}.customer_id"]
    assert [e for e in churn if e[1] == f"{FEATURES}.channel_group"]
    # a data type declared in dbt YAML (_marts.yml: customer_subscriptions.customer_id, data_type: number)
    customer = data_file(site["data/search/cu.js"])[1]
    assert ["c", "core.customer_subscriptions.customer_id", urls.column_url("core.customer_subscriptions", "customer_id"),
            "number"] in customer
    ml = data_file(site["data/search/ml.js"])[1]
    # the `ml` group's owner (_marts.yml) owns the three models of models/features (`+group: ml`)
    assert ["o", "ml-platform@example.com", f"owners.html#{urls.owner_anchor('ml-platform@example.com')}", "owns 3"] in ml
    assert ["r", FEATURES, urls.relation_page(FEATURES), "table"] in ml
    assert ["m", "churn (config:churn)", urls.model_page(CHURN_MODEL), "ML model"] in churn
    assert ["m", f"churn_model ({DBT_MODEL_ID})", urls.model_page(DBT_MODEL_ID), "xgboost.XGBClassifier"] in churn
    assert ["d", "churn_training", urls.dag_page("churn_training"), "DAG"] in churn
    assert any(e[:2] == ["d", "warehouse_nightly"] for e in data_file(site["data/search/wa.js"])[1])
    start = "airflow:warehouse_nightly.start"
    assert ["t", start, f"{urls.dag_page('warehouse_nightly')}#{urls.task_anchor(start)}", "airflow_task"] in \
        data_file(site["data/search/st.js"])[1]


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


def test_output_is_deterministic_across_hash_seeds() -> None:
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from site_fixtures import example_result; from lineage_scan.report.html import render_site;"
        "files = render_site(example_result());"
        "print(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("0", "7", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
        run = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], env=env, capture_output=True,
                             text=True, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1
