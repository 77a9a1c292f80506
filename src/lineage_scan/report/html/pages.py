"""What each page shows, as plain data for the templates (no HTML here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lineage_scan.model import ColumnRef, Location, MLModelDef, TaskDef
from lineage_scan.report.html import urls
from lineage_scan.report.html.catalog import Catalog, Column, ColumnLink
from lineage_scan.report.html.findings import LEVELS, FindingView
from lineage_scan.report.html.source import Excerpt, SourceFiles

CELL_LIMIT = 8
"""Upstream/downstream columns listed in one cell of a columns table before "and N more"."""
MATERIALISATION_KEYS = ("materialized", "materialised", "materialization", "materialisation")


@dataclass(frozen=True)
class LinkItem:
    label: str
    url: str
    note: str = ""
    weak: bool = False
    """Indirect or less than certain: shown in a lighter style (with its note in words)."""


@dataclass(frozen=True)
class Cell:
    """A column's neighbours on one side: direct ones listed, indirect ones (joins, filters...) folded."""

    direct: tuple[LinkItem, ...]
    direct_more: int
    indirect: tuple[LinkItem, ...]
    indirect_more: int
    indirect_kinds: str


@dataclass(frozen=True)
class ColumnRow:
    name: str
    anchor: str
    data_type: str
    description: str
    tests: tuple[str, ...]
    tags: tuple[str, ...]
    upstream: Cell
    downstream: Cell


@dataclass(frozen=True)
class RelationFacts:
    name: str
    kind: str
    produced: bool
    declared: bool
    description: str
    owners: tuple[LinkItem, ...]
    tags: tuple[str, ...]
    tests: tuple[str, ...]
    materialisation: str
    attributes: tuple[tuple[str, str], ...]
    locations: tuple[tuple[Location, Excerpt | None], ...]
    columns: tuple[ColumnRow, ...]
    column_fields: frozenset[str]
    """Which optional columns of the columns table have something to show (data_type, description, tests)."""
    upstream: tuple[LinkItem, ...]
    downstream: tuple[LinkItem, ...]
    readers: tuple[LinkItem, ...]
    writers: tuple[LinkItem, ...]
    models: tuple[LinkItem, ...]
    findings: tuple[LinkItem, ...]


def relation_facts(catalog: Catalog, sources: SourceFiles, name: str, finding_urls: dict[str, str]) -> RelationFacts:
    info = catalog.relations[name]
    attributes = tuple((k, v) for k, v in info.attributes if k not in MATERIALISATION_KEYS)
    materialisation = next((v for k, v in info.attributes if k in MATERIALISATION_KEYS), "")
    columns = []
    for column in info.columns:
        meta = catalog.column_meta(name, column)
        columns.append(ColumnRow(
            column, urls.column_anchor(column), meta.data_type or "", meta.description or "", meta.tests, meta.tags,
            _cell([(link.source, link) for link in catalog.column_in.get((name, column), ())]),
            _cell([(link.target, link) for link in catalog.column_out.get((name, column), ())]),
        ))
    return RelationFacts(
        name=name,
        kind=info.kind.value,
        produced=info.produced,
        declared=info.declared,
        description=info.description or "",
        owners=tuple(LinkItem(owner, f"owners.html#{urls.owner_anchor(owner)}") for owner in info.owners),
        tags=info.tags,
        tests=info.tests,
        materialisation=materialisation,
        attributes=attributes,
        locations=tuple((location, sources.excerpt(location)) for location in info.locations),
        columns=tuple(columns),
        column_fields=frozenset(f for f in ("data_type", "description", "tests") if any(getattr(c, f) for c in columns)),
        upstream=tuple(_relation_item(catalog, other, name) for other in catalog.upstream.get(name, ())),
        downstream=tuple(_relation_item(catalog, name, other, other) for other in catalog.downstream.get(name, ())),
        readers=tuple(task_item(catalog, task) for task in catalog.readers.get(name, ())),
        writers=tuple(task_item(catalog, task) for task in catalog.writers.get(name, ())),
        models=tuple(LinkItem(m.name, urls.model_page(m.id), m.estimator or "") for m in catalog.models_by_relation.get(name, ())),
        findings=tuple(finding_item(f, finding_urls) for f in catalog.findings_by_relation.get(name, ())),
    )


