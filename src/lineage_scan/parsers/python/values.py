"""The abstract values the Python analysis passes around instead of running the code.

A dataframe is a `Frame`: for each column it knows, the set of `Dep`s (upstream column, kind,
certainty, location) it is computed from, plus the dependencies on which *rows* it holds (filters,
joins, groupings). A column expression (a pandas Series, a PySpark Column) is a `ColumnValue` made
of `Term`s: columns it reads and how, bound to their lineage when read from a pandas frame, or
resolved against the frame they land in for PySpark's `col("x")`.

Composition follows docs/lineage-semantics.md: along a path the strongest direct kind wins
(identity < transform < aggregate); an indirect hop makes the dependency indirect, with the kind and
location of the indirect hop nearest the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lineage_scan.model import STAR, Certainty, ColumnRef, EdgeKind, Location

LEVEL = {EdgeKind.IDENTITY: 0, EdgeKind.RENAME: 0, EdgeKind.TRANSFORM: 1, EdgeKind.AGGREGATE: 2}


@dataclass(frozen=True, order=True)
class Dep:
    """An upstream column a value is computed from.

    ``kind`` is IDENTITY for a pass-through (identity or rename is decided where the edge is
    written, by comparing names), TRANSFORM, AGGREGATE, or an indirect kind. ``location`` is the
    operation nearest the target that changed the value (or, for an indirect kind, the operation
    that used it to pick or arrange rows).
    """

    source: ColumnRef
    kind: EdgeKind
    certainty: Certainty = Certainty.RESOLVED
    location: Location | None = None
    candidates: tuple[str, ...] = ()

    def through(self, hop: EdgeKind, location: Location | None, certainty: Certainty, changed: bool) -> Dep:
        """This dependency seen through one more operation (``changed``: it renamed or computed)."""
        weakest = self.certainty.weakest(certainty)
        if not hop.is_direct:
            return Dep(self.source, hop, weakest, location or self.location, self.candidates)
        if not self.kind.is_direct:
            return self if weakest == self.certainty else replace(self, certainty=weakest)
        kind = hop if LEVEL[hop] > LEVEL[self.kind] else self.kind
        if kind == EdgeKind.RENAME:
            kind = EdgeKind.IDENTITY
        where = location if changed and location is not None else self.location
        return Dep(self.source, kind, weakest, where, self.candidates)

    def weakened(self, certainty: Certainty) -> Dep:
        weakest = self.certainty.weakest(certainty)
        return self if weakest == self.certainty else replace(self, certainty=weakest)

    @property
    def is_star(self) -> bool:
        return self.source.column == STAR


Lineage = frozenset[Dep]
NONE: Lineage = frozenset()


def through(lineage: Lineage, hop: EdgeKind, location: Location | None,
            certainty: Certainty = Certainty.RESOLVED, changed: bool = True) -> Lineage:
    return frozenset(d.through(hop, location, certainty, changed) for d in lineage)


def weakened(lineage: Lineage, certainty: Certainty) -> Lineage:
    return frozenset(d.weakened(certainty) for d in lineage)


def relations_of(lineage: Lineage) -> set[str]:
    names = {d.source.table for d in lineage if d.source.table}
    names |= {t for d in lineage for t in d.candidates}
    return names


# --------------------------------------------------------------------------- dataframes
@dataclass(frozen=True)
class Frame:
    """A dataframe: known columns in order, row dependencies, and what else it may hold.

    ``stars`` are dependencies on whole relations whose columns are not known yet (`SELECT *`,
    `spark.table(t)`): a column not listed is read from them (inferred), except ``excluded`` ones.
    ``unknown`` is the lineage of columns whose names cannot be known (a pivot, `get_dummies`).
    ``opaque`` frames come from something not analysed (a parameter, an unknown call): unlisted
    columns have no known lineage. ``engine`` is "pandas", "spark" or None when not known.
    """

    columns: tuple[tuple[str, Lineage], ...] = ()
    rows: Lineage = NONE
    stars: Lineage = NONE
    excluded: frozenset[str] = frozenset()
    unknown: Lineage = NONE
    opaque: bool = False
    engine: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def complete(self) -> bool:
        """Every column is known by name."""
        return not self.stars and not self.unknown and not self.opaque

    def column(self, name: str) -> Lineage | None:
        """The lineage of a column, None when the frame has no such column as far as is known."""
        for known, lineage in self.columns:
            if known == name:
                return lineage
        if name in self.excluded:
            return None
        if self.stars or self.unknown:
            found = {
                Dep(ColumnRef(star.source.table, name), star.kind, star.certainty.weakest(Certainty.INFERRED),
                    star.location, star.candidates)
                for star in self.stars
            }
            return frozenset(found) | weakened(self.unknown, Certainty.INFERRED)
        return NONE if self.opaque else None

    def all_lineage(self) -> Lineage:
        """Every dependency of every column (known, star and unknown), without the row ones."""
        return frozenset().union(*(lineage for _, lineage in self.columns), self.stars, self.unknown)

    def with_columns(self, updates: list[tuple[str, Lineage]]) -> Frame:
        """Columns replaced in place or appended, in order."""
        columns = dict(self.columns)
        columns.update(updates)
        return replace(self, columns=tuple(columns.items()), excluded=self.excluded | {n for n, _ in updates})

    def selected(self, names: list[str], lookup: dict[str, Lineage]) -> Frame:
        """Only the given columns, in the given order (their lineage looked up by the caller)."""
        return Frame(tuple((n, lookup[n]) for n in names), self.rows, engine=self.engine)

    def dropped(self, names: set[str]) -> Frame:
        return replace(
            self, columns=tuple((n, lin) for n, lin in self.columns if n not in names), excluded=self.excluded | names
        )

    def filtered(self, lineage: Lineage) -> Frame:
        return replace(self, rows=self.rows | lineage) if lineage - self.rows else self

    def mapped(self, function) -> Frame:
        """Every column's lineage (and the star/unknown ones) passed through ``function``."""
        return replace(
            self,
            columns=tuple((n, function(lin)) for n, lin in self.columns),
            stars=function(self.stars),
            unknown=function(self.unknown),
        )

    def weakened(self, certainty: Certainty) -> Frame:
        weaker = self.mapped(lambda lin: weakened(lin, certainty))
        return replace(weaker, rows=weakened(self.rows, certainty))


