"""One dbt project's scan as units of work a process pool can run and a cache can skip.

The project-level pass (`ProjectParser.prepare`: `dbt_project.yml`, properties, macros, every
node's parse pass, names, order) runs in the scanning process every time; each node's parse pass
comes from the cache when its inputs are unchanged. Then every model, snapshot, analysis and
singular test is a `ModelUnit` — render and analyse one node — that becomes ready once the nodes it
refs are done (it sees their columns). A ready unit is looked up in the cache, else handed out
(`ready`) to run in this process or a worker (`compile_in_worker`); results come back through
`accept`. Seeds and Python models are done here when ready. Once every node is done, `fragments`
emits the project's fragments in the project's own order, so the output does not depend on which
process ran what, in which order, or what came from the cache.

What a cache entry is keyed by (see `ProjectParser.render_digest`, `project_digest`, `node_digest`):

* a parse pass: the render digest (`dbt_project.yml`, every macro file, target, vars, dialect) and
  the node as templates see it before rendering (its file's text, path, folder and YAML config,
  YAML description and columns);
* a unit: the project digest (the render digest, the sources' names and columns, the declared
  schema, `target/manifest.json`), the node as templates see it after the parse pass (its file's
  text, merged config, relation name, refs and sources), the relation names of the nodes it refs
  and their known columns.

So a macro or `dbt_project.yml` change renders every node again; a model change renders that model
again, and the models that ref it only if its columns changed; a properties change renders again
only the node whose YAML entry changed (its description, columns and config are visible to its
template) — or every node if a source's name or columns changed. A unit whose rendering read the
project `graph` or `doc()` blocks records their digest and is reused only while they are the same.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage_scan.fragment_cache import FragmentCache, write_record
from lineage_scan.fragment_codec import CodecError
from lineage_scan.limits import UNREPEATABLE_CODES
from lineage_scan.model import Fragment
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.dbt.context import FACETS
from lineage_scan.parsers.dbt.nodes import Node
from lineage_scan.parsers.dbt.parse import Compiled, ProjectParser, canonical
from lineage_scan.parsers.dbt.units import ModelUnit, ParsePass, UnitResult

log = logging.getLogger("lineage_scan")
PARSE_KIND = "dbt-parse"
UNIT_KIND = "dbt-unit"


@dataclass(frozen=True)
class ProjectPlan:
    """What a worker needs to rebuild a project's state without rendering its parse passes again."""

    project_rel: str
    parsed: dict[tuple[str, str], ParsePass] = field(default_factory=dict)
    """(node path, unique id) -> parse pass."""

    def run(self, root: Path, context: ParseContext, unit: ModelUnit) -> list[Any]:
        """Run ``unit`` in a worker process (see `compile_in_worker`); its result as data."""
        return compile_in_worker(root, context, self, unit)


