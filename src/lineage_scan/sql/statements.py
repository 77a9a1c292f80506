"""One SQL statement -> the relation it writes, the relations it reads and its column edges.

Each statement type has one handler; `StatementAnalyser.HANDLERS` lists them in order. Writes that
take a query (CTAS, views, INSERT, SELECT INTO) share `_write_query`; MERGE and UPDATE are rewritten
into an equivalent SELECT over their sources so the same query engine follows their columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from lineage_scan.fieldwise import build_objects
from lineage_scan.model import (
    _CERTAINTY_RANK,
    _KIND_VALUE,
    STAR,
    Certainty,
    ColumnEdge,
    ColumnRef,
    EdgeKind,
    Location,
    QueryLogic,
    RelationDef,
    RelationKind,
    RelationUse,
    ValueFact,
    ValueOp,
    WriteMode,
)
from lineage_scan.sql.fingerprint import logic_fingerprint
from lineage_scan.sql.names import Names, dialect_spec
from lineage_scan.sql.query import Note, QueryLineage, node_span
from lineage_scan.sql.query_types import AGGREGATE, BARE, TRANSFORM, Leaf, Output, Span
from lineage_scan.sql.schema import SchemaRegistry

Locate = Callable[[Span | None], Location | None]


EdgeKey = tuple[str | None, str, str, str, EdgeKind, Certainty, tuple[str, ...], tuple[str, ...]]
"""An edge without its location: source table and column, target table and column, kind, certainty,
candidates, excluded (names rather than ColumnRefs: strings hash faster)."""


@dataclass
class StatementLineage:
    """What one statement contributes. ``edges`` are unique per `EdgeKey`, each with the earliest
    location that creates it (no location first), sorted by `ColumnEdge.sort_key`."""

    relations: list[RelationDef] = field(default_factory=list)
    reads: list[RelationUse] = field(default_factory=list)
    edges: list[ColumnEdge] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    facts: list[ValueFact] = field(default_factory=list)
    spans: dict[EdgeKey, Span | None] = field(default_factory=dict)
    """The edges while the statement is analysed: each key with its earliest span."""

    def add_edge(self, key: EdgeKey, span: Span | None) -> None:
        spans = self.spans
        if key in spans:
            known = spans[key]
            if known is None or (span is not None and known <= span):
                return
        spans[key] = span


@dataclass(frozen=True)
class Target:
    """Where a query's outputs land: a table, its columns by position (if known) and how sure."""

    name: str
    kind: RelationKind
    span: Span | None
    columns: tuple[str, ...] | None = None
    positional: bool = False
    certainty: Certainty = Certainty.RESOLVED


NOT_ANALYSED = "LS902"
COLUMN_COUNT = "LS907"
_DIRECT_KIND = {TRANSFORM: EdgeKind.TRANSFORM, AGGREGATE: EdgeKind.AGGREGATE}
_UNSET = object()
_NO_SPAN = (-1, -1)
"""Sorts before every span, as no location sorts before every location."""
_LINEAGE_KEYWORDS = ("CREATE", "INSERT", "MERGE", "UPDATE", "SELECT", "WITH", "REPLACE", "COPY")


