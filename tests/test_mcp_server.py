"""`lineage-scan mcp`: driven over stdio by the MCP SDK's own client, against `fixtures/example_repo/`.

Expected answers are worked out by hand from the fixture's SQL (comments say from where).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from repo_paths import EXAMPLE_REPO, REPO_ROOT

pytest.importorskip("mcp", reason="the 'mcp' extra (the MCP Python SDK) is not installed")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from lineage_scan import explore, scan

TOOLS = {"summary", "search", "describe", "upstream", "downstream", "impact", "findings", "rescan"}


def session(root: Path, script):
    """Start `lineage-scan mcp ROOT` and run ``script(client)``; return what it returns."""
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    params = StdioServerParameters(command=sys.executable, args=["-m", "lineage_scan.cli", "mcp", str(root)], env=env)

    async def run():
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                return await script(Client(client))

    return anyio.run(run)


class Client:
    """Calls a tool and returns its structured answer (or the error text), checking text == structure."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.sizes: dict[str, int] = {}

    async def __call__(self, tool: str, **arguments) -> dict | str:
        result = await self.session.call_tool(tool, arguments)
        text = result.content[0].text
        if result.is_error:
            return text
        assert json.loads(text) == result.structured_content
        self.sizes[f"{tool} {arguments}"] = len(text.encode())
        return result.structured_content


async def all_pages(call: Client, tool: str, key: str | None = None, **arguments) -> list[dict]:
    items, cursor = [], None
    while True:
        answer = await call(tool, **arguments, cursor=cursor)
        page = answer[key] if key else answer
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(items) == page["total"]
            return items


def test_tools_and_lineage_answers() -> None:
    async def script(call: Client):
        listed = await call.session.list_tools()
        up_direct = await call("upstream", column="ml.churn_features.days_since_cancel", direct_only=True)
        up_one = await call("upstream", column="ml.churn_features.days_since_cancel", depth=1)
        up_all = await all_pages(call, "upstream", column="ml.churn_features.days_since_cancel", limit=10)
        down = await call("downstream", column="raw.subscriptions.cancelled_at")
        impact = await call("impact", column="raw.subscriptions.cancelled_at", change="drop", limit=5)
        unknown = await call("upstream", column="ml.churn_feature.days_since_cancel")
        return listed, up_direct, up_one, up_all, down, impact, unknown, call.sizes

    listed, up_direct, up_one, up_all, down, impact, unknown, sizes = session(EXAMPLE_REPO, script)
    assert {tool.name for tool in listed.tools} == TOOLS
    assert all(tool.annotations.read_only_hint for tool in listed.tools if tool.name != "rescan")

    # days_since_cancel = DATEDIFF('day', cs.cancelled_date, ...); cs.cancelled_date is stg_subscriptions'
    # CAST(cancelled_at AS DATE) passed through marts.customer_subscriptions.
    assert [(i["column"], i["depth"], i["via"]) for i in up_direct["items"]] == [
        ("marts.customer_subscriptions.cancelled_date", 1, ["transform"]),
        ("staging.stg_subscriptions.cancelled_date", 2, ["identity"]),
        ("raw.subscriptions.cancelled_at", 3, ["transform"]),
    ]
    assert up_direct["items"][0]["at"] == "warehouse/features/churn_features.sql:34:5"
    # One edge away: the DATEDIFF source and the five JOIN ... ON keys (t.customer_id carries the
    # tickets CTE's WHERE opened_at with it).
    assert {(i["column"], tuple(i["via"]), i["direct"]) for i in up_one["items"]} == {
        ("marts.customer_subscriptions.cancelled_date", ("transform",), True),
        ("marts.customer_subscriptions.customer_id", ("join",), False),
        ("staging.stg_customers.customer_id", ("join",), False),
        ("marts.customer_revenue.customer_id", ("join",), False),
        ("staging.stg_failed_payments.customer_id", ("join",), False),
        ("staging.stg_support_tickets.customer_id", ("join",), False),
        ("staging.stg_support_tickets.opened_at", ("join",), False),
    }
    # The raw columns reached through every edge kind, traced by hand through staging and marts:
    # the cancelled_at value; the dedup (QUALIFY on subscription_id/_loaded_at, WHERE status) and the
    # current-subscription QUALIFY (customer_id, started_at, subscription_id); the join keys of
    # customers (test accounts filtered), revenue (grouped by country/channel/campaign, joined to
    # payments and first touches), failed payments and tickets (spam filtered, 90-day window).
    assert {i["column"] for i in up_all if i["column"].startswith("raw.")} == {
        "raw.subscriptions.cancelled_at", "raw.subscriptions.subscription_id", "raw.subscriptions._loaded_at",
        "raw.subscriptions.status", "raw.subscriptions.customer_id", "raw.subscriptions.started_at",
        "raw.customers.customer_id", "raw.customers.is_test_account", "raw.customers.country_code",
        "raw.customers.acquisition_channel", "raw.marketing_touches.campaign_name",
        "raw.marketing_touches.customer_id", "raw.marketing_touches.is_first_touch",
        "raw.payments.customer_id", "raw.payments.status", "raw.payments.amount_cents",
        "raw.support_tickets.customer_id", "raw.support_tickets.category", "raw.support_tickets.opened_at",
    }
    assert [i["depth"] for i in up_all] == sorted(i["depth"] for i in up_all)

    # cancelled_at -> CAST / IS NOT NULL in staging -> marts -> the feature (DATEDIFF), the label (CASE WHEN)
    # -> training_set (churned AS label, a path through a condition, so not direct).
    assert {(i["column"], i["depth"], tuple(i["via"]), i["direct"]) for i in down["items"]} >= {
        ("staging.stg_subscriptions.cancelled_date", 1, ("transform",), True),
        ("staging.stg_subscriptions.is_cancelled", 1, ("transform",), True),
        ("marts.customer_subscriptions.cancelled_date", 2, ("identity",), True),
        ("marts.customer_subscriptions.is_cancelled", 2, ("identity",), True),
        ("ml.churn_features.days_since_cancel", 3, ("transform",), True),
        ("ml.churn_labels.churned", 3, ("conditional",), False),
        ("ml.training_set.days_since_cancel", 4, ("identity",), True),
        ("ml.training_set.label", 4, ("rename",), False),
    }
    assert {"path": "warehouse/staging/stg_subscriptions.sql", "lines": [23, 24]} in impact["referenced_in"]
    assert {r["name"] for r in impact["relations"]} >= {
        "staging.stg_subscriptions", "marts.customer_subscriptions", "ml.churn_features", "ml.churn_labels", "ml.training_set"}
    assert impact["summary"].startswith("3 place(s) in 2 file(s) name this column and will fail")  # warehouse + dbt staging
    assert len(impact["downstream"]["items"]) == 5 and impact["downstream"]["next_cursor"] == "5"
    assert "did you mean: ml.churn_features.days_since_cancel" in unknown
    assert max(sizes.values()) < 8_000, sizes


