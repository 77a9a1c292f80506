"""Property-based fuzzing of the dbt, Airflow and Python parsers through whole scans: generated and
mutated dbt projects (project file, models with Jinja, properties YAML, macros, profiles, Python
models) and Airflow DAG files give a result and diagnostics, never an exception or a parser crash.

Each example is a whole scan, so CI runs few of them (the `ci` profile); `benchmarks/fuzz_parsers.py`
runs many more with the `long` profile. Crashers found are kept in `CRASHERS` (and as `@example`s).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lineage_scan import scan
from lineage_scan.config import ConfigError

EXAMPLES = 1000 if os.environ.get("LINEAGE_SCAN_FUZZ_PROFILE") == "long" else 12
BUG_CODES = {"LS941"}
"""Diagnostics that are bugs of ours, not findings about the input (a parser that raised)."""

NAMES = st.sampled_from(["orders", "customers", "stg_orders", "x", "", "a.b", "1", "Ünï", "<b>", "ref", "this", None])
SCALARS = st.one_of(NAMES, st.integers(-3, 3), st.booleans(), st.floats(allow_nan=True), st.text(max_size=8))
KEYS = st.sampled_from([
    "version", "models", "sources", "seeds", "snapshots", "exposures", "macros", "name", "columns", "description",
    "tests", "data_tests", "meta", "owner", "tags", "config", "tables", "schema", "database", "identifier",
    "depends_on", "type", "url", "alias", "materialized", "enabled", "ml", "features", "target", "arguments",
    "constraints", "data_type", "vars", "model-paths", "macro-paths", "profile", "+schema", "+materialized",
    "loaded_at_field", "freshness", "quote", "docs", "latest_version", "versions", "v", "include", "exclude",
])


def _yaml_values(depth: int = 3) -> st.SearchStrategy:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(KEYS, NAMES), inner, max_size=5)),
        max_leaves=25,
    )


PROJECT_FILE = st.one_of(
    st.builds(lambda extra: yaml.safe_dump({"name": "shop", "profile": "shop", **extra}),
              st.dictionaries(KEYS, _yaml_values(), max_size=4)),
    st.builds(yaml.safe_dump, _yaml_values()),
    st.sampled_from(["name: shop\nprofile: shop\n", "name: [\n", "", "- a\n- b\n", "name: 3\n", "name: shop\nmodels: 7\n"]),
)
PROPERTIES = st.one_of(
    st.builds(yaml.safe_dump, st.dictionaries(KEYS, _yaml_values(), max_size=4)),
    st.builds(lambda models: yaml.safe_dump({"version": 2, "models": models}), st.lists(_yaml_values(), max_size=3)),
    st.text(max_size=60),
)
JINJA_PIECES = st.sampled_from([
    "select", "*", "id", ",", "amount", "from", "where", "1 = 1", "join", "on", "group by 1", "(", ")", ";",
    "{{ ref('orders') }}", "{{ ref('customers') }}", "{{ ref('shop', 'orders') }}", "{{ ref('nope') }}",
    "{{ source('app', 'orders') }}", "{{ source('app') }}", "{{ config(materialized='table') }}",
    "{{ config(alias=ref) }}", "{{ config(**{'schema': 1}) }}", "{{ this }}", "{{ var('v') }}", "{{ var('v', 3) }}",
    "{{ env_var('X') }}", "{{ m(1) }}", "{{ m() }}", "{{ adapter.dispatch('m')() }}", "{{ dbt_utils.star(ref('orders')) }}",
    "{% macro m(x=2) %}{{ x }}{% endmacro %}", "{% if is_incremental() %}", "{% endif %}", "{% else %}",
    "{% for i in range(3) %}", "{% endfor %}", "{% set cols = ['a', 'b'] %}", "{{ cols | join(', ') }}",
    "{{ ''.__class__ }}", "{{ range(10**9) | list }}", "{% include '../../etc/passwd' %}", "{{ run_query('x') }}",
    "{{", "}}", "{%", "%}", "{#", "#}", "{{ 1/0 }}", "{{ none.x }}", "{{ [].pop() }}", "{{ caller() }}",
    "{{ return(1) }}", "{{ exceptions.raise_compiler_error('no') }}", "{{ log('x') }}", "{{ tojson({}) }}",
    "{{ fromyaml('a: [') }}", "{{ fromjson('{') }}", "{{ is_incremental() }}", "-- lineage-scan: ignore[LS999]",
])
MODEL = st.lists(JINJA_PIECES, max_size=25).map(" ".join)
PY_MODEL = st.builds(
    lambda ref, body: f"def model(dbt, session):\n    df = dbt.ref({ref})\n    {body}\n    return df\n",
    st.sampled_from(["'orders'", "'shop', 'orders'", "1", "", "x", "'orders', v=2"]),
    st.sampled_from(["df['y'] = df['a']", "dbt.config(materialized=3)", "df = dbt.source('app')", "pass", "(("]),
)


def _mutate(text: str, data: st.DataObject) -> str:
    if not text or not data.draw(st.booleans(), label="mutate"):
        return text
    cut = data.draw(st.integers(0, len(text)), label="cut")
    insert = data.draw(st.sampled_from(["", "{", "}", "%", "'", '"', "(", ")", "\n", ":", "- ", "&a ", "*a", "\x00", "\ud800"]),
                       label="insert")
    return text[:cut] + insert + text[cut + 1:]


def _scan(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = scan(root, jobs=1, cache=False)
    bugs = [f"{d.location.path}: {d.message}" for d in result.diagnostics
            if d.code in BUG_CODES or "internal error" in d.message]
    assert not bugs, bugs


@settings(max_examples=EXAMPLES, deadline=None)
@given(PROJECT_FILE, st.lists(MODEL, min_size=1, max_size=3), PROPERTIES, MODEL, PY_MODEL, st.data())
def test_generated_dbt_projects_never_crash(project: str, models: list[str], properties: str, macros: str,
                                             py_model: str, data: st.DataObject) -> None:
    files = {
        "proj/dbt_project.yml": _mutate(project, data),
        "proj/models/_schema.yml": _mutate(properties, data),
        "proj/macros/m.sql": _mutate(macros, data),
        "proj/models/py_model.py": _mutate(py_model, data),
        "proj/scripts/not_a_model_path.py": py_model,  # read by the Python parser, which looks up the project
        "proj/profiles.yml": _mutate(data.draw(PROPERTIES, label="profiles"), data),
    }
    for index, model in enumerate(models):
        files[f"proj/models/{['orders', 'customers', 'stg_orders'][index]}.sql"] = _mutate(model, data)
    _scan(files)


TASK_IDS = st.sampled_from(["'load'", "'t-1'", "1", "None", "f'x_{i}'", "name", "'a' + 'b'", "''", "'a.b'", "**{}"])
SQL = st.sampled_from([
    "'CREATE TABLE out AS SELECT a FROM src'", "'SELECT {{ ds }} FROM t'", "'query.sql'", "['a.sql', 'SELECT 1']",
    "'{% include \"/etc/passwd\" %}'", "'{{ params.x }}'", "f'SELECT {x} FROM t'", "None", "3", "'{{'",
    "'INSERT INTO t SELECT * FROM {{ var.value.src }}'", "'{{ macros.ds_add(ds, 1) }}'",
])
OPERATOR = st.builds(
    lambda op, tid, sql, extra: f"    t{{n}} = {op}(task_id={tid}, {sql}{extra})\n",
    st.sampled_from(["SQLExecuteQueryOperator", "PostgresOperator", "BashOperator", "PythonOperator",
                     "S3ToRedshiftOperator", "ExternalTaskSensor", "DbtTaskGroup", "EmptyOperator", "Unknown"]),
    TASK_IDS,
    st.sampled_from(["sql=", "bash_command='dbt run --project-dir proj --select '+", "python_callable=", "s3_key=",
                     "external_dag_id=", "outlets=", "sql=Dataset(", "project_config=ProjectConfig("]).flatmap(
        lambda key: SQL.map(lambda value: key + value + (")" if key.endswith("(") else ""))),
    st.sampled_from(["", ", dag=dag", ", conn_id='warehouse'", ", params={'x': 1}", ", template_searchpath=['/x']",
                     ", inlets=[Dataset('s3://b/k')]", ", **kwargs"]),
)
DEPENDENCIES = st.sampled_from(["t0 >> t1", "t1 << t0", "[t0, t1] >> t0", "chain(t0, t1)", "t0 >> t0",
                                "cross_downstream([t0], [t1])", "t0.set_upstream(t1)", "t9 >> t0", "", "t0 >> [t1, 3]"])


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(["'daily'", "'a b'", "1", "None", "dag_id", "f'x{1}'", "'<script>'"]),
    st.lists(OPERATOR, min_size=1, max_size=4),
    st.lists(DEPENDENCIES, max_size=3),
    st.sampled_from(["with DAG({dag_id}) as dag:\n", "@dag(dag_id={dag_id})\ndef f():\n", "dag = DAG({dag_id})\nif 1:\n",
                     "with DAG(dag_id={dag_id}, template_searchpath='sql', user_defined_macros={{'m': 1}}) as dag:\n"]),
    PROJECT_FILE,
    st.data(),
)
def test_generated_airflow_dags_never_crash(dag_id: str, operators: list[str], dependencies: list[str], header: str,
                                            project: str, data: st.DataObject) -> None:
    body = "".join(op.replace("{n}", str(n)) for n, op in enumerate(operators))
    body += "".join(f"    {dependency}\n" for dependency in dependencies)
    dag = (
        "from airflow import DAG, Dataset\nfrom airflow.decorators import dag, task\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "from airflow.operators.bash import BashOperator\nfrom cosmos import DbtTaskGroup, ProjectConfig\n"
        "from airflow.models.baseoperator import chain, cross_downstream\n"
        + header.format(dag_id=dag_id) + body
        + ("f()\n" if header.startswith("@dag") else "")
    )
    _scan({
        "dags/generated.py": _mutate(dag, data),
        "dags/sql/query.sql": _mutate("SELECT a, {{ params.x }} FROM {{ var.value.src }}", data),
        "proj/dbt_project.yml": project,
        "proj/models/orders.sql": "select 1 as id",
    })


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["proj/models/m.sql", "proj/models/m.py", "proj/models/s.yml",
                                               "proj/dbt_project.yml", "dags/d.py", "nb.ipynb"]))
@example("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "proj/models/m.sql")
def test_random_text_in_any_file_never_crashes(text: str, where: str) -> None:
    files = {"proj/dbt_project.yml": "name: shop\nprofile: shop\n", "proj/models/orders.sql": "select 1 as id"}
    if where.startswith("dags/"):
        text = "from airflow import DAG\nwith DAG('d') as dag:\n" + text
    files[where] = text
    _scan(files)


CELL = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw", 3])},
    optional={"source": st.one_of(st.lists(st.sampled_from([
        "import pandas as pd\n", "df = pd.read_sql('SELECT a FROM t', con)\n", "%matplotlib inline\n", "!pip install x\n",
        "df.to_sql('out', con)", "%%bash\n", "df['b'] = df['a']\n", "((\n", "def f(:\n", "x?\n", "\\u0000",
    ]), max_size=6), _yaml_values()), "metadata": _yaml_values(), "outputs": _yaml_values()},
)
NOTEBOOK = st.one_of(
    st.builds(lambda cells, meta: {"cells": cells, "metadata": meta, "nbformat": 4},
              st.lists(CELL, max_size=5), st.one_of(st.just({}), st.builds(lambda k: {"kernelspec": k}, _yaml_values()))),
    st.dictionaries(st.sampled_from(["cells", "metadata", "nbformat"]), _yaml_values()),
    _yaml_values(),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(NOTEBOOK, st.data())
def test_generated_notebooks_never_crash(notebook: object, data: st.DataObject) -> None:
    _scan({"nb.ipynb": _mutate(json.dumps(notebook, indent=1), data)})


CONFIG_KEYS = st.sampled_from([
    "dialect", "default_schema", "default_database", "schema_file", "exclude", "statement_timeout_seconds",
    "max_file_mb", "max_statement_mb", "max_python_lines", "rules", "external", "ml", "dbt", "airflow", "openlineage",
    "LS101", "LS103", "orphan-table", "level", "enabled", "indirect", "after_outcome", "producers", "consumers",
    "models", "name", "relation", "features", "target", "keys", "prediction_time", "target", "vars", "env",
    "variables", "connections", "namespace", "snowflake", "warning", "error",
])
CONFIG = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(CONFIG_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.dictionaries(CONFIG_KEYS, CONFIG, max_size=5))
def test_random_configs_are_accepted_or_a_config_error(config: dict) -> None:
    try:
        _scan({"lineage-scan.yml": yaml.safe_dump(config), "a.sql": "CREATE TABLE t AS SELECT a FROM s;",
               "proj/dbt_project.yml": "name: shop\n", "proj/models/m.sql": "select {{ var('x') }} as a"})
    except ConfigError:
        pass


CRASHERS = {
    "cosmos ProjectConfig given a list": {
        "dags/d.py": "from airflow import DAG\nfrom cosmos import DbtTaskGroup, ProjectConfig\nwith DAG('daily') as dag:\n"
                     "    t0 = DbtTaskGroup(task_id='load', project_config=ProjectConfig(['a.sql', 'SELECT 1']))\n",
    },
    "notebook kernelspec that is not a mapping": {"nb.ipynb": json.dumps({"cells": [], "metadata": {"kernelspec": "x"}})},
    "notebook metadata that is a list": {"nb.ipynb": json.dumps({"cells": [], "metadata": [1]})},
}
"""Inputs the properties above once crashed a parser on, kept as regression cases."""


@pytest.mark.parametrize("files", list(CRASHERS.values()), ids=list(CRASHERS))
def test_crashers_found_by_fuzzing_stay_fixed(files: dict[str, str]) -> None:
    _scan(files)
