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
    for current, dirs, names in os.walk(root, followlinks=False):
        here = Path(current)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        gitignore = here / ".gitignore"
        if gitignore.is_file() and not gitignore.is_symlink():
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            ignores.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(lines)))

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

        dirs[:] = sorted(
            d for d in dirs
            if d not in DEFAULT_EXCLUDES and not (here / d).is_symlink() and not skipped(_join(rel_dir, d), True)
        )
        if DBT_PROJECT_FILE in names:
            dbt_projects.append(rel_dir or ".")
        for name in sorted(names):
            rel = _join(rel_dir, name)
            kind = KIND_BY_SUFFIX.get(Path(name).suffix.lower())
            if kind is None or skipped(rel, False):
                continue
            path = here / name
            if path.is_symlink() and not _inside(path, root):
                diagnostics.append(
                    Diagnostic(Location(rel, 1, 1, 1, 1), "discover", "symlink points outside the scanned root; not followed", Severity.WARNING, "LS904")
                )
                continue
            files.append(SourceFile(rel, kind))
    return Discovery(sorted(_claim_dbt_files(files, dbt_projects)), sorted(dbt_projects), diagnostics)


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
