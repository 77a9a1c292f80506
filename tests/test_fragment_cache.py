"""The fragment cache: re-scans parse only changed files, stale or damaged entries are never trusted,
and nothing in a cache directory can run code."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from repo_paths import REPO_ROOT

import lineage_scan.parsers
from lineage_scan import scan
from lineage_scan.fragment_cache import CACHEDIR_TAG, PRUNE_AFTER_DAYS, default_cache_dir, entry_path
from lineage_scan.report.json import render_json

FILES = {
    "lineage-scan.yml": "dialect: postgres\n",
    "raw/orders.sql": "CREATE TABLE raw.orders (id INT, customer_id INT, amount NUMERIC, status TEXT);",
    "staging/orders.sql": "CREATE VIEW staging.orders AS SELECT * FROM raw.orders WHERE status <> 'test';",
    "marts/totals.sql": "CREATE TABLE marts.totals AS\nSELECT customer_id, SUM(amount) AS total\nFROM staging.orders\nGROUP BY 1;",
    "broken.sql": "SELECT FROM WHERE;",
}


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The paths the SQL parser is called on (the repos here are small, so parsing stays in-process)."""
    calls: list[str] = []
    original = lineage_scan.parsers.PARSERS["sql"]

    def counting(path, rel, context):
        calls.append(rel)
        return original(path, rel, context)

    monkeypatch.setitem(lineage_scan.parsers.PARSERS, "sql", counting)
    return calls


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("??/*.json"))


def test_rescan_parses_only_changed_files_and_gives_the_same_result(make_repo, tmp_path, parsed) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    first = render_json(scan(root, cache_dir=cache))
    assert sorted(parsed) == ["broken.sql", "marts/totals.sql", "raw/orders.sql", "staging/orders.sql"]
    assert len(entries(cache)) == 4 and (cache / CACHEDIR_TAG).is_file()

    parsed.clear()
    assert render_json(scan(root, cache_dir=cache)) == first
    assert parsed == []

    (root / "marts/totals.sql").write_text(FILES["marts/totals.sql"].replace("SUM", "MAX"))
    parsed.clear()
    changed = scan(root, cache_dir=cache)
    assert parsed == ["marts/totals.sql"]
    assert render_json(changed) == render_json(scan(root, cache=False))
    assert "aggregate" in {e["kind"] for e in json.loads(render_json(changed))["edges"]}


@pytest.mark.parametrize("change", [
    {"dialect": "duckdb"},
    {"default_schema": "analytics"},
    {"statement_timeout_seconds": 3},
    {"rules": {"LS201": False}},
])
def test_a_settings_change_reparses_everything(make_repo, tmp_path, parsed, change) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    scan(root, cache_dir=cache)
    parsed.clear()
    scan(root, {"dialect": "postgres", **change}, cache_dir=cache)
    assert len(parsed) == 4


def test_a_declared_schema_is_part_of_the_key_but_excludes_are_not(make_repo, tmp_path, parsed) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    scan(root, cache_dir=cache)
    parsed.clear()
    scan(root, {"dialect": "postgres", "exclude": ["broken.sql"]}, cache_dir=cache)
    assert parsed == []
    scan(root, schema={"raw.extra": ["a"]}, cache_dir=cache)
    assert len(parsed) == 4


def test_moving_a_file_reparses_it(make_repo, tmp_path, parsed) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    scan(root, cache_dir=cache)
    (root / "marts/totals.sql").rename(root / "marts/totals_v2.sql")
    parsed.clear()
    result = scan(root, cache_dir=cache)
    assert parsed == ["marts/totals_v2.sql"]
    assert {loc.path for loc in result.graph.relation("marts.totals").locations} == {"marts/totals_v2.sql"}


@pytest.mark.parametrize("damage", [
    b"",
    b"{\"format\": 1, \"key\": ",
    b"\x00\xff garbage",
    b"[1, 2, 3]",
    b"{\"format\": 1, \"key\": \"someone-else\", \"fragment\": []}",
    b"[" * 100_000 + b"]" * 100_000,
])
def test_damaged_entries_are_ignored_and_rewritten(make_repo, tmp_path, parsed, damage) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    expected = render_json(scan(root, cache_dir=cache))
    for entry in entries(cache):
        entry.write_bytes(damage)
    parsed.clear()
    assert render_json(scan(root, cache_dir=cache)) == expected
    assert len(parsed) == 4
    parsed.clear()
    scan(root, cache_dir=cache)
    assert parsed == []


def test_a_planted_pickle_never_runs(make_repo, tmp_path, parsed, monkeypatch) -> None:
    """A repository (or anyone who can write the cache) planting pickles cannot run code."""
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    marker = tmp_path / "pwned"
    expected = render_json(scan(root, cache_dir=cache))

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps(Exploit())
    for entry in entries(cache):
        entry.write_bytes(payload)
    for planted in (root / ".lineage-scan-cache", default_cache_dir(root)):  # the repo's own and the default
        (planted / "ab").mkdir(parents=True)
        (planted / "ab" / ("0" * 62 + ".json")).write_bytes(payload)
        (planted / "ab" / "entry.pickle").write_bytes(payload)

    def refuse(*_args, **_kwargs):
        raise AssertionError("the scan unpickled data")

    for module in (pickle, __import__("_pickle"), __import__("marshal")):
        for name in ("load", "loads"):
            monkeypatch.setattr(module, name, refuse)
    parsed.clear()
    assert render_json(scan(root, cache_dir=cache)) == expected
    assert render_json(scan(root)) == expected
    assert not marker.exists()
    assert len(parsed) == 8
    assert all(entry.read_bytes().startswith(b"{") for entry in entries(cache))


