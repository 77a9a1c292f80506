"""LS302 duplicate-logic."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator

from lineage_scan.model import Finding, QueryLogic, RelatedLocation, RelationDef, RelationKind, Severity
from lineage_scan.rules.rule import Rule
from lineage_scan.sql.script import logic_fingerprint_of

COMPARED = (RelationKind.TABLE, RelationKind.VIEW, RelationKind.EPHEMERAL)
"""Persistent relations (ephemeral dbt models too); not bare queries, temporary tables, snapshots."""


class DuplicateLogic(Rule):
    """Duplicate logic: two relations computed by the same query.

    ## What it does
    Compares the defining queries of tables and views (CTAS, views, `INSERT OVERWRITE`, dbt models
    rendered by the SQL engine) after normalising them on sqlglot's syntax tree: formatting,
    comments and keyword case, table aliases, CTE names, output column names and order, positional
    `GROUP BY 1`, and the operand order of `AND`, `OR`, `=`, `<>`, `+` and `*`. Relations whose
    queries are then identical are flagged together. Any real difference — a filter, a literal, a
    join type — keeps them apart.

    ## Why is this bad?
    Copied logic is maintained twice: a fix lands in one copy and not the other, and consumers of
    the two relations silently disagree. It also doubles the compute.

    ## Example
    ```sql
    CREATE VIEW marts.revenue_by_month AS
    SELECT DATE_TRUNC('month', paid_at) AS month, SUM(amount_usd) AS revenue FROM stg_payments GROUP BY 1;

    CREATE VIEW finance.monthly_revenue AS
    SELECT SUM(p.amount_usd) AS total, DATE_TRUNC('month', p.paid_at) AS m
    FROM stg_payments AS p GROUP BY DATE_TRUNC('month', p.paid_at);
    ```

    ## Use instead
    Keep one relation and point the other's consumers at it (or make the second a view over the
    first).

    ## Configuration
    No options.
    """

    id = "LS302"
    slug = "duplicate-logic"
    level = Severity.WARNING
    precision = "high"
    tags = ("duplication", "maintainability")

    def check(self) -> Iterator[Finding]:
        compared: list[tuple[str, RelationDef, QueryLogic]] = [
            (name, definition, definition.logic)
            for name in self.graph.relations() for definition in self.graph.definitions(name)
            if (definition.logic is not None and definition.mode.defines and definition.location is not None
                and definition.kind in COMPARED)
        ]
        names_by_shape: dict[str, set[str]] = defaultdict(set)
        for name, _, logic in compared:
            names_by_shape[logic.shape].add(name)
        seconds = self.context.statement_timeout_seconds
        fingerprint = functools.cache(lambda logic: logic_fingerprint_of(logic, seconds))  # costly: only for shared shapes
        groups: dict[str, dict[str, RelationDef]] = defaultdict(dict)
        for name, definition, logic in compared:
            if len(names_by_shape[logic.shape]) > 1 and (key := fingerprint(logic)) is not None:
                groups[key].setdefault(name, definition)
        for by_name in groups.values():
            if len(by_name) < 2:
                continue
            names = sorted(by_name)
            ordered = sorted(by_name.values(), key=lambda d: (d.location.path, d.location.start_line, d.name))
            *others, last = ordered
            message = (f"{last.name} is computed by the same query as {', '.join(d.name for d in others)} "
                       "(after normalising formatting, aliases, CTE names and operand order)")
            related = [RelatedLocation(f"{d.name} is computed by the same query here", d.location) for d in others]
            yield self.finding(tuple(names), message, last.location, related)
