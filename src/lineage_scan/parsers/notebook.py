"""Jupyter notebooks: the code cells, joined in order, analysed as one Python program.

The `.ipynb` file is read with `json.loads` only. Locations point into the notebook file itself: the
JSON line holding the source line (each line of a cell's `source` list is one JSON string on its
own line in notebooks as Jupyter writes them) and the column inside that string, escapes
accounted for, so SARIF viewers and editors land on the right spot. IPython magics (`%time`,
`!pip`, `%%bash` cells) are blanked out; a cell that does not parse is reported and skipped, the
others are still analysed.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path

import libcst as cst

from lineage_scan.config import MAX_PYTHON_LINES
from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.parsers.python.analysis import analyse_program, scanned_root
from lineage_scan.parsers.python.modules import ParseFailure, Source, parse_cst

PARSER = "notebook"
MAX_DEPTH = 200
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


class NotebookError(ValueError):
    """The file is not a notebook the parser can read."""


@dataclass(frozen=True)
class SourceLine:
    """Where one program line lives in the notebook: its JSON string and where the line starts in it."""

    quote: int
    """Offset of the JSON string's opening quote in the file."""
    start: int
    """Index (in decoded characters) where this line starts inside the string."""
    cell: int


class NotebookSource(Source):
    """Maps program positions to the notebook file's own lines and columns."""

    def __init__(self, path: str, text: str, lines: list[SourceLine | None]):
        super().__init__(path)
        self.text = text
        self.lines = lines
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def location(self, start_line: int, start_col: int, end_line: int, end_col: int) -> Location:
        line, col = self._point(start_line, start_col)
        last_line, last_col = self._point(end_line, end_col)
        last_line, last_col = max((last_line, last_col), (line, col))
        return Location(self.path, line, col, last_line, last_col)

    def _point(self, program_line: int, program_col: int) -> tuple[int, int]:
        info = self.lines[program_line - 1] if 0 < program_line <= len(self.lines) else None
        if info is None:
            return 1, 1
        offset = info.quote + 1 + _raw_index(self.text, info.quote + 1, info.start + max(program_col, 1) - 1)
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


def _raw_index(text: str, begin: int, decoded: int) -> int:
    """How many raw JSON characters from ``begin`` encode the first ``decoded`` characters of the string."""
    index = begin
    count = 0
    while count < decoded and index < len(text) and text[index] != '"':
        if text[index] == "\\":
            index += 6 if text[index + 1:index + 2] == "u" else 2
        else:
            index += 1
        count += 1
    return index - begin


def parse_notebook_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """Lineage of the notebook at ``path`` (``rel`` is its repository path)."""
    fragment = Fragment(path=rel, parser=PARSER)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    try:
        program, source = notebook_program(text, rel, fragment, context.config.max_python_lines)
    except NotebookError as error:
        fragment.diagnostics.append(Diagnostic(Location(rel, 1, 1, 1, 1), PARSER, str(error), Severity.ERROR, "LS900"))
        return fragment
    return analyse_program(program, rel, scanned_root(path, rel), context, fragment, source)


