"""The non-SQL parts of the synthetic repository: a dbt project, Airflow DAG files, Python feature code.

Written next to the SQL warehouse of `generate_corpus.py` and reading its tables, so the whole
repository stays one lineage graph:

* ``dbt/``: a dbt project (`dbt_project.yml`, `models/sources.yml` declaring raw tables of the
  warehouse with their columns, one `schema.yml` per layer with descriptions and tests, a macro) of
  staging / intermediate / marts models. Model bodies are the warehouse's query shapes (CTE chains,
  joins, windows, `SELECT *` and `t.*` over other models) with `{{ ref() }}` / `{{ source() }}` in
  place of table names, a `{{ config() }}` header, and now and then a `{% for %}` loop over
  measures, an `{% if is_incremental() %}` filter or a macro call;
* ``dags/``: Airflow DAG files, each a few tasks (SQL operators naming warehouse files or inline
  SQL, a `dbt run --select`, Python callables from ``ml/``) chained with ``>>``;
* ``ml/``: pandas feature modules reading warehouse/dbt tables with `pd.read_sql`, deriving
  columns, grouping, writing a feature table, and (every third module) fitting a scikit-learn model.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from generate_corpus import MAIN_KEY, NUM, TS, Relation, StatementBuilder, fresh_name

DBT_PROJECT = "warehouse_dbt"
DBT_LAYERS = (("staging", "stg", 0.4), ("intermediate", "int", 0.3), ("marts", "fct", 0.3))
_REF = re.compile(r"(?<![\w])REF__(\w+?)__")
_SOURCE = re.compile(r"(?<![\w])SRC__(\w+?)__")


def _ref_name(model: str) -> str:
    """A placeholder table name the SQL builder can use, turned into `{{ ref() }}` afterwards."""
    return f"REF__{model}__"


def _to_jinja(text: str) -> str:
    text = _REF.sub(lambda m: "{{ ref('" + m.group(1) + "') }}", text)
    return _SOURCE.sub(lambda m: "{{ source('raw', '" + m.group(1) + "') }}", text)


class PipelineWriter:
    """Writes the dbt project, DAGs and Python modules over the warehouse's tables."""

    def __init__(self, root: Path, rng: random.Random, tables: dict[str, list[Relation]]):
        self.root = root
        self.rng = rng
        self.builder = StatementBuilder(rng)
        self.warehouse = tables
        self.models: dict[str, list[tuple[str, Relation]]] = {layer: [] for layer, _, _ in DBT_LAYERS}
        self.sql_files: list[str] = []
        self.modules: list[tuple[str, str]] = []
        self.files = 0

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.files += 1

    # ----------------------------------------------------------------- dbt
    def dbt_project(self, models: int) -> None:
        self.write("dbt/dbt_project.yml", "\n".join([
            f"name: {DBT_PROJECT}", "version: '1.0.0'", "config-version: 2", "profile: warehouse",
            "model-paths: ['models']", "macro-paths: ['macros']", "vars:", "  lookback_days: 30",
            "models:", f"  {DBT_PROJECT}:", "    staging:", "      +materialized: view",
            "    marts:", "      +materialized: table", "",
        ]))
        self.write("dbt/macros/cents_to_dollars.sql",
                   "{% macro cents_to_dollars(column, scale=2) %}\n    ROUND({{ column }} / 100.0, {{ scale }})\n{% endmacro %}\n")
        raw = self.warehouse["raw"]
        sources = self.rng.sample(raw, min(len(raw), max(1, round(models * 0.4))))
        self._sources_yml(sources)
        sizes = [max(1, round(models * share)) for _, _, share in DBT_LAYERS]
        sizes[-1] = max(1, models - sum(sizes[:-1]))
        for (layer, prefix, _), size in zip(DBT_LAYERS, sizes, strict=True):
            for index in range(size):
                self._model(layer, prefix, index, sources)
            self._schema_yml(layer)

    def _sources_yml(self, sources: Sequence[Relation]) -> None:
        lines = ["version: 2", "sources:", "  - name: raw", "    schema: raw", "    tables:"]
        for relation in sources:
            lines += [f"      - name: {relation.name.split('.')[-1]}", "        columns:"]
            lines += [f"          - name: {column}" for column in relation.columns]
        self.write("dbt/models/sources.yml", "\n".join(lines) + "\n")

    def _model(self, layer: str, prefix: str, index: int, sources: Sequence[Relation]) -> None:
        if layer == "staging":
            source, other = sources[index % len(sources)], self.rng.choice(sources)
            primary = Relation(f"SRC__{source.name.split('.')[-1]}__", source.columns, source.entity)
            partners = [Relation(f"SRC__{other.name.split('.')[-1]}__", other.columns, other.entity)]
        else:
            upstream = self.models["staging"] + self.models["intermediate"] + (self.models["marts"] if layer == "marts" else [])
            picked = self.rng.sample(upstream, min(len(upstream), self.rng.randint(1, 3)))
            primary = picked[0][1]
            partners = [relation for _, relation in picked[1:]] or [self.rng.choice(upstream)[1]]
        name = f"{prefix}_{primary.entity}_{index:04d}"
        shape = self.rng.choices(("chain", "star", "metrics", "aggregate"), (0.55, 0.2, 0.15, 0.1))[0]
        if shape == "star" and self.rng.random() < 0.5:
            partners = []  # a bare `SELECT * [EXCLUDE]` of one model
        if shape == "metrics" and primary.values(NUM):
            body, columns = self._metrics_model(primary)
        else:
            build = {"chain": self.builder.cte_chain, "star": self.builder.star_query,
                     "aggregate": self.builder.joined_aggregate}.get(shape, self.builder.cte_chain)
            lines, columns = build(primary, partners)
            body = "\n".join(lines)
            timestamps = [c for c, kind in columns.items() if kind == TS]
            if timestamps and self.rng.random() < 0.2:
                body = self._incremental(body, self.rng.choice(timestamps))
        materialized = "view" if layer == "staging" else self.rng.choice(("table", "table", "incremental", "ephemeral"))
        header = f"{{{{ config(materialized='{materialized}', tags=['{layer}']) }}}}\n\n"
        self.write(f"dbt/models/{layer}/{name}.sql", header + _to_jinja(body) + "\n")
        self.models[layer].append((name, Relation(_ref_name(name), dict(columns), primary.entity)))

    def _metrics_model(self, primary: Relation) -> tuple[str, dict[str, str]]:
        measures = self.rng.sample(primary.values(NUM), min(3, len(primary.values(NUM))))
        columns = {MAIN_KEY: NUM, **{f"total_{m}": NUM for m in measures}, "amount_usd": NUM}
        body = "\n".join([
            f"{{% set measures = {measures!r} %}}",
            "SELECT",
            f"    m.{MAIN_KEY},",
            "    {% for measure in measures %}",
            "    SUM(m.{{ measure }}) AS total_{{ measure }},",
            "    {% endfor %}",
            f"    {{{{ cents_to_dollars('SUM(m.{measures[0]})') }}}} AS amount_usd",
            f"FROM {primary.name} AS m",
            f"WHERE m.{MAIN_KEY} IS NOT NULL",
            f"GROUP BY m.{MAIN_KEY}",
        ])
        return body, columns

    @staticmethod
    def _incremental(body: str, timestamp: str) -> str:
        return "\n".join([
            "SELECT * FROM (", body, ") AS q",
            "{% if is_incremental() %}",
            f"WHERE q.{timestamp} > (SELECT MAX({timestamp}) FROM {{{{ this }}}})",
            "{% endif %}",
        ])

    def _schema_yml(self, layer: str) -> None:
        lines = ["version: 2", "models:"]
        for name, relation in self.models[layer]:
            lines += [f"  - name: {name}", f"    description: {layer} model of {relation.entity or 'customers'} (generated)",
                      "    columns:"]
            for column in list(relation.columns)[:6]:
                lines.append(f"      - name: {column}")
                if column == MAIN_KEY:
                    lines.append("        tests: [not_null]")
        self.write(f"dbt/models/{layer}/schema.yml", "\n".join(lines) + "\n")

    # ----------------------------------------------------------------- Python feature modules
    def python_modules(self, count: int) -> None:
        pool = self.warehouse["features"] + self.warehouse["marts"] or self.warehouse["raw"]
        for index in range(count):
            table = self.rng.choice(pool)
            numbers = table.values(NUM)[:4] or [MAIN_KEY]
            module = f"features_{index:04d}"
            feature_table = f"feat_py_{index:04d}"
            lines = [
                f'"""Features of {table.name} for the churn model (generated)."""',
                "",
                "import pandas as pd",
                "from sklearn.linear_model import LogisticRegression",
                "",
                "",
                "def build_features(conn):",
                f'    frame = pd.read_sql("SELECT {MAIN_KEY}, {", ".join(numbers)} FROM {table.name}", conn)',
                f'    frame["{numbers[0]}_share"] = frame["{numbers[0]}"] / frame["{numbers[0]}"].sum()',
                f'    frame["{numbers[-1]}_filled"] = frame["{numbers[-1]}"].fillna(0)',
                (f'    features = frame.groupby("{MAIN_KEY}").agg(total=("{numbers[0]}", "sum"), '
                 f'peak=("{numbers[-1]}_filled", "max")).reset_index()'),
                f'    features.to_sql("{feature_table}", conn, schema="features", if_exists="replace", index=False)',
                "    return features",
            ]
            if index % 3 == 0:
                lines += [
                    "", "",
                    "def train(conn):",
                    f'    frame = pd.read_sql("SELECT * FROM features.{feature_table}", conn)',
                    '    model = LogisticRegression(max_iter=200)',
                    '    model.fit(frame[["total", "peak"]], frame["total"] > frame["total"].median())',
                    "    return model",
                ]
            self.write(f"ml/{module}.py", "\n".join(lines) + "\n")
            self.modules.append((module, feature_table))

    # ----------------------------------------------------------------- Airflow
    def dags(self, count: int, sql_files: Sequence[str]) -> None:
        models = [name for layer in self.models.values() for name, _ in layer]
        for index in range(count):
            dag_id = f"refresh_{index:04d}"
            lines = [
                f'"""DAG {dag_id}: refresh part of the warehouse (generated)."""',
                "",
                "from datetime import datetime",
                "",
                "from airflow import DAG",
                "from airflow.operators.bash import BashOperator",
                "from airflow.operators.python import PythonOperator",
                "from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator",
            ]
            module = self.rng.choice(self.modules) if self.modules else None
            if module:
                lines.append(f"from ml.{module[0]} import build_features")
            lines += [
                "",
                f'with DAG(dag_id="{dag_id}", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False,',
                '         template_searchpath=["/opt/warehouse"]) as dag:',
            ]
            tasks: list[str] = []
            taken: set[str] = set()
            for sql_file in self.rng.sample(list(sql_files), min(len(sql_files), self.rng.randint(1, 3))):
                task = fresh_name(f"run_{Path(sql_file).stem}", taken)
                taken.add(task)
                lines.append(f'    {task} = SnowflakeOperator(task_id="{task}", sql="{sql_file}", snowflake_conn_id="warehouse")')
                tasks.append(task)
            if models:
                model = self.rng.choice(models)
                lines.append(f'    dbt_run = BashOperator(task_id="dbt_run", bash_command="dbt run --select {model}+")')
                tasks.append("dbt_run")
            if module:
                lines.append('    features = PythonOperator(task_id="features", python_callable=build_features)')
                tasks.append("features")
            lines += ["", "    " + " >> ".join(tasks)]
            self.write(f"dags/{dag_id}.py", "\n".join(lines) + "\n")
