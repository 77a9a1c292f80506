"""The `lineage-scan` command line: output formats, files and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import EXAMPLE_REPO

from lineage_scan.cli import main


def test_scan_prints_a_summary() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO)])
    assert result.exit_code == 0, result.output
    assert "statements  19 (1 failed, 94.7% analysed)" in result.output
    assert "identity 47" in result.output
    assert "warehouse/broken/bad_syntax.sql:9:4: error: cannot parse statement" in result.output


def test_json_to_file_with_summary_on_stdout(tmp_path) -> None:
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["schema_version"] == "1.0"
    assert {n["type"] for n in document["nodes"]} == {"relation", "column", "task", "ml_model"}
    assert "relations   19" in result.output


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
