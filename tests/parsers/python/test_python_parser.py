"""The Python and notebook parsers beyond single code shapes: the build around them, the example
repository, hostile input, and the promise never to run the code."""

from __future__ import annotations

import json
from pathlib import Path

from repo_paths import EXAMPLE_REPO
from sqlglot.dialects.dialect import Dialect
from test_python_cases import notebook_json

from lineage_scan import ColumnRef, scan
from lineage_scan.model import STAR, Certainty, EdgeKind, Severity
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.notebook import parse_notebook_file
from lineage_scan.parsers.python import parse_python_file
from lineage_scan.report.summary import summarise
from lineage_scan.report.text import render_text
from lineage_scan.sql.schema import SchemaRegistry

CONTEXT = ParseContext(Dialect.get_or_raise(None), SchemaRegistry())


def _parse(root: Path, rel: str):
    parse = parse_notebook_file if rel.endswith(".ipynb") else parse_python_file
    return parse(root / rel, rel, CONTEXT)


def test_star_edges_list_the_columns_the_code_left_out(make_repo) -> None:
    root = make_repo({"jobs/slim.py": (
        "import pandas as pd\n"
        "df = pd.read_sql('SELECT * FROM wh.wide', con)\n"
        "df = df.rename(columns={'old': 'new'})\n"
        "df.drop(columns=['debug_blob']).to_parquet('slim.parquet')\n"
    )})
    fragment = _parse(root, "jobs/slim.py")
    star = [e for e in fragment.edges if e.source.column == STAR]
    assert [(str(e.source), str(e.target), e.excluded) for e in star] == [
        ("wh.wide.*", "slim.parquet.*", ("debug_blob", "new", "old")),
    ]
    renamed = [e for e in fragment.edges if e.target.column == "new"]
    assert [(str(e.source), e.kind, e.certainty) for e in renamed] == [("wh.wide.old", EdgeKind.RENAME, Certainty.INFERRED)]


def test_build_expands_star_features_and_star_edges_from_the_repository_ddl(make_repo) -> None:
    root = make_repo({
        "warehouse/training_set.sql": "CREATE TABLE ml.training_set (customer_id INT, tenure INT, spend INT, label INT);\n",
        "ml/train.py": (
            "import pandas as pd\n"
            "from sklearn.ensemble import GradientBoostingClassifier\n"
            "df = pd.read_sql('SELECT * FROM ml.training_set', con)\n"
            "df.to_parquet('snapshot.parquet')\n"
            "X = df.drop(columns=['label', 'customer_id'])\n"
            "GradientBoostingClassifier().fit(X, df['label'])\n"
        ),
    })
    result = scan(root)
    (model,) = result.graph.ml_models()
    assert model.features == (ColumnRef("ml.training_set", "tenure"), ColumnRef("ml.training_set", "spend"))
    assert model.target == ColumnRef("ml.training_set", "label")
    copied = {(str(s), str(t), d["kind"].value, d["certainty"].value) for s, t, d in result.graph.column_edges()
              if t.table == "snapshot.parquet"}
    assert copied == {(f"ml.training_set.{c}", f"snapshot.parquet.{c}", "identity", "resolved")
                      for c in ("customer_id", "tenure", "spend", "label")}
    assert not [d for d in result.diagnostics if d.code == "LS905"], "the star was expanded by the build"


def test_model_trained_in_an_imported_module_is_one_model_with_its_data(make_repo) -> None:
    root = make_repo({
        "ml/model.py": (
            "from sklearn.tree import DecisionTreeClassifier\n"
            "def fit(X, y):\n"
            "    tree = DecisionTreeClassifier()\n"
            "    tree.fit(X, y)\n"
            "    return tree\n"
        ),
        "ml/run.py": (
            "import pandas as pd\n"
            "from ml.model import fit\n"
            "df = pd.read_csv('d.csv', usecols=['a', 'b', 'y'])\n"
            "fit(df[['a', 'b']], df['y'])\n"
        ),
    })
    result = scan(root)
    (model,) = result.graph.ml_models()
    assert model.id == "python:ml/model.py:fit#tree"
    assert model.features == (ColumnRef("d.csv", "a"), ColumnRef("d.csv", "b"))
    assert model.target == ColumnRef("d.csv", "y")
    run = next(f for f in result.fragments if f.path == "ml/run.py")
    assert run.depends_on == ["ml/model.py"]


