"""Runs every case of tests/rules/cases/<RULE>.yml (format: tests/rules/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lineage_scan import scan
from lineage_scan.model import DataStep, Location, StepOp
from lineage_scan.rules import run_rules

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list:
    params = []
    for file in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(file.read_text())
        assert data["rule"] == file.stem, f"{file.name} declares rule {data['rule']}"
        names = [case["name"] for case in data["cases"]]
        assert len(names) == len(set(names)), f"{file.name}: duplicate case names"
        for case in data["cases"]:
            params.append(pytest.param(data["rule"], case, id=f"{file.stem}::{case['name']}"))
    return params


def _at(text: str) -> Location:
    path, _, line = text.rpartition(":")
    return Location(path, int(line), 1, int(line), 1)


def _step(data: dict) -> DataStep:
    return DataStep(
        id=data["id"],
        op=StepOp(data["op"]),
        location=_at(data["at"]) if data.get("at") else None,
        inputs=tuple(data.get("inputs") or ()),
        outputs=tuple(data.get("outputs") or ()),
        roles=tuple(data.get("roles") or ()),
        estimator=data.get("estimator"),
        components=tuple(data.get("components") or ()),
        instance=data.get("instance"),
    )


@pytest.mark.parametrize(("rule", "case"), _load_cases())
def test_case(rule: str, case: dict, make_repo) -> None:
    root = make_repo(case["files"])
    result = scan(root)
    findings = result.findings
    if case.get("steps"):
        for step in case["steps"]:
            result.graph.add_data_step(_step(step))
        findings = run_rules(result.graph, result.config, root).findings
    actual = {
        f.key: (f"{f.location.path}:{f.location.start_line}" if f.location else None, f)
        for f in findings if f.rule == rule
    }
    expected = {item["key"]: item for item in case.get("findings") or []}
    assert sorted(actual) == sorted(expected), "\n".join(f"{k}: {f.message}" for k, (_, f) in actual.items())
    for key, item in expected.items():
        at, finding = actual[key]
        assert at == item["at"], f"{key}: at {at}, expected {item['at']}"
        if "suppressed" in item:
            assert finding.suppressed, f"{key} is not suppressed"
            assert finding.suppression.reason == item["suppressed"]
        else:
            assert not finding.suppressed, f"{key} is suppressed"
        for part in item.get("message") or []:
            assert part in finding.message, f"{key}: {part!r} not in {finding.message!r}"
        assert all(step.message for step in finding.path)
