"""The generated site in a real browser: Debian's Chromium, driven by Playwright, opened from file://.

The browser is the Debian package (`apt-get install -y chromium`, done by `.ci/run`); these tests never
download one. Without /usr/bin/chromium (or the playwright package) they skip locally and fail in CI
(`CI=true`). Every visit records console errors, page errors, dialogs and requests; a test fails if the
page logged an error, opened a dialog, or asked for anything that is not a file:// URL.
Screenshots of the main pages are written to tests/artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from site_fixtures import (
    CHURN_MODEL,
    DBT_MODEL,
    FEATURES,
    LEAKAGE_COLUMNS,
    LEAKAGE_KEY,
    TRAINING,
    example_result,
    hostile_result,
)

from lineage_scan.report.html import render_site, urls

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HIGHLIGHT = "rgb(194, 65, 12)"  # --hl in site.css


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return "Debian's Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)"
    return None


def require_browser() -> None:
    """Skip when the browser is missing, except in CI (`CI=true`), where that is a failure."""
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI, but {missing}")
        pytest.skip(missing)


def test_a_missing_browser_skips_locally_and_fails_in_ci(monkeypatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI"):
        require_browser()


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def write_site(files: dict[str, str], directory: Path) -> Path:
    for relative, text in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return write_site(render_site(example_result()), tmp_path_factory.mktemp("example-site"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    result = hostile_result(tmp_path_factory.mktemp("hostile-repo"))
    return write_site(render_site(result), tmp_path_factory.mktemp("hostile-site"))


@dataclass
class Visit:
    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, site: Path, path: str) -> None:
        file, rest = re.fullmatch(r"([^?#]*)(.*)", path).groups()  # keep ?query and #fragment out of the file name
        self.page.goto((site / file).as_uri() + rest)

    def shot(self, name: str, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def visit(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    seen = Visit(page)

    def route(route, request) -> None:
        seen.requests.append(request.url)
        if request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    yield seen
    context.close()
    assert seen.errors == []
    assert seen.dialogs == []
    assert seen.requests and all(url.startswith("file://") for url in seen.requests), seen.requests


def test_search_finds_a_column_and_navigates_to_it(visit, example_site) -> None:
    page = visit.page
    visit.open(example_site, "index.html")
    visit.shot("overview")
    page.fill("#q", "churn_features days_since_cancel")
    options = page.locator("#q-results li[role=option]")
    options.first.wait_for()
    # ml_features.churn_features (dbt) has no days_since_cancel: one match
    assert [t.split("\n")[:2] for t in options.all_inner_texts()] == [["COLUMN", "ml.churn_features.days_since_cancel"]]
    visit.shot("search-dropdown", full_page=False)
    page.press("#q", "ArrowDown")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r".*/relation/ml\.churn_features\.html#c-days_since_cancel$"))
    page.wait_for_selector("svg.graph.selecting")
    row = page.locator('#fig-col g.n.focus text.row[data-anchor="c-days_since_cancel"]')
    assert "sel" in row.get_attribute("class").split()
    status = page.locator("#fig-col .status").inner_text()
    assert status.startswith("ml.churn_features.days_since_cancel:") and "upstream" in status
    assert page.evaluate("document.querySelector(':target').id") == "c-days_since_cancel"
    visit.shot("relation-column-selected", full_page=False)


def test_search_page_lists_every_match(visit, example_site) -> None:
    visit.open(example_site, "search.html?q=customer_id")
    page = visit.page
    page.wait_for_selector("#search-results li")
    labels = page.locator("#search-results .rlabel").all_inner_texts()
    # relations with a customer_id column, hand-read from the SQL (stars expanded from the DDL and the
    # dbt source YAML, INSERT column lists) and the dbt models
    holders = {
        "raw.crm_contacts", "raw.customers", "raw.payments", "raw.subscriptions", "raw.support_tickets",
        "raw.marketing_touches", "staging.stg_customers", "staging.stg_payments", "staging.stg_subscriptions",
        "staging.stg_support_tickets", "staging.stg_failed_payments", "marts.customer_revenue",
        "marts.customer_subscriptions", "ml.churn_features", "ml.churn_labels", "ml.training_set",
        "ml.training_set_snapshots",
        "stg.stg_customers", "stg.stg_payments", "stg.stg_subscriptions", "stg.stg_support_tickets",
        "int.int_payments_by_customer", "int.int_subscription_periods", "int.int_ticket_stats",
        "core.customer_subscriptions", "core.dim_customers", "core.fct_payments", "core.ticket_priorities",
        "ml_features.churn_features", "ml_features.churn_labels", "ml_features.churn_training_set",
        "snapshots.subscriptions_snapshot",
    }  # not core.mrr_by_month (count(distinct customer_id) AS customers), nor the revenue rollups
    exact = [label for label in labels if label.endswith(".customer_id")]
    assert {f"{name}.customer_id" for name in holders} <= set(exact)
    assert labels[:len(exact)] == exact  # exact column matches first...
    # ...then other names with words starting "customer" and "id"
    assert {"marts.customer_subscriptions.current_subscription_id",
            "core.customer_subscriptions.current_subscription_id"} <= set(labels[len(exact):])
    assert page.locator("#search-status").inner_text() == f"{len(labels)} results."
    for label in exact:  # every result is a column its relation's page lists
        relation = label.removesuffix(".customer_id")
        page_file = example_site / urls.relation_page(relation)
        assert 'id="c-customer_id"' in page_file.read_text(encoding="utf-8"), relation
    visit.shot("search-page")


def test_dbt_relation_page_shows_columns_owners_and_tests(visit, example_site) -> None:
    visit.open(example_site, urls.relation_page(DBT_MODEL))
    page = visit.page
    facts = page.locator("dl.facts").first.inner_text()
    assert "analytics-engineering@example.com" in facts and "@acme/analytics-engineering" in facts
    assert "dbt_utils.expression_is_true" in facts and "MATERIALISATION\ntable" in facts
    assert page.locator("table.columns-table tbody tr").count() == 9  # the columns of its SELECT
    customer = page.locator("#c-customer_id").inner_text()
    assert "not_null" in customer and "unique" in customer
    # stg_customers, country_regions, int_payments_by_customer upstream; churn_features downstream
    assert page.locator("#fig-rel svg.graph g.n").count() > 4
    assert page.locator("section.findings-box li").inner_text().startswith("WARNING")  # LS401, see test_render
    visit.shot("relation-dbt")


def test_leakage_finding_path_is_highlighted(visit, example_site) -> None:
    visit.open(example_site, f"findings/ls101.html#{urls.finding_anchor(LEAKAGE_KEY)}")
    page = visit.page
    article = page.locator(f'[id="{urls.finding_anchor(LEAKAGE_KEY)}"]')
    hops = len(LEAKAGE_COLUMNS) - 1
    highlighted = article.locator("svg.graph path.e.hl")
    assert highlighted.count() == hops
    styles = highlighted.evaluate_all("els => els.map(e => [getComputedStyle(e).stroke, getComputedStyle(e).strokeWidth])")
    assert styles == [[HIGHLIGHT, "3.2px"]] * hops
    steps = article.locator("svg.graph text.row.step")
    labels = steps.evaluate_all(
        "els => els.map(e => [+e.getAttribute('data-step'), e.closest('g.n').querySelector('.name').textContent + '.' + e.textContent])")
    assert [label for _, label in sorted(labels)] == list(LEAKAGE_COLUMNS)
    assert steps.evaluate_all("els => els.map(e => getComputedStyle(e).fill)") == [HIGHLIGHT] * len(LEAKAGE_COLUMNS)
    assert sorted(article.locator("svg.graph text.stepno").all_text_contents()) == [str(i) for i in range(1, 6)]
    assert article.locator("ol.path li").count() == len(LEAKAGE_COLUMNS)
    article.scroll_into_view_if_needed()
    visit.shot("finding")


def test_model_page_highlights_the_finding_path_on_demand(visit, example_site) -> None:
    visit.open(example_site, urls.model_page(CHURN_MODEL))
    page = visit.page
    figure = page.locator("#fig-model")
    assert figure.locator(".path").count() == 0
    button = figure.locator("button[data-highlight]", has_text="LS101")
    button.click()
    assert figure.locator("text.row.path").count() == len(LEAKAGE_COLUMNS)
    assert figure.locator("path.e.pathhl").count() == len(LEAKAGE_COLUMNS) - 1
    visit.shot("model")
    button.click()
    assert figure.locator(".path, .pathhl").count() == 0


def test_keyboard_depth_pan_and_zoom(visit, example_site) -> None:
    visit.open(example_site, urls.relation_page(FEATURES))
    page = visit.page
    figure = page.locator("#fig-rel")
    viewport = figure.locator(".viewport")
    viewport.focus()
    status = figure.locator(".status")
    assert status.inner_text().startswith(FEATURES)
    page.keyboard.press("ArrowRight")
    assert status.inner_text().startswith(TRAINING)  # the nearest relation downstream, on the same row
    # leftwards back to the start (the layout may put ml.churn_scores, also downstream, on the way)
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
        if status.inner_text().startswith(FEATURES + "."):
            break
    assert status.inner_text().startswith(FEATURES + ".")
    page.keyboard.press("ArrowLeft")
    assert not status.inner_text().startswith((FEATURES, TRAINING, "ml.churn_scores"))  # one of its upstream relations
    page.keyboard.press(" ")
    assert figure.locator("svg.graph.selecting").count() == 1
    page.keyboard.press("Escape")
    assert figure.locator("svg.graph.selecting").count() == 0

    def view_box() -> list[float]:
        return [float(v) for v in figure.locator("svg.graph").get_attribute("viewBox").split()]

    before = view_box()
    figure.locator("button[data-zoom=in]").click()
    after = view_box()
    assert after[2] == pytest.approx(before[2] / 1.25, rel=0.01)
    box = viewport.bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 60, steps=5)
    page.mouse.up()
    panned = view_box()
    assert panned[0] > after[0] and panned[1] > after[1]
    figure.locator("button[data-depth='3']").click()
    figure.locator("svg.graph[aria-label*='3 hops']").wait_for()
    assert figure.locator("svg.graph g.n").count() == 20  # raw.subscriptions joins at 3 hops
    assert figure.locator("button[data-depth='3']").get_attribute("aria-pressed") == "true"
    figure.locator("button[data-depth='2']").click()
    assert figure.locator("svg.graph g.n").count() == 19  # see test_render.test_relation_lineage_at_each_depth


def test_column_lineage_selection_follows_edges(visit, example_site) -> None:
    visit.open(example_site, urls.relation_page("staging.stg_subscriptions"))
    page = visit.page
    figure = page.locator("#fig-col")
    figure.locator('g.n.focus text.row[data-anchor="c-cancelled_date"]').click()
    lit = figure.locator("text.row.lit").evaluate_all(
        "els => els.map(e => e.closest('g.n').querySelector('.name').textContent + '.' + e.textContent).sort()")
    # cancelled_date is CAST(cancelled_at AS DATE) from raw.subscriptions and feeds
    # marts.customer_subscriptions.cancelled_date (one hop each way in this drawing)
    assert "raw.subscriptions.cancelled_at" in lit
    assert "marts.customer_subscriptions.cancelled_date" in lit
    assert "staging.stg_subscriptions.cancelled_date" in lit
    visit.shot("column-lineage", full_page=False)


def test_every_page_loads_cleanly(visit, example_site) -> None:
    pages = sorted(p.relative_to(example_site).as_posix() for p in example_site.rglob("*.html"))
    assert len(pages) > 40
    for path in pages:
        visit.open(example_site, path)
        assert visit.page.locator("main h1").count() == 1, path
    visit.open(example_site, urls.dag_page("warehouse_nightly"))
    visit.shot("dag")
    visit.open(example_site, "source/" + urls.source_page("warehouse/features/churn_features.sql").split("/", 1)[1] + "#L34")
    visit.shot("source", full_page=False)


def test_hostile_names_render_as_text_and_run_nothing(visit, hostile_site) -> None:
    page = visit.page
    relation = next(p for p in hostile_site.glob("relation/*.html") if "script" in p.name)
    for path in ("index.html", "relations.html", relation.relative_to(hostile_site).as_posix()):
        visit.open(hostile_site, path)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("img").count() == 0
        hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")]
    text = page.locator("main").inner_text()
    for shown in ("<script>alert(1)</script>", "<img src=x onerror=alert(4)>", "javascript:alert(5)",
                  '"><script>alert(6)</script>', "</script><b>bold</b>", 'x" onmouseover="alert(2)'):
        assert shown in text
    assert page.locator("main b").count() == 0
    page.locator("figure.lineage text.row").first.click()
    edge = page.locator("#fig-col path.e").first
    edge.dispatch_event("pointerover")
    assert "<script>alert(1)</script>" in edge.locator("title").text_content()
    visit.shot("hostile")
    page.fill("#q", "script")
    page.locator("#q-results li[role=option]").first.wait_for()
    assert "<script>alert(1)</script>" in page.locator("#q-results").inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_printing_hides_controls_and_shows_whole_drawings(visit, example_site) -> None:
    visit.open(example_site, urls.relation_page(FEATURES))
    page = visit.page
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("header.top").is_hidden() and page.locator(".toolbar").first.is_hidden()
    svg = page.locator("#fig-rel svg.graph")
    assert svg.get_attribute("viewBox").split() == ["0", "0", svg.get_attribute("width"), svg.get_attribute("height")]
    assert page.locator("details:not([open])").count() == 0  # folded indirect lineage is printed too
    visit.shot("relation-print")
