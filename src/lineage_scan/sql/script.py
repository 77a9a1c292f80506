"""A whole SQL script: split into statements, parse each on its own, analyse them in order.

A statement that fails to parse becomes a diagnostic with its line and the next statement is still
analysed; later statements see the tables that earlier ones created (their schema is tracked).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, TokenError
from sqlglot.expressions import SQLGLOT_META
from sqlglot.tokens import Token, TokenType

from lineage_scan.limits import TIME_LIMIT_CODE, TimeLimitExceeded, time_limit
from lineage_scan.model import (
    QUERY_TARGET,
    ColumnEdge,
    Diagnostic,
    Location,
    QueryLogic,
    RelationDef,
    RelationUse,
    Severity,
    ValueFact,
)
from lineage_scan.sql.names import Names, normalize_identifiers
from lineage_scan.sql.query import QueryError
from lineage_scan.sql.query_types import Span
from lineage_scan.sql.schema import SchemaRegistry
from lineage_scan.sql.statements import StatementAnalyser

PARSER = "sql"


class Locator:
    """Turns character offsets of a text into 1-based line/column Locations."""

    def __init__(self, path: str, text: str):
        self.path = path
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._cache: dict[Span, Location] = {}

    def forget(self) -> None:
        """Drop the shared Locations of the statement done (spans of the next one never repeat them)."""
        self._cache.clear()

    def point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def span(self, span: Span | None) -> Location | None:
        if span is None:
            return None
        location = self._cache.get(span)
        if location is None:
            start_line, start_col = self.point(span[0])
            end_line, end_col = self.point(span[1])
            location = self._cache[span] = Location(self.path, start_line, start_col, end_line, end_col)
        return location


@dataclass
class ScriptLineage:
    """Everything one script contributes, plus how many statements were parsed and failed."""

    relations: list[RelationDef] = field(default_factory=list)
    reads: list[RelationUse] = field(default_factory=list)
    edges: list[ColumnEdge] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    value_facts: list[ValueFact] = field(default_factory=list)
    statements: int = 0
    statements_failed: int = 0


@dataclass(frozen=True)
class RawStatement:
    tokens: list[Token]
    start: int
    end: int


WINDOW_CHARS = 1_000_000
"""Scripts are tokenized a window of about this many characters at a time, cut after a statement's
`;` (at a line end if there is one, or a T-SQL `GO` line), so a big file never holds more than a
window's tokens. A window whose cut falls inside a string or comment is doubled; with no statement
end within `MAX_WINDOW_CHARS` (or twice the statement limit), it is cut at a space inside the
statement, which is then over the size limit anyway."""
MAX_WINDOW_CHARS = 4 * WINDOW_CHARS
MAX_STATEMENT_CHARS = 1_000_000
"""Longer statements are not parsed (about 300 MB of syntax tree per million characters)."""
SIZE_LIMIT_CODE = "LS942"
_STATEMENT_END = re.compile(r";[ \t]*\r?\n")
_TSQL_STATEMENT_END = re.compile(r";[ \t]*\r?\n|^[ \t]*GO[ \t]*\r?\n", re.IGNORECASE | re.MULTILINE)
_SEMICOLON = re.compile(";")
_SPACE = re.compile(r"\s")
_QUOTE_OR_SPACE = re.compile(r"['\"\s]")


@dataclass(frozen=True)
class SplitError:
    """A stretch of the script that cannot be split into statements: why, and where it starts."""

    message: str
    start: int
    end: int
    code: str = "LS901"


def split_statements(
    sql: str, dialect: Dialect, max_statement_chars: int | None = MAX_STATEMENT_CHARS
) -> Iterator[RawStatement | SplitError]:
    """Token-level split on `;` (and T-SQL `GO` lines), lazily and in file order.

    A statement longer than ``max_statement_chars`` (None: no limit) is a `SplitError` instead.
    """
    splitter = _Splitter(dialect, max_statement_chars)
    ends = _TSQL_STATEMENT_END if splitter.is_tsql else _STATEMENT_END
    longest = max(MAX_WINDOW_CHARS, 2 * max_statement_chars) if max_statement_chars else len(sql)
    start = 0
    while start < len(sql):
        size = WINDOW_CHARS
        failed_at = None  # the last statement end whose window did not tokenize
        tokens: list[Token] | None = None
        while True:
            forced = False
            if start + size >= len(sql):
                end = len(sql)
            else:
                last = min(start + longest, len(sql))
                match = ends.search(sql, start + size, last) or _SEMICOLON.search(sql, start + size, last)
                if match is None and failed_at is not None:  # an unterminated string or comment, not a long statement
                    end, tokens = failed_at, None
                    break
                forced = match is None  # inside a statement over the size limit: any space will do
                end = match.end() if match else _cut_after(sql, start, last)
            try:
                tokens = _tokenize(sql, start, end, dialect)
            except TokenError:
                tokens = None
                failed_at = end
            if end == len(sql) or forced or tokens and splitter.ends_statement(tokens):
                break
            size *= 2
        if tokens is not None:
            yield from splitter.feed(tokens)
        else:  # an unterminated string or comment: split on `;` at line ends and tokenize each piece
            yield from _forgiving_split(sql, start, end, dialect, splitter)
        start = end
    yield from splitter.flush()


def _cut_after(sql: str, start: int, offset: int) -> int:
    """Just past the first white space at or after ``offset``, preferably one outside quotes (an even
    number of `'` and of `"` since ``start``: a guess the tokenizer then checks), else the end of the text."""
    quotes = {"'": sql.count("'", start, offset) % 2, '"': sql.count('"', start, offset) % 2}
    first_space = None
    for match in _QUOTE_OR_SPACE.finditer(sql, offset, min(len(sql), offset + WINDOW_CHARS)):
        char = match.group()
        if char in quotes:
            quotes[char] ^= 1
        elif not any(quotes.values()):
            return match.end()
        elif first_space is None:
            first_space = match.end()
    if first_space is not None:
        return first_space
    space = _SPACE.search(sql, offset)
    return space.end() if space else len(sql)


def _tokenize(sql: str, start: int, end: int, dialect: Dialect, lines: int | None = None) -> list[Token]:
    """Tokens of ``sql[start:end]`` with the offsets, lines and columns they have in the whole text
    (``lines``: the line breaks before ``start``, when the caller knows them)."""
    tokens = dialect.tokenize(sql[start:end] if start or end < len(sql) else sql)
    if start:
        lines = sql.count("\n", 0, start) if lines is None else lines
        indent = start - (sql.rfind("\n", 0, start) + 1)  # the window may start inside a line
        for token in tokens:
            if indent and token.line == 1:
                token.col += indent
            token.start += start
            token.end += start
            token.line += lines
    return tokens


def _forgiving_split(
    sql: str, start: int, end: int, dialect: Dialect, splitter: _Splitter
) -> Iterator[RawStatement | SplitError]:
    yield from splitter.flush()
    piece_start = start
    lines = sql.count("\n", 0, start)
    for match in [*re.finditer(r";[ \t]*(?:\n|$)", sql[start:end]), None]:
        piece_end = start + match.end() if match else end
        piece = sql[piece_start:piece_end]
        if piece.strip():
            try:
                yield from splitter.feed(_tokenize(sql, piece_start, piece_end, dialect, lines))
            except TokenError as error:
                offset = piece_start + len(piece) - len(piece.lstrip())
                yield SplitError(f"cannot tokenize statement: {error}", offset, offset)
            yield from splitter.flush()
        lines += piece.count("\n")
        piece_start = piece_end


class _Splitter:
    """Cuts a stream of tokens into statements; a statement may span several windows."""

    def __init__(self, dialect: Dialect, max_chars: int | None):
        self.is_tsql = dialect.__class__.__name__ == "TSQL"
        self.max_chars = max_chars
        self.chunk: list[Token] = []
        self.oversized = False

    def is_separator(self, tokens: list[Token], index: int) -> bool:
        token = tokens[index]
        return token.token_type == TokenType.SEMICOLON or (
            self.is_tsql and token.text.upper() == "GO" and _alone_on_line(tokens, index)
        )

    def ends_statement(self, tokens: list[Token]) -> bool:
        return self.is_separator(tokens, len(tokens) - 1)

    def feed(self, tokens: list[Token]) -> Iterator[RawStatement | SplitError]:
        if self.is_tsql:
            separators = [index for index in range(len(tokens)) if self.is_separator(tokens, index)]
        else:
            semicolon = TokenType.SEMICOLON
            separators = [index for index, token in enumerate(tokens) if token.token_type == semicolon]
        start = 0
        for end in separators:
            self._add(tokens, start, end)
            yield from self.flush()
            start = end + 1
        self._add(tokens, start, len(tokens))

    def _add(self, tokens: list[Token], start: int, end: int) -> None:
        """Add ``tokens[start:end]`` to the statement; one over the size limit keeps only its first
        and last token (the first that crosses the limit is dropped, as are those after it but the last)."""
        if start == end:
            return
        chunk = self.chunk
        if self.oversized:
            chunk[1:] = [tokens[end - 1]]
            return
        first = chunk[0] if chunk else tokens[start]
        if not self.max_chars or tokens[end - 1].end - first.start < self.max_chars:  # token ends only grow
            chunk.extend(tokens[start:end])
            return
        crossing = bisect.bisect_left(tokens, first.start + self.max_chars, start, end, key=lambda token: token.end)
        self.oversized = True
        self.chunk = [first, tokens[end - 1]] if crossing < end - 1 else [first]

    def flush(self) -> Iterator[RawStatement | SplitError]:
        chunk, oversized = self.chunk, self.oversized
        self.chunk, self.oversized = [], False
        if oversized:
            size = chunk[-1].end + 1 - chunk[0].start
            limit = f"{(self.max_chars or 0) / 1_000_000:.3g} MB"
            yield SplitError(
                f"statement of {size:,} characters not analysed: over the {limit} limit (max_statement_mb in "
                "lineage-scan.yml)", chunk[0].start, chunk[-1].end, SIZE_LIMIT_CODE,
            )
        elif chunk:
            yield RawStatement(chunk, chunk[0].start, chunk[-1].end)


def _alone_on_line(tokens: list[Token], index: int) -> bool:
    line = tokens[index].line
    before = index == 0 or tokens[index - 1].line < line
    after = index == len(tokens) - 1 or tokens[index + 1].line > line
    return before and after


def analyse_script(
    sql: str,
    dialect: Dialect,
    path: str = "<sql>",
    schema: SchemaRegistry | None = None,
    default_db: str | None = None,
    default_catalog: str | None = None,
    query_target: Callable[[int], str] | None = None,
    statement_timeout: float | None = None,
    max_statement_chars: int | None = MAX_STATEMENT_CHARS,
) -> ScriptLineage:
    """Column lineage of every statement of a script.

    ``schema`` is copied, then extended by the script's own DDL and writes as statements run.
    ``query_target(line)`` names the placeholder relation of a bare SELECT starting at ``line``.
    A statement whose parsing and analysis take longer than ``statement_timeout`` seconds is
    abandoned with a diagnostic (the limit only applies on a process's main thread); one longer than
    ``max_statement_chars`` characters is not parsed.
    Edges are unique per (source, target, kind, certainty, candidates, excluded), each with the
    earliest location that creates it.
    """
    result = ScriptLineage()
    locator = Locator(path, sql)
    names = Names(dialect, default_db, default_catalog)
    registry = schema.copy() if schema is not None else SchemaRegistry()
    analyser = StatementAnalyser(names, registry, locator.span, query_target or (lambda _line: QUERY_TARGET))
    edges = _EdgeSet()
    marked = SQLGLOT_META in sql  # a `/* sqlglot.meta ... */` comment can mark nodes case-sensitive
    previous_end = 0
    for raw in split_statements(sql, dialect, max_statement_chars):
        result.statements += 1
        text_start, previous_end = previous_end, raw.end + 1
        if isinstance(raw, SplitError):
            result.statements_failed += 1
            severity = Severity.WARNING if raw.code == SIZE_LIMIT_CODE else Severity.ERROR
            result.diagnostics.append(_diagnostic(locator, (raw.start, raw.end), raw.message, severity, raw.code))
            continue
        analyser.begin(sql[text_start:previous_end])
        try:
            with time_limit(statement_timeout):
                outcome = _analyse_raw_statement(sql, raw, dialect, analyser, locator, marked)
        except TimeLimitExceeded as error:
            result.statements_failed += 1
            message = f"statement not analysed: {error} (the limit is statement_timeout_seconds)"
            result.diagnostics.append(_diagnostic(locator, (raw.start, raw.end), message, Severity.WARNING, TIME_LIMIT_CODE))
            continue
        result.relations.extend(outcome.relations)
        result.reads.extend(outcome.reads)
        edges.add(outcome.edges)
        result.value_facts.extend(outcome.value_facts)
        result.diagnostics.extend(outcome.diagnostics)
        result.statements_failed += outcome.statements_failed
        locator.forget()
    result.edges = edges.kept
    return result


def logic_fingerprint_of(logic: QueryLogic, seconds: float | None = None) -> str | None:
    """The fingerprint of the normalised logic of the query ``logic`` stands for (`fingerprint.logic_fingerprint`):
    its statement analysed again, alone and as it was the first time; None when that fails or takes
    longer than ``seconds`` (the statement time limit, as for its first analysis)."""
    try:
        dialect = Dialect.get_or_raise(logic.dialect or None)
    except ValueError:
        return None
    analyser = StatementAnalyser(Names(dialect, logic.default_db, logic.default_catalog), SchemaRegistry(),
                                 lambda _span: None, lambda _line: QUERY_TARGET)
    fingerprints: list[str | None] = []
    analyser.fingerprints = fingerprints
    text = logic.statement
    raw = next(split_statements(text, dialect, None), None)  # the text is one statement after what preceded it
    if isinstance(raw, RawStatement):
        try:
            with time_limit(seconds):
                _analyse_raw_statement(text, raw, dialect, analyser, Locator("<logic>", text), SQLGLOT_META in text)
        except TimeLimitExceeded:
            return None
    return fingerprints[logic.index] if 0 <= logic.index < len(fingerprints) else None


class _EdgeSet:
    """A script's edges, statement after statement (in file order, each one's edges unique and sorted):
    an edge a statement repeats with another location is dropped, the first (earliest) is kept.
    (Keyed only once a second statement brings edges: most scripts hold one statement.)"""

    def __init__(self) -> None:
        self.kept: list[ColumnEdge] = []
        self._keys: set[tuple] | None = None  # made when a second statement brings edges

    def add(self, edges: list[ColumnEdge]) -> None:
        if not self.kept:
            self.kept.extend(edges)
            return
        if self._keys is None:
            self._keys = {_edge_key(edge) for edge in self.kept}
        for edge in edges:
            key = _edge_key(edge)
            if key not in self._keys:
                self._keys.add(key)
                self.kept.append(edge)


def _edge_key(edge: ColumnEdge) -> tuple:
    return edge.source, edge.target, edge.kind, edge.certainty, edge.candidates, edge.excluded


def _analyse_raw_statement(
    sql: str, raw: RawStatement, dialect: Dialect, analyser: StatementAnalyser, locator: Locator, marked: bool
) -> ScriptLineage:
    """What one `;`-separated statement contributes (nothing is added to the script's result until it is done).
    ``marked``: whether the script holds a `sqlglot.meta` comment (see `normalize_identifiers`)."""
    result = ScriptLineage()
    try:
        parsed = dialect.parser(error_level=ErrorLevel.RAISE).parse(raw.tokens, sql)
    except ParseError as error:
        result.statements_failed += 1
        result.diagnostics.append(_parse_diagnostic(locator, raw, error))
        return result
    except RecursionError:
        result.statements_failed += 1
        message = "cannot parse statement: nested too deeply"
        result.diagnostics.append(_diagnostic(locator, (raw.start, raw.start), message, Severity.ERROR, "LS901"))
        return result
    except TimeLimitExceeded:
        raise
    except Exception as error:  # noqa: BLE001 - sqlglot can fail inside on odd input; the scan goes on
        result.statements_failed += 1
        message = f"cannot parse statement: the SQL parser failed ({type(error).__name__}: {error})"
        result.diagnostics.append(_diagnostic(locator, (raw.start, raw.start), message, Severity.ERROR, "LS901"))
        return result
    edges = _EdgeSet()  # a second statement parsed from the same text: its repeats are dropped
    for statement in parsed:
        if statement is not None:
            _analyse_statement(statement, raw, analyser, locator, result, edges, marked)
    result.edges = edges.kept
    return result


def _analyse_statement(
    statement: exp.Expr, raw: RawStatement, analyser: StatementAnalyser, locator: Locator, result: ScriptLineage,
    edges: _EdgeSet, marked: bool,
) -> None:
    line = locator.point(raw.start)[0]
    try:
        statement = normalize_identifiers(statement, analyser.names.dialect, marked)
        lineage = analyser.analyse(statement, line)
    except (QueryError, OptimizeError, RecursionError) as error:
        result.statements_failed += 1
        message = f"statement not analysed: {error or type(error).__name__}"
        result.diagnostics.append(_diagnostic(locator, (raw.start, raw.end), message, Severity.WARNING, "LS902"))
        return
    except TimeLimitExceeded:
        raise
    except Exception as error:  # noqa: BLE001 - a bug of ours must cost one statement, not the scan
        result.statements_failed += 1
        message = f"statement not analysed: internal error ({type(error).__name__}: {error}); please report it"
        result.diagnostics.append(_diagnostic(locator, (raw.start, raw.end), message, Severity.WARNING, "LS902"))
        return
    result.relations.extend(lineage.relations)
    result.reads.extend(lineage.reads)
    edges.add(lineage.edges)
    result.value_facts.extend(sorted(set(lineage.facts)))
    for note in lineage.notes:
        location = locator.span(note.span or (raw.start, raw.end))
        assert location is not None
        result.diagnostics.append(Diagnostic(location, PARSER, note.message, Severity.WARNING, note.code, note.subject))


def _parse_diagnostic(locator: Locator, raw: RawStatement, error: ParseError) -> Diagnostic:
    detail = error.errors[0] if error.errors else {}
    description = detail.get("description") or str(error).splitlines()[0]
    description = re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", description)
    location = locator.span((raw.start, raw.end))
    if detail.get("line"):
        location = Location(locator.path, detail["line"], detail.get("col") or 1, detail["line"], detail.get("col") or 1)
    return Diagnostic(location, PARSER, f"cannot parse statement: {description}", Severity.ERROR, "LS901")


def _diagnostic(locator: Locator, span: Span, message: str, severity: Severity, code: str) -> Diagnostic:
    location = locator.span(span)
    assert location is not None
    return Diagnostic(location, PARSER, message, severity, code)
