"""Settings every parser receives: dialect, defaults and the user-declared schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot.dialects.dialect import Dialect

from lineage_scan.config import Config
from lineage_scan.files import read_text_or_reason
from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.sql.schema import SchemaRegistry

MAX_FILE_BYTES = Config().max_file_bytes


@dataclass(frozen=True)
class ParseContext:
    """``config`` gives parsers their own sections (`config.extra["dbt"]`, ...)."""

    dialect: Dialect
    schema: SchemaRegistry
    config: Config = Config()
    default_db: str | None = None
    default_catalog: str | None = None
    max_file_bytes: int = MAX_FILE_BYTES


def read_text(path: Path, rel: str, context: ParseContext, fragment: Fragment) -> str | None:
    """The file's text, or None with an `LS900` diagnostic when it is too large, binary or not UTF-8."""
    text, reason = read_text_or_reason(path, context.max_file_bytes)
    if text is None:
        fragment.diagnostics.append(Diagnostic(Location(rel, 1, 1, 1, 1), fragment.parser, reason, Severity.ERROR, "LS900"))
    return text
