"""dbt's Jinja context, one feature at a time, with hand-checked relations and column edges."""

from __future__ import annotations

import hashlib
import json

from dbt_case import diagnostics, edges

from lineage_scan.model import ColumnRef

SOURCES = """
version: 2
sources:
  - name: raw
    tables:
      - name: orders
        columns: [{name: id}, {name: customer_id}, {name: amount}, {name: status}, {name: updated_at}]
"""


def test_var_env_var_target_and_config(dbt_scan) -> None:
    result = dbt_scan({
        "models/s.yml": SOURCES,
        "models/m.sql": (
            "{{ config(materialized='table') }}\n"
            "select id, amount * {{ var('rate', 2) }} as scaled, '{{ env_var('REGION', 'eu') }}' as region\n"
            "from {{ source('raw', 'orders') }}\n"
            "where status = '{{ var('wanted') }}' and '{{ target.type }}' = 'postgres'\n"
        ),
    }, project_yml="name: shop\nvars:\n  wanted: paid\n")
    assert edges(result) == {
        "raw.orders.id -> analytics.m.id : identity",
        "raw.orders.amount -> analytics.m.scaled : transform",
        *(f"raw.orders.status -> analytics.m.{c} : filter" for c in ("id", "scaled", "region")),
    }
    assert result.graph.relation("analytics.m").kind.value == "table"
    assert diagnostics(result) == []


def test_is_incremental_lineage_of_both_branches(dbt_scan) -> None:
    result = dbt_scan({"models/s.yml": SOURCES, "models/inc.sql": (
        "{{ config(materialized='incremental', unique_key='id') }}\n"
        "select id, updated_at from {{ source('raw', 'orders') }}\n"
        "{% if is_incremental() %}\n"
        "where updated_at > (select max(updated_at) from {{ this }})\n"
        "{% endif %}\n"
    )})
    assert edges(result) == {
        "raw.orders.id -> analytics.inc.id : identity",
        "raw.orders.updated_at -> analytics.inc.updated_at : identity",
        "raw.orders.updated_at -> analytics.inc.id : filter",
        "raw.orders.updated_at -> analytics.inc.updated_at : filter",
        "analytics.inc.updated_at -> analytics.inc.id : filter",
        "analytics.inc.updated_at -> analytics.inc.updated_at : filter",
    }


def test_project_macros_return_and_adapter_dispatch(dbt_scan) -> None:
    macros = (
        "{% macro cents(col) %}{{ return(col ~ ' / 100') }}{% endmacro %}\n"
        "{% macro clean(col) %}{{ return(adapter.dispatch('clean')(col)) }}{% endmacro %}\n"
        "{% macro default__clean(col) %}trim({{ col }}){% endmacro %}\n"
        "{% macro snowflake__clean(col) %}upper({{ col }}){% endmacro %}\n"
    )
    files = {"macros/m.sql": macros, "models/s.yml": SOURCES,
             "models/m.sql": "select {{ cents('amount') }} as usd, {{ clean('status') }} as st from {{ source('raw', 'orders') }}"}
    assert edges(dbt_scan(files)) == {
        "raw.orders.amount -> analytics.m.usd : transform",
        "raw.orders.status -> analytics.m.st : transform",
    }
    snowflake = dbt_scan(files, {"dialect": "snowflake"})
    assert "raw.orders.status -> analytics.m.st : transform" in edges(snowflake)


def test_set_loops_call_statement_and_run_query_render_without_a_warehouse(dbt_scan) -> None:
    result = dbt_scan({"models/s.yml": SOURCES, "models/m.sql": (
        "{% set cols = ['id', 'amount'] %}\n"
        "{% call statement('statuses', fetch_result=True) %}select distinct status from x{% endcall %}\n"
        "{% set statuses = load_result('statuses')['data'] %}\n"
        "{% set found = run_query('select 1') %}\n"
        "{% if execute %}{% set values = found.columns[0].values() %}{% else %}{% set values = [] %}{% endif %}\n"
        "{% do log('building', info=True) %}\n"
        "select\n"
        "{% for c in cols %}  {{ c }}{{ ',' if not loop.last }}\n{% endfor %}"
        "{% for v in values %}, 1 as v_{{ v }}{% endfor %}\n"
        "from {{ source('raw', 'orders') }}\n"
    )})
    assert edges(result) == {"raw.orders.id -> analytics.m.id : identity", "raw.orders.amount -> analytics.m.amount : identity"}
    assert diagnostics(result) == []


