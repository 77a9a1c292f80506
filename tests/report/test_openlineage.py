"""OpenLineage export: events valid against the spec, one job per file/task, our edges as column lineage.

Expected jobs, datasets and transformations are worked out by hand from `fixtures/example_repo/`.
"""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, FormatChecker
from repo_paths import EXAMPLE_REPO

pytest.importorskip("openlineage.client", reason="the 'openlineage' extra (openlineage-python) is not installed")

from lineage_scan import scan
from lineage_scan.cli import main
from lineage_scan.config import ConfigError, config_from_mapping
from lineage_scan.graph import LineageGraph
from lineage_scan.model import (
    ColumnEdge,
    ColumnRef,
    EdgeKind,
    Location,
    RelationKind,
    TaskDef,
)
from lineage_scan.report.openlineage import (
    RUN_ID_NAMESPACE,
    default_namespace,
    plan_jobs,
    render_openlineage,
    settings_from_config,
)

SCHEMA = json.loads((Path(__file__).parent / "openlineage_run_event.schema.json").read_text())
FORMATS = FormatChecker()


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(urlparse(value).scheme) and " " not in value)


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value and parsed.tzinfo is not None


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMATS)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple:
    """The example repo's plain SQL warehouse on its own (no DAG runs its scripts), one job per script."""
    root = tmp_path_factory.mktemp("warehouse_only")
    shutil.copytree(EXAMPLE_REPO / "warehouse", root / "warehouse")
    shutil.copy(EXAMPLE_REPO / "lineage-scan.yml", root / "lineage-scan.yml")
    result = scan(root)
    settings = settings_from_config(result.config, "example_repo")
    return result, settings, [json.loads(line) for line in render_openlineage(result, settings).splitlines()]


def by_job(events: list[dict]) -> dict[str, dict]:
    return {event["job"]["name"]: event for event in events}


def lineage_of(event: dict, output: str, column: str) -> set[tuple[str, str, str, str]]:
    [dataset] = [o for o in event["outputs"] if o["name"] == output]
    fields = dataset["facets"]["columnLineage"]["fields"][column]["inputFields"]
    return {(f["name"], f["field"], t["type"], t["subtype"]) for f in fields for t in f["transformations"]}


