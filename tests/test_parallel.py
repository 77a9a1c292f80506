"""Parsing in a process pool: the same bytes out whatever the number of processes, and a parser that
fails, hangs or kills its process costs a diagnostic, not the scan."""

from __future__ import annotations

import multiprocessing
import os
from itertools import pairwise

import pytest

import lineage_scan.parse_files
import lineage_scan.parsers
from lineage_scan import scan
from lineage_scan.parse_files import POOL_MIN_FILES
from lineage_scan.report.json import render_json
from lineage_scan.sql.statements import StatementAnalyser

forked = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="patching a parser reaches workers only when they are forked"
)


def warehouse(tables: int = 20) -> dict[str, str]:
    """Raw DDL, staging stars over it (expanded across files), marts joining two staging views, an
    ambiguous column, an unqualified read and a broken file: more files than `POOL_MIN_FILES`."""
    files = {"lineage-scan.yml": "dialect: snowflake\n"}
    for i in range(tables):
        other = (i * 7 + 3) % tables
        files[f"raw/t{i:02d}.sql"] = f"CREATE TABLE raw.t{i} (id INT, customer_id INT, v{i} NUMBER, status TEXT);"
        files[f"staging/s{i:02d}.sql"] = f"CREATE VIEW staging.s{i} AS SELECT * FROM raw.t{i} WHERE status <> 'test';"
        files[f"marts/m{i:02d}.sql"] = (
            f"CREATE TABLE marts.m{i} AS\nSELECT a.*, b.v{other} AS other, SUM(a.v{i}) OVER (PARTITION BY a.customer_id) AS w\n"
            f"FROM staging.s{i} a JOIN staging.s{other} b ON a.customer_id = b.customer_id;"
        )
    files["marts/ambiguous.sql"] = "CREATE TABLE marts.amb AS SELECT id FROM staging.s1 JOIN staging.s2 ON s1.id = s2.id;"
    files["marts/unqualified.sql"] = "CREATE TABLE marts.unq AS SELECT customer_id, v3 FROM t3;"
    files["broken.sql"] = "CREATE TABLE x AS SELECT FROM WHERE;"
    assert len(files) > POOL_MIN_FILES
    return files


def test_json_is_the_same_for_any_number_of_processes(make_repo, pools) -> None:
    root = make_repo(warehouse())
    serial = render_json(scan(root, jobs=1, cache=False))
    assert pools == []
    for jobs in (2, 3):
        assert render_json(scan(root, jobs=jobs, cache=False)) == serial
    assert pools == [2, 3]
    assert render_json(scan(root, jobs=2)) == serial  # cold cache, written by the workers
    assert render_json(scan(root, jobs=2)) == serial  # all from the cache
    assert pools == [2, 3, 2]
    graph = scan(root, jobs=2, cache=False).graph
    assert graph.columns_of("marts.m4") == ("id", "customer_id", "v4", "status", "other", "w")
    assert "raw.t3" in graph.upstream_relations("marts.unq")


def test_names_taken_from_python_literals_come_back_from_workers(make_repo, pools, caplog) -> None:
    """An Airflow asset's URI is a relation name that keeps where its literal was (a str subclass the
    worker's result used to carry): the main process could not unpickle it, broke the pool and parsed
    every file left by itself."""
    files = warehouse()
    files["dags/scores.py"] = (
        "from airflow.sdk import asset\n\n\n"
        '@asset(uri="s3://ml/scores.parquet", schedule="@daily")\n'
        "def scores():\n    pass\n"
    )
    root = make_repo(files)
    serial = render_json(scan(root, jobs=1, cache=False))
    pooled = scan(root, jobs=2, cache=False)
    assert pools == [2]
    assert "s3://ml/scores.parquet" in pooled.graph.relations()
    assert render_json(pooled) == serial
    assert "process died" not in caplog.text


def test_small_repositories_are_parsed_in_process(make_repo, pools) -> None:
    files = dict(list(warehouse().items())[: POOL_MIN_FILES - 1])
    scan(make_repo(files), jobs=4, cache=False)
    assert pools == []


def _failing_on(rel_name: str, how):
    original = lineage_scan.parsers.PARSERS["sql"]

    def parser(path, rel, context):
        if rel == rel_name:
            how()
        return original(path, rel, context)

    return parser


def _raise() -> None:
    raise KeyError("internal bug")


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=forked)])
def test_a_parser_exception_is_a_diagnostic(make_repo, monkeypatch, jobs) -> None:
    root = make_repo(warehouse())
    monkeypatch.setitem(lineage_scan.parsers.PARSERS, "sql", _failing_on("marts/m05.sql", _raise))
    result = scan(root, jobs=jobs)
    failure = [d for d in result.diagnostics if d.code == "LS941"]
    assert [(d.location.path, d.severity.value) for d in failure] == [("marts/m05.sql", "error")]
    assert "KeyError" in failure[0].message
    assert "marts.m5" not in result.graph.relations() and "marts.m6" in result.graph.relations()
    monkeypatch.undo()
    assert "marts.m5" in scan(root, jobs=jobs).graph.relations()  # the failure was not cached


