"""Relation names as dbt would create them: database.schema.alias, per naming rule."""

from __future__ import annotations

from dbt_case import edges

SOURCES = """
version: 2
sources:
  - name: app
    database: raw_db
    schema: landing
    tables:
      - name: users
        identifier: app_users
        columns: [{name: id}, {name: email}]
"""


def test_default_generate_schema_name_appends_the_custom_schema(dbt_scan) -> None:
    result = dbt_scan({
        "models/a.sql": "select 1 as x",
        "models/staging/b.sql": "{{ config(schema='staging') }} select x from {{ ref('a') }}",
    }, {"dbt": {"target": {"schema": "dev_ana"}}})
    assert edges(result) == {"dev_ana.a.x -> dev_ana_staging.b.x : identity"}


def test_folder_config_alias_and_database(dbt_scan) -> None:
    result = dbt_scan({
        "models/marts/orders.sql": "{{ config(alias='fct_orders', database='warehouse') }} select 1 as id",
        "models/marts/users.sql": "select id from {{ ref('orders') }}",
    }, {"dbt": {"target": {"schema": "analytics", "database": "prod"}}},
        project_yml="name: shop\nmodels:\n  shop:\n    marts:\n      +schema: marts\n      +materialized: table\n")
    assert edges(result) == {"warehouse.analytics_marts.fct_orders.id -> prod.analytics_marts.users.id : identity"}
    assert result.graph.relation("prod.analytics_marts.users").kind.value == "table"


def test_project_generate_schema_and_alias_name_macros_win(dbt_scan) -> None:
    result = dbt_scan({
        "macros/naming.sql": (
            "{% macro generate_schema_name(custom_schema_name, node) -%}"
            "{{ custom_schema_name or target.schema }}{%- endmacro %}\n"
            "{% macro generate_alias_name(custom_alias_name=none, node=none) -%}"
            "{{ node.fqn[1] }}__{{ node.name }}{%- endmacro %}"
        ),
        "models/core/a.sql": "{{ config(schema='core') }} select 1 as x",
        "models/core/b.sql": "select x from {{ ref('a') }}",
    })
    assert edges(result) == {"core.core__a.x -> analytics.core__b.x : identity"}


def test_generate_schema_name_for_env_builtin(dbt_scan) -> None:
    files = {
        "macros/naming.sql": "{% macro generate_schema_name(c, node) %}{{ generate_schema_name_for_env(c, node) }}{% endmacro %}",
        "models/a.sql": "{{ config(schema='core') }} select 1 as x",
        "models/b.sql": "select x from {{ ref('a') }}",
    }
    assert edges(dbt_scan(files, {"dbt": {"target": {"name": "prod"}}})) == {"core.a.x -> analytics.b.x : identity"}
    assert edges(dbt_scan(files)) == {"analytics.a.x -> analytics.b.x : identity"}


def test_source_database_schema_and_identifier(dbt_scan) -> None:
    result = dbt_scan({"models/stg.sql": "select id, email from {{ source('app', 'users') }}", "models/s.yml": SOURCES})
    assert edges(result) == {
        "raw_db.landing.app_users.id -> analytics.stg.id : identity",
        "raw_db.landing.app_users.email -> analytics.stg.email : identity",
    }
    source = result.graph.relation("raw_db.landing.app_users")
    assert source.kind.value == "source" and source.columns == ("id", "email")


def test_snapshot_target_schema_is_used_verbatim(dbt_scan) -> None:
    result = dbt_scan({"snapshots/s.sql": (
        "{% snapshot users_snap %}{{ config(target_schema='history', unique_key='id', strategy='check', check_cols='all') }}"
        "select id from {{ source('app', 'users') }}{% endsnapshot %}"
    ), "models/s.yml": SOURCES})
    relation = result.graph.relation("history.users_snap")
    assert relation.kind.value == "snapshot"
    assert relation.columns == ("id", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def test_model_versions_and_two_argument_refs(dbt_scan) -> None:
    result = dbt_scan({
        "models/m.yml": "version: 2\nmodels:\n  - name: dim\n    latest_version: 2\n    versions: [{v: 1}, {v: 2}]\n",
        "models/dim_v1.sql": "select 1 as old_id",
        "models/dim_v2.sql": "select 1 as id",
        "models/use_old.sql": "select old_id from {{ ref('dim', v=1) }}",
        "models/use_latest.sql": "select id from {{ ref('shop', 'dim') }}",
    })
    assert edges(result) == {
        "analytics.dim_v1.old_id -> analytics.use_old.old_id : identity",
        "analytics.dim_v2.id -> analytics.use_latest.id : identity",
    }


def test_target_from_profiles_yml_in_the_project(dbt_scan) -> None:
    result = dbt_scan({
        "profiles.yml": "shop:\n  target: ci\n  outputs:\n    ci: {type: postgres, schema: ci_run, database: ci_db, password: hunter2}\n",
        "models/a.sql": "select 1 as x\n",
        "models/b.sql": "select x, '{{ target.name }}' as t from {{ ref('a') }}\n",
    })
    assert "ci_db.ci_run.a.x -> ci_db.ci_run.b.x : identity" in edges(result)
