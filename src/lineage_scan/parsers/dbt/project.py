"""A dbt project on disk: `dbt_project.yml`, its paths, vars, folder-level configs and files.

Nothing here renders Jinja: it only reads YAML (`safe_load`) and lists files, never leaving the
scanned root (no symlinks out of it, `dbt_packages`/`target` and nested projects skipped,
`.dbtignore` and the scan's `exclude` patterns honoured).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml

from lineage_scan.config import DEFAULT_EXCLUDES
from lineage_scan.safe_yaml import YAMLRejected
from lineage_scan.safe_yaml import load_yaml as load_bounded_yaml

PROJECT_FILE = "dbt_project.yml"
PATH_KEYS = {
    "model": ("model-paths", "source-paths", ("models",)),
    "seed": ("seed-paths", "data-paths", ("seeds",)),
    "macro": ("macro-paths", None, ("macros",)),
    "snapshot": ("snapshot-paths", None, ("snapshots",)),
    "analysis": ("analysis-paths", None, ("analyses",)),
    "test": ("test-paths", None, ("tests",)),
}
RESOURCE_SECTIONS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "source": "sources",
                     "test": "data_tests", "analysis": "analyses", "exposure": "exposures"}
ADDITIVE_KEYS = ("tags",)
MERGED_KEYS = ("meta", "docs", "grants", "column_types")
KNOWN_CONFIG_KEYS = frozenset({
    "enabled", "materialized", "schema", "database", "alias", "tags", "meta", "docs", "persist_docs",
    "full_refresh", "pre_hook", "post_hook", "unique_key", "incremental_strategy", "on_schema_change",
    "grants", "contract", "group", "access", "column_types", "quote_columns", "delimiter", "target_schema",
    "target_database", "strategy", "updated_at", "check_cols", "severity", "store_failures", "where",
    "cluster_by", "partition_by", "sort", "dist", "transient", "copy_grants", "snowflake_warehouse",
    "hard_deletes", "invalidate_hard_deletes", "file_format", "location_root", "labels", "query_tag",
})
MAX_YAML_BYTES = 5 * 1024 * 1024


class LineLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that also records each mapping's 1-based line under ``__line__``."""


class FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """`LineLoader` on libyaml's parser (same constructor, several times faster) when PyYAML has it."""


def _mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
FastLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_yaml(path: Path) -> Any:
    """Safe-load a YAML file with line numbers on mappings. Raises ``ValueError`` when unusable."""
    return parse_yaml(read_yaml(path))


def read_yaml(path: Path) -> str:
    """The text of a YAML file within `MAX_YAML_BYTES`. Raises ``ValueError`` when unusable."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ValueError(f"file is over the {MAX_YAML_BYTES:,}-byte limit for YAML")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read file: {error}") from error


def parse_yaml(text: str) -> Any:
    """Safe-load YAML text with line numbers on mappings. Raises ``ValueError`` when unusable.

    Read with libyaml when available; a text it rejects is read again by the pure-Python parser, so
    problems are reported in one wording whichever parser is installed.
    """
    try:
        return load_bounded_yaml(text, loader=FastLineLoader)
    except YAMLRejected:
        pass
    try:
        return load_bounded_yaml(text, loader=LineLoader)
    except YAMLRejected as error:
        raise ValueError(str(error).replace("\n", " ")) from error


def line_of(mapping: Any, default: int = 1) -> int:
    return mapping.get("__line__", default) if isinstance(mapping, dict) else default


def clean(value: Any) -> Any:
    """``value`` without the ``__line__`` bookkeeping keys."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def normalise_config(config: Any) -> dict[str, Any]:
    """A config mapping with `+` prefixes dropped and `pre-hook` spelt `pre_hook`."""
    if not isinstance(config, dict):
        return {}
    return {str(k).lstrip("+").replace("-", "_"): clean(v) for k, v in config.items() if k != "__line__"}


def merge_config(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """dbt's config inheritance: `tags` accumulate, `meta`-like mappings merge, the rest overrides."""
    merged = dict(base)
    for key, value in override.items():
        if key in ADDITIVE_KEYS:
            values = value if isinstance(value, list) else [value]
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *(str(v) for v in values)]))
        elif key in MERGED_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@dataclass
class Project:
    """What `dbt_project.yml` says, plus where the project lives."""

    root: Path
    """The scanned root (absolute)."""
    rel: str
    """The project folder relative to the root (`.` for the root itself)."""
    name: str
    paths: dict[str, tuple[str, ...]]
    vars: dict[str, Any] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    dispatch: list[dict[str, Any]] = field(default_factory=list)
    packages_dir: str = "dbt_packages"
    profile: str | None = None
    problems: list[tuple[str, int]] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return self.root if self.rel == "." else self.root / self.rel

    def repo_path(self, project_relative: str) -> str:
        """A project-relative path as a repo-relative POSIX path."""
        return project_relative if self.rel == "." else f"{self.rel}/{project_relative}"

    @property
    def project_file(self) -> str:
        return self.repo_path(PROJECT_FILE)

    def folder_config(self, resource: str, fqn: tuple[str, ...]) -> dict[str, Any]:
        """Config from `dbt_project.yml`'s `models:`/`seeds:`/... tree along ``fqn`` (project first)."""
        node = self.configs.get(RESOURCE_SECTIONS.get(resource, resource + "s"))
        if resource == "test" and node is None:
            node = self.configs.get("tests")
        config: dict[str, Any] = {}
        if not isinstance(node, dict):
            return config
        config = merge_config(config, _own_config(node))
        for part in fqn:
            node = node.get(part)
            if not isinstance(node, dict):
                break
            config = merge_config(config, _own_config(node))
        return config

    def var_scope(self) -> dict[str, Any]:
        """Project vars: global ones overridden by the ones scoped to this project's name."""
        scoped = self.vars.get(self.name)
        globals_ = {k: v for k, v in self.vars.items() if not (k == self.name and isinstance(v, dict))}
        return {**globals_, **(scoped if isinstance(scoped, dict) else {})}


