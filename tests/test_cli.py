"""The `lineage-scan` command line: output formats, files and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import EXAMPLE_REPO

from lineage_scan.cli import main


def test_scan_prints_a_summary() -> None:
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO)])
    assert result.exit_code == 0, result.output
    assert "statements  17 (1 failed, 94.1% analysed)" in result.output
    assert "identity 45" in result.output
    assert "warehouse/broken/bad_syntax.sql:9:4: error: cannot parse statement" in result.output


def test_json_to_file_with_summary_on_stdout(tmp_path) -> None:
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["schema_version"] == "1.0"
    assert {n["type"] for n in document["nodes"]} == {"relation", "column"}
    assert "relations   16" in result.output


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
