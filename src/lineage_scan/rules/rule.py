"""The base every rule extends: metadata, documentation from the docstring, options and findings.

A rule's class docstring is its documentation everywhere (`lineage-scan rules ID`, the docs site,
SARIF `help.markdown`): a one-line title, then the sections in `SECTIONS`, each a `## ` heading.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from typing import Any, ClassVar

from lineage_scan.config import ExternalRelations
from lineage_scan.graph import LineageGraph, RelationInfo
from lineage_scan.model import Finding, Location, PathStep, RelatedLocation, Severity, WriteMode

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Configuration")
PRECISIONS = ("very-high", "high", "medium", "low")
"""SARIF's `precision` property: how often a finding of the rule is right."""
SOURCE_MODES = (WriteMode.DECLARE, WriteMode.LOAD)
"""Writes that declare a table or load it from outside rather than compute it."""


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read: the graph and the repository's declarations about the outside world."""

    graph: LineageGraph
    external: ExternalRelations = field(default_factory=ExternalRelations)
    statement_timeout_seconds: float | None = None
    """The limit on analysing one SQL statement, for rules that analyse one again (LS302)."""

    def produced_outside(self, relation: str) -> bool:
        """Declared (`external.producers`) as written by something outside the repository."""
        return _matches(relation, self.external.producers)

    def consumed_outside(self, relation: str) -> bool:
        """Declared (`external.consumers`) as read by something outside the repository."""
        return _matches(relation, self.external.consumers)

    def is_read(self, relation: str) -> bool:
        """Whether anything uses ``relation``: another relation or query, a task or exposure, an ML
        model (a feature or target column), or a declared outside consumer."""
        graph = self.graph
        return (
            any(reader != relation for reader in graph.downstream_relations(relation))
            or bool(graph.readers(relation))
            or relation in self.model_inputs
            or self.consumed_outside(relation)
        )

    def relation(self, name: str) -> RelationInfo:
        """`LineageGraph.relation`, made once per relation for all the rules (several ask about every one)."""
        info = self._relations.get(name)
        if info is None:
            info = self._relations[name] = self.graph.relation(name)
        return info

    @cached_property
    def _relations(self) -> dict[str, RelationInfo]:
        return {}

    @cached_property
    def model_inputs(self) -> frozenset[str]:
        """Relations whose columns are ML model features, targets, keys or prediction times."""
        columns = [
            c for m in self.graph.ml_models()
            for c in (*m.features, *m.keys, m.target, m.prediction_time) if c is not None
        ]
        return frozenset(c.table for c in columns if c.table)


def disabled(attributes: tuple[tuple[str, str], ...]) -> bool:
    """A relation a parser marked as disabled (a dbt model with `enabled: false`)."""
    return dict(attributes).get("enabled", "").lower() == "false"


def _matches(relation: str, patterns: tuple[str, ...]) -> bool:
    name = relation.lower()
    return any(fnmatchcase(name, pattern.lower()) for pattern in patterns)


class Rule:
    """Base class of rules (not a rule itself)."""

    id: ClassVar[str]
    slug: ClassVar[str]
    level: ClassVar[Severity]
    precision: ClassVar[str]
    tags: ClassVar[tuple[str, ...]]
    options: ClassVar[Mapping[str, Any]] = {}
    """Option name -> default value; the default's type is the option's type."""

    def __init__(self, context: RuleContext, options: Mapping[str, Any] | None = None, level: Severity | None = None):
        self.context = context
        self.graph = context.graph
        self.settings = {**self.options, **(options or {})}
        self.finding_level = level or self.level

    def check(self) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def option_problem(cls, name: str, value: Any) -> str | None:
        """What is wrong with an option's value beyond its type (None: nothing); rules override it."""
        return None

    def finding(
        self,
        parts: tuple[str, ...] | list[str],
        message: str,
        location: Location | None,
        related: list[RelatedLocation] | tuple[RelatedLocation, ...] = (),
        path: list[PathStep] | tuple[PathStep, ...] = (),
    ) -> Finding:
        """A finding of this rule; ``parts`` make its key (`<id>|part|part...`)."""
        return Finding(
            rule=self.id,
            key="|".join((self.id, *parts)),
            level=self.finding_level,
            message=message,
            location=location,
            related=tuple(r for r in related if r.location is not None),
            path=tuple(path),
        )

    # ----------------------------------------------------------------- documentation
    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        return cls.docs().splitlines()[0] if cls.docs() else cls.slug

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The documentation's `## ` sections by heading."""
        found: dict[str, str] = {}
        parts = re.split(r"^## (.+)$", cls.docs(), flags=re.MULTILINE)
        for heading, body in zip(parts[1::2], parts[2::2], strict=True):
            found[heading.strip()] = body.strip()
        return found

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of "What it does" (a SARIF short description)."""
        return cls.sections().get("What it does", cls.title()).split("\n\n")[0].replace("\n", " ")
