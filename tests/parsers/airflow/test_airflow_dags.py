"""DAG files: detection, DAG ids and task ids in Airflow 2 and 3 styles, task groups, loops and
helpers, and what cannot be worked out statically. Expected tasks are read off the DAG code by hand."""

from __future__ import annotations

import time

from airflow_support import DAG, attributes, codes, dependencies, edges, parse, tasks

from lineage_scan.parsers.airflow import is_dag_file


def test_dag_files_are_told_from_other_python() -> None:
    assert is_dag_file("from airflow import DAG\nwith DAG('x') as dag:\n    pass\n")
    assert is_dag_file("from airflow.sdk import dag\n\n@dag(schedule=None)\ndef pipeline():\n    pass\n")
    assert is_dag_file("from airflow.sdk import asset\n\n@asset(schedule=None)\ndef raw():\n    pass\n")
    assert is_dag_file("from airflow import models\nd = models.DAG('x')\n")
    assert is_dag_file("from cosmos import DbtDag\nshop = DbtDag(dag_id='shop')\n")
    assert is_dag_file("from airflow import DAG as Dag\nwith Dag('x') as d:\n    pass\n")
    # An operator library imports Airflow but defines no DAG; a pandas script does neither.
    assert not is_dag_file("from airflow.models import BaseOperator\n\nclass Op(BaseOperator):\n    pass\n")
    assert not is_dag_file("import pandas as pd\n\ndf = pd.read_csv('x.csv')\nDAG = None\n")


def test_airflow2_dag_object_and_with_block(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

dag = DAG("legacy", schedule_interval="@hourly", default_args={"owner": "ops"})
extract = BashOperator(task_id="extract", bash_command="echo hi", dag=dag)
done = EmptyOperator(task_id="done", dag=dag)
extract >> done

with DAG(dag_id="modern") as modern:
    EmptyOperator(task_id="only")
"""})
    fragment = parse(root)
    assert sorted(tasks(fragment)) == ["airflow:legacy.done", "airflow:legacy.extract", "airflow:modern.only"]
    assert dependencies(fragment) == {("extract", "done")}
    assert attributes(fragment, "airflow:legacy.extract") == {
        "dag_id": "legacy", "task_id": "extract", "operator": "BashOperator", "owner": "ops", "schedule": "@hourly",
    }
    extract = tasks(fragment)["airflow:legacy.extract"]
    assert (extract.kind, extract.name, extract.location.start_line, extract.location.start_col) == (
        "airflow_task", "extract", 7, 11)
    assert fragment.diagnostics == []


def test_airflow3_taskflow_ids_and_data_dependencies(make_repo) -> None:
    root = make_repo({DAG: """
from airflow.sdk import dag, task
from airflow.providers.standard.operators.empty import EmptyOperator

@dag(schedule=None)
def daily_sales():
    @task
    def extract():
        return 1

    @task(task_id="clean_rows")
    def transform(rows):
        return rows

    @task
    def load(rows, other):
        pass

    raw = extract()
    load(transform(raw), extract())
    EmptyOperator(task_id="marker")

daily_sales()
"""})
    fragment = parse(root)
    # extract() runs twice: Airflow names the second call extract__1.
    assert sorted(tasks(fragment)) == [
        "airflow:daily_sales.clean_rows", "airflow:daily_sales.extract", "airflow:daily_sales.extract__1",
        "airflow:daily_sales.load", "airflow:daily_sales.marker",
    ]
    assert dependencies(fragment) == {("extract", "clean_rows"), ("clean_rows", "load"), ("extract__1", "load")}
    assert attributes(fragment, "airflow:daily_sales.clean_rows")["python_callable"] == "python:dags/dag.py:transform"
    assert attributes(fragment, "airflow:daily_sales.extract__1")["operator"] == "@task"
    assert fragment.diagnostics == []


def test_task_groups_prefix_task_ids(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.decorators import task_group
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("groups") as dag:
    with TaskGroup("outer") as outer:
        a = EmptyOperator(task_id="a")
        with TaskGroup("inner") as inner:
            EmptyOperator(task_id="b")
        a >> inner
    with TaskGroup("flat", prefix_group_id=False):
        EmptyOperator(task_id="c")

    @task_group
    def section():
        EmptyOperator(task_id="d")

    section()
    section()
"""})
    fragment = parse(root)
    assert sorted(t.removeprefix("airflow:groups.") for t in tasks(fragment)) == [
        "c", "outer.a", "outer.inner.b", "section.d", "section__1.d",
    ]
    assert dependencies(fragment) == {("outer.a", "outer.inner.b")}
    assert attributes(fragment, "airflow:groups.outer.inner.b")["task_group"] == "outer.inner"
    assert attributes(fragment, "airflow:groups.c")["task_group"] == "flat"


