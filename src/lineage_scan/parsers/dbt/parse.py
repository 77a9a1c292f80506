"""A whole dbt project -> fragments, without `dbt compile` or a warehouse.

Steps 1-3 are the project-level pass (`ProjectParser.prepare`); step 4 is one unit per node
(`run_unit`), which `run.ProjectRun` hands out in dependency order, to this process or a worker,
through the cache; step 5 (`emit`) runs once every unit is done.

1. read `dbt_project.yml`, YAML properties, docs blocks, and load macros (project, packages,
   built-ins, dbt_utils stand-ins) into one sandboxed Jinja environment;
2. parse pass: render every model/snapshot once with `execute` false to collect its `config()`,
   `ref()`s and `source()`s (as dbt parses);
3. name every relation as dbt would (`generate_database/schema/alias_name`, the project's own
   versions when it defines them);
4. compile pass, in dependency order: render again with `execute` true (incremental models twice,
   both `is_incremental()` branches) and analyse the SQL with the shared engine, with the columns
   of sources (YAML) and of the seeds (CSV headers) and models (their inferred outputs) each node
   refs known, so `select *` and `dbt_utils.star` expand through model chains;
5. emit relations, column edges, reads, metadata, tasks, exposures and ML models, one fragment per
   file, with a diagnostic (file and line) for everything that could not be rendered or parsed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
from sqlglot.dialects.dialect import Dialect

from lineage_scan import collector
from lineage_scan.files import read_repo_text, read_text_or_reason
from lineage_scan.limits import PARSER_FAILED, TimeLimitExceeded, time_limit
from lineage_scan.model import (
    STAR,
    Certainty,
    ColumnEdge,
    ColumnMeta,
    ColumnRef,
    Diagnostic,
    EdgeKind,
    Fragment,
    Location,
    QueryLogic,
    RelationDef,
    RelationKind,
    RelationMeta,
    RelationUse,
    Severity,
    ValueFact,
)
from lineage_scan.owners import load_codeowners
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.dbt import emit
from lineage_scan.parsers.dbt.context import UNKNOWN_NODE, DbtContext, Event, undefined_class
from lineage_scan.parsers.dbt.lines import MARK_CLOSE, MARK_OPEN, LineMap, mark_lines, unmark
from lineage_scan.parsers.dbt.loader import collect_nodes, load_properties, macro_files, seed_columns
from lineage_scan.parsers.dbt.macros import MacroRegistry
from lineage_scan.parsers.dbt.manifest import MANIFEST, Manifest
from lineage_scan.parsers.dbt.nodes import Node, RefCall
from lineage_scan.parsers.dbt.objects import PLACEHOLDER_PREFIX, DbtTags, Relation
from lineage_scan.parsers.dbt.project import PROJECT_FILE, Project, list_files, load_project, normalise_config
from lineage_scan.parsers.dbt.properties import Exposure
from lineage_scan.parsers.dbt.python_models import python_model_calls
from lineage_scan.parsers.dbt.standins import dbt_utils_standins
from lineage_scan.parsers.dbt.target import PROFILES_FILE, dialect_for, target_settings
from lineage_scan.parsers.dbt.units import ModelUnit, ParsePass, UnitResult
from lineage_scan.parsers.jinja import RENDER_SECONDS, render, sandbox
from lineage_scan.parsers.python import PARSER as PYTHON_PARSER
from lineage_scan.parsers.python import DbtPythonModel, analyse_program
from lineage_scan.sql.names import Names
from lineage_scan.sql.schema import SchemaRegistry
from lineage_scan.sql.script import analyse_script

if TYPE_CHECKING:
    from lineage_scan.fragment_cache import FragmentCache

PARSER = "dbt"
StoreParse = Callable[[Node, list[Any], ParsePass, frozenset[str]], None]
PROJECT_PROBLEM = "LS910"
RENDER_FAILED = "LS911"
PROPERTIES_PROBLEM = "LS914"
EXPOSURE_PROBLEM = "LS915"
SNAPSHOT_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        return None


def canonical(value: Any) -> str:
    """``value`` as canonical JSON (non-JSON values by their repr)."""
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except TypeError:  # mapping keys of mixed types cannot be sorted
        return repr(value)


@dataclass
class Compiled:
    """A node's analysed SQL: what goes into its fragment."""

    columns: tuple[str, ...] | None = None
    edges: list[ColumnEdge] = field(default_factory=list)
    reads: list[RelationUse] = field(default_factory=list)
    relations: list[RelationDef] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    value_facts: list[ValueFact] = field(default_factory=list)
    statements: int = 0
    statements_failed: int = 0
    rendered: bool = True
    location: Location | None = None
    logic: QueryLogic | None = None


