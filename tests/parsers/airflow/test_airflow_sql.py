"""SQL tasks: each operator family and its dialect, every way of giving the SQL, `.sql` files through
the template search path, Airflow's Jinja, and locations back in the DAG or `.sql` file. Expected
edges are read off the SQL by hand (docs/lineage-semantics.md)."""

from __future__ import annotations

import pytest
from airflow_support import DAG, attributes, codes, edges, parse, tasks

OPERATORS = {
    # class: (module, SQL argument, expected dialect attribute)
    "PostgresOperator": ("airflow.providers.postgres.operators.postgres", "sql", "postgres"),
    "SnowflakeOperator": ("airflow.providers.snowflake.operators.snowflake", "sql", "snowflake"),
    "RedshiftSQLOperator": ("airflow.providers.amazon.aws.operators.redshift_sql", "sql", "redshift"),
    "DatabricksSqlOperator": ("airflow.providers.databricks.operators.databricks_sql", "sql", "databricks"),
    "SparkSqlOperator": ("airflow.providers.apache.spark.operators.spark_sql", "sql", "spark"),
    "TrinoOperator": ("airflow.providers.trino.operators.trino", "sql", "trino"),
    "MySqlOperator": ("airflow.providers.mysql.operators.mysql", "sql", "mysql"),
    "MsSqlOperator": ("airflow.providers.microsoft.mssql.operators.mssql", "sql", "tsql"),
    "AthenaOperator": ("airflow.providers.amazon.aws.operators.athena", "query", "athena"),
    "HiveOperator": ("airflow.providers.apache.hive.operators.hive", "hql", "hive"),
    "BigQueryExecuteQueryOperator": ("airflow.providers.google.cloud.operators.bigquery", "sql", "bigquery"),
}


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_operator_families_run_their_sql_in_their_dialect(make_repo, operator: str) -> None:
    module, argument, dialect = OPERATORS[operator]
    root = make_repo({DAG: f"""
from airflow import DAG
from {module} import {operator}

with DAG("families") as dag:
    {operator}(task_id="build", {argument}="CREATE TABLE mart.out_t AS SELECT id, amount FROM raw.src_t")
"""})
    fragment = parse(root)
    assert edges(fragment) == {
        "raw.src_t.id -> mart.out_t.id : identity",
        "raw.src_t.amount -> mart.out_t.amount : identity",
    }
    task = tasks(fragment)["airflow:families.build"]
    assert (task.reads, task.writes) == (("raw.src_t",), ("mart.out_t",))
    assert attributes(fragment, "airflow:families.build")["sql_dialect"] == dialect


def test_bigquery_insert_job_reads_configuration_and_writes_its_destination(make_repo) -> None:
    # The repository's dialect is Snowflake, but a BigQuery job's SQL is BigQuery SQL (backticks).
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

with DAG("bq") as dag:
    BigQueryInsertJobOperator(
        task_id="daily",
        configuration={
            "query": {
                "query": "SELECT user_id, SUM(amount) AS total FROM `shop.raw.payments` GROUP BY user_id",
                "useLegacySql": False,
                "destinationTable": {"projectId": "shop", "datasetId": "mart", "tableId": "totals"},
            }
        },
    )