def test_unknown_macro_is_a_placeholder_with_a_diagnostic_and_inferred_edges(dbt_scan) -> None:
    result = dbt_scan({"models/s.yml": SOURCES, "models/m.sql": (
        "select\n"
        "    id,\n"
        "    {{ my_pkg.to_usd('amount', 'EUR') }} as usd\n"
        "from {{ source('raw', 'orders') }}\n"
    )})
    assert edges(result) == {"raw.orders.id -> analytics.m.id : identity", "raw.orders.amount -> analytics.m.usd : transform"}
    certainty = {str(t): d["certainty"].value for _, t, d in result.graph.column_edges()}
    assert certainty == {"analytics.m.id": "resolved", "analytics.m.usd": "inferred"}
    [(path, line, message)] = diagnostics(result, "LS912")
    assert (path, line) == ("proj/models/m.sql", 3) and "my_pkg.to_usd" in message
    assert diagnostics(result, "LS906") == []  # 'EUR' is a literal code, not a column


def test_render_failure_is_reported_with_its_line_and_other_models_still_analysed(dbt_scan) -> None:
    result = dbt_scan({
        "models/bad.sql": "select 1 as x\n{{ exceptions.raise_compiler_error('no config for ' ~ this.name) }}\n",
        "models/escape.sql": "select {{ ''.__class__.__mro__ }} as x",
        "models/good.sql": "select 1 as y",
        "models/after.sql": "select y from {{ ref('good') }}",
    })
    failures = diagnostics(result, "LS911")
    assert ("proj/models/bad.sql", 2, "model 'bad' could not be rendered: template rendering failed: "
            "CompilationError: no config for bad") in failures
    assert any(path == "proj/models/escape.sql" and "sandbox" in message for path, _, message in failures)
    assert edges(result) == {"analytics.good.y -> analytics.after.y : identity"}
    assert result.graph.has_relation("analytics.bad")


def test_rendered_sql_that_does_not_parse_is_located_in_the_model(dbt_scan) -> None:
    result = dbt_scan({"models/m.sql": "{{ config(\n    materialized='table'\n) }}\nselect (1 as x\n"})
    [(path, line, _)] = diagnostics(result, "LS901")
    assert (path, line) == ("proj/models/m.sql", 4)


def test_locations_point_at_template_lines(dbt_scan) -> None:
    result = dbt_scan({"models/s.yml": SOURCES, "models/m.sql": (
        "{{ config(\n  materialized='view'\n) }}\n"
        "{% if false %}\nselect nothing\n{% endif %}\n"
        "select\n  id,\n  amount as total\nfrom {{ source('raw', 'orders') }}\n"
    )})
    lines = {str(t): d["location"].start_line for _, t, d in result.graph.column_edges()}
    assert lines == {"analytics.m.id": 8, "analytics.m.total": 9}


def test_star_and_dbt_utils_star_expand_through_model_chains(dbt_scan) -> None:
    result = dbt_scan({"models/s.yml": SOURCES,
                       "models/a.sql": "select * from {{ source('raw', 'orders') }}",
                       "models/b.sql": "select {{ dbt_utils.star(ref('a'), except=['status', 'updated_at']) }} from {{ ref('a') }}",
                       "models/c.sql": "select * from {{ ref('b') }}"})
    assert result.graph.columns_of("analytics.c") == ("id", "customer_id", "amount")
    assert "analytics.b.amount -> analytics.c.amount : identity" in edges(result)
    assert not any("*" in e for e in edges(result))


