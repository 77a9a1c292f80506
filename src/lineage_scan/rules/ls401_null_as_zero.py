"""LS401 null-as-zero."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from lineage_scan.model import ColumnRef, Finding, Location, PathStep, RelatedLocation, Severity, ValueFact, ValueOp
from lineage_scan.rules.lineage import ROW_KINDS, Walk, depth, steps_to, walk
from lineage_scan.rules.rule import Rule


class NullAsZero(Rule):
    """Null as zero: a missing value turned into 0, then divided, averaged or fed to a model.

    ## What it does
    Finds `COALESCE(x, 0)`, `IFNULL(x, 0)`, `NVL(x, 0)`, `ISNULL(x, 0)`, `ZEROIFNULL(x)`,
    `CASE WHEN x IS NULL THEN 0 ELSE x END` in SQL, and pandas / numpy / PySpark / scikit-learn
    `fillna(0)`, `fillna({"col": 0})`, `na.fill(0)`, `replace(np.nan, 0)`, `F.coalesce(col, F.lit(0))`,
    `np.where(s.isna(), 0, s)`, `s.where(s.notna(), 0)`, `s.mask(s.isna(), 0)`,
    `F.when(c.isNull(), 0).otherwise(c)`, `np.nan_to_num(x)` and
    `SimpleImputer(strategy="constant", fill_value=0)` in Python code and notebooks, and flags the
    ones whose result then reaches a division or an average — in the same expression, later in the
    same code, or, through the lineage, in another relation — or an ML model's feature. Filling with
    a computed value (`fillna(df.mean())`, a median imputer) is imputation, not a zero, and is not
    flagged; nor is a SQL fill that only adjusts a value which stays `NULL` when missing
    (`price - COALESCE(discount, 0)`: no discount is no adjustment, the result is not 0).

    ## Why is this bad?
    `NULL` means "unknown" or "no data"; `0` is a measurement. Once turned into 0, a missing value
    drags averages and rates down (`AVG` skips `NULL`s but not `0`s), and a model learns "0" as a
    real value where it should have learnt "missing" (most estimators handle missing values, or
    you can add an explicit indicator).

    ## Example
    ```sql
    SELECT customer_id,
           COALESCE(f.failed_payment_count, 0) / NULLIF(r.payment_count, 0) AS failed_payment_ratio
    FROM customers c LEFT JOIN failed f ON f.customer_id = c.customer_id
    ```

    ## Use instead
    Keep the `NULL` (and let the ratio be `NULL`), or make the choice explicit and visible to the
    model with an indicator column:
    ```sql
    SELECT customer_id,
           f.failed_payment_count / NULLIF(r.payment_count, 0) AS failed_payment_ratio,
           f.customer_id IS NULL AS has_no_failed_payments
    ```
    When 0 is the right value (a count over an outer join), suppress the finding with a reason:
    `-- lineage-scan: ignore[LS401] no rows means no failed payments`.

    ## Configuration
    * `features` (default `true`): also flag a filled value that reaches an ML feature without
      being divided or averaged.
    """

    id = "LS401"
    slug = "null-as-zero"
    level = Severity.WARNING
    precision = "medium"
    tags = ("data-quality", "ml", "semantics")
    options: ClassVar[Mapping[str, Any]] = {"features": True}

    def check(self) -> Iterator[Finding]:
        facts = self.graph.value_facts()
        rates: dict[tuple[ColumnRef, ColumnRef], Location | None] = {}
        for fact in facts:
            if fact.op == ValueOp.RATE:
                rates.setdefault((fact.source, fact.target), fact.location)
        fills: dict[ColumnRef, list[ValueFact]] = defaultdict(list)
        for fact in facts:
            if fact.op == ValueOp.NULL_TO_ZERO:
                fills[fact.target].append(fact)
        features = {f: m.name for m in self.graph.ml_models() for f in m.features}
        for target, group in sorted(fills.items()):
            finding = self._finding(target, group, rates, features)
            if finding is not None:
                yield finding

    def _finding(
        self, target: ColumnRef, group: list[ValueFact], rates: dict[tuple[ColumnRef, ColumnRef], Location | None],
        features: dict[ColumnRef, str],
    ) -> Finding | None:
        fill = min(group, key=lambda f: (f.rate is None, f.location or Location("", 0, 0, 0, 0)))
        sources = ", ".join(sorted({str(f.source) for f in group}))
        head = f"{target}: NULL is replaced by 0 here (the value comes from {sources})"
        fill_step = PathStep(f"NULL becomes 0 in {target}", fill.location, target)
        related = [RelatedLocation(f"NULL also becomes 0 in {target} here", f.location)
                   for f in group if f.location != fill.location]
        if fill.rate is not None:
            where = "in the same expression" if _same_line(fill.location, fill.rate) else f"at line {fill.rate.start_line}"
            message = f"{head} and the result is divided or averaged {where}: missing values count as real zeros"
            path = [fill_step, PathStep(f"{target} divides or averages the filled value", fill.rate, target)]
            return self.finding((str(target),), message, fill.location, related, path)
        downstream = walk(self.graph, [target], ROW_KINDS, upstream=False)
        reached = self._nearest(downstream, rates, features)
        if reached is None:
            return None
        column, rate_location, rated = reached
        steps = steps_to(downstream, column)
        if rated is not None:
            message = f"{head} and {rated} divides or averages it: missing values count as real zeros"
            path = [fill_step, *steps, PathStep(f"{rated} divides or averages {column}", rate_location, rated)]
            related.append(RelatedLocation(f"{rated} divides or averages the filled value here", rate_location))
        else:
            message = (f"{head} and it becomes feature {column} of model '{features[column]}', "
                       "which cannot tell a missing value from a real 0")
            path = [fill_step, *steps]
        return self.finding((str(target),), message, fill.location, related, path)

    def _nearest(
        self, downstream: Walk, rates: dict[tuple[ColumnRef, ColumnRef], Location | None], features: dict[ColumnRef, str]
    ) -> tuple[ColumnRef, Location | None, ColumnRef | None] | None:
        """The nearest column that is divided/averaged (with where and into what) or, failing that, a feature."""
        by_depth = sorted(downstream, key=lambda c: (depth(downstream, c), str(c)))
        for column in by_depth:
            for rated, _, _, _ in self.graph.edges_out_of(column):
                if (column, rated) in rates:
                    return column, rates[(column, rated)], rated
        if self.settings["features"]:
            for column in by_depth:
                if column in features:
                    return column, None, None
        return None



def _same_line(fill: Location | None, rate: Location) -> bool:
    """Whether a division or average shares lines with the fill (is in the same expression)."""
    return fill is not None and fill.path == rate.path and rate.start_line <= fill.end_line and fill.start_line <= rate.end_line
