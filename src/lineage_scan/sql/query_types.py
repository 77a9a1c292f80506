"""The values the query engine passes around: leaves, outputs, spans and direct levels."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lineage_scan.model import STAR, Certainty, EdgeKind

BARE, TRANSFORM, AGGREGATE = 0, 1, 2
"""Direct levels along a path; the strongest one seen wins."""

Span = tuple[int, int]


@dataclass(frozen=True)
class Leaf:
    """A base-table column reached from an output column, and how it got there."""

    table: str | None
    column: str
    level: int = BARE
    indirect: EdgeKind | None = None
    certainty: Certainty = Certainty.RESOLVED
    candidates: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    span: Span | None = None

    def under(self, level: int, indirect: EdgeKind | None, span: Span | None) -> Leaf:
        """This leaf seen through one more hop that uses it at ``level``/``indirect``."""
        if indirect is not None:
            if indirect == self.indirect and (span is None or span == self.span):
                return self
            return Leaf(self.table, self.column, self.level, indirect, self.certainty, self.candidates, self.excluded,
                        span or self.span)
        if level <= self.level:
            return self
        return Leaf(self.table, self.column, level, self.indirect, self.certainty, self.candidates, self.excluded, self.span)

    def weakened(self, certainty: Certainty) -> Leaf:
        return replace(self, certainty=self.certainty.weakest(certainty))


Leaves = frozenset[Leaf]
EMPTY: Leaves = frozenset()


@dataclass(frozen=True)
class Output:
    """One output column of a query: its name, its leaves and the span of its expression."""

    name: str
    leaves: Leaves
    span: Span | None = None

    @property
    def is_star(self) -> bool:
        return self.name == STAR
