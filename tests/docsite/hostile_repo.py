"""A repository whose every field the site shows is written to break a page, read by the REAL parsers
(SQL, dbt, Airflow, Python, notebooks, CODEOWNERS): nothing is injected into the scan result.

Each payload, if it ran, would set `window.__pwned` (or open a dialog); attribute breakers try to
close the quoted attribute they land in; `javascript:` (and look-alike) URLs try to become links.
"""

from __future__ import annotations

import json
from pathlib import Path

SCRIPT = "<script>window.__pwned=1</script>"
CLOSE_SCRIPT = "</script><script>window.__pwned=2</script>"
IMG = "<img src=x onerror=window.__pwned=3>"
SVG = "<svg onload=window.__pwned=4>"
ATTR_DOUBLE = '" onmouseover="window.__pwned=5" x="'
ATTR_SINGLE = "' autofocus onfocus='window.__pwned=6' x='"
JS_URL = "javascript:window.__pwned=7"
JS_URLS = (JS_URL, " JaVaScRiPt:alert(8)", "\tjavascript:alert(9)", "data:text/html,<script>alert(10)</script>",
           "vbscript:msgbox(11)")
PAYLOADS = (SCRIPT, CLOSE_SCRIPT, IMG, SVG, ATTR_DOUBLE, ATTR_SINGLE)

EVIL_TABLE = "<img src=x onerror=window.__pwned=3>"
"""A warehouse table named like markup (quoted identifier: names keep their case and characters)."""
EVIL_COLUMN = 'x" onmouseover="window.__pwned=5'
DBT_MODEL_FILE = "<svg onload=window.__pwned=4>"
"""A dbt model named after its file: `<svg onload=...>.sql` (Linux allows every character but `/`)."""
DAG_ID = '"><script>window.__pwned=1</script>'
TASK_ID = "<img src=x onerror=window.__pwned=3>"
OWNER = "@<img/src=x/onerror=window.__pwned=3>"


def _quoted(name: str) -> str:
    """``name`` inside a double-quoted SQL identifier."""
    return name.replace('"', '""')


def _yaml_str(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML flow scalars


def write_hostile_repo(root: Path) -> Path:
    files = {
        "warehouse/evil.sql": (
            f"-- {CLOSE_SCRIPT}\n/* {SCRIPT} {IMG} */\n"
            f'CREATE TABLE raw."{EVIL_TABLE}" (id INT, "{_quoted(EVIL_COLUMN)}" TEXT);\n'
            f'CREATE TABLE marts."{SCRIPT}" AS SELECT id, "{_quoted(EVIL_COLUMN)}" AS "{ATTR_SINGLE}", '
            f"'{JS_URL}' AS \"{JS_URL}\" FROM raw.\"{EVIL_TABLE}\";\n"
            f'SELECT * FROM "{CLOSE_SCRIPT}" WHERE {SVG};\n'  # does not parse: the diagnostic quotes it
            f'CREATE VIEW marts.reads_missing AS SELECT a FROM raw."{_quoted(ATTR_DOUBLE)}";\n'
        ),
        "evil_dbt/dbt_project.yml": "name: evil\nprofile: evil\nmodels:\n  evil:\n    +meta:\n"
                                    f"      owner: {_yaml_str(OWNER)}\n",
        f"evil_dbt/models/{DBT_MODEL_FILE}.sql": (
            f"{{# {CLOSE_SCRIPT} #}}\n-- {SCRIPT}\n"
            f"select id as \"{_quoted(ATTR_DOUBLE)}\", '{IMG}' as label from {{{{ source('app', 'events') }}}}\n"
        ),
        "evil_dbt/models/uses_missing.sql": f"select 1 as a from {{{{ ref({_yaml_str(SCRIPT)}) }}}}\n",
        "evil_dbt/models/_schema.yml": "\n".join([
            "version: 2",
            "sources:",
            "  - name: app",
            f"    description: {_yaml_str(IMG)}",
            "    tables:",
            "      - name: events",
            f"        description: {_yaml_str(CLOSE_SCRIPT)}",
            "        columns:",
            "          - name: id",
            f"            description: {_yaml_str(ATTR_DOUBLE)}",
            "models:",
            f"  - name: {_yaml_str(DBT_MODEL_FILE)}",
            f"    description: {_yaml_str(SCRIPT + ' [click](' + JS_URL + ') ' + IMG)}",
            "    meta:",
            f"      owner: {_yaml_str(ATTR_SINGLE)}",
            f"      {_yaml_str(SVG)}: {_yaml_str(JS_URL)}",
            f"    tags: [{_yaml_str(CLOSE_SCRIPT)}, {_yaml_str(ATTR_DOUBLE)}]",
            "    columns:",
            f"      - name: {_yaml_str(ATTR_DOUBLE)}",
            f"        description: {_yaml_str(SVG)}",
            "        tests: [not_null]",
            "      - name: label",
            f"        description: {_yaml_str(JS_URL)}",
            "exposures:",
            *[line for index, url in enumerate(JS_URLS) for line in (
                f"  - name: dash_{index}",
                f"    label: {_yaml_str(SCRIPT)}",
                "    type: dashboard",
                f"    url: {_yaml_str(url)}",
                f"    description: {_yaml_str(IMG)}",
                f"    owner: {{name: {_yaml_str(ATTR_DOUBLE)}, email: {_yaml_str(JS_URL)}}}",
                f"    depends_on: [\"ref({_yaml_str(DBT_MODEL_FILE)[1:-1]!r})\"]",
            )],
            "",
        ]),
        "dags/evil_dag.py": (
            "from airflow import DAG\n"
            "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
            "from airflow.operators.python import PythonOperator\n"
            f"with DAG(dag_id={DAG_ID!r}, doc_md={SCRIPT!r}, schedule=None) as dag:\n"
            f"    load = SQLExecuteQueryOperator(task_id={TASK_ID!r}, doc_md={IMG!r},\n"
            f"        sql='CREATE TABLE marts.from_dag AS SELECT id AS \"{SVG}\" FROM raw.\"{EVIL_TABLE}\"')\n"
            f"    other = SQLExecuteQueryOperator(task_id={ATTR_SINGLE!r}, sql={'SELECT {{ ' + SCRIPT + ' }}'!r})\n"
            "    load >> other\n"
        ),
        "jobs/features.py": (
            "import pandas as pd\n\n\n"
            "def build_features(con):\n"
            f"    # {CLOSE_SCRIPT}\n"
            "    df = pd.read_sql('SELECT id FROM marts.from_dag', con)\n"
            f"    df[{ATTR_DOUBLE!r}] = df['id'] * 2\n"
            f"    df.to_sql({SVG!r}, con)\n"
        ),
        "notebooks/explore.ipynb": json.dumps({
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": [SCRIPT]},
                {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": [
                    f"# {CLOSE_SCRIPT}\n", "import pandas as pd\n",
                    f"df = pd.read_sql('SELECT id AS \"{IMG}\" FROM marts.from_dag', con)\n",
                    f"df.to_sql({ATTR_SINGLE!r}, con)",
                ]},
            ],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
        }, indent=1),
        "CODEOWNERS": f"* {OWNER}\nwarehouse/ @\"><script>window.__pwned=1</script> {JS_URL}\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
