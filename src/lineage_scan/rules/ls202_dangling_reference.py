"""LS202 dangling-reference."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from lineage_scan.model import Finding, Location, RelatedLocation, RelationKind, Severity
from lineage_scan.rules.rule import Rule

NOT_A_TABLE = re.compile(r"[()/\\]|://|^query:|^__|^\?$")
"""Table functions (`read_parquet('x')`), file paths and URIs, placeholders: not tables to produce."""
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "sys", "sysibm", "dual", "account_usage"}
MAX_RELATED = 20


class DanglingReference(Rule):
    """Dangling reference: a relation that is read but never created or declared.

    ## What it does
    Flags a table or view that some query or task reads while nothing in the repository creates,
    loads or declares it: no DDL, CTAS, view, dbt model/seed/snapshot/source, task writing it, schema
    file entry, nor `external.producers` entry in `lineage-scan.yml`. System catalogues
    (`information_schema`, ...), table functions and file paths are not tables and are skipped.

    ## Why is this bad?
    Either the name is wrong (a typo, a renamed or deleted model) and the query fails or reads a
    stale table, or the table comes from outside the repository and nobody can see where: its
    schema, owner and freshness are undocumented, and lineage stops there.

    ## Example
    ```sql
    CREATE TABLE marts.customer_revenue AS
    SELECT c.customer_id, mt.campaign_name
    FROM staging.stg_customers AS c
    LEFT JOIN raw.marketing_touches AS mt ON mt.customer_id = c.customer_id;  -- created nowhere
    ```

    ## Use instead
    Fix the name, add the table's DDL or dbt source, or declare who loads it:
    ```yaml
    external:
      producers: [raw.marketing_touches]   # loaded by the marketing team's pipeline
    ```

    ## Configuration
    * `external.producers`: relation names or globs written outside the repository (`raw.*`).
    * A schema file (`schema_file:` or `--schema`) declares tables too.
    """

    id = "LS202"
    slug = "dangling-reference"
    level = Severity.WARNING
    precision = "high"
    tags = ("correctness", "documentation")

    def check(self) -> Iterator[Finding]:
        graph = self.graph
        reads: dict[str, list[tuple[str, Location | None]]] = defaultdict(list)
        for source, target, data in graph.relation_edges():
            if source != target:
                reads[source].append((target, data["location"]))
        for name in graph.relations():
            info = self.context.relation(name)
            if info.produced or info.declared or info.kind != RelationKind.EXTERNAL or graph.writers(name):
                continue
            if not (reads.get(name) or graph.readers(name)) or self._not_a_table(name):
                continue
            found = sorted((loc, reader) for reader, loc in reads.get(name, []) if loc is not None)
            location = found[0][0] if found else None
            readers = sorted({reader for reader, _ in reads.get(name, [])} | set(graph.readers(name)))
            related = [RelatedLocation(f"{name} is also read here (by {reader})", loc) for loc, reader in found[1:MAX_RELATED]]
            message = (f"{name} is read here (by {', '.join(readers)}) but nothing in the repository creates, loads "
                       "or declares it; fix the name, or declare the table (DDL, a dbt source, a schema file or "
                       "external.producers)")
            yield self.finding((name,), message, location, related)

    def _not_a_table(self, name: str) -> bool:
        parts = name.lower().split(".")
        return bool(NOT_A_TABLE.search(name)) or any(p in SYSTEM_SCHEMAS for p in parts) or self.context.produced_outside(name)
