"""Big inputs: refused over the configured size with a diagnostic naming the limit, analysed window
by window under it. Timings and peak memory of the full-size inputs are in benchmarks/bench_hostile.py."""

from __future__ import annotations

import pytest
from sqlglot.dialects.dialect import Dialect

from big_inputs import write_notebook, write_one_statement, write_python, write_sql_dump
from lineage_scan import scan
from lineage_scan.config import ConfigError
from lineage_scan.sql import script
from lineage_scan.sql.script import RawStatement, analyse_script, split_statements

TRICKY = """CREATE TABLE a AS SELECT x FROM s; -- trailing; comment
/* a block comment;
spanning; lines */
CREATE TABLE b AS SELECT 'multi;
line; string' AS y, x FROM a;
INSERT INTO c
SELECT
  y
FROM b;
"""


def _pieces(sql: str, dialect: str | None = None) -> list[tuple]:
    return [(type(p).__name__, p.start, p.end, [t.text for t in p.tokens] if isinstance(p, RawStatement) else p.message)
            for p in split_statements(sql, Dialect.get_or_raise(dialect))]


@pytest.mark.parametrize("window", [1, 7, 40, 200])
def test_windowed_split_equals_the_whole_file_split(monkeypatch, window: int) -> None:
    whole = _pieces(TRICKY * 3)
    assert [kind for kind, *_ in whole] == ["RawStatement"] * 9
    monkeypatch.setattr(script, "WINDOW_CHARS", window)
    monkeypatch.setattr(script, "MAX_WINDOW_CHARS", 10_000)
    assert _pieces(TRICKY * 3) == whole
    windowed = analyse_script(TRICKY * 3, Dialect.get_or_raise(None))
    monkeypatch.setattr(script, "WINDOW_CHARS", 10**9)
    assert windowed == analyse_script(TRICKY * 3, Dialect.get_or_raise(None))


def test_tsql_go_batches_split_across_windows(monkeypatch) -> None:
    sql = "SELECT a INTO t1 FROM s\nGO\nSELECT b INTO t2 FROM t1\nGO\n" * 4
    whole = _pieces(sql, "tsql")
    assert len(whole) == 8
    monkeypatch.setattr(script, "WINDOW_CHARS", 5)
    assert _pieces(sql, "tsql") == whole


def test_unterminated_string_costs_one_statement_in_a_windowed_file(monkeypatch) -> None:
    monkeypatch.setattr(script, "WINDOW_CHARS", 60)
    monkeypatch.setattr(script, "MAX_WINDOW_CHARS", 120)
    sql = "CREATE TABLE t0 AS SELECT a FROM s;\n" * 5 + "SELECT 'never closed FROM t;\n" + "CREATE TABLE t9 AS SELECT b FROM u;\n" * 5
    result = analyse_script(sql, Dialect.get_or_raise(None))
    (error,) = result.diagnostics
    assert error.code == "LS901" and error.location.start_line == 6 and "tokenize" in error.message
    assert {r.name for r in result.relations} == {"t0", "t9"}


def test_statement_over_the_size_limit_is_skipped_with_a_diagnostic() -> None:
    sql = "INSERT INTO big VALUES " + ", ".join(f"({i})" for i in range(3000)) + ";\nCREATE TABLE after AS SELECT a FROM s;\n"
    result = analyse_script(sql, Dialect.get_or_raise(None), max_statement_chars=10_000)
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "LS942" and "max_statement_mb" in diagnostic.message
    assert (diagnostic.location.start_line, diagnostic.location.end_line) == (1, 1)
    assert [r.name for r in result.relations] == ["after"]
    assert result.statements_failed == 1


def test_file_over_the_configured_limit_is_refused_naming_the_setting(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "max_file_mb: 0.05\n", "ok.sql": "CREATE TABLE ok AS SELECT a FROM s;\n"})
    write_sql_dump(root / "dump.sql", 60_000)
    result = scan(root, cache=False)
    (diagnostic,) = [d for d in result.diagnostics if d.location.path == "dump.sql"]
    assert diagnostic.code == "LS900" and "0.05 MB limit" in diagnostic.message and "max_file_mb" in diagnostic.message
    assert result.graph.has_relation("ok")


def test_raising_the_limits_analyses_the_file(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "max_file_mb: 0.1\nmax_statement_mb: 0.05\n"})
    write_sql_dump(root / "dump.sql", 60_000)
    write_one_statement(root / "one.sql", 30_000)
    result = scan(root, cache=False)
    assert not [d for d in result.diagnostics if d.location.path in ("dump.sql", "one.sql")]
    assert sorted(result.graph.columns_of("marts.daily_0")) == ["customer_id", "last_seen", "total"]
    assert result.graph.has_relation("after_big")


def test_statement_limit_applies_to_scanned_files(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "max_statement_mb: 0.01\n"})
    write_one_statement(root / "one.sql", 30_000)
    result = scan(root, cache=False)
    assert [d.code for d in result.diagnostics if d.location.path == "one.sql"] == ["LS942"]
    assert result.graph.has_relation("after_big")


@pytest.mark.parametrize("value", ["0", "-1", "'big'", "true"])
def test_size_limits_must_be_positive_numbers(make_repo, value: str) -> None:
    root = make_repo({"lineage-scan.yml": f"max_file_mb: {value}\n"})
    with pytest.raises(ConfigError, match="max_file_mb"):
        scan(root)


def test_notebook_of_many_cells_gives_a_result(make_repo) -> None:
    root = make_repo({})
    write_notebook(root / "big.ipynb", cells=100, lines_per_cell=10)
    result = scan(root, cache=False)
    assert not result.diagnostics
    assert result.graph.columns_of("out_0") == ("a", "b", *(f"x{k}" for k in range(7)))


