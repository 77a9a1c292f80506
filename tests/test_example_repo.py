"""The bundled example repository: its lineage equals the hand-derived edge list, its findings the
hand-derived findings list, and its JSON document is pinned by a snapshot (regenerate with
LINEAGE_SCAN_UPDATE_SNAPSHOTS=1 and review)."""

from __future__ import annotations

import os
import re

from repo_paths import EXAMPLE_REPO, REPO_ROOT

from lineage_scan import scan
from lineage_scan.report.json import render_json

EXPECTED_EDGE_FILES = sorted((REPO_ROOT / "tests" / "fixtures").glob("example_repo_edges*.txt"))
"""One hand-derived file per part of the repository (SQL, dbt, Airflow, Python); together, all edges."""
SNAPSHOT = REPO_ROOT / "tests" / "snapshots" / "example_repo.json"
EXPECTED_FINDINGS = REPO_ROOT / "tests" / "fixtures" / "example_repo_findings.txt"


def test_edges_match_hand_derived_list() -> None:
    result = scan(EXAMPLE_REPO)
    actual = {f"{s} -> {t} : {d['kind'].value}" for s, t, d in result.graph.column_edges()}
    expected = {
        re.sub(r"\s+", " ", line.strip())
        for file in EXPECTED_EDGE_FILES
        for line in file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert sorted(expected - actual) == [], "edges the tool missed"
    assert sorted(actual - expected) == [], "edges the tool invented"


def test_findings_match_hand_derived_list() -> None:
    result = scan(EXAMPLE_REPO)
    actual = {
        f"{f.key} @ {f.location.path}:{f.location.start_line}" + (" (suppressed)" if f.suppressed else "")
        for f in result.findings
    }
    expected = {
        line.strip()
        for line in EXPECTED_FINDINGS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert sorted(expected - actual) == [], "findings the tool missed"
    assert sorted(actual - expected) == [], "findings the tool invented"


def test_leakage_finding_explains_itself() -> None:
    findings = {f.key: f for f in scan(EXAMPLE_REPO).findings}
    leak = findings["LS101|ml.training_set.label|ml.training_set.days_since_cancel"]
    assert [str(step.column) for step in leak.path] == [
        "ml.training_set.label",
        "ml.churn_labels.churned",
        "marts.customer_subscriptions.cancelled_date",
        "ml.churn_features.days_since_cancel",
        "ml.training_set.days_since_cancel",
    ]
    assert [(s.location.path, s.location.start_line) for s in leak.path] == [
        ("warehouse/features/training_set.sql", 32),
        ("warehouse/features/churn_labels.sql", 8),
        ("warehouse/marts/customer_subscriptions.sql", 14),
        ("warehouse/features/churn_features.sql", 34),
        ("warehouse/features/training_set.sql", 31),
    ]
    assert [(r.location.path, r.location.start_line) for r in leak.related] == [
        ("warehouse/features/churn_labels.sql", 8),
        ("lineage-scan.yml", 11),
    ]
    # the model ml/train.py fits reads the feature and the label straight from their tables
    python = findings["LS101|ml.churn_labels.churned|ml.churn_features.days_since_cancel"]
    assert [(str(s.column), s.location.path, s.location.start_line) for s in python.path] == [
        ("ml.churn_labels.churned", "warehouse/features/churn_labels.sql", 8),
        ("marts.customer_subscriptions.cancelled_date", "warehouse/marts/customer_subscriptions.sql", 14),
        ("ml.churn_features.days_since_cancel", "warehouse/features/churn_features.sql", 34),
    ]


def test_broken_statement_is_a_diagnostic_and_the_next_one_is_analysed() -> None:
    result = scan(EXAMPLE_REPO)
    broken = [d for d in result.diagnostics if d.location.path == "warehouse/broken/bad_syntax.sql"]
    assert [d.code for d in broken] == ["LS901"]
    assert result.graph.has_relation("staging.stg_failed_payments")
    assert not result.graph.has_relation("staging.stg_refunds")


def test_star_over_ddl_in_another_file_is_expanded() -> None:
    graph = scan(EXAMPLE_REPO).graph
    stg = graph.columns_of("staging.stg_support_tickets")
    assert stg == graph.columns_of("raw.support_tickets")
    assert all(c != "*" for c in stg)


def test_json_snapshot() -> None:
    rendered = render_json(scan(EXAMPLE_REPO))
    if os.environ.get("LINEAGE_SCAN_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8")


def test_dbt_project_ml_exposure_owners_and_coverage() -> None:
    from lineage_scan.model import ColumnRef
    from lineage_scan.report.summary import summarise

    result = scan(EXAMPLE_REPO)
    [model] = [m for m in result.graph.ml_models() if m.id.startswith("dbt:")]  # the other one is in lineage-scan.yml
    assert model.target == ColumnRef("ml_features.churn_training_set", "churned")
    assert len(model.features) == 12 and ColumnRef("ml_features.churn_training_set", "customer_id") not in model.features
    features = result.graph.relation("ml_features.churn_features")
    assert features.owners == ("@acme/ml-platform", "analytics-engineering@example.com", "ml-platform@example.com")
    assert result.graph.relation("core.fct_payments").kind.value == "table"
    assert result.graph.relation("int.int_ticket_stats").kind.value == "ephemeral"
    assert not result.graph.has_relation("core.legacy_arpu")
    dbt = summarise(result)["dbt"]
    assert (dbt["models"], dbt["rendered"], dbt["parsed"]) == (16, 16, 16)