def _cell(links: list[tuple[Column, ColumnLink]]) -> Cell:
    direct = [_column_item(column, link) for column, link in links if link.direct]
    indirect = [_column_item(column, link) for column, link in links if not link.direct]
    kinds = sorted({kind.replace("_", " ") for _, link in links if not link.direct for kind in link.kinds})
    return Cell(tuple(direct[:CELL_LIMIT]), max(0, len(direct) - CELL_LIMIT),
                tuple(indirect[:CELL_LIMIT]), max(0, len(indirect) - CELL_LIMIT), ", ".join(kinds))


def _column_item(column: Column, link: ColumnLink) -> LinkItem:
    note = link.label + ("" if link.certainty.value == "resolved" else f", {link.certainty.value}")
    return LinkItem(f"{column[0]}.{column[1]}", urls.column_url(*column), note,
                    weak=not link.direct or link.certainty.value != "resolved")


def _relation_item(catalog: Catalog, source: str, target: str, shown: str | None = None) -> LinkItem:
    link = catalog.relation_link(source, target)
    shown = source if shown is None else shown
    if link.direct:
        note = f"{link.columns} column{'s' if link.columns != 1 else ''}"
    elif link.indirect:
        note = "indirect only"
    else:
        note = "no column lineage"
    return LinkItem(shown, urls.relation_page(shown), note, weak=not link.direct)


def task_item(catalog: Catalog, task: TaskDef) -> LinkItem:
    dag_id = catalog.dag_of.get(task.id)
    page = urls.dag_page(dag_id) if dag_id is not None else "tasks.html"
    return LinkItem(task.id, f"{page}#{urls.task_anchor(task.id)}", task.kind)


def finding_item(finding: FindingView, finding_urls: dict[str, str]) -> LinkItem:
    return LinkItem(f"{finding.rule}: {finding.message}", finding_urls[finding.anchor], finding.level,
                    weak=finding.suppression is not None)


# ----------------------------------------------------------------------------- ML models
@dataclass(frozen=True)
class ModelFacts:
    model: MLModelDef
    trained_on: LinkItem | None
    """The relation holding its features and target, when they are all in one."""
    features: tuple[LinkItem, ...]
    target: LinkItem | None
    keys: tuple[LinkItem, ...]
    prediction_time: LinkItem | None
    sources: tuple[LinkItem, ...]
    findings: tuple[FindingView, ...]
    excerpt: Excerpt | None


def model_facts(catalog: Catalog, sources: SourceFiles, model: MLModelDef) -> ModelFacts:
    inputs = [(c.table or "?", c.column) for c in (*model.features, model.target) if c is not None]
    seen, stack, roots = set(inputs), list(inputs), set()
    while stack:
        column = stack.pop()
        parents = [link.source for link in catalog.column_in.get(column, ())]
        if not parents:
            roots.add(column[0])
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    on_model = {ColumnRef(*c) for c in inputs}
    findings = tuple(f for f in catalog.findings if any(column in on_model for _, column in f.column_steps))
    tables = {c.table for c in (*model.features, model.target) if c is not None}
    trained_on = tables.pop() if len(tables) == 1 else None  # then its columns are named by column alone

    def column(ref: ColumnRef) -> LinkItem:
        item = _plain_column(ref)
        return LinkItem(ref.column, item.url) if trained_on is not None and ref.table == trained_on else item

    return ModelFacts(
        model,
        LinkItem(trained_on, urls.relation_page(trained_on)) if trained_on else None,
        tuple(column(c) for c in model.features),
        column(model.target) if model.target else None,
        tuple(column(c) for c in model.keys),
        column(model.prediction_time) if model.prediction_time else None,
        tuple(LinkItem(name, urls.relation_page(name)) for name in sorted(roots)),
        findings,
        sources.excerpt(model.location) if model.location else None,
    )


def _plain_column(column: ColumnRef) -> LinkItem:
    table = column.table or "?"
    return LinkItem(f"{table}.{column.column}", urls.column_url(table, column.column))


