"""The core model shared by every stage: locations, relations, column edges, diagnostics, fragments.

Everything here is a frozen dataclass or an enum, so parser output can be hashed, cached, compared
and sorted deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class EdgeKind(str, Enum):
    """How a source column contributes to a target column (OpenLineage transformation types)."""

    IDENTITY = "identity"
    RENAME = "rename"
    TRANSFORM = "transform"
    AGGREGATE = "aggregate"
    JOIN = "join"
    FILTER = "filter"
    GROUP_BY = "group_by"
    SORT = "sort"
    WINDOW = "window"
    CONDITIONAL = "conditional"

    @property
    def is_direct(self) -> bool:
        return self in DIRECT_KINDS


DIRECT_KINDS = frozenset({EdgeKind.IDENTITY, EdgeKind.RENAME, EdgeKind.TRANSFORM, EdgeKind.AGGREGATE})
_KIND_VALUE = {kind: kind.value for kind in EdgeKind}


class Certainty(str, Enum):
    """How sure the engine is of an edge's source, from most to least certain."""

    RESOLVED = "resolved"
    INFERRED = "inferred"
    AMBIGUOUS = "ambiguous"
    UNRESOLVED = "unresolved"

    @property
    def rank(self) -> int:
        return _CERTAINTY_RANK[self]

    def weakest(self, other: Certainty) -> Certainty:
        return self if self.rank >= other.rank else other


