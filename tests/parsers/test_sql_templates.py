"""Plain `.sql` files with Jinja (Airflow templates kept next to the DAGs) are rendered before parsing."""

from __future__ import annotations

from lineage_scan import ColumnRef, scan


def _sql_diagnostics(result) -> list[tuple[str, int, str]]:
    return [(d.code, d.location.start_line, d.message) for d in result.diagnostics if d.location.path.endswith(".sql")]


def test_airflow_template_is_rendered_and_analysed(make_repo) -> None:
    root = make_repo({
        "dags/sql/load.sql": (
            "INSERT INTO marts.daily\n"
            "SELECT id, amount FROM raw.orders\n"
            "WHERE order_date = '{{ ds }}' {% if params.full_refresh %}OR TRUE{% endif %}\n"
            "  AND region = '{{ var.value.region }}' AND batch_id = '{{ ti.xcom_pull(task_ids=\"start\") }}';\n"
        ),
    })
    result = scan(root, {"airflow": {"variables": {"region": "eu"}}}, jobs=1, cache=False)
    assert _sql_diagnostics(result) == []
    graph = result.graph
    amount = ColumnRef("marts.daily", "amount")
    sources = {source for source, *_ in graph.edges_into(amount)}
    # `amount` is copied from raw.orders.amount; order_date, region and batch_id decide which rows land.
    assert sources == {ColumnRef("raw.orders", name) for name in ("amount", "order_date", "region", "batch_id")}


def test_template_that_cannot_render_is_analysed_as_written_with_a_warning(make_repo) -> None:
    root = make_repo({
        "sql/broken.sql": "SELECT a FROM t1;\n{% if %}\nCREATE TABLE x AS SELECT b FROM t2;\n",
    })
    result = scan(root, jobs=1, cache=False)
    codes = [(code, line) for code, line, _ in _sql_diagnostics(result)]
    assert ("LS903", 2) in codes
    assert "LS901" in {code for code, _ in codes}  # the `{% if %}` statement itself still does not parse


def test_includes_stay_inside_the_scanned_root(make_repo) -> None:
    root = make_repo({
        "sql/outer.sql": "CREATE TABLE a AS SELECT x FROM b WHERE {% include '../../../../etc/hostname' %};\n",
    })
    result = scan(root, jobs=1, cache=False)
    (code, _, message), = _sql_diagnostics(result)[:1]
    assert code == "LS903" and "hostname" in message


def test_a_cached_template_is_parsed_again_when_its_include_changes(make_repo, tmp_path) -> None:
    root = make_repo({
        "sql/load.sql": "CREATE TABLE marts.t AS SELECT id, {% include 'cols.sql' %} FROM raw.s;\n",
        "sql/cols.sql": "a",
    })
    cache_dir = tmp_path / "cache"
    first = scan(root, jobs=1, cache_dir=cache_dir)
    assert first.graph.columns_of("marts.t") == ("id", "a")
    (root / "sql" / "cols.sql").write_text("b")
    second = scan(root, jobs=1, cache_dir=cache_dir)
    assert second.graph.columns_of("marts.t") == ("id", "b")