def opaque_frame(engine: str | None = None) -> Frame:
    return Frame(opaque=True, engine=engine)


# --------------------------------------------------------------------------- column expressions
@dataclass(frozen=True, order=True)
class Term:
    """One column a column expression reads, and how.

    ``hop`` is the strongest direct use so far (IDENTITY, TRANSFORM, AGGREGATE) or an indirect kind
    (then ``location`` is where that use is). ``lineage`` is the column's lineage when it was read
    from a known frame (pandas); None means it is resolved against the frame the expression lands in
    (PySpark `col("x")`, a string column name).
    """

    column: str
    hop: EdgeKind = EdgeKind.IDENTITY
    location: Location | None = None
    certainty: Certainty = Certainty.RESOLVED
    lineage: Lineage | None = None

    def used(self, hop: EdgeKind, location: Location | None = None, certainty: Certainty = Certainty.RESOLVED) -> Term:
        weakest = self.certainty.weakest(certainty)
        if not hop.is_direct:
            return Term(self.column, hop, location, weakest, self.lineage)
        if not self.hop.is_direct or LEVEL[hop] <= LEVEL[self.hop]:
            return replace(self, certainty=weakest) if weakest != self.certainty else self
        return Term(self.column, hop, None, weakest, self.lineage)


@dataclass(frozen=True)
class ColumnValue:
    """A Series / Column expression: the columns it reads, its name, and the rows it is defined on.

    ``rows`` holds the row dependencies of the frame it was read from, so that assigning it into
    another frame carries them along.
    """

    terms: frozenset[Term] = frozenset()
    name: str | None = None
    rows: Lineage = NONE
    engine: str | None = None

    def used(self, hop: EdgeKind, location: Location | None = None, certainty: Certainty = Certainty.RESOLVED,
             name: str | None = None) -> ColumnValue:
        return ColumnValue(frozenset(t.used(hop, location, certainty) for t in self.terms), name, self.rows, self.engine)

    def renamed(self, name: str | None) -> ColumnValue:
        return replace(self, name=name)


def combine(values: list[ColumnValue], hop: EdgeKind = EdgeKind.TRANSFORM, location: Location | None = None,
            certainty: Certainty = Certainty.RESOLVED, name: str | None = None,
            engine: str | None = None) -> ColumnValue:
    """An expression over several column values (arithmetic, a function call)."""
    terms: set[Term] = set()
    rows: set[Dep] = set()
    for value in values:
        terms.update(t.used(hop, location, certainty) for t in value.terms)
        rows.update(value.rows)
    engine = engine or next((v.engine for v in values if v.engine), None)
    return ColumnValue(frozenset(terms), name, frozenset(rows), engine)


def bind(value: ColumnValue, frame: Frame, name: str, location: Location | None) -> tuple[Lineage, list[str]]:
    """The lineage of ``value`` stored as column ``name`` of ``frame`` by the operation at ``location``.

    Returns the lineage and the names of columns the frame was expected to have but does not.
    """
    result: set[Dep] = set()
    missing: list[str] = []
    for term in value.terms:
        lineage = term.lineage
        if lineage is None:
            lineage = frame.column(term.column)
            if lineage is None:
                missing.append(term.column)
                continue
        changed = term.hop != EdgeKind.IDENTITY or term.column != name
        where = term.location if not term.hop.is_direct else location
        result.update(d.through(term.hop, where, term.certainty, changed) for d in lineage)
    result.update(value.rows - frame.rows)
    return frozenset(result), missing


