"""Tasks that run dbt (BashOperator, @task.bash, Cosmos) and Python callables, linked by task id to
what the dbt and Python parsers emit (`dbt:<project>.<model>`, `python:<path>:<function>`)."""

from __future__ import annotations

from airflow_support import DAG, attributes, codes, parse, tasks

from lineage_scan.parsers.airflow.dbt_tasks import dbt_runs, selected_models

DBT_PROJECT = {"dbt/dbt_project.yml": "name: shop\nversion: '1.0'\nprofile: shop\n"}


def test_bash_dbt_build_names_its_selection_and_links_named_models(make_repo) -> None:
    root = make_repo({**DBT_PROJECT, DAG: """
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("dbt_nightly") as dag:
    BashOperator(
        task_id="build",
        bash_command="cd /usr/local/airflow/dbt && dbt build --select +orders customers+ tag:nightly --exclude legacy",
    )
    BashOperator(task_id="tagged", bash_command="dbt run --select tag:churn --project-dir /usr/local/airflow/dbt")
    BashOperator(task_id="elsewhere", bash_command="dbt run -s payments --project-dir /srv/other_project")
    BashOperator(task_id="not_dbt", bash_command="echo dbt is great")
"""})
    fragment = parse(root)
    build = tasks(fragment)["airflow:dbt_nightly.build"]
    assert build.upstream == ("dbt:shop.customers", "dbt:shop.orders")
    assert {k: v for k, v in build.attributes if k.startswith("dbt_")} == {
        "dbt_command": "dbt build --select +orders customers+ tag:nightly --exclude legacy",
        "dbt_select": "+orders customers+ tag:nightly",
        "dbt_exclude": "legacy",
        "dbt_project": "shop",
        "dbt_project_dir": "dbt",
    }
    # A tag selection names no model: attributes only.
    tagged = tasks(fragment)["airflow:dbt_nightly.tagged"]
    assert tagged.upstream == ()
    assert dict(tagged.attributes)["dbt_select"] == "tag:churn"
    assert "dbt_command" not in attributes(fragment, "airflow:dbt_nightly.not_dbt")
    # A named model of a project that is not in the repository cannot be linked: a note says so.
    assert tasks(fragment)["airflow:dbt_nightly.elsewhere"].upstream == ()
    assert codes(fragment) == ["LS922"]
    assert "payments" in fragment.diagnostics[0].message


def test_nearest_dbt_project_and_task_bash(make_repo) -> None:
    root = make_repo({
        "orchestration/dbt_project.yml": "name: analytics\n",
        "orchestration/dags/dag.py": """
from airflow.sdk import dag, task

@dag(schedule="@daily")
def refresh():
    @task.bash
    def run_model(model):
        return f"dbt run --select {model}"

    run_model("fct_orders")

refresh()
""",
    })
    fragment = parse(root, dag="orchestration/dags/dag.py")
    task = tasks(fragment)["airflow:refresh.run_model"]
    assert task.upstream == ("dbt:analytics.fct_orders",)
    assert dict(task.attributes)["dbt_project_dir"] == "orchestration"


def test_cosmos_task_group_and_dag(make_repo) -> None:
    root = make_repo({**DBT_PROJECT, DAG: """
from pathlib import Path
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from cosmos import DbtDag, DbtTaskGroup, ProjectConfig, RenderConfig

DBT_ROOT = Path("/usr/local/airflow/dbt")

with DAG("with_cosmos") as dag:
    start = EmptyOperator(task_id="start")
    transform = DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(DBT_ROOT),
        render_config=RenderConfig(select=["orders", "path:models/staging"]),
    )
    start >> transform

shop = DbtDag(dag_id="dbt_shop", project_config=ProjectConfig(dbt_project_path=str(DBT_ROOT)))
"""})
    fragment = parse(root)
    transform = tasks(fragment)["airflow:with_cosmos.transform"]
    assert transform.upstream == ("airflow:with_cosmos.start", "dbt:shop.orders")
    assert dict(transform.attributes)["dbt_select"] == "orders path:models/staging"
    assert dict(transform.attributes)["operator"] == "DbtTaskGroup"
    whole = dict(tasks(fragment)["airflow:dbt_shop.dbt"].attributes)
    assert (whole["operator"], whole["dbt_project"]) == ("DbtDag", "shop")


def test_python_callables_resolve_to_repository_functions(make_repo) -> None:
    root = make_repo({
        "etl/__init__.py": "",
        "etl/transforms.py": "def clean_orders():\n    pass\n",
        "dags/helpers.py": "def build():\n    pass\n",
        DAG: """
from functools import partial
from airflow import DAG
from airflow.operators.python import PythonOperator
from pandas import read_csv
from etl.transforms import clean_orders
from .helpers import build
import etl.transforms as transforms

def local_step():
    pass

with DAG("py") as dag:
    PythonOperator(task_id="imported", python_callable=clean_orders)
    PythonOperator(task_id="module_attribute", python_callable=transforms.clean_orders)
    PythonOperator(task_id="relative", python_callable=build)
    PythonOperator(task_id="local", python_callable=partial(local_step, 1))
    PythonOperator(task_id="third_party", python_callable=read_csv)
    PythonOperator(task_id="anonymous", python_callable=lambda: None)
""",
    })
    fragment = parse(root)
    callables = {t.name: dict(t.attributes).get("python_callable") for t in fragment.tasks}
    assert callables == {
        "imported": "python:etl/transforms.py:clean_orders",
        "module_attribute": "python:etl/transforms.py:clean_orders",
        "relative": "python:dags/helpers.py:build",
        "local": "python:dags/dag.py:local_step",
        "third_party": None,
        "anonymous": None,
    }
    assert [(d.code, d.location.start_line) for d in fragment.diagnostics] == [("LS922", 18), ("LS921", 19)]


def test_dbt_command_lines_and_selections() -> None:
    command = ("export DBT_TARGET=prod; cd /srv/dbt && dbt --no-write-json seed "
               "&& dbt run --select=orders -m customers --exclude tag:slow --selector nightly")
    runs = dbt_runs(command)
    assert [(r.command, r.select, r.exclude, r.selector, r.project_dir) for r in runs] == [
        ("seed", [], [], None, "/srv/dbt"),
        ("run", ["orders", "customers"], ["tag:slow"], "nightly", "/srv/dbt"),
    ]
    # Graph operators are stripped; methods, paths, globs and intersections name no single model.
    selection = ["+orders", "customers+", "2+a+3", "@b", "tag:x", "path/to", "stg_*", "c,d"]
    assert selected_models(selection) == ["a", "b", "customers", "orders"]