def notebook_program(
    text: str, rel: str, fragment: Fragment, max_lines: int = MAX_PYTHON_LINES
) -> tuple[str, NotebookSource]:
    """The code cells as one program, and the map from its lines back to the notebook file."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise NotebookError(f"not a valid notebook: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotebookError("not a notebook: no list of cells")
    code_lines = sum(_line_count(cell.get("source")) for cell in document["cells"]
                     if isinstance(cell, dict) and cell.get("cell_type") == "code")
    if code_lines > max_lines:
        raise NotebookError(f"notebook has {code_lines:,} lines of code, over the {max_lines:,}-line limit "
                            "(max_python_lines in lineage-scan.yml); not analysed")
    quotes = _source_strings(text)
    metadata = document.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    language = kernelspec.get("language", "python") if isinstance(kernelspec, dict) else "python"
    if isinstance(language, str) and language.lower() not in ("python", "python3", ""):
        raise NotebookError(f"notebook kernel language is {language!r}, not Python; not analysed")
    program: list[str] = []
    lines: list[SourceLine | None] = []
    for index, cell in enumerate(document["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        pieces = cell.get("source", [])
        pieces = [pieces] if isinstance(pieces, str) else pieces
        if not isinstance(pieces, list) or not all(isinstance(p, str) for p in pieces):
            continue
        cell_lines: list[str] = []
        cell_map: list[SourceLine | None] = []
        offsets = quotes.get(index, [])
        for number, piece in enumerate(pieces):
            quote = offsets[number] if number < len(offsets) else None
            start = 0
            for line in piece.split("\n") if piece else [""]:
                cell_lines.append(line)
                cell_map.append(SourceLine(quote, start, index) if quote is not None else None)
                start += len(line) + 1
            if piece.endswith("\n"):
                cell_lines.pop()
                cell_map.pop()
        cell_lines = _without_magics(cell_lines)
        code = "\n".join(cell_lines) + "\n"
        if not _parses(code):
            first = next((m for m in cell_map if m is not None), None)
            where = NotebookSource(rel, text, [first]).location(1, 1, 1, 1) if first else Location(rel, 1, 1, 1, 1)
            fragment.diagnostics.append(Diagnostic(where, PARSER, f"cell {index + 1} is not valid Python; skipped",
                                                   Severity.ERROR, "LS901"))
            cell_lines = [""] * len(cell_lines)
        program.extend(cell_lines)
        lines.extend(cell_map)
    return "\n".join(program) + "\n", NotebookSource(rel, text, lines)


def _line_count(source: object) -> int:
    """Lines of a cell's `source` (a string or a list of strings, each ending a line but the last)."""
    pieces = [source] if isinstance(source, str) else source if isinstance(source, list) else []
    text = "".join(p for p in pieces if isinstance(p, str))
    return text.count("\n") + (bool(text) and not text.endswith("\n"))


def _without_magics(lines: list[str]) -> list[str]:
    """IPython magics and shell escapes blanked (line numbers kept); a `%%time` cell keeps its body."""
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(" ", 1)[0]
        if magic not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        lines = ["", *lines[1:]]
    result = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            indent = line[: len(line) - len(stripped)]
            result.append(f"{indent}pass" if indent else "")
        else:
            result.append(line)
    return result


def _parses(code: str) -> bool:
    try:
        parse_cst(code)
    except (cst.ParserSyntaxError, RecursionError, ParseFailure):
        return False
    return True


def _source_strings(text: str) -> dict[int, list[int]]:
    """For each cell index, the file offsets of the opening quotes of its `source` strings.

    A small JSON scanner that follows the path of each string (`cells[i].source[j]`); the document
    was already validated by `json.loads`.
    """
    found: dict[int, list[int]] = {}
    stack: list[list] = []  # [kind, key or index, expecting_key]
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char in " \t\r\n,:":
            if char == "," and stack:
                top = stack[-1]
                if top[0] == "array":
                    top[1] += 1
                else:
                    top[2] = True
            elif char == ":" and stack:
                stack[-1][2] = False
            index += 1
        elif char in "{[":
            if len(stack) >= MAX_DEPTH:
                raise NotebookError("notebook JSON nested too deeply")
            stack.append(["object", None, True] if char == "{" else ["array", 0, False])
            index += 1
        elif char in "}]":
            stack.pop()
            index += 1
        elif char == '"':
            value, end = scanstring(text, index + 1)
            top = stack[-1] if stack else None
            if top is not None and top[0] == "object" and top[2]:
                top[1] = value
            else:
                cell = _cell_of_source(stack)
                if cell is not None:
                    found.setdefault(cell, []).append(index)
            index = end
        else:
            match = NUMBER.match(text, index)
            index = match.end() if match else index + (4 if text.startswith(("true", "null"), index) else 5)
    return found


def _cell_of_source(stack: list[list]) -> int | None:
    """The cell index when the scanner stands in `cells[i].source` or `cells[i].source[j]`."""
    keys = [(frame[0], frame[1]) for frame in stack]
    if len(keys) == 3:
        (k0, v0), (k1, v1), (k2, v2) = keys
        if k0 == "object" and v0 == "cells" and k1 == "array" and k2 == "object" and v2 == "source":
            return v1
    if len(keys) == 4:
        (k0, v0), (k1, v1), (k2, v2), (k3, _) = keys
        if k0 == "object" and v0 == "cells" and k1 == "array" and k2 == "object" and v2 == "source" and k3 == "array":
            return v1
    return None
