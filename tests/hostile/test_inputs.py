"""Broken and hostile inputs give diagnostics or results, never a traceback or a hang."""

from __future__ import annotations

import json

import pytest

from lineage_scan import ColumnRef, parse_files, scan
from lineage_scan.config import ConfigError
from lineage_scan.safe_yaml import YAMLRejected, load_yaml

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)


def _codes(result, path: str) -> list[str]:
    return [d.code for d in result.diagnostics if d.location.path == path]


def test_undecodable_binary_empty_and_broken_files(make_repo) -> None:
    root = make_repo({"ok.sql": "CREATE TABLE t AS SELECT a FROM s;", "empty.sql": "", "comment.sql": "-- nothing\n"})
    (root / "latin1.sql").write_bytes("SELECT 'caf\xe9' AS x".encode("latin-1"))
    (root / "binary.sql").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "unterminated.sql").write_text("SELECT 'oops FROM t;\nCREATE TABLE u AS SELECT b FROM v;\n")
    result = scan(root)
    assert _codes(result, "latin1.sql") == ["LS900"]
    assert _codes(result, "binary.sql") == ["LS900"]
    assert _codes(result, "empty.sql") == [] and _codes(result, "comment.sql") == []
    assert "LS901" in _codes(result, "unterminated.sql")
    assert result.graph.has_relation("t")


def test_too_large_file_is_refused_with_a_diagnostic(make_repo) -> None:
    root = make_repo({"big.sql": "SELECT 1;\n" * 500, "lineage-scan.yml": "max_file_mb: 0.001\n"})
    result = scan(root)
    (diagnostic,) = [d for d in result.diagnostics if d.location.path == "big.sql"]
    assert "limit" in diagnostic.message and "max_file_mb" in diagnostic.message


def test_deep_nesting_and_huge_statements(make_repo) -> None:
    root = make_repo({
        "nested.sql": "SELECT " + "(" * 10_000 + "a" + ")" * 10_000 + " AS x FROM t;\nCREATE TABLE ok AS SELECT b FROM u;",
        "wide.sql": "CREATE TABLE w AS SELECT " + ", ".join(f"c{i}" for i in range(5000)) + " FROM src;",
    })
    result = scan(root)
    assert "LS901" in _codes(result, "nested.sql")
    assert result.graph.has_relation("ok")
    assert len(result.graph.columns_of("w")) == 5000


def test_yaml_bombs_and_deep_documents_are_rejected(make_repo) -> None:
    with pytest.raises(YAMLRejected, match="alias bomb"):
        load_yaml(BILLION_LAUGHS)
    with pytest.raises(YAMLRejected, match="deeply"):
        load_yaml("[" * 50_000 + "]" * 50_000)
    with pytest.raises(YAMLRejected, match="invalid"):
        load_yaml("a: [unclosed")
    assert load_yaml("x: &d {a: 1}\ny: *d\n") == {"x": {"a": 1}, "y": {"a": 1}}
    root = make_repo({"lineage-scan.yml": BILLION_LAUGHS})
    with pytest.raises(ConfigError, match="alias bomb"):
        scan(root)


def test_yaml_tags_that_would_run_code_are_refused(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "dialect: !!python/object/apply:os.system ['touch pwned']\n"})
    with pytest.raises(ConfigError):
        scan(root)
    assert not (root / "pwned").exists()


def test_cyclic_views_do_not_hang(make_repo) -> None:
    root = make_repo({
        "a.sql": "CREATE VIEW v1 AS SELECT x FROM v2;",
        "b.sql": "CREATE VIEW v2 AS SELECT x FROM v1;",
        "c.sql": "CREATE VIEW v3 AS SELECT * FROM v4; CREATE VIEW v4 AS SELECT * FROM v3;",
    })
    graph = scan(root).graph
    assert graph.upstream(ColumnRef("v1", "x")) == [ColumnRef("v2", "x")]
    assert graph.downstream(ColumnRef("v2", "x")) == [ColumnRef("v1", "x")]
    assert graph.upstream_relations("v3") == ["v4"] and graph.upstream_relations("v4") == ["v3"]


def test_yaml_bombs_in_a_dbt_project_are_diagnostics(make_repo) -> None:
    root = make_repo({
        "proj/dbt_project.yml": "name: shop\nprofile: shop\n",
        "proj/models/orders.sql": "select id from {{ source('app', 'orders') }}",
        "proj/models/_bomb.yml": "version: 2\n" + BILLION_LAUGHS,
        "proj/profiles.yml": BILLION_LAUGHS,
    })
    result = scan(root)
    bomb = [d for d in result.diagnostics if d.location.path == "proj/models/_bomb.yml"]
    assert bomb and "alias bomb" in bomb[0].message
    (profiles,) = [d for d in result.diagnostics if d.location.path == "proj/profiles.yml"]
    assert profiles.code == "LS910" and "profiles.yml not read" in profiles.message and "alias bomb" in profiles.message
    assert result.graph.has_relation("analytics.orders")