def test_loops_comprehensions_and_helper_functions_are_unrolled(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.operators.bash import BashOperator

SOURCES = {"orders": "o", "customers": "c"}

def make_load(name, prefix="load"):
    return BashOperator(task_id=f"{prefix}_{name}", bash_command=f"load {name}")

with DAG("fanout") as dag:
    done = BashOperator(task_id="done", bash_command="true")
    loads = [make_load(name) for name in SOURCES]
    for name in ["extra"]:
        loads.append(make_load(name, prefix="copy"))
    if False:
        BashOperator(task_id="never", bash_command="true")
    loads >> done
"""})
    fragment = parse(root)
    assert sorted(tasks(fragment)) == [
        "airflow:fanout.copy_extra", "airflow:fanout.done",
        "airflow:fanout.load_customers", "airflow:fanout.load_orders",
    ]
    assert dependencies(fragment) == {("load_orders", "done"), ("load_customers", "done"), ("copy_extra", "done")}


def test_values_that_need_running_the_file_are_reported(make_repo) -> None:
    root = make_repo({DAG: """
import os
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("dynamic") as dag:
    for table in os.listdir("/data"):
        EmptyOperator(task_id=f"copy_{table}")
"""})
    fragment = parse(root)
    assert sorted(tasks(fragment)) == ["airflow:dynamic.copy_{table}"]
    messages = [d.message for d in fragment.diagnostics]
    assert codes(fragment) == ["LS921", "LS921"]
    assert any("cannot be unrolled" in m for m in messages)
    assert any("'copy_{table}'" in m for m in messages)


def test_tasks_outside_dags_duplicates_and_uncalled_dag_functions(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.decorators import dag
from airflow.operators.empty import EmptyOperator

orphan = EmptyOperator(task_id="orphan")

with DAG("d") as d:
    EmptyOperator(task_id="x")
    EmptyOperator(task_id="x")

@dag()
def forgotten():
    EmptyOperator(task_id="y")
"""})
    fragment = parse(root)
    assert sorted(tasks(fragment)) == ["airflow:d.x", "airflow:forgotten.y"]
    assert codes(fragment) == ["LS924", "LS924", "LS924"]
    assert {d.location.start_line for d in fragment.diagnostics} == {6, 10, 13}


def test_a_file_that_is_not_python_is_an_error_diagnostic(make_repo) -> None:
    root = make_repo({DAG: "from airflow import DAG\nwith DAG('x') as dag:\n    EmptyOperator(task_id=\n"})
    fragment = parse(root)
    assert fragment.tasks == []
    assert [(d.code, d.severity.value, d.location.path) for d in fragment.diagnostics] == [
        ("LS920", "error", DAG)]


def test_hostile_files_are_bounded(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.operators.empty import EmptyOperator

def forever(n):
    return forever(n + 1)

text = "x"
for _ in range(1000):
    text = text + text

with DAG("hostile") as dag:
    forever(0)
    for i in range(10 ** 9):
        EmptyOperator(task_id="never")
    for i in range(1000):
        for j in range(1000):
            EmptyOperator(task_id=f"t_{i}_{j}")
"""})
    started = time.monotonic()
    fragment = parse(root)
    assert time.monotonic() - started < 60
    messages = [d.message for d in fragment.diagnostics]
    assert any("too complex" in m for m in messages)
    assert "airflow:hostile.t_0_0" in tasks(fragment)
    assert "airflow:hostile.t_999_999" not in tasks(fragment)


def test_ids_and_sql_built_with_format_specs_percent_and_augmented_assignment(make_repo) -> None:
    """Constant values the shared static evaluator computes (parsers/pyvalues): format specs and
    conversions in f-strings, `%` formatting, `-=`, integer division, `sorted(reverse=)`, `dict(pairs)`."""
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

SHARDS = 3
TABLES = dict([("b", "raw.b"), ("a", "raw.a")])

with DAG("shards") as dag:
    for shard in range(SHARDS // 2 + 1):
        last = SHARDS
        last -= 1
        SQLExecuteQueryOperator(task_id=f"shard_{shard:02d}_of_{last}", sql="SELECT 1")
    for name in sorted(TABLES, reverse=True):
        SQLExecuteQueryOperator(task_id="copy_%s" % name,
                                sql="CREATE TABLE mart.%s AS SELECT id FROM %s" % (name, TABLES[name]))
"""})
    fragment = parse(root)
    assert sorted(tasks(fragment)) == ["airflow:shards.copy_a", "airflow:shards.copy_b",
                                       "airflow:shards.shard_00_of_2", "airflow:shards.shard_01_of_2"]
    assert edges(fragment) == {"raw.a.id -> mart.a.id : identity", "raw.b.id -> mart.b.id : identity"}
    assert fragment.diagnostics == []
