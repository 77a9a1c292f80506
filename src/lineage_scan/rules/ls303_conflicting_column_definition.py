"""LS303 conflicting-column-definition."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from itertools import combinations
from typing import Any, ClassVar

from lineage_scan.model import STAR, ColumnRef, Finding, RelatedLocation, Severity
from lineage_scan.rules.lineage import NAME_KINDS, VALUE_KINDS, definition_location, walk
from lineage_scan.rules.rule import SOURCE_MODES, Rule

MAX_ROOTS_SHOWN = 3


class ConflictingColumnDefinition(Rule):
    """Conflicting column definition: one column name, two unrelated derivations, used together.

    ## What it does
    Looks at relations that are joined in one query, and at relations that feed one ML model. When
    two of them have a column of the same name, it compares where the two columns' values come
    from (their source columns, through every file). It flags the pair when neither is derived from
    the other, they share no source column, and at least one of them is computed (an expression or
    aggregate, not a plain copy of a raw column). Join keys and columns with no known source are
    left alone, and so are two plain copies of different tables' columns (`created_at` of orders
    and of customers).

    ## Why is this bad?
    Two `revenue` columns computed from different tables are two different metrics under one name.
    Whoever joins the relations (or picks features for a model) takes one for the other, and the
    numbers disagree with the dashboard that uses the other.

    ## Example
    ```sql
    CREATE TABLE marts.orders_summary AS
    SELECT customer_id, SUM(amount) AS revenue FROM raw.orders GROUP BY 1;
    CREATE TABLE marts.billing_summary AS
    SELECT customer_id, SUM(invoice_total) AS revenue FROM raw.invoices GROUP BY 1;

    SELECT o.customer_id, o.revenue, b.revenue
    FROM marts.orders_summary o JOIN marts.billing_summary b ON b.customer_id = o.customer_id;
    ```

    ## Use instead
    Give each definition a name that says what it is (`order_revenue`, `billed_revenue`), or
    derive both from one definition.

    ## Configuration
    * `models` (default `true`): also compare the relations that feed each ML model.
    """

    id = "LS303"
    slug = "conflicting-column-definition"
    level = Severity.WARNING
    precision = "medium"
    tags = ("consistency", "semantics")
    options: ClassVar[Mapping[str, Any]] = {"models": True}

    def check(self) -> Iterator[Finding]:
        # Every question below is about value edges; walks from neighbouring columns cover the same ones.
        edges_into = cache(lambda column: self.graph.edges_into(column, VALUE_KINDS))
        self._edges_into = edges_into
        self._value_into = cache(lambda column: [(s, k) for s, k, _, _ in edges_into(column)])
        self._upstream = cache(lambda column: walk(self.graph, [column], VALUE_KINDS, edges_of=edges_into))
        self._roots = cache(self._roots_of)
        self._origin = cache(self._origin_of)
        # whether a column's value is only copied or renamed on its way, by name
        plain = cache(lambda relation, column: not self._computed(ColumnRef(relation, column)))
        named = cache(lambda relation: frozenset(self.graph.columns_of(relation)) - {STAR})
        key_names = cache(lambda keys: frozenset((key.table, key.column) for key in keys))
        reported: set[str] = set()
        pairs = self._pairs()
        try:
            for (first, second), (why, keys) in sorted(pairs.items(), key=lambda item: item[0]):
                joined_on = key_names(keys)
                for column in sorted(named(first) & named(second)):
                    # Join keys are meant to be alike, and two plain copies are left alone (the commonest cases).
                    if (first, column) in joined_on or (second, column) in joined_on or (plain(first, column) and plain(second, column)):
                        continue
                    first_column, second_column = ColumnRef(first, column), ColumnRef(second, column)
                    finding = self._compare(first_column, second_column, why)
                    if (finding is None or finding.key in reported
                            or self._reported_on_originals(first_column, second_column, pairs)):
                        continue
                    reported.add(finding.key)
                    yield finding
        finally:  # the walks of thousands of columns are freed now, not left to the cyclic collector
            for memo in (edges_into, self._value_into, self._upstream, self._roots, self._origin, plain, named, key_names):
                memo.cache_clear()

    def _pairs(self) -> dict[tuple[str, str], tuple[str, frozenset[ColumnRef]]]:
        """Pairs of relations used together, with how (the first reason found) and the join keys to
        leave alone: for two relations joined in a query, the columns that query joins on; for two
        relations feeding one model, every column the repository joins on anywhere."""
        pairs: dict[tuple[str, str], tuple[str, frozenset[ColumnRef]]] = {}
        joined: dict[str, set[str]] = {}
        keys_into: dict[str, set[ColumnRef]] = {}
        for target, sources in self.graph.join_keys().items():
            for source in sources:
                if source.table and source.table != target:
                    joined.setdefault(target, set()).add(source.table)
                    keys_into.setdefault(target, set()).add(source)
        for relation, tables in sorted(joined.items()):
            keys = frozenset(keys_into[relation])
            for pair in combinations(sorted(tables), 2):
                pairs.setdefault(pair, (f"are joined in {relation}", keys))
        if self.settings["models"]:
            every_key = frozenset(key for keys in keys_into.values() for key in keys)
            for model in self.graph.ml_models():
                columns = [*model.features, *([model.target] if model.target else [])]
                feeding = {c.table for c in walk(self.graph, columns, VALUE_KINDS, edges_of=self._edges_into) if c.table}
                for pair in combinations(sorted(feeding), 2):
                    pairs.setdefault(pair, (f"both feed model '{model.name}'", every_key))
        return pairs

    def _origin_of(self, column: ColumnRef) -> ColumnRef:
        """The column a plain copy copies (through every copy), or the column itself."""
        seen = {column}
        while True:
            into = self._value_into(column)
            if len(into) != 1 or into[0][1] not in NAME_KINDS or into[0][0] in seen:
                return column
            column = into[0][0]
            seen.add(column)

    def _reported_on_originals(self, first: ColumnRef, second: ColumnRef, pairs: Mapping[tuple[str, str], object]) -> bool:
        """Whether one of the two is a copy of a same-named column that is itself compared with the
        other: one conflict is reported once, where the two definitions are (a training table copying
        a conflicting feature is not a second conflict)."""
        originals = (self._origin(first), self._origin(second))
        if originals == (first, second) or originals[0].column != originals[1].column:
            return False
        return tuple(sorted((originals[0].table or "", originals[1].table or ""))) in pairs

    def _roots_of(self, column: ColumnRef) -> set[ColumnRef]:
        reached = self._upstream(column)
        return {c for c in reached if not self._value_into(c)}

    def _computed(self, column: ColumnRef) -> bool:
        """Whether the value is computed somewhere on its way (not only copied or renamed)."""
        if not self._edges_into(column):  # a source column: no walk needed
            return False
        return any(hop is not None and hop.kind not in NAME_KINDS for hop in self._upstream(column).values())

    def _sourced(self, column: ColumnRef) -> bool:
        """Whether the value's sources are known: it has some, or it is a column of a source table
        (not one the repository computes from nothing, like `COUNT(*)` or `CURRENT_DATE()`)."""
        if len(self._upstream(column)) > 1:
            return True
        return not any(d.mode not in SOURCE_MODES for d in self.graph.definitions(column.table or ""))

    def _compare(self, first: ColumnRef, second: ColumnRef, why: str) -> Finding | None:
        """The finding for two same-named columns, not join keys, one of them computed: None when one
        is derived from the other, they share a source or one has no known source."""
        up_first, up_second = self._upstream(first), self._upstream(second)  # type: Walk, Walk
        if second in up_first or first in up_second:
            return None
        roots_first, roots_second = self._roots(first), self._roots(second)
        if roots_first & roots_second:
            return None
        if not (self._sourced(first) and self._sourced(second)):
            return None
        message = (f"column {first.column} of {first.table} (from {_names(roots_first)}) and of {second.table} "
                   f"(from {_names(roots_second)}) are derived from unrelated sources, and the two relations {why}")
        related = [RelatedLocation(f"{first} is computed here", definition_location(self.graph, first))]
        return self.finding((first.column, first.table or "?", second.table or "?"), message,
                            definition_location(self.graph, second), related)


def _names(columns: set[ColumnRef]) -> str:
    names = sorted(str(c) for c in columns)
    shown = ", ".join(names[:MAX_ROOTS_SHOWN])
    return shown + (f" and {len(names) - MAX_ROOTS_SHOWN} more" if len(names) > MAX_ROOTS_SHOWN else "")