def test_notebook_over_the_line_limit_is_refused_naming_the_setting(make_repo) -> None:
    root = make_repo({})
    write_notebook(root / "big.ipynb", cells=10_000, lines_per_cell=10)
    write_notebook(root / "one_cell.ipynb", cells=1, lines_per_cell=100_000)
    result = scan(root, cache=False)
    messages = {d.location.path: (d.code, d.message) for d in result.diagnostics}
    assert messages["big.ipynb"] == ("LS900", "notebook has 100,000 lines of code, over the 20,000-line limit "
                                              "(max_python_lines in lineage-scan.yml); not analysed")
    assert messages["one_cell.ipynb"][0] == "LS900" and "100,000 lines" in messages["one_cell.ipynb"][1]
    assert not result.graph.relations()


def test_python_module_over_the_line_limit_is_refused(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "max_python_lines: 1000\n",
                      "small.py": "import pandas as pd\nimport big\npd.read_sql('SELECT a FROM s', con).to_sql('o', con)\n"})
    write_python(root / "big.py", lines=2_000)
    result = scan(root, cache=False)
    (diagnostic,) = [d for d in result.diagnostics if d.location.path == "big.py"]
    assert diagnostic.code == "LS901" and "over the 1,000-line limit (max_python_lines" in diagnostic.message
    assert result.graph.columns_of("o") == ("a",)


def test_one_line_scripts_split_in_windows_keep_their_columns(monkeypatch) -> None:
    sql = "CREATE TABLE a AS SELECT x FROM s; INSERT INTO b SELECT ';' AS y, x FROM a; SELECT z FROM b;" * 3
    whole = _pieces(sql)
    whole_lineage = analyse_script(sql, Dialect.get_or_raise(None))
    monkeypatch.setattr(script, "WINDOW_CHARS", 10)
    assert _pieces(sql) == whole
    assert analyse_script(sql, Dialect.get_or_raise(None)) == whole_lineage
    columns = [t.col for p in split_statements(sql, Dialect.get_or_raise(None)) for t in p.tokens]
    monkeypatch.setattr(script, "WINDOW_CHARS", 10**9)
    assert columns == [t.col for p in split_statements(sql, Dialect.get_or_raise(None)) for t in p.tokens]


def test_one_line_statement_over_the_limit_is_cut_at_a_space(monkeypatch) -> None:
    monkeypatch.setattr(script, "WINDOW_CHARS", 50)
    monkeypatch.setattr(script, "MAX_WINDOW_CHARS", 100)
    sql = "INSERT INTO big VALUES " + ", ".join(f"({i}, 'a b')" for i in range(200)) + "; CREATE TABLE after AS SELECT a FROM s;"
    result = analyse_script(sql, Dialect.get_or_raise(None), max_statement_chars=40)
    assert [d.code for d in result.diagnostics] == ["LS942"]
    assert [r.name for r in result.relations] == ["after"]


def test_one_line_dump_and_statement_are_analysed_in_windows(make_repo, monkeypatch) -> None:
    monkeypatch.setattr(script, "WINDOW_CHARS", 2_000)
    monkeypatch.setattr(script, "MAX_WINDOW_CHARS", 8_000)
    root = make_repo({"lineage-scan.yml": "max_statement_mb: 0.003\n"})
    write_sql_dump(root / "dump.sql", 30_000, one_line=True)
    write_one_statement(root / "one.sql", 30_000, one_line=True)
    result = scan(root, cache=False, jobs=1)
    assert [d.code for d in result.diagnostics if d.location.path == "one.sql"] == ["LS942"]
    assert not [d for d in result.diagnostics if d.location.path == "dump.sql"]
    assert sorted(result.graph.columns_of("marts.daily_0")) == ["customer_id", "last_seen", "total"]
    assert result.graph.has_relation("after_big")


def test_dbt_model_and_macro_files_over_the_limit_name_the_setting(make_repo) -> None:
    filler = "-- filler\n" * 3000
    root = make_repo({
        "lineage-scan.yml": "max_file_mb: 0.02\n",
        "proj/dbt_project.yml": "name: shop\n",
        "proj/models/big.sql": "select 1 as a\n" + filler,
        "proj/models/small.sql": "select 1 as a",
        "proj/macros/big.sql": "{% macro m() %}1{% endmacro %}\n" + filler,
    })
    result = scan(root, cache=False)
    messages = {d.location.path: (d.code, d.message) for d in result.diagnostics}
    assert messages["proj/models/big.sql"] == (
        "LS900", "file is 30,014 bytes, over the 0.02 MB limit (raise max_file_mb in lineage-scan.yml to analyse it); "
                 "not analysed")
    assert messages["proj/macros/big.sql"][0] == "LS900" and "max_file_mb" in messages["proj/macros/big.sql"][1]
    assert result.graph.has_relation("analytics.small")


def test_unterminated_string_in_a_big_file_costs_one_statement_not_the_quote_parity(monkeypatch, tmp_path) -> None:
    """Windows that never tokenize (an unterminated string) are split the forgiving way at the last
    statement end tried, never cut inside the statement after them."""
    monkeypatch.setattr(script, "WINDOW_CHARS", 500)
    monkeypatch.setattr(script, "MAX_WINDOW_CHARS", 2_000)
    write_sql_dump(tmp_path / "broken.sql", 20_000, broken=True)
    sql = (tmp_path / "broken.sql").read_text()
    result = analyse_script(sql, Dialect.get_or_raise(None), max_statement_chars=1_000)
    assert [(d.code, d.location.start_line) for d in result.diagnostics] == [("LS901", 2)]
    assert result.statements == sql.count(";") - sql.count("a comment;") and result.statements_failed == 1
