"""Owners of repository files from a GitHub-style `CODEOWNERS` file.

GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS`. Each line is a
gitignore-style pattern followed by owners (`@user`, `@org/team` or an e-mail address); the *last*
matching line decides a file's owners, and a pattern with no owners un-assigns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pathspec

CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024  # GitHub ignores larger files too


@dataclass(frozen=True)
class CodeOwners:
    """The rules of one CODEOWNERS file, in file order."""

    path: str | None = None
    rules: tuple[tuple[pathspec.GitIgnoreSpec, tuple[str, ...]], ...] = ()

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners of a repo-relative POSIX ``path`` (empty when no rule assigns any)."""
        for pattern, owners in reversed(self.rules):
            if pattern.match_file(path):
                return owners
        return ()


def parse_codeowners(text: str, path: str | None = None) -> CodeOwners:
    """Rules from CODEOWNERS text; comments, blank lines and invalid patterns are skipped."""
    rules = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        if pattern.startswith("!") or "[" in pattern:  # not supported by GitHub either
            continue
        try:
            compiled = pathspec.GitIgnoreSpec.from_lines([pattern])
        except (ValueError, TypeError):
            continue
        rules.append((compiled, tuple(owners)))
    return CodeOwners(path, tuple(rules))


def load_codeowners(root: Path) -> CodeOwners:
    """The repository's CODEOWNERS file (the first GitHub would use), or no rules."""
    resolved_root = root.resolve()
    for location in CODEOWNERS_LOCATIONS:
        candidate = root / location
        try:
            if not candidate.is_file() or not candidate.resolve().is_relative_to(resolved_root):
                continue
            if candidate.stat().st_size > MAX_CODEOWNERS_BYTES:
                continue
            return parse_codeowners(candidate.read_text(encoding="utf-8", errors="replace"), location)
        except OSError:
            continue
    return CodeOwners()
