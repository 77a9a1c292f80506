"""DAG files in a whole scan: `.py` files reach the Airflow parser, tasks land in the graph and the
summary counts DAGs, tasks and what could not be resolved. Also the example repository's DAGs."""

from __future__ import annotations

from repo_paths import EXAMPLE_REPO

from lineage_scan import scan
from lineage_scan.report.summary import summarise
from lineage_scan.report.text import render_text


def test_dag_files_in_a_scan(make_repo) -> None:
    root = make_repo({
        "dags/etl.py": """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("etl", template_searchpath=["/opt/airflow/sql"]) as dag:
    stage = SQLExecuteQueryOperator(task_id="stage", sql="stage.sql")
    report = SQLExecuteQueryOperator(task_id="report", sql="CREATE TABLE mart.report AS SELECT id FROM stg.orders")
    missing = SQLExecuteQueryOperator(task_id="missing", sql="missing.sql")
    stage >> report >> missing
""",
        "sql/stage.sql": "CREATE TABLE stg.orders AS SELECT id FROM raw.orders;\n",
        "etl/helpers.py": "def not_a_dag():\n    return 1\n",
    })
    result = scan(root)
    graph_tasks = {t.id: t for t in result.graph.tasks()}
    assert sorted(graph_tasks) == ["airflow:etl.missing", "airflow:etl.report", "airflow:etl.stage"]
    assert graph_tasks["airflow:etl.report"].upstream == ("airflow:etl.stage",)
    assert graph_tasks["airflow:etl.stage"].writes == ("stg.orders",)
    # The .sql file's lineage and the DAG's inline SQL chain up across files.
    assert result.graph.upstream_relations("mart.report") == ["stg.orders"]
    assert result.graph.upstream_relations("stg.orders") == ["raw.orders"]
    assert summarise(result)["airflow"] == {"dags": 1, "tasks": 3, "unresolved": 1}
    assert "  airflow     1 DAGs, 3 tasks; 1 unresolved (see diagnostics)" in render_text(result)
    assert [d.location.path for d in result.diagnostics] == ["dags/etl.py"]


def test_a_sql_file_run_by_a_dag_reports_its_problems_once(make_repo) -> None:
    root = make_repo({
        "dags/etl.py": """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("etl", template_searchpath=["/opt/airflow/sql"]) as dag:
    SQLExecuteQueryOperator(task_id="bad", sql="bad.sql")
""",
        "sql/bad.sql": "CREATE TABLE a AS SELECT x.y FROM b;\n",
    })
    assert [(d.code, d.location.path) for d in scan(root).diagnostics] == [("LS906", "sql/bad.sql")]


def test_a_repository_without_dags_reports_none(make_repo) -> None:
    result = scan(make_repo({"q.sql": "CREATE TABLE a AS SELECT x FROM b", "tool.py": "import airflow\n"}))
    assert result.graph.tasks() == []
    assert summarise(result)["airflow"] == {"dags": 0, "tasks": 0, "unresolved": 0}
    assert "airflow" not in render_text(result)


def test_example_repository_dags() -> None:
    result = scan(EXAMPLE_REPO)
    found = {t.id: t for t in result.graph.tasks() if t.kind == "airflow_task"}
    nightly = sorted(t.removeprefix("airflow:warehouse_nightly.") for t in found if "warehouse_nightly" in t)
    assert nightly == [
        "append_training_set", "churn_features", "churn_labels", "marts.customer_revenue",
        "marts.customer_subscriptions", "snapshot_training_set", "staging.stg_customers", "staging.stg_payments",
        "staging.stg_subscriptions", "staging.stg_support_tickets", "start",
    ]
    features = found["airflow:warehouse_nightly.churn_features"]
    assert features.upstream == ("airflow:warehouse_nightly.marts.customer_revenue",
                                 "airflow:warehouse_nightly.marts.customer_subscriptions")
    assert features.writes == ("ml.churn_features",)
    assert dict(features.attributes)["sql_files"] == "warehouse/features/churn_features.sql"
    # The training set is published as a dataset that schedules the churn training DAG.
    dataset = "snowflake://acme/analytics/ml/training_set"
    assert found["airflow:warehouse_nightly.append_training_set"].writes == ("ml.training_set", dataset)
    assert found["airflow:churn_training.check_training_rows"].reads == (dataset,)
    assert result.graph.upstream_relations(dataset) == ["ml.training_set"]
    training = found["airflow:churn_training.train_churn_model"]
    assert training.upstream == ("airflow:churn_training.dbt_build_churn",)
    assert training.writes == ("s3://acme-ml/models/churn/model.joblib",)
    dbt = dict(found["airflow:churn_training.dbt_build_churn"].attributes)
    assert (dbt["dbt_command"], dbt["dbt_select"]) == ("dbt build --select tag:churn --target prod", "tag:churn")
    scores = found["airflow:churn_scores.churn_scores"]
    assert (scores.reads, scores.writes) == (("s3://acme-ml/models/churn/model.joblib",),
                                             ("s3://acme-ml/scores/churn_scores.parquet",))
    assert summarise(result)["airflow"]["dags"] == 3
