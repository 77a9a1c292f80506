"""The site of a hostile repository read by the real parsers (tests/docsite/hostile_repo.py): in the
HTML text and in a real browser, no payload runs, no attribute is broken out of, no `javascript:`
link exists, and every payload is shown as text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hostile_repo import (
    ATTR_DOUBLE,
    ATTR_SINGLE,
    CLOSE_SCRIPT,
    DAG_ID,
    DBT_MODEL_FILE,
    EVIL_TABLE,
    IMG,
    JS_URL,
    OWNER,
    SCRIPT,
    SVG,
    TASK_ID,
    write_hostile_repo,
)
from html_helpers import parse
from test_browser import browser, visit, write_site  # noqa: F401 - fixtures shared with the browser tests

from lineage_scan import scan
from lineage_scan.report.html import render_site

SITE_SCRIPTS = re.compile(r"(\.\./)*(assets/site\.js|data/[\w/.-]+\.js)")
SAFE_HREF = re.compile(r"(\.\./)*[^:]*(#.*)?|#.*")
"""Relative links inside the site only: no scheme at all (so no javascript:, data:, vbscript:)."""


@pytest.fixture(scope="module")
def hostile_scan(tmp_path_factory):
    return scan(write_hostile_repo(tmp_path_factory.mktemp("hostile-parsed-repo")), cache=False)


@pytest.fixture(scope="module")
def hostile_files(hostile_scan) -> dict[str, str]:
    return render_site(hostile_scan)


@pytest.fixture(scope="module")
def hostile_parsed_site(hostile_files, tmp_path_factory) -> Path:
    return write_site(hostile_files, tmp_path_factory.mktemp("hostile-parsed-site"))


def test_the_payloads_reach_the_site_through_the_parsers(hostile_scan) -> None:
    """The fixture is only worth something if the parsers carried each payload into the scan."""
    graph = hostile_scan.graph
    assert graph.has_relation(f"raw.{EVIL_TABLE}") and graph.has_relation(f"marts.{SCRIPT}")
    assert ATTR_SINGLE in graph.columns_of(f"marts.{SCRIPT}")
    assert graph.has_relation(f"analytics.{DBT_MODEL_FILE}") and ATTR_DOUBLE in graph.columns_of(f"analytics.{DBT_MODEL_FILE}")
    model = graph.relation(f"analytics.{DBT_MODEL_FILE}")
    assert SCRIPT in model.description and IMG in model.description and CLOSE_SCRIPT in model.tags
    tasks = {task.id for task in graph.tasks()}
    assert f"airflow:{DAG_ID}.{TASK_ID}" in tasks and f"airflow:{DAG_ID}.{ATTR_SINGLE}" in tasks
    assert "dbt:evil.exposure.dash_0" in tasks
    assert graph.has_relation(SVG) and ATTR_DOUBLE in graph.columns_of(SVG)  # jobs/features.py
    assert graph.has_relation(ATTR_SINGLE) and IMG in graph.columns_of(ATTR_SINGLE)  # the notebook
    assert JS_URL in graph.relation(f"raw.{EVIL_TABLE}").owners  # CODEOWNERS, warehouse/ line
    assert any(OWNER in graph.relation(name).owners for name in graph.relations())  # CODEOWNERS, * line
    assert any(SCRIPT in d.message for d in hostile_scan.diagnostics)  # LS913 quotes the ref
    assert any(ATTR_DOUBLE in f.message for f in hostile_scan.findings)  # LS202 names the table


def test_html_text_escapes_every_payload(hostile_files) -> None:
    pages = {path: text for path, text in hostile_files.items() if path.endswith(".html")}
    shown = ""
    for path, text in pages.items():
        for payload in (SCRIPT, CLOSE_SCRIPT, IMG, SVG, "<svg onload", "<img", 'onmouseover="', "onfocus='"):
            assert payload not in text, f"{path}: raw {payload!r}"
        tree = parse(text)
        for element in tree.iter():
            assert element.tag not in ("img", "iframe", "object", "embed", "base"), (path, element.tag)
            events = [name for name in element.attrs if name.startswith("on")]
            assert not events, (path, element.tag, events)
            if element.tag == "script":
                assert SITE_SCRIPTS.fullmatch(element.attrs.get("src", "")) and not element.text.strip(), path
            if element.tag == "a" and "href" in element.attrs:
                assert SAFE_HREF.fullmatch(element.attrs["href"]), (path, element.attrs["href"])
        shown += html.unescape(tree.all_text())
    for payload in (SCRIPT, CLOSE_SCRIPT, IMG, SVG, ATTR_DOUBLE, ATTR_SINGLE, JS_URL, DAG_ID, OWNER):
        assert payload in shown, f"{payload!r} is shown nowhere"


def test_data_scripts_keep_payloads_inside_strings(hostile_files) -> None:
    """The site's data files are JavaScript: a payload may only appear inside a JSON string."""
    for path, text in hostile_files.items():
        if path.endswith(".js") and path.startswith("data/"):
            code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
            assert "pwned" not in code and "<" not in code, path


def test_hostile_site_runs_nothing_in_the_browser(visit, hostile_parsed_site) -> None:  # noqa: F811
    page = visit.page
    pages = sorted(p.relative_to(hostile_parsed_site).as_posix() for p in hostile_parsed_site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        visit.open(hostile_parsed_site, path)
        page.locator("main").first.hover()
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        bad = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(e =>
            [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))""")
        assert bad == [], (path, bad)
        protocols = page.evaluate("""() => [...document.querySelectorAll('a')].map(a =>
            new URL(a.getAttribute('href') ?? a.getAttribute('xlink:href') ?? '#', document.baseURI).protocol)""")
        assert set(protocols) <= {"file:"}, (path, set(protocols))
        assert page.locator("img, iframe, object, embed").count() == 0, path
    visit.open(hostile_parsed_site, "index.html")
    page.fill("#q", "pwned")
    page.locator("#q-results li[role=option]").first.wait_for()
    assert SCRIPT in page.locator("#q-results").inner_text()
    page.locator("#q-results li[role=option]").first.click()
    page.wait_for_load_state()
    for box in page.locator("figure.lineage g.node, figure.lineage text.row").all()[:10]:
        box.click()
    assert page.evaluate("typeof window.__pwned") == "undefined"