# --------------------------------------------------------------------------- other values
@dataclass(frozen=True)
class Const:
    """A Python constant (str, int, float, bool, None) and, for strings, where its text starts."""

    value: object
    origin: TextOrigin | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class TextOrigin:
    """Where a string's text starts in a source (1-based line and column), to locate embedded SQL.

    The position is that of ``anchor`` (a parsed module and the literal's node, looked up on first
    use: positions are costly and most strings never need one) or ``fixed``, plus ``offset``
    columns. ``exact`` is False when escapes, concatenation or interpolation make columns approximate.
    """

    source: object
    anchor: tuple | None = None
    fixed: tuple[int, int] = (1, 1)
    offset: int = 0
    exact: bool = True

    @property
    def line(self) -> int:
        return self._start()[0]

    @property
    def col(self) -> int:
        return self._start()[1] + self.offset

    def _start(self) -> tuple[int, int]:
        if self.anchor is None:
            return self.fixed
        module, node = self.anchor
        return module.start(node)

    def shifted(self, columns: int = 0, exact: bool | None = None) -> TextOrigin:
        return replace(self, offset=self.offset + columns, exact=self.exact if exact is None else exact)


@dataclass(frozen=True)
class Seq:
    """A list/tuple/set literal (or a computed one) of values."""

    items: tuple[object, ...]


@dataclass(frozen=True)
class MapValue:
    """A dict literal: (key, value) pairs in order."""

    items: tuple[tuple[object, object], ...]

    def get(self, key: object) -> object | None:
        for k, v in self.items:
            if isinstance(k, Const) and k.value == key:
                return v
        return None


@dataclass(frozen=True)
class ColumnsOf:
    """The column labels of a frame (`df.columns`), minus some: a column list not known by name."""

    frame: Frame
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Unknown:
    """A value the analysis does not follow. ``lineage`` keeps what it was computed from, if anything.

    ``param`` marks a function parameter with no known argument (no diagnostics about it).
    """

    lineage: Lineage = NONE
    param: bool = False


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Library:
    """A name imported from outside the repository, by its dotted path (`pandas.read_sql`)."""

    path: str


@dataclass(frozen=True)
class SqlText:
    """A SQLAlchemy `text()` clause or another wrapper holding SQL."""

    text: Const


@dataclass(frozen=True)
class Session:
    """A Spark / Snowpark session (`spark`, a dbt Python model's `session`)."""


@dataclass(frozen=True)
class Reader:
    """`spark.read` with the format and options set so far."""

    format: str | None = None
    options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Writer:
    """`df.write` (or `writeTo`) with the format and options set so far."""

    frame: Frame
    format: str | None = None
    options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Grouped:
    """`df.groupby(keys)` / `df.groupBy(keys)`, optionally narrowed to some columns.

    ``keys`` are the grouping column values; ``selection`` the columns picked with `[...]`
    (None: all others); ``pivot`` a Spark `.pivot(col)`; ``window`` a `.rolling()`/`.expanding()`.
    """

    frame: Frame
    keys: tuple[ColumnValue, ...]
    location: Location | None
    selection: tuple[str, ...] | None = None
    series: bool = False
    pivot: ColumnValue | None = None
    window: bool = False


@dataclass(frozen=True)
class WindowSpec:
    """A PySpark `Window.partitionBy(...).orderBy(...)`: columns used as `window` dependencies."""

    terms: frozenset[Term] = frozenset()


@dataclass(frozen=True)
class When:
    """A PySpark `F.when(...)` chain being built."""

    value: ColumnValue


@dataclass(frozen=True)
class Estimator:
    """A model object: its class (`sklearn.ensemble.RandomForestClassifier`) and, for pipelines, steps."""

    path: str
    steps: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        label = self.path.rsplit(".", 1)[-1]
        return f"{label}({', '.join(self.steps)})" if self.steps else label


@dataclass(frozen=True)
class TrainingData:
    """`xgboost.DMatrix(X, label=y)` / `lightgbm.Dataset(X, label=y)`."""

    features: object
    label: object


@dataclass(frozen=True)
class Trained:
    """A fitted model (returned by `fit` or `xgboost.train`): predicting with it reads its features."""

    estimator: Estimator | None
    features: Lineage


@dataclass(frozen=True)
class FeastSource:
    """A Feast data source (`FileSource(path=...)`, `BigQuerySource(table=...)`): the relation it reads."""

    relation: str | None


@dataclass(frozen=True)
class PathValue:
    """A file path built in code (`Path(__file__).parent / "q.sql"`, `open("q.sql")`), repo-relative."""

    path: str


@dataclass(frozen=True)
class DbtContext:
    """The `dbt` argument of a dbt Python model (`dbt.ref`, `dbt.source`, `dbt.this`)."""