def test_the_default_cache_is_outside_the_repository(make_repo, tmp_path) -> None:
    root = make_repo(FILES)
    scan(root)
    cache = default_cache_dir(root)
    assert len(entries(cache)) == 4
    assert not cache.resolve().is_relative_to(root.resolve())
    assert cache.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    assert not (root / ".lineage-scan-cache").exists()


def test_no_cache_reads_and_writes_nothing(make_repo, tmp_path, parsed) -> None:
    root = make_repo(FILES)
    scan(root, cache=False)
    assert not default_cache_dir(root).exists()


def test_an_unusable_cache_directory_only_costs_speed(make_repo, tmp_path, caplog) -> None:
    root = make_repo(FILES)
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    result = scan(root, cache_dir=blocked)
    assert render_json(result) == render_json(scan(root, cache=False))
    assert "cannot write cache entry" in caplog.text


def test_a_file_edited_during_the_scan_is_not_cached(make_repo, tmp_path, monkeypatch) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    original = lineage_scan.parsers.PARSERS["sql"]

    def editing(path, rel, context):
        fragment = original(path, rel, context)
        if rel == "marts/totals.sql":
            path.write_text("CREATE TABLE marts.other AS SELECT 1 AS one;")
        return fragment

    monkeypatch.setitem(lineage_scan.parsers.PARSERS, "sql", editing)
    scan(root, cache_dir=cache)
    assert len(entries(cache)) == 3


def test_unused_old_entries_are_pruned(make_repo, tmp_path) -> None:
    root = make_repo(FILES)
    cache = tmp_path / "cache"
    scan(root, cache_dir=cache)
    used = entries(cache)
    old = time.time() - (PRUNE_AFTER_DAYS + 1) * 24 * 3600
    stale = cache / "ab" / ("c" * 62 + ".json")
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("{}")
    recent = cache / "ab" / ("d" * 62 + ".json")
    recent.write_text("{}")
    foreign = cache / "ab" / "notes.txt"
    foreign.write_text("mine")
    for path in (stale, foreign, *used):
        os.utime(path, (old, old))
    scan(root, cache_dir=cache)
    assert set(entries(cache)) == {*used, recent}  # used entries survive however old; the unused old one goes
    assert foreign.exists()
    assert all(path.stat().st_mtime > old + 3600 for path in used)  # a hit marks the entry as recently used


def test_nothing_is_pruned_without_the_cache_tag(make_repo, tmp_path) -> None:
    root = make_repo(FILES)
    elsewhere = tmp_path / "not-a-cache"
    victim = elsewhere / "ab" / ("e" * 62 + ".json")
    victim.parent.mkdir(parents=True)
    victim.write_text("precious")
    old = time.time() - 365 * 24 * 3600
    os.utime(victim, (old, old))
    scan(root, cache_dir=elsewhere)
    assert victim.exists()
    assert not (elsewhere / CACHEDIR_TAG).exists()


SCAN_SCRIPT = """
import sys
from lineage_scan import scan
from lineage_scan.report.json import render_json
sys.stdout.write(render_json(scan(sys.argv[1], cache_dir=sys.argv[2], jobs=1)))
"""


