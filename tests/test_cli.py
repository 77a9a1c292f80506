"""The `lineage-scan` command line: output formats, files and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner
from repo_paths import EXAMPLE_REPO

from lineage_scan.cli import main


def test_scan_prints_a_summary() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    # 44 SQL/dbt/Airflow statements + ml/features.py's FEATURES_SQL + the notebook's SELECT * FROM ml.training_set
    assert "statements  46 (1 failed, 97.8% analysed)" in result.output
    # + churn_features.customer_id -> churn_scores.customer_id (ml/score.py), training_set.plan_code -> the notebook's csv
    assert "identity 135" in result.output
    assert "dbt         16 models/snapshots: 100.0% rendered, 100.0% parsed" in result.output
    assert "warehouse/broken/bad_syntax.sql:9:4: error: cannot parse statement" in result.output


def test_json_to_file_with_summary_on_stdout(tmp_path) -> None:
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "json", "-o", str(out), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["schema_version"] == "1.0"
    assert {n["type"] for n in document["nodes"]} == {"relation", "column", "task", "ml_model"}
    # + ml.churn_scores, reports/churn_by_plan.csv and train_churn_model's X_train (features computed in pandas)
    assert "relations   48" in result.output


def test_dialect_and_schema_options(make_repo, tmp_path) -> None:
    root = make_repo({"q.sql": "CREATE TABLE out AS SELECT * FROM src"})
    schema = tmp_path / "schema.yml"
    schema.write_text("src: {a: int, b: int}\n")
    result = CliRunner().invoke(main, ["scan", str(root), "--dialect", "duckdb", "--schema", str(schema), "--format", "json"])
    assert result.exit_code == 0, result.output
    edges = {(e["source"], e["target"]) for e in json.loads(result.output)["edges"] if e["type"] == "column"}
    assert edges == {("column:src.a", "column:out.a"), ("column:src.b", "column:out.b")}


def test_usage_errors_exit_2(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "dialect: nonsense\n"})
    assert CliRunner().invoke(main, ["scan", str(root)]).exit_code == 2
    assert CliRunner().invoke(main, ["scan", str(root / "missing")]).exit_code == 2
    assert CliRunner().invoke(main, ["scan", str(root), "--format", "xml"]).exit_code == 2


def test_fail_on_sets_the_exit_code() -> None:
    # the example repository has one error (LS101), twelve warnings, a note and a suppressed warning
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(EXAMPLE_REPO)]).exit_code == 1  # default: error
    assert runner.invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "none"]).exit_code == 0
    assert runner.invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "fatal"]).exit_code == 2


def test_fail_on_ignores_suppressed_findings_and_lower_levels(make_repo) -> None:
    root = make_repo({
        "a.sql": "-- lineage-scan: ignore[LS201] exported\nCREATE TABLE marts.a AS SELECT id FROM raw.t;\n",
        "raw.sql": "CREATE TABLE raw.t (id INT);\nCREATE TABLE raw.unused (id INT);\n",
    })
    runner = CliRunner()
    # left: LS201 suppressed (warning) and LS203 raw.unused (note)
    assert runner.invoke(main, ["scan", str(root), "--fail-on", "warning"]).exit_code == 0
    result = runner.invoke(main, ["scan", str(root), "--fail-on", "note"])
    assert result.exit_code == 1
    assert "1 finding(s) at or above --fail-on note" in result.output


def test_text_report_groups_findings_by_rule_with_locations() -> None:
    output = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--fail-on", "none"]).output
    assert "  findings    21 (3 errors, 16 warnings, 1 note; 1 suppressed)" in output
    leak = output.index("    LS101 target-leakage\n      warehouse/features/churn_features.sql:34:5: error: feature")
    orphans = output.index("    LS201 orphan-table\n      airflow/dags/warehouse_nightly.py:61:")
    assert leak < orphans
    assert "        suppressed at warehouse/marts/monthly_revenue.sql:3:1: read by the finance dashboard" in output
    assert "        -> warehouse/features/churn_labels.sql:8:14: ml.churn_labels.churned is computed from" in output


def test_json_findings() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "json", "--fail-on", "none"])
    document = json.loads(result.output)
    findings = {f["key"]: f for f in document["findings"]}
    assert len(findings) == 21
    leak = findings["LS101|ml.training_set.label|ml.training_set.days_since_cancel"]
    assert (leak["rule"], leak["name"], leak["level"], leak["suppressed"]) == ("LS101", "target-leakage", "error", False)
    assert leak["location"]["path"] == "warehouse/features/churn_features.sql"
    assert [step["column"] for step in leak["path"]][2] == "column:marts.customer_subscriptions.cancelled_date"
    assert leak["related"][1] == {
        "message": "model 'churn' is defined here",
        "location": {"path": "lineage-scan.yml", "start_line": 11, "start_col": 1, "end_line": 11, "end_col": 1},
    }
    orphan = findings["LS201|marts.monthly_revenue"]
    assert orphan["suppressed"] is True
    assert orphan["suppression"]["reason"] == "read by the finance dashboard in Looker, outside this repository"
    assert document["summary"]["findings"] == {"error": 3, "warning": 16, "note": 1, "suppressed": 1}


def test_rules_command_lists_and_documents_rules() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["rules"])
    assert listing.exit_code == 0
    assert [line.split()[0] for line in listing.output.splitlines()[:10]] == [
        "LS101", "LS102", "LS103", "LS201", "LS202", "LS203", "LS301", "LS302", "LS303", "LS401",
    ]
    for name in ("LS101", "target-leakage", "ls101"):
        docs = runner.invoke(main, ["rules", name])
        assert docs.exit_code == 0
        assert docs.output.startswith("LS101 target-leakage\nlevel: error   precision: high")
        assert "## Why is this bad?" in docs.output and "options: indirect (default false)" in docs.output
    assert runner.invoke(main, ["rules", "LS999"]).exit_code == 2


def test_bad_rule_config_is_a_usage_error(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "rules:\n  LS999: false\n", "a.sql": "SELECT 1"})
    result = CliRunner().invoke(main, ["scan", str(root)])
    assert result.exit_code == 2
    assert "'rules.LS999' is not a rule" in result.output


def test_jobs_and_cache_options(make_repo, tmp_path) -> None:
    root = make_repo({"a.sql": "CREATE TABLE t AS SELECT x FROM s;", "b.sql": "CREATE VIEW v AS SELECT * FROM t;"})
    cache = tmp_path / "cache"
    plain = CliRunner().invoke(main, ["scan", str(root), "--format", "json", "--no-cache", "--jobs", "1"])
    assert plain.exit_code == 0, plain.output
    for _ in range(2):  # cold, then warm
        cached = CliRunner().invoke(main, ["scan", str(root), "--format", "json", "--cache-dir", str(cache), "-j", "2"])
        assert cached.exit_code == 0, cached.output
        assert cached.output == plain.output
    assert len(list(cache.glob("??/*.json"))) == 2
    assert CliRunner().invoke(main, ["scan", str(root), "--jobs", "0"]).exit_code == 2


def _one_line_error(result) -> str:
    """The error line of a failed command, checking it is the only output line but click's usage hint."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_config_errors_name_the_key_and_the_line(make_repo) -> None:
    cases = {
        "dialect: snowflake\nstatement_timeout_seconds: soon\n":
            "Error: lineage-scan.yml: 'statement_timeout_seconds' must be a number of seconds (0 for no limit) (line 2)",
        "dialect: snowflake\nrules:\n  LS101:\n    indirect: maybe\n":
            "Error: lineage-scan.yml: 'rules.LS101'.indirect must be true or false (line 4)",
        "rules:\n  LS103:\n    level: error\n    after_outcome: 5\n":
            "Error: lineage-scan.yml: 'rules.LS103'.after_outcome must be a list of strings (line 4)",
        "ml:\n  models:\n    - name: churn\n      relation: t\n":
            "Error: lineage-scan.yml: 'ml.models[0]'.target is required (a string) (line 3)",
        "exclude: [a]\nmax_file_mb: big\n": "Error: lineage-scan.yml: 'max_file_mb' must be a positive number of megabytes (line 2)",
        "dialect: snowflake\nexclude: [\n":
            "Error: lineage-scan.yml: invalid YAML: line 3, column 1: expected the node content, but found '<stream end>' "
            "(while parsing a flow node)",
        "- a\n- b\n": "Error: lineage-scan.yml: expected a mapping at the top level",
    }
    for text, expected in cases.items():
        root = make_repo({"lineage-scan.yml": text, "a.sql": "SELECT 1"})
        assert _one_line_error(CliRunner().invoke(main, ["scan", str(root)])) == expected


