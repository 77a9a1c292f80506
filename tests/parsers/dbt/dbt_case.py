from __future__ import annotations

from lineage_scan.api import ScanResult

PROJECT_YML = "name: shop\nprofile: shop\n"


def edges(result: ScanResult) -> set[str]:
    return {f"{s} -> {t} : {d['kind'].value}" for s, t, d in result.graph.column_edges()}


def diagnostics(result: ScanResult, code: str | None = None) -> list[tuple[str, int, str]]:
    return [(d.location.path, d.location.start_line, d.message) for d in result.diagnostics if code in (None, d.code)]
