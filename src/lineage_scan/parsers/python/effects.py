"""What running the analysed code would do, collected while it is interpreted.

Edges, relations, relation reads, ML models and diagnostics are deduplicated (a function analysed on
its own and again where it is called gives one edge). Each entry point (the script, each function)
keeps a `Trace` of the relations it reads and writes, for its TaskDef. While an imported module's
top level is evaluated for its definitions, effects are muted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from lineage_scan.model import (
    ColumnEdge,
    ColumnRef,
    Diagnostic,
    Location,
    MLModelDef,
    RelationDef,
    RelationUse,
    Severity,
    ValueFact,
)

CODE_NOT_STATIC = "LS930"
"""A source or sink whose relation, path or SQL is not a constant the analysis can read."""
CODE_UNKNOWN_CALL = "LS931"
"""A dataframe passed to a function or method the analysis does not follow (lineage kept, inferred)."""
CODE_MODEL_UNRESOLVED = "LS932"
"""A `fit` whose feature or label columns cannot be traced to named columns."""
CODE_LIMIT = "LS933"
"""The analysis of a file stopped at a work limit (deep recursion, too many steps)."""
CODE_MISSING_COLUMN = "LS906"
"""A column read from a dataframe whose columns are all known and do not include it (as in SQL)."""


@dataclass
class Trace:
    """Relations one entry point reads and writes, and the ML models it trains."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)


class Effects:
    def __init__(self, parser: str):
        self.parser = parser
        self.edges: set[ColumnEdge] = set()
        self.relations: set[RelationDef] = set()
        self.reads: set[RelationUse] = set()
        self.diagnostics: set[Diagnostic] = set()
        self.models: dict[str, list[MLModelDef]] = {}
        self.traces: list[Trace] = []
        self.muted = 0
        self.value_facts: set[ValueFact] = set()
        self.sql_statements: dict[tuple, tuple[int, int]] = {}
        """Embedded SQL analysed, by where it is and its text: (statements, statements failed)."""

    @property
    def active(self) -> bool:
        return not self.muted

    @contextmanager
    def mute(self) -> Iterator[None]:
        self.muted += 1
        try:
            yield
        finally:
            self.muted -= 1

    @contextmanager
    def trace(self) -> Iterator[Trace]:
        trace = Trace()
        self.traces.append(trace)
        try:
            yield trace
        finally:
            self.traces.pop()

    def replay(self, trace: Trace) -> None:
        """What a call reused from an earlier analysis read, wrote and trained, for the current tasks."""
        if self.active:
            for current in self.traces:
                current.reads |= trace.reads
                current.writes |= trace.writes
                current.models |= trace.models

    def read(self, relation: str) -> None:
        if self.active:
            for trace in self.traces:
                trace.reads.add(relation)

    def write(self, relation: RelationDef, task_write: bool = True) -> None:
        if self.active:
            self.relations.add(relation)
            for trace in self.traces if task_write else ():
                trace.writes.add(relation.name)

    def use(self, source: str, target: str, location: Location | None) -> None:
        if self.active and source != target:
            self.reads.add(RelationUse(source, target, location))

    def edge(self, edge: ColumnEdge) -> None:
        if self.active:
            self.edges.add(edge)

    def value_fact(self, fact: ValueFact) -> None:
        if self.active:
            self.value_facts.add(fact)

    def model(self, model: MLModelDef) -> None:
        if self.active:
            self.models.setdefault(model.id, []).append(model)
            for trace in self.traces:
                trace.models.add(model.id)

    def diagnose(self, location: Location, message: str, code: str, severity: Severity = Severity.NOTE,
                 subject: str | None = None) -> None:
        if self.active:
            self.diagnostics.add(Diagnostic(location, self.parser, message, severity, code, subject))

    def merged_models(self) -> list[MLModelDef]:
        """One model per id: a function analysed on its own (parameters unknown) and where it is
        called with real data train the same model; features are united (in code order, the most
        informative version first), the first target kept."""
        result = []
        for _, versions in sorted(self.models.items()):
            versions = sorted(versions, key=lambda m: (m.target is None, -len(m.features), [str(f) for f in m.features],
                                                       str(m.target), m.location or Location("", 0, 0, 0, 0)))
            first = versions[0]
            features: dict[ColumnRef, None] = {}
            excluded: set[str] = set()
            for version in versions:
                features.update(dict.fromkeys(version.features))
                excluded.update(version.excluded)
            result.append(replace(first, features=tuple(features), excluded=tuple(sorted(excluded))))
        return result