def test_concurrent_scans_share_a_cache_safely(make_repo, tmp_path) -> None:
    files = dict(FILES)
    for index in range(30):
        files[f"more/t{index:02d}.sql"] = f"CREATE TABLE more.t{index} AS SELECT o.id, o.amount * {index} AS x FROM raw.orders o;"
    root = make_repo(files)
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    runs = [
        subprocess.Popen([sys.executable, "-c", SCAN_SCRIPT, str(root), str(cache)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = {run.communicate()[0] for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert outputs == {render_json(scan(root, cache=False))}
    assert len(entries(cache)) == 34
    assert not list(cache.glob("??/*.tmp"))
    for entry in entries(cache):
        assert json.loads(entry.read_text())["key"] == entry.parent.name + entry.stem
    assert entry_path(cache, "ab" + "0" * 62) == cache / "ab" / ("0" * 62 + ".json")


def test_default_folders_of_repositories_nobody_scans_are_removed(make_repo, tmp_path) -> None:
    from lineage_scan.fragment_cache import default_cache_base

    root = make_repo(FILES)
    base = default_cache_base()
    old = time.time() - (PRUNE_AFTER_DAYS + 1) * 24 * 3600
    abandoned, recent, foreign = base / "tmp-clone-0123", base / "other-4567", base / "not-ours"
    for folder in (abandoned, recent):
        scan(root, cache_dir=folder)  # real cache folders, tagged as ours
    (foreign / "ab").mkdir(parents=True)
    (foreign / "ab" / ("f" * 62 + ".json")).write_text("{}")
    (foreign / CACHEDIR_TAG).write_text("Signature: something else\n")
    for folder in (abandoned, foreign):
        os.utime(folder / CACHEDIR_TAG, (old, old))
    scan(root)  # the default folder: tidies its siblings
    assert not abandoned.exists()
    assert recent.exists() and foreign.exists() and default_cache_dir(root).exists()
    scan(root, cache_dir=tmp_path / "explicit")  # an explicit folder never touches the default ones
    assert recent.exists()


def test_unrepeatable_fragments_are_not_cached() -> None:
    from lineage_scan.model import Diagnostic, Fragment, Location, Severity
    from lineage_scan.parse_files import is_cacheable

    assert is_cacheable(Fragment(path="a.sql", parser="sql"))
    timed_out = Fragment(path="a.sql", parser="sql")
    timed_out.diagnostics.append(Diagnostic(Location("a.sql", 1, 1, 1, 1), "sql", "slow", Severity.WARNING, "LS940"))
    assert not is_cacheable(timed_out)


def _lineage(result) -> set[str]:
    return {f"{s} -> {t}" for s, t, _ in result.graph.column_edges()}


def test_a_module_change_invalidates_the_files_importing_it(make_repo, tmp_path) -> None:
    """A Python job's fragment depends on the helper module it imports (its `depends_on`)."""
    root = make_repo({
        "lineage-scan.yml": "dialect: postgres\n",
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def clean(df):\n    df['z'] = df['a'] + 1\n    return df\n",
        "pkg/job.py": ("import pandas as pd\nfrom pkg.helpers import clean\n"
                       "df = clean(pd.read_sql('select a from raw.t', None))\ndf.to_sql('feat', None, schema='ml')\n"),
    })
    cache = tmp_path / "cache"
    assert "raw.t.a -> ml.feat.z" in _lineage(scan(root, cache_dir=cache))
    (root / "pkg/helpers.py").write_text("def clean(df):\n    df['zz'] = df['a'] + 1\n    return df\n")
    again = scan(root, cache_dir=cache)
    assert again.files_from_cache == 1  # pkg/__init__.py; the job and the helper are parsed again
    assert "raw.t.a -> ml.feat.zz" in _lineage(again) and "raw.t.a -> ml.feat.z" not in _lineage(again)


def test_a_dag_file_is_parsed_again_when_its_sql_file_changes(make_repo, tmp_path) -> None:
    root = make_repo({
        "lineage-scan.yml": "dialect: postgres\n",
        "dags/d.py": ("from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
                      "with DAG('d', template_searchpath=['/opt/airflow/sql']) as dag:\n"
                      "    t = SQLExecuteQueryOperator(task_id='t', conn_id='w', sql='load.sql')\n"),
        "sql/load.sql": "create table a.x as select id, v from a.y;",
    })
    cache = tmp_path / "cache"
    assert "a.y.v -> a.x.v" in _lineage(scan(root, cache_dir=cache))
    (root / "sql/load.sql").write_text("create table a.x as select id, w from a.y;")
    again = scan(root, cache_dir=cache)
    assert "a.y.v -> a.x.v" not in _lineage(again) and "a.y.w -> a.x.w" in _lineage(again)


def test_a_dag_file_is_cached_until_a_path_it_looked_up_changes(make_repo, tmp_path) -> None:
    """The template is searched for in `sql/` first, then `include/`: a `sql/load.sql` appearing
    later is what Airflow would run, so the cached DAG is parsed again."""
    root = make_repo({
        "lineage-scan.yml": "dialect: postgres\n",
        "dags/d.py": ("from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
                      "with DAG('d', template_searchpath=['/opt/airflow/sql', '/opt/airflow/include']) as dag:\n"
                      "    t = SQLExecuteQueryOperator(task_id='t', conn_id='w', sql='load.sql')\n"),
        "include/load.sql": "create table a.x as select id, v from a.y;",
        "sql/other.sql": "create table a.o as select 1 as one;",
    })
    cache = tmp_path / "cache"
    first = scan(root, cache_dir=cache)
    assert scan(root, cache_dir=cache).files_from_cache == len(first.fragments)  # the DAG file too
    (root / "sql/load.sql").write_text("create table a.x as select id, w from a.y;")
    again = scan(root, cache_dir=cache)
    assert render_json(again) == render_json(scan(root, cache=False))  # a stale DAG fragment would differ


@pytest.mark.parametrize("record", [
    {"number": 10 ** 5000},                                      # over the digits limit of int -> text
    "deep",                                                      # nested past the stack (made below)
    {"not json": {1, 2}},
])
def test_a_record_json_cannot_write_is_not_stored(tmp_path, record, caplog) -> None:
    from lineage_scan.fragment_cache import write_record

    if record == "deep":
        record = []
        for _ in range(100_000):
            record = [record]
    key = "ab" * 32
    write_record(tmp_path, key, record)
    assert not entry_path(tmp_path, key).exists()
    assert "cannot write cache entry" in caplog.text