class StatementAnalyser:
    """Analyses the statements of one script in order, keeping the script's schema up to date."""

    def __init__(self, names: Names, schema: SchemaRegistry, locate: Locate, query_target: Callable[[int], str]):
        self.names = names
        self.schema = schema
        self.locate = locate
        self.query_target = query_target
        self._columns: dict[tuple[str | None, str], tuple[ColumnRef, str]] = {}
        """`_column` of each column of the script met so far."""
        self._statement = ""
        """The text of the statement being analysed (see `begin`)."""
        self._defined = 0
        """How many relations that statement defined so far (`QueryLogic.index`)."""
        self._dialect_spec: str | None = None
        self.fingerprints: list[str | None] | None = None
        """When a list, the logic fingerprints of the relations defined are appended to it rather
        than made into `QueryLogic`s (`script.logic_fingerprint_of` analysing a statement again)."""
        self.HANDLERS: tuple[tuple[type[exp.Expr], Callable[[exp.Expr, StatementLineage], None]], ...] = (
            (exp.Create, self._create),
            (exp.Insert, self._insert),
            (exp.Merge, self._merge),
            (exp.Update, self._update),
            (exp.Query, self._select),
            (exp.Alter, self._alter),
            (exp.Drop, self._drop),
            (exp.Use, self._use),
            (exp.Copy, self._copy),
            (exp.Command, self._command),
        )

    def begin(self, text: str) -> None:
        """Start a statement of the script (it may parse into several): ``text`` is its source, from
        the end of the previous statement (comments before it can mark names case-sensitive)."""
        self._statement = text
        self._defined = 0

    def analyse(self, statement: exp.Expr, line: int) -> StatementLineage:
        result = StatementLineage()
        self._line = line
        for kind, handler in self.HANDLERS:
            if isinstance(statement, kind):
                handler(statement, result)
                break
        result.edges = self._edges(result.spans)
        result.spans = {}
        return result

    def _edges(self, spans: dict[EdgeKey, Span | None]) -> list[ColumnEdge]:
        """The statement's edges, one per key (those repeated with other locations were never made), in
        `ColumnEdge.sort_key` order.

        The keys are sorted before any edge is made, as rows that order as `sort_key` does: the same
        `table.column` strings, the kind's value, the certainty's rank, then the span for the location
        (every location is the script's path with the 1-based line and column of the span's start and
        end offsets, so spans order as locations do, no location first), candidates and excluded; then
        the key's position, so that rows `sort_key` finds equal keep their order (and no row is ever
        compared past it). The edges are then made a field at a time (`fieldwise.build_objects`).
        """
        columns, column_of = self._columns, self._column
        rows = []
        for index, ((table, column, target, target_column, kind, certainty, candidates, excluded), span) in enumerate(spans.items()):
            source_ref, source_text = columns.get((table, column)) or column_of(table, column)
            target_ref, target_text = columns.get((target, target_column)) or column_of(target, target_column)
            rows.append((
                source_text, target_text, _KIND_VALUE[kind], _CERTAINTY_RANK[certainty],
                _NO_SPAN if span is None else span, candidates, excluded, index, source_ref, target_ref, kind, certainty, span,
            ))
        if not rows:
            return []
        rows.sort()
        _, _, _, _, _, candidates, excluded, _, sources, targets, kinds, certainties, places = zip(*rows)
        return build_objects(ColumnEdge, len(rows), [sources, targets, kinds, certainties, map(self.locate, places), candidates, excluded])

    def _column(self, table: str | None, column: str) -> tuple[ColumnRef, str]:
        """The script's one ColumnRef for a column (edges share them), and the column as `ColumnEdge.sort_key`
        writes it (`?` for no table)."""
        known = self._columns[(table, column)] = (ColumnRef(table, column), f"{'?' if table is None else table}.{column}")
        return known

    # ----------------------------------------------------------------- statement handlers
    def _select(self, select: exp.Query, result: StatementLineage) -> None:
        into = select.args.get("into") if isinstance(select, exp.Select) else None
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
            select.set("into", None)
            kind = RelationKind.TEMPORARY if into.args.get("temporary") else RelationKind.TABLE
            self._write_query(Target(self.names.table(into.this), kind, node_span(into.this)), select, result)
            return
        target = Target(self.query_target(self._line), RelationKind.QUERY, node_span(select))
        self._write_query(target, select, result)

    def _create(self, create: exp.Create, result: StatementLineage) -> None:
        kind_text = (create.args.get("kind") or "").upper()
        if kind_text not in ("TABLE", "VIEW"):
            return
        table, columns, declared = self._create_target(create)
        if table is None:
            return
        kind = RelationKind.VIEW if kind_text == "VIEW" else RelationKind.TABLE
        properties = create.args.get("properties")
        if properties is not None and properties.find(exp.TemporaryProperty):
            kind = RelationKind.TEMPORARY
        name = self.names.table(table)
        query = create.expression if isinstance(create.expression, exp.Query) else None
        clone = create.args.get("clone")
        if query is not None:
            self._write_query(Target(name, kind, node_span(table), columns, positional=True), query, result)
        elif isinstance(clone, exp.Clone) and isinstance(clone.this, exp.Table):
            self._copy_relation(clone.this, name, kind, node_span(table), result)
        elif (like := create.find(exp.LikeProperty)) is not None and isinstance(like.this, exp.Table):
            # LIKE copies the structure, not the data: a schema, no lineage.
            columns = self.schema.columns(self.names.table(like.this))
            if columns is not None:
                self.schema.set(name, columns)
            result.relations.append(
                RelationDef(name, kind, self.locate(node_span(table)), columns, declared=True, mode=WriteMode.DECLARE)
            )
        elif columns is not None:
            self.schema.set(name, columns)
            result.relations.append(
                RelationDef(name, kind, self.locate(node_span(table)), columns, declared, mode=WriteMode.DECLARE)
            )

    def _create_target(self, create: exp.Create) -> tuple[exp.Table | None, tuple[str, ...] | None, bool]:
        this = create.this
        if isinstance(this, exp.Table):
            return this, None, False
        if isinstance(this, exp.Schema) and isinstance(this.this, exp.Table):
            names = []
            for item in this.expressions:
                if isinstance(item, exp.ColumnDef):
                    names.append(self.names.ident(item.this))
                elif isinstance(item, exp.Identifier):
                    names.append(self.names.ident(item))
            declared = any(isinstance(item, exp.ColumnDef) for item in this.expressions)
            return this.this, (tuple(names) if names else None), declared
        return None, None, False

    def _insert(self, insert: exp.Insert, result: StatementLineage) -> None:
        this = insert.this
        explicit: tuple[str, ...] | None = None
        if isinstance(this, exp.Schema):
            explicit = tuple(self.names.ident(i) if isinstance(i, exp.Identifier) else self.names.column(i) for i in this.expressions)
            this = this.this
        if not isinstance(this, exp.Table):
            return
        name = self.names.table(this)
        query = insert.expression
        if isinstance(query, exp.Query) and insert.args.get("with_") is not None and query.args.get("with_") is None:
            query.set("with_", insert.args["with_"])
        mode = WriteMode.OVERWRITE if insert.args.get("overwrite") else WriteMode.INSERT
        static = self._static_partition_columns(this)
        if explicit is not None:
            target = Target(name, RelationKind.TABLE, node_span(this), explicit, positional=True)
        else:
            known = self.schema.columns(name)
            if known is not None:
                columns = tuple(c for c in known if c not in static)
                target = Target(name, RelationKind.TABLE, node_span(this), columns, positional=True)
            else:
                target = Target(name, RelationKind.TABLE, node_span(this), certainty=Certainty.INFERRED)
        if isinstance(query, exp.Query):
            self._write_query(target, query, result, register=False, mode=mode)
        else:
            result.relations.append(RelationDef(name, RelationKind.TABLE, self.locate(node_span(this)), mode=mode))

    def _static_partition_columns(self, table: exp.Table) -> set[str]:
        partition = table.args.get("partition")
        if not isinstance(partition, exp.Partition):
            return set()
        return {self.names.column(e.this) for e in partition.expressions if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)}

    def _merge(self, merge: exp.Merge, result: StatementLineage) -> None:
        target_table = merge.this
        if not isinstance(target_table, exp.Table):
            return
        name = self.names.table(target_table)
        projections: list[exp.Expr] = []
        assigned: list[tuple[str, int, int | None]] = []  # (target column, projection, condition projection)
        star_conditions: list[int | None] = []  # `UPDATE SET *` / `INSERT *` clauses
        whens = merge.args.get("whens")
        for when in whens.expressions if whens is not None else []:
            then = when.args.get("then")
            star = _is_star_clause(then)
            pairs = self._merge_assignments(then)
            if not pairs and not star:
                continue
            condition_index = None
            if when.args.get("condition") is not None:
                condition_index = len(projections)
                projections.append(exp.alias_(when.args["condition"], f"__ls_cond_{condition_index}", copy=False))
            if star:
                star_conditions.append(condition_index)
            for column, value in pairs:
                assigned.append((column, len(projections), condition_index))
                projections.append(exp.alias_(value, f"__ls_set_{len(projections)}", copy=False))
        if star_conditions:  # last, so that its expansion is the tail of the outputs
            using_alias = exp.to_identifier(merge.args["using"].alias_or_name)
            assigned.extend((STAR, len(projections), condition) for condition in star_conditions)
            projections.append(exp.Column(this=exp.Star(), table=using_alias))
        if not projections:
            return
        target_copy = target_table.copy()
        select = exp.Select(
            expressions=projections,
            from_=exp.From(this=merge.args["using"]),
            joins=[exp.Join(this=target_copy, on=merge.args.get("on"))],
        )
        self._write_assignments(name, target_table, select, assigned, result, WriteMode.MERGE)

    def _merge_assignments(self, then: exp.Expr | None) -> list[tuple[str, exp.Expr]]:
        if isinstance(then, exp.Update):
            return [self._assignment(eq) for eq in then.expressions if isinstance(eq, exp.EQ)]
        if isinstance(then, exp.Insert):
            columns = then.this.expressions if isinstance(then.this, exp.Tuple) else []
            values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
            return [(self._target_column_name(c), v) for c, v in zip(columns, values, strict=False)]
        return []

    def _assignment(self, eq: exp.EQ) -> tuple[str, exp.Expr]:
        return self._target_column_name(eq.this), eq.expression

    def _target_column_name(self, node: exp.Expr) -> str:
        if isinstance(node, exp.Column):
            return self.names.column(node)
        if isinstance(node, exp.Identifier):
            return self.names.ident(node)
        return self.names.display(node.name)

    def _update(self, update: exp.Update, result: StatementLineage) -> None:
        table = update.this
        if not isinstance(table, exp.Table):
            return
        name = self.names.table(table)
        projections, assigned = [], []
        for eq in update.expressions:
            if isinstance(eq, exp.EQ):
                column, value = self._assignment(eq)
                assigned.append((column, len(projections), None))
                projections.append(exp.alias_(value, f"__ls_set_{len(projections)}", copy=False))
        from_ = update.args.get("from_")
        joins = [exp.Join(this=source) for source in (from_.expressions or [from_.this])] if from_ is not None else []
        select = exp.Select(
            expressions=projections,
            from_=exp.From(this=table.copy()),
            joins=joins + list(update.args.get("joins") or []),
            where=update.args.get("where"),
        )
        self._write_assignments(name, table, select, assigned, result, WriteMode.UPDATE)

    def _alter(self, alter: exp.Alter, result: StatementLineage) -> None:
        table = alter.this
        if not isinstance(table, exp.Table):
            return
        name = self.names.table(table)
        for action in alter.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                new_table = action.this
                if not new_table.db and table.db:
                    new_table = exp.table_(new_table.name, db=table.db, catalog=table.catalog or None)
                    new_table.this.meta.update(action.this.this.meta)
                self._copy_relation(table, self.names.table(new_table), RelationKind.TABLE, node_span(action.this), result)
                self.schema.drop(name)
            elif isinstance(action, exp.ColumnDef) and self.schema.columns(name) is not None:
                self.schema.set(name, (*self.schema.columns(name), self.names.ident(action.this)))

    def _drop(self, drop: exp.Drop, result: StatementLineage) -> None:
        if isinstance(drop.this, exp.Table):
            self.schema.drop(self.names.table(drop.this))

    def _use(self, use: exp.Use, result: StatementLineage) -> None:
        kind = (use.args.get("kind").name if use.args.get("kind") else "").upper()
        this = use.this
        if not isinstance(this, exp.Table):
            return
        if kind in ("DATABASE", "CATALOG"):
            self.names.default_catalog = self.names.ident(this.this)
        elif kind in ("", "SCHEMA"):
            if this.db:
                self.names.default_catalog = self.names.ident(this.args["db"])
            self.names.default_db = self.names.ident(this.this)

    def _copy(self, copy: exp.Copy, result: StatementLineage) -> None:
        if isinstance(copy.this, exp.Table) and copy.args.get("kind"):
            name = self.names.table(copy.this)
            result.relations.append(RelationDef(name, RelationKind.TABLE, self.locate(node_span(copy.this)), mode=WriteMode.LOAD))

    def _command(self, command: exp.Command, result: StatementLineage) -> None:
        keyword = (command.this or "").upper()
        if keyword in _LINEAGE_KEYWORDS:
            result.notes.append(Note(f"{keyword} statement could not be parsed fully; not analysed", node_span(command), NOT_ANALYSED))

    # ----------------------------------------------------------------- shared machinery
    def _write_query(
        self, target: Target, query: exp.Query, result: StatementLineage, register: bool = True,
        mode: WriteMode = WriteMode.CREATE,
    ) -> None:
        engine = QueryLineage(self.names, self.schema)
        outputs = engine.outputs(query)
        result.notes.extend(engine.notes)
        mapped = self._map_outputs(target, outputs, result)
        for column, output in mapped:
            self._add_edges(target, column, output, output.leaves, result)
        columns = target.columns if target.positional and target.columns else tuple(c for c, _ in mapped)
        known = None if STAR in columns else columns
        # A bare SELECT defines its placeholder relation (parsers such as dbt's name it after the model).
        defines = mode.defines and target.kind in (RelationKind.TABLE, RelationKind.VIEW, RelationKind.QUERY)
        reads = engine.reads(query)
        logic = self._logic(query, engine, reads) if defines else None
        result.relations.append(RelationDef(target.name, target.kind, self.locate(target.span), known, mode=mode, logic=logic))
        self._record_reads(reads, target.name, result)
        if register and target.kind != RelationKind.QUERY:
            if known is not None:
                self.schema.set(target.name, known)
            else:
                self.schema.drop(target.name)

    def _logic(self, query: exp.Query, engine: QueryLineage, reads: list[exp.Table]) -> QueryLogic | None:
        """The `QueryLogic` of a relation ``query`` defines: its shape now, the fingerprint later if
        another relation has the same shape (a tenth of a file's analysis saved for nearly every query)."""
        index = self._defined
        self._defined += 1
        if self.fingerprints is not None:
            self.fingerprints.append(logic_fingerprint(query, self.names, engine.scope(query)))
            return None
        if self._dialect_spec is None:
            self._dialect_spec = dialect_spec(self.names.dialect)
        shape = f"{len(query.selects)}:{','.join(sorted({self.names.table(table) for table in reads}))}"
        return QueryLogic(shape, self._statement, index, self._dialect_spec, self.names.default_db, self.names.default_catalog)

    def _map_outputs(self, target: Target, outputs: list[Output], result: StatementLineage) -> list[tuple[str, Output]]:
        """Pair each output with its target column: by position onto known columns, else by name."""
        if target.positional and target.columns and not any(o.is_star for o in outputs):
            if len(outputs) != len(target.columns):
                message = f"{target.name}: {len(outputs)} values for {len(target.columns)} columns"
                result.notes.append(Note(message, target.span, COLUMN_COUNT))
            return list(zip(target.columns, outputs, strict=False))
        return [(o.name, o) for o in outputs]

    def _add_edges(
        self, target: Target, column: str, output: Output, leaves: Iterable[Leaf], result: StatementLineage
    ) -> None:
        """The edges (and value facts) of ``leaves`` flowing into ``column`` of ``target``."""
        weakened = target.certainty is not Certainty.RESOLVED
        spans, name, direct_span = result.spans, target.name, _UNSET
        for leaf in leaves:
            table, source_column, level, indirect, certainty, candidates, excluded, span, fill, _, rate = leaf
            if indirect is not None:
                kind = indirect
            else:
                if level == BARE:
                    kind = EdgeKind.IDENTITY if source_column == column or source_column == STAR else EdgeKind.RENAME
                else:
                    kind = _DIRECT_KIND[level]
                if weakened:
                    certainty = certainty.weakest(target.certainty)
                if direct_span is _UNSET:
                    direct_span = output.span
                span = direct_span
                if fill or rate:
                    result.facts.extend(self._facts(target, column, leaf))
            key = (table, source_column, name, column, kind, certainty, candidates, excluded)
            if key in spans:  # `StatementLineage.add_edge`, inline: the earliest span wins
                known = spans[key]
                if known is None or (span is not None and known <= span):
                    continue
            spans[key] = span

    def _facts(self, target: Target, column: str, leaf: Leaf) -> list[ValueFact]:
        """Null-to-zero and rate facts of a direct leaf's value on its way into ``column``."""
        if leaf.indirect is not None or leaf.table is None or leaf.column == STAR or not (leaf.fill or leaf.rate):
            return []
        source, written = ColumnRef(leaf.table, leaf.column), ColumnRef(target.name, column)
        facts = []
        if leaf.fill:
            facts.append(ValueFact(ValueOp.NULL_TO_ZERO, source, written, self.locate(leaf.fill), self.locate(leaf.fill_rate)))
        if leaf.rate:
            facts.append(ValueFact(ValueOp.RATE, source, written, self.locate(leaf.rate)))
        return facts

    def _write_assignments(
        self,
        name: str,
        table: exp.Table,
        select: exp.Select,
        assigned: list[tuple[str, int, int | None]],
        result: StatementLineage,
        mode: WriteMode,
    ) -> None:
        """Edges of UPDATE/MERGE assignments, computed through an equivalent SELECT."""
        engine = QueryLineage(self.names, self.schema)
        outputs = engine.outputs(select)
        result.notes.extend(engine.notes)
        target = Target(name, RelationKind.TABLE, node_span(table))
        for column, index, condition in assigned:
            # A star assignment sets every column of the source, by name: the tail of the outputs.
            pairs = [(o.name, o) for o in outputs[index:]] if column == STAR else [(column, outputs[index])]
            filters = set()
            if condition is not None:
                filters = {
                    leaf.under(BARE, EdgeKind.FILTER, outputs[condition].span)
                    for leaf in outputs[condition].leaves
                    if leaf.indirect is None
                }
            for target_column, output in pairs:
                self._add_edges(target, target_column, output, output.leaves | filters, result)
        result.relations.append(RelationDef(name, RelationKind.TABLE, self.locate(target.span), None, mode=mode))
        self._record_reads([t for t in engine.reads(select) if self.names.table(t) != name], name, result)

    def _copy_relation(
        self, source: exp.Table, name: str, kind: RelationKind, span: Span | None, result: StatementLineage
    ) -> None:
        """CREATE ... LIKE/CLONE and ALTER ... RENAME: every column of the source, by identity."""
        source_name = self.names.table(source)
        columns = self.schema.columns(source_name)
        location = self.locate(span)
        for column in columns or (STAR,):
            certainty = Certainty.RESOLVED if columns else Certainty.UNRESOLVED
            result.add_edge((source_name, column, name, column, EdgeKind.IDENTITY, certainty, (), ()), span)
        result.relations.append(RelationDef(name, kind, location, columns))
        result.reads.append(RelationUse(source_name, name, self.locate(node_span(source))))
        if columns is not None:
            self.schema.set(name, columns)

    def _record_reads(self, tables: list[exp.Table], target: str, result: StatementLineage) -> None:
        for table in tables:
            result.reads.append(RelationUse(self.names.table(table), target, self.locate(node_span(table))))


def _is_star_clause(then: exp.Expr | None) -> bool:
    """Databricks `WHEN MATCHED THEN UPDATE SET *` / `WHEN NOT MATCHED THEN INSERT *`."""
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    return isinstance(then, exp.Insert) and isinstance(then.this, exp.Star)