_CERTAINTY_ORDER = (Certainty.RESOLVED, Certainty.INFERRED, Certainty.AMBIGUOUS, Certainty.UNRESOLVED)
_CERTAINTY_RANK = {certainty: rank for rank, certainty in enumerate(_CERTAINTY_ORDER)}


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A span in a file: repo-relative POSIX path, 1-based lines and columns (end inclusive)."""

    path: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.start_line}:{self.start_col}"


@dataclass(frozen=True, order=True, slots=True)
class ColumnRef:
    """A column of a relation. ``table`` is None when the source cannot be attributed to one table."""

    table: str | None
    column: str

    def __str__(self) -> str:
        return f"{self.table if self.table is not None else '?'}.{self.column}"


STAR = "*"
QUERY_TARGET = "__query__"
"""The placeholder table written by a bare SELECT that has no write target."""


@dataclass(frozen=True, order=True, slots=True)
class ColumnEdge:
    """One source column feeding one target column.

    ``candidates`` lists the possible source tables of an ambiguous edge; ``excluded`` the columns
    an unexpanded ``t.*`` leaves out (``* EXCEPT (...)``).
    """

    source: ColumnRef
    target: ColumnRef
    kind: EdgeKind
    certainty: Certainty = Certainty.RESOLVED
    location: Location | None = None
    candidates: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} : {self.kind.value} ({self.certainty.value})"

    def sort_key(self) -> tuple:
        """A total, hash-seed-independent order: source, target, kind, certainty, location (the
        columns as `str` shows them, the location as `location_sort_key`), candidates, excluded.
        (The build sorts every edge with `build.merge.memoised_sort_key`, the same key made faster.)
        """
        return (str(self.source), str(self.target), _KIND_VALUE[self.kind], _CERTAINTY_RANK[self.certainty],
                location_sort_key(self.location), self.candidates, self.excluded)


def location_sort_key(location: Location | None) -> tuple[str, int, int, int, int]:
    """A location as `ColumnEdge.sort_key` orders it (none first)."""
    if location is None:
        return ("", 0, 0, 0, 0)
    return (location.path, location.start_line, location.start_col, location.end_line, location.end_col)


class WriteMode(str, Enum):
    """How a statement writes a relation.

    ``create`` (CTAS, view, SELECT INTO, clone, a dbt model/seed/snapshot), ``declare`` (DDL with
    columns and no data) and ``overwrite`` (INSERT OVERWRITE) each define the whole relation;
    ``insert``, ``merge``, ``update`` and ``load`` (COPY INTO) add to or change what is there.
    """

    CREATE = "create"
    DECLARE = "declare"
    OVERWRITE = "overwrite"
    INSERT = "insert"
    MERGE = "merge"
    UPDATE = "update"
    LOAD = "load"

    @property
    def defines(self) -> bool:
        return self in (WriteMode.CREATE, WriteMode.DECLARE, WriteMode.OVERWRITE)


class RelationKind(str, Enum):
    TABLE = "table"
    VIEW = "view"
    TEMPORARY = "temporary"
    EPHEMERAL = "ephemeral"
    QUERY = "query"
    SOURCE = "source"
    SEED = "seed"
    SNAPSHOT = "snapshot"
    FILE = "file"
    DATASET = "dataset"
    EXTERNAL = "external"


@dataclass(frozen=True, order=True)
class QueryLogic:
    """What tells whether two relations are computed by the same query (LS302), kept so that the
    costly part is done only when needed.

    ``shape`` (the query's number of output columns and the tables it reads) is cheap and differs
    for nearly every pair of queries; only relations sharing a shape get the full comparison, a
    fingerprint of the query's normalised logic (`sql.fingerprint`), computed then by analysing
    ``statement`` again: the text of the statement that defines the relation, as analysed (after
    templating), read with ``dialect`` (a `Dialect.get_or_raise` string) and the default schema and
    database it was read with. ``index`` says which of the relations the statement defines it is
    (0 for the first).
    """

    shape: str
    statement: str
    index: int
    dialect: str
    default_db: str | None = None
    default_catalog: str | None = None


@dataclass(frozen=True, order=True)
class RelationDef:
    """A relation written by a statement: its name, kind and (when known) ordered columns.

    ``declared`` is True when the columns come from DDL or a schema file rather than a query.
    ``columns`` is None when the statement's output columns are not all known (an unexpanded star).
    ``mode`` says how the relation is written (parsers that only ever define relations, such as
    dbt models, can leave the default). ``logic`` tells whether another relation is computed by the
    same query (see `QueryLogic`); None when the relation is not defined by a query.
    """

    name: str
    kind: RelationKind
    location: Location | None
    columns: tuple[str, ...] | None = None
    declared: bool = False
    mode: WriteMode = WriteMode.CREATE
    logic: QueryLogic | None = None


@dataclass(frozen=True, order=True)
class RelationUse:
    """A relation read by a statement, or a relation-level dependency (``source`` feeds ``target``)."""

    source: str
    target: str
    location: Location | None


@dataclass(frozen=True, order=True)
class Diagnostic:
    """Something a parser or the build could not understand, with where and why.

    ``subject`` optionally names the relation concerned (e.g. the table of an unexpanded star).
    """

    location: Location
    parser: str
    message: str
    severity: Severity = Severity.WARNING
    code: str = "LS900"
    subject: str | None = None


@dataclass(frozen=True, order=True)
class ColumnMeta:
    """Documentation and tests of one column (dbt YAML, comments)."""

    name: str
    description: str | None = None
    data_type: str | None = None
    tests: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class RelationMeta:
    """Documentation, ownership and tests of a relation, merged onto its graph node.

    ``attributes`` holds extra sorted key/value pairs (materialisation, dbt unique id, `meta`...).
    """

    relation: str
    location: Location | None = None
    description: str | None = None
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    columns: tuple[ColumnMeta, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, order=True)
class TaskDef:
    """A unit of work that reads and writes relations: a dbt model, an Airflow task, a Python job.

    ``id`` is unique across the repository (`airflow:<dag>.<task>`, `dbt:<project>.<model>`,
    `python:<path>:<function>`); ``upstream`` lists the ids of tasks it depends on.
    """

    id: str
    kind: str
    name: str
    location: Location | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, order=True)
class MLModelDef:
    """A trained model (a `fit(X, y)` call, a dbt `ml` exposure): its feature and target columns.

    ``prediction_time`` is the column holding the time a row's prediction is made (the snapshot or
    label date) and ``keys`` the entity keys of a row; neither is a feature, and leakage rules never
    count a path through them.
    A feature `t.*` stands for every column of `t` (expanded by the build once `t`'s columns are
    known) except the ``excluded`` column names.
    """

    id: str
    name: str
    location: Location | None = None
    features: tuple[ColumnRef, ...] = ()
    target: ColumnRef | None = None
    estimator: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    prediction_time: ColumnRef | None = None
    keys: tuple[ColumnRef, ...] = ()
    excluded: tuple[str, ...] = ()


class ValueOp(str, Enum):
    """What happens to a column's value on its way into another column (see `ValueFact`)."""

    NULL_TO_ZERO = "null_to_zero"
    """`COALESCE(x, 0)`, `IFNULL`, `NVL`, `ISNULL`, `ZEROIFNULL`, `CASE WHEN x IS NULL THEN 0`, `fillna(0)`."""
    RATE = "rate"
    """The value is divided (either side of `/`, `SAFE_DIVIDE`) or averaged (`AVG`, `mean()`)."""


