"""Nulls turned into zeros, and values divided or averaged: the `ValueFact`s of the null-as-zero rule (LS401).

A fill is `fillna(0)`, `fillna(value=0)`, `fillna({"col": 0})` (only the columns filled with 0),
PySpark `fillna(0)` / `na.fill(0)`, `replace(np.nan, 0)`, and `F.coalesce(c, F.lit(0))` (also
`nvl`/`ifnull`). A rate is a division (`/`, `//`, `div`, `truediv`, ...) or an average (`mean`,
`avg`, `np.mean`, `groupby(...).agg(("c", "mean"))`).

The analysis follows dependencies (`Dep`: an upstream column and where it last changed), so the
facts are kept beside them, keyed by (upstream column, location of the dependency):

* a frame filled in place makes its columns' dependencies filled ones, located at the fill;
* a Series / Column filled is a column value whose terms carry the fill's location (a direct term
  keeps its location through further transforms); where it is bound into a frame (`df["a"] = ...`,
  `withColumn`, `assign`) its dependencies become filled ones located there, with the division or
  average of that expression, if any, as the fill's rate;
* an operation over a whole frame (`astype`, `round`, ...) and an aggregation carry the marks of the
  dependencies it changes.

Where a frame is written (a table, a file, a model's training matrix), each dependency marked filled
gives a `NULL_TO_ZERO` fact and each one marked divided or averaged a `RATE` fact, from the upstream
column to the written one. Embedded SQL's own facts (`COALESCE(x, 0)` in `pd.read_sql`) are kept too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.model import ColumnRef, EdgeKind, Location, ValueFact, ValueOp
from lineage_scan.parsers.python.values import (
    NONE,
    ColumnValue,
    Const,
    Dep,
    Frame,
    Library,
    Lineage,
    MapValue,
    Term,
    through,
)

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

AVERAGES = frozenset({"mean", "avg", "average", "nanmean"})
DIVISIONS = frozenset({"div", "divide", "truediv", "rdiv", "rtruediv", "floordiv", "rfloordiv"})
COALESCES = frozenset({"coalesce", "nvl", "ifnull"})
NAN = frozenset({"numpy.nan", "numpy.NaN", "numpy.NAN", "pandas.NA", "math.nan"})
NULL_TESTS = frozenset({"isna", "isnull", "isNull", "isnan"})
NOT_NULL_TESTS = frozenset({"notna", "notnull", "isNotNull"})

Key = tuple[ColumnRef, Location | None]


@dataclass(frozen=True)
class Fill:
    """Where a null became 0, and the division or average applied to the filled value there, if any."""

    location: Location
    rate: Location | None = None


@dataclass
class NullTracker:
    """The fills and rates met so far in one file's analysis."""

    filled: dict[Key, Fill] = field(default_factory=dict)
    rated: dict[Key, Location] = field(default_factory=dict)
    sites: set[Location] = field(default_factory=set)
    """Locations of Series/Column fills: a direct term carrying one is a filled value."""
    term_rates: dict[Term, tuple[Location | None, Location]] = field(default_factory=dict)
    """Direct terms of a divided or averaged value: (the fill they carry, the division or average)."""

    # ----------------------------------------------------------------- frames
    def frame_filled(self, ix: Interpreter, before: Frame, after: Frame, name: str, call: Call) -> None:
        """`df.fillna(0)`, `df.fillna({"a": 0})`, `df.replace(np.nan, 0)`: the columns filled with 0."""
        columns = self.zero_filled_columns(ix, after, name, call)
        for column in columns:
            for dep in _direct(after.column(column) or NONE):
                if dep.location == call.location:
                    self.filled[(dep.source, dep.location)] = Fill(call.location)

    def zero_filled_columns(self, ix: Interpreter, frame: Frame, name: str, call: Call) -> list[str]:
        if name == "fillna":
            spec = call.get(0, "value")
        elif name == "replace" and is_nan(call.get(0, "to_replace")):
            spec = call.get(1, "value")
        elif name == "replace" and isinstance(call.get(0, "to_replace"), MapValue):
            pairs = call.get(0, "to_replace").items
            spec = Const(0) if any(is_nan(k) and is_zero(v) for k, v in pairs) else None
        else:
            return []
        subset = ix.column_names(call.get(None, "subset")) if call.get(None, "subset") is not None else None
        if isinstance(spec, MapValue):
            return [str(k.value) for k, v in spec.items if isinstance(k, Const) and is_zero(v)]
        if not is_zero(spec):
            return []
        return subset if subset is not None else list(frame.names)

    def frame_zero_filled(self, frame: Frame, location: Location) -> Frame:
        """Every column of ``frame`` with its nulls replaced by 0 at ``location`` (`np.nan_to_num(df)`, a
        `SimpleImputer(strategy="constant", fill_value=0)`)."""
        result = frame.mapped(lambda lineage: through(lineage, EdgeKind.TRANSFORM, location))
        self.frame_carried(frame, result, location)
        for _, lineage in result.columns:
            for dep in _direct(lineage):
                if dep.location == location:
                    self.filled[(dep.source, dep.location)] = Fill(location)
        return result

    def carried(self, before: Lineage, after: Lineage, location: Location | None, rate: bool = False) -> None:
        """Dependencies changed by an operation at ``location`` keep the marks of the ones they come from
        (``rate``: the operation divides or averages them)."""
        sources: dict[ColumnRef, list[Dep]] = {}
        for dep in _direct(before):
            sources.setdefault(dep.source, []).append(dep)
        for dep in _direct(after):
            if dep.location != location:
                continue
            for old in sources.get(dep.source, ()):
                key, old_key = (dep.source, dep.location), (old.source, old.location)
                fill = self.filled.get(old_key)
                if fill is not None:
                    self.filled.setdefault(key, replace(fill, rate=fill.rate or (location if rate else None)))
                if old_key in self.rated:
                    self.rated.setdefault(key, self.rated[old_key])
            if rate and location is not None:
                self.rated.setdefault((dep.source, dep.location), location)

    def frame_carried(self, before: Frame, after: Frame, location: Location | None, rate: bool = False) -> None:
        for name, lineage in after.columns:
            self.carried(before.column(name) or NONE, lineage, location, rate)

    def aggregated(self, lineage: Lineage, function: str, kind: EdgeKind, location: Location | None) -> Lineage:
        """``lineage`` through an aggregation by ``function`` (an average is a rate)."""
        result = through(lineage, kind, location)
        self.carried(lineage, result, location, function in AVERAGES)
        return result

    # ----------------------------------------------------------------- column values
    def value_filled(self, value: ColumnValue, location: Location) -> ColumnValue:
        """A Series/Column with its nulls replaced by 0 at ``location``."""
        self.sites.add(location)
        terms = set()
        for term in value.terms:
            if term.hop.is_direct:
                hop = EdgeKind.TRANSFORM if term.hop in (EdgeKind.IDENTITY, EdgeKind.RENAME) else term.hop
                term = Term(term.column, hop, location, term.certainty, term.lineage)
            terms.add(term)
        return replace(value, terms=frozenset(terms))

    def value_rated(self, inputs: list[object], result: object, location: Location) -> object:
        """``result`` divides or averages ``inputs`` at ``location``. Its direct terms are given that
        location, so they differ from the same terms used elsewhere undivided, and remember the fill
        they carry, if any."""
        if not isinstance(result, ColumnValue):
            return result
        result = self.value_carried(inputs, result)
        terms = set()
        for term in result.terms:
            if term.hop.is_direct:
                fill, rate = self._marks(term)
                term = replace(term, location=location)
                self.term_rates.setdefault(term, (fill, rate or location))
            terms.add(term)
        return replace(result, terms=frozenset(terms))

    def _marks(self, term: Term) -> tuple[Location | None, Location | None]:
        """(where the value was filled with 0, where it was divided or averaged) of a direct term."""
        if term.location in self.sites:
            return term.location, None
        return self.term_rates.get(term, (None, None))

    def value_carried(self, inputs: list[object], result: ColumnValue) -> ColumnValue:
        """An operation that made new terms (an aggregate) keeps the fill and rate marks of its inputs' terms."""
        marks = {}
        for value in inputs:
            for term in value.terms if isinstance(value, ColumnValue) else ():
                if term.hop.is_direct and self._marks(term) != (None, None):
                    marks[(term.column, term.lineage)] = term
        if not marks:
            return result
        terms = set()
        for term in result.terms:
            mark = marks.get((term.column, term.lineage))
            if mark is not None and term.hop.is_direct and term.location is None:
                term = replace(term, location=mark.location)
                if mark in self.term_rates:
                    self.term_rates.setdefault(term, self.term_rates[mark])
            terms.add(term)
        return replace(result, terms=frozenset(terms))

    def bound(self, value: ColumnValue, frame: Frame, name: str, location: Location | None) -> None:
        """``value`` was stored as column ``name`` of ``frame`` by the operation at ``location``."""
        if location is None:
            return
        for term in value.terms:
            if not term.hop.is_direct:
                continue
            changed = term.hop != EdgeKind.IDENTITY or term.column != name
            if not changed:
                continue
            lineage = term.lineage if term.lineage is not None else (frame.column(term.column) or NONE)
            filled, rate = self._marks(term)
            fill = Fill(filled, rate) if filled is not None else None
            for dep in _direct(lineage):
                key = (dep.source, location)
                old = (dep.source, dep.location)
                found = fill or (replace(self.filled[old], rate=self.filled[old].rate or rate) if old in self.filled else None)
                if found is not None:
                    self.filled.setdefault(key, found)
                rated = rate or self.rated.get(old)
                if rated is not None:
                    self.rated.setdefault(key, rated)

    # ----------------------------------------------------------------- facts
    def facts(self, dep: Dep, target: ColumnRef) -> list[ValueFact]:
        """The facts of one dependency of a written column."""
        if not dep.kind.is_direct or dep.source.table is None:
            return []
        key = (dep.source, dep.location)
        found = []
        fill = self.filled.get(key)
        if fill is not None:
            found.append(ValueFact(ValueOp.NULL_TO_ZERO, dep.source, target, fill.location, fill.rate))
        rate = self.rated.get(key)
        if rate is not None:
            found.append(ValueFact(ValueOp.RATE, dep.source, target, rate))
        return found

    def sql_facts(self, facts: list[ValueFact], edges: list, frame_table: str) -> list[ValueFact]:
        """Embedded SQL's facts: the ones about the query's own result mark its dependencies (as the
        frame holds them); the others (an `INSERT ... SELECT COALESCE(...)`) are returned as they are."""
        others = []
        for fact in facts:
            if fact.target.table != frame_table:
                others.append(fact)
                continue
            for edge in edges:
                if edge.source == fact.source and edge.target == fact.target and edge.kind.is_direct:
                    key = (edge.source, edge.location)
                    if fact.op == ValueOp.NULL_TO_ZERO:
                        self.filled.setdefault(key, Fill(fact.location, fact.rate))
                    elif fact.location is not None:
                        self.rated.setdefault(key, fact.location)
        return others


