"""Source lines through Jinja rendering: rendered SQL locations mapped back to the template's lines.

Before rendering, every line of template *data* (text outside `{{ }}`, `{% %}` and `{# #}`, and
outside capturing blocks such as `{% set x %}...{% endset %}`) gets an invisible marker carrying
its line number. After rendering, the markers are removed and remembered by offset: a rendered
offset belongs to the line of the last marker before it, so text a macro expanded to belongs to the
line that called it, and lines Jinja dropped (false `{% if %}` branches, multi-line tags) shift
nothing.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from lineage_scan.model import Location

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_CAPTURE_OPEN = re.compile(r"{%-?\s*(?:set\s+[\w.,\s]+?\s*-?%}|call\b|filter\b|raw\s*-?%})")
_CAPTURE_CLOSE = re.compile(r"{%-?\s*(?:endset|endcall|endfilter|endraw)\b")


def mark_lines(source: str) -> str:
    """``source`` with a line marker at the start of every data line (not inside tags/captures)."""
    out: list[str] = []
    depth = 0
    position = 0
    line = 1
    for match in _TAG.finditer(source):
        out.append(_mark_data(source[position:match.start()], line, depth == 0 and position == 0))
        line += source.count("\n", position, match.start())
        tag = match.group(0)
        if _CAPTURE_OPEN.match(tag):
            depth += 1
        elif _CAPTURE_CLOSE.match(tag) and depth:
            depth -= 1
        out.append(tag)
        line += tag.count("\n")
        position = match.end()
        if depth:
            out.append(_skip_capture(source, position))
            consumed = out[-1]
            line += consumed.count("\n")
            position += len(consumed)
    out.append(_mark_data(source[position:], line, position == 0))
    return "".join(out)


def _skip_capture(source: str, position: int) -> str:
    """The raw text of a capturing block up to (not including) its next tag: left unmarked."""
    next_tag = source.find("{", position)
    while next_tag != -1 and source[next_tag + 1:next_tag + 2] not in ("{", "%", "#"):
        next_tag = source.find("{", next_tag + 1)
    return source[position:] if next_tag == -1 else source[position:next_tag]


def _mark_data(text: str, first_line: int, at_file_start: bool) -> str:
    pieces = text.split("\n")
    marked = [f"{MARK_OPEN}{first_line}{MARK_CLOSE}{pieces[0]}" if at_file_start else pieces[0]]
    marked.extend(f"{MARK_OPEN}{first_line + i}{MARK_CLOSE}{piece}" for i, piece in enumerate(pieces[1:], 1))
    return "\n".join(marked)


@dataclass(frozen=True)
class LineMap:
    """Rendered text without markers, and how its offsets map to template lines."""

    text: str
    marks: tuple[int, ...]
    """Offsets in ``text`` where a template line starts."""
    lines: tuple[int, ...]
    """The template line of each mark."""
    line_starts: tuple[int, ...]

    def source_point(self, line: int, col: int) -> tuple[int, int]:
        """(line, column) in the template of a 1-based (line, column) of ``text``."""
        offset = self.line_starts[min(line, len(self.line_starts)) - 1] + col - 1
        index = bisect.bisect_right(self.marks, offset) - 1
        if index < 0:
            return 1, max(col, 1)
        return self.lines[index], max(offset - self.marks[index] + 1, 1)

    def location(self, location: Location | None, path: str) -> Location | None:
        if location is None:
            return None
        start_line, start_col = self.source_point(location.start_line, location.start_col)
        end_line, end_col = self.source_point(location.end_line, location.end_col)
        if (end_line, end_col) < (start_line, start_col):
            end_line, end_col = start_line, start_col
        return replace(location, path=path, start_line=start_line, start_col=start_col, end_line=end_line, end_col=end_col)

    def span_text(self, location: Location) -> str:
        """The text of ``text`` that ``location`` (in ``text``'s own coordinates) covers."""
        start = self.line_starts[location.start_line - 1] + location.start_col - 1
        end = self.line_starts[min(location.end_line, len(self.line_starts)) - 1] + location.end_col
        return self.text[start:end]


def unmark(rendered: str) -> LineMap:
    """Strip the markers from rendered text, keeping where each template line starts."""
    pieces: list[str] = []
    marks: list[int] = []
    lines: list[int] = []
    size = 0
    position = 0
    for match in _MARK.finditer(rendered):
        pieces.append(rendered[position:match.start()])
        size += match.start() - position
        marks.append(size)
        lines.append(int(match.group(1)))
        position = match.end()
    pieces.append(rendered[position:])
    text = "".join(pieces)
    starts = (0, *(m.end() for m in re.finditer("\n", text)))
    return LineMap(text, tuple(marks), tuple(lines), starts)