def _python_model(result):
    """The example repository's model trained in Python (`ml/train.py`)."""
    return next(m for m in result.graph.ml_models() if m.id.startswith("python:"))


def test_example_repo_model_task_and_report() -> None:
    result = scan(EXAMPLE_REPO)
    # the config (`lineage-scan.yml`: churn, upsell) and dbt exposure models are the others
    assert [m.id for m in result.graph.ml_models()] == [
        "config:churn", "config:upsell", "dbt:churn.exposure.churn_model", "python:ml/train.py:train_churn_model#model"]
    model = _python_model(result)
    assert [str(f) for f in model.features] == [
        "ml.churn_features.tenure_days",
        "ml.churn_features.mrr_usd",
        "ml.churn_features.ticket_count_90d",
        "ml.churn_features.days_since_cancel",
        "python:ml/train.py:train_churn_model.X_train.failed_payment_ratio",
        "python:ml/train.py:train_churn_model.X_train.mrr_per_tenure_day",
    ]
    assert str(model.target) == "ml.churn_labels.churned"
    assert model.estimator == "Pipeline(StandardScaler, LogisticRegression)"
    # the leaky feature and the label share an upstream column: what LS101 looks for
    shared = set(result.graph.upstream(ColumnRef("ml.churn_features", "days_since_cancel"))) & set(
        result.graph.upstream(ColumnRef("ml.churn_labels", "churned")))
    assert ColumnRef("marts.customer_subscriptions", "cancelled_date") in shared
    tasks = {t.id: t for t in result.graph.tasks()}
    airflow_target = tasks["python:ml/train.py:train_churn_model"]
    assert airflow_target.reads == ("ml.churn_features", "ml.churn_labels")
    assert dict(airflow_target.attributes)["trains"] == "python:ml/train.py:train_churn_model#model"
    assert tasks["python:notebooks/churn_exploration.ipynb"].writes == ("reports/churn_by_plan.csv",)
    summary = summarise(result)
    assert summary["ml_models"] == 4
    # modules: ml/{__init__,features,score,train}.py and the two Airflow DAG files (their tasks are lineage);
    # with lineage: all but ml/__init__.py (a docstring only), plus the notebook
    assert summary["python"] == {"modules": 6, "notebooks": 1, "with_lineage": 6, "unresolved": {}}
    text = render_text(result)
    assert "python      modules 6, notebooks 1 (6 with lineage); not resolved: none" in text
    assert "python:ml/train.py:train_churn_model#model: 6 features -> ml.churn_labels.churned" in text


def test_notebook_locations_account_for_json_escapes(make_repo) -> None:
    cell = 'import pandas as pd\nlabel = "tab\\there é"; df = pd.read_sql("SELECT x FROM t", con)\ndf.to_csv("o.csv")'
    root = make_repo({"nb.ipynb": notebook_json([cell])})
    text = (root / "nb.ipynb").read_text()
    fragment = _parse(root, "nb.ipynb")
    (edge,) = fragment.edges
    line = text.splitlines()[edge.location.start_line - 1]
    # the location's column points at `x` in the JSON text itself, past `\"`, `\\t` and `\u00e9`
    assert line[edge.location.start_col - 1] == "x"
    assert line[edge.location.start_col - 8:edge.location.start_col - 1] == "SELECT "


def test_python_syntax_error_is_a_diagnostic(make_repo) -> None:
    root = make_repo({"bad.py": "def broken(:\n    pass\n"})
    fragment = _parse(root, "bad.py")
    assert [(d.code, d.severity) for d in fragment.diagnostics] == [("LS901", Severity.ERROR)]
    assert "cannot parse Python" in fragment.diagnostics[0].message


def test_invalid_notebook_json_is_a_diagnostic(make_repo) -> None:
    root = make_repo({"a.ipynb": "{not json", "b.ipynb": json.dumps({"cells": "nope"}), "c.ipynb": "[" * 100_000})
    for name in ("a.ipynb", "b.ipynb", "c.ipynb"):
        fragment = _parse(root, name)
        assert [d.code for d in fragment.diagnostics] == ["LS900"], name


