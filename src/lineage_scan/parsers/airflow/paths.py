"""Files a DAG file names (SQL templates, dbt projects, Python modules), found inside the scanned root.

A DAG names files as Airflow sees them on a worker: relative to the DAG folder or a template search
path, by absolute paths of the deployment (`/opt/airflow/include/sql`), or from `__file__`. Each is
mapped to a repo-relative POSIX path that exists; nothing outside the scanned root is ever read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from lineage_scan.parsers.pyvalues.evaluator import ROOT_MARK

MAX_PATH_PARTS = 32


def root_of(path: Path, rel: str) -> Path:
    """The scanned root, given a file's absolute path and its repo path."""
    depth = len(PurePosixPath(rel).parts)
    return path.parents[depth - 1] if depth > 0 else path.parent


class RepoFiles:
    """The scanned repository as seen from one DAG file (``dag_path`` is its repo path)."""

    def __init__(self, root: Path, dag_path: str, max_bytes: int):
        self.root = root.resolve()
        self.dag_path = dag_path
        self.dag_dir = posixpath.dirname(dag_path)
        self.max_bytes = max_bytes
        self.looked_up: set[str] = set()
        """Every repo path looked up or read (what the DAG's analysis depends on besides its own file)."""

    def ancestors(self) -> list[str]:
        """The DAG folder and each folder above it up to the root (``""``), nearest first."""
        folders = []
        folder = self.dag_dir
        while True:
            folders.append(folder)
            if not folder:
                return folders
            folder = posixpath.dirname(folder)

    def existing(self, rel: str, want_dir: bool | None = None) -> str | None:
        """``rel`` normalised, when it exists inside the root (a folder if ``want_dir``, a file if False)."""
        rel = posixpath.normpath(rel.strip("/")) if rel.strip("/") else ""
        if rel.startswith(("..", "/")):
            return None
        self.looked_up.add(rel)
        try:
            target = (self.root / rel).resolve()
            inside = target.relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        if want_dir is True and not target.is_dir():
            return None
        if want_dir is False and not target.is_file():
            return None
        if want_dir is None and not target.exists():
            return None
        return "" if inside == "." else inside

    def locate(self, path: str, bases: Iterable[str] = (), want_dir: bool | None = None) -> str | None:
        """The repo path of ``path`` as the DAG names it.

        `__file__`-derived paths map directly; relative paths are tried under each of ``bases``
        (default: the DAG folder, then the root); absolute paths of the deployment are matched by their
        longest tail that exists under the DAG folder or one of its ancestors.
        """
        if path.startswith(ROOT_MARK + "/") or path == ROOT_MARK:
            return self.existing(path[len(ROOT_MARK):], want_dir)
        if not path.startswith("/"):
            for base in [*bases] or [self.dag_dir, ""]:
                found = self.existing(posixpath.join(base, path), want_dir)
                if found is not None:
                    return found
            return None
        parts = [p for p in path.split("/") if p and p != "."][-MAX_PATH_PARTS:]
        for size in range(len(parts), 0, -1):
            tail = "/".join(parts[-size:])
            for base in self.ancestors():
                found = self.existing(posixpath.join(base, tail), want_dir)
                if found is not None:
                    return found
        return None

    def read(self, rel: str) -> str | None:
        """The text of a repo file (None when missing, outside the root, too large or not UTF-8)."""
        found = self.existing(rel, want_dir=False)
        if found is None:
            return None
        path = self.root / found
        try:
            if path.stat().st_size > self.max_bytes:
                return None
            return path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None

    def module(self, qualname: str, base: str | None = None) -> tuple[str, str] | None:
        """(repo path of the module file, attribute path) of an imported name, when the module is in the repo.

        ``base`` is the folder of a relative import; absolute imports are looked up from the DAG folder
        and each folder above it (Airflow puts the DAGs folder on `sys.path`), nearest first.
        """
        parts = qualname.split(".")
        for split in range(len(parts) - 1, 0, -1):
            module, attribute = parts[:split], ".".join(parts[split:])
            for folder in [base] if base is not None else self.ancestors():
                stem = posixpath.join(folder, *module)
                for candidate in (stem + ".py", posixpath.join(stem, "__init__.py")):
                    found = self.existing(candidate, want_dir=False)
                    if found is not None:
                        return found, attribute
        return None
