"""Walk the scanned repository and classify its files, never leaving the scanned root.

Respects `.gitignore` (root and nested), the built-in excludes and the config's `exclude` globs.
Symlinks are only followed when they resolve inside the root; the rest become diagnostics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

from lineage_scan.config import DEFAULT_EXCLUDES, Config
from lineage_scan.model import Diagnostic, Location, Severity

DBT_PROJECT_FILE = "dbt_project.yml"
KIND_BY_SUFFIX = {".sql": "sql", ".py": "python", ".ipynb": "notebook"}


@dataclass(frozen=True, order=True)
class SourceFile:
    """A file to analyse: its repo-relative POSIX path and its kind (`sql`, `python`, `dbt`, ...)."""

    path: str
    kind: str


@dataclass
class Discovery:
    files: list[SourceFile]
    dbt_projects: list[str]
    diagnostics: list[Diagnostic]


def discover(root: Path, config: Config) -> Discovery:
    root = root.resolve()
    excludes = pathspec.GitIgnoreSpec.from_lines(config.exclude)
    ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    files: list[SourceFile] = []
    dbt_projects: list[str] = []
    diagnostics: list[Diagnostic] = []

    def skipped(rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if excludes.match_file(probe):
            return True
        for base, spec in ignores:
            if base and not rel.startswith(base + "/"):
                continue
            if spec.match_file(probe[len(base) + 1 :] if base else probe):
                return True
        return False

    # Folders top-down, each one's in name order (what `os.walk` with sorted folders gives), from
    # `os.scandir` entries: they know whether they are links without a system call per file.
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir)) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue  # an unreadable folder is skipped, as `os.walk` does
        gitignore = next((e for e in entries if e.name == ".gitignore"), None)
        if gitignore is not None and gitignore.is_file(follow_symlinks=False):
            try:
                with open(gitignore.path, encoding="utf-8", errors="replace") as handle:
                    ignores.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())))
            except OSError as error:
                diagnostics.append(Diagnostic(Location(_join(rel_dir, ".gitignore"), 1, 1, 1, 1), "discover",
                                              f"cannot read .gitignore: {error.strerror or error}; its patterns are not applied",
                                              Severity.WARNING, "LS900"))
        subfolders: list[str] = []
        for entry in entries:
            name, rel = entry.name, _join(rel_dir, entry.name)
            if _is_dir(entry):  # a link to a folder is never followed
                if name not in DEFAULT_EXCLUDES and not entry.is_symlink() and not skipped(rel, True):
                    subfolders.append(rel)
                continue
            if name == DBT_PROJECT_FILE:
                dbt_projects.append(rel_dir or ".")
            kind = KIND_BY_SUFFIX.get(_suffix(name).lower())
            if kind is None or skipped(rel, False):
                continue
            if entry.is_symlink() and not _inside(Path(entry.path), root):
                diagnostics.append(
                    Diagnostic(Location(rel, 1, 1, 1, 1), "discover", "symlink points outside the scanned root; not followed", Severity.WARNING, "LS904")
                )
                continue
            files.append(SourceFile(rel, kind))
        pending.extend(reversed(subfolders))
    return Discovery(sorted(_claim_dbt_files(files, dbt_projects)), sorted(dbt_projects), diagnostics)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether the entry is a folder or a link to one (a link that cannot be followed is not)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _suffix(name: str) -> str:
    """`PurePath(name).suffix` without making a path object."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _claim_dbt_files(files: list[SourceFile], projects: list[str]) -> list[SourceFile]:
    """SQL files inside a dbt project are Jinja templates for the dbt parser, not plain SQL."""
    prefixes = [p + "/" for p in projects if p != "."]
    whole_repo = "." in projects
    return [
        SourceFile(f.path, "dbt") if f.kind == "sql" and (whole_repo or any(f.path.startswith(p) for p in prefixes)) else f
        for f in files
    ]


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True
