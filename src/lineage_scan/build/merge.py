"""Fragments -> LineageGraph: names resolved across files, stars expanded, edges added."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import chain

from lineage_scan.build.names import resolve_names
from lineage_scan.build.stars import expand_stars
from lineage_scan.build.temporary import scope_temporary
from lineage_scan.graph import LineageGraph, column_node
from lineage_scan.model import (
    _CERTAINTY_RANK,
    _KIND_VALUE,
    STAR,
    ColumnEdge,
    ColumnRef,
    Diagnostic,
    Fragment,
    MLModelDef,
    RelationKind,
    location_sort_key,
)
from lineage_scan.sql.query import UNEXPANDED_STAR
from lineage_scan.sql.schema import SchemaRegistry


def build_graph(fragments: list[Fragment], declared: SchemaRegistry | None = None) -> LineageGraph:
    """Merge fragments (in path order, for determinism) into one graph.

    ``declared`` holds user-declared schemas (a `--schema` file): those relations become nodes with
    their columns even when no file mentions them.
    """
    fragments = sorted((scope_temporary(f) for f in fragments), key=lambda f: f.path)
    declared_columns = declared.as_dict() if declared is not None else {}
    produced = {r.name for f in fragments for r in f.relations} | set(declared_columns)
    referenced = {use.source for f in fragments for use in f.reads}
    referenced |= _edge_sources(fragments)
    referenced |= {r for f in fragments for task in f.tasks for r in (*task.reads, *task.writes)}
    referenced |= {c.table for f in fragments for m in f.ml_models for c in (*m.features, m.target) if c and c.table}
    rename = resolve_names(produced, referenced)

    columns: dict[str, tuple[str, ...]] = dict(declared_columns)
    for fragment in fragments:
        for relation in fragment.relations:
            if relation.columns is not None and (relation.declared or relation.name not in columns):
                columns[relation.name] = relation.columns
    edges: Iterable[ColumnEdge] = chain.from_iterable(f.edges for f in fragments)
    if rename:  # (most repositories need none: their edges then go on without a Python-level step each)
        edges = (edge if edge.source.table not in rename and not edge.candidates else _renamed(edge, rename)
                 for edge in edges)
    expanded = expand_stars(edges, columns)

    graph = LineageGraph()
    for name, cols in declared_columns.items():
        graph.add_relation(name, RelationKind.EXTERNAL, declared=True)
        graph.set_columns(name, cols)
    for fragment in fragments:
        for relation in fragment.relations:
            graph.add_relation(relation.name, relation.kind, relation.location, produced=True, declared=relation.declared)
            graph.add_definition(relation)
        for use in fragment.reads:
            graph.add_dependency(rename.get(use.source, use.source), use.target, use.location)
        for meta in fragment.metadata:
            graph.add_metadata(replace(meta, relation=rename.get(meta.relation, meta.relation)))
        for task in fragment.tasks:
            graph.add_task(replace(
                task,
                reads=tuple(rename.get(r, r) for r in task.reads),
                writes=tuple(rename.get(w, w) for w in task.writes),
            ))
    for model in _merged_models(fragments, rename, columns):
        graph.add_ml_model(model)
    for fragment in fragments:
        for fact in fragment.value_facts:
            graph.add_value_fact(replace(fact, source=_renamed_column(fact.source, rename)))
        for step in fragment.data_steps:
            graph.add_data_step(step)
    expanded.sort(key=memoised_sort_key())
    graph.add_edges(expanded)
    for name, cols in sorted(columns.items()):
        if graph.has_relation(name):
            graph.set_columns(name, tuple(c for c in cols if c != STAR))
    return graph


def _edge_sources(fragments: list[Fragment]) -> set[str]:
    """The tables the edges name as sources: each edge's table, and an ambiguous one's candidates.

    (One pass over every edge of the repository, where a set comprehension per question walks them
    all again.)
    """
    tables: set[str | None] = set()
    candidates: set[str] = set()
    for fragment in fragments:
        for edge in fragment.edges:
            tables.add(edge.source.table)
            if edge.candidates:
                candidates.update(edge.candidates)
    tables.discard(None)
    tables.discard("")
    return tables | candidates


def unsettled(diagnostics: list[Diagnostic], graph: LineageGraph) -> list[Diagnostic]:
    """Drop a file's "cannot expand star" notes once the build expanded that table's stars."""
    names = set(graph.relations())
    still_open = {
        name for name in names
        if column_node(name, STAR) in graph.nx and any(v[0] == "column" for v in graph.nx.successors(column_node(name, STAR)))
    }
    return [
        d for d in diagnostics
        if d.code != UNEXPANDED_STAR or d.subject in still_open or d.subject not in names
    ]


def _merged_models(fragments: list[Fragment], rename: dict[str, str],
                   columns: dict[str, tuple[str, ...]]) -> list[MLModelDef]:
    """One model per id (a module's model is also seen from the files that import and call it),
    names resolved, and a `t.*` feature expanded to `t`'s known columns minus the excluded ones."""
    by_id: dict[str, MLModelDef] = {}
    for fragment in fragments:
        for model in fragment.ml_models:
            model = replace(
                model,
                features=tuple(_renamed_column(c, rename) for c in model.features),
                target=_renamed_column(model.target, rename) if model.target else None,
                prediction_time=_renamed_column(model.prediction_time, rename) if model.prediction_time else None,
                keys=tuple(_renamed_column(c, rename) for c in model.keys),
            )
            seen = by_id.get(model.id)
            if seen is not None:
                model = replace(
                    seen,
                    features=tuple(dict.fromkeys([*seen.features, *model.features])),
                    target=seen.target or model.target,
                    estimator=seen.estimator or model.estimator,
                    excluded=tuple(sorted({*seen.excluded, *model.excluded})),
                )
            by_id[model.id] = model
    return [_expanded_features(model, columns) for _, model in sorted(by_id.items())]


def _expanded_features(model: MLModelDef, columns: dict[str, tuple[str, ...]]) -> MLModelDef:
    features: list[ColumnRef] = []
    for feature in model.features:
        known = columns.get(feature.table or "") if feature.column == STAR else None
        if known is None:
            features.append(feature)
        else:
            features.extend(ColumnRef(feature.table, c) for c in known if c not in model.excluded and c != STAR)
    return replace(model, features=tuple(dict.fromkeys(features)))


def _renamed_column(column: ColumnRef, rename: dict[str, str]) -> ColumnRef:
    return ColumnRef(rename[column.table], column.column) if column.table in rename else column


def _renamed(edge: ColumnEdge, rename: dict[str, str]) -> ColumnEdge:
    if not rename or (edge.source.table not in rename and not edge.candidates):
        return edge
    source = _renamed_column(edge.source, rename)
    candidates = tuple(sorted({rename.get(t, t) for t in edge.candidates}))
    return replace(edge, source=source, candidates=candidates)


def memoised_sort_key() -> Callable[[ColumnEdge], tuple]:
    """`ColumnEdge.sort_key`, with each column reference's text and each location's tuple made once
    per object and shared by the keys of the edges holding it (decoded fragments share those objects).

    (The build sorts every edge of the repository: keys of their own would fill, and page-fault, tens
    of megabytes of memory that is freed right after the sort. The objects live as long as the edges
    being sorted, so their ids are theirs alone.)
    """
    texts: dict[int, str] = {}
    spans: dict[int, tuple] = {}

    def sort_key(edge: ColumnEdge) -> tuple:
        source, target, location = edge.source, edge.target, edge.location
        source_text = texts.get(id(source))
        if source_text is None:
            source_text = texts[id(source)] = str(source)
        target_text = texts.get(id(target))
        if target_text is None:
            target_text = texts[id(target)] = str(target)
        span = spans.get(id(location))
        if span is None:
            span = spans[id(location)] = location_sort_key(location)
        return (source_text, target_text, _KIND_VALUE[edge.kind], _CERTAINTY_RANK[edge.certainty], span,
                edge.candidates, edge.excluded)  # `ColumnEdge.sort_key`'s layout

    return sort_key
