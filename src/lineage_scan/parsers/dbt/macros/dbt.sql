{#- lineage-scan's stand-ins for dbt's built-in macros (the `dbt` namespace, also callable unqualified).
    Written for this tool from dbt's documented behaviour: naming macros follow dbt's defaults, and
    the cross-database macros produce neutral SQL whose column references are those of their
    arguments, which is all column lineage needs. -#}

{% macro generate_schema_name(custom_schema_name, node) -%}
  {{ return(adapter.dispatch('generate_schema_name', 'dbt')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro generate_schema_name_for_env(custom_schema_name, node) -%}
  {%- if target.name == 'prod' and custom_schema_name is not none -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {{ return(adapter.dispatch('generate_alias_name', 'dbt')(custom_alias_name, node)) }}
{%- endmacro %}

{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}
  {%- elif node.version -%}{{ node.name ~ "_v" ~ (node.version | replace(".", "_")) }}
  {%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}

{% macro generate_database_name(custom_database_name=none, node=none) -%}
  {{ return(adapter.dispatch('generate_database_name', 'dbt')(custom_database_name, node)) }}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name=none, node=none) -%}
  {%- if custom_database_name is none -%}{{ target.database }}{%- else -%}{{ custom_database_name | trim }}{%- endif -%}
{%- endmacro %}

{# ---- types ---- #}
{% macro type_string() %}{{ 'string' if target.type in ('bigquery', 'spark', 'databricks') else 'varchar' }}{% endmacro %}
{% macro type_int() %}{{ 'int64' if target.type == 'bigquery' else 'int' }}{% endmacro %}
{% macro type_bigint() %}{{ 'int64' if target.type == 'bigquery' else 'bigint' }}{% endmacro %}
{% macro type_float() %}{{ 'float64' if target.type == 'bigquery' else 'float' }}{% endmacro %}
{% macro type_numeric() %}{{ 'numeric' }}{% endmacro %}
{% macro type_timestamp() %}{{ 'timestamp' }}{% endmacro %}
{% macro type_boolean() %}{{ 'boolean' }}{% endmacro %}

{# ---- cross-database functions ---- #}
{% macro current_timestamp() %}current_timestamp{% endmacro %}
{% macro current_timestamp_backcompat() %}current_timestamp{% endmacro %}
{% macro current_timestamp_in_utc_backcompat() %}current_timestamp{% endmacro %}
{% macro snapshot_get_time() %}current_timestamp{% endmacro %}
{% macro dateadd(datepart, interval, from_date_or_timestamp) %}dateadd('{{ datepart }}', {{ interval }}, {{ from_date_or_timestamp }}){% endmacro %}
{% macro datediff(first_date, second_date, datepart) %}datediff('{{ datepart }}', {{ first_date }}, {{ second_date }}){% endmacro %}
{% macro date_trunc(datepart, date) %}date_trunc('{{ datepart }}', {{ date }}){% endmacro %}
{% macro last_day(date, datepart) %}last_day({{ date }}){% endmacro %}
{% macro concat(fields) %}concat({{ fields | join(', ') }}){% endmacro %}
{% macro hash(field) %}md5(cast({{ field }} as {{ type_string() }})){% endmacro %}
{% macro safe_cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{% macro cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}listagg({{ measure }}, {{ delimiter_text }}){% endmacro %}
{% macro position(substring_text, string_text) %}position({{ substring_text }} in {{ string_text }}){% endmacro %}
{% macro length(expression) %}length({{ expression }}){% endmacro %}
{% macro replace(field, old_chars, new_chars) %}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){% endmacro %}
{% macro right(string_text, length_expression) %}right({{ string_text }}, {{ length_expression }}){% endmacro %}
{% macro cast_bool_to_text(field) %}cast({{ field }} as {{ type_string() }}){% endmacro %}
{% macro any_value(expression) %}any_value({{ expression }}){% endmacro %}
{% macro bool_or(expression) %}bool_or({{ expression }}){% endmacro %}
{% macro escape_single_quotes(expression) %}{{ expression | replace("'", "''") }}{% endmacro %}
{% macro string_literal(value) %}'{{ value }}'{% endmacro %}
{% macro except() %}except{% endmacro %}
{% macro intersect() %}intersect{% endmacro %}
{% macro array_construct(inputs=[], data_type=none) %}array_construct({{ inputs | join(', ') }}){% endmacro %}
{% macro array_append(array, new_element) %}array_append({{ array }}, {{ new_element }}){% endmacro %}
{% macro array_concat(array_1, array_2) %}array_cat({{ array_1 }}, {{ array_2 }}){% endmacro %}
{% macro date(year, month, day) %}date_from_parts({{ year }}, {{ month }}, {{ day }}){% endmacro %}

{# ---- what materializations and hooks call: nothing to render statically ---- #}
{% macro run_hooks(hooks, inside_transaction=True) %}{% endmacro %}
{% macro create_table_as(temporary, relation, sql) %}{% endmacro %}
{% macro create_view_as(relation, sql) %}{% endmacro %}
{% macro drop_relation_if_exists(relation) %}{% endmacro %}
{% macro get_columns_in_query(select_sql) %}{{ return([]) }}{% endmacro %}
{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') %}{{ return(on_schema_change or default) }}{% endmacro %}