class ProjectParser:
    def __init__(self, root: Path, project_rel: str, context: ParseContext, cache: FragmentCache | None = None):
        """``cache``: where the project's parsed YAML properties files are kept (see `load_properties`)."""
        settings = context.config.extra.get("dbt")
        self.settings: dict[str, Any] = settings if isinstance(settings, dict) else {}
        self.context = context
        self.project: Project = load_project(root, project_rel)
        self.files = list_files(self.project, context.config.exclude)
        self.properties = load_properties(self.project, self.files, context.max_file_bytes, cache)
        self.target, self.profile_problems = target_settings(
            self.project, self.settings, context.config.dialect, context.config.default_schema,
            context.config.default_database)
        self.dialect = context.dialect
        dialect_name = dialect_for(self.target, context.config.dialect)
        if not context.config.dialect and dialect_name:
            try:
                self.dialect = Dialect.get_or_raise(dialect_name)
            except ValueError:
                pass
        self.names = Names(self.dialect, context.default_db, context.default_catalog)
        self.registry = context.schema.copy()
        self.ctx = DbtContext(self.project, self.properties, self.target, self.names, self.registry, self.settings)
        self.env = sandbox(undefined=undefined_class(self.ctx))
        self.env.add_extension(DbtTags)
        self.env.filters.update(as_bool=self.ctx.ns["as_bool"], as_native=self.ctx.ns["as_native"],
                                as_number=self.ctx.ns["as_number"], as_text=str)
        self.macros = MacroRegistry(self.env, self.ctx, {"dbt_utils": dbt_utils_standins(self.ctx)})
        self.codeowners = load_codeowners(root)
        self.manifest = Manifest.load(self.project, context.max_file_bytes)
        self.fragments: dict[str, Fragment] = {}
        self.compiled: dict[str, Compiled] = {}
        self.project_rel = project_rel
        self.base = self.registry
        """The columns every unit sees (declared schema, sources), set by `prepare`."""
        self.order: list[Node] = []
        self.checks: list[Node] = []
        self.by_id: dict[str, Node] = {}
        self._render_digest: str | None = None
        self._project_digest: str | None = None
        self._facets: dict[str, str] = {}
        self.descriptions: dict[str, dict[str, str]] = {}
        """relation -> column -> description (YAML), for pass-through inheritance."""

    # ----------------------------------------------------------------- fragments and diagnostics
    def fragment(self, path: str) -> Fragment:
        if path not in self.fragments:
            self.fragments[path] = Fragment(path=path, parser=PARSER)
        return self.fragments[path]

    def diagnose(self, path: str, line: int, message: str, code: str, severity: Severity = Severity.WARNING,
                 subject: str | None = None) -> None:
        self.fragment(path).diagnostics.append(Diagnostic(emit.at_line(path, max(line, 1)), PARSER, message, severity, code, subject))

    def _event_diagnostics(self, events: list[Event]) -> list[Diagnostic]:
        return [Diagnostic(emit.at_line(e.path, e.line), PARSER, e.message, e.severity, e.code) for e in sorted(set(events))]

    # ----------------------------------------------------------------- the run
    def prepare(self, parsed: Callable[[Node], ParsePass | None] | None = None, store: StoreParse | None = None) -> None:
        """The project-level pass: properties, macros, every node's parse pass, names, sources, order.

        ``parsed`` gives a node's parse pass when it is already known (from the cache, or from the
        scanning process in a worker); ``store`` is told of each parse pass rendered here, with the
        node's digest before it and the project-wide values (`FACETS`) it read.
        """
        project_file = self.project.project_file
        self.fragment(project_file)
        for message, line in self.project.problems:
            self.diagnose(project_file, line, message, PROJECT_PROBLEM)
        for message in self.profile_problems:
            self.diagnose(self.project.repo_path(PROFILES_FILE), 1, message, PROJECT_PROBLEM)
        for path, line, message in self.properties.problems:
            self.diagnose(path, line, message, PROPERTIES_PROBLEM)
        self._load_macros()
        self._render_descriptions()
        nodes, problems = collect_nodes(self.project, self.files, self.properties, self.context.max_file_bytes)
        for path, line, message in problems:
            self.diagnose(path, line, message, "LS900", Severity.ERROR)
        for node in nodes:
            known = parsed(node) if parsed is not None else None
            if known is not None:
                known.apply(node)
                continue
            before = self.node_digest(node) if store is not None else None
            self.ctx.touched = set()
            with collector.one_input():
                self._parse_pass(node)
            if store is not None and before is not None:
                store(node, before, ParsePass.of(node), frozenset(self.ctx.touched))
        nodes = [n for n in nodes if n.enabled]
        resources = [n for n in nodes if n.resource in ("model", "seed", "snapshot")]
        self._register(resources)
        self._declare_sources()
        self.base = self.registry.copy()
        self.ctx.ns["graph"]["nodes"] = {n.unique_id: self.ctx.node_dict(n) for n in resources}
        self._facets.clear()  # parse passes saw an empty graph
        self.order = self._order(resources)
        self.checks = [n for n in nodes if n.resource in ("analysis", "test")]
        self.by_id = {n.unique_id: n for n in [*self.order, *self.checks]}

    def run_unit(self, unit: ModelUnit) -> UnitResult:
        """Render and analyse one model, snapshot, analysis or singular test, seeing the declared
        schema, the project's sources and the columns ``unit`` lists (those of the nodes it refs).
        A failure of ours becomes an LS941 diagnostic on the node (not cached)."""
        node = self.by_id[unit.unique_id]
        refs, sources = list(node.refs), list(node.sources)
        registry = self.visible_registry(unit.visible)
        self.ctx.registry = registry
        self.ctx.touched = set()
        try:
            compiled = self._compile(node, unit.target, registry)
        except Exception as error:  # noqa: BLE001 - one node's parser bug must not stop the scan
            message = f"{node.resource} '{node.name}' not analysed: the dbt parser failed ({type(error).__name__}: {error})"
            compiled = Compiled(rendered=False, diagnostics=[
                Diagnostic(emit.at_line(node.path, node.line), PARSER, message, Severity.ERROR, PARSER_FAILED)])
        finally:
            self.ctx.registry = self.registry
        return UnitResult(compiled, node.refs, node.sources, frozenset(self.ctx.touched),
                          refs_changed=(refs, sources) != (node.refs, node.sources))

    def visible_registry(self, visible: tuple[tuple[str, tuple[str, ...]], ...]) -> SchemaRegistry:
        """The declared schema and the project's sources, plus ``visible`` (relation, columns) pairs."""
        registry = self.base.copy()
        for key, columns in visible:
            registry.set(key, columns)
        return registry

    def target_of(self, node: Node) -> str:
        """The relation a node's query writes: its own, or a placeholder for analyses and tests."""
        if node.resource == "analysis":
            return f"query:{node.path}:{node.line}"
        if node.resource == "test":
            return f"test:{node.name}"
        assert node.key is not None
        return node.key

    # ----------------------------------------------------------------- what rendering depends on
    def render_digest(self) -> str:
        """What every template's rendering depends on: `dbt_project.yml`, every macro file (the
        project's, packages', built-in), the target, vars and env settings, the dialect, sources' names."""
        if self._render_digest is None:
            sources = sorted((list(k), str(self.ctx.source_relation(*k))) for k in self.properties.sources)
            self._render_digest = _sha(canonical([
                _file_digest(self.project.dir / PROJECT_FILE), self.macros.digest(), self.target, self.settings,
                type(self.dialect).__qualname__, sources,
            ]))
        return self._render_digest

    def project_digest(self) -> str:
        """What every unit's analysis depends on: the render digest, the columns known before any
        model (declared schema, sources) and `target/manifest.json` (the fallback of unrenderable nodes)."""
        if self._project_digest is None:
            self._project_digest = _sha(canonical([
                self.render_digest(), sorted(self.base.as_dict().items()), _file_digest(self.project.dir / MANIFEST),
            ]))
        return self._project_digest

    def node_digest(self, node: Node) -> list[Any]:
        """The node as its template sees it (text, config, YAML description and columns, relation)."""
        return [self.ctx.node_dict(node), node.key, node.line, node.resource, node.language,
                str(node.relation) if node.relation is not None else None]

    def ref_targets(self, node: Node) -> list[Any]:
        """The relation each of the node's refs renders as."""
        targets = []
        for ref in node.refs:
            target = self.ctx.find_node(ref.package, ref.name, ref.version)
            targets.append([ref.package, ref.name, ref.version, str(target.relation) if target and target.relation else None])
        return targets

    def facet_digest(self, facet: str) -> str:
        """The digest of a project-wide value templates may read (`FACETS`)."""
        if facet not in self._facets:
            value = dict(dict.items(self.ctx.ns["graph"])) if facet == "graph" else self.properties.docs
            self._facets[facet] = _sha(canonical(value))
        return self._facets[facet]

    def emit(self, compiled: dict[str, Compiled], python: dict[str, Fragment]) -> list[Fragment]:
        """The project's fragments, from every node's compiled result (``python``: Python models' analyses)."""
        self.compiled = compiled
        for node in self.order:
            if node.resource == "seed":
                self._seed(node)
            elif node.language == "python":
                self._python_model(node)
            else:
                self._model(node, compiled[node.unique_id])
        for node in self.checks:
            if node.resource == "analysis":
                self._analysis(node, compiled[node.unique_id])
            else:
                self._singular_test(node, compiled[node.unique_id])
        self._emit_metadata(self.order)
        self._exposures()
        return sorted([*self.fragments.values(), *python.values()], key=lambda f: (f.path, f.parser))

    def _load_macros(self) -> None:
        packages_dir = self.project.dir / self.project.packages_dir
        if packages_dir.is_dir() and not packages_dir.is_symlink():
            for folder in sorted(p for p in packages_dir.iterdir() if p.is_dir() and not p.is_symlink()):
                if not (folder / PROJECT_FILE).is_file():
                    continue
                package = load_project(self.project.root, folder.relative_to(self.project.root).as_posix())
                for rel in macro_files(package, list_files(package)):
                    text = read_repo_text(package.dir / rel, self.context.max_file_bytes)
                    if text is not None:
                        self.macros.load(text, package.repo_path(rel), package.name)
        for rel in macro_files(self.project, self.files):
            path = self.project.repo_path(rel)
            text, reason = read_text_or_reason(self.project.dir / rel, self.context.max_file_bytes)
            if text is None:
                self.diagnose(path, 1, f"macros not loaded: {reason}", "LS900", Severity.ERROR)
                continue
            self.fragment(path)
            self.macros.load(text, path, self.project.name)
        for path, line, message in self.macros.problems:
            if not path.startswith("<"):
                self.diagnose(path, line, message, RENDER_FAILED, Severity.ERROR)

    def _render_descriptions(self) -> None:
        """Descriptions with Jinja in them (`'{{ doc("name") }}'`) rendered with the project's context."""
        self.ctx.enter(None, execute=True)

        def rendered(text: str | None, path: str, line: int) -> str | None:
            if not text or ("{{" not in text and "{%" not in text):
                return text
            result = render(self.env, text, self.ctx.ns)
            if result.text is None:
                self.diagnose(path, line, f"description could not be rendered: {result.errors[0]}", PROPERTIES_PROBLEM)
                return text
            return result.text.strip() or None

        for props in self.properties.nodes.values():
            props.description = rendered(props.description, props.path, props.line)
            for column in props.columns:
                column.description = rendered(column.description, props.path, props.line)
        for table in self.properties.sources.values():
            table.description = rendered(table.description, table.path, table.line)
            for column in table.columns:
                column.description = rendered(column.description, table.path, table.line)
        for exposure in self.properties.exposures:
            exposure.description = rendered(exposure.description, exposure.path, exposure.line)

    # ----------------------------------------------------------------- parse pass and naming
    def _parse_pass(self, node: Node) -> None:
        """Collect the node's own `config()`, refs and sources (rendering with `execute` false)."""
        if node.source is None:
            return
        if node.language == "python":
            refs, sources, config, error = python_model_calls(node.source, self.context.config.max_python_lines)
            node.refs, node.sources = refs, sources
            node.file_config = normalise_config(config)
            if error:
                self.diagnose(node.path, 1, error, RENDER_FAILED, Severity.ERROR)
            return
        self._render(node, execute=False)

    def _register(self, resources: list[Node]) -> None:
        for node in resources:
            key = (node.name, node.version)
            if key in self.ctx.nodes:
                other = self.ctx.nodes[key]
                self.diagnose(node.path, node.line, f"{node.resource} '{node.name}' is also defined in {other.path}; "
                              f"this one is ignored", PROJECT_PROBLEM)
                continue
            self.ctx.nodes[key] = node
        for props in self.properties.nodes.values():
            latest = props.latest_version or (str(max((v["v"] for v in props.versions), key=str)) if props.versions else None)
            if latest is not None and (props.name, latest) in self.ctx.nodes:
                self.ctx.nodes.setdefault((props.name, None), self.ctx.nodes[(props.name, latest)])
        for node in resources:
            node.relation = self._relation_of(node)
            node.key = self.ctx.relation_key(node.relation)

    def _relation_of(self, node: Node) -> Relation:
        config = node.merged_config
        self.ctx.enter(node, execute=True)
        node_dict = self.ctx.node_dict(node)
        if node.resource == "snapshot" and config.get("target_schema"):
            schema = str(config["target_schema"])
            database = str(config.get("target_database") or self.target.get("database") or "")
        else:
            schema = self._naming("generate_schema_name", config.get("schema"), node_dict, str(self.target["schema"]))
            database = self._naming("generate_database_name", config.get("database"), node_dict,
                                    str(self.target.get("database") or ""))
        alias = self._naming("generate_alias_name", config.get("alias"), node_dict, node.name)
        for event in self.ctx.state.events:
            self.diagnose(event.path, event.line, event.message, event.code, event.severity)
        relation_type = {"ephemeral": "cte", "view": "view"}.get(node.materialized, "table")
        return Relation(database or None, schema or None, alias or node.name, relation_type, self.ctx.dialect_name)

    def _naming(self, macro: str, custom: Any, node_dict: dict[str, Any], default: str) -> str:
        try:
            with time_limit(RENDER_SECONDS):
                value = self.ctx.ns[macro](custom, node_dict)
        except (TimeLimitExceeded, RecursionError, Exception) as error:  # noqa: BLE001 - the project macro's fault
            path, line = self.ctx.position()
            self.diagnose(self.ctx.state.node.path if self.ctx.state.node else path, line,
                          f"{macro} failed for '{node_dict['name']}' ({type(error).__name__}: {error}); "
                          f"dbt's default naming used", RENDER_FAILED, Severity.ERROR)
            return default if macro != "generate_schema_name" or custom is None else f"{default}_{custom}"
        return str(value).strip()

    def _declare_sources(self) -> None:
        for (source, name), table in sorted(self.properties.sources.items()):
            if table.config.get("enabled") in (False, "false"):
                continue
            key = self.ctx.relation_key(self.ctx.source_relation(source, name))
            if key is None:
                continue
            columns = tuple(self.names.ident(c.name) for c in table.columns) or None
            fragment = self.fragment(table.path)
            fragment.relations.append(RelationDef(key, RelationKind.SOURCE, emit.at_line(table.path, table.line),
                                                  columns, declared=columns is not None))
            fragment.metadata.append(emit.source_meta(table, key, self.project.name, self.properties,
                                                      self.codeowners, self.names))
            if columns:
                self.registry.set(key, columns)
            self.descriptions[key] = {self.names.ident(c.name): c.description for c in table.columns if c.description}

    def _order(self, resources: list[Node]) -> list[Node]:
        """Nodes in dependency order (refs first), ties broken by unique id; cycles reported."""
        by_id = {n.unique_id: n for n in resources}
        graph = nx.DiGraph()
        graph.add_nodes_from(by_id)
        for node in resources:
            for ref in node.refs:
                target = self.ctx.find_node(ref.package, ref.name, ref.version)
                if target is not None and target.unique_id in by_id and target is not node:
                    graph.add_edge(target.unique_id, node.unique_id)
        try:
            return [by_id[n] for n in nx.lexicographical_topological_sort(graph)]
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(graph)
            names = " -> ".join(by_id[u].name for u, _ in cycle)
            first = by_id[cycle[0][0]]
            self.diagnose(first.path, first.line, f"models reference each other in a cycle ({names}); "
                          f"analysed in file order", PROJECT_PROBLEM)
            return sorted(resources, key=lambda n: n.unique_id)

    # ----------------------------------------------------------------- rendering and analysis
    def _render(self, node: Node, execute: bool, incremental: bool = False) -> tuple[LineMap | None, list[Event], Diagnostic | None]:
        """Render a node's template; (text with its line map, events, failure diagnostic)."""
        self.ctx.enter(node, execute, incremental)
        assert node.source is not None
        rendered = render(self.env, mark_lines(node.source), self.ctx.ns)
        events = list(self.ctx.state.events)
        if rendered.text is None:
            where = rendered.where or ("<template>", node.line)
            path = node.path if where[0] in ("<template>", None) else where[0]
            message = f"{node.resource} '{node.name}' could not be rendered: {rendered.errors[0] if rendered.errors else 'unknown error'}"
            return None, events, Diagnostic(emit.at_line(path, where[1]), PARSER, message, Severity.ERROR, RENDER_FAILED)
        text = rendered.text
        if node.resource == "snapshot":
            text = self._snapshot_sql(node, text)
        return unmark(text), events, None

    def _compile(self, node: Node, target: str, registry: SchemaRegistry) -> Compiled:
        """Render (both incremental branches) and analyse a node whose SQL writes ``target``."""
        compiled = Compiled()
        maps: list[LineMap] = []
        for incremental in (False, True) if node.materialized == "incremental" else (False,):
            line_map, events, failure = self._render(node, execute=True, incremental=incremental)
            compiled.diagnostics.extend(self._event_diagnostics(events))
            if failure is not None:
                compiled.diagnostics.append(failure)
                compiled.rendered = False
                break
            assert line_map is not None
            maps.append(line_map)
        if not compiled.rendered:
            fallback = self.manifest.compiled_code(node)
            if fallback is None:
                return compiled
            compiled.diagnostics.append(Diagnostic(emit.at_line(node.path, node.line), PARSER,
                                                   "analysed the compiled code of target/manifest.json instead "
                                                   "(it matches this file's current contents)", Severity.NOTE, RENDER_FAILED))
            maps = [unmark(f"{MARK_OPEN}{node.line}{MARK_CLOSE}" + self.manifest.renamed(fallback, self.ctx))]
        for line_map in maps:
            self._analyse(node, line_map, target, compiled, registry)
        compiled.diagnostics = sorted(set(compiled.diagnostics))
        return compiled

    def _analyse(self, node: Node, line_map: LineMap, target: str, compiled: Compiled, registry: SchemaRegistry) -> None:
        script = analyse_script(
            line_map.text,
            self.dialect,
            path=node.path,
            schema=registry,
            default_db=self.context.default_db,
            default_catalog=self.context.default_catalog,
            statement_timeout=self.context.config.statement_timeout_seconds,
            max_statement_chars=self.context.config.max_statement_chars,
            query_target=lambda _line: target,
        )
        first = not compiled.relations
        for edge in script.edges:
            certainty = edge.certainty
            if edge.location is not None and PLACEHOLDER_PREFIX in line_map.span_text(edge.location):
                certainty = certainty.weakest(Certainty.INFERRED)
            compiled.edges.append(replace(edge, certainty=certainty, location=line_map.location(edge.location, node.path)))
        compiled.reads.extend(replace(r, location=line_map.location(r.location, node.path)) for r in script.reads)
        compiled.value_facts.extend(
            replace(f, location=line_map.location(f.location, node.path), rate=line_map.location(f.rate, node.path))
            for f in script.value_facts
        )
        for relation in script.relations:
            relation = replace(relation, location=line_map.location(relation.location, node.path))
            if relation.name == target and first and compiled.columns is None:
                compiled.columns = relation.columns
                compiled.location = relation.location
                compiled.logic = relation.logic
            compiled.relations.append(relation)
        compiled.diagnostics.extend(replace(d, location=line_map.location(d.location, node.path) or d.location)
                                    for d in script.diagnostics)
        compiled.statements += script.statements
        compiled.statements_failed += script.statements_failed

    def _snapshot_sql(self, node: Node, body: str) -> str:
        """A snapshot's query with the columns dbt adds (as dbt's snapshot staging SQL computes them)."""
        config = node.merged_config
        unique_key = config.get("unique_key")
        keys = [str(k) for k in unique_key] if isinstance(unique_key, list) else ([str(unique_key)] if unique_key else [])
        string_type = "string" if self.target.get("type") in ("bigquery", "spark", "databricks") else "varchar"
        if config.get("strategy") == "timestamp" and config.get("updated_at"):
            updated = str(config["updated_at"])
        else:
            updated = "current_timestamp"
        hashed = ", '|', ".join(f"coalesce(cast({part} as {string_type}), '')" for part in [*keys, updated])
        extra = [
            f"md5(concat({hashed})) as dbt_scd_id",
            f"{updated} as dbt_updated_at",
            f"{updated} as dbt_valid_from",
            f"nullif({updated}, {updated}) as dbt_valid_to",
        ]
        if config.get("hard_deletes") == "new_record":
            extra.append("cast('False' as varchar) as dbt_is_deleted")
        head = f"{MARK_OPEN}{node.line}{MARK_CLOSE}select snapshot_query.*, {', '.join(extra)} from ("
        return f"{head}\n{body}\n{MARK_OPEN}{node.line}{MARK_CLOSE}) as snapshot_query"

    # ----------------------------------------------------------------- resources
    def _model(self, node: Node, compiled: Compiled) -> None:
        assert node.key is not None
        fragment = self.fragment(node.path)
        location = compiled.location or emit.at_line(node.path, node.line)
        columns, contract = self._model_columns(node, compiled)
        relations = [r for r in compiled.relations if r.name != node.key]
        relations.append(RelationDef(node.key, node.relation_kind, location, columns, declared=bool(contract), logic=compiled.logic))
        fragment.relations.extend(relations)
        fragment.edges.extend(compiled.edges)
        fragment.value_facts.extend(compiled.value_facts)
        fragment.reads.extend(r for r in compiled.reads if r.source != node.key or node.materialized == "incremental")
        fragment.diagnostics.extend(compiled.diagnostics)
        fragment.statements += compiled.statements
        fragment.statements_failed += compiled.statements_failed
        self._node_task(node, {r.source for r in compiled.reads})

    def _model_columns(self, node: Node, compiled: Compiled) -> tuple[tuple[str, ...] | None, bool]:
        """A SQL model's columns (its YAML columns when enforced by a contract or when it could not be
        rendered) and whether a contract is enforced."""
        columns = compiled.columns
        props_columns = tuple(self.names.ident(c.name) for c in node.props.columns) if node.props else ()
        contract = isinstance(node.merged_config.get("contract"), dict) and node.merged_config["contract"].get("enforced")
        if columns is None and props_columns and (contract or not compiled.rendered):
            columns = props_columns
        return columns, bool(contract)

    def known_columns(self, node: Node, compiled: Compiled) -> tuple[str, ...] | None:
        """The columns of ``node``'s relation that the nodes reading it see (None: unknown)."""
        if node.resource == "seed" or node.language == "python":
            return compiled.columns
        columns, _contract = self._model_columns(node, compiled)
        return columns if columns is not None and STAR not in columns else None

    def _node_task(self, node: Node, reads: set[str]) -> None:
        upstream: set[str] = set()
        for ref in node.refs:
            target = self.ctx.find_node(ref.package, ref.name, ref.version)
            if target is not None and target.key is not None:
                upstream.add(target.task_id)
                reads.add(target.key)
            elif ref.package:
                upstream.add(f"dbt:{ref.package}.{ref.name}")
        for source in node.sources:
            key = self.ctx.relation_key(self.ctx.source_relation(*source))
            if key:
                reads.add(key)
        self.fragment(node.path).tasks.append(emit.node_task(node, reads, upstream))

    def seed(self, node: Node) -> Compiled:
        """A seed's columns, from its CSV header."""
        columns = seed_columns(self.project.root / node.path, str(node.merged_config.get("delimiter") or ","))
        return Compiled(columns=tuple(self.names.ident(c) for c in columns) if columns else None)

    def _seed(self, node: Node) -> None:
        assert node.key is not None
        normalised = self.compiled[node.unique_id].columns
        fragment = self.fragment(node.path)
        if normalised is None:
            self.diagnose(node.path, 1, f"seed '{node.name}': cannot read a CSV header; columns unknown", "LS900")
        fragment.relations.append(RelationDef(node.key, RelationKind.SEED, emit.at_line(node.path, 1), normalised, declared=True))
        self._node_task(node, set())

    def _python_inputs(self, node: Node) -> tuple[dict[str, str], dict[tuple[str, str], str], list[RefCall]]:
        """A Python model's refs (name -> relation), sources (-> relation) and the refs naming nothing."""
        refs: dict[str, str] = {}
        missing: list[RefCall] = []
        for ref in node.refs:
            target = self.ctx.find_node(ref.package, ref.name, ref.version)
            if target is None:
                missing.append(ref)
            elif target.key:
                refs[ref.name] = target.key
        sources = {s: k for s in node.sources if (k := self.ctx.relation_key(self.ctx.source_relation(*s)))}
        return refs, sources, missing

    def python_model(self, node: Node, registry: SchemaRegistry) -> tuple[Fragment | None, Compiled]:
        """A Python model's column lineage from the Python analysis, run with this project's relation
        names (a separate `python` fragment, None without source) and the columns of ``registry``."""
        assert node.key is not None
        if node.source is None:
            return None, Compiled()
        refs, sources, _missing = self._python_inputs(node)
        python = Fragment(path=node.path, parser=PYTHON_PARSER)
        context = replace(self.context, schema=registry)
        model = DbtPythonModel(node.key, node.task_id, refs, sources)
        python = analyse_program(node.source, node.path, self.project.root, context, python, dbt_model=model)
        columns = next((r.columns for r in python.relations if r.name == node.key), None)
        python.relations = [r for r in python.relations if r.name != node.key]
        python.tasks = [t for t in python.tasks if t.id != node.task_id]
        return python, Compiled(columns=columns)

    def _python_model(self, node: Node) -> None:
        """A Python model: its refs and sources from here; its column lineage from `python_model`."""
        assert node.key is not None
        fragment = self.fragment(node.path)
        location = emit.at_line(node.path, 1)
        refs, sources, missing = self._python_inputs(node)
        for ref in missing:
            self.diagnose(node.path, 1, f"dbt.ref('{ref.name}') names no enabled model, seed or snapshot", UNKNOWN_NODE)
        reads = set(refs.values()) | set(sources.values())
        fragment.relations.append(RelationDef(node.key, node.relation_kind, location, self.compiled[node.unique_id].columns))
        fragment.reads.extend(RelationUse(r, node.key, location) for r in sorted(reads))
        self._node_task(node, reads)

    def _analysis(self, node: Node, compiled: Compiled) -> None:
        fragment = self.fragment(node.path)
        fragment.relations.extend(compiled.relations)
        fragment.edges.extend(compiled.edges)
        fragment.reads.extend(compiled.reads)
        fragment.diagnostics.extend(compiled.diagnostics)
        fragment.statements += compiled.statements
        fragment.statements_failed += compiled.statements_failed

    def _singular_test(self, node: Node, compiled: Compiled) -> None:
        """A singular test asserts on what it selects from: its name goes on those relations/columns."""
        fragment = self.fragment(node.path)
        fragment.diagnostics.extend(d for d in compiled.diagnostics if d.code == RENDER_FAILED)
        test = f"singular:{node.name}"
        columns: dict[str, set[str]] = {}
        for edge in compiled.edges:  # the columns its conditions use (not everything it selects)
            if edge.source.table and edge.source.column != STAR and not edge.kind.is_direct:
                columns.setdefault(edge.source.table, set()).add(edge.source.column)
        for relation in sorted({r.source for r in compiled.reads} | set(columns)):
            metas = tuple(ColumnMeta(c, tests=(test,)) for c in sorted(columns.get(relation, ())))
            fragment.metadata.append(RelationMeta(relation, emit.at_line(node.path, 1), tests=(test,), columns=metas))

    # ----------------------------------------------------------------- metadata, exposures
    def _emit_metadata(self, order: list[Node]) -> None:
        for node in order:
            if node.key is None:
                continue
            own = {self.names.ident(c.name): c.description for c in (node.props.columns if node.props else []) if c.description}
            inherited = self._inherited(node, own)
            self.descriptions[node.key] = {**{c: d for c, (d, _) in inherited.items()}, **own}
            texts = {c: f"{d} (inherited from {source})" for c, (d, source) in inherited.items() if c not in own}
            self.fragment(node.path).metadata.append(
                emit.node_meta(node, self.properties, self.codeowners, self.names, texts)
            )

    def _inherited(self, node: Node, own: dict[str, str]) -> dict[str, tuple[str, str]]:
        """Descriptions of pass-through columns (identity edges) whose upstream column has one."""
        compiled = self.compiled.get(node.unique_id)
        found: dict[str, tuple[str, str]] = {}
        for edge in sorted(compiled.edges if compiled else [], key=ColumnEdge.sort_key):
            column = edge.target.column
            if edge.kind != EdgeKind.IDENTITY or edge.target.table != node.key or column in own or column in found:
                continue
            source = edge.source
            description = self.descriptions.get(source.table or "", {}).get(source.column)
            if description:
                found[column] = (description, f"{source.table}.{source.column}")
        return found

    def _exposures(self) -> None:
        for exposure in self.properties.exposures:
            refs, sources = emit.exposure_refs(exposure)
            reads, upstream, models = [], [], []
            for package, name, version in refs:
                node = self.ctx.find_node(package, name, version)
                if node is None or node.key is None:
                    self.diagnose(exposure.path, exposure.line, f"exposure '{exposure.name}' depends on ref('{name}'), "
                                  f"which names no enabled model", UNKNOWN_NODE)
                    continue
                reads.append(node.key)
                upstream.append(node.task_id)
                models.append(node)
            for source in sources:
                key = self.ctx.relation_key(self.ctx.source_relation(*source, report=False))
                if key:
                    reads.append(key)
            meta = exposure.config.get("meta") or {}
            owners = emit.owners_from(meta, None, self.properties, self.codeowners, exposure.path)
            if exposure.owner:
                owners = tuple(sorted({*owners, exposure.owner}))
            fragment = self.fragment(exposure.path)
            fragment.tasks.append(emit.exposure_task(exposure, self.project.name, reads, upstream, owners))
            if exposure.type == "ml":
                features, target = self._ml_columns(exposure, models, meta)
                fragment.ml_models.append(emit.ml_model(exposure, self.project.name, features, target, owners))

    def _ml_columns(self, exposure: Exposure, models: list[Node], meta: dict[str, Any]) -> tuple[list[ColumnRef], ColumnRef | None]:
        def resolve(spec: Any, what: str) -> ColumnRef | None:
            parsed = emit.column_spec(spec)
            if parsed is None:
                return None
            model_name, column = parsed
            column = self.names.ident(column)
            candidates = [m for m in models if model_name in (None, m.name)]
            if model_name is not None and not candidates:
                node = self.ctx.find_node(None, model_name, None)
                candidates = [node] if node is not None else []
            having = [m for m in candidates if column in (self.registry.columns(m.key or "") or ())]
            chosen = having[0] if having else (candidates[0] if len(candidates) == 1 else None)
            if chosen is None or chosen.key is None:
                self.diagnose(exposure.path, exposure.line, f"ml exposure '{exposure.name}': {what} '{spec}' matches "
                              f"no column of its depends_on models", EXPOSURE_PROBLEM)
                return None
            return ColumnRef(chosen.key, column)

        target = resolve(meta.get("target"), "target") if meta.get("target") else None
        excluded = {self.names.ident(str(c)) for c in meta.get("exclude") or [] if isinstance(c, str)}
        if isinstance(meta.get("features"), list):
            features = [f for f in (resolve(spec, "feature") for spec in meta["features"]) if f is not None]
        else:
            features = []
            for model in models:
                columns = self.registry.columns(model.key or "")
                if columns is None:
                    self.diagnose(exposure.path, exposure.line, f"ml exposure '{exposure.name}': the columns of "
                                  f"'{model.name}' are not known; its features are missing", EXPOSURE_PROBLEM)
                    continue
                features.extend(ColumnRef(model.key, c) for c in columns)
        features = [f for f in dict.fromkeys(features) if f != target and f.column not in excluded]
        return features, target

