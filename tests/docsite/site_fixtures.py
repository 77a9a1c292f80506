"""What the site tests read: the example repository and what is worked out by hand from its files,
and a synthetic repository whose names and documentation are written to break a page.

The example repository has warehouse SQL, a dbt project (owners, tests, exposures), Airflow DAGs and
an ML model declared in its `lineage-scan.yml`; its findings are listed, with the reasoning, in
tests/fixtures/example_repo_findings.txt.
"""

from __future__ import annotations

from pathlib import Path

from lineage_scan import scan
from lineage_scan.api import ScanResult
from lineage_scan.model import (
    ColumnMeta,
    ColumnRef,
    Finding,
    Location,
    PathStep,
    RelatedLocation,
    RelationMeta,
    Severity,
    Suppression,
)

EXAMPLE_REPO = Path(__file__).resolve().parents[2] / "fixtures" / "example_repo"
FEATURES = "ml.churn_features"
TRAINING = "ml.training_set"
CHURN_MODEL = "config:churn"
"""The churn model declared under `ml: models:` in lineage-scan.yml (trained on ml.training_set)."""
DBT_MODEL = "core.dim_customers"
"""dbt/models/marts/dim_customers.sql: owned (dbt_project.yml `+meta: owner`, CODEOWNERS), tested
(_marts.yml), materialised as a table (`marts: +materialized: table`, `+schema: core`)."""

LEAKAGE_PATH = (
    (ColumnRef(TRAINING, "label"), "warehouse/features/training_set.sql", 32),
    (ColumnRef("ml.churn_labels", "churned"), "warehouse/features/churn_labels.sql", 8),
    (ColumnRef("marts.customer_subscriptions", "cancelled_date"), "warehouse/marts/customer_subscriptions.sql", 14),
    (ColumnRef(FEATURES, "days_since_cancel"), "warehouse/features/churn_features.sql", 34),
    (ColumnRef(TRAINING, "days_since_cancel"), "warehouse/features/training_set.sql", 31),
)
"""The LS101 finding's path, each step with where it happens: the target `label` is `l.churned` (11th
of the INSERT's column list, line 32), `churned` is a CASE on `cs.cancelled_date` (line 8), which
customer_subscriptions copies (line 14); `days_since_cancel` is a DATEDIFF of it (line 34), copied into
the training set (line 31)."""
LEAKAGE_COLUMNS = tuple(f"{column.table}.{column.column}" for column, _, _ in LEAKAGE_PATH)
LEAKAGE_KEY = f"LS101|{TRAINING}.label|{TRAINING}.days_since_cancel"


def example_result() -> ScanResult:
    return scan(EXAMPLE_REPO)


HOSTILE_SQL = (
    "-- </script><script>window.__pwned = 1</script>\n"
    'CREATE TABLE "<script>alert(1)</script>" AS SELECT 1 AS "x"" onmouseover=""alert(2)", '
    "'javascript:alert(3)' AS \"javascript:alert(3)\";\n"
    'CREATE TABLE "quote\'d ""name""" AS SELECT "x"" onmouseover=""alert(2)" AS "</script>" '
    'FROM "<script>alert(1)</script>";\n'
)
"""Relations and columns named like markup, a comment closing a script element, and lineage between them."""


def hostile_result(root: Path) -> ScanResult:
    """The scan of a repository holding `HOSTILE_SQL`, with documentation and a finding written to break a page."""
    (root / "evil.sql").write_text(HOSTILE_SQL, encoding="utf-8")
    result = scan(root)
    name = next(n for n in result.graph.relations() if n.startswith("<script>"))
    result.graph.add_metadata(RelationMeta(
        name, description="<img src=x onerror=alert(4)>", owners=("javascript:alert(5)", '"><script>alert(6)</script>'),
        tags=("</script>",), columns=(ColumnMeta('x" onmouseover="alert(2)', "</script><b>bold</b>"),)))
    here = Location("evil.sql", 2, 1, 2, 20)
    result.findings.append(Finding(
        "LS201", f'LS201|{name}|"><img src=x onerror=alert(7)>', Severity.WARNING, "<img src=x onerror=alert(7)>", here,
        related=(RelatedLocation("<b>related</b>", here),),
        path=(PathStep("</script><b>step</b>", here, ColumnRef(name, 'x" onmouseover="alert(2)')),
              PathStep("javascript:alert(8)", None)),
        suppression=Suppression(here, "<b>reason</b>"),
    ))
    return result
