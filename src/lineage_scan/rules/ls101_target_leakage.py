"""LS101 target-leakage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from lineage_scan.model import ColumnRef, EdgeKind, Finding, MLModelDef, PathStep, RelatedLocation, Severity
from lineage_scan.rules.lineage import (
    NAME_KINDS,
    ROW_KINDS,
    VALUE_KINDS,
    Walk,
    definition_location,
    depth,
    steps_from,
    walk,
)
from lineage_scan.rules.rule import Rule


class TargetLeakage(Rule):
    """Target leakage: a model feature computed from the value its target is derived from.

    ## What it does
    For every ML model — found in training code, in dbt `ml` exposures or declared under
    `ml: models:` in `lineage-scan.yml` — follows the target column and each feature column
    upstream through every file. It flags a feature that is computed, row by row, from a column the
    target is also derived from (the two share a source value), or that is computed from the target
    itself (an average of the label, the label copied into a feature table).

    Only edges that carry or decide a value are followed: copies, renames, expressions and `CASE WHEN`
    conditions (plus aggregates of the target itself). Columns used to join — entity and time
    keys — are never shared sources, nor are the model's declared `keys` and `prediction_time`.
    Features that aggregate the events the target comes from are LS103's concern.

    ## Why is this bad?
    A feature that is a function of the label's source value gives the label away: the model scores
    very well offline and fails in production, where that value is not known when the prediction is
    made (a cancellation date is only filled in once the customer has churned).

    ## Example
    ```sql
    -- labels.sql: the label comes from the cancellation date
    CREATE TABLE ml.labels AS
    SELECT customer_id, CASE WHEN cancelled_at IS NOT NULL THEN 1 ELSE 0 END AS churned
    FROM subscriptions;

    -- features.sql: so does this feature
    CREATE TABLE ml.features AS
    SELECT customer_id, DATEDIFF('day', cancelled_at, CURRENT_DATE()) AS days_since_cancel
    FROM subscriptions;
    ```

    ## Use instead
    Compute features only from values known at prediction time, and derive the label from what
    happens after it:
    ```sql
    CREATE TABLE ml.features AS
    SELECT customer_id, DATEDIFF('day', signup_date, CURRENT_DATE()) AS tenure_days
    FROM customers;
    ```

    ## Configuration
    * `indirect` (default `false`): also follow filter and join edges upstream of a feature, so a
      feature table whose rows are selected by the label's source column is flagged too.
    * In `ml: models:`, list a model's `keys` and `prediction_time`: paths through them never count.
    """

    id = "LS101"
    slug = "target-leakage"
    level = Severity.ERROR
    precision = "high"
    tags = ("ml", "leakage", "correctness")
    options: ClassVar[Mapping[str, Any]] = {"indirect": False}

    def check(self) -> Iterator[Finding]:
        for model in self.graph.ml_models():
            if model.target is not None:
                yield from self._model(model, model.target)

    def _model(self, model: MLModelDef, target: ColumnRef) -> Iterator[Finding]:
        graph = self.graph
        label_rows = walk(graph, [target], ROW_KINDS)
        label_itself = walk(graph, [target], NAME_KINDS)
        feature_kinds = ROW_KINDS | {EdgeKind.FILTER, EdgeKind.JOIN} if self.settings["indirect"] else ROW_KINDS
        features = [f for f in model.features if f != target]
        row_walks = {f: walk(graph, [f], feature_kinds) for f in features}
        keys = self._keys(model, [label_rows, *row_walks.values()])
        for feature in features:
            reached = row_walks[feature]
            shared = [c for c in reached if c in label_rows and c not in keys]
            if not shared:
                reached = walk(graph, [feature], VALUE_KINDS, stop=keys)
                shared = [c for c in reached if c in label_itself and c not in keys]
            if shared:
                source = min(shared, key=lambda c: (depth(label_rows, c) + depth(reached, c), str(c)))
                yield self._finding(model, target, feature, source, label_rows, reached, source in label_itself)

    def _keys(self, model: MLModelDef, walks: list[Walk]) -> set[ColumnRef]:
        """Declared keys and prediction time, every join column on the way, and what they come from."""
        keys = set(model.keys)
        if model.prediction_time is not None:
            keys.add(model.prediction_time)
        for reached in walks:
            for column in reached:
                keys.update(source for source, kind, _, _ in self.graph.edges_into(column) if kind == EdgeKind.JOIN)
        return set(walk(self.graph, keys, ROW_KINDS))

    def _finding(
        self, model: MLModelDef, target: ColumnRef, feature: ColumnRef, source: ColumnRef, label: Walk, reached: Walk,
        is_target: bool,
    ) -> Finding:
        label_steps = steps_from(label, source)  # source -> ... -> target
        feature_steps = steps_from(reached, source)  # source -> ... -> feature
        if is_target:
            alias = "" if source == target else f" ({target} under another name)"
            shared = PathStep(f"{source} is the target of model '{model.name}'{alias}", definition_location(self.graph, source), source)
            message = (f"feature {feature} of model '{model.name}' is computed from the model's target {source}{alias}: "
                       "the feature gives the label away")
        else:
            shared = PathStep(f"{source}: the target and the feature are both computed from it",
                              definition_location(self.graph, source), source)
            message = (f"feature {feature} of model '{model.name}' is computed from {source}, which the target {target} "
                       "is derived from: the feature gives the label away")
        location = feature_steps[0].location if feature_steps else definition_location(self.graph, feature)
        related = []
        if label_steps:
            related.append(RelatedLocation(f"the target {target} is derived from {source} here", label_steps[0].location))
        related.append(RelatedLocation(f"model '{model.name}' is defined here", model.location))
        path = [*reversed(label_steps), shared, *feature_steps]
        return self.finding((str(target), str(feature)), message, location, related, path)
