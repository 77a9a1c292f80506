"""The terminal summary printed by `lineage-scan scan` (default `--format text`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage_scan.report.summary import summarise
from lineage_scan.rules import find_rule

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

MAX_DIAGNOSTICS_SHOWN = 20


def render_text(result: ScanResult) -> str:
    s = summarise(result)
    files, statements, edges, coverage = s["files"], s["statements"], s["edges"], s["coverage"]
    kinds = ", ".join(f"{kind} {count}" for kind, count in files["by_kind"].items()) or "none"
    lines = [
        f"lineage-scan: {result.root.name or result.root}",
        f"  files       {files['discovered']} discovered ({kinds}); {files['analysed']} analysed (incl. YAML/CSV read by project parsers), {files['with_errors']} with errors",
        f"  statements  {statements['total']} ({statements['failed']} failed, {statements['analysed_pct']}% analysed)",
        f"  relations   {s['relations']}",
        f"  columns     {s['columns']}",
        f"  edges       {edges['total']}",
        "    by kind       " + (", ".join(f"{k} {v}" for k, v in edges["by_kind"].items()) or "none"),
        "    by certainty  " + (", ".join(f"{k} {v}" for k, v in edges["by_certainty"].items()) or "none"),
        f"  coverage    {coverage['direct_edges_resolved_pct']}% of direct edges resolved; "
        f"{coverage['stars_expanded_pct']}% of stars expanded ({coverage['stars_unresolved_after_build']} left unresolved)",
    ]
    tasks = ", ".join(f"{kind} {count}" for kind, count in s["tasks"].items())
    if tasks:
        lines.append(f"  tasks       {sum(s['tasks'].values())} ({tasks})")
    python = s["python"]
    if python["modules"] or python["notebooks"]:
        unresolved = ", ".join(f"{code} {count}" for code, count in python["unresolved"].items()) or "none"
        lines.append(f"  python      modules {python['modules']}, notebooks {python['notebooks']} "
                     f"({python['with_lineage']} with lineage); not resolved: {unresolved}")
    if s["ml_models"]:
        lines.append(f"  ML models   {s['ml_models']}")
        for model in result.graph.ml_models():
            target = f" -> {model.target}" if model.target else ""
            lines.append(f"    {model.id}: {len(model.features)} features{target}")
    dbt = s["dbt"]
    if dbt["models"]:
        lines.append(
            f"  dbt         {dbt['models']} models/snapshots: {dbt['rendered_pct']}% rendered, {dbt['parsed_pct']}% parsed; "
            f"{dbt['columns_resolved']} of {dbt['columns']} columns resolved ({dbt['columns_resolved_pct']}%)"
        )
    airflow = s["airflow"]
    if airflow["dags"] or airflow["unresolved"]:
        lines.insert(3, f"  airflow     {airflow['dags']} DAGs, {airflow['tasks']} tasks; "
                        f"{airflow['unresolved']} unresolved (see diagnostics)")
    lines.extend(_findings(result, s["findings"]))
    if result.diagnostics:
        lines.append(f"  diagnostics {len(result.diagnostics)}")
        for diagnostic in result.diagnostics[:MAX_DIAGNOSTICS_SHOWN]:
            lines.append(f"    {diagnostic.location}: {diagnostic.severity.value}: {diagnostic.message} [{diagnostic.code}]")
        if len(result.diagnostics) > MAX_DIAGNOSTICS_SHOWN:
            lines.append(f"    ... and {len(result.diagnostics) - MAX_DIAGNOSTICS_SHOWN} more (see --format json)")
    return "\n".join(lines) + "\n"


def _findings(result: ScanResult, counts: dict) -> list[str]:
    """Findings grouped by rule, each with its location; suppressed ones marked with their reason."""
    if not result.findings:
        return ["  findings    none"]
    levels = ", ".join(
        f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in ("error", "warning", "note") if counts[level]
    )
    suppressed = f"; {counts['suppressed']} suppressed" if counts["suppressed"] else ""
    lines = [f"  findings    {len(result.findings)} ({levels or 'all suppressed'}{suppressed})"]
    current = None
    for finding in result.findings:
        if finding.rule != current:
            current = finding.rule
            rule = find_rule(finding.rule)
            lines.append(f"    {finding.rule} {rule.slug if rule else ''}".rstrip())
        where = str(finding.location) if finding.location else "(no location)"
        lines.append(f"      {where}: {finding.level.value}: {finding.message}")
        if len(finding.path) > 1:
            lines.extend(f"        -> {step.location or '(no location)'}: {step.message}" for step in finding.path)
        if finding.suppression is not None:
            reason = f": {finding.suppression.reason}" if finding.suppression.reason else ""
            lines.append(f"        suppressed at {finding.suppression.location}{reason}")
    return lines
