"""Scan results for the site tests, with what parsers and rules still being written would add.

The example repository is plain SQL, so its scan has no owners, tests, Airflow tasks, ML models or
findings yet (dbt/Airflow/Python parsers and the rules engine arrive separately). `enriched_example`
adds a little of each by hand — documentation and ownership of `ml.churn_features` as dbt YAML would
give it, a four-task Airflow DAG, a churn classifier trained on `ml.training_set`, and a target-leakage
finding shaped like the rules engine's `Finding` — so every page of the site has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lineage_scan import scan
from lineage_scan.api import ScanResult
from lineage_scan.model import ColumnMeta, ColumnRef, Location, MLModelDef, RelationMeta, TaskDef

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "fixtures" / "example_repo"
FEATURES = "ml.churn_features"
TRAINING = "ml.training_set"
LEAKAGE_PATH = (
    ColumnRef(TRAINING, "label"),
    ColumnRef("ml.churn_labels", "churned"),
    ColumnRef("marts.customer_subscriptions", "cancelled_date"),
    ColumnRef(FEATURES, "days_since_cancel"),
    ColumnRef(TRAINING, "days_since_cancel"),
)
"""label ← churned (INSERT column list) ← cancelled_date (CASE condition) → days_since_cancel (DATEDIFF) → feature."""
LEAKAGE_KEY = f"LS101|{TRAINING}.label|{TRAINING}.days_since_cancel"


@dataclass(frozen=True)
class StandInFinding:
    """The fields the rules engine's `Finding` has (see DESIGN.md), for tests written before it lands."""

    rule: str
    message: str
    location: Location | None
    related: tuple[Location, ...]
    path: tuple[ColumnRef | str, ...]
    key: str
    level: str = "error"
    suppression: str | None = None


def leakage_finding() -> StandInFinding:
    return StandInFinding(
        rule="LS101",
        message=f"feature {TRAINING}.days_since_cancel is derived from the source of the target {TRAINING}.label",
        location=Location("warehouse/features/churn_features.sql", 34, 5, 34, 55),
        related=(Location("warehouse/features/churn_labels.sql", 7, 9, 9, 80),),
        path=LEAKAGE_PATH,
        key=LEAKAGE_KEY,
    )


def enriched_example(root: Path = EXAMPLE_REPO) -> ScanResult:
    result = scan(root)
    graph = result.graph
    graph.add_metadata(RelationMeta(
        FEATURES,
        description="Churn model features, one row per customer as of the nightly run.",
        owners=("ml-platform",),
        tags=("ml", "features"),
        tests=("dbt_utils.recency",),
        columns=(
            ColumnMeta("customer_id", "The customer the features describe.", "NUMBER", ("not_null", "unique")),
            ColumnMeta("days_since_cancel", "Days since the current subscription was cancelled.", "NUMBER", ("not_null",)),
        ),
        attributes=(("materialized", "table"),),
    ))
    steps = ("load_raw", "build_staging", "build_marts", "build_features")
    writes = {"build_staging": ("staging.stg_customers",), "build_marts": ("marts.customer_revenue",),
              "build_features": (FEATURES, TRAINING)}
    for previous, step in zip((None, *steps), steps):
        graph.add_task(TaskDef(
            f"airflow:nightly.{step}", "airflow_task", step,
            reads=("raw.customers",) if step == "build_staging" else (),
            writes=writes.get(step, ()),
            upstream=(f"airflow:nightly.{previous}",) if previous else (),
            attributes=(("dag_id", "nightly"), ("operator", "BashOperator")),
        ))
    features = tuple(ColumnRef(TRAINING, c) for c in ("tenure_days", "plan_code", "mrr_usd", "days_since_cancel"))
    graph.add_ml_model(MLModelDef("python:train.py:train", "churn_classifier", None, features,
                                  ColumnRef(TRAINING, "label"), "GradientBoostingClassifier"))
    result.findings = [leakage_finding()]
    return result


HOSTILE_SQL = (
    "-- </script><script>window.__pwned = 1</script>\n"
    'CREATE TABLE "<script>alert(1)</script>" AS SELECT 1 AS "x"" onmouseover=""alert(2)", '
    "'javascript:alert(3)' AS \"javascript:alert(3)\";\n"
    'CREATE TABLE "quote\'d ""name""" AS SELECT "x"" onmouseover=""alert(2)" AS "</script>" '
    'FROM "<script>alert(1)</script>";\n'
)
"""Relations and columns named like markup, a comment closing a script element, and lineage between them."""


def hostile_result(root: Path) -> ScanResult:
    """The scan of a repository holding `HOSTILE_SQL`, with documentation written to break a page."""
    (root / "evil.sql").write_text(HOSTILE_SQL, encoding="utf-8")
    result = scan(root)
    name = next(n for n in result.graph.relations() if n.startswith("<script>"))
    result.graph.add_metadata(RelationMeta(
        name, description="<img src=x onerror=alert(4)>", owners=("javascript:alert(5)", '"><script>alert(6)</script>'),
        tags=("</script>",), columns=(ColumnMeta('x" onmouseover="alert(2)', "</script><b>bold</b>"),)))
    return result
