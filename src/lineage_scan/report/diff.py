"""Render a LineageDiff as Markdown (a PR comment / `$GITHUB_STEP_SUMMARY`) or as JSON."""

from __future__ import annotations

import json

from lineage_scan import __version__
from lineage_scan.diff import LineageDiff
from lineage_scan.report.json import location_json

INLINE_ITEMS = 10
"""Lists longer than this go into a collapsed <details> block."""


def render_diff_markdown(diff: LineageDiff, base: str, head: str) -> str:
    lines = [f"### lineage-scan: `{base}` → `{head}`", ""]
    if diff.is_empty:
        lines.append("No lineage changes and no new or fixed findings.")
        return "\n".join(lines) + "\n"
    radius = diff.blast_radius
    summary = [
        ("relations added", len(diff.relations_added)),
        ("relations removed", len(diff.relations_removed)),
        ("relations renamed", len(diff.relations_renamed)),
        ("columns added", len(diff.columns_added)),
        ("columns removed", len(diff.columns_removed)),
        ("columns renamed", len(diff.columns_renamed)),
        ("columns re-derived", len(diff.derivation_changed)),
        ("downstream columns affected", len(radius.columns)),
        ("ML models affected", len(radius.ml_models)),
        ("new findings", len(diff.findings_new)),
        ("fixed findings", len(diff.findings_fixed)),
    ]
    lines += ["| change | count |", "|---|---:|"]
    lines += [f"| {label} | {count} |" for label, count in summary if count]
    lines.append("")
    if diff.findings_new:
        lines += _section("New findings", [_finding(f) for f in diff.findings_new])
    if radius.ml_models:
        lines += _section("ML models affected", [f"`{m}`" for m in radius.ml_models])
    if radius.owners:
        lines += _section("Owners to notify", [f"{o}" for o in radius.owners])
    lines += _section("Relations added", [f"`{r}`" for r in diff.relations_added])
    lines += _section("Relations removed", [f"`{r}`" for r in diff.relations_removed])
    lines += _section("Relations renamed", [f"`{r.old}` → `{r.new}`" for r in diff.relations_renamed])
    lines += _section("Columns added", [f"`{c}`" for c in diff.columns_added])
    lines += _section("Columns removed", [f"`{c}`" for c in diff.columns_removed])
    lines += _section("Columns renamed", [f"`{a}` → `{b}`" for a, b in diff.columns_renamed])
    lines += _section("Columns whose derivation changed", [f"`{c}`" for c in diff.derivation_changed])
    lines += _section("Downstream columns affected", [f"`{c}`" for c in radius.columns])
    if diff.findings_fixed:
        lines += _section("Fixed findings", [_finding(f) for f in diff.findings_fixed])
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    body = [f"- {item}" for item in items]
    if len(items) <= INLINE_ITEMS:
        return [f"**{title}** ({len(items)})", "", *body, ""]
    return [f"<details><summary><b>{title}</b> ({len(items)})</summary>", "", *body, "", "</details>", ""]


def _finding(finding) -> str:
    where = f" — `{finding.location}`" if getattr(finding, "location", None) else ""
    return f"**{finding.rule}** {_md_escape(finding.message)}{where}"


def _md_escape(text: str) -> str:
    """Keep repository-controlled text from turning into markup or HTML in the PR comment."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|#" else ch for ch in text)


def diff_json(diff: LineageDiff, base: str, head: str) -> str:
    def finding(f) -> dict:
        return {"rule": f.rule, "key": f.key, "message": f.message, "location": location_json(getattr(f, "location", None))}

    document = {
        "lineage_scan_version": __version__,
        "base": base,
        "head": head,
        "relations": {
            "added": diff.relations_added,
            "removed": diff.relations_removed,
            "renamed": [{"old": r.old, "new": r.new} for r in diff.relations_renamed],
        },
        "columns": {
            "added": [str(c) for c in diff.columns_added],
            "removed": [str(c) for c in diff.columns_removed],
            "renamed": [{"old": str(a), "new": str(b)} for a, b in diff.columns_renamed],
            "derivation_changed": [str(c) for c in diff.derivation_changed],
        },
        "blast_radius": {
            "columns": [str(c) for c in diff.blast_radius.columns],
            "ml_models": diff.blast_radius.ml_models,
            "owners": diff.blast_radius.owners,
        },
        "findings": {"new": [finding(f) for f in diff.findings_new], "fixed": [finding(f) for f in diff.findings_fixed]},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
