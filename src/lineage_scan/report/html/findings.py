"""What the site needs of findings and rules, read from the rules engine's objects.

A `Finding` (model.py) is shown with an anchor made from its stable key and the relations it is
about; a rule class of `lineage_scan.rules.RULES` is shown from its metadata and its docstring.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lineage_scan.model import ColumnRef, Finding, Location, PathStep, RelatedLocation, Suppression
from lineage_scan.report.html import urls
from lineage_scan.report.rules import option_text
from lineage_scan.rules import RULES

LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class FindingView:
    rule: str
    level: str
    message: str
    location: Location | None
    related: tuple[RelatedLocation, ...]
    path: tuple[PathStep, ...]
    key: str
    suppression: Suppression | None
    anchor: str
    relations: tuple[str, ...]
    """The relations the finding is about: those its path goes through (in path order), then those its
    key names (a relation, or a relation's column), without repeats."""

    @property
    def steps(self) -> tuple[StepView, ...]:
        return tuple(_step_view(step) for step in self.path)

    @property
    def column_steps(self) -> tuple[tuple[int, ColumnRef], ...]:
        """The columns of the path's steps that are columns, with the steps' 1-based numbers in the whole path."""
        return tuple((number, step.column) for number, step in enumerate(self.path, start=1) if step.column is not None)


@dataclass(frozen=True)
class StepView:
    """A path step as listed: its column (if any), and its message without the column's name in front."""

    column: ColumnRef | None
    label: str
    """``relation.column`` of the column, or ""."""
    text: str
    location: Location | None


def _step_view(step: PathStep) -> StepView:
    if step.column is None:
        return StepView(None, "", step.message, step.location)
    label = f"{step.column.table or '?'}.{step.column.column}"
    text = step.message
    for lead in (label + ": ", label + " "):
        if text.startswith(lead) and text[len(lead):].strip():
            text = text[len(lead):]
            break
    return StepView(step.column, label, text, step.location)


def finding_views(findings: Iterable[Finding], relations: Iterable[str]) -> list[FindingView]:
    """The findings as the site shows them: sorted by rule, level, location and key.

    ``relations`` are the scan's relation names, to tell which parts of a finding's key name one.
    """
    known = frozenset(relations)
    views = [_view(finding, known) for finding in findings]
    return sorted(views, key=lambda f: (f.rule, LEVELS.index(f.level), f.location or Location("", 0, 0, 0, 0), f.key))


def _view(finding: Finding, known: frozenset[str]) -> FindingView:
    on_path = [step.column.table for step in finding.path if step.column is not None and step.column.table]
    in_key = []
    for part in finding.key.split("|")[1:]:  # `<rule id>|part|part...`: relation names or column ids
        if part in known:
            in_key.append(part)
        elif part.rpartition(".")[0] in known:
            in_key.append(part.rpartition(".")[0])
    return FindingView(
        rule=finding.rule,
        level=finding.level.value,
        message=finding.message,
        location=finding.location,
        related=finding.related,
        path=finding.path,
        key=finding.key,
        suppression=finding.suppression,
        anchor=urls.finding_anchor(finding.key),
        relations=tuple(dict.fromkeys((*on_path, *in_key))),
    )


@dataclass(frozen=True)
class RuleDoc:
    id: str
    slug: str
    title: str
    level: str
    precision: str
    tags: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    """Option name and default value, as written in lineage-scan.yml."""
    sections: tuple[tuple[str, str], ...]
    """The docstring's `## ` sections (heading, Markdown body), in order."""


def rule_docs() -> list[RuleDoc]:
    """The rules of the rules engine, by id."""
    return sorted((
        RuleDoc(rule.id, rule.slug, rule.title(), rule.level.value, rule.precision, tuple(rule.tags),
                tuple((name, option_text(value)) for name, value in rule.options.items()),
                tuple(rule.sections().items()))
        for rule in RULES
    ), key=lambda r: r.id)
