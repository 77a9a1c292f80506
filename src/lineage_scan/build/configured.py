"""ML models declared in `lineage-scan.yml` (`ml: models:`), resolved against the built graph.

They let the leakage rules work on a repository with no training code in it (SQL only): a model is
a relation, its target column and its feature columns (listed, or `"*"`: every column that is not
the target, the prediction time, a key or excluded). Names are normalised like the dialect's
unquoted identifiers and an unqualified relation meets the one relation it suffixes.
"""

from __future__ import annotations

from lineage_scan.config import CONFIG_FILE, Config, ModelSpec, ml_model_specs
from lineage_scan.graph import LineageGraph
from lineage_scan.model import ColumnRef, Diagnostic, Location, MLModelDef, Severity
from lineage_scan.sql.names import Names

CONFIG_NOT_FOUND = "LS908"
"""Diagnostic code: the configuration names something the scan did not find."""


def add_configured_models(graph: LineageGraph, config: Config, names: Names) -> list[Diagnostic]:
    """Add the config's ML models to ``graph``; problems come back as diagnostics."""
    diagnostics: list[Diagnostic] = []
    for spec in ml_model_specs(config):
        model = _resolve(spec, graph, names, config, diagnostics)
        if model is not None:
            graph.add_ml_model(model)
    return diagnostics


def _resolve(
    spec: ModelSpec, graph: LineageGraph, names: Names, config: Config, diagnostics: list[Diagnostic]
) -> MLModelDef | None:
    location = Location(config.source, spec.line, 1, spec.line, 1) if config.source and spec.line else None

    def problem(message: str) -> None:
        where = location or Location(config.source or CONFIG_FILE, spec.line or 1, 1, spec.line or 1, 1)
        diagnostics.append(Diagnostic(where, "config", f"ml model {spec.name!r}: {message}", Severity.WARNING, CONFIG_NOT_FOUND))

    relation = None
    if spec.relation is not None:
        relation = _relation(spec.relation, graph, names)
        if relation is None:
            problem(f"relation {spec.relation!r} is not produced or read anywhere in the repository; model skipped")
            return None

    def column(text: str) -> ColumnRef | None:
        if "." in text:
            table_text, _, name = text.rpartition(".")
            table = _relation(table_text, graph, names)
            if table is None:
                problem(f"relation {table_text!r} (of column {text!r}) is not in the repository")
                return None
        else:
            table, name = relation, text
        ref = ColumnRef(table, names.ident(name))
        known = graph.columns_of(ref.table or "")
        if ref.column not in known:
            problem(f"column {text!r} is not a known column of {ref.table}")
            return None
        return ref

    target = column(spec.target)
    if target is None:
        return None
    prediction_time = column(spec.prediction_time) if spec.prediction_time else None
    keys = tuple(k for k in (column(text) for text in spec.keys) if k is not None)
    if spec.features is None:
        assert relation is not None
        not_features = {target, prediction_time, *keys, *(ColumnRef(relation, names.ident(e)) for e in spec.exclude)}
        features = tuple(ColumnRef(relation, c) for c in graph.columns_of(relation) if ColumnRef(relation, c) not in not_features)
    else:
        features = tuple(f for f in (column(text) for text in spec.features) if f is not None)
    if not features:
        problem("no feature columns; model skipped")
        return None
    return MLModelDef(
        id=f"config:{spec.name}",
        name=spec.name,
        location=location,
        features=features,
        target=target,
        attributes=(("declared_in", "config"),),
        prediction_time=prediction_time,
        keys=keys,
    )


def _relation(text: str, graph: LineageGraph, names: Names) -> str | None:
    """The graph relation a configured name means: itself, or the single relation it suffixes."""
    name = ".".join(names.ident(part) for part in text.split("."))
    if graph.has_relation(name):
        return name
    matches = [r for r in graph.relations() if r.endswith("." + name)]
    return matches[0] if len(matches) == 1 else None
