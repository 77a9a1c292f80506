"""Three macro-heavy dbt projects, written the way teams write them, with no packages installed,
to measure how many models lineage-scan renders and parses from source.

    python benchmarks/dbt_projects.py --out /tmp/dbt_bench      # writes the projects and scans them

Each project declares packages in `packages.yml` (dbt_utils, dbt_date, codegen, audit_helper...)
that are *not* installed, uses project macros with `adapter.dispatch`, `run_query` and `return`,
incremental models, snapshots, seeds, `var`/`env_var`, loops over column lists and a custom
`generate_schema_name`. The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path

COMMON_MACROS = {
    "macros/generate_schema_name.sql": """
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}{{ default_schema }}
    {%- elif env_var('DBT_ENV', 'dev') == 'prod' -%}{{ custom_schema_name | trim }}
    {%- else -%}{{ default_schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
""",
    "macros/audit.sql": """
{% macro audit_columns(source_ts='_loaded_at') -%}
    {{ source_ts }} as _source_loaded_at,
    {{ dbt.current_timestamp() }} as _dbt_updated_at,
    '{{ invocation_id }}' as _dbt_invocation_id
{%- endmacro %}
""",
    "macros/money.sql": """
{% macro to_currency(column, from_unit='cents', scale=2) -%}
    {{ return(adapter.dispatch('to_currency')(column, from_unit, scale)) }}
{%- endmacro %}
{% macro default__to_currency(column, from_unit, scale) -%}
    {%- if from_unit == 'cents' -%}round({{ column }} / 100.0, {{ scale }}){%- else -%}round({{ column }}, {{ scale }}){%- endif -%}
{%- endmacro %}
{% macro bigquery__to_currency(column, from_unit, scale) -%}
    round(safe_divide({{ column }}, 100), {{ scale }})
{%- endmacro %}
""",
    "macros/columns.sql": """
{% macro select_renamed(mapping) -%}
    {%- for source_name, target_name in mapping.items() %}
    {{ source_name }} as {{ target_name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
{% macro get_distinct(relation, column) -%}
    {%- set query -%}select distinct {{ column }} from {{ relation }} order by 1{%- endset -%}
    {%- set results = run_query(query) -%}
    {%- if execute -%}{%- set values = results.columns[0].values() -%}{%- else -%}{%- set values = [] -%}{%- endif -%}
    {{ return(values) }}
{%- endmacro %}
{% macro boolean_flags(columns) -%}
    {%- for c in columns %}
    coalesce({{ c }}, false) as is_{{ c }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
""",
    "packages.yml": """
packages:
  - package: dbt-labs/dbt_utils
    version: [">=1.1.0", "<2.0.0"]
  - package: calogica/dbt_date
    version: [">=0.10.0", "<0.11.0"]
  - package: dbt-labs/codegen
    version: 0.12.1
  - package: dbt-labs/audit_helper
    version: 0.12.0
""",
}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")


def _sources_yml(source: str, tables: dict[str, list[str]]) -> str:
    lines = ["version: 2", "sources:", f"  - name: {source}", "    schema: raw_" + source, "    tables:"]
    for table, columns in tables.items():
        lines += [f"      - name: {table}", "        columns:"] + [f"          - name: {c}" for c in columns]
    return "\n".join(lines) + "\n"


def ecommerce(root: Path, rng: random.Random, regions: int) -> None:
    """Multi-region shop: regional sources unioned, payments pivoted, orders incremental."""
    names = [f"r{i}" for i in range(regions)]
    tables = {}
    files = dict(COMMON_MACROS)
    files["dbt_project.yml"] = """
name: ecommerce
profile: ecommerce
vars:
  payment_methods: ['card', 'paypal', 'gift_card', 'bank_transfer']
  start_date: '2020-01-01'
models:
  ecommerce:
    staging: {+materialized: view, +schema: staging}
    intermediate: {+materialized: ephemeral}
    marts: {+materialized: table, +schema: marts}
"""
    for region in names:
        tables[f"orders_{region}"] = ["id", "user_id", "order_date", "status", "amount_cents", "_loaded_at"]
        tables[f"payments_{region}"] = ["id", "order_id", "payment_method", "amount_cents", "created_at", "_loaded_at"]
        files[f"models/staging/{region}/stg_orders_{region}.sql"] = f"""
select
    {{{{ select_renamed({{'id': 'order_id', 'user_id': 'customer_id', 'order_date': 'ordered_at', 'status': 'order_status'}}) }}}},
    {{{{ to_currency('amount_cents') }}}} as amount,
    '{region}' as region,
    {{{{ audit_columns() }}}}
from {{{{ source('shop', 'orders_{region}') }}}}
where order_date >= '{{{{ var("start_date") }}}}'
"""
        files[f"models/staging/{region}/stg_payments_{region}.sql"] = f"""
select
    id as payment_id,
    order_id,
    payment_method,
    {{{{ to_currency('amount_cents') }}}} as amount,
    {{{{ dbt_date.convert_timezone('created_at', 'UTC') }}}} as created_at
from {{{{ source('shop', 'payments_{region}') }}}}
"""
    files["models/staging/_sources.yml"] = _sources_yml("shop", tables)
    files["models/intermediate/int_orders_unioned.sql"] = (
        "{{ dbt_utils.union_relations(relations=[" + ", ".join(f"ref('stg_orders_{r}')" for r in names) + "]) }}\n")
    files["models/intermediate/int_payments_unioned.sql"] = (
        "{{ dbt_utils.union_relations(relations=[" + ", ".join(f"ref('stg_payments_{r}')" for r in names) + "]) }}\n")
    files["models/marts/order_payments.sql"] = """
{%- set methods = var('payment_methods') -%}
select
    order_id,
    {% for m in methods -%}
    sum(case when payment_method = '{{ m }}' then amount else 0 end) as {{ m }}_amount,
    {% endfor -%}
    sum(amount) as total_amount
from {{ ref('int_payments_unioned') }}
group by 1
"""
    files["models/marts/payment_method_pivot.sql"] = """
select
    order_id,
    {{ dbt_utils.pivot('payment_method', dbt_utils.get_column_values(ref('int_payments_unioned'), 'payment_method'), agg='sum', then_value='amount') }}
from {{ ref('int_payments_unioned') }}
group by 1
"""
    files["models/marts/fct_orders.sql"] = """
{{ config(materialized='incremental', unique_key='order_id', incremental_strategy='merge') }}
with orders as (
    select * from {{ ref('int_orders_unioned') }}
    {% if is_incremental() %}
    where _source_loaded_at > (select max(_source_loaded_at) from {{ this }})
    {% endif %}
)
select
    {{ dbt_utils.generate_surrogate_key(['orders.order_id', 'orders.region']) }} as order_key,
    {{ dbt_utils.star(from=ref('int_orders_unioned'), relation_alias='orders', except=['_dbt_source_relation']) }},
    payments.total_amount,
    {{ dbt_utils.safe_divide('payments.card_amount', 'payments.total_amount') }} as card_share
from orders
left join {{ ref('order_payments') }} as payments using (order_id)
"""
    files["models/marts/dim_dates.sql"] = """
{{ config(materialized='table') }}
with spine as (
    {{ dbt_utils.date_spine(datepart='day', start_date="cast('" ~ var('start_date') ~ "' as date)", end_date='current_date') }}
)
select
    date_day,
    {{ dbt_date.day_of_week('date_day') }} as day_of_week,
    {{ dbt.date_trunc('month', 'date_day') }} as month_start
from spine
"""
    files["models/marts/customer_orders.sql"] = """
select
    customer_id,
    count(*) as orders,
    min(ordered_at) as first_order_at,
    max(ordered_at) as last_order_at,
    {{ dbt.datediff('min(ordered_at)', 'max(ordered_at)', 'day') }} as active_days,
    sum(amount) as lifetime_value
from {{ ref('fct_orders') }}
{{ dbt_utils.group_by(1) }}
"""
    files["snapshots/orders_snapshot.sql"] = """
{% snapshot orders_snapshot %}
{{ config(target_schema='snapshots', unique_key='order_id', strategy='check', check_cols=['order_status', 'amount']) }}
select * from {{ ref('int_orders_unioned') }}
{% endsnapshot %}
"""
    _write(root, files)


def fintech(root: Path, rng: random.Random, products: int) -> None:
    """Ledger marts: per-product models from a loop in Python, snapshots, heavy custom macros."""
    files = dict(COMMON_MACROS)
    files["dbt_project.yml"] = """
name: fintech
profile: fintech
dispatch:
  - macro_namespace: dbt_utils
    search_order: ['fintech', 'dbt_utils']
models:
  fintech:
    +meta: {owner: ledger-team}
    staging: {+materialized: view, +schema: stg}
    ledger: {+materialized: incremental, +schema: ledger}
    reporting: {+materialized: table, +schema: reporting}
seeds:
  fintech: {+schema: ref}
"""
    files["seeds/fx_rates.csv"] = "currency,rate_to_usd,valid_from\nEUR,1.08,2024-01-01\nGBP,1.27,2024-01-01\n"
    files["seeds/products.csv"] = "product_code,product_name,product_line\n" + "".join(
        f"P{i},Product {i},line_{i % 4}\n" for i in range(products))
    files["macros/ledger.sql"] = """
{% macro signed_amount(amount_col, direction_col) -%}
    case when {{ direction_col }} = 'debit' then -1 * {{ amount_col }} else {{ amount_col }} end
{%- endmacro %}
{% macro fx_convert(amount_col, currency_col) -%}
    {{ amount_col }} * coalesce(fx.rate_to_usd, 1)
{%- endmacro %}
{% macro incremental_filter(ts_col, lookback_days=3) -%}
    {%- if is_incremental() -%}
    where {{ ts_col }} >= (select {{ dbt.dateadd('day', -lookback_days, 'max(' ~ ts_col ~ ')') }} from {{ this }})
    {%- endif -%}
{%- endmacro %}
"""
    tables = {"transactions": ["id", "account_id", "product_code", "amount", "currency", "direction", "booked_at", "_loaded_at"],
              "accounts": ["id", "customer_id", "opened_at", "status", "branch", "_loaded_at"]}
    files["models/staging/_sources.yml"] = _sources_yml("core_banking", tables)
    files["models/staging/stg_transactions.sql"] = """
select
    id as transaction_id,
    account_id,
    product_code,
    {{ signed_amount('amount', 'direction') }} as signed_amount,
    upper(currency) as currency,
    booked_at,
    {{ audit_columns() }}
from {{ source('core_banking', 'transactions') }}
"""
    files["models/staging/stg_accounts.sql"] = """
select {{ dbt_utils.star(source('core_banking', 'accounts'), except=['_loaded_at']) }}
from {{ source('core_banking', 'accounts') }}
where status != 'test'
"""
    for i in range(products):
        files[f"models/ledger/ledger_p{i}.sql"] = f"""
{{{{ config(unique_key='transaction_id', tags=['ledger', 'p{i}']) }}}}
select
    t.transaction_id,
    t.account_id,
    a.customer_id,
    {{{{ fx_convert('t.signed_amount', 't.currency') }}}} as amount_usd,
    t.booked_at,
    {{{{ dbt_date.to_unixtimestamp('t.booked_at') }}}} as booked_epoch
from {{{{ ref('stg_transactions') }}}} as t
join {{{{ ref('stg_accounts') }}}} as a on a.id = t.account_id
left join {{{{ ref('fx_rates') }}}} as fx on fx.currency = t.currency
where t.product_code = 'P{i}'
{{{{ incremental_filter('t.booked_at') | replace('where', 'and') }}}}
"""
    files["models/reporting/balances.sql"] = "\n".join(
        [f"select 'P{i}' as product_code, customer_id, sum(amount_usd) as balance_usd from {{{{ ref('ledger_p{i}') }}}} group by 1, 2"
         + ("\nunion all" if i < products - 1 else "") for i in range(products)])
    files["models/reporting/customer_balances.sql"] = """
{% set lines = ['line_0', 'line_1', 'line_2', 'line_3'] %}
select
    b.customer_id,
    {% for line in lines %}
    sum(case when p.product_line = '{{ line }}' then b.balance_usd end) as {{ line }}_balance,
    {% endfor %}
    sum(b.balance_usd) as total_balance
from {{ ref('balances') }} as b
join {{ ref('products') }} as p using (product_code)
group by b.customer_id
"""
    files["models/reporting/audit_compare.sql"] = """
{{ audit_helper.compare_relations(a_relation=ref('balances'), b_relation=ref('customer_balances'), primary_key='customer_id') }}
"""
    files["snapshots/accounts_snapshot.sql"] = """
{% snapshot accounts_snapshot %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='_loaded_at') }}
select * from {{ source('core_banking', 'accounts') }}
{% endsnapshot %}
"""
    _write(root, files)


def saas(root: Path, rng: random.Random, events: int) -> None:
    """Product analytics: one staging model per event type, metric models generated from a var."""
    files = dict(COMMON_MACROS)
    files["dbt_project.yml"] = """
name: saas
profile: saas
vars:
  saas:
    metrics: ['sessions', 'clicks', 'errors', 'exports']
    lookback_days: 28
models:
  saas:
    +materialized: view
    events: {+schema: events}
    metrics: {+materialized: table, +schema: metrics}
"""
    tables = {f"event_{i}": ["event_id", "user_id", "account_id", "event_ts", "properties", "plan", "device", "is_mobile"] for i in range(events)}
    tables["users"] = ["user_id", "account_id", "email", "created_at", "is_internal"]
    files["models/events/_sources.yml"] = _sources_yml("segment", tables)
    for i in range(events):
        files[f"models/events/stg_event_{i}.sql"] = f"""
{{{{ config(materialized='incremental', unique_key='event_id') if rng_placeholder else config(materialized='view') }}}}
select
    event_id,
    user_id,
    account_id,
    event_ts,
    'event_{i}' as event_name,
    json_extract_path_text(properties, 'page') as page,
    {{{{ boolean_flags(['is_mobile']) if {i % 2} else "'web' as channel" }}}},
    plan
from {{{{ source('segment', 'event_{i}') }}}}
{{% if is_incremental() %}}where event_ts > (select max(event_ts) from {{{{ this }}}}){{% endif %}}
""".replace("rng_placeholder", "True" if rng.random() < 0.5 else "False")
    files["models/events/stg_users.sql"] = """
select {{ dbt_utils.star(source('segment', 'users'), except=['is_internal']) }}
from {{ source('segment', 'users') }}
where not is_internal
"""
    files["models/events/all_events.sql"] = (
        "{{ dbt_utils.union_relations(relations=[" + ", ".join(f"ref('stg_event_{i}')" for i in range(events))
        + "], include=['event_id', 'user_id', 'account_id', 'event_ts', 'event_name', 'plan']) }}\n")
    files["models/metrics/daily_activity.sql"] = """
select
    {{ dbt.date_trunc('day', 'e.event_ts') }} as activity_date,
    e.account_id,
    {% for metric in var('metrics') %}
    count(distinct case when e.event_name = '{{ metric }}' then e.user_id end) as {{ metric }}_users,
    {% endfor %}
    count(*) as events
from {{ ref('all_events') }} as e
join {{ ref('stg_users') }} as u on u.user_id = e.user_id
where e.event_ts >= {{ dbt.dateadd('day', -var('lookback_days'), dbt.current_timestamp()) }}
group by 1, 2
"""
    files["models/metrics/account_health.sql"] = """
with activity as (select * from {{ ref('daily_activity') }})
select
    account_id,
    {{ dbt_utils.safe_divide('sum(errors_users)', 'sum(sessions_users)') }} as error_rate,
    avg(events) as avg_daily_events,
    {{ codegen.generate_column_yaml(account_id) }} as generated_placeholder
from activity
group by account_id
"""
    files["models/metrics/plan_mix.py"] = """
def model(dbt, session):
    dbt.config(materialized='table')
    events = dbt.ref('all_events').to_pandas()
    return events.groupby('plan').size().reset_index(name='events')
"""
    _write(root, files)


PROJECTS = {"ecommerce": (ecommerce, 12), "fintech": (fintech, 20), "saas": (saas, 40)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from lineage_scan import scan
    from lineage_scan.report.summary import summarise

    shutil.rmtree(args.out, ignore_errors=True)
    for name, (build, size) in PROJECTS.items():
        root = args.out / name
        build(root, random.Random(args.seed), size)
        started = time.perf_counter()
        result = scan(root, {"dialect": "snowflake", "dbt": {"env": {"DBT_ENV": "prod"}}})
        elapsed = time.perf_counter() - started
        dbt = summarise(result)["dbt"]
        print(f"{name:10s} {dbt['models']:3d} models/snapshots: {dbt['rendered_pct']}% rendered, {dbt['parsed_pct']}% parsed, "
              f"{dbt['columns_resolved']}/{dbt['columns']} columns resolved ({dbt['columns_resolved_pct']}%), {elapsed:.1f} s")
        for d in result.diagnostics:
            if d.severity.value == "error" or d.code in ("LS911", "LS901"):
                print(f"    {d.location}: {d.code} {d.message[:150]}")


if __name__ == "__main__":
    main()
