"""The rule catalogue as text: `lineage-scan rules` and `lineage-scan rules ID`."""

from __future__ import annotations

from lineage_scan.rules import RULES, Rule


def render_rule_list() -> str:
    rows = [(r.id, r.slug, r.level.value, r.precision, r.title()) for r in RULES]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    ]
    lines.append("")
    lines.append("`lineage-scan rules ID` prints a rule's documentation; configure rules under `rules:` in lineage-scan.yml.")
    return "\n".join(lines) + "\n"


def render_rule(rule: type[Rule]) -> str:
    header = [
        f"{rule.id} {rule.slug}",
        f"level: {rule.level.value}   precision: {rule.precision}   tags: {', '.join(rule.tags)}",
    ]
    if rule.options:
        header.append("options: " + ", ".join(f"{name} (default {option_text(value)})" for name, value in rule.options.items()))
    return "\n".join([*header, "", rule.docs()]) + "\n"


def option_text(value: object) -> str:
    """An option's value as written in lineage-scan.yml."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
