"""The rules engine: each rule reads the graph (and config) and yields findings.

Rules live one per file and are listed, in order, in `RULES` (the catalogue and its ids are in
DESIGN.md). `run_rules` applies the `rules:` settings of `lineage-scan.yml` (enable/disable, level,
options, path excludes), runs every enabled rule, then marks the findings silenced by inline
`lineage-scan: ignore[...]` comments (see `suppression.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from lineage_scan.config import (
    Config,
    ConfigError,
    RuleSetting,
    config_lines,
    external_relations,
    ml_model_specs,
    rules_config,
)
from lineage_scan.graph import LineageGraph
from lineage_scan.model import Diagnostic, Finding, Severity
from lineage_scan.rules.ls101_target_leakage import TargetLeakage
from lineage_scan.rules.ls102_preprocessing_leakage import PreprocessingLeakage
from lineage_scan.rules.ls103_temporal_leakage import TemporalLeakage
from lineage_scan.rules.ls201_orphan_table import OrphanTable
from lineage_scan.rules.ls202_dangling_reference import DanglingReference
from lineage_scan.rules.ls203_unused_source import UnusedSource
from lineage_scan.rules.ls301_duplicate_table_definition import DuplicateTableDefinition
from lineage_scan.rules.ls302_duplicate_logic import DuplicateLogic
from lineage_scan.rules.ls303_conflicting_column_definition import ConflictingColumnDefinition
from lineage_scan.rules.ls401_null_as_zero import NullAsZero
from lineage_scan.rules.rule import Rule, RuleContext
from lineage_scan.rules.suppression import Suppressor

RULES: tuple[type[Rule], ...] = (
    TargetLeakage,
    PreprocessingLeakage,
    TemporalLeakage,
    OrphanTable,
    DanglingReference,
    UnusedSource,
    DuplicateTableDefinition,
    DuplicateLogic,
    ConflictingColumnDefinition,
    NullAsZero,
)

LEVEL_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


def find_rule(name: str) -> type[Rule] | None:
    """The rule with this id or slug (case-insensitive), or None."""
    wanted = name.strip().lower()
    return next((rule for rule in RULES if wanted in (rule.id.lower(), rule.slug)), None)


@dataclass(frozen=True)
class PlannedRule:
    """A rule as the config sets it up for a scan."""

    rule: type[Rule]
    enabled: bool
    level: Severity
    options: dict[str, Any]
    exclude: tuple[str, ...]


@dataclass
class RuleRun:
    """What running the rules gave: findings (suppressed ones included) and diagnostics."""

    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan_rules(config: Config) -> tuple[list[PlannedRule], tuple[str, ...]]:
    """Every registered rule with its settings, and the global path excludes; raises ConfigError."""
    section = rules_config(config)
    where = config.source or "lineage-scan.yml"
    by_rule: dict[str, RuleSetting] = {}
    for name, setting in section.rules.items():
        rule = find_rule(name)
        if rule is None:
            known = ", ".join(f"{r.id} ({r.slug})" for r in RULES)
            raise ConfigError(f"{where}: 'rules.{name}' is not a rule; known rules: {known}")
        if rule.id in by_rule:
            raise ConfigError(f"{where}: rule {rule.id} is configured twice (by id and by slug)")
        _check_options(rule, setting.options, f"{where}: 'rules.{name}'")
        by_rule[rule.id] = setting
    planned = []
    for rule in RULES:
        setting = by_rule.get(rule.id, RuleSetting())
        planned.append(PlannedRule(
            rule=rule,
            enabled=setting.enabled is not False,
            level=Severity(setting.level) if setting.level else rule.level,
            options={**rule.options, **setting.options},
            exclude=setting.exclude,
        ))
    return planned, section.exclude


def _check_options(rule: type[Rule], options: dict[str, Any], what: str) -> None:
    for name, value in options.items():
        if name not in rule.options:
            known = ", ".join(sorted(rule.options)) or "none"
            raise ConfigError(f"{what}: unknown option {name!r} (options of {rule.id}: {known})")
        default = rule.options[name]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (list, tuple)):
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, type(default)) and not isinstance(value, bool)
        if not ok:
            raise ConfigError(f"{what}.{name} must be {_type_name(default)}")
        problem = rule.option_problem(name, value)
        if problem:
            raise ConfigError(f"{what}.{name}: {problem}")


def _type_name(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (list, tuple)):
        return "a list of strings"
    return f"a {type(default).__name__}"


def check_config(config: Config) -> None:
    """Validate every section the rules stage reads (raises ConfigError before any work is done)."""
    with config_lines(config.lines):
        plan_rules(config)
        external_relations(config)
        ml_model_specs(config)


def run_rules(graph: LineageGraph, config: Config, root: Path | None = None) -> RuleRun:
    """Run every enabled rule on ``graph``; with ``root``, apply the inline suppressions in its files."""
    planned, global_exclude = plan_rules(config)
    context = RuleContext(graph, external_relations(config), config.statement_timeout_seconds)
    findings: dict[str, Finding] = {}
    for plan in planned:
        if not plan.enabled:
            continue
        for finding in plan.rule(context, plan.options, plan.level).check():
            if finding.key in findings or _excluded(finding, (*global_exclude, *plan.exclude)):
                continue
            findings[finding.key] = finding
    run = RuleRun()
    suppressor = Suppressor(root, lambda name: (rule.id if (rule := find_rule(name)) else None)) if root else None
    for finding in findings.values():
        run.findings.append(suppressor.apply(finding) if suppressor else finding)
    run.findings.sort(key=finding_order)
    if suppressor is not None:
        run.diagnostics = sorted(set(suppressor.diagnostics))
    return run


FAIL_ON = ("error", "warning", "note", "none")


def failing(findings: list[Finding], fail_on: str) -> list[Finding]:
    """The unsuppressed findings at or above ``fail_on`` (`error`, `warning`, `note`; `none`: no finding fails)."""
    if fail_on == "none":
        return []
    threshold = LEVEL_ORDER[Severity(fail_on)]
    return [f for f in findings if not f.suppressed and LEVEL_ORDER[f.level] <= threshold]


def finding_order(finding: Finding) -> tuple:
    location = finding.location
    where = (location.path, location.start_line, location.start_col) if location else ("", 0, 0)
    return (finding.rule, where, finding.key)


def _excluded(finding: Finding, patterns: tuple[str, ...]) -> bool:
    """Whether the finding's primary location is in a path the config excludes (gitignore-style globs)."""
    if finding.location is None or not patterns:
        return False
    return pathspec.GitIgnoreSpec.from_lines(patterns).match_file(finding.location.path)


__all__ = [
    "FAIL_ON", "RULES", "Rule", "RuleRun", "check_config", "failing", "find_rule", "finding_order", "plan_rules", "run_rules",
]
