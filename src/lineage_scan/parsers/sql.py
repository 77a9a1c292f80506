"""Plain SQL scripts: one file -> one Fragment, through the shared SQL engine."""

from __future__ import annotations

from pathlib import Path

from lineage_scan.files import read_text_or_reason
from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers.context import ParseContext
from lineage_scan.sql.script import PARSER, analyse_script


def parse_sql_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """Column lineage of every statement in the file at ``path`` (``rel`` is its repo path)."""
    fragment = Fragment(path=rel, parser=PARSER)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    script = analyse_script(
        text,
        context.dialect,
        path=rel,
        schema=context.schema,
        default_db=context.default_db,
        default_catalog=context.default_catalog,
        query_target=lambda line: f"query:{rel}:{line}",
        statement_timeout=context.config.statement_timeout_seconds,
        max_statement_chars=context.config.max_statement_chars,
    )
    fragment.relations = script.relations
    fragment.reads = script.reads
    fragment.edges = script.edges
    fragment.value_facts = script.value_facts
    fragment.diagnostics.extend(script.diagnostics)
    fragment.statements = script.statements
    fragment.statements_failed = script.statements_failed
    return fragment


def read_text(path: Path, rel: str, context: ParseContext, fragment: Fragment) -> str | None:
    """The file's text, or None with a diagnostic when it is too large, binary or not UTF-8."""
    text, reason = read_text_or_reason(path, context.max_file_bytes)
    if text is None:
        fragment.diagnostics.append(Diagnostic(Location(rel, 1, 1, 1, 1), fragment.parser, reason, Severity.ERROR, "LS900"))
    return text