def is_zero_literal(node: cst.CSTNode | None) -> bool:
    """`0`, `0.0`, `F.lit(0)` in the code."""
    if isinstance(node, cst.Integer | cst.Float):
        try:
            return node.evaluated_value == 0
        except ValueError:
            return False
    if isinstance(node, cst.Call) and len(node.args) == 1:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return name == "lit" and is_zero_literal(node.args[0].value)
    return False


def fills_by_condition(condition: cst.CSTNode | None, if_true: cst.CSTNode | None, if_false: cst.CSTNode | None) -> bool:
    """Whether choosing ``if_true`` where ``condition`` holds, else ``if_false``, replaces nulls by 0:
    `where(isna(x), 0, x)` or `where(notna(x), x, 0)` (`x` the same expression in both places)."""
    test = _null_test(condition)
    if test is None:
        return False
    tested, is_null = test
    zero, kept = (if_true, if_false) if is_null else (if_false, if_true)
    return is_zero_literal(zero) and kept is not None and kept.deep_equals(tested)


def _null_test(node: cst.CSTNode | None) -> tuple[cst.CSTNode, bool] | None:
    """(the expression tested, whether the test is "is null") of `s.isna()`, `pd.isnull(s)`, `np.isnan(s)`,
    `c.isNull()`, `F.isnull(c)`, `s.notna()`, `c.isNotNull()`."""
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if name not in NULL_TESTS and name not in NOT_NULL_TESTS:
        return None
    if not node.args and isinstance(func, cst.Attribute):
        return func.value, name in NULL_TESTS
    if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
        return node.args[0].value, name in NULL_TESTS
    return None


def is_zero(value: object) -> bool:
    return isinstance(value, Const) and not isinstance(value.value, bool) and isinstance(value.value, int | float) \
        and value.value == 0


def is_nan(value: object) -> bool:
    if isinstance(value, Const):
        return value.value is None
    return isinstance(value, Library) and value.path in NAN


def _direct(lineage: Lineage) -> list[Dep]:
    return [d for d in lineage if d.kind.is_direct]
