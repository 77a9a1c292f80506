"""Scanned code is read, never run: files with side effects at import leave no trace."""

from __future__ import annotations

from pathlib import Path

from lineage_scan import scan

SIDE_EFFECTS = '''
import os, pathlib, subprocess
pathlib.Path({sentinel!r}).write_text("imported")
os.system("touch " + {sentinel!r} + ".system")
subprocess.run(["touch", {sentinel!r} + ".subprocess"])
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
with DAG("evil", schedule=None) as dag:
    SQLExecuteQueryOperator(task_id="t", sql="CREATE TABLE out AS SELECT a FROM src")
'''

JINJA_ESCAPE = """
{{ cycler.__init__.__globals__.os.system('touch SENTINEL') }}
{{ ''.__class__.__mro__[1].__subclasses__() }}
select 1 as x
"""


def test_dag_and_python_files_are_not_executed(make_repo, tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    root = make_repo({
        "dags/evil_dag.py": SIDE_EFFECTS.format(sentinel=str(sentinel)),
        "jobs/evil_job.py": SIDE_EFFECTS.format(sentinel=str(sentinel)).split("from airflow")[0],
        "dbt/dbt_project.yml": "name: evil\nprofile: evil\n",
        "dbt/models/m.sql": JINJA_ESCAPE.replace("SENTINEL", str(sentinel) + ".jinja"),
    })
    result = scan(root)
    assert not list(tmp_path.glob("sentinel*")), "scanned code ran"
    # the DAG was still understood, statically
    assert any(task.id == "airflow:evil.t" for task in result.graph.tasks())
    assert result.graph.has_relation("out")
    # the template's escape attempts are diagnostics of the dbt parser, not crashes
    assert any(d.location.path == "dbt/models/m.sql" for d in result.diagnostics)
