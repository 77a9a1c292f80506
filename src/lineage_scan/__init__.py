"""lineage-scan: static column-level lineage and ML-pipeline checks for data repositories.

Public API:
    scan(path, config=None) -> ScanResult
    sql_column_lineage(sql, dialect=None, schema=None) -> list[ColumnEdge]
"""

from __future__ import annotations

__version__ = "0.1.0"

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
