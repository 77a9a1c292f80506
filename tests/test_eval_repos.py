"""Evaluation repositories (fixtures/eval/*), written apart from the rules and checked against findings
and key lineage edges derived by hand before the first scan (tests/fixtures/eval_<name>_*.txt).

The findings must match exactly; the edges file lists a subset of the graph (the lineage that decides
the findings: each model's target and features traced to source columns), each of which must exist.
A findings line `KNOWN-FP <finding>` is a false positive the tool still reports (expected in its output
until fixed); `KNOWN-FN <finding>` a right finding it still misses (expected absent until fixed): both
keep the gap visible and make this test fail the day it closes, so the line is moved.
"""

from __future__ import annotations

import re

import pytest
from repo_paths import REPO_ROOT

from lineage_scan import scan

EVAL_ROOT = REPO_ROOT / "fixtures" / "eval"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
REPOS = sorted(p.name for p in EVAL_ROOT.iterdir() if p.is_dir())
MODEL_LINE = re.compile(r"model (\S+) (target|feature) (\S+)$")


def _lines(path):
    return [re.sub(r"\s+", " ", line.strip()) for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module", params=REPOS)
def repo(request):
    return request.param, scan(EVAL_ROOT / request.param)


def test_every_eval_repo_has_expectations() -> None:
    assert REPOS == ["fraud_spark", "recsys_dbt_bq"]
    for name in REPOS:
        assert (FIXTURES / f"eval_{name}_findings.txt").is_file()
        assert (FIXTURES / f"eval_{name}_edges.txt").is_file()


def test_findings_match_hand_derived_list(repo) -> None:
    name, result = repo
    actual = {
        f"{f.key} @ {f.location.path}:{f.location.start_line}" + (" (suppressed)" if f.suppressed else "")
        for f in result.findings
    }
    lines = _lines(FIXTURES / f"eval_{name}_findings.txt")
    expected = {line.removeprefix("KNOWN-FP ") for line in lines if not line.startswith("KNOWN-FN ")}
    still_missed = {line.removeprefix("KNOWN-FN ") for line in lines if line.startswith("KNOWN-FN ")}
    assert sorted(still_missed & actual) == [], "known false negatives now found: move them to plain lines"
    assert sorted(expected - actual) == [], "findings the tool missed"
    assert sorted(actual - expected) == [], "findings the tool invented"


def test_key_edges_hold(repo) -> None:
    name, result = repo
    edges = {f"{s} -> {t} : {d['kind'].value}" for s, t, d in result.graph.column_edges()}
    models = {m.id: m for m in result.graph.ml_models()}
    missing = []
    for line in _lines(FIXTURES / f"eval_{name}_edges.txt"):
        match = MODEL_LINE.match(line)
        if match is None:
            if line not in edges:
                missing.append(line)
            continue
        model_id, role, column = match.groups()
        model = models.get(model_id)
        found = model is not None and (
            str(model.target) == column if role == "target" else column in {str(f) for f in model.features})
        if not found:
            missing.append(line)
    assert missing == []