def test_hostile_code_ends_in_diagnostics_not_crashes(make_repo) -> None:
    nested = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    chained = "x = 1" + " + 1" * 20000 + "\n"
    busy = (
        "import pandas as pd\n"
        "df = pd.read_csv('in.csv', usecols=['a'])\n"
        "def grow(df, n):\n"
        "    return grow(grow(df.merge(df, on='a'), n - 1), n - 1)\n"
        "for i in range(10 ** 9):\n"
        "    df = df.merge(df, on='a')\n"
        "grow(df, 50).to_csv('out.csv')\n"
    )
    deep = "x = 1\n" + "".join("    " * i + "if x:\n" for i in range(50)) + "    " * 50 + "y = 2\n"
    root = make_repo({"nested.py": nested, "chained.py": chained, "deep.py": deep, "busy.py": busy})
    for name in ("nested.py", "chained.py"):
        fragment = _parse(root, name)
        assert [(d.code, d.message.startswith("cannot parse Python: nested")) for d in fragment.diagnostics] == [
            ("LS901", True)], name
    assert _parse(root, "deep.py").diagnostics == []
    busy_fragment = _parse(root, "busy.py")
    assert any(e.target.table == "out.csv" for e in busy_fragment.edges)


def test_scanned_code_is_never_run(make_repo, tmp_path) -> None:
    marker = tmp_path / "ran"
    payload = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
    root = make_repo({
        "evil.py": payload,
        "pkg/__init__.py": payload,
        "uses_pkg.py": "import pkg\nfrom pkg import thing\n",
        "evil.ipynb": notebook_json([payload]),
    })
    result = scan(root)
    assert not marker.exists()
    assert {f.path for f in result.fragments} >= {"evil.py", "pkg/__init__.py", "uses_pkg.py", "evil.ipynb"}


def test_files_outside_the_root_are_never_read(make_repo, tmp_path) -> None:
    outside = tmp_path.parent / "outside_secret.sql"
    outside.write_text("SELECT secret FROM vault")
    root = make_repo({"job.py": (
        "import pandas as pd\n"
        f"q = open({str(outside)!r}).read()\n"
        "q2 = open('../outside_secret.sql').read()\n"
        "pd.read_sql(q, con).to_csv('a.csv')\n"
        "pd.read_sql(q2, con).to_csv('b.csv')\n"
    )})
    fragment = _parse(root, "job.py")
    assert not fragment.edges
    assert fragment.depends_on == []
    assert sum("is not in the repository" in d.message for d in fragment.diagnostics) == 2


def test_work_limit_stops_one_entry_point_and_the_others_are_still_analysed(make_repo) -> None:
    items = "[" + ", ".join(str(i) for i in range(60)) + "]"
    root = make_repo({"loops.py": (
        "import pandas as pd\n"
        f"ITEMS = {items}\n"
        "for a in ITEMS:\n"
        "    for b in ITEMS:\n"
        "        for c in ITEMS:\n"
        "            x = a\n"
        "def copy():\n"
        "    pd.read_csv('in.csv', usecols=['a']).to_csv('out.csv')\n"
    )})
    fragment = _parse(root, "loops.py")
    assert [(d.code, d.location.start_line) for d in fragment.diagnostics] == [("LS933", 1)]
    assert "analysis of the script stopped after" in fragment.diagnostics[0].message
    assert [str(e) for e in fragment.edges] == ["in.csv.a -> out.csv.a : identity (resolved)"]


def test_airflow_dag_file_adds_nothing_of_its_own(make_repo) -> None:
    """DAG files are also Python: without dataframe code they give an empty fragment (no noise),
    so the Python and Airflow parsers' fragments can simply be combined."""
    root = make_repo({"dags/churn.py": (
        "from datetime import datetime\n"
        "from airflow import DAG\n"
        "from airflow.operators.python import PythonOperator\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "from ml.train import train_churn_model\n"
        "with DAG('churn', start_date=datetime(2024, 1, 1), schedule='@daily') as dag:\n"
        "    build = SQLExecuteQueryOperator(task_id='build', sql='INSERT INTO ml.t SELECT a FROM s')\n"
        "    train = PythonOperator(task_id='train', python_callable=train_churn_model)\n"
        "    build >> train\n"
    )})
    fragment = _parse(root, "dags/churn.py")
    assert (fragment.edges, fragment.relations, fragment.tasks, fragment.diagnostics) == ([], [], [], [])


def test_model_location_is_the_whole_fit_call() -> None:
    location = _python_model(scan(EXAMPLE_REPO)).location
    assert (location.path, location.start_line, location.start_col, location.end_line) == ("ml/train.py", 24, 5, 24)