def test_every_event_is_valid_against_the_spec(example) -> None:
    _, _, events = example
    for event in events:
        errors = sorted(VALIDATOR.iter_errors(event), key=lambda e: e.path)
        assert not errors, (event["job"]["name"], [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_the_schema_rejects_broken_events(example) -> None:
    _, _, events = example
    event = by_job(events)["warehouse/broken/bad_syntax.sql"]
    broken = copy.deepcopy(event)
    broken["outputs"][0]["facets"]["columnLineage"]["fields"]["failed_at"]["inputFields"][0]["transformations"][0]["subtype"] = "RENAME"
    assert not VALIDATOR.is_valid(broken)
    broken = copy.deepcopy(event)
    broken["run"]["runId"] = "not-a-uuid"
    assert not VALIDATOR.is_valid(broken)
    broken = copy.deepcopy(event)
    del broken["outputs"][0]["facets"]["schema"]["_producer"]
    assert not VALIDATOR.is_valid(broken)


def test_one_job_per_sql_script_with_its_inputs_and_outputs(example) -> None:
    _, _, events = example
    jobs = by_job(events)
    scripts = sorted(p.relative_to(EXAMPLE_REPO).as_posix() for p in EXAMPLE_REPO.glob("warehouse/**/*.sql"))
    assert len(scripts) == 20 and [name for name in jobs if name.startswith("warehouse/")] == scripts
    assert [e["job"]["name"] for e in events] == sorted(jobs)
    churn = jobs["warehouse/features/churn_features.sql"]
    assert [d["name"] for d in churn["inputs"]] == [
        "marts.customer_revenue", "marts.customer_subscriptions", "staging.stg_customers",
        "staging.stg_failed_payments", "staging.stg_support_tickets",
    ]
    assert [d["name"] for d in churn["outputs"]] == ["ml.churn_features"]
    training = jobs["warehouse/features/training_set.sql"]
    assert ([d["name"] for d in training["inputs"]], [d["name"] for d in training["outputs"]]) == (
        ["ml.churn_features", "ml.churn_labels"], ["ml.training_set"],
    )
    for event in (jobs[name] for name in scripts):
        assert event["eventType"] == "COMPLETE" and event["eventTime"] == "1970-01-01T00:00:00Z"
        assert event["job"]["namespace"] == "example_repo"
        assert event["job"]["facets"]["jobType"] | {"_producer": None, "_schemaURL": None} == {
            "processingType": "BATCH", "integration": "SQL", "jobType": "SCRIPT", "_producer": None, "_schemaURL": None,
        }
        assert {d["namespace"] for d in event["inputs"] + event["outputs"]} <= {"snowflake://unknown"}


def test_schema_facets_list_known_columns_in_order(example) -> None:
    _, _, events = example
    jobs = by_job(events)
    [customers] = jobs["warehouse/raw/customers.sql"]["outputs"]
    fields = customers["facets"]["schema"]["fields"]
    assert [(f["name"], f["ordinal_position"]) for f in fields] == [
        ("customer_id", 1), ("email", 2), ("full_name", 3), ("country_code", 4), ("signup_ts", 5),
        ("acquisition_channel", 6), ("is_test_account", 7), ("_loaded_at", 8),
    ]
    assert jobs["warehouse/raw/customers.sql"]["inputs"] == []
    # raw.marketing_touches is only read: its full column list is unknown, so no schema facet.
    [touches] = [d for d in jobs["warehouse/marts/customer_revenue.sql"]["inputs"] if d["name"] == "raw.marketing_touches"]
    assert "schema" not in touches["facets"]


def test_column_lineage_carries_direct_and_indirect_transformations(example) -> None:
    _, _, events = example
    jobs = by_job(events)
    failed = jobs["warehouse/broken/bad_syntax.sql"]
    assert lineage_of(failed, "staging.stg_failed_payments", "failed_at") == {
        ("raw.payments", "paid_at", "DIRECT", "IDENTITY"),      # paid_at AS failed_at
        ("raw.payments", "status", "INDIRECT", "FILTER"),       # WHERE status = 'failed'
    }
    assert lineage_of(failed, "staging.stg_failed_payments", "amount_usd") == {
        ("raw.payments", "amount_cents", "DIRECT", "TRANSFORMATION"),
        ("raw.payments", "status", "INDIRECT", "FILTER"),
    }
    # DATEDIFF over cs.cancelled_date; every JOIN ... ON key; the tickets CTE's WHERE opened_at rides on t.customer_id.
    assert lineage_of(jobs["warehouse/features/churn_features.sql"], "ml.churn_features", "days_since_cancel") == {
        ("marts.customer_subscriptions", "cancelled_date", "DIRECT", "TRANSFORMATION"),
        ("marts.customer_subscriptions", "customer_id", "INDIRECT", "JOIN"),
        ("staging.stg_customers", "customer_id", "INDIRECT", "JOIN"),
        ("marts.customer_revenue", "customer_id", "INDIRECT", "JOIN"),
        ("staging.stg_failed_payments", "customer_id", "INDIRECT", "JOIN"),
        ("staging.stg_support_tickets", "customer_id", "INDIRECT", "JOIN"),
        ("staging.stg_support_tickets", "opened_at", "INDIRECT", "JOIN"),
    }
    # LAG(plan_code) OVER (PARTITION BY customer_id ORDER BY started_date), QUALIFY ROW_NUMBER() ... = 1.
    assert lineage_of(jobs["warehouse/marts/customer_subscriptions.sql"], "marts.customer_subscriptions", "previous_plan_code") == {
        ("staging.stg_subscriptions", "plan_code", "DIRECT", "TRANSFORMATION"),
        ("staging.stg_subscriptions", "customer_id", "INDIRECT", "WINDOW"),
        ("staging.stg_subscriptions", "started_date", "INDIRECT", "WINDOW"),
        ("staging.stg_subscriptions", "customer_id", "INDIRECT", "FILTER"),
        ("staging.stg_subscriptions", "started_date", "INDIRECT", "FILTER"),
        ("staging.stg_subscriptions", "subscription_id", "INDIRECT", "FILTER"),
    }
    assert ("staging.stg_payments", "amount_usd", "DIRECT", "AGGREGATION") in lineage_of(
        jobs["warehouse/marts/customer_revenue.sql"], "marts.customer_revenue", "lifetime_revenue_usd")
    transformations = [
        t for e in events for o in e["outputs"] for f in o["facets"].get("columnLineage", {}).get("fields", {}).values()
        for i in f["inputFields"] for t in i["transformations"]
    ]
    assert transformations and all(t["masking"] is False for t in transformations)
    assert {t.get("description") for t in transformations} == {None, "rename"}


def test_unparsed_statements_are_reported_as_extraction_errors(example) -> None:
    _, _, events = example
    jobs = by_job(events)
    facet = jobs["warehouse/broken/bad_syntax.sql"]["run"]["facets"]["extractionError"]
    assert (facet["totalTasks"], facet["failedTasks"]) == (2, 1)
    assert [e["task"] for e in facet["errors"]] == ["warehouse/broken/bad_syntax.sql:9:4"]
    assert facet["errors"][0]["errorMessage"].startswith("LS901 error: cannot parse statement")
    assert "extractionError" not in jobs["warehouse/raw/customers.sql"]["run"].get("facets", {})


def test_output_is_deterministic_and_run_ids_follow_job_and_event_time(example) -> None:
    result, settings, events = example
    assert render_openlineage(result, settings) == render_openlineage(scan(result.root), settings)
    name = "warehouse/features/training_set.sql"
    assert by_job(events)[name]["run"]["runId"] == str(uuid.uuid5(RUN_ID_NAMESPACE, f"example_repo/{name}@1970-01-01T00:00:00Z"))
    later = settings_from_config(result.config, "example_repo", "2024-05-01T12:00:00Z")
    moved = by_job([json.loads(line) for line in render_openlineage(result, later).splitlines()])[name]
    assert moved["eventTime"] == "2024-05-01T12:00:00Z"
    assert moved["run"]["runId"] != by_job(events)[name]["run"]["runId"]
    assert len({e["run"]["runId"] for e in events}) == len(events)


def test_settings_from_the_config_file() -> None:
    config = config_from_mapping({"dialect": "snowflake", "openlineage": {
        "namespace": "snowflake://acme-prod", "job_namespace": "analytics-repo", "event_time": "2024-01-02T03:04:05+00:00",
        "source_url": "https://git.example.com/acme/analytics/blob/abc123",
    }})
    settings = settings_from_config(config, "ignored")
    assert (settings.namespace, settings.job_namespace, settings.event_time, settings.namespace_is_default) == (
        "snowflake://acme-prod", "analytics-repo", "2024-01-02T03:04:05+00:00", False,
    )
    result = scan(EXAMPLE_REPO, config)
    event = by_job([json.loads(line) for line in render_openlineage(result, settings).splitlines()])["warehouse/raw/payments.sql"]
    assert event["job"]["facets"]["sourceCodeLocation"]["url"] == \
        "https://git.example.com/acme/analytics/blob/abc123/warehouse/raw/payments.sql"
    assert event["outputs"][0]["namespace"] == "snowflake://acme-prod"
    assert VALIDATOR.is_valid(event)
    for bad in ({"openlineage": {"namespce": "x"}}, {"openlineage": {"event_time": "yesterday"}},
                {"openlineage": {"event_time": "2024-01-02T03:04:05"}}, {"openlineage": ["x"]},
                {"openlineage": {"namespace": 3}}):
        with pytest.raises(ConfigError):
            settings_from_config(config_from_mapping(bad), "repo")


def test_default_namespaces_follow_the_naming_conventions() -> None:
    assert default_namespace("bigquery") == "bigquery"
    assert default_namespace("snowflake") == "snowflake://unknown"
    assert default_namespace("postgres") == "postgres://unknown"
    assert default_namespace("tsql") == "mssql://unknown"
    assert default_namespace(None) == "sql://unknown"


def _edge(source: str, target: str, kind: EdgeKind, path: str, line: int = 1) -> ColumnEdge:
    s_table, s_col = source.rsplit(".", 1)
    t_table, t_col = target.rsplit(".", 1)
    return ColumnEdge(ColumnRef(s_table, s_col), ColumnRef(t_table, t_col), kind, location=Location(path, line, 1, line, 5))


def test_tasks_own_the_lineage_of_the_relations_they_write() -> None:
    graph = LineageGraph()

    def here(path: str) -> Location:
        return Location(path, 1, 1, 1, 1)

    graph.add_relation("analytics.orders", RelationKind.TABLE, here("models/orders.sql"), produced=True)
    graph.add_edge(_edge("raw.orders.id", "analytics.orders.order_id", EdgeKind.RENAME, "models/orders.sql"))
    graph.add_relation("mart.daily", RelationKind.TABLE, here("sql/daily.sql"), produced=True)
    graph.add_edge(_edge("analytics.orders.order_id", "mart.daily.orders", EdgeKind.AGGREGATE, "sql/daily.sql"))
    graph.add_relation("mart.scratch", RelationKind.TABLE, here("sql/scratch.sql"), produced=True)
    graph.add_edge(_edge("mart.daily.orders", "mart.scratch.n", EdgeKind.IDENTITY, "sql/scratch.sql"))
    graph.add_relation("features.f", RelationKind.DATASET, here("features/build.py"), produced=True)
    graph.add_edge(_edge("mart.daily.orders", "features.f.orders", EdgeKind.TRANSFORM, "features/build.py"))
    graph.add_task(TaskDef("dbt:shop.orders", "model", "orders", here("models/orders.sql"), ("raw.orders",), ("analytics.orders",)))
    graph.add_task(TaskDef("airflow:nightly.daily", "SQLExecuteQueryOperator", "daily", here("dags/nightly.py"),
                           (), ("mart.daily",), ("airflow:nightly.extract",)))
    graph.add_task(TaskDef("airflow:nightly.extract", "PythonOperator", "extract", here("dags/nightly.py")))
    graph.add_task(TaskDef("python:features/build.py", "script", "build", here("features/build.py")))
    jobs = {job.name: job for job in plan_jobs(graph)}
    assert sorted(jobs) == ["features/build.py", "nightly.daily", "nightly.extract", "shop.orders", "sql/scratch.sql"]
    dbt, airflow, module, script = jobs["shop.orders"], jobs["nightly.daily"], jobs["features/build.py"], jobs["sql/scratch.sql"]
    assert (dbt.integration, dbt.job_type, dbt.inputs, dbt.outputs) == ("DBT", "MODEL", {"raw.orders"}, {"analytics.orders"})
    # The Airflow task runs sql/daily.sql: it owns that file's lineage, so there is no separate job for the file.
    assert (airflow.integration, airflow.job_type, airflow.inputs, airflow.outputs, airflow.upstream) == (
        "AIRFLOW", "TASK", {"analytics.orders"}, {"mart.daily"}, ("nightly.extract",))
    assert [(str(s), str(t)) for s, t, _ in airflow.edges] == [("analytics.orders.order_id", "mart.daily.orders")]
    # The only task defined in features/build.py takes the lineage written there; its job keeps the module name.
    assert (module.integration, module.job_type, module.outputs) == ("PYTHON", "SCRIPT", {"features.f"})
    assert (script.integration, script.outputs) == ("SQL", {"mart.scratch"})

    result = type("Result", (), {"graph": graph, "diagnostics": [], "fragments": []})()
    settings = settings_from_config(config_from_mapping({}), "repo")
    events = by_job([json.loads(line) for line in render_openlineage(result, settings).splitlines()])
    for event in events.values():
        assert VALIDATOR.is_valid(event), event["job"]["name"]
    [dependency] = events["nightly.daily"]["run"]["facets"]["jobDependencies"]["upstream"]
    assert dependency["job"] == {"namespace": "repo", "name": "nightly.extract"}
    assert dependency["run"]["runId"] == events["nightly.extract"]["run"]["runId"]


def test_task_job_names_keep_their_prefix_when_they_would_clash() -> None:
    graph = LineageGraph()
    graph.add_task(TaskDef("dbt:etl.load", "model", "load"))
    graph.add_task(TaskDef("airflow:etl.load", "task", "load"))
    assert [job.name for job in plan_jobs(graph)] == ["airflow:etl.load", "dbt:etl.load"]


def test_cli_writes_json_lines_and_notes_the_placeholder_namespace(tmp_path) -> None:
    out = tmp_path / "lineage.jsonl"
    run = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "openlineage", "-o", str(out),
                                    "--openlineage-event-time", "2024-05-01T00:00:00Z", "--fail-on", "none"])
    assert run.exit_code == 0, run.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    # 20 warehouse scripts; the 9 that the `warehouse_nightly` DAG runs are that DAG's tasks' jobs
    assert len([e for e in events if e["job"]["name"].startswith("warehouse/")]) == 11
    assert len([e for e in events if e["job"]["name"].startswith("warehouse_nightly.")]) == 11
    assert all(e["eventTime"] == "2024-05-01T00:00:00Z" for e in events)
    assert "placeholder namespace 'snowflake://unknown'" in run.output
    bad = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "openlineage", "--openlineage-event-time", "noon"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_every_column_edge_of_the_sql_scripts_is_exported_exactly_once(example) -> None:
    result, _, events = example
    scripts = {p.relative_to(result.root).as_posix() for p in result.root.glob("warehouse/**/*.sql")}
    script_edges = {
        (s.table, s.column, t.table, t.column)
        for s, t, d in result.graph.column_edges() if d["location"] and d["location"].path in scripts
    }
    exported = sorted(
        (i["name"], i["field"], o["name"], column, t["type"], t["subtype"])
        for e in events for o in e["outputs"]
        for column, f in o["facets"].get("columnLineage", {}).get("fields", {}).items()
        for i in f["inputFields"] for t in i["transformations"]
        if (i["name"], i["field"], o["name"], column) in script_edges
    )
    subtypes = {"identity": "IDENTITY", "rename": "IDENTITY", "transform": "TRANSFORMATION", "aggregate": "AGGREGATION"}
    expected = sorted(
        (s.table, s.column, t.table, t.column, "DIRECT" if d["kind"].is_direct else "INDIRECT",
         subtypes.get(d["kind"].value, d["kind"].value.upper()))
        for s, t, d in result.graph.column_edges() if d["location"] and d["location"].path in scripts
    )
    assert len(expected) > 300 and exported == expected