# ----------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class TaskRow:
    task: TaskDef
    anchor: str
    label: str
    upstream: tuple[LinkItem, ...]
    downstream: tuple[LinkItem, ...]
    reads: tuple[LinkItem, ...]
    writes: tuple[LinkItem, ...]
    location: Location | None


def in_run_order(tasks: list[TaskDef]) -> list[TaskDef]:
    """Tasks after those they depend on (ties and cycles by id), as a DAG runs them."""
    ids = {task.id for task in tasks}
    waiting = {task.id: {u for u in task.upstream if u in ids and u != task.id} for task in tasks}
    by_id = {task.id: task for task in tasks}
    ordered: list[TaskDef] = []
    while waiting:
        ready = sorted(t for t, upstream in waiting.items() if not upstream) or [min(waiting)]
        for task_id in ready:
            ordered.append(by_id[task_id])
            del waiting[task_id]
        for upstream in waiting.values():
            upstream.difference_update(ready)
    return ordered


def task_rows(catalog: Catalog, tasks: list[TaskDef], dag_id: str | None = None) -> list[TaskRow]:
    """Table rows of ``tasks``; on the page of DAG ``dag_id``, its own tasks are named by their task names
    and their kind is their operator."""
    by_id = {task.id: task for task in catalog.tasks}
    downstream: dict[str, list[str]] = {}
    for task in catalog.tasks:
        for upstream in task.upstream:
            downstream.setdefault(upstream, []).append(task.id)
    rows = []
    for task in tasks:
        operator = dict(task.attributes).get("operator")
        label = operator if dag_id is not None and operator else f"{task.kind}" + (f" · {operator}" if operator else "")
        rows.append(TaskRow(
            task, urls.task_anchor(task.id), label,
            tuple(_task_link(catalog, by_id, u, dag_id) for u in task.upstream),
            tuple(_task_link(catalog, by_id, d, dag_id) for d in sorted(downstream.get(task.id, ()))),
            tuple(LinkItem(r, urls.relation_page(r)) for r in task.reads),
            tuple(LinkItem(w, urls.relation_page(w)) for w in task.writes),
            task.location,
        ))
    return rows


def _task_link(catalog: Catalog, by_id: dict[str, TaskDef], task_id: str, dag_id: str | None) -> LinkItem:
    task = by_id.get(task_id)
    if task is not None and dag_id is not None and catalog.dag_of.get(task_id) == dag_id:
        return LinkItem(task.name, f"{urls.dag_page(dag_id)}#{urls.task_anchor(task_id)}")
    return task_item(catalog, task) if task is not None else LinkItem(task_id, "", "not found in the repository")


# ----------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class RuleCount:
    rule: str
    name: str
    url: str
    levels: tuple[int, ...]
    """Counts per level, in `LEVELS` order."""
    suppressed: int
    total: int


def rule_counts(findings: list[FindingView], names: dict[str, str], rule_urls: dict[str, str]) -> list[RuleCount]:
    by_rule: dict[str, Counter[str]] = {}
    suppressed: Counter[str] = Counter()
    for finding in findings:
        if finding.suppression is not None:
            suppressed[finding.rule] += 1
            continue
        by_rule.setdefault(finding.rule, Counter())[finding.level] += 1
    rules = sorted({f.rule for f in findings})
    return [
        RuleCount(rule, names.get(rule, ""), rule_urls[rule], tuple(by_rule.get(rule, Counter())[level] for level in LEVELS),
                  suppressed[rule], sum(by_rule.get(rule, Counter()).values()))
        for rule in rules
    ]


@dataclass
class Paged:
    """One page of a long list."""

    url: str
    number: int
    items: list
    pages: list[str] = field(default_factory=list)


def paginate(base: str, items: list, size: int) -> list[Paged]:
    """``items`` cut into pages of ``size``; the first page is ``base``, the next ``base-2``, ..."""
    chunks = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
    pages = [urls.numbered(base, n) for n in range(1, len(chunks) + 1)]
    return [Paged(pages[n], n + 1, chunk, pages) for n, chunk in enumerate(chunks)]