@dataclass(frozen=True, order=True)
class ValueFact:
    """A fact about how ``source``'s value reaches ``target`` (both written columns or base columns).

    ``location`` is the call that does it (the `COALESCE`, the division). For ``NULL_TO_ZERO``,
    ``rate`` is the location of a division or average applied to the filled value on its way into
    ``target`` (in SQL, within the same statement), if any.
    """

    op: ValueOp
    source: ColumnRef
    target: ColumnRef
    location: Location | None
    rate: Location | None = None


class StepOp(str, Enum):
    """What a `DataStep` does with the datasets it reads."""

    SPLIT = "split"
    """`train_test_split` and the like: ``roles`` gives each output's role."""
    CROSS_VALIDATE = "cross_validate"
    """`cross_val_score`, `cross_validate`, `GridSearchCV(...).fit`: splits its input internally."""
    FIT = "fit"
    FIT_TRANSFORM = "fit_transform"
    TRANSFORM = "transform"
    RESAMPLE = "resample"
    """Oversampling / augmentation (`SMOTE().fit_resample`, `resample`): adds or copies rows."""
    PREDICT = "predict"
    EVALUATE = "evaluate"
    """A metric (`accuracy_score(y, p)`) or `estimator.score(X, y)`."""
    DERIVE = "derive"
    """Any other operation whose outputs are computed from its inputs (selection, concat, copy)."""


@dataclass(frozen=True, order=True)
class DataStep:
    """One call in Python ML code, as the preprocessing-leakage rule (LS102) needs it.

    Dataset values are opaque ids, unique across the repository, one per *version* of a variable
    (an assignment makes a new version, e.g. `python:train.py:X@12`): ``inputs`` are the values the
    call reads (positional order: X before y), ``outputs`` the values it produces. A split gives
    ``roles`` (`train` or `test`, one per output; a validation part counts as `test`).
    ``estimator`` is the class fitted or used, dotted as imported (`sklearn.preprocessing.StandardScaler`),
    ``components`` the classes inside a `Pipeline`, and ``instance`` the id of the estimator object,
    shared by that object's fit, transform, predict and score steps.
    """

    id: str
    op: StepOp
    location: Location | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    estimator: str | None = None
    components: tuple[str, ...] = ()
    instance: str | None = None


@dataclass(frozen=True, order=True)
class RelatedLocation:
    """A place a finding refers to besides its primary location, with what it is."""

    message: str
    location: Location | None


@dataclass(frozen=True, order=True)
class PathStep:
    """One hop of a finding's lineage path: where it is and what happens there.

    ``column`` is the column the hop reaches, when the hop is a column (not a Python call).
    """

    message: str
    location: Location | None
    column: ColumnRef | None = None


@dataclass(frozen=True, order=True)
class Suppression:
    """An inline `lineage-scan: ignore[...]` comment that silences a finding, with its reason."""

    location: Location
    reason: str | None = None


@dataclass(frozen=True, order=True)
class Finding:
    """A problem a rule found.

    ``key`` is a stable semantic identity (`LS101|<target>|<feature>`), independent of line numbers,
    used for fingerprints, baselines and anchors. ``location`` is the place a reviewer should
    change; ``related`` the other places involved; ``path`` the ordered hops from cause to effect.
    A suppressed finding stays in the results (visible) but does not count towards `--fail-on`.
    """

    rule: str
    key: str
    level: Severity
    message: str
    location: Location | None
    related: tuple[RelatedLocation, ...] = ()
    path: tuple[PathStep, ...] = ()
    suppression: Suppression | None = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


@dataclass
class Fragment:
    """What one parser learnt from one file (or one dbt project): the unit the build merges."""

    path: str
    parser: str
    relations: list[RelationDef] = field(default_factory=list)
    reads: list[RelationUse] = field(default_factory=list)
    edges: list[ColumnEdge] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    metadata: list[RelationMeta] = field(default_factory=list)
    tasks: list[TaskDef] = field(default_factory=list)
    ml_models: list[MLModelDef] = field(default_factory=list)
    value_facts: list[ValueFact] = field(default_factory=list)
    data_steps: list[DataStep] = field(default_factory=list)
    statements: int = 0
    statements_failed: int = 0

    def absorb(self, other: Fragment) -> None:
        """Add what another parser learnt from the same file (a DAG file is also Python code)."""
        for name in ("relations", "reads", "edges", "diagnostics", "metadata", "tasks", "ml_models",
                     "value_facts", "data_steps"):
            getattr(self, name).extend(getattr(other, name))
        self.depends_on = sorted({*self.depends_on, *other.depends_on})
        self.statements += other.statements
        self.statements_failed += other.statements_failed
    depends_on: list[str] = field(default_factory=list)
    """Other repository files read to analyse this one (imported modules, SQL files the code opens):
    a cached fragment is stale when any of them changes."""
