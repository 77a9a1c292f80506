"""The static HTML docs site: every page, asset and data file of a scan, as {relative path: text}.

Pure: reads the scan (and, for source excerpts, files inside the scanned root) and returns the
files; the CLI writes them. Templates live in `lineage_scan/templates/site/` and are rendered with
autoescaping on; the output is deterministic (sorted, no timestamps).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from lineage_scan import __version__
from lineage_scan.build.temporary import SCOPE_MARK
from lineage_scan.model import Diagnostic, Location
from lineage_scan.report.html import urls
from lineage_scan.report.html.catalog import Catalog
from lineage_scan.report.html.docs import blocks
from lineage_scan.report.html.findings import LEVELS, FindingView, rule_docs
from lineage_scan.report.html.pages import (
    in_run_order,
    model_facts,
    paginate,
    relation_facts,
    rule_counts,
    task_rows,
)
from lineage_scan.report.html.scripts import data_script
from lineage_scan.report.html.search import search_files
from lineage_scan.report.html.source import SourceFiles, marked_lines
from lineage_scan.report.html.views import (
    COLUMN_DEPTHS,
    RELATION_DEPTHS,
    Drawing,
    Sketch,
    column_sketch,
    dag_view,
    draw,
    finding_view,
    model_view,
    relation_sketch,
)
from lineage_scan.report.summary import summarise

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

ASSETS = ("site.css", "site.js")
RELATIONS_PER_PAGE = 500
TASKS_PER_PAGE = 500
FINDINGS_PER_PAGE = 40
DIAGNOSTICS_PER_PAGE = 500
OVERVIEW_DIAGNOSTICS = 20
DEFAULT_RELATION_DEPTH = 2
DEFAULT_COLUMN_DEPTH = 1


def render_site(result: ScanResult) -> dict[str, str]:
    """Every file of the site for ``result``, keyed by its POSIX path relative to the site root, sorted."""
    return dict(sorted(iter_site(result)))


def iter_site(result: ScanResult) -> Iterator[tuple[str, str]]:
    """The files of the site one by one, (POSIX path relative to the site root, text), in a fixed order.

    For writing a large site without holding all of it in memory; `render_site` collects them.
    """
    return _Site(result).files()


@dataclass(frozen=True)
class DepthChoice:
    depth: int
    src: str
    """The data file holding this depth's drawing ("" for the one drawn in the page)."""
    key: str
    current: bool


@dataclass(frozen=True)
class Highlight:
    label: str
    ids: str
    """Space-separated local ids (boxes and rows) of the drawing to highlight."""


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    drawing: Drawing
    svg: Markup
    depths: tuple[DepthChoice, ...] = ()
    highlights: tuple[Highlight, ...] = ()


