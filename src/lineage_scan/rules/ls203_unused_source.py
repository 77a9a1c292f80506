"""LS203 unused-source."""

from __future__ import annotations

from collections.abc import Iterator

from lineage_scan.model import Finding, RelatedLocation, RelationKind, Severity, WriteMode
from lineage_scan.rules.rule import SOURCE_MODES, Rule, disabled


class UnusedSource(Rule):
    """Unused source: a declared source table that nothing reads.

    ## What it does
    Flags a source the repository declares — a dbt source table, or a table that is only declared
    (`CREATE TABLE` with columns, no query) or loaded (`COPY INTO`) — when no query, task, dbt
    exposure or ML model in the repository reads it and it is not declared as read from outside
    (`external.consumers`). Tables described only in a schema file are not checked.

    ## Why is this bad?
    An unused source is documentation that has drifted: a landing table nobody models any more, a
    dbt source left behind after a refactoring. It is still loaded (and paid for), and it suggests
    data is used when it is not.

    ## Example
    ```sql
    -- raw/crm_contacts.sql: landing table for the CRM export
    CREATE TABLE IF NOT EXISTS raw.crm_contacts (contact_id NUMBER, email VARCHAR);
    -- ... and no model selects from raw.crm_contacts
    ```

    ## Use instead
    Model it (select from it where it is needed), or remove the declaration and stop loading it.

    ## Configuration
    * `external.consumers`: relation names or globs read outside the repository.
    """

    id = "LS203"
    slug = "unused-source"
    level = Severity.NOTE
    precision = "high"
    tags = ("hygiene", "documentation")

    def check(self) -> Iterator[Finding]:
        for name in self.graph.relations():
            info = self.context.relation(name)
            definitions = sorted(  # the DDL (or source declaration) first: the place to look at
                (d for d in self.graph.definitions(name) if d.location is not None), key=lambda d: d.mode != WriteMode.DECLARE
            )
            if not definitions or disabled(info.attributes):
                continue
            is_source = info.kind == RelationKind.SOURCE or all(d.mode in SOURCE_MODES for d in definitions)
            if not is_source or info.kind in (RelationKind.TEMPORARY, RelationKind.QUERY) or self.context.is_read(name):
                continue
            others = [RelatedLocation(f"{name} is also declared here", d.location) for d in definitions[1:]]
            message = f"source {name} is declared here but nothing in the repository reads it"
            yield self.finding((name,), message, definitions[0].location, others)
