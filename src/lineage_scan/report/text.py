"""The terminal summary printed by `lineage-scan scan` (default `--format text`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage_scan.report.summary import summarise

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

MAX_DIAGNOSTICS_SHOWN = 20


def render_text(result: ScanResult) -> str:
    s = summarise(result)
    files, statements, edges, coverage = s["files"], s["statements"], s["edges"], s["coverage"]
    kinds = ", ".join(f"{kind} {count}" for kind, count in files["by_kind"].items()) or "none"
    lines = [
        f"lineage-scan: {result.root.name or result.root}",
        f"  files       {files['discovered']} discovered ({kinds}); {files['analysed']} analysed, {files['with_errors']} with errors",
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
    if result.diagnostics:
        lines.append(f"  diagnostics {len(result.diagnostics)}")
        for diagnostic in result.diagnostics[:MAX_DIAGNOSTICS_SHOWN]:
            lines.append(f"    {diagnostic.location}: {diagnostic.severity.value}: {diagnostic.message} [{diagnostic.code}]")
        if len(result.diagnostics) > MAX_DIAGNOSTICS_SHOWN:
            lines.append(f"    ... and {len(result.diagnostics) - MAX_DIAGNOSTICS_SHOWN} more (see --format json)")
    return "\n".join(lines) + "\n"