def test_yaml_bomb_as_the_dbt_project_file_is_a_diagnostic(make_repo) -> None:
    root = make_repo({
        "proj/dbt_project.yml": BILLION_LAUGHS,
        "proj/models/orders.sql": "select 1 as id",
        "proj/models/py_model.py": "def model(dbt, session):\n    return dbt.ref('orders')\n",
        "dags/run_dbt.py": "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\nwith DAG('d') as dag:\n"
                           "    BashOperator(task_id='t', bash_command='dbt run --project-dir proj --select orders')\n",
    })
    result = scan(root, cache=False)
    messages = [(d.code, d.message) for d in result.diagnostics if d.location.path == "proj/dbt_project.yml"]
    assert ("LS910", "dbt_project.yml: YAML expands to more than 1,000,000 nodes (alias bomb?)") in messages
    assert result.graph.has_relation("analytics.orders")  # the project is still read, named after its folder
    assert any(task.id == "airflow:d.t" for task in result.graph.tasks())


def test_python_nested_too_deeply_for_libcst_is_a_diagnostic_everywhere(make_repo) -> None:
    """libcst's native parser crashes the process (a segfault) on ~3,000 nested brackets: every place
    that parses scanned Python (DAG files, dbt Python models, notebook cells) refuses such code first."""
    deep = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [deep]}
    ok_cell = {"cell_type": "code", "metadata": {}, "outputs": [],
               "source": ["import pandas as pd\n", "df = pd.read_sql('SELECT a FROM src', con)\n", "df.to_sql('nb_out', con)"]}
    root = make_repo({
        "dags/deep.py": "from airflow import DAG\nwith DAG('deep') as dag:\n    pass\n" + deep,
        "p/dbt_project.yml": "name: p\nprofile: p\n",
        "p/models/m.py": "def model(dbt, session):\n    df = dbt.ref('a')\n    " + deep + "    return df\n",
        "nb.ipynb": json.dumps({"cells": [cell, ok_cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    })
    result = scan(root, cache=False)
    messages = {(d.location.path, d.code): d.message for d in result.diagnostics}
    assert "nested too deeply" in messages["dags/deep.py", "LS920"]
    assert "nested too deeply" in messages["p/models/m.py", "LS911"]
    assert messages["nb.ipynb", "LS901"] == "cell 1 is not valid Python; skipped"
    assert result.graph.columns_of("nb_out") == ("a",)


def test_python_libcst_cannot_represent_is_a_diagnostic_everywhere(make_repo) -> None:
    """`with x as*a:` passes libcst's parser but not its tree's validation (found by the DAG fuzz test):
    a DAG file, a Python module, a dbt Python model and a notebook cell with it get the same
    diagnostics as any code that does not parse, not a parser crash (LS941)."""
    bad = "with open('f') as*a:\n    pass\n"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [bad]}
    root = make_repo({
        "dags/bad.py": "from airflow import DAG\nwith DAG('bad') as*dag:\n    pass\n",
        "jobs/bad.py": "import pandas as pd\n" + bad,
        "p/dbt_project.yml": "name: p\nprofile: p\n",
        "p/models/m.py": "def model(dbt, session):\n    " + bad.replace("\n    ", "\n        ") + "    return dbt.ref('a')\n",
        "nb.ipynb": json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    })
    result = scan(root, cache=False)
    messages = {(d.location.path, d.code): d.message for d in result.diagnostics}
    assert not [key for key in messages if key[1] == "LS941"], messages
    assert "at least one space between 'as' and name" in messages["dags/bad.py", "LS920"]
    assert "at least one space between 'as' and name" in messages["p/models/m.py", "LS911"]
    assert messages["nb.ipynb", "LS901"] == "cell 1 is not valid Python; skipped"
    assert any(path == "jobs/bad.py" and "cannot parse Python" in message for (path, _), message in messages.items())


def test_a_project_parser_that_raises_costs_the_project_not_the_scan(make_repo, monkeypatch) -> None:
    def broken(root, project, context, cache):
        raise KeyError("boom")

    monkeypatch.setitem(parse_files.PROJECT_PARSERS, "dbt", broken)
    root = make_repo({"proj/dbt_project.yml": "name: shop\n", "ok.sql": "CREATE TABLE ok AS SELECT a FROM s;"})
    result = scan(root, cache=False)
    (diagnostic,) = [d for d in result.diagnostics if d.code == "LS941"]
    assert diagnostic.location.path == "proj" and "the dbt parser failed (KeyError: 'boom')" in diagnostic.message
    assert result.graph.has_relation("ok")


def test_schema_file_nested_too_deeply_is_a_config_error(make_repo) -> None:
    root = make_repo({"lineage-scan.yml": "schema_file: schema.json\n", "schema.json": "[" * 100_000 + "]" * 100_000,
                      "a.sql": "SELECT 1"})
    with pytest.raises(ConfigError, match="nested too deeply"):
        scan(root)
