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
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import Token, TokenType

from lineage_scan.limits import TIME_LIMIT_CODE, TimeLimitExceeded, time_limit
from lineage_scan.model import (
    QUERY_TARGET,
    ColumnEdge,
    Diagnostic,
    Location,
    RelationDef,
    RelationUse,
    Severity,
    ValueFact,
)
from lineage_scan.sql.names import Names
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


def split_statements(sql: str, dialect: Dialect) -> tuple[list[RawStatement], list[tuple[str, int]]]:
    """Token-level split on `;` (and T-SQL `GO` lines). Returns statements and (error, offset) pairs."""
    try:
        return list(_split_tokens(dialect.tokenize(sql), dialect)), []
    except TokenError:
        pass
    # The tokenizer gave up (e.g. an unterminated string): split on `;` at line ends and tokenize
    # each piece on its own, with the rest of the text blanked so offsets stay those of the file.
    statements: list[RawStatement] = []
    errors: list[tuple[str, int]] = []
    start = 0
    for match in [*re.finditer(r";[ \t]*(?:\n|$)", sql), None]:
        end = match.end() if match else len(sql)
        if sql[start:end].strip():
            masked = re.sub(r"[^\n]", " ", sql[:start]) + sql[start:end]
            try:
                statements.extend(_split_tokens(dialect.tokenize(masked), dialect))
            except TokenError as error:
                errors.append((f"cannot tokenize statement: {error}", start + len(sql[start:end]) - len(sql[start:end].lstrip())))
        start = end
    return statements, errors


def _split_tokens(tokens: list[Token], dialect: Dialect) -> Iterator[RawStatement]:
    is_tsql = dialect.__class__.__name__ == "TSQL"
    chunk: list[Token] = []
    for index, token in enumerate(tokens):
        separator = token.token_type == TokenType.SEMICOLON or (
            is_tsql and token.text.upper() == "GO" and _alone_on_line(tokens, index)
        )
        if separator:
            if chunk:
                yield RawStatement(chunk, chunk[0].start, chunk[-1].end)
            chunk = []
        else:
            chunk.append(token)
    if chunk:
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
) -> ScriptLineage:
    """Column lineage of every statement of a script.

    ``schema`` is copied, then extended by the script's own DDL and writes as statements run.
    ``query_target(line)`` names the placeholder relation of a bare SELECT starting at ``line``.
    A statement whose parsing and analysis take longer than ``statement_timeout`` seconds is
    abandoned with a diagnostic (the limit only applies on a process's main thread).
    Edges are unique per (source, target, kind, certainty, candidates, excluded), each with the
    earliest location that creates it.
    """
    result = ScriptLineage()
    locator = Locator(path, sql)
    names = Names(dialect, default_db, default_catalog)
    registry = schema.copy() if schema is not None else SchemaRegistry()
    analyser = StatementAnalyser(names, registry, locator.span, query_target or (lambda _line: QUERY_TARGET))
    statements, errors = split_statements(sql, dialect)
    for message, offset in errors:
        result.statements_failed += 1
        result.diagnostics.append(_diagnostic(locator, (offset, offset), message, Severity.ERROR, "LS901"))
    for raw in statements:
        result.statements += 1
        try:
            with time_limit(statement_timeout):
                outcome = _analyse_raw_statement(sql, raw, dialect, analyser, locator)
        except TimeLimitExceeded as error:
            result.statements_failed += 1
            message = f"statement not analysed: {error} (the limit is statement_timeout_seconds)"
            result.diagnostics.append(_diagnostic(locator, (raw.start, raw.end), message, Severity.WARNING, TIME_LIMIT_CODE))
            continue
        result.relations.extend(outcome.relations)
        result.reads.extend(outcome.reads)
        result.edges.extend(outcome.edges)
        result.value_facts.extend(outcome.value_facts)
        result.diagnostics.extend(outcome.diagnostics)
        result.statements_failed += outcome.statements_failed
    result.edges = _first_of_each(result.edges)
    return result


def _first_of_each(edges: list[ColumnEdge]) -> list[ColumnEdge]:
    """Drop repeats of an edge that differ only in location (statements come in file order, each
    one's edges sorted, so the first is the earliest); the build keeps one location per edge anyway."""
    unique: dict[tuple, ColumnEdge] = {}
    for edge in edges:
        unique.setdefault((edge.source, edge.target, edge.kind, edge.certainty, edge.candidates, edge.excluded), edge)
    return list(unique.values())


def _analyse_raw_statement(
    sql: str, raw: RawStatement, dialect: Dialect, analyser: StatementAnalyser, locator: Locator
) -> ScriptLineage:
    """What one `;`-separated statement contributes (nothing is added to the script's result until it is done)."""
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
    for statement in parsed:
        if statement is not None:
            _analyse_statement(statement, raw, analyser, locator, result)
    return result


def _analyse_statement(
    statement: exp.Expr, raw: RawStatement, analyser: StatementAnalyser, locator: Locator, result: ScriptLineage
) -> None:
    line = locator.point(raw.start)[0]
    try:
        statement = normalize_identifiers(statement, dialect=analyser.names.dialect)
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
    result.edges.extend(sorted(lineage.edges, key=ColumnEdge.sort_key))
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
