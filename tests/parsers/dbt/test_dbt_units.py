"""dbt models as units of work: the same bytes out for any number of processes and any cache state,
and a re-scan renders again exactly the nodes whose inputs changed."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from lineage_scan import scan
from lineage_scan.api import ScanResult
from lineage_scan.parse_files import POOL_MIN_FILES
from lineage_scan.parsers.dbt.parse import ProjectParser
from lineage_scan.report.json import render_json


def shop(models: int = 6) -> dict[str, str]:
    """A dbt project: sources with columns, a macro, staging `select *` models over the sources, marts
    joining two staging models, an incremental model, a model listing `graph.nodes`, one using
    `doc()`, a seed, an analysis and a singular test."""
    files = {
        "lineage-scan.yml": "dialect: postgres\n",
        "proj/dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    marts:\n      +materialized: table\n",
        "proj/macros/cents.sql": "{% macro cents(col) %}({{ col }} / 100.0){% endmacro %}\n",
        "proj/seeds/regions.csv": "region_id,region_name\n1,north\n",
        "proj/models/docs.md": "{% docs amount_doc %}The amount.{% enddocs %}\n",
        "proj/analyses/top.sql": "select customer_id, amount from {{ ref('stg_0') }}\n",
        "proj/tests/positive.sql": "select * from {{ ref('mart_0') }} where amount < 0\n",
    }
    sources = ["version: 2", "sources:", "  - name: raw", "    schema: raw", "    tables:"]
    for i in range(models):
        sources += [f"      - name: t{i}", "        columns:", "          - name: customer_id",
                    f"          - name: amount_cents_{i}", "          - name: region_id"]
        files[f"proj/models/staging/stg_{i}.sql"] = (
            f"select *, {{{{ cents('amount_cents_{i}') }}}} as amount from {{{{ source('raw', 't{i}') }}}}\n"
        )
        other = (i + 1) % models
        files[f"proj/models/marts/mart_{i}.sql"] = (
            f"select a.customer_id, a.amount, b.amount as other_amount, r.region_name\n"
            f"from {{{{ ref('stg_{i}') }}}} a join {{{{ ref('stg_{other}') }}}} b on a.customer_id = b.customer_id\n"
            f"join {{{{ ref('regions') }}}} r on a.region_id = r.region_id\n"
        )
    files["proj/models/sources.yml"] = "\n".join(sources) + "\n"
    files["proj/models/staging/schema.yml"] = (
        "version: 2\nmodels:\n  - name: stg_0\n    description: first staging model\n"
    )
    files["proj/models/marts/incremental_orders.sql"] = (
        "{{ config(materialized='incremental') }}\nselect customer_id, amount from {{ ref('stg_1') }}\n"
        "{% if is_incremental() %}where amount > (select max(amount) from {{ this }}){% endif %}\n"
    )
    files["proj/models/marts/model_count.sql"] = (
        "select {{ graph.nodes | length }} as models, customer_id from {{ ref('stg_2') }}\n"
    )
    files["proj/models/marts/documented.sql"] = (
        "select customer_id, '{{ doc(\"amount_doc\") }}' as note from {{ ref('stg_3') }}\n"
    )
    return files


def _scan(root: Path, cache_dir: Path | None, jobs: int = 2) -> ScanResult:
    return scan(root, jobs=jobs, cache=cache_dir is not None, cache_dir=cache_dir)


def units(models: int) -> int:
    """Staging and mart models, the three other models, the analysis and the test."""
    return 2 * models + 3 + 2


def test_the_same_json_for_any_number_of_processes_and_cache_state(make_repo, pools, tmp_path) -> None:
    root = make_repo(shop(POOL_MIN_FILES))  # as many staging models, ready at once: enough for a pool
    serial = render_json(_scan(root, None, jobs=1))
    assert pools == []
    assert render_json(_scan(root, None, jobs=2)) == serial
    assert render_json(_scan(root, None, jobs=3)) == serial
    assert pools == [2, 3]
    cold = _scan(root, tmp_path / "cache")
    assert cold.units_from_cache == 0 and render_json(cold) == serial
    warm = _scan(root, tmp_path / "cache")
    assert warm.units_from_cache == units(POOL_MIN_FILES)
    assert render_json(warm) == serial
    assert pools == [2, 3, 2]  # nothing left to run: no pool
    # what the units computed, worked out from the files: stars expanded through the sources' columns
    graph = warm.graph
    assert graph.columns_of("analytics.stg_4") == ("customer_id", "amount_cents_4", "region_id", "amount")
    assert graph.columns_of("analytics.mart_4") == ("customer_id", "amount", "other_amount", "region_name")
    assert "raw.t5.amount_cents_5" in {str(c) for c in graph.upstream(_column("analytics.mart_4", "other_amount"))}


def test_few_ready_units_run_in_this_process(make_repo, pools) -> None:
    _scan(make_repo(shop()), None, jobs=2)
    assert pools == []


def _column(table: str, column: str):
    from lineage_scan.model import ColumnRef

    return ColumnRef(table, column)


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


TOTAL = units(6)


@pytest.mark.parametrize(("rel", "old", "new", "rendered_again"), [
    # a model's text: that model, and the model reading `graph` (its nodes carry every model's code)
    ("proj/models/marts/mart_4.sql", "join", "inner join", 2),
    # a model's columns change: it, the models that ref it (mart_5, mart_4) and the `graph` reader
    ("proj/models/staging/stg_5.sql", "as amount", "as amount, 1 as one", 4),
    # a macro: every node is rendered again
    ("proj/macros/cents.sql", "100.0", "100", TOTAL),
    # a model's YAML description: that model (its template may read `model.description`) and the `graph` reader
    ("proj/models/staging/schema.yml", "first staging model", "the first staging model", 2),
    # a docs block: the model calling doc() only
    ("proj/models/docs.md", "The amount.", "The amount, in dollars.", 1),
    # a source's columns: every node (any query may read a source)
    ("proj/models/sources.yml", "amount_cents_0", "amount_cents_zero", TOTAL),
])
def test_what_a_change_renders_again(make_repo, tmp_path, rel, old, new, rendered_again) -> None:
    root = make_repo(shop())
    cache = tmp_path / "cache"
    _scan(root, cache, jobs=1)
    _edit(root, rel, old, new)
    again = _scan(root, cache, jobs=1)
    assert render_json(again) == render_json(_scan(root, None, jobs=1))
    assert again.units_from_cache == TOTAL - rendered_again


def test_a_damaged_entry_is_rendered_again(make_repo, tmp_path) -> None:
    root = make_repo(shop())
    cache = tmp_path / "cache"
    _scan(root, cache, jobs=1)
    damaged = 0
    for entry in cache.glob("*/*.json"):
        text = entry.read_text()
        if '"rendered":true' in text:
            entry.write_text(text.replace('"rendered":true', '"rendered":"yes"'))
            damaged += 1
    assert damaged == TOTAL
    again = _scan(root, cache, jobs=1)
    assert again.units_from_cache == 0
    assert render_json(again) == render_json(_scan(root, None, jobs=1))


def test_progress_counts_files_and_models(make_repo, tmp_path) -> None:
    files = shop()
    files["warehouse/extra.sql"] = "create table raw.extra as select 1 as one;"
    root = make_repo(files)
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # cold and warm: every file and model counted
        calls: list[tuple[int, int, str]] = []
        scan(root, jobs=1, cache=cache is not None, cache_dir=cache, progress=lambda *call, into=calls: into.append(call))
        everything = TOTAL + 1 + 1  # the units, the seed and the one SQL file
        assert [done for done, _, _ in calls] == list(range(1, everything + 1))
        assert {total for _, total, _ in calls} == {everything}
        paths = {path for _, _, path in calls}
        assert {"warehouse/extra.sql", "proj/models/marts/mart_2.sql", "proj/analyses/top.sql", "proj/seeds/regions.csv"} <= paths


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="patching reaches workers only when forked")
def test_a_dying_worker_leaves_its_models_to_this_process(make_repo, monkeypatch, caplog) -> None:
    root = make_repo(shop(POOL_MIN_FILES))
    expected = render_json(_scan(root, None, jobs=1))
    parent, original = os.getpid(), ProjectParser.run_unit

    def dying(self, unit):
        if os.getpid() != parent and unit.unique_id == "model.shop.stg_7":
            os._exit(3)
        return original(self, unit)

    monkeypatch.setattr(ProjectParser, "run_unit", dying)
    assert render_json(_scan(root, None, jobs=2)) == expected
    assert "parser process died" in caplog.text


def test_properties_yaml_is_parsed_once_per_text(make_repo, tmp_path, monkeypatch) -> None:
    """A re-scan reads each properties file's parsed YAML from the cache, until the file's text changes;
    a file whose YAML shares nodes (anchors) or holds YAML-only values (dates) is parsed every time."""
    from lineage_scan.parsers.dbt import loader

    files = shop()
    files["proj/models/marts/schema.yml"] = (
        "version: 2\nmodels:\n  - name: mart_0\n    config: &common\n      tags: [daily]\n"
        "  - name: mart_1\n    config: *common\n    meta:\n      since: 2024-01-31\n"
    )
    root = make_repo(files)
    parsed: list[int] = []
    original = loader.parse_yaml
    monkeypatch.setattr(loader, "parse_yaml", lambda text: parsed.append(1) or original(text))
    cache = tmp_path / "cache"
    uncached = render_json(_scan(root, None, jobs=1))
    assert len(parsed) == 3  # sources.yml, staging/schema.yml, marts/schema.yml
    parsed.clear()
    assert render_json(_scan(root, cache, jobs=1)) == uncached
    assert len(parsed) == 3
    parsed.clear()
    assert render_json(_scan(root, cache, jobs=1)) == uncached
    assert len(parsed) == 1  # only the file with an anchor and a date
    parsed.clear()
    _edit(root, "proj/models/staging/schema.yml", "first staging model", "the first staging model")
    again = _scan(root, cache, jobs=1)
    assert len(parsed) == 2
    assert render_json(again) == render_json(_scan(root, None, jobs=1))


@pytest.mark.parametrize(("data", "plain"), [
    ({"a": [1, 2.5, "x", None, True, {"__line__": 3}]}, True),
    ([], True),
    ({1: "integer key"}, False),
    ({"when": __import__("datetime").date(2024, 1, 31)}, False),
    ({"x": float("nan")}, False),
    ({"s": {1, 2}}, False),
    ((lambda shared: {"a": shared, "b": shared})({"k": 1}), False),  # an alias: one object met twice
])
def test_only_plain_json_trees_of_yaml_are_cached(data, plain) -> None:
    from lineage_scan.parsers.dbt.loader import is_json_tree

    assert is_json_tree(data) is plain

