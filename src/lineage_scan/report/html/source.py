"""Source text shown on the site: read from the scanned root only, cut into excerpts, spans marked.

Only repo-relative paths that resolve inside the scanned root are read (never an absolute path, a
`..` escape or a symlink out of the root), and only files up to `MAX_SOURCE_BYTES`. Text is decoded
as UTF-8 with replacement characters and split on ``\\n`` only, which is how the parsers count lines.
The text is passed to the templates as plain strings: the templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lineage_scan.model import Location
from lineage_scan.report.html import urls

MAX_SOURCE_BYTES = 2_000_000
WHOLE_FILE_LINES = 120
"""Files up to this many lines are shown whole on a relation page; longer ones as an excerpt."""
EXCERPT_BEFORE, EXCERPT_AFTER = 8, 60
MARK_TEXT_MAX_LINES = 3
"""Spans up to this many lines (a name, an expression) have their text marked; longer ones (a whole
dbt model) only their lines, in the gutter, so the code stays readable."""


@dataclass(frozen=True)
class SourceLine:
    number: int
    segments: tuple[tuple[str, bool], ...]
    """The line's text cut into (text, inside a marked span) pieces."""
    marked: bool
    """Some of its text is marked."""
    spanned: bool = False
    """It is inside a span too long to mark as text."""


@dataclass(frozen=True)
class Excerpt:
    path: str
    url: str
    """The full source page, at the first marked line (relative to the site root)."""
    lines: tuple[SourceLine, ...]
    total_lines: int

    @property
    def whole(self) -> bool:
        return bool(self.lines) and self.lines[0].number == 1 and self.lines[-1].number == self.total_lines


class SourceFiles:
    """Reads (once) the text of files inside the scanned root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        """The file's lines, or None when it is outside the root, missing, too large or not a file."""
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> list[str] | None:
        if not path or path.startswith(("/", "\\")) or "\x00" in path:
            return None
        try:
            candidate = (self.root / path).resolve()
            candidate.relative_to(self.root)
            if not candidate.is_file() or candidate.stat().st_size > MAX_SOURCE_BYTES:
                return None
            text = candidate.read_bytes().decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return None
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        return lines

    def excerpt(self, location: Location) -> Excerpt | None:
        """The file around ``location`` (the whole file when short), the location's span marked."""
        lines = self.lines(location.path)
        if lines is None:
            return None
        if len(lines) <= WHOLE_FILE_LINES:
            first, last = 1, len(lines)
        else:
            first = max(1, location.start_line - EXCERPT_BEFORE)
            last = min(len(lines), max(location.end_line, location.start_line) + EXCERPT_AFTER)
        url = f"{urls.source_page(location.path)}#{urls.line_anchor(location.start_line)}"
        return Excerpt(location.path, url, marked_lines(lines, [location], first, last), len(lines))


def marked_lines(lines: list[str], spans: list[Location], first: int = 1, last: int | None = None) -> tuple[SourceLine, ...]:
    """Lines ``first``..``last`` (1-based, inclusive) with the given spans cut out as marked pieces."""
    last = len(lines) if last is None else last
    cuts: dict[int, list[tuple[int, int]]] = {}
    spanned: set[int] = set()
    for span in spans:
        numbers = range(max(span.start_line, first), min(span.end_line, last) + 1)
        if span.end_line - span.start_line >= MARK_TEXT_MAX_LINES:
            spanned.update(numbers)
            continue
        for number in numbers:
            start = span.start_col if number == span.start_line else 1
            end = span.end_col if number == span.end_line else len(lines[number - 1])
            cuts.setdefault(number, []).append((max(start, 1), max(end, start)))
    result = []
    for number in range(first, last + 1):
        text = lines[number - 1]
        result.append(SourceLine(number, _segments(text, cuts.get(number, [])), number in cuts, number in spanned))
    return tuple(result)


def _segments(text: str, cuts: list[tuple[int, int]]) -> tuple[tuple[str, bool], ...]:
    if not cuts:
        return ((text, False),)
    marked = [False] * len(text)
    for start, end in cuts:
        for index in range(start - 1, min(end, len(text))):
            marked[index] = True
    pieces: list[tuple[str, bool]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or marked[index] != marked[start]:
            pieces.append((text[start:index], marked[start]))
            start = index
    return tuple(pieces) or (("", False),)
