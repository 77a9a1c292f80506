"""A temporary table belongs to the file (session) that creates it, not to every file using its name."""

from __future__ import annotations

from lineage_scan import ColumnRef, scan


def test_same_temp_name_in_two_scripts_does_not_chain_them(make_repo) -> None:
    root = make_repo({
        "etl/one.sql": "CREATE TEMP TABLE stage AS SELECT id, a FROM raw.x;\nCREATE TABLE out1 AS SELECT id, a FROM stage;\n",
        "etl/two.sql": "CREATE TEMPORARY TABLE stage AS SELECT id, b AS a FROM raw.y;\nINSERT INTO out2 SELECT id, a FROM stage;\n",
    })
    graph = scan(root, jobs=1, cache=False).graph
    # out1.a comes through one.sql's stage from raw.x.a only; out2.a through two.sql's stage from raw.y.b only.
    assert set(graph.upstream(ColumnRef("out1", "a"))) == {ColumnRef("stage@etl/one.sql", "a"), ColumnRef("raw.x", "a")}
    assert set(graph.upstream(ColumnRef("out2", "a"))) == {ColumnRef("stage@etl/two.sql", "a"), ColumnRef("raw.y", "b")}
    assert "stage" not in graph.relations()


def test_tsql_hash_table_is_scoped_and_a_permanent_table_is_not(make_repo) -> None:
    root = make_repo({
        "load.sql": "SELECT id INTO #work FROM dbo.src;\nSELECT id INTO dbo.stage FROM #work;\n",
        "report.sql": "SELECT id INTO dbo.report FROM dbo.stage;\n",
    })
    graph = scan(root, {"dialect": "tsql"}, jobs=1, cache=False).graph
    # dbo.stage is permanent: report.sql reads what load.sql wrote, through load.sql's #work.
    assert set(graph.upstream(ColumnRef("dbo.report", "id"))) == {
        ColumnRef("dbo.stage", "id"), ColumnRef("work@load.sql", "id"), ColumnRef("dbo.src", "id"),
    }


def test_an_unqualified_name_in_another_file_never_resolves_to_a_scoped_temp_table(make_repo) -> None:
    root = make_repo({
        "a.sql": "CREATE TEMP TABLE s.stage AS SELECT id FROM raw.x;\nCREATE TABLE t1 AS SELECT id FROM s.stage;\n",
        "b.sql": "CREATE TABLE t2 AS SELECT id FROM stage;\n",
    })
    result = scan(root, jobs=1, cache=False)
    assert set(result.graph.upstream(ColumnRef("t2", "id"))) == {ColumnRef("stage", "id")}
    assert "LS202" in {f.rule for f in result.findings if "stage is read" in f.message}
