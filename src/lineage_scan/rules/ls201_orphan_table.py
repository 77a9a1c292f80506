"""LS201 orphan-table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from lineage_scan.model import Finding, RelatedLocation, RelationKind, Severity
from lineage_scan.rules.rule import SOURCE_MODES, Rule, disabled


class OrphanTable(Rule):
    """Orphan table: a relation the repository computes but nothing reads.

    ## What it does
    Flags a table or view (a CTAS, a view, an `INSERT ... SELECT` target, a dbt model, seed or
    snapshot) that no other query, task, dbt exposure or ML model in the repository reads, and that
    is not declared as read from outside (`external.consumers` in `lineage-scan.yml`, e.g. a BI
    tool reading the marts). Temporary and ephemeral relations, bare queries, disabled models and
    tables that are only declared or loaded (see LS203) are left alone.

    ## Why is this bad?
    An orphan still costs compute and storage on every run, and it misleads: people find it, trust
    it and build on a table nobody maintains. Orphans are usually leftovers of a refactoring.

    ## Example
    ```sql
    -- DEPRECATED: superseded by marts.customer_revenue, still rebuilt nightly
    CREATE OR REPLACE TABLE marts.legacy_revenue_v1 AS
    SELECT DATE_TRUNC('month', paid_at) AS revenue_month, SUM(amount_usd) AS revenue_usd
    FROM staging.stg_payments
    GROUP BY 1;
    ```

    ## Use instead
    Delete the definition, or, when something outside the repository reads it, say so:
    ```yaml
    external:
      consumers: [marts.legacy_revenue_v1]   # read by the finance dashboard
    ```

    ## Configuration
    * `kinds` (default `[table, view, seed, snapshot]`): the relation kinds checked.
    * `external.consumers`: relation names or globs read outside the repository.
    """

    id = "LS201"
    slug = "orphan-table"
    level = Severity.WARNING
    precision = "high"
    tags = ("hygiene", "maintainability")
    options: ClassVar[Mapping[str, Any]] = {"kinds": ("table", "view", "seed", "snapshot")}

    @classmethod
    def option_problem(cls, name: str, value: Any) -> str | None:
        unknown = sorted(set(value) - {k.value for k in RelationKind}) if name == "kinds" else []
        return f"unknown relation kind(s) {', '.join(unknown)}" if unknown else None

    def check(self) -> Iterator[Finding]:
        kinds = {RelationKind(k) for k in self.settings["kinds"]}
        for name in self.graph.relations():
            info = self.context.relation(name)
            computed = [d for d in self.graph.definitions(name) if d.mode not in SOURCE_MODES and d.location is not None]
            if info.kind not in kinds or not computed or disabled(info.attributes) or self.context.is_read(name):
                continue
            others = [RelatedLocation(f"{name} is also written here", d.location) for d in computed[1:]]
            message = (f"{name} is computed here but nothing in the repository reads it (no query, task, "
                       "exposure or ML model) and it is not declared as read outside it (external.consumers)")
            yield self.finding((name,), message, computed[0].location, others)