"""})
    fragment = parse(root, config={"dialect": "snowflake"})
    assert edges(fragment) == {
        "shop.raw.payments.user_id -> shop.mart.totals.user_id : identity",
        "shop.raw.payments.amount -> shop.mart.totals.total : aggregate",
        "shop.raw.payments.user_id -> shop.mart.totals.user_id : group_by",
        "shop.raw.payments.user_id -> shop.mart.totals.total : group_by",
    }
    assert tasks(fragment)["airflow:bq.daily"].writes == ("shop.mart.totals",)
    assert [(r.name, r.kind.value) for r in fragment.relations] == [("shop.mart.totals", "table")]


def test_sql_given_as_literal_list_concatenation_fstring_and_constant(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from somewhere import build_sql

SCHEMA = "mart"
BASE = "SELECT id, amount FROM raw.orders"

with DAG("forms") as dag:
    SQLExecuteQueryOperator(task_id="literal", sql="CREATE TABLE mart.a AS SELECT id FROM raw.orders")
    SQLExecuteQueryOperator(task_id="listed", sql=[
        "CREATE TABLE mart.b AS SELECT id FROM raw.orders",
        "CREATE TABLE mart.c AS SELECT amount FROM raw.orders",
    ])
    SQLExecuteQueryOperator(task_id="concatenated", sql="CREATE TABLE " + SCHEMA + ".d AS " + BASE)
    SQLExecuteQueryOperator(task_id="formatted", sql=f"CREATE TABLE {SCHEMA}.e AS {BASE} WHERE amount > 0")
    SQLExecuteQueryOperator(task_id="computed", sql=build_sql("mart.f"))
"""})
    fragment = parse(root)
    assert edges(fragment) == {
        "raw.orders.id -> mart.a.id : identity",
        "raw.orders.id -> mart.b.id : identity",
        "raw.orders.amount -> mart.c.amount : identity",
        "raw.orders.id -> mart.d.id : identity",
        "raw.orders.amount -> mart.d.amount : identity",
        "raw.orders.id -> mart.e.id : identity",
        "raw.orders.amount -> mart.e.amount : identity",
        "raw.orders.amount -> mart.e.id : filter",
        "raw.orders.amount -> mart.e.amount : filter",
    }
    assert tasks(fragment)["airflow:forms.listed"].writes == ("mart.b", "mart.c")
    assert codes(fragment) == ["LS921"]
    assert fragment.diagnostics[0].location.start_line == 17
    assert fragment.statements == 5


def test_sql_read_by_the_dag_file_itself_and_string_helpers(make_repo) -> None:
    root = make_repo({
        DAG: """
import os
import textwrap
from pathlib import Path
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

SQL_DIR = Path(__file__).parent / "sql"
TEMPLATE = "CREATE TABLE {target} AS SELECT {} FROM raw.orders"

with DAG("helpers") as dag:
    SQLExecuteQueryOperator(task_id="read_text", sql=(SQL_DIR / "a.sql").read_text())
    SQLExecuteQueryOperator(task_id="opened", sql=open(os.path.join(os.path.dirname(__file__), "sql", "b.sql")).read())
    SQLExecuteQueryOperator(task_id="formatted", sql=TEMPLATE.format("id", target="mart.c"))
    SQLExecuteQueryOperator(task_id="dedented", sql=textwrap.dedent(\"\"\"
        CREATE TABLE mart.d AS
        SELECT amount FROM raw.orders
    \"\"\"))
""",
        "dags/sql/a.sql": "CREATE TABLE mart.a AS SELECT id FROM raw.orders\n",
        "dags/sql/b.sql": "CREATE TABLE mart.b AS SELECT id FROM raw.orders\n",
    })
    fragment = parse(root)
    assert edges(fragment) == {
        "raw.orders.id -> mart.a.id : identity",
        "raw.orders.id -> mart.b.id : identity",
        "raw.orders.id -> mart.c.id : identity",
        "raw.orders.amount -> mart.d.amount : identity",
    }
    located = {str(e.target): e.location for e in fragment.edges}
    assert (located["mart.a.id"].path, located["mart.a.id"].start_line) == ("dags/sql/a.sql", 1)
    # dedent keeps lines: the literal opens on line 15, so its third line `SELECT amount` is line 17.
    assert (located["mart.d.amount"].path, located["mart.d.amount"].start_line) == (DAG, 17)


