"""Python sources parsed with libcst (never imported), their positions, and imports inside the repo.

A `Source` maps positions in the program text to `Location`s in the real file: for a `.py` file
they are the same; a notebook's program is its code cells joined, mapped back to the `.ipynb`
file's own lines (see parsers/notebook.py). `ModuleLoader` resolves `import` statements to files
inside the scanned root only, and parses each file once.
"""

from __future__ import annotations

import ast
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from lineage_scan.config import MAX_PYTHON_LINES
from lineage_scan.model import Location


class Source:
    """A program text belonging to one repository file; positions are 1-based, end inclusive."""

    def __init__(self, path: str):
        self.path = path

    def location(self, start_line: int, start_col: int, end_line: int, end_col: int) -> Location:
        return Location(self.path, start_line, start_col, end_line, max(end_col, 1))


class ParseFailure(Exception):
    """A file that libcst cannot parse (the message says where)."""


class ParsedTree:
    """A libcst tree and its node positions, computed on first use (they cost more than the parse)."""

    def __init__(self, tree: cst.Module):
        self.tree = tree
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._positions is None:
            try:
                self._positions = MetadataWrapper(self.tree, unsafe_skip_copy=True).resolve(PositionProvider)
            except RecursionError:
                self._positions = {}
        return self._positions


@dataclass
class ParsedModule:
    """One parsed program: its repository path, dotted module name, syntax tree and positions."""

    rel: str
    name: str
    source: Source
    parsed: ParsedTree
    globals_cache: dict = field(default_factory=dict)

    @property
    def tree(self) -> cst.Module:
        return self.parsed.tree

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self.parsed.positions

    def location(self, node: cst.CSTNode) -> Location:
        span = self.positions.get(node)
        if span is None:
            return self.source.location(1, 1, 1, 1)
        return self.source.location(span.start.line, span.start.column + 1, span.end.line, span.end.column)

    def span(self, first: cst.CSTNode, last: cst.CSTNode) -> Location:
        """From where ``first`` starts to where ``last`` ends (a method call from its name on)."""
        start, end = self.positions.get(first), self.positions.get(last)
        if start is None or end is None:
            return self.location(last)
        return self.source.location(start.start.line, start.start.column + 1, end.end.line, end.end.column)

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """1-based line and column where ``node`` starts in the program text."""
        span = self.positions.get(node)
        return (span.start.line, span.start.column + 1) if span else (1, 1)


MAX_SYNTAX_DEPTH = 400
"""Deeper syntax trees are refused: libcst's native parser crashes or hangs on some of them
(about 1,500 nested brackets, thousands of chained operators)."""


def check_depth(text: str) -> None:
    """Refuse a program nested too deeply for libcst, checked first with CPython's own parser
    (`ast.parse` builds a tree; it never runs anything). Code it cannot parse is left to libcst."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        if "too many nested" in str(error.msg):
            raise ParseFailure("cannot parse Python: nested too deeply") from error
        return
    except (RecursionError, MemoryError) as error:
        raise ParseFailure("cannot parse Python: nested too deeply") from error
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SYNTAX_DEPTH:
            raise ParseFailure(f"cannot parse Python: nested more than {MAX_SYNTAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def parse_cst(text: str, max_lines: int = MAX_PYTHON_LINES) -> cst.Module:
    """``cst.parse_module(text)`` once `check_lines` and `check_depth` accepted it (every libcst parse of
    scanned code goes through here: libcst's native parser can crash the whole process on deeply
    nested code, and its tree takes about 20 KB per line); code libcst's tree cannot hold is a
    ParseFailure like code it cannot parse."""
    check_lines(text, max_lines)
    check_depth(text)
    try:
        return cst.parse_module(text)
    except cst.CSTValidationError as error:  # code its parser accepts but its tree cannot hold (`with x as*a:`)
        raise ParseFailure(f"cannot parse Python: {str(error).splitlines()[0]}") from error


def check_lines(text: str, max_lines: int) -> None:
    """Refuse a program of more than ``max_lines`` lines."""
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > max_lines:
        raise ParseFailure(f"cannot parse Python: {lines:,} lines, over the {max_lines:,}-line limit "
                           "(max_python_lines in lineage-scan.yml)")


PARSE_CACHE_SIZE = 256
_parse_cache: OrderedDict[bytes, ParsedTree] = OrderedDict()
"""Parsed texts by content hash, shared by the files of a scan that import the same modules."""


def parse_module(
    text: str, rel: str, name: str, source: Source | None = None, max_lines: int = MAX_PYTHON_LINES
) -> ParsedModule:
    """Parse ``text`` with libcst; raises ParseFailure with a one-line reason."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()
    parsed = _parse_cache.get(key)
    if parsed is None:
        try:
            parsed = ParsedTree(parse_cst(text, max_lines))
        except cst.ParserSyntaxError as error:
            raise ParseFailure(
                f"cannot parse Python: {error.message} (line {error.raw_line}, column {error.raw_column + 1})"
            ) from error
        except RecursionError as error:
            raise ParseFailure("cannot parse Python: nested too deeply") from error
        _parse_cache[key] = parsed
        if len(_parse_cache) > PARSE_CACHE_SIZE:
            _parse_cache.popitem(last=False)
    else:
        _parse_cache.move_to_end(key)
    return ParsedModule(rel, name, source or Source(rel), parsed)


