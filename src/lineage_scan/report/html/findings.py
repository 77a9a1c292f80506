"""What the site needs of findings and rules, read from the rules engine's objects.

A finding has ``rule`` (its id, e.g. ``LS101``), ``message``, ``location``, ``related`` (locations),
``path`` (the lineage path it is about, as ColumnRefs or relation names, in order), ``key`` (a stable
identity, used for anchors), a ``level`` (`error`/`warning`/`note`, a string or an enum) and a
``suppression`` (falsy when not suppressed; otherwise why). Rules are the entries of
``lineage_scan.rules.RULES`` that carry an ``id``; their docstrings are their documentation.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from lineage_scan.model import ColumnRef, Location
from lineage_scan.report.html import urls

LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class FindingView:
    rule: str
    level: str
    message: str
    location: Location | None
    related: tuple[Location, ...]
    path: tuple[ColumnRef | str, ...]
    key: str
    suppression: str | None
    anchor: str

    @property
    def relations(self) -> tuple[str, ...]:
        """The relations the finding's path goes through, in path order, without repeats."""
        names = [step.table if isinstance(step, ColumnRef) else step for step in self.path]
        return tuple(dict.fromkeys(name for name in names if name))


def finding_views(findings: Iterable[object]) -> list[FindingView]:
    """The findings as the site shows them: sorted by rule, level, location and key."""
    views = [_view(finding) for finding in findings]
    return sorted(views, key=lambda f: (f.rule, LEVELS.index(f.level) if f.level in LEVELS else 9,
                                        f.location or Location("", 0, 0, 0, 0), f.key))


def _view(finding: object) -> FindingView:
    level = _text(getattr(finding, "level", None)) or "warning"
    suppression = getattr(finding, "suppression", None)
    key = str(getattr(finding, "key", "") or "")
    rule = finding.rule  # type: ignore[attr-defined]
    return FindingView(
        rule=str(getattr(rule, "id", rule)),
        level=level,
        message=str(getattr(finding, "message", "")),
        location=getattr(finding, "location", None),
        related=tuple(getattr(finding, "related", ()) or ()),
        path=tuple(getattr(finding, "path", ()) or ()),
        key=key,
        suppression=(_text(suppression) if not isinstance(suppression, bool) else "suppressed") if suppression else None,
        anchor=urls.finding_anchor(key),
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


@dataclass(frozen=True)
class RuleDoc:
    id: str
    name: str
    summary: str
    doc: str
    level: str | None


def rule_docs() -> list[RuleDoc]:
    """The documented rules the rules engine exposes (empty when it exposes none)."""
    from lineage_scan import rules

    docs = []
    for rule in getattr(rules, "RULES", ()):
        rule_id = getattr(rule, "id", None)
        text = inspect.getdoc(rule)
        if not rule_id or not text:
            continue
        docs.append(RuleDoc(str(rule_id), str(getattr(rule, "name", "") or ""), summary(text), text,
                            _text(getattr(rule, "level", None) or getattr(rule, "default_level", None))))
    return sorted(docs, key=lambda r: r.id)


def summary(doc: str) -> str:
    """The first paragraph of a rule docstring (under `What it does` when it has that heading)."""
    paragraphs = [p.strip() for p in doc.split("\n\n") if p.strip() and not p.strip().startswith("#")]
    return " ".join(paragraphs[0].split()) if paragraphs else ""