def test_dbt_utils_stand_ins_have_real_column_semantics(dbt_scan) -> None:
    seeds = {"seeds/eu.csv": "id,amount\n1,2\n", "seeds/us.csv": "id,amount,tax\n1,2,3\n"}
    result = dbt_scan({**seeds, "models/s.yml": SOURCES,
                       "models/u.sql": "{{ dbt_utils.union_relations([ref('eu'), ref('us')]) }}",
                       "models/k.sql": (
                           "select {{ dbt_utils.generate_surrogate_key(['id', 'customer_id']) }} as sk,\n"
                           "  {{ dbt_utils.safe_divide('amount', 'customer_id') }} as ratio,\n"
                           "  {{ dbt_utils.pivot('status', ['paid', 'open']) }}\n"
                           "from {{ source('raw', 'orders') }}\n{{ dbt_utils.group_by(2) }}\n"),
                       "models/d.sql": "{{ dbt_utils.date_spine('day', \"cast('2024-01-01' as date)\", \"cast('2024-02-01' as date)\") }}"})
    assert result.graph.columns_of("analytics.u") == ("id", "amount", "tax", "_dbt_source_relation")
    assert {e for e in edges(result) if "analytics.u." in e} == {
        "analytics.eu.id -> analytics.u.id : identity", "analytics.us.id -> analytics.u.id : identity",
        "analytics.eu.amount -> analytics.u.amount : identity", "analytics.us.amount -> analytics.u.amount : identity",
        "analytics.us.tax -> analytics.u.tax : identity",
    }
    assert result.graph.columns_of("analytics.k") == ("sk", "ratio", "paid", "open")
    direct = {e for e in edges(result) if "analytics.k." in e and not e.endswith("group_by")}
    assert direct == {
        "raw.orders.id -> analytics.k.sk : transform", "raw.orders.customer_id -> analytics.k.sk : transform",
        "raw.orders.amount -> analytics.k.ratio : transform", "raw.orders.customer_id -> analytics.k.ratio : transform",
        "raw.orders.status -> analytics.k.paid : conditional", "raw.orders.status -> analytics.k.open : conditional",
    }
    assert result.graph.columns_of("analytics.d") == ("date_day",)


def test_ephemeral_python_and_seed_models(dbt_scan) -> None:
    result = dbt_scan({
        "seeds/plans.csv": "code,price\nA,1\n",
        "models/e.sql": "{{ config(materialized='ephemeral') }} select code from {{ ref('plans') }}",
        "models/p.py": "def model(dbt, session):\n    dbt.config(materialized='table')\n    return dbt.ref('e').to_pandas()\n",
    })
    assert result.graph.relation("analytics.e").kind.value == "ephemeral"
    assert result.graph.relation("analytics.plans").kind.value == "seed"
    assert result.graph.relation("analytics.p").kind.value == "table"
    assert result.graph.upstream_relations("analytics.p") == ["analytics.e"]
    task = next(t for t in result.graph.tasks() if t.id == "dbt:shop.p")
    assert task.upstream == ("dbt:shop.e",) and task.writes == ("analytics.p",)
    # the Python analysis runs with the project's names: `dbt.ref('e')` is analytics.e, the result analytics.p
    assert result.graph.columns_of("analytics.p") == ("code",)
    assert result.graph.upstream(ColumnRef("analytics.p", "code")) == [ColumnRef("analytics.e", "code"),
                                                                         ColumnRef("analytics.plans", "code")]


def test_unknown_refs_and_sources_are_diagnosed(dbt_scan) -> None:
    result = dbt_scan({"models/m.sql": "select a from {{ ref('nowhere') }} join {{ source('x', 'y') }} on true"})
    messages = [m for _, _, m in diagnostics(result, "LS913")]
    assert any("ref('nowhere')" in m for m in messages) and any("source('x', 'y')" in m for m in messages)


def test_manifest_compiled_code_is_the_fallback_when_rendering_fails(dbt_scan) -> None:
    model = "select {{ exceptions.raise_compiler_error('needs the warehouse') }}"
    manifest = {
        "nodes": {
            "model.shop.m": {"name": "m", "relation_name": '"prod"."dbt_x"."m"',
                             "compiled_code": 'select id from "prod"."dbt_x"."up"',
                             "checksum": {"name": "sha256", "checksum": hashlib.sha256(model.encode()).hexdigest()}},
            "model.shop.up": {"name": "up", "relation_name": '"prod"."dbt_x"."up"'},
        },
        "sources": {},
    }
    files = {"models/m.sql": model, "models/up.sql": "select 1 as id", "target/manifest.json": json.dumps(manifest)}
    assert edges(dbt_scan(files)) == {"analytics.up.id -> analytics.m.id : identity"}
    stale = {**files, "models/m.sql": model + "\n-- edited since"}
    assert edges(dbt_scan(stale)) == set()
