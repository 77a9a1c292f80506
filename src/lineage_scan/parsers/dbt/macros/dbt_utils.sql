{#- lineage-scan's stand-ins for the most used dbt_utils macros, written for this tool from the
    package's documented behaviour (inputs, outputs, output column names). They are used whether or
    not dbt_utils is installed; the macros that need to know a relation's columns (star,
    union_relations, unpivot, ...) are implemented in Python (standins.py). -#}

{% macro generate_surrogate_key(field_list) -%}
  {%- set parts = [] -%}
  {%- for field in field_list -%}
    {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_dbt_utils_surrogate_key_null_')") -%}
    {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
  {%- endfor -%}
  md5(concat({{ parts | join(', ') }}))
{%- endmacro %}

{% macro surrogate_key(field_list) -%}
  {%- set fields = field_list if field_list is iterable and field_list is not string else varargs -%}
  {{ dbt_utils.generate_surrogate_key(fields if fields else [field_list]) }}
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
  ( {{ numerator }} ) / nullif( ( {{ denominator }} ), 0)
{%- endmacro %}

{% macro safe_add(field_list) -%}
  {%- set fields = [] -%}
  {%- for field in field_list %}{% do fields.append("coalesce(" ~ field ~ ", 0)") %}{% endfor -%}
  {{ fields | join(' + ') }}
{%- endmacro %}

{% macro safe_subtract(field_list) -%}
  {%- set fields = [] -%}
  {%- for field in field_list %}{% do fields.append("coalesce(" ~ field ~ ", 0)") %}{% endfor -%}
  {{ fields | join(' - ') }}
{%- endmacro %}

{% macro group_by(n) -%}
  group by {% for i in range(1, n + 1) %}{{ i }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{% macro pivot(column, values, alias=True, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0,
               quote_identifiers=True, distinct=False) -%}
  {%- for value in values -%}
    {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ dbt.escape_single_quotes(value) }}'
      then {{ then_value }} else {{ else_value }} end)
    {%- if alias %} as {{ adapter.quote(prefix ~ value ~ suffix) if quote_identifiers else dbt_utils.slugify(prefix ~ value ~ suffix) }}{% endif %}
    {%- if not loop.last %},{% endif %}
  {% endfor -%}
{%- endmacro %}

{% macro slugify(string) -%}
  {%- set slug = modules.re.sub('[^a-z0-9_]+', '_', (string | string | lower | trim)) -%}
  {{- '_' ~ slug if modules.re.match('^[0-9]', slug) else slug -}}
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
  select date_{{ datepart }}
  from (
    select {{ dbt.dateadd(datepart, "row_number() over (order by 1) - 1", start_date) }} as date_{{ datepart }}
    from {{ dbt_utils.generate_series(1) | trim }}
  ) as all_periods
  where date_{{ datepart }} <= {{ end_date }}
{%- endmacro %}

{% macro generate_series(upper_bound) -%}
  (select 1 as generated_number) as series
{%- endmacro %}

{% macro deduplicate(relation, partition_by, order_by) -%}
  select * {{ 'exclude' if target.type in ('snowflake', 'duckdb') else 'except' }} (dbt_utils_row_number)
  from (
    select _inner.*, row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as dbt_utils_row_number
    from {{ relation }} as _inner
  ) as deduplicated
  where dbt_utils_row_number = 1
{%- endmacro %}

{% macro width_bucket(expr, min_value, max_value, num_buckets) -%}
  width_bucket({{ expr }}, {{ min_value }}, {{ max_value }}, {{ num_buckets }})
{%- endmacro %}

{% macro haversine_distance(lat1, lon1, lat2, lon2, unit='mi') -%}
  haversine({{ lat1 }}, {{ lon1 }}, {{ lat2 }}, {{ lon2 }})
{%- endmacro %}

{% macro get_url_parameter(field, url_parameter) -%}
  split_part(split_part({{ field }}, '{{ url_parameter }}=', 2), '&', 1)
{%- endmacro %}

{% macro get_url_host(field) -%}
  split_part(split_part({{ field }}, '//', 2), '/', 1)
{%- endmacro %}

{% macro get_url_path(field) -%}
  split_part(split_part({{ field }}, '//', 2), '?', 1)
{%- endmacro %}

{% macro log_info(message) %}{% endmacro %}
{% macro pretty_time(format='%H:%M:%S') %}{{ run_started_at.strftime(format) }}{% endmacro %}
{% macro pretty_log_format(message) %}{{ message }}{% endmacro %}

{#- Legacy dbt_utils names of dbt's cross-database macros. -#}
{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ dbt.dateadd(datepart, interval, from_date_or_timestamp) }}{% endmacro %}
{% macro datediff(first_date, second_date, datepart) %}{{ dbt.datediff(first_date, second_date, datepart) }}{% endmacro %}
{% macro date_trunc(datepart, date) %}{{ dbt.date_trunc(datepart, date) }}{% endmacro %}
{% macro last_day(date, datepart) %}{{ dbt.last_day(date, datepart) }}{% endmacro %}
{% macro current_timestamp() %}{{ dbt.current_timestamp() }}{% endmacro %}
{% macro concat(fields) %}{{ dbt.concat(fields) }}{% endmacro %}
{% macro hash(field) %}{{ dbt.hash(field) }}{% endmacro %}
{% macro safe_cast(field, type) %}{{ dbt.safe_cast(field, type) }}{% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}{{ dbt.split_part(string_text, delimiter_text, part_number) }}{% endmacro %}
{% macro type_string() %}{{ dbt.type_string() }}{% endmacro %}
{% macro type_int() %}{{ dbt.type_int() }}{% endmacro %}
{% macro type_timestamp() %}{{ dbt.type_timestamp() }}{% endmacro %}
{% macro type_numeric() %}{{ dbt.type_numeric() }}{% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}{{ dbt.listagg(measure, delimiter_text) }}{% endmacro %}
{% macro any_value(expression) %}{{ dbt.any_value(expression) }}{% endmacro %}
{% macro bool_or(expression) %}{{ dbt.bool_or(expression) }}{% endmacro %}
{% macro cast_bool_to_text(field) %}{{ dbt.cast_bool_to_text(field) }}{% endmacro %}
{% macro escape_single_quotes(expression) %}{{ dbt.escape_single_quotes(expression) }}{% endmacro %}
{% macro position(substring_text, string_text) %}{{ dbt.position(substring_text, string_text) }}{% endmacro %}
{% macro length(expression) %}{{ dbt.length(expression) }}{% endmacro %}
{% macro replace(field, old_chars, new_chars) %}{{ dbt.replace(field, old_chars, new_chars) }}{% endmacro %}
{% macro right(string_text, length_expression) %}{{ dbt.right(string_text, length_expression) }}{% endmacro %}
{% macro except() %}{{ dbt.except() }}{% endmacro %}
{% macro intersect() %}{{ dbt.intersect() }}{% endmacro %}
