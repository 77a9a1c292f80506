"""The library entry points; the CLI is a thin layer over these."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot.dialects.dialect import Dialect

from lineage_scan import collector
from lineage_scan.build import build_graph, unsettled
from lineage_scan.build.configured import add_configured_models
from lineage_scan.build.ownership import apply_codeowners
from lineage_scan.config import Config, ConfigError, config_from_mapping, load_config
from lineage_scan.discover import SourceFile, discover
from lineage_scan.fragment_cache import FragmentCache, default_cache_base, default_cache_dir, prune_other_repositories
from lineage_scan.graph import LineageGraph
from lineage_scan.model import ColumnEdge, Diagnostic, Finding, Fragment
from lineage_scan.owners import load_codeowners
from lineage_scan.parse_files import default_jobs, parse_files, start_project
from lineage_scan.parsers import PARSERS, PROJECT_PARSERS
from lineage_scan.parsers.context import ParseContext
from lineage_scan.rules import check_config, run_rules
from lineage_scan.safe_yaml import load_yaml
from lineage_scan.sql.names import Names
from lineage_scan.sql.schema import SchemaRegistry, registry_from_mapping
from lineage_scan.sql.script import analyse_script

Progress = Callable[[int, int, str], None]
"""Called as (done, in all, path) as each file and each dbt model (or snapshot, analysis, test) is
done, from the cache or parsed; ``path`` is the file's or the model's (for progress bars)."""


def sql_column_lineage(
    sql: str, dialect: str | None = None, schema: Mapping[str, object] | None = None
) -> list[ColumnEdge]:
    """Column edges of a SQL script (one or many statements), sorted, one per (source, target, kind).

    ``schema`` maps table names to their columns (`{"orders": {"id": "int"}}` or `{"orders": ["id"]}`)
    and is used to expand stars and attribute unqualified columns. A bare SELECT writes to the
    placeholder table ``__query__``.
    """
    resolved = Dialect.get_or_raise(dialect)
    registry = registry_from_mapping(schema or {}, Names(resolved))
    return dedupe_edges(analyse_script(sql, resolved, schema=registry).edges)


def dedupe_edges(edges: list[ColumnEdge]) -> list[ColumnEdge]:
    """One edge per (source, target, kind), keeping the earliest location; sorted."""
    best: dict[tuple, ColumnEdge] = {}
    for edge in sorted(edges, key=ColumnEdge.sort_key):
        best.setdefault((edge.source, edge.target, edge.kind), edge)
    return sorted(best.values(), key=ColumnEdge.sort_key)


@dataclass
class ScanResult:
    """What a scan found: the lineage graph, the fragments it was built from, diagnostics and the
    rules' findings (suppressed ones included, marked)."""

    root: Path
    config: Config
    files: list[SourceFile]
    graph: LineageGraph
    fragments: list[Fragment]
    diagnostics: list[Diagnostic]
    findings: list[Finding] = field(default_factory=list)
    files_from_cache: int = 0
    """Files whose fragment came from the cache rather than a parser (not part of any report)."""
    units: int = 0
    """Project units (dbt models, snapshots, analyses, tests: each rendered and analysed on its own)."""
    units_from_cache: int = 0
    """Units whose result came from the cache."""


def scan(
    path: str | Path,
    config: Config | Mapping[str, object] | None = None,
    *,
    schema: Mapping[str, object] | str | Path | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
) -> ScanResult:
    """Analyse the repository at ``path`` without running any of it.

    ``config`` defaults to the repository's `lineage-scan.yml`; ``schema`` is a mapping of tables to
    columns or a YAML/JSON file of one (overriding the config's ``schema_file``).
    Files are parsed by ``jobs`` processes (default: the CPUs available; 1 parses in this process);
    the result does not depend on it. Parsed files are cached in ``cache_dir`` (default: a folder
    for this repository under the user's cache directory, see `fragment_cache`) unless ``cache`` is
    False, so a re-scan only parses the files that changed.
    Raises ``ConfigError`` for unusable settings; problems in scanned files become diagnostics.
    """
    with collector.scan_session():
        return _scan(Path(path), config, schema, progress, jobs, cache, cache_dir)


