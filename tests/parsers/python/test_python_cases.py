"""Runs every hand-written case in tests/parsers/python/cases/*.yml (format: README.md there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from case_files import assert_edges, load_cases, parse_edge
from sqlglot.dialects.dialect import Dialect

from lineage_scan.model import Fragment
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.notebook import parse_notebook_file
from lineage_scan.parsers.python import parse_python_file
from lineage_scan.sql.schema import SchemaRegistry

CASES_DIR = Path(__file__).parent / "cases"


def notebook_json(cells: list[str]) -> str:
    """A notebook as Jupyter writes it: one JSON string per source line, indent 1."""
    document = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": cell.splitlines(keepends=True)}
            for cell in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


def main_path(case: dict) -> str:
    return case.get("main") or next(iter([*(case.get("files") or {}), *(case.get("notebooks") or {})]))


def _step_row(step, main: str) -> tuple:
    """A DataStep as the cases write it: value ids without `python:<analysed file>:`, the line only."""
    prefix = f"python:{main}:"

    def short(value: str | None) -> str | None:
        return value[len(prefix):] if value and value.startswith(prefix) else value

    return (step.op.value, step.location.start_line, tuple(map(short, step.inputs)), tuple(map(short, step.outputs)),
            step.roles, step.estimator, step.components, short(step.instance))


def _wanted_step(item: dict) -> tuple:
    return (item["op"], item["at"], tuple(item.get("inputs") or ()), tuple(item.get("outputs") or ()),
            tuple(item.get("roles") or ()), item.get("estimator"), tuple(item.get("components") or ()),
            item.get("instance"))


def _fact_row(fact) -> str:
    """`null_to_zero raw.t.a -> out.a @ 6` (`rate @ 7` appended when the filled value is divided)."""
    row = f"{fact.op.value} {fact.source} -> {fact.target} @ {fact.location.start_line}"
    return row + (f" rate @ {fact.rate.start_line}" if fact.rate else "")


def analyse_case(case: dict, root: Path) -> Fragment:
    files: dict[str, str] = dict(case.get("files") or {})
    for rel, cells in (case.get("notebooks") or {}).items():
        files[rel] = notebook_json(cells)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    main = main_path(case)
    context = ParseContext(Dialect.get_or_raise(case.get("dialect")), SchemaRegistry())
    parse = parse_notebook_file if main.endswith(".ipynb") else parse_python_file
    return parse(root / main, main, context)


@pytest.mark.parametrize("case", load_cases(CASES_DIR))
def test_case(case: dict, tmp_path: Path) -> None:
    fragment = analyse_case(case, tmp_path)
    actual = {(str(e.source), str(e.target), e.kind.value): e for e in fragment.edges}
    assert_edges(actual, case.get("edges") or [])
    for item in case.get("locations") or []:
        edge, _, where = item.rpartition(" @ ")
        source, target, kind, _ = parse_edge(edge)
        location = actual[(source, target, kind)].location
        got = f"{location.start_line}:{location.start_col}"
        if where.count(":") > 1:
            got = f"{location.path}:{got}"
        assert got == where, f"{item}: at {location}"
    for name, columns in (case.get("relations") or {}).items():
        written = [r for r in fragment.relations if r.name == name]
        assert written, f"relation {name} not written; written: {[r.name for r in fragment.relations]}"
        assert written[0].columns == (tuple(columns) if columns is not None else None)
    if "models" in case:
        models = [
            {"id": m.id, "features": [str(f) for f in m.features], "target": str(m.target) if m.target else None,
             "estimator": m.estimator, "excluded": list(m.excluded)}
            for m in fragment.ml_models
        ]
        wanted = [{"excluded": [], "estimator": None, **m} for m in case["models"]]
        assert models == wanted
    if "tasks" in case:
        tasks = {t.id: {"reads": list(t.reads), "writes": list(t.writes)} for t in fragment.tasks}
        wanted_tasks = {k: {"reads": sorted(v.get("reads", [])), "writes": sorted(v.get("writes", []))}
                        for k, v in case["tasks"].items()}
        assert tasks == wanted_tasks
    if "steps" in case:
        assert sorted(_step_row(s, main_path(case)) for s in fragment.data_steps) == sorted(
            _wanted_step(item) for item in case["steps"])
    if "value_facts" in case:
        got = sorted(_fact_row(f) for f in fragment.value_facts)
        assert got == sorted(case["value_facts"]), "\n".join(got)
    messages = [f"{d.code}: {d.message}" for d in fragment.diagnostics]
    for wanted in case.get("diagnostics") or []:
        assert any(wanted in m for m in messages), f"no diagnostic containing {wanted!r} in {messages}"
    if case.get("no_diagnostics"):
        assert messages == []
