"""Settings every parser receives: dialect, defaults and the user-declared schema."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect

from lineage_scan.config import Config
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
