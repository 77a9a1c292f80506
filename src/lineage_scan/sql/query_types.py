"""The values the query engine passes around: leaves, outputs, spans and direct levels."""

from __future__ import annotations

from typing import NamedTuple

from sqlglot import exp

from lineage_scan.model import STAR, Certainty, EdgeKind

BARE, TRANSFORM, AGGREGATE = 0, 1, 2
"""Direct levels along a path; the strongest one seen wins."""

Span = tuple[int, int]


class Leaf(NamedTuple):
    """A base-table column reached from an output column, and how it got there.

    (A named tuple rather than a frozen dataclass: a query makes hundreds of thousands of leaves,
    and a tuple is made and hashed several times faster.)
    """

    table: str | None
    column: str
    level: int = BARE
    indirect: EdgeKind | None = None
    certainty: Certainty = Certainty.RESOLVED
    candidates: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    span: Span | None = None
    fill: Span | None = None
    """The null-to-zero call (`COALESCE(x, 0)`...) the value went through, if any."""
    fill_rate: Span | None = None
    """A division or average applied to the value after that fill."""
    rate: Span | None = None
    """A division or average the value went through."""

    def under(self, level: int, indirect: EdgeKind | None, span: Span | None) -> Leaf:
        """This leaf seen through one more hop that uses it at ``level``/``indirect``."""
        # The hottest path of the engine: fields unpacked at once, new leaves made by `tuple.__new__`
        # (the named tuple's own `__new__` is a Python function).
        table, column, own_level, own_indirect, certainty, candidates, excluded, own_span, fill, fill_rate, rate = self
        if indirect is not None:
            if indirect == own_indirect and (span is None or span == own_span):
                return self
            return _new_tuple(Leaf, (table, column, own_level, indirect, certainty, candidates, excluded, span or own_span,
                                     fill, fill_rate, rate))
        if level <= own_level:
            return self
        return _new_tuple(Leaf, (table, column, level, own_indirect, certainty, candidates, excluded, own_span,
                                 fill, fill_rate, rate))

    def valued(self, use: ValueUse) -> Leaf:
        """This leaf's value passed through ``use`` (a fill and/or a rate around this hop)."""
        fill = self.fill or use.fill
        fill_rate = self.fill_rate or (use.fill_rate if use.fill else None) or (use.rate if self.fill else None)
        rate = self.rate or use.rate
        if (fill, fill_rate, rate) == (self.fill, self.fill_rate, self.rate):
            return self
        return self._replace(fill=fill, fill_rate=fill_rate, rate=rate)

    def weakened(self, certainty: Certainty) -> Leaf:
        return self._replace(certainty=self.certainty.weakest(certainty))


_new_tuple = tuple.__new__


def base_leaf(table: str | None, column: str) -> Leaf:
    """The leaf of a table's column as read: every other field at its default (`Leaf(table, column)`,
    made without the named tuple's Python-level `__new__`)."""
    return _new_tuple(Leaf, (table, column, *_LEAF_DEFAULTS))


_LEAF_DEFAULTS = tuple(Leaf._field_defaults.values())


class ValueUse(NamedTuple):
    """What a column's value goes through inside one expression, walking down from its root.

    ``fill`` is the innermost null-to-zero call around the column, ``fill_rate`` a division or
    average around that fill, ``rate`` the outermost division or average around the column.
    """

    fill: Span | None = None
    fill_rate: Span | None = None
    rate: Span | None = None


Leaves = frozenset[Leaf]
EMPTY: Leaves = frozenset()


class Output:
    """One output column of a query: its name, its leaves and the span of its expression.

    The span may be given as the expression (``node``), worked out when first asked for: most
    outputs are a CTE's, and no edge is located at them.
    """

    __slots__ = ("_node", "_span", "leaves", "name")

    def __init__(self, name: str, leaves: Leaves, span: Span | None = None, node: exp.Expr | None = None):
        self.name = name
        self.leaves = leaves
        self._span = span
        self._node = node

    @property
    def span(self) -> Span | None:
        if self._node is not None:
            self._span, self._node = node_span(self._node), None
        return self._span

    def with_leaves(self, leaves: Leaves) -> Output:
        """The same output with other leaves."""
        return Output(self.name, leaves, self._span, self._node)

    @property
    def is_star(self) -> bool:
        return self.name == STAR


def node_span(node: exp.Expr) -> Span | None:
    """The character span of a node, from the positions sqlglot keeps on its identifiers/tokens."""
    start = end = -1
    stack = [node]
    while stack:  # a walk of the subtree in any order (quicker than sqlglot's `walk` generator)
        sub = stack.pop()
        meta = sub._meta  # reading .meta would allocate an empty dict per node
        if meta:
            first = meta.get("start")
            if first is not None:
                if start < 0 or first < start:
                    start = first
                last = meta["end"]
                if last > end:  # noqa: PLR1730 - per positioned node: no max() call
                    end = last
        for value in sub.args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif type(value) is list:
                stack.extend([item for item in value if isinstance(item, exp.Expr)])
    return (start, end) if start >= 0 else None
