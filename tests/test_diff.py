"""`lineage-scan diff` on a real git repository built in a temporary folder (base and head commits)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage_scan.cli import main

BASE = {
    "lineage-scan.yml": "dialect: postgres\n",
    "raw.sql": "CREATE TABLE raw.orders (id INT, customer_id INT, amount NUMERIC, status TEXT);\n",
    "stg.sql": "CREATE VIEW stg.orders AS SELECT id, customer_id, amount FROM raw.orders WHERE status <> 'test';\n",
    "mart.sql": (
        "CREATE TABLE mart.customer_totals AS\n"
        "SELECT customer_id, SUM(amount) AS total FROM stg.orders GROUP BY customer_id;\n"
    ),
    "legacy.sql": "CREATE TABLE mart.legacy AS SELECT id FROM stg.orders;\n",
}
HEAD_CHANGES = {
    # amount renamed to amount_usd; derivation of the mart's total changes with it
    "stg.sql": "CREATE VIEW stg.orders AS SELECT id, customer_id, amount AS amount_usd FROM raw.orders WHERE status <> 'test';\n",
    "mart.sql": (
        "CREATE TABLE mart.customer_totals AS\n"
        "SELECT customer_id, SUM(amount_usd) AS total FROM stg.orders GROUP BY customer_id;\n"
    ),
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _init_repo(root: Path, files: dict[str, str], message: str) -> None:
    """A new git repository at ``root`` whose first commit holds ``files``."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.invalid")
    _git(root, "config", "user.name", "t")
    for rel, text in files.items():
        (root / rel).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _init_repo(root, BASE, "base")
    _git(root, "tag", "base")
    for rel, text in HEAD_CHANGES.items():
        (root / rel).write_text(text)
    (root / "legacy.sql").unlink()
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "head")
    return root


def test_diff_json_reports_changes_and_blast_radius(repo: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(repo), "--base", "base", "--head", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["relations"] == {"added": [], "removed": ["mart.legacy"], "renamed": []}
    assert document["columns"] == {
        "added": [],
        "removed": [],
        "renamed": [{"old": "stg.orders.amount", "new": "stg.orders.amount_usd"}],
        # the source of total changed from stg.orders.amount to stg.orders.amount_usd
        "derivation_changed": ["mart.customer_totals.total"],
    }
    # downstream of the renamed column and of the re-derived total (total itself is a root, not listed);
    # mart.legacy's id came from stg.orders.id, which did not change.
    assert document["blast_radius"]["columns"] == []


def test_diff_against_the_working_tree_and_markdown(repo: Path) -> None:
    (repo / "mart.sql").write_text(
        "CREATE TABLE mart.customer_totals AS\n"
        "SELECT customer_id, SUM(amount_usd) AS total, COUNT(id) AS n FROM stg.orders GROUP BY customer_id;\n"
    )
    result = CliRunner().invoke(main, ["diff", str(repo), "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "### lineage-scan: `HEAD` → `working tree`\n"
        "\n"
        "| change | count |\n"
        "|---|---:|\n"
        "| columns added | 1 |\n"
        "\n"
        "**Columns added** (1)\n"
        "\n"
        "- `mart.customer_totals.n`\n"
    )


def test_dropping_a_column_reaches_downstream(repo: Path) -> None:
    (repo / "stg.sql").write_text("CREATE VIEW stg.orders AS SELECT id, amount AS amount_usd FROM raw.orders;\n")
    result = CliRunner().invoke(main, ["diff", str(repo), "--base", "HEAD", "--format", "json"])
    document = json.loads(result.output)
    assert document["columns"]["removed"] == ["stg.orders.customer_id"]
    assert document["blast_radius"]["columns"] == ["mart.customer_totals.customer_id", "mart.customer_totals.total"]


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(repo), "--base", "no-such-rev"])
    assert result.exit_code == 2


LEAK_BASE = {
    "lineage-scan.yml": (
        "dialect: postgres\n"
        "ml:\n  models:\n    - name: churn\n      relation: ml.train\n      features: '*'\n"
        "      target: churned\n      keys: [customer_id]\n"
    ),
    "raw.sql": "CREATE TABLE raw.subs (customer_id INT, plan TEXT, cancelled_at DATE, started_at DATE);\n",
    "train.sql": (
        "CREATE TABLE ml.train AS\n"
        "SELECT customer_id, plan, cancelled_at IS NOT NULL AS churned\n"
        "FROM raw.subs;\n"
    ),
}
LEAKY_TRAIN = (
    "CREATE TABLE ml.train AS\n"
    "SELECT customer_id, plan, CURRENT_DATE - cancelled_at AS days_since_cancel,\n"
    "       cancelled_at IS NOT NULL AS churned\n"
    "FROM raw.subs;\n"
)


def test_diff_reports_a_new_leakage_path_and_its_fix(tmp_path: Path) -> None:
    root = tmp_path / "leak"
    _init_repo(root, LEAK_BASE, "clean")
    (root / "train.sql").write_text(LEAKY_TRAIN)
    _git(root, "commit", "-q", "-am", "add days_since_cancel")
    introduced = CliRunner().invoke(main, ["diff", str(root), "--base", "HEAD~1", "--head", "HEAD", "--format", "json"])
    document = json.loads(introduced.output)
    assert document["columns"]["added"] == ["ml.train.days_since_cancel"]
    # days_since_cancel and churned both come from raw.subs.cancelled_at
    assert [f["key"] for f in document["findings"]["new"]] == ["LS101|ml.train.churned|ml.train.days_since_cancel"]
    assert document["findings"]["fixed"] == []
    assert document["blast_radius"]["ml_models"] == ["churn"]
    markdown = CliRunner().invoke(main, ["diff", str(root), "--base", "HEAD~1", "--head", "HEAD"]).output
    assert "| new findings | 1 |" in markdown and "**LS101**" in markdown and "**ML models affected** (1)" in markdown
    fixed = CliRunner().invoke(main, ["diff", str(root), "--base", "HEAD", "--head", "HEAD~1", "--format", "json"])
    assert [f["key"] for f in json.loads(fixed.output)["findings"]["fixed"]] == [
        "LS101|ml.train.churned|ml.train.days_since_cancel"]
