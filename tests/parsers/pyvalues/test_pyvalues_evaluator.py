"""The generic static evaluator (parsers/pyvalues/evaluator.py), without any framework on top."""

import posixpath
from pathlib import PurePosixPath

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from lineage_scan.parsers.pyvalues import evaluator as ev
from lineage_scan.parsers.pyvalues.values import UNKNOWN, Imported, Opaque, Text


class Files:
    """Repository files held in memory; `__file__`-based paths map to repo paths."""

    def __init__(self, files: dict[str, str]):
        self.files = files

    def locate(self, path: str, want_dir: bool | None = None) -> str | None:
        rel = posixpath.normpath(path.removeprefix(ev.ROOT_MARK + "/"))
        return rel if rel in self.files else None

    def read(self, rel: str) -> str | None:
        return self.files.get(rel)


def evaluate(source: str, files: dict[str, str] | None = None) -> tuple[dict, ev.Evaluator]:
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    evaluator = ev.Evaluator(wrapper.module, wrapper.resolve(PositionProvider), "jobs/etl.py", Files(files or {}))
    scope = evaluator.module_scope()
    evaluator.exec_block(wrapper.module.body, scope)
    return scope.vars, evaluator


def test_module_names_strings_and_containers():
    names, _ = evaluate(
        "SCHEMA = 'analytics'\n"
        "TABLES = ['orders', 'users']\n"
        "QUALIFIED = [f'{SCHEMA}.{t}' for t in TABLES if t != 'users']\n"
        "SQL = 'select * from ' + QUALIFIED[0]\n"
        "SQL += ' where %s' % 'x > 1'\n"
        "CONFIG = {'table': TABLES[-1], **{'n': len(TABLES)}}\n"
        "LABEL = '{}-{n}'.format(SCHEMA, n=CONFIG['n'])\n"
    )
    assert names["QUALIFIED"] == ["analytics.orders"]
    assert names["SQL"] == "select * from analytics.orders where x > 1"
    assert names["CONFIG"] == {"table": "users", "n": 2}
    assert names["LABEL"] == "analytics-2"


def test_literal_strings_know_where_they_start():
    names, _ = evaluate("x = 1\nSQL = 'select 1'\nESCAPED = 'a\\tb'\n")
    assert isinstance(names["SQL"], Text)
    assert (names["SQL"].origin.path, names["SQL"].origin.line, names["SQL"].origin.col) == ("jobs/etl.py", 2, 8)
    assert names["SQL"].origin.exact and not names["ESCAPED"].origin.exact


def test_imports_functions_and_calls():
    names, _ = evaluate(
        "import os\n"
        "from airflow.operators.bash import BashOperator as Bash\n"
        "from .helpers import load\n"
        "def table(name, schema='raw', *rest, suffix, **options):\n"
        "    return f'{schema}.{name}{suffix}', rest, options\n"
        "RESULT = table('orders', 'x', 'y', suffix='_v1', extra=1)\n"
        "DEFAULTED = table('users', suffix='')[0]\n"
        "HOME = os.path.join(os.path.dirname(__file__), 'sql')\n"
        "CALLED = load('a', key=2)\n"
    )
    assert names["Bash"] == Imported("airflow.operators.bash.BashOperator")
    assert names["load"] == Imported("helpers.load", "jobs")
    assert names["RESULT"] == ("x.orders_v1", ("y",), {"extra": 1})
    assert names["DEFAULTED"] == "raw.users"
    assert names["HOME"] == ev.ROOT_MARK + "/jobs/sql"
    assert isinstance(names["CALLED"], Opaque)
    assert (names["CALLED"].qualname, names["CALLED"].args, names["CALLED"].kwargs) == ("helpers.load", ("a",), {"key": 2})


def test_control_flow_over_constants():
    names, evaluator = evaluate(
        "out = []\n"
        "for i, name in enumerate(['a', 'b', 'c']):\n"
        "    if name == 'b':\n"
        "        continue\n"
        "    out.append(f'{i}{name}')\n"
        "mode = 'prod' if len(out) > 1 else 'dev'\n"
        "for row in unknown_rows:\n"
        "    last = row\n"
    )
    assert names["out"] == ["0a", "2c"]
    assert names["mode"] == "prod"
    assert names["last"] is UNKNOWN
    [note] = evaluator.diagnostics
    assert note.code == ev.Evaluator.not_static and "unknown_rows" in note.message


def test_files_are_read_inside_the_root_only():
    names, _ = evaluate(
        "import os\nfrom pathlib import Path\n"
        "HERE = Path(__file__).parent\n"
        "QUERY = (HERE / 'sql' / 'daily.sql').read_text()\n"
        "OTHER = open(os.path.join('/etc', 'passwd')).read()\n",
        {"jobs/sql/daily.sql": "select 1"},
    )
    assert names["HERE"] == PurePosixPath(ev.ROOT_MARK + "/jobs")
    assert names["QUERY"] == "select 1" and names["QUERY"].origin.path == "jobs/sql/daily.sql"
    assert names["OTHER"] is UNKNOWN


def test_the_step_budget_stops_runaway_files(monkeypatch):
    monkeypatch.setattr(ev, "MAX_STEPS", 500)
    with pytest.raises(ev.OutOfBudget):
        evaluate("def f(n):\n    return f(n) + f(n)\nx = [f(i) for i in range(1000)]\n")


def test_recursion_is_cut_at_the_call_depth():
    names, _ = evaluate("def f(n):\n    return f(n)\nx = f(1)\n")
    assert names["x"] is UNKNOWN
