"""Transfer operators and sensors: which files and tables a task reads and writes, from its arguments.

Files are named by URI (`s3://bucket/key`, `gs://bucket/object`, `@stage/prefix` for a Snowflake stage,
local paths as written); templated keys keep their template text (`raw/{{ ds }}/x.csv`), so one
relation stands for every run's file. Tables are normalised like the SQL engine names them. A
transfer that moves the result of a query (`SqlToS3Operator`, `GenericTransfer`, SQL-to-GCS) also
gets column lineage: its query is analysed with the destination as the query's target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FILE, TABLE = "file", "table"
Ref = tuple[str, str]
"""(FILE or TABLE, name as written)."""


@dataclass(frozen=True)
class Transfer:
    """What a task moves: ``query`` (in argument ``query_field``) is SQL whose result lands in the first write;
    ``reads_only`` marks sensors and checks, which write nothing."""

    reads: tuple[Ref, ...] = ()
    writes: tuple[Ref, ...] = ()
    query: Any = None
    query_field: str | None = None
    dialect: str | None = None
    reads_only: bool = False


def strings(value: Any) -> list[str]:
    """The strings of a value that is one string or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def files(scheme: str, bucket: Any, keys: Any) -> tuple[Ref, ...]:
    """`scheme://bucket/key` for each key (a key that is already a URI is kept)."""
    refs = []
    for key in strings(keys):
        if "://" in key:
            refs.append((FILE, key))
        elif isinstance(bucket, str) and bucket:
            refs.append((FILE, f"{scheme}://{bucket}/{key.lstrip('/')}"))
    return tuple(refs)


def uris(value: Any) -> tuple[Ref, ...]:
    return tuple((FILE, uri) for uri in strings(value))


def tables(*parts: Any) -> tuple[Ref, ...]:
    """One table from its parts (`schema`, `table`); the last part may also be a list of full names."""
    if parts and isinstance(parts[-1], (list, tuple)):
        return tuple((TABLE, name) for name in strings(parts[-1]))
    if not parts or not isinstance(parts[-1], str) or not parts[-1]:
        return ()
    return ((TABLE, ".".join(p for p in parts if isinstance(p, str) and p)),)


def stage(kw: dict) -> tuple[Ref, ...]:
    """Files of a Snowflake stage: `@stage/prefix/file` for each named file, else the prefix."""
    name = kw.get("stage")
    if not isinstance(name, str):
        return ()
    prefix = kw.get("prefix") if isinstance(kw.get("prefix"), str) else ""
    keys = strings(kw.get("files")) or strings(kw.get("s3_keys")) or [""]
    return tuple((FILE, "/".join(p.strip("/") for p in (f"@{name.lstrip('@')}", prefix, key) if p)) for key in keys)


def _sql_to_gcs(dialect: str | None) -> Callable[[dict], Transfer]:
    return lambda kw: Transfer(writes=files("gs", kw.get("bucket"), kw.get("filename")), query=kw.get("sql"),
                               query_field="sql", dialect=dialect)


TRANSFERS: dict[str, Callable[[dict], Transfer]] = {
    "S3ToRedshiftOperator": lambda kw: Transfer(
        files("s3", kw.get("s3_bucket"), kw.get("s3_key")), tables(kw.get("schema"), kw.get("table")),
        dialect="redshift"),
    "RedshiftToS3Operator": lambda kw: Transfer(
        () if kw.get("select_query") else tables(kw.get("schema"), kw.get("table")),
        files("s3", kw.get("s3_bucket"), kw.get("s3_key")), kw.get("select_query"), "select_query", "redshift"),
    "S3ToSnowflakeOperator": lambda kw: Transfer(
        stage(kw), tables(kw.get("database"), kw.get("schema"), kw.get("table")), dialect="snowflake"),
    "CopyFromExternalStageToSnowflakeOperator": lambda kw: Transfer(
        stage(kw), tables(kw.get("database"), kw.get("schema"), kw.get("table")), dialect="snowflake"),
    "GCSToBigQueryOperator": lambda kw: Transfer(
        files("gs", kw.get("bucket"), kw.get("source_objects")), tables(kw.get("destination_project_dataset_table")),
        dialect="bigquery"),
    "BigQueryToGCSOperator": lambda kw: Transfer(
        tables(kw.get("source_project_dataset_table")), uris(kw.get("destination_cloud_storage_uris")),
        dialect="bigquery"),
    "BigQueryToBigQueryOperator": lambda kw: Transfer(
        tables(kw.get("source_project_dataset_tables")), tables(kw.get("destination_project_dataset_table")),
        dialect="bigquery"),
    "GCSToGCSOperator": lambda kw: Transfer(
        files("gs", kw.get("source_bucket"), kw.get("source_object") or kw.get("source_objects")),
        files("gs", kw.get("destination_bucket") or kw.get("source_bucket"), kw.get("destination_object"))),
    "GCSToS3Operator": lambda kw: Transfer(
        files("gs", kw.get("bucket"), kw.get("prefix")), uris(kw.get("dest_s3_key"))),
    "S3ToGCSOperator": lambda kw: Transfer(files("s3", kw.get("bucket"), kw.get("prefix")), uris(kw.get("dest_gcs"))),
    "S3CopyObjectOperator": lambda kw: Transfer(
        files("s3", kw.get("source_bucket_name"), kw.get("source_bucket_key")),
        files("s3", kw.get("dest_bucket_name"), kw.get("dest_bucket_key"))),
    "LocalFilesystemToS3Operator": lambda kw: Transfer(
        uris(kw.get("filename")), files("s3", kw.get("dest_bucket"), kw.get("dest_key"))),
    "LocalFilesystemToGCSOperator": lambda kw: Transfer(
        uris(kw.get("src")), files("gs", kw.get("bucket"), kw.get("dst"))),
    "SqlToS3Operator": lambda kw: Transfer(
        writes=files("s3", kw.get("s3_bucket"), kw.get("s3_key")), query=kw.get("query"), query_field="query"),
    "S3ToSqlOperator": lambda kw: Transfer(
        files("s3", kw.get("s3_bucket"), kw.get("s3_key")), tables(kw.get("schema"), kw.get("table"))),
    "GenericTransfer": lambda kw: Transfer(
        writes=tables(kw.get("destination_table")), query=kw.get("sql"), query_field="sql"),
    "DatabricksCopyIntoOperator": lambda kw: Transfer(
        uris(kw.get("file_location")), tables(kw.get("table_name")), dialect="databricks"),
    "PostgresToGCSOperator": _sql_to_gcs("postgres"),
    "MySQLToGCSOperator": _sql_to_gcs("mysql"),
    "MSSQLToGCSOperator": _sql_to_gcs("tsql"),
    "OracleToGCSOperator": _sql_to_gcs("oracle"),
    "TrinoToGCSOperator": _sql_to_gcs("trino"),
    "PrestoToGCSOperator": _sql_to_gcs("presto"),
    "S3KeySensor": lambda kw: Transfer(files("s3", kw.get("bucket_name"), kw.get("bucket_key")), reads_only=True),
    "GCSObjectExistenceSensor": lambda kw: Transfer(files("gs", kw.get("bucket"), kw.get("object")), reads_only=True),
    "SQLColumnCheckOperator": lambda kw: Transfer(tables(kw.get("table")), reads_only=True),
    "SQLTableCheckOperator": lambda kw: Transfer(tables(kw.get("table")), reads_only=True),
}
