"""Every way a DAG file states task order, each checked against the edges read off the code by hand."""

from __future__ import annotations

import pytest
from airflow_support import DAG, codes, dependencies, parse, tasks

HEADER = """
from airflow import DAG
from airflow.models.baseoperator import chain, chain_linear, cross_downstream
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.edgemodifier import Label

with DAG("deps") as dag:
    a, b, c, d, e, f = [EmptyOperator(task_id=name) for name in "abcdef"]
"""

CASES = {
    "a >> b >> c": {("a", "b"), ("b", "c")},
    "c << b << a": {("b", "c"), ("a", "b")},
    "a >> [b, c] >> d": {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")},
    "[a, b] >> c": {("a", "c"), ("b", "c")},
    "d << [a, b]": {("a", "d"), ("b", "d")},
    "a.set_downstream(b); c.set_upstream([a, b])": {("a", "b"), ("a", "c"), ("b", "c")},
    "chain(a, [b, c], [d, e], f)": {("a", "b"), ("a", "c"), ("b", "d"), ("c", "e"), ("d", "f"), ("e", "f")},
    "chain_linear(a, [b, c], [d, e])": {("a", "b"), ("a", "c"), ("b", "d"), ("b", "e"), ("c", "d"), ("c", "e")},
    "cross_downstream([a, b], [c, d])": {("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")},
    "a >> Label('when ready') >> b": {("a", "b")},
    "for upstream in [a, b]: upstream >> c": {("a", "c"), ("b", "c")},
}


@pytest.mark.parametrize("statement", sorted(CASES))
def test_dependency_forms(make_repo, statement: str) -> None:
    root = make_repo({DAG: HEADER + "    " + statement + "\n"})
    fragment = parse(root)
    assert len(tasks(fragment)) == 6
    assert dependencies(fragment) == CASES[statement]
    assert fragment.diagnostics == []


def test_xcom_arguments_make_dependencies(make_repo) -> None:
    root = make_repo({DAG: """
from airflow.sdk import XComArg, dag, task
from airflow.providers.standard.operators.bash import BashOperator

@dag
def xcoms():
    produce = BashOperator(task_id="produce", bash_command="echo 1")
    echo = BashOperator(task_id="echo", bash_command=produce.output)

    @task
    def double(value):
        return value * 2

    double(XComArg(echo))
    double.override(task_id="twice")(produce.output["return_value"])

xcoms()
"""})
    fragment = parse(root)
    assert dependencies(fragment) == {("produce", "echo"), ("echo", "double"), ("produce", "twice")}


def test_groups_as_dependency_ends_use_their_roots_and_leaves(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("grouped") as dag:
    start = EmptyOperator(task_id="start")
    end = EmptyOperator(task_id="end")
    with TaskGroup("work") as work:
        x = EmptyOperator(task_id="x")
        y = EmptyOperator(task_id="y")
        z = EmptyOperator(task_id="z")
        x >> y
    start >> work >> end
"""})
    # Roots of `work` are x and z (nothing inside waits before them); leaves are y and z.
    assert dependencies(parse(root)) == {
        ("work.x", "work.y"), ("start", "work.x"), ("start", "work.z"), ("work.y", "end"), ("work.z", "end"),
    }


def test_external_task_sensor_waits_for_another_dags_task(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.sensors.external_task import ExternalTaskSensor

with DAG("downstream_dag") as dag:
    ExternalTaskSensor(task_id="wait", external_dag_id="upstream_dag", external_task_id="publish")
"""})
    wait = tasks(parse(root))["airflow:downstream_dag.wait"]
    assert wait.upstream == ("airflow:upstream_dag.publish",)
    assert dict(wait.attributes)["external_dag_id"] == "upstream_dag"


def test_a_dependency_on_something_unknown_is_reported(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from elsewhere import make_tasks

with DAG("partial") as dag:
    start = EmptyOperator(task_id="start")
    start >> make_tasks()
"""})
    fragment = parse(root)
    assert dependencies(fragment) == set()
    assert codes(fragment) == ["LS921"]
    assert fragment.diagnostics[0].location.start_line == 8