class ProjectRun:
    """Drives one project's units in dependency order, through the cache, and emits its fragments."""

    def __init__(self, parser: ProjectParser, cache: FragmentCache | None = None):
        self.parser = parser
        self.cache = cache
        self.plan = ProjectPlan(parser.project_rel)
        parser.prepare(parsed=self._cached_parse if cache is not None else None, store=self._parsed)
        self.nodes: dict[str, Node] = {n.unique_id: n for n in [*parser.order, *parser.checks]}
        self._position = {n.unique_id: i for i, n in enumerate(parser.order)}
        self.deps: dict[str, set[str]] = {uid: self._deps_of(node) for uid, node in self.nodes.items()}
        self.dependents: dict[str, list[str]] = {uid: [] for uid in self.nodes}
        for uid, deps in self.deps.items():
            for dep in sorted(deps):
                self.dependents[dep].append(uid)
        self.waiting: dict[str, set[str]] = {uid: set(deps) for uid, deps in self.deps.items()}
        self.pending: deque[str] = deque(uid for uid, deps in self.deps.items() if not deps)
        self.compiled: dict[str, Compiled] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.python: dict[str, Fragment] = {}
        self.keys: dict[str, str] = {}
        self.finished: list[str] = []
        """Paths of nodes done since `drain_finished` was last called (for progress bars)."""
        self.hits = 0

    @property
    def total(self) -> int:
        return len(self.nodes)

    @property
    def done(self) -> bool:
        return len(self.compiled) == len(self.nodes)

    def drain_finished(self) -> list[str]:
        finished, self.finished = self.finished, []
        return finished

    # ----------------------------------------------------------------- scheduling
    def _deps_of(self, node: Node) -> set[str]:
        """The nodes whose columns ``node`` sees: those it refs that come before it in the project's
        order (analyses and tests come after every model)."""
        order = self._position
        position = order.get(node.unique_id, len(order))
        deps = set()
        for ref in node.refs:
            target = self.parser.ctx.find_node(ref.package, ref.name, ref.version)
            if target is not None and target is not node and order.get(target.unique_id, position) < position:
                deps.add(target.unique_id)
        return deps

    def ready(self) -> list[ModelUnit]:
        """Units to run now; nodes answered by the cache, seeds and Python models are done here."""
        units: list[ModelUnit] = []
        while self.pending:
            node = self.nodes[self.pending.popleft()]
            if node.resource == "seed":
                self._complete(node, self.parser.seed(node))
            elif node.language == "python":
                fragment, compiled = self.parser.python_model(node, self.parser.visible_registry(self._visible(node)))
                if fragment is not None:
                    self.python[node.unique_id] = fragment
                self._complete(node, compiled)
            else:
                unit = ModelUnit(self.plan.project_rel, node.unique_id, self.parser.target_of(node), self._visible(node))
                cached = self._cached_unit(unit, node)
                if cached is None:
                    units.append(unit)
                else:
                    self.hits += 1
                    self._complete(node, cached.compiled)
        return units

    def _visible(self, node: Node) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple(sorted((self.nodes[d].key or "", self.columns[d]) for d in self.deps[node.unique_id]
                            if d in self.columns))

    def run_here(self, unit: ModelUnit) -> UnitResult:
        """Run ``unit`` in this process."""
        return self.parser.run_unit(unit)

    def claimed(self) -> set[tuple[str, str]]:
        """(parser, path) of the files this project analyses for a file parser (Python models)."""
        return {("python", n.path) for n in self.parser.order if n.language == "python" and n.source is not None}

    def accept(self, unit: ModelUnit, result: UnitResult | Any) -> None:
        """Take a unit's result (a `UnitResult`, or its data from a worker)."""
        node = self.nodes[unit.unique_id]
        data: Any = None
        if not isinstance(result, UnitResult):
            data = result
            try:
                result = UnitResult.from_data(data)
            except CodecError as error:
                log.warning("lineage-scan: %s: a worker's result could not be read (%s); compiled here", node.path, error)
                result = self.run_here(unit)
                data = None
        node.refs, node.sources = list(result.refs), list(result.sources)
        if self.cache is not None and self._cacheable(result):
            touched = {facet: self.parser.facet_digest(facet) for facet in sorted(result.touched)}
            write_record(self.cache.directory, self._unit_key(unit, node),
                         {"touched": touched, "result": data if data is not None else result.to_data(node.path)})
        self._complete(node, result.compiled)

    def _complete(self, node: Node, compiled: Compiled) -> None:
        uid = node.unique_id
        self.compiled[uid] = compiled
        columns = self.parser.known_columns(node, compiled)
        if columns is not None and node.key is not None:
            self.columns[uid] = columns
            self.parser.registry.set(node.key, columns)
        for dependent in self.dependents[uid]:
            waiting = self.waiting[dependent]
            waiting.discard(uid)
            if not waiting:
                self.pending.append(dependent)
        self.finished.append(node.path)

    def fragments(self) -> list[Fragment]:
        """The project's fragments, once every node is done."""
        assert self.done, "units left"
        return self.parser.emit(self.compiled, self.python)

    # ----------------------------------------------------------------- the cache
    @staticmethod
    def _cacheable(result: UnitResult) -> bool:
        return not result.refs_changed and not any(d.code in UNREPEATABLE_CODES for d in result.compiled.diagnostics)

    def _key(self, kind: str, node: Node, material: list[Any]) -> str:
        assert self.cache is not None
        digest = hashlib.sha256(canonical(material).encode()).hexdigest()
        return self.cache.key(kind, f"{node.path}\0{node.unique_id}", digest)

    def _unit_key(self, unit: ModelUnit, node: Node) -> str:
        if unit.unique_id not in self.keys:
            parser = self.parser
            self.keys[unit.unique_id] = self._key(UNIT_KIND, node, [
                parser.project_digest(), parser.node_digest(node), unit.target, unit.visible, parser.ref_targets(node),
            ])
        return self.keys[unit.unique_id]

    def _cached_unit(self, unit: ModelUnit, node: Node) -> UnitResult | None:
        if self.cache is None:
            return None
        record = self.cache.load_record(self._unit_key(unit, node))
        if not (isinstance(record, dict) and self._facets_unchanged(record.get("touched"))):
            return None
        try:
            result = UnitResult.from_data(record.get("result"))
        except CodecError:
            return None
        return result if not result.refs_changed else None

    def _facets_unchanged(self, touched: Any) -> bool:
        return isinstance(touched, dict) and all(
            isinstance(facet, str) and facet in FACETS and self.parser.facet_digest(facet) == digest
            for facet, digest in touched.items()
        )

    def _parse_key(self, node: Node) -> str:
        return self._key(PARSE_KIND, node, [self.parser.render_digest(), self.parser.node_digest(node)])

    def _cached_parse(self, node: Node) -> ParsePass | None:
        if node.language != "sql" or node.source is None:
            return None
        assert self.cache is not None
        record = self.cache.load_record(self._parse_key(node))
        if not (isinstance(record, dict) and self._facets_unchanged(record.get("touched"))):
            return None
        try:
            parsed = ParsePass.from_data(record.get("parse"))
        except CodecError:
            return None
        self.plan.parsed[(node.path, node.unique_id)] = parsed
        return parsed

    def _parsed(self, node: Node, before: list[Any], parsed: ParsePass, touched: frozenset[str]) -> None:
        """A parse pass rendered here: kept for the workers, stored in the cache when it may be."""
        self.plan.parsed[(node.path, node.unique_id)] = parsed
        data = parsed.to_data()
        if self.cache is None or node.language != "sql" or data is None:
            return
        key = self._key(PARSE_KIND, node, [self.parser.render_digest(), before])
        write_record(self.cache.directory, key, {
            "touched": {facet: self.parser.facet_digest(facet) for facet in sorted(touched)}, "parse": data,
        })




# --------------------------------------------------------------------------- in a worker process
_workers: dict[str, ProjectParser] = {}


def compile_in_worker(root: Path, context: ParseContext, plan: ProjectPlan, unit: ModelUnit) -> list[Any]:
    """Run ``unit`` in a worker process, rebuilding its project's state (once per worker) from ``plan``."""
    parser = _workers.get(plan.project_rel)
    if parser is None:
        parser = ProjectParser(root, plan.project_rel, context)
        parser.prepare(parsed=lambda node: plan.parsed.get((node.path, node.unique_id)))
        _workers[plan.project_rel] = parser
    node = parser.by_id[unit.unique_id]
    return parser.run_unit(unit).to_data(node.path)



def start_dbt_project(root: Path, project_rel: str, context: ParseContext, cache: FragmentCache | None) -> ProjectRun:
    """The dbt project at ``root / project_rel``, its project-level pass done, its units ready to run."""
    return ProjectRun(ProjectParser(root, project_rel, context, cache), cache)
