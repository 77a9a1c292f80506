"""Materialise a git revision of the scanned repository into a temporary folder, from git objects.

`git archive` reads the committed tree straight from the object store: the working tree is never
checked out or touched, and nothing is fetched. Extraction refuses absolute paths, `..` and links
(tarfile's `data` filter), so a hostile commit cannot write outside the temporary folder.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class GitError(RuntimeError):
    """git is missing, PATH is not in a repository, or the revision does not exist."""


def _git(repo: Path, *args: str) -> bytes:
    try:
        run = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"cannot run git: {error}") from error
    if run.returncode != 0:
        raise GitError(run.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return run.stdout


@contextmanager
def revision_tree(path: Path, revision: str) -> Iterator[Path]:
    """Yield a temporary folder holding ``path`` (a folder inside a git work tree) at ``revision``."""
    top = Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())
    prefix = path.resolve().relative_to(top.resolve()).as_posix()
    commit = _git(path, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
    archive = _git(top, "archive", "--format=tar", commit, *([prefix] if prefix != "." else []))
    with tempfile.TemporaryDirectory(prefix="lineage-scan-rev-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / prefix if prefix != "." else Path(tmp)
