"""Runs every hand-written case in tests/sql/cases/*.yml (format: tests/sql/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from case_files import assert_edges, load_cases
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
    assert_edges(actual, case.get("edges") or [])
    messages = [d.message for d in result.diagnostics]
    for wanted in case.get("diagnostics") or []:
        assert any(wanted in m for m in messages), f"no diagnostic containing {wanted!r} in {messages}"
