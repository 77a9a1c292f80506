"""Find a project's nodes, properties, docs and macro files (no rendering yet)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path, PurePosixPath

from lineage_scan.files import read_repo_text, read_text_or_reason
from lineage_scan.parsers.dbt.nodes import Node
from lineage_scan.parsers.dbt.project import Project, in_paths, load_yaml, merge_config, normalise_config
from lineage_scan.parsers.dbt.properties import Properties, docs_blocks

SNAPSHOT_BLOCK = re.compile(r"{%-?\s*snapshot\s+(\w+)\s*-?%}(.*?){%-?\s*endsnapshot\s*-?%}", re.DOTALL)
MAX_SEED_HEADER_BYTES = 1024 * 1024


def load_properties(project: Project, files: list[str], limit: int) -> Properties:
    """Every YAML properties file and Markdown docs block under the project's resource paths."""
    properties = Properties()
    roots = tuple(p for kind in ("model", "seed", "snapshot", "analysis", "macro", "test") for p in project.paths[kind])
    for rel in files:
        suffix = PurePosixPath(rel).suffix
        if suffix in (".yml", ".yaml") and in_paths(rel, roots):
            repo_path = project.repo_path(rel)
            try:
                properties.add_file(load_yaml(project.dir / rel), repo_path)
            except ValueError as error:
                properties.problems.append((repo_path, 1, str(error)))
        elif suffix == ".md" and in_paths(rel, project.paths["docs"]):
            text = read_repo_text(project.dir / rel, limit)
            if text is not None:
                properties.docs.update(docs_blocks(text))
    return properties


def collect_nodes(project: Project, files: list[str], properties: Properties, limit: int) -> tuple[list[Node], list[tuple[str, int, str]]]:
    """Models (SQL and Python), snapshots, seeds, analyses and singular tests, in path order."""
    nodes: list[Node] = []
    problems: list[tuple[str, int, str]] = []
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
            nodes.extend(_versions(node, properties))
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


def _versions(node: Node, properties: Properties) -> list[Node]:
    """The version of a versioned model a file defines (`defined_in`, default `<name>_v<v>`)."""
    for (kind, name), props in properties.nodes.items():
        if kind != "model":
            continue
        for version in props.versions:
            v = str(version["v"])
            if str(version.get("defined_in") or f"{name}_v{v}") == node.name:
                node.name, node.version, node.props = name, v, props
                node.config = merge_config(merge_config(node.config, props.config), normalise_config(version.get("config")))
                return [node]
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
