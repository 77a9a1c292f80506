"""SARIF 2.1.0 for GitHub code scanning (`scan --format sarif`).

One run; every registered rule (sorted by id) with its documentation; results with repo-relative
URIs under `%SRCROOT%`, regions, related locations referenced from the message, code flows for
lineage paths, fingerprints from the finding's semantic key (stable across line moves), inline
suppressions, and parse diagnostics as tool execution notifications. Deterministic: no timestamps,
sorted, same bytes for the same input.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from lineage_scan import __version__
from lineage_scan.model import Diagnostic, Finding, Location, Severity
from lineage_scan.rules import RULES, finding_order
from lineage_scan.rules.rule import Rule

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "lineageScanKey/v1"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/lineage-scan/lineage-scan"
MAX_RESULTS = 25_000
"""GitHub code scanning keeps at most this many results per run."""
MAX_THREAD_FLOW_LOCATIONS = 1_000
MAX_RELATED_LOCATIONS = 1_000
MAX_DESCRIPTION = 1_024
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def render_sarif(result: ScanResult, category: str | None = None) -> str:
    return json.dumps(sarif_document(result, category), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def sarif_document(result: ScanResult, category: str | None = None) -> dict:
    rules = sorted(RULES, key=lambda r: r.id)
    index = {rule.id: i for i, rule in enumerate(rules)}
    findings = sorted(result.findings, key=finding_order)[:MAX_RESULTS]
    run: dict = {
        "tool": {
            "driver": {
                "name": "lineage-scan",
                "semanticVersion": __version__,
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the scanned repository."}}},
        "results": [_result(f, index) for f in findings],
        "invocations": [_invocation(result.diagnostics)],
        "columnKind": "unicodeCodePoints",
    }
    if category:
        run["automationDetails"] = {"id": category.rstrip("/") + "/"}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(rule: type[Rule]) -> dict:
    full = rule.sections().get("What it does", rule.summary())
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": _cap(rule.title() or rule.slug)},
        "fullDescription": {"text": _cap(" ".join(full.split()))},
        "help": {"text": _plain(rule.docs()), "markdown": rule.docs()},
        "defaultConfiguration": {"level": LEVELS[rule.level]},
        "properties": {"precision": rule.precision, "tags": sorted(rule.tags), "problem.severity": LEVELS[rule.level]},
    }


def _result(finding: Finding, index: dict[str, int]) -> dict:
    related = [r for r in finding.related if r.location is not None][:MAX_RELATED_LOCATIONS]
    message = finding.message
    if related:  # code scanning links related locations the message references as [text](id)
        message += " Related: " + ", ".join(f"[{i + 1}]({i + 1})" for i in range(len(related))) + "."
    result: dict = {
        "ruleId": finding.rule,
        "ruleIndex": index.get(finding.rule, -1),
        "level": LEVELS[finding.level],
        "message": {"text": message},
        "locations": [_location(finding.location)] if finding.location else [],
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(finding.key)},
        "fingerprints": {FINGERPRINT: _fingerprint(finding.key)},
        "properties": {"key": finding.key},
    }
    if related:
        result["relatedLocations"] = [
            {**_location(r.location), "id": i + 1, "message": {"text": r.message}} for i, r in enumerate(related)
        ]
    steps = [s for s in finding.path if s.location is not None][:MAX_THREAD_FLOW_LOCATIONS]
    if steps:
        result["codeFlows"] = [{
            "message": {"text": f"lineage path of {finding.rule}"},
            "threadFlows": [{
                "locations": [
                    {"location": {**_location(step.location), "message": {"text": step.message}}, "nestingLevel": 0}
                    for step in steps
                ]
            }],
        }]
    if finding.suppression is not None:
        suppression: dict = {"kind": "inSource", "status": "accepted"}
        if finding.suppression.reason:
            suppression["justification"] = finding.suppression.reason
        result["suppressions"] = [suppression]
    return result


def _location(location: Location) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": location.path, "uriBaseId": SRCROOT},
            "region": {
                "startLine": location.start_line,
                "startColumn": location.start_col,
                "endLine": location.end_line,
                "endColumn": location.end_col + 1,  # SARIF end columns are exclusive
            },
        }
    }


def _invocation(diagnostics: list[Diagnostic]) -> dict:
    notifications = []
    for diagnostic in diagnostics:
        notifications.append({
            "descriptor": {"id": diagnostic.code},
            "level": LEVELS.get(diagnostic.severity, "warning"),
            "message": {"text": diagnostic.message},
            "locations": [_location(diagnostic.location)],
        })
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _cap(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _plain(markdown: str) -> str:
    return markdown.replace("```", "").strip()


def baseline_keys(text: str) -> set[str]:
    """Finding keys of an earlier report: lineage-scan SARIF (result `properties.key`) or JSON (`findings[].key`)."""
    document = json.loads(text)
    if isinstance(document, dict) and "runs" in document:
        return {
            result.get("properties", {}).get("key")
            for run in document.get("runs", [])
            for result in run.get("results", [])
            if result.get("properties", {}).get("key")
        }
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        return {f["key"] for f in document["findings"] if isinstance(f, dict) and f.get("key")}
    raise ValueError("not a lineage-scan SARIF or JSON report")
