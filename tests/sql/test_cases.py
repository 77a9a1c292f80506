"""Runs every hand-written case in tests/sql/cases/*.yml (format: tests/sql/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from case_files import load_cases, parse_edge
from sqlglot.dialects.dialect import Dialect

from lineage_scan.api import dedupe_edges
from lineage_scan.model import ColumnEdge
from lineage_scan.sql.names import Names
from lineage_scan.sql.schema import registry_from_mapping
from lineage_scan.sql.script import analyse_script

CASES_DIR = Path(__file__).parent / "cases"


def _render(edge: ColumnEdge) -> tuple[str, str, str]:
    return str(edge.source), str(edge.target), edge.kind.value


@pytest.mark.parametrize("case", load_cases(CASES_DIR))
def test_case(case: dict) -> None:
    dialect = Dialect.get_or_raise(case.get("dialect"))
    schema = registry_from_mapping(case.get("schema") or {}, Names(dialect))
    result = analyse_script(case["sql"], dialect, path="case.sql", schema=schema)
    edges = dedupe_edges(result.edges)
    actual = {_render(e): e for e in edges}
    expected = [parse_edge(item) for item in case.get("edges") or []]
    missing = sorted(f"{s} -> {d} : {k}" for s, d, k, _ in expected if (s, d, k) not in actual)
    extra = sorted(f"{s} -> {d} : {k}" for (s, d, k) in actual if (s, d, k) not in {e[:3] for e in expected})
    assert not missing and not extra, f"\nmissing: {missing}\nextra:   {extra}"
    for source, target, kind, certainty in expected:
        if certainty:
            got = actual[(source, target, kind)].certainty.value
            assert got == certainty, f"{source} -> {target} : {kind}: certainty {got}, expected {certainty}"
    messages = [d.message for d in result.diagnostics]
    for wanted in case.get("diagnostics") or []:
        assert any(wanted in m for m in messages), f"no diagnostic containing {wanted!r} in {messages}"
