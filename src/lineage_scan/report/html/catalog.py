"""Lookups over a scan that every page of the site shares, computed once.

The graph is a networkx MultiDiGraph; walking it for every page of a 5,000-relation site is slow, so
adjacency is copied here into plain dicts: relations up/down, column edges merged per pair of columns
(one drawn edge carries all the kinds between two columns), tasks by relation, findings by relation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lineage_scan.graph import RelationInfo
from lineage_scan.model import Certainty, ColumnMeta, ColumnRef, EdgeKind, Location, MLModelDef, TaskDef
from lineage_scan.report.html.findings import FindingView, finding_views

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

Column = tuple[str, str]
AIRFLOW_TASK = "airflow_task"
DAG_ATTRIBUTE = "dag_id"


@dataclass(frozen=True)
class ColumnLink:
    """Every edge from one column to another, merged: the kinds, whether any is direct, the surest certainty."""

    source: Column
    target: Column
    kinds: tuple[str, ...]
    direct: bool
    certainty: Certainty
    location: Location | None

    @property
    def label(self) -> str:
        return ", ".join(kind.replace("_", " ") for kind in self.kinds)


@dataclass(frozen=True)
class RelationLink:
    """A relation feeding another, summarised from its column links (none for a bare `reads`)."""

    source: str
    target: str
    direct: bool
    indirect: bool
    certainty: Certainty | None
    columns: int
    """How many columns of the target it feeds directly."""


class Catalog:
    """Adjacency, metadata and findings of one scan, indexed for page building."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.root = Path(result.root)
        graph = self.graph = result.graph
        self.relation_names = graph.relations()
        self.relations: dict[str, RelationInfo] = {name: graph.relation(name) for name in self.relation_names}
        self.upstream: dict[str, list[str]] = defaultdict(list)
        self.downstream: dict[str, list[str]] = defaultdict(list)
        for source, target, _ in graph.relation_edges():
            self.upstream[target].append(source)
            self.downstream[source].append(target)
        for adjacency in (self.upstream, self.downstream):
            for names in adjacency.values():
                names.sort()
        self.column_in: dict[Column, list[ColumnLink]] = defaultdict(list)
        self.column_out: dict[Column, list[ColumnLink]] = defaultdict(list)
        self.relation_links: dict[tuple[str, str], RelationLink] = {}
        self._index_column_links()
        self.tasks: list[TaskDef] = graph.tasks()
        self.readers: dict[str, list[TaskDef]] = defaultdict(list)
        self.writers: dict[str, list[TaskDef]] = defaultdict(list)
        for task in self.tasks:
            for name in task.reads:
                self.readers[name].append(task)
            for name in task.writes:
                self.writers[name].append(task)
        self.dags: dict[str, list[TaskDef]] = defaultdict(list)
        self.dag_of: dict[str, str] = {}
        for task in self.tasks:
            if task.kind == AIRFLOW_TASK:
                dag_id = dict(task.attributes).get(DAG_ATTRIBUTE) or task.id.split(":", 1)[-1].split(".", 1)[0]
                self.dags[dag_id].append(task)
                self.dag_of[task.id] = dag_id
        self.models: list[MLModelDef] = graph.ml_models()
        self.models_by_relation: dict[str, list[MLModelDef]] = defaultdict(list)
        for model in self.models:
            for name in dict.fromkeys(c.table for c in (*model.features, model.target) if c is not None and c.table):
                self.models_by_relation[name].append(model)
        self.findings: list[FindingView] = finding_views(result.findings, self.relation_names)
        self.findings_by_relation: dict[str, list[FindingView]] = defaultdict(list)
        for finding in self.findings:
            for name in finding.relations:
                self.findings_by_relation[name].append(finding)
        self.owners: dict[str, list[str]] = defaultdict(list)
        for name, info in self.relations.items():
            for owner in info.owners:
                self.owners[owner].append(name)

    def _index_column_links(self) -> None:
        merged: dict[tuple[Column, Column], list[tuple[EdgeKind, Certainty, Location | None]]] = defaultdict(list)
        for source, target, data in self.graph.column_edges():
            merged[((source.table or "?", source.column), (target.table or "?", target.column))].append(
                (data["kind"], data["certainty"], data["location"]))
        pairs: dict[tuple[str, str], list[ColumnLink]] = defaultdict(list)
        for (source, target), edges in sorted(merged.items()):
            kinds = sorted(edges, key=lambda e: (not e[0].is_direct, e[0].value))
            link = ColumnLink(
                source, target, tuple(kind.value for kind, _, _ in kinds), kinds[0][0].is_direct,
                min((c for _, c, _ in edges), key=lambda c: c.rank), kinds[0][2],
            )
            self.column_out[source].append(link)
            self.column_in[target].append(link)
            pairs[(source[0], target[0])].append(link)
        for (source, target), links in pairs.items():
            direct = [link for link in links if link.direct]
            self.relation_links[(source, target)] = RelationLink(
                source, target, bool(direct), len(direct) < len(links),
                min((link.certainty for link in direct or links), key=lambda c: c.rank),
                len({link.target for link in direct}),
            )

    def relation_link(self, source: str, target: str) -> RelationLink:
        return self.relation_links.get((source, target)) or RelationLink(source, target, False, False, None, 0)

    def column_meta(self, relation: str, column: str) -> ColumnMeta:
        return self.graph.column_meta(ColumnRef(relation, column))

    def columns(self, relation: str) -> tuple[str, ...]:
        info = self.relations.get(relation)
        return info.columns if info else ()