def module_name(rel: str) -> str:
    """The dotted name a file would be imported as from the repository root (`ml/train.py` -> `ml.train`)."""
    parts = rel[: -len(".py")].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MAX_MODULES = 64
"""Modules of the repository one file's analysis may read (imports followed transitively)."""


class ModuleLoader:
    """Finds and parses the repository's own modules; never reads outside ``root``."""

    def __init__(self, root: Path, max_bytes: int, read: Callable[[Path], str | None], max_lines: int = MAX_PYTHON_LINES):
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self._read = read
        self._parsed: dict[str, ParsedModule | None] = {}
        self._resolved: dict[tuple[str, str, int], str | None] = {}
        self.dependencies: set[str] = set()
        """Repository files read to analyse the current one (besides itself)."""
        self.main = ""
        """The repository path of the file being analysed."""
        self.cut = False
        """True when imports were no longer followed because ``MAX_MODULES`` were read."""

    def resolve(self, importer: str, dotted: str, level: int = 0) -> str | None:
        """The repository path of module ``dotted`` imported from file ``importer`` (``level`` dots)."""
        key = (importer, dotted, level)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(importer, dotted, level)
        return self._resolved[key]

    def _resolve(self, importer: str, dotted: str, level: int) -> str | None:
        parts = [p for p in dotted.split(".") if p]
        if level:
            base = Path(importer).parent.parts
            if level - 1 > len(base):
                return None
            bases = [Path(*base[: len(base) - (level - 1)]) if len(base) - (level - 1) > 0 else Path()]
        else:
            # from the repository root, from the importing file's folder (a script run in place), from src/
            bases = [Path(), Path(importer).parent, Path("src")]
        for base in bases:
            for candidate in (base.joinpath(*parts).with_suffix(".py") if parts else None,
                              base.joinpath(*parts, "__init__.py")):
                if candidate is None:
                    continue
                rel = candidate.as_posix()
                if self._is_file(rel):
                    return rel
        return None

    def load(self, rel: str) -> ParsedModule | None:
        """The parsed module at repository path ``rel``, or None if it cannot be read or parsed (or
        the analysis already follows ``MAX_MODULES`` modules: a chain of imports through a large
        package is cut there, its names staying unknown)."""
        if rel in self._parsed:
            return self._parsed[rel]
        if len(self._parsed) > MAX_MODULES:
            self.cut = True
            return None
        self._parsed[rel] = None
        text = self._read(self.root / rel)
        if text is None:
            return None
        try:
            parsed = parse_module(text, rel, module_name(rel), max_lines=self.max_lines)
        except ParseFailure:
            return None
        self._parsed[rel] = parsed
        self.dependencies.add(rel)
        return parsed

    def add(self, module: ParsedModule) -> None:
        """Register the module being analysed itself (so imports of it are not read twice)."""
        self._parsed[module.rel] = module
        self.main = module.rel

    def read_text_file(self, rel: str) -> str | None:
        """A text file inside the root (a `.sql` file opened by the code), or None."""
        if not self._is_file(rel):
            return None
        self.dependencies.add(rel)
        return self._read(self.root / rel)

    def _is_file(self, rel: str) -> bool:
        if not rel or rel.startswith("/") or ".." in Path(rel).parts:
            return False
        path = self.root / rel
        try:
            resolved = path.resolve()
            resolved.relative_to(self.root)
        except (OSError, ValueError):
            return False
        return resolved.is_file()