def test_mapped_sql_tasks_analyse_every_mapped_value(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("mapped") as dag:
    SQLExecuteQueryOperator.partial(task_id="load", conn_id="dwh").expand(
        sql=["CREATE TABLE mart.a AS SELECT id FROM raw.a", "CREATE TABLE mart.b AS SELECT id FROM raw.b"],
    )
"""})
    fragment = parse(root)
    assert edges(fragment) == {"raw.a.id -> mart.a.id : identity", "raw.b.id -> mart.b.id : identity"}
    load = tasks(fragment)["airflow:mapped.load"]
    assert (load.reads, load.writes) == (("raw.a", "raw.b"), ("mart.a", "mart.b"))
    assert dict(load.attributes)["mapped"] == "true"
    assert dict(load.attributes)["operator"] == "SQLExecuteQueryOperator"


def test_locations_point_into_the_dag_file_literal(make_repo) -> None:
    root = make_repo({DAG: (
        "from airflow import DAG\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "with DAG('loc') as dag:\n"
        "    SQLExecuteQueryOperator(task_id='one', sql='CREATE TABLE mart.a AS SELECT id FROM raw.orders')\n"
        "    SQLExecuteQueryOperator(task_id='many', sql='''\n"
        "CREATE TABLE mart.b AS\n"
        "SELECT amount\n"
        "FROM raw.orders''')\n"
        "    SQLExecuteQueryOperator(task_id='built', sql='CREATE TABLE mart.c AS ' + 'SELECT id FROM raw.orders')\n"
    )})
    located = {str(e.target): e.location for e in parse(root).edges}
    # Line 4: the literal's content starts at column 49 (after `sql='`); `id` is 30 characters in.
    assert (located["mart.a.id"].path, located["mart.a.id"].start_line, located["mart.a.id"].start_col) == (DAG, 4, 79)
    # A triple-quoted literal starting on line 5: SQL line 3 (`SELECT amount`) is file line 7.
    assert (located["mart.b.amount"].start_line, located["mart.b.amount"].start_col) == (7, 8)
    # A computed string cannot be mapped character by character: the edge points at the argument.
    assert (located["mart.c.id"].start_line, located["mart.c.id"].start_col) == (9, 50)


def test_sql_files_through_the_dag_folder_and_template_searchpath(make_repo) -> None:
    root = make_repo({
        DAG: """
import os
from airflow import DAG
from airflow.providers.postgres.operators.postgres import PostgresOperator

with DAG(
    "files",
    template_searchpath=[
        os.path.join(os.path.dirname(__file__), "..", "queries"),
        "/opt/airflow/include/sql",
        "/nowhere/at/all",
    ],
) as dag:
    PostgresOperator(task_id="near", sql="sql/near.sql")
    PostgresOperator(task_id="relative", sql="far.sql")
    PostgresOperator(task_id="deployed", sql="deployed.sql")
    PostgresOperator(task_id="missing", sql="missing.sql")
""",
        "dags/sql/near.sql": "CREATE TABLE mart.near AS SELECT id FROM raw.a;\n",
        "queries/far.sql": "-- far away\nCREATE TABLE mart.far AS\nSELECT id FROM raw.b;\n",
        "include/sql/deployed.sql": "CREATE TABLE mart.deployed AS SELECT id FROM raw.c;\n",
    })
    fragment = parse(root)
    assert edges(fragment) == {
        "raw.a.id -> mart.near.id : identity",
        "raw.b.id -> mart.far.id : identity",
        "raw.c.id -> mart.deployed.id : identity",
    }
    far = next(e for e in fragment.edges if e.target.table == "mart.far")
    assert (far.location.path, far.location.start_line) == ("queries/far.sql", 3)
    assert attributes(fragment, "airflow:files.deployed")["sql_files"] == "include/sql/deployed.sql"
    found = {(d.code, d.severity.value): d.message for d in fragment.diagnostics}
    assert set(found) == {("LS922", "note"), ("LS922", "warning")}
    assert "/nowhere/at/all" in found[("LS922", "note")]
    assert "missing.sql" in found[("LS922", "warning")]
    # SQL read from .sql files is counted by the SQL parser, which sees those files too.
    assert fragment.statements == 0


def test_files_outside_the_scanned_root_are_never_read(make_repo, tmp_path) -> None:
    make_repo({
        "repo/dags/dag.py": """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("escape", template_searchpath=["/"]) as dag:
    SQLExecuteQueryOperator(task_id="dotdot", sql="../../secret.sql")
    SQLExecuteQueryOperator(task_id="linked", sql="link.sql")
    SQLExecuteQueryOperator(task_id="include", sql="{% include '../../secret.sql' %}")
""",
        "secret.sql": "CREATE TABLE stolen AS SELECT password FROM users;\n",
    })
    (tmp_path / "repo" / "dags" / "link.sql").symlink_to(tmp_path / "secret.sql")
    fragment = parse(tmp_path / "repo")
    assert fragment.edges == [] and fragment.relations == []
    assert all("password" not in d.message for d in fragment.diagnostics)
    # "/" is no folder of the repository; the three files resolve outside it or not at all.
    assert codes(fragment) == ["LS922", "LS922", "LS922", "LS923"]


def test_airflow_jinja_is_rendered_with_params_macros_and_variables(make_repo) -> None:
    root = make_repo({
        DAG: """
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("jinja", params={"source": Param("raw.events", type="string"), "days": 1},
         template_searchpath=["/opt/airflow/sql"]) as dag:
    SQLExecuteQueryOperator(
        task_id="daily",
        sql=(
            "INSERT INTO {{ var.value.target_schema }}.daily "
            "SELECT id FROM {{ params.source }} "
            "WHERE day = '{{ macros.ds_add(ds, -params.days) }}' {% include 'filters.sql' %}"
        ),
        params={"days": 2},
    )
""",
        "sql/filters.sql": "AND kind = 'click'",
    })
    configured = parse(root, config={"airflow": {"variables": {"target_schema": "analytics"}}})
    expected = {"raw.events.id -> {}.daily.id : identity", "raw.events.day -> {}.daily.id : filter",
                "raw.events.kind -> {}.daily.id : filter"}
    assert edges(configured) == {e.format("analytics") for e in expected}
    assert configured.diagnostics == []
    # Without a configured value the variable renders as its own name, and the scan says so.
    unconfigured = parse(root)
    assert edges(unconfigured) == {e.format("target_schema") for e in expected}
    assert [(d.code, d.severity.value) for d in unconfigured.diagnostics] == [("LS923", "note")]
    assert "var.value.target_schema" in unconfigured.diagnostics[0].message


def test_broken_templates_are_diagnostics(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("broken") as dag:
    SQLExecuteQueryOperator(task_id="bad", sql="SELECT {% if %} 1")
    SQLExecuteQueryOperator(task_id="good", sql="CREATE TABLE t AS SELECT a FROM s")
"""})
    fragment = parse(root)
    assert edges(fragment) == {"s.a -> t.a : identity"}
    assert [(d.code, d.location.start_line) for d in fragment.diagnostics] == [("LS923", 6)]


