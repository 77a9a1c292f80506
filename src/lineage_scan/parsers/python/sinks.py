"""Where dataframes go: tables (`to_sql`, `saveAsTable`, `insertInto`, `writeTo`) and files
(`to_parquet`, `to_csv`, `write.parquet(...)`), and Feast feature views.

Writing a frame draws one edge per (dependency, target column): each column's own dependencies plus
the frame's row dependencies (filters, joins, groupings). Columns the frame holds without knowing
their names (from a relation read whole, `t.*`) become a `t.* -> target.*` edge listing the columns
it leaves out, which the build expands once `t`'s columns are known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lineage_scan.model import STAR, Certainty, ColumnEdge, ColumnRef, EdgeKind, Location, RelationDef, RelationKind
from lineage_scan.parsers.python.sources import added_options, file_name, static_text, table_name
from lineage_scan.parsers.python.values import (
    UNKNOWN,
    Const,
    Dep,
    FeastSource,
    Frame,
    MapValue,
    Seq,
    Writer,
    relations_of,
)

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

WRITER_FORMATS = frozenset({"parquet", "csv", "json", "orc", "text", "avro", "delta", "save"})
TABLE_WRITES = frozenset({"saveAsTable", "insertInto"})
WRITE_TO_ACTIONS = frozenset({"append", "create", "createOrReplace", "replace", "overwrite", "overwritePartitions"})


def emit(ix: Interpreter, frame: Frame, target: str, kind: RelationKind, location: Location,
         certainty: Certainty = Certainty.RESOLVED, task_write: bool = True) -> None:
    """Record that ``frame`` is written to relation ``target`` by the call at ``location``.

    ``certainty`` caps the edges' certainty (`inferred` when columns are matched by name to a table
    whose own columns are not known, as in `insertInto`); ``task_write`` is False for a relation that
    only exists in memory (a training matrix), which is not listed among the task's writes.
    """
    effects = ix.effects
    effects.write(RelationDef(target, kind, location, frame.names if frame.complete else None), task_write)
    for name, lineage in frame.columns:
        for dep in lineage | frame.rows:
            effects.edge(edge_to(dep, ColumnRef(target, name), location, certainty))
        for dep in lineage:
            for fact in ix.nulls.facts(dep, ColumnRef(target, name)):
                effects.value_fact(fact)
    if frame.stars:
        excluded = tuple(sorted(set(frame.names) | set(frame.excluded)))
        for star in frame.stars:
            star_certainty = Certainty.UNRESOLVED if star.certainty == Certainty.RESOLVED else star.certainty
            effects.edge(ColumnEdge(star.source, ColumnRef(target, STAR), EdgeKind.IDENTITY,
                                    star_certainty.weakest(certainty), star.location or location, star.candidates,
                                    excluded))
    if not frame.complete:
        for dep in frame.unknown | (frame.rows if frame.stars or frame.unknown else frozenset()):
            effects.edge(edge_to(dep, ColumnRef(target, STAR), location, certainty))
    for source in sorted(relations_of(frame.all_lineage() | frame.rows)):
        effects.use(source, target, location)


def edge_to(dep: Dep, target: ColumnRef, fallback: Location, certainty: Certainty = Certainty.RESOLVED) -> ColumnEdge:
    kind = dep.kind
    if kind == EdgeKind.IDENTITY and dep.source.column != target.column and dep.source.column != STAR:
        kind = EdgeKind.RENAME
    source = dep.source if dep.source.table is not None or not dep.candidates else ColumnRef(None, dep.source.column)
    return ColumnEdge(source, target, kind, dep.certainty.weakest(certainty), dep.location or fallback, dep.candidates)


def frame_sink(ix: Interpreter, frame: Frame, method: str, call: Call) -> object:
    """pandas `to_sql` and `to_<format>` writers."""
    if method == "to_sql":
        text = static_text(ix, call.get(0, "name"), call.location, "table name")
        schema = ix.text(call.get(None, "schema"))
        name = table_name(ix, _quoted(text.value), schema.value if schema else None) if text is not None else None
        if name is not None:
            emit(ix, frame, name, RelationKind.TABLE, call.location)
        return Const(None)
    if method in ("to_table", "write_delta", "to_delta"):
        text = static_text(ix, call.get(0, "name") or call.get(0, "target"), call.location, "table name")
        name = table_name(ix, text.value) if text is not None else None
        if name is not None:
            emit(ix, frame, name, RelationKind.TABLE, call.location)
        return Const(None)
    path = call.get(0, "path") or call.get(0, "path_or_buf") or call.get(0, "excel_writer") or call.get(0, "file")
    if path is None or (isinstance(path, Const) and path.value is None):
        return UNKNOWN  # `df.to_csv()` with no path returns a string
    text = static_text(ix, path, call.location, "file path")
    if text is not None:
        emit(ix, frame, file_name(text.value), RelationKind.FILE, call.location)
    return Const(None)


def _quoted(name: str) -> str:
    """pandas' `to_sql(name)` is one identifier, even with dots in it."""
    return f'"{name}"' if "." in name else name