def test_unreadable_config_and_missing_paths_are_one_line_errors(make_repo, tmp_path) -> None:
    root = make_repo({"a.sql": "SELECT 1"})
    (root / "lineage-scan.yml").write_bytes(b"dialect: \xff\xfe\n")
    assert "lineage-scan.yml: 'utf-8' codec can't decode byte 0xff" in _one_line_error(CliRunner().invoke(main, ["scan", str(root)]))
    (root / "lineage-scan.yml").unlink()
    assert "does not exist" in _one_line_error(CliRunner().invoke(main, ["scan", str(root / "missing")]))
    assert "does not exist" in _one_line_error(CliRunner().invoke(main, ["scan", str(root), "--config", str(root / "no.yml")]))
    assert "'-j'" in _one_line_error(CliRunner().invoke(main, ["scan", str(root), "-j", "0"]))
    assert "--fail-on" in _one_line_error(CliRunner().invoke(main, ["scan", str(root), "--fail-on", "sometimes"]))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    error = _one_line_error(CliRunner().invoke(main, ["scan", str(root), "--json", str(blocked / "out.json")]))
    assert str(blocked) in error


def test_unexpected_errors_are_one_line_unless_debug(make_repo, monkeypatch) -> None:
    root = make_repo({"a.sql": "SELECT 1"})

    def broken(*args, **kwargs):
        raise RuntimeError("the graph fell over")

    monkeypatch.setattr("lineage_scan.cli.scan", broken)
    error = _one_line_error(CliRunner().invoke(main, ["scan", str(root), "-q"]))
    assert error == ("Error: internal error (RuntimeError: the graph fell over); please report it "
                     "(--debug shows the traceback)")
    result = CliRunner().invoke(main, ["--debug", "scan", str(root), "-q"])
    assert isinstance(result.exception, RuntimeError) and result.exit_code == 1


def test_a_config_that_is_a_directory_or_points_outside_the_repository_is_refused(make_repo, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secrets.yml"
    outside.write_text("dialect: snowflake\n")
    root = make_repo({"a.sql": "SELECT 1"})
    (root / "lineage-scan.yml").symlink_to(outside)
    error = _one_line_error(CliRunner().invoke(main, ["scan", str(root)]))
    assert error == "Error: lineage-scan.yml points outside the scanned repository; not read"
    (root / "lineage-scan.yml").unlink()
    (root / "lineage-scan.yml").mkdir()
    assert _one_line_error(CliRunner().invoke(main, ["scan", str(root)])) == "Error: lineage-scan.yml is not a file"
