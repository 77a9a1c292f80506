"""LS103 temporal-leakage."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from lineage_scan.model import ColumnRef, EdgeKind, Finding, MLModelDef, PathStep, RelatedLocation, Severity
from lineage_scan.rules.lineage import NAME_KINDS, ROW_KINDS, VALUE_KINDS, Hop, Walk, depth, steps_from, walk
from lineage_scan.rules.rule import Rule

BOUNDS = frozenset({EdgeKind.FILTER, EdgeKind.JOIN})
TIME_TYPES = re.compile(r"date|time|timestamp", re.IGNORECASE)


class TemporalLeakage(Rule):
    """Temporal leakage: a feature aggregates events of the outcome table with no time bound.

    ## What it does
    For every ML model, collects the tables its target is derived from (the "outcome" tables) and
    the tables configured as recorded after the outcome. It then follows each feature upstream and
    flags a feature that aggregates (counts, sums, averages...) rows of one of those tables when no
    filter or join condition on that table's time column restricts the rows on the way — nothing
    like `WHERE event_ts < snapshot_date` or a point-in-time join `ON e.event_ts <= s.snapshot_ts`.
    A time column is one whose declared type is a date or time, or whose name matches
    `time_columns`. Rows without a time of their own (order lines) count as bounded by the time
    column of a table the label's own window is set on (the order's date), when the feature's
    query restricts them by it; a time condition on the prediction spine alone is no bound.

    It cannot read the comparison itself: any filter or join on the table's time column counts as
    a bound, so a window that overlaps the label period still passes. Only restrictions applied
    after the event table count: a filter inside the event table's own definition (a dedupe on its
    load time in staging) restricts the label's rows too, so it keeps nothing before the prediction
    time.

    ## Why is this bad?
    The label is computed from events in a period after the prediction time (a cancellation in
    the next 30 days). A feature that counts the same events without stopping at the prediction
    time counts the outcome itself: a cancellation request filed when the customer churned makes
    "number of cancellation requests" a perfect — and useless — predictor.

    ## Example
    ```sql
    -- the label counts cancellations in subscription_events
    CREATE TABLE ml.labels AS
    SELECT customer_id, MAX(CASE WHEN event_type = 'cancelled' THEN 1 ELSE 0 END) AS churned
    FROM subscription_events GROUP BY customer_id;
    -- the feature counts the same events, up to today
    CREATE TABLE ml.features AS
    SELECT customer_id, COUNT(event_id) AS n_events FROM subscription_events GROUP BY customer_id;
    ```

    ## Use instead
    Bound the events by the prediction (snapshot) time, as a point-in-time join does:
    ```sql
    SELECT s.customer_id, s.snapshot_date, COUNT(e.event_id) AS n_events
    FROM spine s JOIN subscription_events e
      ON e.customer_id = s.customer_id AND e.event_ts < s.snapshot_date
    GROUP BY 1, 2
    ```

    ## Configuration
    * `after_outcome` (default `[]`): relation names or globs recorded after the outcome (refunds,
      support tickets about cancellations...): aggregating them needs a time bound too.
    * `time_columns` (default `(^|_)(at|ts|time|timestamp|date|datetime|dt|day)$`): regular
      expression for time column names (case-insensitive).
    """

    id = "LS103"
    slug = "temporal-leakage"
    level = Severity.WARNING
    precision = "medium"
    tags = ("ml", "leakage", "time")
    options: ClassVar[Mapping[str, Any]] = {
        "after_outcome": (),
        "time_columns": r"(^|_)(at|ts|time|timestamp|date|datetime|dt|day)$",
    }

    @classmethod
    def option_problem(cls, name: str, value: Any) -> str | None:
        if name == "time_columns":
            try:
                re.compile(value)
            except re.error as error:
                return f"not a regular expression ({error})"
        return None

    def check(self) -> Iterator[Finding]:
        self._time_name = re.compile(self.settings["time_columns"], re.IGNORECASE)
        for model in self.graph.ml_models():
            if model.target is not None:
                yield from self._model(model, model.target)

    def _model(self, model: MLModelDef, target: ColumnRef) -> Iterator[Finding]:
        label = walk(self.graph, [target], VALUE_KINDS)
        outcome = {c.table for c in label if c.table and c.table != target.table}
        clocks = self._outcome_clocks(label)
        for feature in model.features:
            reached = walk(self.graph, [feature], VALUE_KINDS)
            for column, hop in sorted(reached.items(), key=lambda item: (depth(reached, item[0]), str(item[0]))):
                if hop is None or hop.kind != EdgeKind.AGGREGATE:
                    continue
                event_table = self._event_table(column, outcome)
                if event_table is None or self._bounded(column, hop, event_table, clocks):
                    continue
                yield self._finding(model, target, feature, column, hop, event_table, label, reached)
                break

    def _event_table(self, column: ColumnRef, outcome: set[str]) -> str | None:
        """The outcome (or after-outcome) table the aggregated column's rows come from, if any."""
        for row in walk(self.graph, [column], ROW_KINDS):
            table = row.table or ""
            if table in outcome or any(fnmatchcase(table.lower(), p.lower()) for p in self.settings["after_outcome"]):
                return table
        return None

    def _outcome_clocks(self, label: Walk) -> set[str]:
        """Tables whose time columns bound the label's outcome rows without being its grain.

        Order lines carry no date: the label's window is set on the order's date, joined in. A
        table whose columns the label's relation copies (the spine, one row per prediction) sets
        the prediction time, not the events' time, and is left out.
        """
        clocks: set[str] = set()
        for column in label:
            copied = {s.table for c in self.graph.columns_of(column.table or "")
                      for s, kind, _, _ in self.graph.edges_into(ColumnRef(column.table, c)) if kind in NAME_KINDS}
            for source, kind, _, _ in self.graph.edges_into(column):
                if kind in BOUNDS and source.table and source.table not in copied and self._is_time(source):
                    clocks.add(source.table)
        return clocks

    def _bounded(self, column: ColumnRef, hop: Hop, event_table: str, clocks: set[str]) -> bool:
        """Whether a filter/join on a time column of the event rows restricts the aggregated rows.

        Only restrictions between the event table and the aggregate count: one applied while the
        event table itself is built (a dedupe `QUALIFY ROW_NUMBER() OVER (... ORDER BY loaded_at)`
        in its staging) restricts the label's rows as much as the feature's, so it is no bound.
        """
        rows = walk(self.graph, [column], ROW_KINDS)
        tables = {c.table for c in rows} | clocks
        building_events = walk(self.graph, [c for c in rows if c.table == event_table], ROW_KINDS)
        for restricted in (hop.via, *(c for c in rows if c not in building_events)):
            for source, kind, _, _ in self.graph.edges_into(restricted):
                if kind in BOUNDS and source.table in tables and self._is_time(source):
                    return True
        return False

    def _is_time(self, column: ColumnRef) -> bool:
        data_type = self.graph.column_meta(column).data_type or ""
        return bool(TIME_TYPES.search(data_type) or self._time_name.search(column.column))

    def _finding(
        self, model: MLModelDef, target: ColumnRef, feature: ColumnRef, column: ColumnRef, hop: Hop,
        event_table: str, label: Walk, reached: Walk,
    ) -> Finding:
        why = "the target is derived from it" if event_table in {c.table for c in label} else "it is recorded after the outcome"
        message = (f"feature {feature} of model '{model.name}' aggregates rows of {event_table} ({why}) with no "
                   f"filter or join on a time column of {event_table} keeping them before the prediction time")
        steps = [PathStep(f"{column}: rows of {event_table}", None, column), *steps_from(reached, column)]
        related = []
        label_rows = [c for c in label if c.table == event_table]
        if label_rows:
            label_steps = steps_from(label, min(label_rows, key=str))
            if label_steps:
                related.append(RelatedLocation(f"the target {target} is derived from {event_table} here", label_steps[0].location))
        related.append(RelatedLocation(f"model '{model.name}' is defined here", model.location))
        return self.finding((str(target), str(feature), event_table), message, hop.location, related, steps)
