"""LS301 duplicate-table-definition."""

from __future__ import annotations

from collections.abc import Iterator

from lineage_scan.model import Finding, RelatedLocation, RelationDef, RelationKind, Severity
from lineage_scan.rules.rule import Rule

NOT_DEFINITIONS = (RelationKind.TEMPORARY, RelationKind.EPHEMERAL, RelationKind.QUERY, RelationKind.SOURCE)
"""Session-local or descriptive relations: two of them with one name are not a conflict."""


class DuplicateTableDefinition(Rule):
    """Duplicate table definition: one relation defined in two or more places.

    ## What it does
    Flags a table or view whose whole content is defined by more than one file: two scripts that
    each `CREATE [OR REPLACE]` it, a dbt model and an Airflow SQL file that both build it, a DDL in
    one file and a CTAS in another, an `INSERT OVERWRITE` next to a CTAS. Statements of one file
    count once (a script that creates a table and then inserts into it is one definition), and
    appends (`INSERT`, `MERGE`, `UPDATE`, `COPY`), temporary tables and dbt sources do not count.

    ## Why is this bad?
    Whichever definition runs last wins, so the table's content depends on scheduling; the
    definitions drift apart, and a fix made in one is silently undone by the other. Lineage and
    documentation cannot say which one is real.

    ## Example
    ```sql
    -- marts/customer_revenue.sql
    CREATE OR REPLACE TABLE marts.customer_revenue AS SELECT ... ;
    -- adhoc/revenue_fix.sql
    CREATE OR REPLACE TABLE marts.customer_revenue AS SELECT ... ;  -- a second definition
    ```

    ## Use instead
    Keep one definition; turn the other into a query of its own output, or into a differently
    named relation.

    ## Configuration
    No options. `rules: {LS301: {exclude: [migrations/**]}}` skips findings in migration folders.
    """

    id = "LS301"
    slug = "duplicate-table-definition"
    level = Severity.WARNING
    precision = "high"
    tags = ("duplication", "correctness")

    def check(self) -> Iterator[Finding]:
        for name in self.graph.relations():
            by_path: dict[str, RelationDef] = {}
            for definition in self.graph.definitions(name):
                if definition.mode.defines and definition.kind not in NOT_DEFINITIONS and definition.location is not None:
                    by_path.setdefault(definition.location.path, definition)
            if len(by_path) < 2:
                continue
            first, *others = [by_path[path] for path in sorted(by_path)]
            paths = ", ".join(sorted(by_path))
            message = (f"{name} is defined in {len(by_path)} files ({paths}); whichever runs last wins, "
                       "and the definitions drift apart")
            related = [RelatedLocation(f"{name} is defined here too", d.location) for d in [first, *others[:-1]]]
            yield self.finding((name,), message, others[-1].location, related)
