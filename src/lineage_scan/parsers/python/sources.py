"""Where dataframes come from: embedded SQL (through the shared SQL engine), tables and files.

`pd.read_sql("SELECT ...")`, `spark.sql(...)`, SQLAlchemy `text(...)` and `cursor.execute(...)` run
through `lineage_scan.sql.script.analyse_script`, the same engine as `.sql` files; a bare SELECT
becomes a frame whose columns carry the engine's edges (so `SELECT a AS b FROM t WHERE c > 0` gives
column `b` <- `t.a` (rename) and `t.c` (filter)), and any other statement (CTAS, INSERT, MERGE) is
recorded as it would be in a SQL file. Locations inside a string literal are mapped back to the
literal's place in the Python file. PySpark SQL expressions (`F.expr`, `selectExpr`, `filter("...")`)
go through the same engine as `SELECT <expr> FROM <frame>`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from lineage_scan.model import STAR, Certainty, ColumnEdge, ColumnRef, EdgeKind, Location
from lineage_scan.parsers.python import effects as fx
from lineage_scan.parsers.python.values import (
    NONE,
    UNKNOWN,
    ColumnValue,
    Const,
    Dep,
    Frame,
    Lineage,
    MapValue,
    Reader,
    Seq,
    Term,
    TextOrigin,
    opaque_frame,
)
from lineage_scan.sql.script import ScriptLineage, analyse_script

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

FRAME = "__frame__"
"""The placeholder relation a bare SELECT embedded in Python writes to."""
SELF = "__self__"
"""The placeholder relation a SQL expression over a dataframe reads from."""
HOLE_PATTERN = re.compile(r"\{([^{}]*)\}")
FILE_READERS = frozenset({"read_parquet", "read_csv", "read_json", "read_excel", "read_feather", "read_orc",
                          "read_table", "read_pickle", "read_hdf", "read_fwf", "read_stata", "read_sas", "read_spss",
                          "read_xml", "read_delta", "scan_parquet", "scan_csv"})
SQL_READERS = frozenset({"read_sql", "read_sql_query", "read_gbq", "read_sql_table"})
SPARK_FILE_FORMATS = frozenset({"parquet", "csv", "json", "orc", "text", "avro", "delta", "load"})


# --------------------------------------------------------------------------- names
def table_name(ix: Interpreter, text: str, schema: str | None = None) -> str | None:
    """A table name written in code (`"ml.scores"`, schema given apart), normalised like SQL's."""
    try:
        table = exp.to_table(text, dialect=ix.names.dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None
    if table is None or not table.name:
        return None
    if schema and not table.args.get("db"):
        table.set("db", exp.to_identifier(schema))
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    return ix.names.table(normalize_identifiers(table, dialect=ix.names.dialect))


def file_name(path: str) -> str:
    """A file path as written in code, without a leading `./` (the relation name of a file)."""
    while path.startswith("./"):
        path = path[2:]
    return path


def static_text(ix: Interpreter, value: object, location: Location, what: str) -> Const | None:
    """The constant text of a name/path/SQL argument; a diagnostic when it is not static."""
    text = ix.text(value)
    if text is None:
        from lineage_scan.parsers.python.values import Unknown

        if not (isinstance(value, Unknown) and value.param):
            ix.diagnose(location, f"{what} is not a constant the analysis can read", fx.CODE_NOT_STATIC)
        return None
    return text


# --------------------------------------------------------------------------- reading relations
def table_frame(ix: Interpreter, name: str, location: Location, columns: list[str] | None = None,
                engine: str | None = None) -> Frame:
    """A frame read from a whole relation: its columns when listed, else every column (`t.*`)."""
    ix.effects.read(name)
    if columns is not None:
        return Frame(tuple((c, frozenset({Dep(ColumnRef(name, c), EdgeKind.IDENTITY, Certainty.RESOLVED, location)}))
                           for c in columns), engine=engine)
    declared = ix.context.schema.columns(name)
    if declared is not None:
        return table_frame(ix, name, location, list(declared), engine)
    star = Dep(ColumnRef(name, STAR), EdgeKind.IDENTITY, Certainty.RESOLVED, location)
    return Frame(stars=frozenset({star}), engine=engine)


def read_file(ix: Interpreter, call: Call, engine: str) -> object:
    path = static_text(ix, call.get(0, "path") or call.get(0, "filepath_or_buffer") or call.get(0, "io"),
                       call.location, "file path")
    if path is None:
        return opaque_frame(engine)
    _note_holes(ix, path, call.location, "file path")
    columns = ix.column_names(call.get(None, "columns") or call.get(None, "usecols"))
    return table_frame(ix, file_name(path.value), call.location, columns, engine)


def read_sql(ix: Interpreter, function: str, call: Call) -> object:
    """`pd.read_sql(sql_or_table, con)`, `read_sql_query`, `read_sql_table(table, con, schema=...)`."""
    first = call.get(0, "sql") if function != "read_sql_table" else call.get(0, "table_name")
    if function == "read_gbq":
        first = call.get(0, "query")
    text = static_text(ix, first, call.location, "SQL")
    if text is None:
        return opaque_frame("pandas")
    columns = ix.column_names(call.get(None, "columns"))
    schema = ix.text(call.get(None, "schema"))
    if function == "read_sql_table" or (function == "read_sql" and _looks_like_table(text.value)):
        name = table_name(ix, text.value, schema.value if schema else None)
        if name is None:
            return opaque_frame("pandas")
        return table_frame(ix, name, call.location, columns, "pandas")
    return run_sql(ix, text, call.location, "pandas")


def _looks_like_table(text: str) -> bool:
    return re.fullmatch(r"\s*[\w$.\"`\[\]]+\s*", text) is not None


def run_sql(ix: Interpreter, text: Const, location: Location, engine: str | None) -> object:
    """Analyse embedded SQL; a bare SELECT (the last one, if several) comes back as a frame."""
    script = analyse_embedded(ix, text, location)
    if script is None:
        return opaque_frame(engine)
    for use in script.reads:
        if _temp_view(ix, use.source) is None:
            ix.effects.read(use.source)
            if use.target != FRAME:
                ix.effects.use(use.source, use.target, use.location)
    frame_edges = [e for e in script.edges if e.target.table == FRAME]
    for edge in script.edges:
        if edge.target.table == FRAME:
            continue
        if edge.source.table and _temp_view(ix, edge.source.table) is not None:
            from lineage_scan.parsers.python.sinks import edge_to

            kind = EdgeKind.IDENTITY if edge.kind == EdgeKind.RENAME else edge.kind
            for dep in _view_lineage(ix, edge, kind, edge.certainty):
                ix.effects.edge(edge_to(dep, edge.target, location))
        else:
            ix.effects.edge(edge)
    for fact in ix.nulls.sql_facts(script.value_facts, frame_edges, FRAME):
        ix.effects.value_fact(fact)
    outputs = [r for r in script.relations if r.name == FRAME]
    for relation in script.relations:
        if relation.name != FRAME:
            ix.effects.write(relation)
    if not outputs:
        return UNKNOWN
    return frame_from_edges(ix, frame_edges, outputs[-1].columns, engine)


def frame_from_edges(ix: Interpreter, edges: list[ColumnEdge], columns: tuple[str, ...] | None,
                     engine: str | None) -> Frame:
    """A frame built from the SQL engine's edges into the placeholder relation."""
    lineage: dict[str, set[Dep]] = {c: set() for c in columns or ()}
    stars: set[Dep] = set()
    rows: set[Dep] = set()
    for edge in edges:
        kind = EdgeKind.IDENTITY if edge.kind == EdgeKind.RENAME else edge.kind
        certainty = Certainty.RESOLVED if edge.certainty == Certainty.UNRESOLVED and edge.source.column == STAR else edge.certainty
        deps = _view_lineage(ix, edge, kind, certainty)
        if edge.target.column == STAR:
            if edge.source.column == STAR and kind.is_direct:
                stars |= deps
            else:
                rows |= deps
        else:
            lineage.setdefault(edge.target.column, set()).update(deps)
    return Frame(tuple((c, frozenset(d)) for c, d in lineage.items()), frozenset(rows), frozenset(stars),
                 engine=engine)


def _view_lineage(ix: Interpreter, edge: ColumnEdge, kind: EdgeKind, certainty: Certainty) -> set[Dep]:
    """One engine edge as dependencies; a source that is a registered temp view (or the frame a SQL
    expression runs over) is replaced by that frame's own lineage."""
    table = edge.source.table
    view = _temp_view(ix, table) if table else None
    if view is None:
        return {Dep(edge.source, kind, certainty, edge.location, edge.candidates)}
    if edge.source.column == STAR:
        upstream = view.all_lineage() | view.stars
    else:
        upstream = view.column(edge.source.column) or NONE
    changed = kind != EdgeKind.IDENTITY or edge.source.column != edge.target.column
    found = {d.through(kind, edge.location, certainty, changed) for d in upstream}
    found |= {d for d in view.rows}
    return found


def _temp_view(ix: Interpreter, table: str) -> Frame | None:
    views = ix.temp_views
    return views.get(table.lower()) or views.get(table.rsplit(".", 1)[-1].lower())


def analyse_embedded(ix: Interpreter, text: Const, location: Location,
                     schema_extra: dict[str, tuple[str, ...]] | None = None) -> ScriptLineage | None:
    """Run the SQL engine on a string from the code, with locations mapped into the file."""
    sql, holes = _fill_holes(text.value)
    registry = ix.context.schema.copy()
    for view, frame in ix.temp_views.items():
        if frame.complete:
            registry.set(view, frame.names)
    for table, columns in (schema_extra or {}).items():
        registry.set(table, columns)
    try:
        script = analyse_script(sql, ix.context.dialect, path=location.path, schema=registry,
                                default_db=ix.context.default_db, default_catalog=ix.context.default_catalog,
                                query_target=lambda _line: FRAME)
    except RecursionError:
        ix.diagnose(location, "embedded SQL nested too deeply; not analysed", fx.CODE_LIMIT)
        return None
    # counted once, by the file that holds the SQL text (not by every file that imports and runs it)
    where = text.origin.source.path if text.origin else location.path
    if ix.effects.active and where == ix.loader.main:
        key = (text.origin.line, text.origin.col) if text.origin else (location.start_line, location.start_col)
        ix.effects.sql_statements[(*key, text.value)] = (script.statements, script.statements_failed)
    mapper = _mapper(text.origin, location)
    script = ScriptLineage(
        relations=[replace(r, location=mapper(r.location)) for r in script.relations],
        reads=[replace(u, location=mapper(u.location)) for u in script.reads],
        edges=[replace(e, location=mapper(e.location)) for e in script.edges],
        diagnostics=[replace(d, location=mapper(d.location) or location) for d in script.diagnostics],
        value_facts=[replace(f, location=mapper(f.location), rate=mapper(f.rate)) for f in script.value_facts],
        statements=script.statements,
        statements_failed=script.statements_failed,
    )
    if holes:
        script = _drop_holes(ix, script, holes, location)
    for diagnostic in script.diagnostics:
        ix.effects.diagnose(diagnostic.location, diagnostic.message, diagnostic.code, diagnostic.severity,
                            diagnostic.subject)
    return script


def _mapper(origin: TextOrigin | None, fallback: Location):
    """Map a location inside the SQL text to the Python file (the call's location when unknown)."""

    def mapped(location: Location | None) -> Location | None:
        if location is None:
            return None
        if origin is None:
            return fallback
        source = origin.source
        start_line = origin.line + location.start_line - 1
        end_line = origin.line + location.end_line - 1
        start_col = origin.col + location.start_col - 1 if location.start_line == 1 else location.start_col
        end_col = origin.col + location.end_col - 1 if location.end_line == 1 else location.end_col
        return source.location(start_line, start_col, end_line, end_col)

    return mapped


def _fill_holes(sql: str) -> tuple[str, dict[str, str]]:
    """f-string parts not known statically (`{date}`) become placeholder identifiers."""
    holes: dict[str, str] = {}

    def fill(match: re.Match) -> str:
        key = f"__unknown_{len(holes)}__"
        holes[key] = match.group(1)
        return key

    return HOLE_PATTERN.sub(fill, sql), holes


def _drop_holes(ix: Interpreter, script: ScriptLineage, holes: dict[str, str], location: Location) -> ScriptLineage:
    """Relations and columns whose names came from unknown values are dropped, with a diagnostic."""
    def unknown(name: str | None) -> bool:
        return name is not None and "__unknown_" in name

    dropped = sorted({r.name for r in script.relations if unknown(r.name)} | {u.source for u in script.reads if unknown(u.source)}
                     | {e.source.table or "" for e in script.edges if unknown(e.source.table)})
    if dropped:
        ix.diagnose(location, "SQL names a relation through a value not known statically ("
                    + ", ".join("{" + holes[k] + "}" for k in holes) + "); that part is not analysed", fx.CODE_NOT_STATIC)
    return ScriptLineage(
        relations=[r for r in script.relations if not unknown(r.name)],
        reads=[u for u in script.reads if not unknown(u.source) and not unknown(u.target)],
        edges=[e for e in script.edges if not unknown(e.source.table) and not unknown(e.source.column)
               and not unknown(e.target.table) and not unknown(e.target.column)],
        diagnostics=script.diagnostics,
        value_facts=[f for f in script.value_facts if not unknown(f.source.table) and not unknown(f.source.column)
                     and not unknown(f.target.table) and not unknown(f.target.column)],
        statements=script.statements,
        statements_failed=script.statements_failed,
    )


def _note_holes(ix: Interpreter, text: Const, location: Location, what: str) -> None:
    holes = HOLE_PATTERN.findall(text.value)
    if holes:
        ix.diagnose(location, f"{what} {text.value!r} contains values not known statically; kept as written",
                    fx.CODE_NOT_STATIC)


# --------------------------------------------------------------------------- SQL expressions over a frame
def sql_expression(ix: Interpreter, text: Const, location: Location) -> object:
    """`F.expr("a + 1 AS b")` / a `selectExpr` item: a column value whose columns resolve later."""
    select = _expression_select(text, "SELECT ", f" FROM {SELF}")
    script = analyse_embedded(ix, select, location) if select is not None else None
    if script is None:
        return UNKNOWN
    terms: set[Term] = set()
    name = None
    for relation in script.relations:
        if relation.name == FRAME and relation.columns:
            name = relation.columns[0]
    for edge in script.edges:
        if edge.target.table != FRAME:
            continue
        hop = EdgeKind.IDENTITY if edge.kind == EdgeKind.RENAME else edge.kind
        column = edge.source.column
        if edge.source.table and edge.source.table.rsplit(".", 1)[-1].lower() != SELF:
            terms.add(Term(column, hop, edge.location, edge.certainty,
                           frozenset({Dep(edge.source, hop, edge.certainty, edge.location)})))
        else:
            terms.add(Term(column, hop, edge.location if not hop.is_direct else None, edge.certainty))
    return ColumnValue(frozenset(terms), name, engine="spark")


def sql_condition(ix: Interpreter, text: Const, frame: Frame, location: Location) -> Lineage:
    """A SQL filter string over a frame (`df.filter("amount > 0")`): its columns as filter dependencies."""
    select = _expression_select(text, f"SELECT 1 AS __one__ FROM {SELF} WHERE ", "")
    script = analyse_embedded(ix, select, location) if select is not None else None
    if script is None:
        return NONE
    lineage: set[Dep] = set()
    for edge in script.edges:
        if edge.target.table == FRAME and edge.kind == EdgeKind.FILTER:
            found = frame.column(edge.source.column) or NONE
            lineage |= {d.through(EdgeKind.FILTER, edge.location, Certainty.RESOLVED, True) for d in found}
    return frozenset(lineage)


def _expression_select(text: Const, before: str, after: str) -> Const | None:
    """Wrap an expression in a SELECT, shifting its origin so engine locations still map to the string."""
    if "\n" in before:
        return None
    origin = text.origin
    if origin is not None:
        origin = origin.shifted(-len(before))
    return Const(before + text.value + after, origin)


# --------------------------------------------------------------------------- Spark / Snowpark sessions
def session_method(ix: Interpreter, name: str, call: Call) -> object:
    if name == "table" and call.args:
        text = static_text(ix, call.get(0, "tableName"), call.location, "table name")
        table = table_name(ix, text.value) if text is not None else None
        return table_frame(ix, table, call.location, engine="spark") if table else opaque_frame("spark")
    if name == "sql" and call.args:
        text = static_text(ix, call.get(0, "sqlQuery") or call.get(0, "query"), call.location, "SQL")
        return run_sql(ix, text, call.location, "spark") if text is not None else opaque_frame("spark")
    if name in ("createDataFrame", "range", "create_dataframe"):
        return opaque_frame("spark")
    if name in ("builder", "getOrCreate", "newSession"):
        from lineage_scan.parsers.python.values import Session

        return Session()
    return UNKNOWN


def added_options(
    ix: Interpreter, options: tuple[tuple[str, object], ...], name: str, call: Call,
) -> list[tuple[str, object]]:
    """``options`` plus what `.option(key, value)` or keyword arguments of ``call`` set (keys lower-cased)."""
    added = list(options)
    if name == "option" and len(call.args) >= 2:
        key = ix.text(call.args[0])
        if key is not None:
            added.append((key.value.lower(), call.args[1]))
    added.extend((key.lower(), value) for key, value in call.kwargs.items())
    return added


def reader_method(ix: Interpreter, reader: Reader, name: str, call: Call) -> object:
    if name == "format":
        text = ix.text(call.get(0, "source"))
        return replace(reader, format=text.value.lower() if text else None)
    if name in ("option", "options"):
        options = added_options(ix, reader.options, name, call)
        if name == "options" and call.args and isinstance(call.args[0], MapValue):
            options.extend((str(k.value).lower(), v) for k, v in call.args[0].items if isinstance(k, Const))
        return replace(reader, options=tuple(options))
    if name == "schema":
        return reader
    if name == "table" and call.args:
        return session_method(ix, "table", call)
    options = dict(reader.options)
    if name == "load" or name in SPARK_FILE_FORMATS:
        if reader.format == "jdbc" or "dbtable" in options or "query" in options:
            return _jdbc(ix, options, call)
        path = call.get(0, "path") or options.get("path")
        if isinstance(path, Seq) and path.items:
            path = path.items[0]
        text = static_text(ix, path, call.location, "file path") if path is not None else None
        if text is None:
            return opaque_frame("spark")
        _note_holes(ix, text, call.location, "file path")
        return table_frame(ix, file_name(text.value), call.location, engine="spark")
    return reader


def _jdbc(ix: Interpreter, options: dict, call: Call) -> object:
    query = ix.text(options.get("query"))
    if query is not None:
        return run_sql(ix, query, call.location, "spark")
    table = ix.text(options.get("dbtable"))
    if table is None:
        return opaque_frame("spark")
    if table.value.strip().startswith("("):
        inner = table.value.strip()
        return run_sql(ix, Const(inner[1:inner.rfind(")")]), call.location, "spark")
    name = table_name(ix, table.value)
    return table_frame(ix, name, call.location, engine="spark") if name else opaque_frame("spark")


def execute(ix: Interpreter, call: Call) -> object:
    """`conn.execute(text(...))`, `cursor.execute("...")`: any statement; a SELECT's rows come back."""
    text = ix.text(call.get(0, "statement") or call.get(0, "sql") or call.get(0, "operation"))
    if text is None or not _looks_like_sql(text.value):
        return UNKNOWN
    return run_sql(ix, text, call.location, "pandas")


def _looks_like_sql(text: str) -> bool:
    return re.match(r"\s*(\(|--|/\*)*\s*(select|with|insert|create|merge|update|delete|replace|copy|unload|alter|drop)\b",
                    text, re.IGNORECASE) is not None


def dbt_relation(ix: Interpreter, kind: str, call: Call) -> object:
    """A dbt Python model's `dbt.ref("m")` / `dbt.source("s", "t")`."""
    names = [a.value for a in call.args if isinstance(a, Const) and isinstance(a.value, str)]
    if not names:
        return opaque_frame()
    resolver = ix.dbt_model
    if resolver is not None:
        name = resolver.ref(names) if kind == "ref" else resolver.source(names)
    else:
        name = names[-1] if kind == "ref" else ".".join(names[-2:])
    if name is None:
        return opaque_frame()
    return table_frame(ix, name, call.location)