def test_search_describe_summary_and_findings() -> None:
    async def script(call: Client):
        return (
            await call("search", query="days_since", types=["column"], limit=2),
            await call("search", query="days_since", types=["column"], limit=2, cursor="2"),
            await call("describe", name="ml.churn_features"),
            await call("describe", name="ml.churn_features.days_since_cancel"),
            await call("describe", name="raw.marketing_touches"),
            await call("summary"),
            await all_pages(call, "findings", limit=3),
        )

    first, second, relation, column, external, summary, findings = session(EXAMPLE_REPO, script)
    assert [i["name"] for i in first["items"] + second["items"]] == [
        "ml.churn_features.days_since_cancel", "ml.churn_features.days_since_last_payment",
        "ml.training_set.days_since_cancel", "ml.training_set.days_since_last_payment",
    ]
    assert first["next_cursor"] == "2"
    # CREATE OR REPLACE TABLE ml.churn_features AS (line 3), its 13 output columns in SELECT order.
    assert relation["defined_at"] == ["warehouse/features/churn_features.sql:3:25"]
    assert relation["columns"] == [
        "customer_id", "country_code", "tenure_days", "channel_group", "plan_code", "mrr_usd", "subscription_count",
        "lifetime_revenue_usd", "days_since_last_payment", "failed_payment_ratio", "ticket_count_90d", "avg_csat_90d",
        "days_since_cancel",
    ]
    assert relation["upstream_relations"] == [
        "marts.customer_revenue", "marts.customer_subscriptions", "staging.stg_customers",
        "staging.stg_failed_payments", "staging.stg_support_tickets",
    ]
    assert "ml.training_set" in relation["downstream_relations"]
    assert column["defined_at"] == ["warehouse/features/churn_features.sql:34:5"]
    assert (column["relation"], column["direct_sources"]) == ("ml.churn_features", 7)
    # Only read (by customer_revenue.sql), never created in the repository.
    assert (external["kind"], external["produced"], sorted(external["columns"])) == (
        "external", False, ["campaign_name", "customer_id", "is_first_touch"])
    assert (summary["relations"], summary["files"]["discovered"]) >= (16, 15)
    expected = explore.findings(scan(EXAMPLE_REPO), limit=explore.MAX_LIMIT)
    assert findings == expected["items"]


def test_rescan_reads_added_and_changed_files(tmp_path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE_REPO, root)
    extra = root / "warehouse" / "features" / "cancel_flags.sql"

    async def script(call: Client):
        idle = await call("rescan")
        extra.write_text("CREATE TABLE ml.cancel_flags AS\nSELECT customer_id, days_since_cancel > 30 AS long_gone\n"
                         "FROM ml.churn_features;\n")
        added = await call("rescan")
        down = await call("downstream", column="ml.churn_features.days_since_cancel", depth=1)
        extra.write_text("CREATE TABLE ml.cancel_flags AS\nSELECT customer_id, days_since_cancel AS gone_days\n"
                         "FROM ml.churn_features;\n")
        changed = await call("rescan")
        renamed = await call("describe", name="ml.cancel_flags")
        forced = await call("rescan", force=True)
        return idle, added, down, changed, renamed, forced

    idle, added, down, changed, renamed, forced = session(root, script)
    assert (idle["rescanned"], idle["added"], idle["changed"]) == (False, [], [])
    assert (added["rescanned"], added["added"]) == (True, ["warehouse/features/cancel_flags.sql"])
    assert ("ml.cancel_flags.long_gone", ["transform"]) in [(i["column"], i["via"]) for i in down["items"]]
    assert (changed["rescanned"], changed["changed"]) == (True, ["warehouse/features/cancel_flags.sql"])
    assert renamed["columns"] == ["customer_id", "gone_days"]
    assert forced["rescanned"] is True and forced["overview"]["relations"] == idle["overview"]["relations"] + 1