def test_dialect_from_configured_connections_and_connection_names(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("conns", default_args={"conn_id": "warehouse"}) as dag:
    SQLExecuteQueryOperator(task_id="configured", sql="SELECT 1")
    SQLExecuteQueryOperator(task_id="named", conn_id="bigquery_default", sql="SELECT 1")
"""})
    fragment = parse(root, config={"airflow": {"connections": {"warehouse": "snowflake"}}})
    assert attributes(fragment, "airflow:conns.configured")["sql_dialect"] == "snowflake"
    assert attributes(fragment, "airflow:conns.configured")["conn_id"] == "warehouse"
    assert attributes(fragment, "airflow:conns.named")["sql_dialect"] == "bigquery"
    # A bare SELECT is a query relation named after where it is written.
    assert sorted(r.name for r in fragment.relations) == [f"query:{DAG}:6", f"query:{DAG}:7"]


def test_an_operator_of_the_repository_taking_sql_is_a_sql_task(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from plugins.operators import AuditedSqlOperator

with DAG("custom") as dag:
    AuditedSqlOperator(task_id="audited", sql="INSERT INTO audit.log SELECT id FROM raw.events", conn_id="dwh")
"""})
    fragment = parse(root)
    assert edges(fragment) == {"raw.events.id -> audit.log.id : identity"}
    assert attributes(fragment, "airflow:custom.audited")["conn_id"] == "dwh"


def test_snowflake_operator_schema_qualifies_unqualified_tables(make_repo) -> None:
    root = make_repo({DAG: """
from airflow import DAG
from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator

with DAG("snow") as dag:
    SnowflakeOperator(task_id="t", schema="ANALYTICS", sql="CREATE TABLE daily AS SELECT ID FROM events")
"""})
    assert edges(parse(root)) == {"analytics.events.id -> analytics.daily.id : identity"}
