"""Transfer operators as file/table reads and writes, and Datasets/Assets as task inlets, outlets and
schedules (Airflow 2 `Dataset`, Airflow 3 `Asset`, `@asset`). Expectations read off the DAGs by hand."""

from __future__ import annotations

from airflow_support import DAG, edges, parse, tasks

from lineage_scan.model import RelationUse

TRANSFERS = """
from airflow import DAG
from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.providers.common.sql.transfers.generic_transfer import GenericTransfer
from airflow.providers.google.cloud.transfers.bigquery_to_gcs import BigQueryToGCSOperator
from airflow.providers.google.cloud.transfers.gcs_to_bigquery import GCSToBigQueryOperator
from airflow.providers.snowflake.transfers.copy_into_snowflake import CopyFromExternalStageToSnowflakeOperator

with DAG("moves") as dag:
    S3ToRedshiftOperator(task_id="load_events", schema="raw", table="events",
                         s3_bucket="lake", s3_key="events/{{ ds }}/part.csv")
    RedshiftToS3Operator(task_id="unload_daily", schema="mart", table="daily", s3_bucket="exports", s3_key="daily/")
    GCSToBigQueryOperator(task_id="load_bq", bucket="landing", source_objects=["clicks/*.json"],
                          destination_project_dataset_table="proj:raw.clicks")
    BigQueryToGCSOperator(task_id="export_bq", source_project_dataset_table="proj.mart.daily",
                          destination_cloud_storage_uris=["gs://exports/daily-*.csv"])
    CopyFromExternalStageToSnowflakeOperator(task_id="copy_orders", stage="landing_stage", prefix="orders",
                                             table="orders", schema="raw")
    SqlToS3Operator(task_id="orders_csv", query="SELECT id, amount FROM mart.orders", s3_bucket="exports",
                    s3_key="orders.csv")
    GenericTransfer(task_id="copy_table", sql="SELECT id FROM src_db.t", destination_table="dst.t")
    S3ToRedshiftOperator(task_id="dynamic", schema="raw", table="x", s3_bucket=BUCKET, s3_key=KEY)
"""


def test_transfers_read_and_write_files_and_tables(make_repo) -> None:
    fragment = parse(make_repo({DAG: TRANSFERS}))
    moves = {t.name: (t.reads, t.writes) for t in fragment.tasks}
    assert moves == {
        "load_events": (("s3://lake/events/{{ ds }}/part.csv",), ("raw.events",)),
        "unload_daily": (("mart.daily",), ("s3://exports/daily/",)),
        "load_bq": (("gs://landing/clicks/*.json",), ("proj.raw.clicks",)),
        "export_bq": (("proj.mart.daily",), ("gs://exports/daily-*.csv",)),
        "copy_orders": (("@landing_stage/orders",), ("raw.orders",)),
        "orders_csv": (("mart.orders",), ("s3://exports/orders.csv",)),
        "copy_table": (("src_db.t",), ("dst.t",)),
        # S3ToRedshift with an unknown bucket still names its destination table.
        "dynamic": ((), ("raw.x",)),
    }
    kinds = {r.name: r.kind.value for r in fragment.relations}
    assert kinds["s3://exports/orders.csv"] == "file" and kinds["raw.events"] == "table"
    load = tasks(fragment)["airflow:moves.load_events"]
    assert RelationUse("s3://lake/events/{{ ds }}/part.csv", "raw.events", load.location) in fragment.reads
    # A query moved into a file or table gets column lineage, the destination standing for the query.
    assert edges(fragment) == {
        "mart.orders.id -> s3://exports/orders.csv.id : identity",
        "mart.orders.amount -> s3://exports/orders.csv.amount : identity",
        "src_db.t.id -> dst.t.id : identity",
    }
    assert [(d.code, d.location.start_line) for d in fragment.diagnostics] == [("LS921", 24)]
    assert "source cannot be read" in fragment.diagnostics[0].message


AIRFLOW2_ASSETS = """
from airflow import DAG
from airflow.datasets import Dataset
from airflow.operators.empty import EmptyOperator

ORDERS = Dataset("s3://lake/orders.parquet")

with DAG("producer") as producer:
    EmptyOperator(task_id="write_orders", outlets=[ORDERS])

with DAG("consumer", schedule=[ORDERS]) as consumer:
    first = EmptyOperator(task_id="first")
    second = EmptyOperator(task_id="second", inlets=[Dataset("postgres://db:5432/wh/analytics/orders")])
    first >> second
"""


def test_airflow2_datasets_are_written_by_outlets_and_read_by_scheduled_dags(make_repo) -> None:
    fragment = parse(make_repo({DAG: AIRFLOW2_ASSETS}))
    found = {t.id: (t.reads, t.writes) for t in fragment.tasks}
    assert found == {
        "airflow:producer.write_orders": ((), ("s3://lake/orders.parquet",)),
        # Only the consumer's first task (no upstream) waits on the schedule's dataset.
        "airflow:consumer.first": (("s3://lake/orders.parquet",), ()),
        "airflow:consumer.second": (("postgres://db:5432/wh/analytics/orders",), ()),
    }
    assert [(r.name, r.kind.value) for r in fragment.relations] == [("s3://lake/orders.parquet", "dataset")]
    # A dataset URI naming a warehouse table is that table's data.
    assert [(u.source, u.target) for u in fragment.reads] == [("analytics.orders", "postgres://db:5432/wh/analytics/orders")]


AIRFLOW3_ASSETS = """
from airflow.sdk import Asset, asset, dag, task

ORDERS = Asset(name="orders", uri="s3://lake/orders.parquet")
CUSTOMERS = Asset("customers")

@asset(schedule=None)
def raw_orders():
    pass

@asset(schedule=[raw_orders], uri="s3://lake/clean_orders.parquet")
def clean_orders(self, context, raw_orders):
    pass

@dag(schedule=(ORDERS | CUSTOMERS))
def report():
    @task(inlets=[Asset.ref(name="orders")], outlets=[Asset("report")])
    def build():
        pass
    build()

report()
"""


def test_airflow3_assets_and_asset_functions(make_repo) -> None:
    fragment = parse(make_repo({DAG: AIRFLOW3_ASSETS}))
    found = {t.id: (t.reads, t.writes) for t in fragment.tasks}
    assert found == {
        # @asset: a DAG named after the asset, one task named after the function, the asset its outlet.
        "airflow:raw_orders.raw_orders": ((), ("asset:raw_orders",)),
        # Its parameter `raw_orders` is an inlet; the schedule on the asset reads it too.
        "airflow:clean_orders.clean_orders": (("asset:raw_orders",), ("s3://lake/clean_orders.parquet",)),
        # `ORDERS | CUSTOMERS` schedules on both; Asset.ref(name="orders") resolves to ORDERS' uri.
        "airflow:report.build": (("asset:customers", "s3://lake/orders.parquet"), ("asset:report",)),
    }
    assert {r.name: r.kind.value for r in fragment.relations} == {
        "asset:raw_orders": "dataset", "s3://lake/clean_orders.parquet": "dataset", "asset:report": "dataset",
    }
    assert dict(tasks(fragment)["airflow:clean_orders.clean_orders"].attributes)["operator"] == "@asset"