def _scan(
    root: Path,
    config: Config | Mapping[str, object] | None,
    schema: Mapping[str, object] | str | Path | None,
    progress: Progress | None,
    jobs: int | None,
    cache: bool,
    cache_dir: str | Path | None,
) -> ScanResult:
    if not root.is_dir():
        raise ConfigError(f"not a directory: {root}")
    if config is None:
        config = load_config(root)
    elif not isinstance(config, Config):
        config = config_from_mapping(dict(config))
    try:
        dialect = Dialect.get_or_raise(config.dialect)
    except ValueError as error:
        raise ConfigError(f"unknown dialect {config.dialect!r}") from error
    check_config(config)
    names = Names(dialect)
    declared = _declared_schema(root, config, schema, names)
    context = ParseContext(
        dialect=dialect,
        schema=declared,
        config=config,
        default_db=names.ident(config.default_schema) if config.default_schema else None,
        default_catalog=names.ident(config.default_database) if config.default_database else None,
        max_file_bytes=config.max_file_bytes,
    )
    found = discover(root, config)
    fragment_cache = FragmentCache(Path(cache_dir) if cache_dir else default_cache_dir(root), context, root) if cache else None
    started = [
        start_project(root, kind, project, context, fragment_cache)
        for kind, folders in (("dbt", found.dbt_projects),) if kind in PROJECT_PARSERS for project in folders
    ]
    failed = [work for work in started if isinstance(work, Fragment)]
    projects = [work for work in started if not isinstance(work, Fragment)]
    # a file a project parser gives to a file parser's analysis (a dbt Python model) is not analysed twice
    analysed = {claim for project in projects for claim in project.claimed()}
    todo = [s for s in found.files if s.kind in PARSERS and (s.kind, s.path) not in analysed]
    file_fragments = parse_files(
        root, todo, context, jobs=jobs if jobs is not None else default_jobs(), cache=fragment_cache,
        progress=progress, projects=projects,
    )
    fragments = failed + [fragment for project in projects for fragment in project.fragments()] + file_fragments
    if fragment_cache is not None:
        fragment_cache.prune()
        if not cache_dir:
            prune_other_repositories(default_cache_base(), fragment_cache.directory)
    with collector.paused():
        graph = build_graph(fragments, declared)
        apply_codeowners(graph, load_codeowners(root))
        configured = add_configured_models(graph, config, names)
    with collector.one_input():  # the rules' walks allocate much and keep little: one collection after them
        rules = run_rules(graph, config, root)
    # A .sql file run by a DAG is analysed by both parsers: the same diagnostic is one fact, kept once.
    diagnostics = sorted({
        *found.diagnostics, *unsettled([d for f in fragments for d in f.diagnostics], graph), *configured, *rules.diagnostics,
    })
    hits = fragment_cache.hits if fragment_cache is not None else 0
    return ScanResult(root, config, found.files, graph, fragments, diagnostics, rules.findings, files_from_cache=hits,
                      units=sum(project.total for project in projects), units_from_cache=sum(project.hits for project in projects))


def _declared_schema(
    root: Path, config: Config, schema: Mapping[str, object] | str | Path | None, names: Names
) -> SchemaRegistry:
    if schema is None and config.schema_file:
        schema = _inside_root(root, config.schema_file)
    if schema is None:
        return SchemaRegistry()
    if not isinstance(schema, Mapping):
        schema = load_schema_file(Path(schema))
    try:
        return registry_from_mapping(schema, names)
    except ValueError as error:
        raise ConfigError(f"schema: {error}") from error
    except RecursionError as error:
        raise ConfigError("schema: nested too deeply") from error


def load_schema_file(path: Path) -> Mapping[str, object]:
    """A YAML or JSON file mapping tables to columns (`{table: {column: type}}` or lists)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read schema file {path}: {error}") from error
    except RecursionError as error:
        raise ConfigError(f"cannot read schema file {path}: nested too deeply") from error
    if not isinstance(data, Mapping):
        raise ConfigError(f"schema file {path}: expected a mapping of tables to columns")
    return data


def _inside_root(root: Path, relative: str) -> Path:
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError as error:
        raise ConfigError(f"schema_file {relative!r} is outside the scanned repository") from error
    return candidate