@forked
def test_a_dying_worker_leaves_its_files_to_this_process(make_repo, monkeypatch, caplog) -> None:
    root = make_repo(warehouse())
    expected = render_json(scan(root, jobs=1, cache=False))
    parent = os.getpid()

    def die_in_a_worker() -> None:
        if os.getpid() != parent:
            os._exit(3)

    monkeypatch.setitem(lineage_scan.parsers.PARSERS, "sql", _failing_on("marts/m07.sql", die_in_a_worker))
    assert render_json(scan(root, jobs=2, cache=False)) == expected
    assert "parser process died" in caplog.text


def _slow_statements(monkeypatch) -> None:
    original = StatementAnalyser.analyse

    def analyse(self, statement, line):
        if "slow" in statement.sql().lower():
            while True:  # a runaway analysis: only the time limit stops it
                pass
        return original(self, statement, line)

    monkeypatch.setattr(StatementAnalyser, "analyse", analyse)


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=forked)])
def test_a_statement_over_the_time_limit_is_abandoned(make_repo, monkeypatch, jobs, tmp_path) -> None:
    files = warehouse()
    files["marts/slow.sql"] = (
        "CREATE TABLE marts.fast1 AS SELECT id FROM raw.t1;\n"
        "CREATE TABLE marts.slow AS SELECT id FROM raw.t2;\n"
        "CREATE TABLE marts.fast2 AS SELECT id FROM raw.t3;\n"
    )
    root = make_repo(files)
    _slow_statements(monkeypatch)
    config = {"dialect": "snowflake", "statement_timeout_seconds": 0.3}
    result = scan(root, config, jobs=jobs, cache_dir=tmp_path / "cache")
    abandoned = [d for d in result.diagnostics if d.code == "LS940"]
    assert [(d.location.path, d.location.start_line) for d in abandoned] == [("marts/slow.sql", 2)]
    assert "0.3 s" in abandoned[0].message
    fragment = next(f for f in result.fragments if f.path == "marts/slow.sql")
    assert (fragment.statements, fragment.statements_failed) == (3, 1)
    assert {"marts.fast1", "marts.fast2"} <= set(result.graph.relations())
    assert "marts.slow" not in result.graph.relations()
    monkeypatch.undo()
    again = scan(root, config, jobs=jobs, cache_dir=tmp_path / "cache")  # not cached: tried again
    assert "marts.slow" in again.graph.relations()
    assert not [d for d in again.diagnostics if d.code == "LS940"]


@forked
def test_parser_output_outside_the_model_still_arrives(make_repo, monkeypatch) -> None:
    """A parser returning the wrong types (a plain string for an enum) is not cached, but not lost."""
    from lineage_scan.model import Diagnostic, Location, RelationDef, RelationKind

    original = lineage_scan.parsers.PARSERS["sql"]

    def sloppy(path, rel, context):
        fragment = original(path, rel, context)
        if rel == "marts/m03.sql":
            fragment.relations.append(RelationDef("marts.sloppy", RelationKind.TABLE, None))
            # severity should be a Severity: the codec cannot encode it
            fragment.diagnostics.append(Diagnostic(Location(rel, 1, 1, 1, 1), "sql", "sloppy", "warning", "LS900"))
        return fragment

    monkeypatch.setitem(lineage_scan.parsers.PARSERS, "sql", sloppy)
    root = make_repo(warehouse())
    result = scan(root, jobs=2)
    assert "marts.sloppy" in result.graph.relations()
    assert "sloppy" in [d.message for d in result.diagnostics]
    assert result.files_from_cache == 0 and scan(root, jobs=2).files_from_cache == len(result.fragments) - 1


def test_chunks_shrink_towards_the_end_so_workers_finish_together() -> None:
    from lineage_scan.parse_files import CHUNK_MAX_FILES, CHUNK_MIN_FILES, _chunked

    tasks = list(range(2000))
    sizes = [len(chunk) for chunk in _chunked(tasks, 2)]  # type: ignore[arg-type]
    assert [task for chunk in _chunked(tasks, 2) for task in chunk] == tasks  # every file once, in order
    assert sizes[0] == CHUNK_MAX_FILES and max(sizes) == CHUNK_MAX_FILES
    assert all(size >= after for size, after in pairwise(sizes))  # never growing
    assert sizes[-2] == CHUNK_MIN_FILES and sizes[-1] <= CHUNK_MIN_FILES
    # 200 files for 16 workers: 2 files a chunk as before, not chunks too large to share out
    assert [len(chunk) for chunk in _chunked(list(range(200)), 16)] == [2] * 100  # type: ignore[arg-type]
