"""Find a project's nodes, properties, docs and macro files (no rendering yet)."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lineage_scan.files import read_repo_text, read_text_or_reason
from lineage_scan.fragment_cache import write_record
from lineage_scan.parsers.dbt.nodes import Node
from lineage_scan.parsers.dbt.project import Project, in_paths, merge_config, normalise_config, parse_yaml, read_yaml
from lineage_scan.parsers.dbt.properties import NodeProps, Properties, docs_blocks

if TYPE_CHECKING:
    from lineage_scan.fragment_cache import FragmentCache

SNAPSHOT_BLOCK = re.compile(r"{%-?\s*snapshot\s+(\w+)\s*-?%}(.*?){%-?\s*endsnapshot\s*-?%}", re.DOTALL)
MAX_SEED_HEADER_BYTES = 1024 * 1024
YAML_KIND = "dbt-yaml"
"""The cache kind of a properties file's parsed YAML (keyed by its path and text)."""


def load_properties(project: Project, files: list[str], limit: int, cache: FragmentCache | None = None) -> Properties:
    """Every YAML properties file and Markdown docs block under the project's resource paths (YAML
    parsed once per text: from ``cache`` when it holds it)."""
    properties = Properties()
    roots = tuple(p for kind in ("model", "seed", "snapshot", "analysis", "macro", "test") for p in project.paths[kind])
    for rel in files:
        suffix = PurePosixPath(rel).suffix
        if suffix in (".yml", ".yaml") and in_paths(rel, roots):
            repo_path = project.repo_path(rel)
            try:
                properties.add_file(_properties_yaml(project.dir / rel, repo_path, cache), repo_path)
            except ValueError as error:
                properties.problems.append((repo_path, 1, str(error)))
        elif suffix == ".md" and in_paths(rel, project.paths["docs"]):
            text = read_repo_text(project.dir / rel, limit)
            if text is not None:
                properties.docs.update(docs_blocks(text))
    return properties


def _properties_yaml(path: Path, repo_path: str, cache: FragmentCache | None) -> Any:
    """A properties file's YAML (`parse_yaml`), from the cache when its text was parsed before.

    Stored only when it is a plain tree of JSON values (no aliased node shared twice, no dates or
    other YAML-only types), which JSON gives back exactly as the parser did.
    """
    text = read_yaml(path)
    if cache is None:
        return parse_yaml(text)
    key = cache.key(YAML_KIND, repo_path, hashlib.sha256(text.encode()).hexdigest())
    record = cache.load_record(key)
    if isinstance(record, dict) and "yaml" in record:
        return record["yaml"]
    data = parse_yaml(text)
    if is_json_tree(data):
        write_record(cache.directory, key, {"yaml": data})
    return data


def is_json_tree(data: Any) -> bool:
    """Whether ``data`` is made only of JSON values (text keys, finite numbers), each container once."""
    seen: set[int] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict or kind is list:
            if id(value) in seen:
                return False
            seen.add(id(value))
            if kind is dict:
                if not all(type(key) is str for key in value):
                    return False
                stack.extend(value.values())
            else:
                stack.extend(value)
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif not (kind is str or kind is int or kind is bool or value is None):
            return False
    return True


def collect_nodes(project: Project, files: list[str], properties: Properties, limit: int) -> tuple[list[Node], list[tuple[str, int, str]]]:
    """Models (SQL and Python), snapshots, seeds, analyses and singular tests, in path order."""
    nodes: list[Node] = []
    problems: list[tuple[str, int, str]] = []
    versioned = _versioned_files(properties)
    for rel in files:
        path = PurePosixPath(rel)
        kind = _resource_of(project, rel)
        if kind is None or path.suffix not in (".sql", ".py", ".csv"):
            continue
        if (path.suffix == ".csv") != (kind == "seed") or (path.suffix == ".py" and kind != "model"):
            continue
        root = in_paths(rel, project.paths[kind]) or ""
        folders = PurePosixPath(rel).relative_to(root).parent.parts if root not in ("", ".") else path.parent.parts
        repo_path = project.repo_path(rel)
        if kind == "seed":
            nodes.append(_node(project, properties, "seed", path.stem, repo_path, folders, None))
            continue
        text, reason = read_text_or_reason(project.dir / rel, limit)
        if text is None:
            problems.append((repo_path, 1, reason))
            continue
        if kind == "snapshot":
            nodes.extend(_snapshots(project, properties, text, repo_path, folders))
        elif kind == "test" and "generic" in folders:
            continue  # generic test definitions are macros
        else:
            node = _node(project, properties, kind, path.stem, repo_path, folders, text)
            node.language = "python" if path.suffix == ".py" else "sql"
            nodes.extend(_versions(node, versioned))
    return nodes, problems


def _resource_of(project: Project, rel: str) -> str | None:
    for kind in ("model", "seed", "snapshot", "analysis", "test"):
        if in_paths(rel, project.paths[kind]):
            return kind
    return None


def _node(project: Project, properties: Properties, kind: str, name: str, path: str, folders: tuple[str, ...],
          text: str | None) -> Node:
    fqn = (project.name, *folders, name)
    props = properties.nodes.get((kind, name))
    config = project.folder_config(kind, fqn)
    if props is not None:
        config = merge_config(config, props.config)
    return Node(kind, name, project.name, path, fqn, text, props=props, config=config)


def _snapshots(project: Project, properties: Properties, text: str, path: str, folders: tuple[str, ...]) -> list[Node]:
    """One node per `{% snapshot %}` block; the other blocks of the file are blanked (lines kept)."""
    blocks = list(SNAPSHOT_BLOCK.finditer(text))
    nodes = []
    for block in blocks:
        source = text
        for other in reversed(blocks):
            if other is not block:
                source = source[:other.start()] + re.sub(r"[^\n]", "", other.group(0)) + source[other.end():]
        node = _node(project, properties, "snapshot", block.group(1), path, folders, source)
        node.line = text.count("\n", 0, block.start()) + 1
        nodes.append(node)
    return nodes


def _versioned_files(properties: Properties) -> dict[str, tuple[NodeProps, dict[str, Any]]]:
    """File stem -> the versioned model and version it defines (`defined_in`, default `<name>_v<v>`);
    the first in YAML order when several claim the same file."""
    files: dict[str, tuple[NodeProps, dict[str, Any]]] = {}
    for (kind, name), props in properties.nodes.items():
        if kind == "model":
            for version in props.versions:
                files.setdefault(str(version.get("defined_in") or f"{name}_v{version['v']!s}"), (props, version))
    return files


def _versions(node: Node, versioned: dict[str, tuple[NodeProps, dict[str, Any]]]) -> list[Node]:
    """``node`` as the version of a versioned model its file defines, if it does."""
    if node.name in versioned:
        props, version = versioned[node.name]
        node.name, node.version, node.props = props.name, str(version["v"]), props
        node.config = merge_config(merge_config(node.config, props.config), normalise_config(version.get("config")))
    return [node]


def seed_columns(path: Path, delimiter: str = ",") -> list[str] | None:
    """The header of a seed CSV file, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_SEED_HEADER_BYTES)
        text = head.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter or ","), None)
    return [c.strip() for c in first if c.strip()] if first else None


def macro_files(project: Project, files: list[str]) -> list[str]:
    """SQL files of macro paths, and generic tests under `tests/generic` (project-relative)."""
    result = []
    for rel in files:
        if not rel.endswith(".sql"):
            continue
        if in_paths(rel, project.paths["macro"]):
            result.append(rel)
        elif in_paths(rel, project.paths["test"]) and "/generic/" in f"/{rel}":
            result.append(rel)
    return result
