"""lineage-scan: static column-level lineage and ML-pipeline checks for data repositories.

Public API:
    scan(path, config=None) -> ScanResult
    sql_column_lineage(sql, dialect=None, schema=None) -> list[ColumnEdge]
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lineage-scan")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

from lineage_scan.api import ScanResult, scan, sql_column_lineage  # noqa: E402
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Location  # noqa: E402

__all__ = [
    "Certainty",
    "ColumnEdge",
    "ColumnRef",
    "EdgeKind",
    "Location",
    "ScanResult",
    "__version__",
    "scan",
    "sql_column_lineage",
]
