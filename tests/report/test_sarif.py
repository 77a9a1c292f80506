"""SARIF output: valid against the official 2.1.0 schema, within GitHub's limits, stable fingerprints."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from repo_paths import EXAMPLE_REPO, REPO_ROOT

from lineage_scan import scan
from lineage_scan.cli import main
from lineage_scan.report.sarif import render_sarif
from lineage_scan.rules import RULES

SCHEMA_REL = Path("shared") / "schemas" / "sarif-schema-2.1.0.json"
SCHEMA = next((d / SCHEMA_REL for d in REPO_ROOT.parents if (d / SCHEMA_REL).is_file()), REPO_ROOT.parent / SCHEMA_REL)
"""Beside the clone, or beside a folder of worktrees holding it."""
SNAPSHOT = REPO_ROOT / "tests" / "snapshots" / "example_repo.sarif"
GITHUB_MAX_RESULTS = 25_000
GITHUB_MAX_GZIP_BYTES = 10 * 1024 * 1024
GITHUB_MAX_THREAD_FLOW_LOCATIONS = 1_000


def validate(document: dict) -> None:
    """The official schema (always present beside the clone, in CI too: a missing file fails) + GitHub's limits."""
    assert SCHEMA.is_file(), f"SARIF schema missing at {SCHEMA}"
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)
    (run,) = document["runs"]
    assert len(run["results"]) <= GITHUB_MAX_RESULTS
    assert len(gzip.compress(json.dumps(document).encode())) <= GITHUB_MAX_GZIP_BYTES
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"].strip() and rule["fullDescription"]["text"].strip()
        assert len(rule["fullDescription"]["text"]) <= 1024 and rule["help"]["markdown"].strip()
    for result in run["results"]:
        assert result["message"]["text"].strip()
        for flow in result.get("codeFlows", []):
            for thread in flow["threadFlows"]:
                assert 0 < len(thread["locations"]) <= GITHUB_MAX_THREAD_FLOW_LOCATIONS
        for location in result["locations"] + result.get("relatedLocations", []):
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith("/") and ".." not in uri.split("/")


@pytest.fixture(scope="module")
def example_sarif() -> str:
    return render_sarif(scan(EXAMPLE_REPO), category="lineage-scan")


def test_example_repo_sarif_is_valid_and_pinned(example_sarif: str) -> None:
    document = json.loads(example_sarif)
    validate(document)
    if os.environ.get("LINEAGE_SCAN_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(example_sarif, encoding="utf-8")
    assert example_sarif == SNAPSHOT.read_text(encoding="utf-8")
    assert example_sarif == render_sarif(scan(EXAMPLE_REPO), category="lineage-scan"), "byte-identical across runs"


def test_every_rule_is_listed_with_its_documentation(example_sarif: str) -> None:
    (run,) = json.loads(example_sarif)["runs"]
    listed = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in listed] == sorted(rule.id for rule in RULES)
    by_id = {r["id"]: r for r in listed}
    assert by_id["LS101"]["name"] == "target-leakage"
    assert by_id["LS101"]["defaultConfiguration"]["level"] == "error"
    assert "## Why is this bad?" in by_id["LS101"]["help"]["markdown"]
    assert run["automationDetails"] == {"id": "lineage-scan/"}


def test_leakage_result_has_a_code_flow_from_cause_to_feature(example_sarif: str) -> None:
    (run,) = json.loads(example_sarif)["runs"]
    (leak,) = [r for r in run["results"] if r["properties"]["key"] == "LS101|ml.training_set.label|ml.training_set.days_since_cancel"]
    assert leak["level"] == "error" and leak["ruleIndex"] == 0
    steps = leak["codeFlows"][0]["threadFlows"][0]["locations"]
    files = [s["location"]["physicalLocation"]["artifactLocation"]["uri"] for s in steps]
    assert files[0] == "warehouse/features/training_set.sql" and "warehouse/features/churn_features.sql" in files
    assert all(s["location"]["message"]["text"] for s in steps)
    assert [r["id"] for r in leak["relatedLocations"]] == [1, 2] and "Related: [1](1), [2](2)." in leak["message"]["text"]


def test_inline_suppressions_are_reported_as_such(example_sarif: str) -> None:
    (run,) = json.loads(example_sarif)["runs"]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert suppressed and all(s["kind"] == "inSource" for r in suppressed for s in r["suppressions"])


def test_parse_diagnostics_are_tool_notifications(example_sarif: str) -> None:
    (run,) = json.loads(example_sarif)["runs"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["descriptor"]["id"] == "LS901" and
               n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "warehouse/broken/bad_syntax.sql"
               for n in notes)


def test_fingerprints_survive_line_moves(tmp_path: Path, example_sarif: str) -> None:
    moved = tmp_path / "repo"
    shutil.copytree(EXAMPLE_REPO, moved)
    for sql in (moved / "warehouse").rglob("*.sql"):
        sql.write_text("-- reformatted\n\n\n" + sql.read_text())
    before = {r["properties"]["key"]: (r["partialFingerprints"], r["locations"]) for r in json.loads(example_sarif)["runs"][0]["results"]}
    after = {r["properties"]["key"]: (r["partialFingerprints"], r["locations"])
             for r in json.loads(render_sarif(scan(moved), category="lineage-scan"))["runs"][0]["results"]}
    assert before.keys() == after.keys()
    assert all(before[k][0] == after[k][0] for k in before), "fingerprints follow the finding's meaning"
    assert any(before[k][1] != after[k][1] for k in before), "while the locations did move"


def test_cli_sarif_fail_on_and_baseline(tmp_path: Path) -> None:
    first = tmp_path / "first.sarif"
    run = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "sarif", "-o", str(first)])
    assert run.exit_code == 1, "the example repo has an error-level leakage finding"
    validate(json.loads(first.read_text()))
    assert CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "none", "-q"]).exit_code == 0
    again = tmp_path / "again.sarif"
    rerun = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "sarif", "-o", str(again), "--baseline", str(first)])
    assert rerun.exit_code == 0, "nothing is new against the baseline"
    assert json.loads(again.read_text())["runs"][0]["results"] == []
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--baseline", str(bad)]).exit_code == 2