def writer_method(ix: Interpreter, writer: Writer, name: str, call: Call) -> object:
    """`df.write.mode(...).format(...).saveAsTable(...)` and friends."""
    if name == "format":
        text = ix.text(call.get(0, "source"))
        return replace(writer, format=text.value.lower() if text else None)
    if name in ("mode", "partitionBy", "bucketBy", "sortBy", "option", "options", "using", "tableProperty",
                "partitionedBy", "clusterBy"):
        return replace(writer, options=tuple(added_options(ix, writer.options, name, call)))
    options = dict(writer.options)
    if name in TABLE_WRITES:
        text = static_text(ix, call.get(0, "name") or call.get(0, "tableName"), call.location, "table name")
        table = table_name(ix, text.value) if text is not None else None
        if table is not None:
            certainty = Certainty.INFERRED if name == "insertInto" else Certainty.RESOLVED
            emit(ix, writer.frame, table, RelationKind.TABLE, call.location, certainty)
        return Const(None)
    if name in WRITE_TO_ACTIONS and writer.format == "table":
        text = options.get("table")
        table = table_name(ix, text.value) if isinstance(text, Const) else None
        if table is not None:
            emit(ix, writer.frame, table, RelationKind.TABLE, call.location)
        return Const(None)
    if name in WRITER_FORMATS:
        if writer.format == "jdbc" or "dbtable" in options:
            text = ix.text(options.get("dbtable"))
            table = table_name(ix, text.value) if text is not None else None
            if table is not None:
                emit(ix, writer.frame, table, RelationKind.TABLE, call.location)
            return Const(None)
        path = call.get(0, "path") or options.get("path")
        text = static_text(ix, path, call.location, "file path") if path is not None else None
        if text is not None:
            emit(ix, writer.frame, file_name(text.value), RelationKind.FILE, call.location)
        return Const(None)
    return writer


# --------------------------------------------------------------------------- Feast
FEAST_SOURCES = {
    "FileSource": ("path",),
    "BigQuerySource": ("table", "query"),
    "SnowflakeSource": ("table", "query"),
    "RedshiftSource": ("table", "query"),
    "SparkSource": ("table", "path", "query"),
    "PostgreSQLSource": ("table", "query"),
    "TrinoSource": ("table", "query"),
}


def feast_source(ix: Interpreter, kind: str, call: Call) -> object:
    """A Feast data source: the relation it reads (a table, or a file path)."""
    for key in FEAST_SOURCES.get(kind, ()):
        text = ix.text(call.get(None, key))
        if text is None:
            continue
        if key == "path":
            return FeastSource(file_name(text.value))
        if key == "table":
            schema = ix.text(call.get(None, "schema"))
            database = ix.text(call.get(None, "database"))
            parts = [p.value for p in (database, schema) if p is not None] + [text.value]
            return FeastSource(table_name(ix, ".".join(parts)))
        ix.diagnose(call.location, "Feast source defined by a query: its columns are not traced", "LS930")
    return FeastSource(None)


def feature_view(ix: Interpreter, call: Call) -> object:
    """`FeatureView(name=..., schema=[Field(name=...)], source=...)`: a `dataset` relation named
    `feast:<name>` whose fields come from the same-named columns of the source (Feast maps by name)."""
    name = ix.text(call.get(None, "name"))
    source = call.get(None, "source") or call.get(None, "batch_source")
    fields = call.get(None, "schema") or call.get(None, "features")
    if name is None or not isinstance(source, FeastSource) or source.relation is None:
        return UNKNOWN
    columns: list[str] = []
    for field in fields.items if isinstance(fields, Seq) else ():
        if isinstance(field, MapValue):
            label = field.get("name")
            if isinstance(label, Const) and isinstance(label.value, str):
                columns.append(label.value)
    relation = f"feast:{name.value}"
    frame = Frame(tuple((c, frozenset({Dep(ColumnRef(source.relation, c), EdgeKind.IDENTITY, Certainty.RESOLVED,
                                          call.location)})) for c in columns))
    ix.effects.read(source.relation)
    emit(ix, frame, relation, RelationKind.DATASET, call.location)
    return UNKNOWN


def feast_field(call: Call) -> object:
    """`Field(name="x", dtype=...)` / `Feature(name="x", ...)`, kept as a small mapping."""
    name = call.get(0, "name")
    return MapValue(((Const("name"), name),)) if isinstance(name, Const) else UNKNOWN