def _own_config(node: dict[str, Any]) -> dict[str, Any]:
    """The config keys of one level of a config tree (`+x`, or a known config name not a folder)."""
    own = {}
    for key, value in node.items():
        if not isinstance(key, str) or key == "__line__":
            continue
        if key.startswith("+") or (key.replace("-", "_") in KNOWN_CONFIG_KEYS and not _is_folder(value)):
            own[key.lstrip("+").replace("-", "_")] = clean(value)
    return own


def _is_folder(value: Any) -> bool:
    return isinstance(value, dict) and any(isinstance(k, str) and k.startswith("+") for k in value)


def load_project(root: Path, rel: str) -> Project:
    """Read `<root>/<rel>/dbt_project.yml`; problems are kept in ``Project.problems``."""
    folder = root if rel == "." else root / rel
    problems: list[tuple[str, int]] = []
    try:
        data = load_yaml(folder / PROJECT_FILE)
    except ValueError as error:
        data, problems = {}, [(f"{PROJECT_FILE}: {error}", 1)]
    if not isinstance(data, dict):
        data = {}
        problems.append((f"{PROJECT_FILE}: expected a mapping", 1))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        name = Path(folder).resolve().name.replace("-", "_")
        problems.append((f"{PROJECT_FILE} has no 'name'; using the folder name {name!r}", 1))
    paths = {}
    for kind, (key, legacy, default) in PATH_KEYS.items():
        value = data.get(key, data.get(legacy) if legacy else None)
        paths[kind] = tuple(str(p).strip("/") for p in value) if isinstance(value, list) else default
    docs = data.get("docs-paths")
    paths["docs"] = tuple(str(p) for p in docs) if isinstance(docs, list) else tuple(
        sorted({p for kind in ("model", "seed", "snapshot", "analysis", "macro", "test") for p in paths[kind]})
    )
    return Project(
        root=root,
        rel=rel,
        name=name,
        paths=paths,
        vars=clean(data.get("vars")) if isinstance(data.get("vars"), dict) else {},
        configs={k: data[k] for k in RESOURCE_SECTIONS.values() if isinstance(data.get(k), dict)}
        | ({"tests": data["tests"]} if isinstance(data.get("tests"), dict) else {}),
        dispatch=clean(data.get("dispatch")) if isinstance(data.get("dispatch"), list) else [],
        packages_dir=str(data.get("packages-install-path") or "dbt_packages").strip("/"),
        profile=data.get("profile") if isinstance(data.get("profile"), str) else None,
        problems=problems,
    )


def list_files(project: Project, excludes: tuple[str, ...] = ()) -> list[str]:
    """Every file of the project (project-relative POSIX paths, sorted).

    Skips the built-in excluded folders, `dbt_packages`/`target`, nested dbt projects, symlinks
    and anything `.dbtignore` or the scan's ``excludes`` (root-relative globs) match.
    """
    top = project.dir
    spec_root = pathspec.GitIgnoreSpec.from_lines(excludes)
    ignore = top / ".dbtignore"
    spec_dbt = pathspec.GitIgnoreSpec.from_lines(
        ignore.read_text(encoding="utf-8", errors="replace").splitlines() if ignore.is_file() and not ignore.is_symlink() else []
    )
    skip_dirs = {*DEFAULT_EXCLUDES, project.packages_dir, "target", "logs"}
    found: list[str] = []
    for current, dirs, names in os.walk(top, followlinks=False):
        here = Path(current)
        rel_dir = here.relative_to(top).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir

        def skipped(rel: str, is_dir: bool) -> bool:
            probe = rel + "/" if is_dir else rel
            return spec_dbt.match_file(probe) or spec_root.match_file(project.repo_path(probe))

        dirs[:] = sorted(
            d for d in dirs
            if d not in skip_dirs and not (here / d).is_symlink() and not (here / d / PROJECT_FILE).exists()
            and not skipped(f"{rel_dir}/{d}" if rel_dir else d, True)
        )
        for name in sorted(names):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not (here / name).is_symlink() and not skipped(rel, False):
                found.append(rel)
    return found


def in_paths(path: str, roots: tuple[str, ...]) -> str | None:
    """The root of ``roots`` that ``path`` (project-relative) lies under, if any."""
    for root in roots:
        if root in ("", ".") or path.startswith(root.rstrip("/") + "/"):
            return root
    return None
