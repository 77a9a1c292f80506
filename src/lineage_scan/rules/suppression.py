"""Inline suppressions: `lineage-scan: ignore[LS101]` in a SQL, Jinja or Python comment.

A directive names one or more rules (ids or slugs, comma-separated) and may give a reason after
the closing bracket:

    -- lineage-scan: ignore[LS101] the label is recomputed after the feature snapshot
    {# lineage-scan: ignore[LS201, LS302]: kept for the finance audit #}
    x = scaler.fit_transform(X)  # lineage-scan: ignore[preprocessing-leakage]

On a line with code, it silences findings whose primary location spans that line. On a line of
its own (a comment-only line), it silences findings that start on the next code line; further
comment lines may sit in between, a blank line may not. Suppressed findings stay in the results,
marked with the directive and its reason, and do not count towards `--fail-on`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from lineage_scan.model import Diagnostic, Finding, Location, Severity, Suppression

DIRECTIVE = re.compile(
    r"(?:--|#|//|/\*|\{#)[^\n]*?lineage-scan:\s*ignore\[(?P<rules>[^\]]*)\](?P<reason>[^\n]*?)(?:\*/|#\}|$)"
)
COMMENT_ONLY = re.compile(r"^\s*\"?\s*(?:--|#|//|/\*|\{#)")
REASON_JUNK = re.compile(r"(?:\*/|#}|-->|\\n|[\",])+\s*$")
UNKNOWN_RULE = "LS909"
MAX_BYTES = 5 * 1024 * 1024
MARK = b"lineage-scan:"
"""What every directive holds (`DIRECTIVE`)."""


@dataclass(frozen=True)
class Directive:
    rules: frozenset[str]
    reason: str | None
    location: Location
    own_line: bool
    applies_to: int
    """The line whose findings it silences (for a directive on its own line, the next code line)."""


class Suppressor:
    """Reads directives from the files findings point into (inside ``root`` only) and applies them."""

    def __init__(self, root: Path, rule_id: Callable[[str], str | None]):
        self.root = root.resolve()
        self.rule_id = rule_id
        self.diagnostics: list[Diagnostic] = []
        self._files: dict[str, list[Directive]] = {}
        self._directories: dict[Path, Path] = {}

    def apply(self, finding: Finding) -> Finding:
        location = finding.location
        if location is None:
            return finding
        for directive in self._directives(location.path):
            if finding.rule not in directive.rules:
                continue
            if directive.own_line:
                hit = directive.applies_to == location.start_line
            else:
                hit = location.start_line <= directive.applies_to <= location.end_line
            if hit:
                return replace(finding, suppression=Suppression(directive.location, directive.reason))
        return finding

    def _directives(self, path: str) -> list[Directive]:
        if path not in self._files:
            text = self._read(path)
            self._files[path] = self._parse(path, text) if text is not None else []
        return self._files[path]

    def _read(self, path: str) -> str | None:
        """The text of a file inside the root that holds a directive (None: no directive, or unreadable).

        (The findings of a large repository point into hundreds of files, and few have a directive:
        a file without the directive's ASCII mark in its bytes has none, whatever its encoding.)
        """
        file = self._resolved(path)
        try:
            file.relative_to(self.root)
            if file.stat().st_size > MAX_BYTES:
                return None
            data = file.read_bytes()
        except (ValueError, OSError):
            return None
        return data.decode("utf-8-sig", errors="replace") if MARK in data else None

    def _resolved(self, path: str) -> Path:
        """``root / path`` with every symlink resolved (`Path.resolve`), each directory resolved once."""
        file = self.root / path
        directory = self._directories.get(file.parent)
        if directory is None:
            directory = self._directories[file.parent] = file.parent.resolve()
        file = directory / file.name
        return file.resolve() if file.name == ".." or file.is_symlink() else file

    def _parse(self, path: str, text: str) -> list[Directive]:
        lines = text.splitlines()
        directives = []
        for index, line in enumerate(lines):
            match = DIRECTIVE.search(line)
            if match is None:
                continue
            number = index + 1
            location = Location(path, number, match.start() + 1, number, len(line))
            rules = set()
            for name in re.split(r"[,\s]+", match["rules"].strip()):
                if not name:
                    continue
                rule = self.rule_id(name)
                if rule is None:
                    self.diagnostics.append(Diagnostic(
                        location, "rules", f"suppression comment names an unknown rule {name!r}", Severity.WARNING, UNKNOWN_RULE,
                    ))
                else:
                    rules.add(rule)
            if not rules:
                continue
            # on its own line: nothing but the comment (a notebook's JSON quoting aside) on the line
            own_line = not line[: match.start()].strip().strip('"').strip() and not _code_after(line[match.end():])
            applies_to = _next_code_line(lines, index) if own_line else number
            directives.append(Directive(frozenset(rules), _reason(match["reason"]), location, own_line, applies_to))
        return directives


def _next_code_line(lines: list[str], index: int) -> int:
    """The 1-based number of the first line after ``index`` that is code (0: a blank line or the end comes first)."""
    for later in range(index + 1, len(lines)):
        line = lines[later]
        if not line.strip():
            return 0
        if not COMMENT_ONLY.match(line):
            return later + 1
    return 0


def _code_after(text: str) -> bool:
    """Whether code follows a block comment on its line (`/* ... */ CREATE ...`)."""
    return bool(REASON_JUNK.sub("", text).strip())


def _reason(text: str) -> str | None:
    reason = REASON_JUNK.sub("", text).strip().lstrip(":-—–").strip()
    reason = REASON_JUNK.sub("", reason).strip()
    return reason or None