class _Site:
    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.catalog = Catalog(result)
        self.sources = SourceFiles(Path(result.root))
        self.project = Path(result.root).resolve().name or str(result.root)
        self.env = Environment(
            loader=PackageLoader("lineage_scan", "templates/site"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            breakable=breakable,
            relation_url=urls.relation_page,
            relation_anchor=lambda name: urls.anchor("r", name),
            column_url=lambda ref: urls.column_url(ref.table or "?", ref.column),
            model_url=urls.model_page,
            dag_url=urls.dag_page,
            source_url=urls.source_page,
            owner_anchor=urls.owner_anchor,
            rule_anchor=lambda rule: urls.anchor("rule", rule),
        )
        self.env.globals["source_available"] = frozenset(self._source_paths())
        self.rules = rule_docs()
        self.rule_names = {rule.id: rule.slug for rule in self.rules}
        self.rule_doc = {rule.id: rule for rule in self.rules}
        self.finding_pages = self._finding_pages()
        self.finding_urls = {f.anchor: f"{page.url}#{f.anchor}" for page in (p for pages in self.finding_pages.values() for p in pages) for f in page.items}
        non_dag = [t for t in self.catalog.tasks if t.id not in self.catalog.dag_of]
        self.task_pages = paginate("tasks.html", non_dag, TASKS_PER_PAGE) if non_dag else []
        self.nav = self._nav()

    # ------------------------------------------------------------------ plumbing
    def _nav(self) -> list[tuple[str, str]]:
        c = self.catalog
        items = [("Overview", "index.html"), ("Relations", "relations.html")]
        items += [("ML models", "models.html")] if c.models else []
        items += [("DAGs", "dags.html")] if c.dags else []
        items += [("Tasks", "tasks.html")] if self.task_pages else []
        items += [("Owners", "owners.html")] if c.owners else []
        items += [("Findings", "findings.html")]
        items += [("Rules", "rules.html")]
        items += [("Diagnostics", "diagnostics.html"), ("Search", "search.html")]
        return items

    def page(self, path: str, template: str, title: str, **context: object) -> tuple[str, str]:
        root = "../" * path.count("/")
        return path, self.env.get_template(template).render(
            root=root, path=path, title=title, project=self.project, version=__version__, nav=self.nav,
            levels=LEVELS, **context)

    def svg(self, drawing: Drawing) -> Markup:
        return Markup(self.env.get_template("graph.svg.j2").render(d=drawing))

    def files(self) -> Iterator[tuple[str, str]]:
        for asset in ASSETS:
            yield f"assets/{asset}", resources.files("lineage_scan").joinpath("templates/site/assets", asset).read_text("utf-8")
        yield from search_files(self.catalog).items()
        for section in (self._overview, self._relations, self._models, self._dags_and_tasks, self._owners,
                        self._findings, self._rules, self._diagnostics, self._sources):
            yield from section()
        yield self.page("search.html", "search.html.j2", "Search")

    # ------------------------------------------------------------------ pages
    def _overview(self) -> Iterator[tuple[str, str]]:
        c = self.catalog
        summary = summarise(self.result)
        schemas = Counter(schema_of(name) for name in c.relation_names)
        relation_page_of = self._relation_list_pages()
        schema_links = []
        for schema, count in sorted(schemas.items()):
            first = next(n for n in c.relation_names if schema_of(n) == schema)
            schema_links.append((schema, count, f"{relation_page_of[first]}#{urls.anchor('r', first)}"))
        diagnostics_by_code = Counter((d.code, d.severity.value) for d in self.result.diagnostics)
        most_read = sorted(c.relation_names, key=lambda n: (-len(c.downstream.get(n, ())), n))[:10]
        yield self.page(
            "index.html", "overview.html.j2", "Overview",
            summary=summary, catalog=c, schemas=schema_links,
            counts=rule_counts(c.findings, self.rule_names, {r: p[0].url for r, p in self.finding_pages.items()}),
            diagnostics_by_code=sorted(diagnostics_by_code.items()),
            diagnostics=self.result.diagnostics[:OVERVIEW_DIAGNOSTICS],
            most_read=[(n, len(c.downstream.get(n, ()))) for n in most_read if c.downstream.get(n)],
            dags=sorted(c.dags),
        )

    def _relation_list_pages(self) -> dict[str, str]:
        pages = paginate("relations.html", self.catalog.relation_names, RELATIONS_PER_PAGE)
        return {name: page.url for page in pages for name in page.items}

    def _relations(self) -> Iterator[tuple[str, str]]:
        c = self.catalog
        for page in paginate("relations.html", c.relation_names, RELATIONS_PER_PAGE):
            yield self.page(page.url, "relations.html.j2", "Relations", listing=page,
                      rows=[c.relations[name] for name in page.items], catalog=c)
        for name in c.relation_names:
            slug = urls.file_slug(name)
            data_files: list[tuple[str, str]] = []
            figures = (
                self._depth_figure("rel", "Relation lineage", slug, name, relation_sketch, RELATION_DEPTHS,
                                   DEFAULT_RELATION_DEPTH, data_files),
                self._depth_figure("col", "Column lineage", slug, name, column_sketch, COLUMN_DEPTHS,
                                   DEFAULT_COLUMN_DEPTH, data_files),
            )
            yield from data_files
            yield self.page(urls.relation_page(name), "relation.html.j2", name,
                      r=relation_facts(c, self.sources, name, self.finding_urls),
                      figures=[f for f in figures if f is not None])

    def _depth_figure(self, kind: str, title: str, slug: str, name: str, sketcher, depths: tuple[int, ...],
                      default: int, data_files: list[tuple[str, str]]) -> Figure | None:
        """A figure drawn at ``default`` depth, the other depths in data files (while they add anything)."""
        sketches: list[Sketch] = []
        for depth in depths:
            sketch = sketcher(self.catalog, name, depth, "../")
            if sketches and sketch.signature() == sketches[-1].signature():
                break
            sketches.append(sketch)
        if len(sketches[0].boxes) <= 1 and not sketches[0].edges:
            return None
        default = min(default, len(sketches))
        choices, shown = [], None
        for depth, sketch in enumerate(sketches, start=1):
            key = f"graph/{slug}.{kind}{depth}"
            drawing = draw(sketch)
            if depth == default:
                shown = drawing
                choices.append(DepthChoice(depth, "", key, True))
            else:
                src = f"data/{key}.js"
                data_files.append((src, data_script(key, str(self.svg(drawing)))))
                choices.append(DepthChoice(depth, src, key, False))
        return Figure(kind, title, shown, self.svg(shown), tuple(choices))

    def _models(self) -> Iterator[tuple[str, str]]:
        c = self.catalog
        if not c.models:
            return
        yield self.page("models.html", "models.html.j2", "ML models", models=c.models)
        for model in c.models:
            facts = model_facts(c, self.sources, model)
            drawing = model_view(c, model, "../")
            highlights = tuple(Highlight(f"{f.rule}: {f.message}", ids) for f in facts.findings
                               if (ids := _path_ids(drawing, f)))
            figure = Figure("model", "Lineage", drawing, self.svg(drawing), highlights=highlights)
            yield self.page(urls.model_page(model.id), "model.html.j2", model.name, m=facts, fig=figure,
                      finding_urls=self.finding_urls)

    def _dags_and_tasks(self) -> Iterator[tuple[str, str]]:
        c = self.catalog
        if c.dags:
            yield self.page("dags.html", "dags.html.j2", "DAGs", dags=sorted(c.dags.items()))
        for dag_id, tasks in sorted(c.dags.items()):
            drawing = dag_view(c, dag_id, tasks, "../")
            figure = Figure("dag", "Task dependencies", drawing, self.svg(drawing)) if drawing else None
            files = {task.location.path if task.location else None for task in tasks}
            dag_file = files.pop() if len(files) == 1 else None  # one file: named once, rows give lines
            yield self.page(urls.dag_page(dag_id), "dag.html.j2", f"DAG {dag_id}", dag_id=dag_id, fig=figure,
                            rows=task_rows(c, in_run_order(tasks), dag_id), dag_file=dag_file,
                            dag_file_location=Location(dag_file, 1, 1, 1, 1) if dag_file else None)
        for page in self.task_pages:
            yield self.page(page.url, "tasks.html.j2", "Tasks", listing=page, rows=task_rows(c, page.items))

    def _owners(self) -> Iterator[tuple[str, str]]:
        if self.catalog.owners:
            yield self.page("owners.html", "owners.html.j2", "Owners", owners=sorted(self.catalog.owners.items()))

    def _finding_pages(self) -> dict[str, list]:
        by_rule: dict[str, list[FindingView]] = {}
        for finding in self.catalog.findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        return {rule: paginate(urls.findings_page(rule), items, FINDINGS_PER_PAGE)
                for rule, items in sorted(by_rule.items())}

    def _findings(self) -> Iterator[tuple[str, str]]:
        c = self.catalog
        rule_urls = {rule: pages[0].url for rule, pages in self.finding_pages.items()}
        yield self.page("findings.html", "findings.html.j2", "Findings",
                  counts=rule_counts(c.findings, self.rule_names, rule_urls))
        for rule, pages in self.finding_pages.items():
            for page in pages:
                figures = {}
                for number, finding in enumerate(page.items):
                    drawing = finding_view(c, finding, "../", f"f{number}")
                    if drawing is not None:
                        figures[finding.anchor] = Figure(f"f{number}", "Path", drawing, self.svg(drawing))
                yield self.page(page.url, "findings_rule.html.j2", f"Findings {rule}", rule=rule,
                          doc=self.rule_doc.get(rule), listing=page, figures=figures)

    def _rules(self) -> Iterator[tuple[str, str]]:
        yield self.page("rules.html", "rules.html.j2", "Rules",
                        rules=[(rule, [(heading, blocks(body)) for heading, body in rule.sections]) for rule in self.rules])

    def _diagnostics(self) -> Iterator[tuple[str, str]]:
        for page in paginate("diagnostics.html", list(self.result.diagnostics), DIAGNOSTICS_PER_PAGE):
            yield self.page(page.url, "diagnostics.html.j2", "Diagnostics", listing=page)

    def _source_paths(self) -> list[str]:
        """Files some location points into that can be shown (inside the root, readable), sorted."""
        c = self.catalog
        locations = [loc for info in c.relations.values() for loc in info.locations]
        locations += [t.location for t in c.tasks] + [m.location for m in c.models]
        locations += [d.location for d in self.result.diagnostics]
        locations += [loc for f in c.findings
                      for loc in (f.location, *(r.location for r in f.related), *(s.location for s in f.path),
                                  f.suppression.location if f.suppression else None)]
        paths = {loc.path for loc in locations if loc is not None}
        return sorted(path for path in paths if self.sources.lines(path) is not None)

    def _sources(self) -> Iterator[tuple[str, str]]:
        """A page per file that some location points into, whole, with line anchors and spans marked."""
        c = self.catalog
        defines: dict[str, list[tuple[str, str, Location]]] = {}
        for name, info in c.relations.items():
            for location in info.locations:
                defines.setdefault(location.path, []).append(("relation", name, location))
        for task in c.tasks:
            if task.location:
                defines.setdefault(task.location.path, []).append(("task", task.id, task.location))
        for model in c.models:
            if model.location:
                defines.setdefault(model.location.path, []).append(("ML model", model.name, model.location))
        diagnostics_in: dict[str, list[Diagnostic]] = {}
        for diagnostic in self.result.diagnostics:
            diagnostics_in.setdefault(diagnostic.location.path, []).append(diagnostic)
        for path in self.env.globals["source_available"]:
            here = sorted(defines.get(path, []), key=lambda d: (d[2], d[0], d[1]))
            diagnostics = diagnostics_in.get(path, [])
            yield self.page(urls.source_page(path), "source.html.j2", path, source_path=path, defines=here,
                      diagnostics=diagnostics, lines=marked_lines(self.sources.lines(path) or [], [d[2] for d in here]),
                      problem_lines={d.location.start_line for d in diagnostics})


def schema_of(name: str) -> str:
    """The schema part of a relation name; for a dataset URI (`s3://bucket/key`), its scheme and host;
    for a file's temporary table (`stage@etl/load.sql`), the schema of its own name."""
    if "://" in name:
        scheme, _, rest = name.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return name.partition(SCOPE_MARK)[0].rpartition(".")[0] or "(no schema)"


def breakable(name: str) -> Markup:
    """The name escaped, with line-break opportunities after `.`, `/`, `:` and `_` (not inside words)."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.split(name))


_BREAK_AFTER = re.compile(r"(?<=[./:_])(?=.)")


def _path_ids(drawing: Drawing, finding: FindingView) -> str:
    """Local ids of the drawing's boxes and rows that are steps of the finding's path."""
    columns = {(column.table or "?", column.column) for _, column in finding.column_steps}
    ids = []
    for box in drawing.boxes:
        ids.extend(row.id for row in box.rows if (box.title, row.title) in columns)
    return " ".join(ids)
