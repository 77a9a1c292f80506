"""Plain SQL scripts: one file -> one Fragment, through the shared SQL engine."""

from __future__ import annotations

from pathlib import Path

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
    def fail(message: str) -> None:
        fragment.diagnostics.append(Diagnostic(Location(rel, 1, 1, 1, 1), fragment.parser, message, Severity.ERROR, "LS900"))

    try:
        size = path.stat().st_size
        if size > context.max_file_bytes:
            fail(f"file is {size:,} bytes, over the {context.max_file_bytes / 1024 / 1024:.3g} MB limit (raise max_file_mb "
                 "in lineage-scan.yml to analyse it); not analysed")
            return None
        data = path.read_bytes()
    except OSError as error:
        fail(f"cannot read file: {error.strerror or error}")
        return None
    if b"\x00" in data:
        fail("file looks binary (contains NUL bytes); not analysed")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        fail(f"file is not valid UTF-8 (byte {error.start}); not analysed")
        return None
