"""Dataframe operations, pandas and PySpark: selection, assignment, renaming, dropping, joins,
grouping and aggregation, windows, filters, pivots, unions, and what each does to column lineage.

Edge kinds follow docs/lineage-semantics.md: join keys are `join` dependencies of every output
column, filter conditions `filter`, grouping keys `group_by`, sort keys `sort`, a `groupby().transform`
or a rolling/shift over groups `window` for the column it computes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.model import Certainty, EdgeKind, Location, Severity
from lineage_scan.parsers.python import effects as fx
from lineage_scan.parsers.python.columns import (
    AGGREGATES,
    aggregate_spec,
    column_of,
    kind_of_function,
)
from lineage_scan.parsers.python.env import join_frames
from lineage_scan.parsers.python.values import (
    NONE,
    UNKNOWN,
    ColumnsOf,
    ColumnValue,
    Const,
    Frame,
    Grouped,
    Library,
    Lineage,
    MapValue,
    Seq,
    Term,
    Unknown,
    When,
    Writer,
    bind,
    through,
    weakened,
)

if TYPE_CHECKING:
    from lineage_scan.parsers.python.env import Env
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

PASS_THROUGH = frozenset({
    "copy", "reset_index", "set_index", "head", "tail", "sample", "cache", "persist", "unpersist", "repartition",
    "repartitionByRange", "limit", "checkpoint", "localCheckpoint", "hint", "alias", "sort_index", "reindex",
    "infer_objects", "convert_dtypes", "asfreq", "to_pandas_on_spark", "pandas_api", "coalesce_partitions",
    "sortWithinPartitions", "withWatermark", "dropna_columns", "to_frame", "squeeze", "rename_axis", "set_axis",
    "swaplevel", "droplevel", "isetitem", "transpose_none", "tz_convert", "tz_localize", "collect", "toLocalIterator",
})
TRANSFORM_ALL = frozenset({"astype", "round", "clip", "abs", "applymap", "map", "replace", "interpolate",
                           "ffill", "bfill", "backfill", "pad", "transform", "cumsum", "cumprod", "diff", "shift",
                           "pct_change", "rank", "fillna", "mask"})
SINK_METHODS = frozenset({"to_sql", "to_parquet", "to_csv", "to_json", "to_feather", "to_excel", "to_pickle", "to_orc",
                          "to_hdf", "to_delta", "to_table", "write_parquet", "write_csv", "write_delta"})
TEMP_VIEWS = frozenset({"createOrReplaceTempView", "createTempView", "createGlobalTempView",
                        "createOrReplaceGlobalTempView", "registerTempTable"})
WINDOW_METHODS = frozenset({"shift", "diff", "pct_change", "cumsum", "cumprod", "cummax", "cummin", "cumcount", "rank",
                            "ffill", "bfill", "fillna", "rolling", "expanding", "ewm"})


# --------------------------------------------------------------------------- helpers
def series(ix: Interpreter, frame: Frame, name: str, location: Location) -> ColumnValue:
    """Column ``name`` of a frame, as a Series / bound Column."""
    return ColumnValue(frozenset({Term(name, lineage=column_lineage(ix, frame, name, location))}), name, frame.rows,
                       frame.engine)


def column_lineage(ix: Interpreter, frame: Frame, name: str, location: Location) -> Lineage:
    lineage = frame.column(name)
    if lineage is None:
        ix.diagnose(location, f"column {name!r} is not among the dataframe's known columns "
                    f"({', '.join(frame.names) or 'none'})", fx.CODE_MISSING_COLUMN, Severity.WARNING)
        return NONE
    return lineage


def bind_value(ix: Interpreter, value: object, frame: Frame, name: str, location: Location) -> Lineage:
    """The lineage of ``value`` stored as column ``name`` of ``frame`` at ``location``."""
    column = column_of(ix, value, frame.engine) if not isinstance(value, Const) else None
    if column is None:
        if isinstance(value, Frame):
            return _first_column(value)
        if isinstance(value, Unknown):
            return value.lineage
        return NONE
    lineage, missing = bind(column, frame, name, location)
    for absent in missing:
        column_lineage(ix, frame, absent, location)
    ix.nulls.bound(column, frame, name, location)
    return lineage


def _first_column(frame: Frame) -> Lineage:
    if frame.columns:
        return frame.columns[0][1] | frame.rows
    return frame.all_lineage() | frame.rows


def indirect(ix: Interpreter, value: object, frame: Frame, kind: EdgeKind, location: Location) -> Lineage:
    """The columns of a condition/key ``value`` (resolved against ``frame``) as ``kind`` dependencies."""
    column = column_of(ix, value, frame.engine) if not isinstance(value, Const) or isinstance(value.value, str) else None
    if column is None:
        return NONE
    return bind_value(ix, column.used(kind, location), frame, "__condition__", location)


def select(ix: Interpreter, frame: Frame, names: list[str], location: Location) -> Frame:
    lookup = {n: column_lineage(ix, frame, n, location) for n in names}
    return frame.selected(list(dict.fromkeys(names)), lookup)


def _names_or_none(ix: Interpreter, value: object) -> list[str] | None:
    if value is None or (isinstance(value, Const) and value.value is None):
        return None
    return ix.column_names(value)


def engine(frame: Frame, default: str) -> str:
    return frame.engine or default


# --------------------------------------------------------------------------- subscripts
def get_item(ix: Interpreter, base: object, node: cst.Subscript, env: Env) -> object:
    from lineage_scan.parsers.python.interpreter import Indexer

    if isinstance(base, Indexer):
        return _indexer_get(ix, base, node, env, ix.where(node))
    index_node = ix.index_value(node)
    if index_node is None:
        return base if isinstance(base, Frame | ColumnValue) else UNKNOWN
    index = ix.eval(index_node, env)
    if isinstance(base, Frame):
        return frame_item(ix, base, index, ix.where(node))
    if isinstance(base, Grouped):
        names = ix.column_names(index)
        if names is None:
            return base
        return replace(base, selection=tuple(names), series=isinstance(index, Const))
    if isinstance(base, ColumnValue):
        return base.used(EdgeKind.TRANSFORM, name=base.name)
    if isinstance(base, Seq) and isinstance(index, Const) and isinstance(index.value, int):
        return base.items[index.value] if -len(base.items) <= index.value < len(base.items) else UNKNOWN
    if isinstance(base, MapValue) and isinstance(index, Const):
        found = base.get(index.value)
        return found if found is not None else UNKNOWN
    if isinstance(base, Unknown) and (base.lineage or base.param):
        return base
    return UNKNOWN


def frame_item(ix: Interpreter, frame: Frame, index: object, location: Location) -> object:
    """`df["a"]`, `df[["a", "b"]]`, `df[mask]`."""
    if isinstance(index, Const) and isinstance(index.value, str | int) and not isinstance(index.value, bool):
        return series(ix, frame, str(index.value), location)
    if isinstance(index, ColumnValue | When):
        return frame.filtered(indirect(ix, index, frame, EdgeKind.FILTER, location))
    if isinstance(index, ColumnsOf):
        if index.frame.complete:
            return select(ix, frame, [n for n in index.frame.names if n not in index.excluded], location)
        return frame.dropped(set(index.excluded))
    names = ix.column_names(index)
    if names is not None:
        return select(ix, frame, names, location)
    if isinstance(index, Unknown) and not index.param:
        ix.diagnose(location, "dataframe columns selected by a value not known statically; all columns kept (inferred)",
                    fx.CODE_NOT_STATIC)
    return frame.weakened(Certainty.INFERRED)


def _indexer_get(ix: Interpreter, indexer, node: cst.Subscript, env: Env, location: Location) -> object:
    frame: Frame = indexer.frame
    parts = [element.slice for element in node.slice]
    rows = parts[0] if parts else None
    columns = parts[1] if len(parts) > 1 else None
    if isinstance(rows, cst.Index):
        row_value = ix.eval(rows.value, env)
        if isinstance(row_value, ColumnValue | When):
            frame = frame.filtered(indirect(ix, row_value, frame, EdgeKind.FILTER, location))
    if columns is None or isinstance(columns, cst.Slice):
        return frame
    column_value = ix.eval(columns.value, env)
    if indexer.kind in ("iloc", "iat"):
        return frame.weakened(Certainty.INFERRED)
    if isinstance(column_value, Const) and isinstance(column_value.value, str):
        return series(ix, frame, column_value.value, location)
    return frame_item(ix, frame, column_value, location)


def set_item(ix: Interpreter, base: object, target: cst.Subscript, value: object, env: Env,
             statement: cst.CSTNode) -> object | None:
    """`df["x"] = expr`, `df[["a", "b"]] = ...`, `df.loc[mask, "x"] = expr`; returns the updated base."""
    from lineage_scan.parsers.python.interpreter import Indexer

    location = ix.where(statement)
    if isinstance(base, MapValue):
        key = ix.eval(ix.index_value(target), env) if ix.index_value(target) is not None else None
        if isinstance(key, Const):
            items = [(k, v) for k, v in base.items if not (isinstance(k, Const) and k.value == key.value)]
            return MapValue((*items, (key, value)))
        return None
    if isinstance(base, Indexer):
        parts = [element.slice for element in target.slice]
        if len(parts) != 2 or not isinstance(parts[1], cst.Index):
            return None
        frame = base.frame
        names = ix.column_names(ix.eval(parts[1].value, env))
        if not names:
            return None
        condition: Lineage = NONE
        if isinstance(parts[0], cst.Index):
            row_value = ix.eval(parts[0].value, env)
            if isinstance(row_value, ColumnValue | When):
                condition = indirect(ix, row_value, frame, EdgeKind.CONDITIONAL, location)
        updates = []
        for name in names:
            old = frame.column(name) or NONE
            updates.append((name, old | bind_value(ix, value, frame, name, location) | condition))
        return frame.with_columns(updates)
    if not isinstance(base, Frame):
        return None
    index_node = ix.index_value(target)
    names = ix.column_names(ix.eval(index_node, env)) if index_node is not None else None
    if not names:
        if index_node is not None and isinstance(ix.eval(index_node, env), ColumnValue | When):
            # df[mask] = value: every column is conditionally replaced
            mask = indirect(ix, ix.eval(index_node, env), base, EdgeKind.CONDITIONAL, location)
            return base.mapped(lambda lineage: lineage | mask)
        return None
    if isinstance(value, Frame) and len(names) > 1:
        sources = [lin | value.rows for _, lin in value.columns]
        updates = [(n, sources[i] if i < len(sources) else value.all_lineage()) for i, n in enumerate(names)]
        return base.with_columns(updates)
    return base.with_columns([(n, bind_value(ix, value, base, n, location)) for n in names])


# --------------------------------------------------------------------------- frame methods
def frame_method(ix: Interpreter, frame: Frame, name: str, call: Call) -> object:
    handler = _METHODS.get(name)
    if handler is not None:
        return handler(ix, frame, call)
    if name in SINK_METHODS:
        from lineage_scan.parsers.python.sinks import frame_sink

        return frame_sink(ix, frame, name, call)
    if name in TEMP_VIEWS and call.args:
        view = ix.text(call.get(0, "name"))
        if view is not None:
            ix.temp_views[view.value.lower()] = frame
        return Const(None)
    if name in PASS_THROUGH:
        return frame
    if name in ("toPandas", "to_pandas"):
        return replace(frame, engine="pandas")
    if name == "pipe" and call.args:
        rest = replace(call, args=[frame, *call.args[1:]], arg_nodes=call.arg_nodes)
        return ix.call_value(call.args[0], rest)
    if name in TRANSFORM_ALL:
        return _transform_all(ix, frame, name, call)
    if name in AGGREGATES and frame.engine != "spark":
        return _frame_reduction(frame, name, call)
    if name in ("to_dict", "to_records", "to_numpy", "tolist", "itertuples", "iterrows", "items", "describe",
                "info", "show", "printSchema", "explain", "count", "isEmpty", "first", "take", "toJSON", "display"):
        return Unknown(frame.all_lineage() | frame.rows) if name not in ("show", "printSchema", "info", "explain") else UNKNOWN
    return ix.unknown_call(replace(call, args=[frame, *call.args]), f".{name}")


def _transform_all(ix: Interpreter, frame: Frame, name: str, call: Call) -> Frame:
    """`astype`, `fillna`, `round`... applied to all columns or, with a dict/`subset`, to some."""
    location = call.location
    spec = call.get(0, "value" if name == "fillna" else "dtype")
    subset = _names_or_none(ix, call.get(None, "subset"))
    targets: list[str] | None = None
    if isinstance(spec, MapValue):
        targets = ix.column_names(Seq(tuple(k for k, _ in spec.items)))
    elif subset is not None:
        targets = subset
    certainty = Certainty.INFERRED if name in ("applymap", "map", "transform") and not isinstance(spec, Const) else Certainty.RESOLVED
    if targets is None:
        result = frame.mapped(lambda lineage: through(lineage, EdgeKind.TRANSFORM, location, certainty))
    else:
        updates = [(n, through(column_lineage(ix, frame, n, location), EdgeKind.TRANSFORM, location, certainty))
                   for n in targets]
        result = frame.with_columns(updates)
    ix.nulls.frame_carried(frame, result, location)
    ix.nulls.frame_filled(ix, frame, result, name, call)
    return result


def _frame_reduction(frame: Frame, name: str, call: Call) -> object:
    """`df.sum()` / `df.mean()`: one aggregate per column (a Series indexed by column name)."""
    lineage = through(frame.all_lineage(), EdgeKind.AGGREGATE, call.location) | frame.rows
    return Unknown(lineage)


def _assign(ix: Interpreter, frame: Frame, call: Call) -> Frame:
    updates: list[tuple[str, Lineage]] = []
    current = frame
    for name, value in call.kwargs.items():
        location = call.where(None, name)
        from lineage_scan.parsers.python.interpreter import FunctionValue

        if isinstance(value, FunctionValue):
            value = ix.call_value(value, replace(call, args=[current], kwargs={}, arg_nodes=[]))
        lineage = bind_value(ix, value, current, name, location)
        updates = [(name, lineage)]
        current = current.with_columns(updates)
    return current


def _rename(ix: Interpreter, frame: Frame, call: Call) -> object:
    mapping = call.get(None, "columns")
    axis = call.get(None, "axis")
    if mapping is None and call.args and (isinstance(axis, Const) and axis.value in (1, "columns")):
        mapping = call.args[0]
    if mapping is None:
        if call.args and isinstance(call.args[0], Const):
            return frame  # a Series renamed; frames keep their columns
        return frame
    location = call.location
    if isinstance(mapping, MapValue):
        pairs = [(k.value, v.value) for k, v in mapping.items
                 if isinstance(k, Const) and isinstance(v, Const) and isinstance(k.value, str) and isinstance(v.value, str)]
        return rename_columns(ix, frame, pairs, location)
    if isinstance(mapping, Library) and mapping.path in ("builtins.str.lower", "builtins.str.upper", "builtins.str.strip"):
        method = mapping.path.rsplit(".", 1)[-1]
        if frame.complete:
            return rename_columns(ix, frame, [(n, getattr(n, method)()) for n in frame.names], location)
    return _unknown_names(frame, location)


def rename_columns(ix: Interpreter, frame: Frame, pairs: list[tuple[str, str]], location: Location) -> Frame:
    """Columns renamed in place (an unknown old name on a frame read from `t.*` comes from `t`)."""
    renames = dict(pairs)
    columns: list[tuple[str, Lineage]] = []
    for name, lineage in frame.columns:
        if name in renames:
            columns.append((renames[name], through(lineage, EdgeKind.IDENTITY, location)))
        else:
            columns.append((name, lineage))
    known = set(frame.names)
    for old, new in pairs:
        if old not in known:
            lineage = frame.column(old)
            if lineage is not None:
                columns.append((new, through(lineage, EdgeKind.IDENTITY, location)))
    return replace(frame, columns=tuple(columns), excluded=frame.excluded | set(renames) | set(renames.values()))


def _unknown_names(frame: Frame, location: Location) -> Frame:
    """Columns renamed by a function the analysis cannot evaluate: names unknown, lineage kept."""
    lineage = weakened(frame.all_lineage(), Certainty.INFERRED)
    return Frame(rows=frame.rows, unknown=through(lineage, EdgeKind.IDENTITY, location), engine=frame.engine)


def _drop(ix: Interpreter, frame: Frame, call: Call) -> object:
    names: list[str] | None
    if frame.engine == "spark" or (call.args and all(isinstance(a, ColumnValue) for a in call.args)):
        names = []
        for arg in call.args:
            found = ix.column_names(arg)
            names.extend(found or [])
        return frame.dropped(set(names))
    columns = call.get(None, "columns")
    axis = call.get(None, "axis")
    if columns is None and call.args and isinstance(axis, Const) and axis.value in (1, "columns"):
        columns = call.args[0]
    if columns is None and call.args and frame.engine is None and _all_known(frame, ix.column_names(call.args[0])):
        columns = call.args[0]
    if columns is None:
        return frame  # rows dropped by index label
    names = ix.column_names(columns)
    if names is None:
        return frame.weakened(Certainty.INFERRED)
    return frame.dropped(set(names))


def _all_known(frame: Frame, names: list[str] | None) -> bool:
    return bool(names) and all(n in frame.names for n in names)


def _select(ix: Interpreter, frame: Frame, call: Call) -> object:
    """PySpark `select(...)` (also pandas-on-Spark style lists)."""
    columns: list[tuple[str, Lineage]] = []
    keep_rest = False
    for index, arg in enumerate(call.args):
        items = arg.items if isinstance(arg, Seq) else (arg,)
        for item in items:
            location = call.where(index)
            if isinstance(item, Const) and item.value == "*":
                keep_rest = True
                columns.extend(frame.columns)
                continue
            value = column_of(ix, item, frame.engine)
            if value is None:
                continue
            label = value.name or f"col{len(columns)}"
            columns.append((label, bind_value(ix, value, frame, label, location)))
    result = Frame(tuple(dict(columns).items()), frame.rows, engine=engine(frame, "spark"))
    if keep_rest:
        result = replace(result, stars=frame.stars, unknown=frame.unknown, opaque=frame.opaque, excluded=frame.excluded)
    return result


def _select_expr(ix: Interpreter, frame: Frame, call: Call) -> object:
    from lineage_scan.parsers.python.sources import sql_expression

    columns: list[tuple[str, Lineage]] = []
    keep_rest = False
    for index, arg in enumerate(call.args):
        for item in arg.items if isinstance(arg, Seq) else (arg,):
            text = ix.text(item)
            if text is None:
                continue
            if text.value.strip() == "*":
                keep_rest = True
                columns.extend(frame.columns)
                continue
            value = sql_expression(ix, text, call.where(index))
            if isinstance(value, ColumnValue):
                label = value.name or text.value.strip()
                columns.append((label, bind_value(ix, value, frame, label, call.where(index))))
    result = Frame(tuple(dict(columns).items()), frame.rows, engine="spark")
    if keep_rest:
        result = replace(result, stars=frame.stars, unknown=frame.unknown, opaque=frame.opaque, excluded=frame.excluded)
    return result


def _with_column(ix: Interpreter, frame: Frame, call: Call) -> object:
    name = ix.text(call.get(0, "colName"))
    if name is None:
        return frame.weakened(Certainty.INFERRED)
    value = call.get(1, "col")
    return frame.with_columns([(name.value, bind_value(ix, value, frame, name.value, call.location))])


def _with_columns(ix: Interpreter, frame: Frame, call: Call) -> object:
    mapping = call.get(0, "colsMap")
    if isinstance(mapping, MapValue):
        updates = []
        for key, value in mapping.items:
            if isinstance(key, Const) and isinstance(key.value, str):
                updates.append((key.value, bind_value(ix, value, frame, key.value, call.location)))
        return frame.with_columns(updates)
    return frame.weakened(Certainty.INFERRED)


def _with_column_renamed(ix: Interpreter, frame: Frame, call: Call) -> object:
    old, new = ix.text(call.get(0, "existing")), ix.text(call.get(1, "new"))
    if old is None or new is None:
        return _unknown_names(frame, call.location)
    return rename_columns(ix, frame, [(old.value, new.value)], call.location)


def _with_columns_renamed(ix: Interpreter, frame: Frame, call: Call) -> object:
    mapping = call.get(0, "colsMap")
    if not isinstance(mapping, MapValue):
        return _unknown_names(frame, call.location)
    pairs = [(k.value, v.value) for k, v in mapping.items if isinstance(k, Const) and isinstance(v, Const)]
    return rename_columns(ix, frame, pairs, call.location)


def _to_df(ix: Interpreter, frame: Frame, call: Call) -> object:
    """PySpark `toDF("a", "b")`: columns renamed by position."""
    names = ix.column_names(Seq(tuple(call.args)))
    if names is None or not frame.complete or len(names) != len(frame.columns):
        return _unknown_names(frame, call.location)
    return rename_columns(ix, frame, list(zip(frame.names, names, strict=True)), call.location)


def _filter(ix: Interpreter, frame: Frame, call: Call) -> object:
    condition = call.get(0, "condition")
    if frame.engine != "spark" and (call.has(None, "items") or call.has(None, "like") or call.has(None, "regex")):
        items = ix.column_names(call.get(None, "items"))
        if items is not None:
            return select(ix, frame, [n for n in items if frame.column(n) is not None], call.location)
        return frame.weakened(Certainty.INFERRED)
    text = ix.text(condition)
    if text is not None:
        from lineage_scan.parsers.python.sources import sql_condition

        return frame.filtered(sql_condition(ix, text, frame, call.where(0, "condition")))
    if isinstance(condition, ColumnValue | When):
        return frame.filtered(indirect(ix, condition, frame, EdgeKind.FILTER, call.location))
    return frame


def _where(ix: Interpreter, frame: Frame, call: Call) -> object:
    """PySpark `where` filters rows; pandas `DataFrame.where` masks values (a `conditional` dependency).
    A frame of unknown flavour with a single condition is read as a filter."""
    condition = call.get(0, "cond")
    other = call.get(1, "other")
    if frame.engine == "spark" or ix.text(condition) is not None or (frame.engine is None and other is None):
        return _filter(ix, frame, call)
    if not isinstance(condition, ColumnValue | When):
        return frame
    # pandas DataFrame.where: values not matching the condition are replaced
    mask = indirect(ix, condition, frame, EdgeKind.CONDITIONAL, call.location)
    extra = bind_value(ix, other, frame, "__other__", call.location) if other is not None else NONE
    return frame.mapped(lambda lineage: lineage | mask | extra)


def _query(ix: Interpreter, frame: Frame, call: Call) -> object:
    text = ix.text(call.get(0, "expr"))
    if text is None:
        return frame
    names = query_columns(text.value)
    if names is None:
        ix.diagnose(call.location, "query string could not be parsed; its filter columns are not known",
                    fx.CODE_NOT_STATIC)
        return frame
    lineage: set = set()
    for name in names:
        if frame.complete and frame.column(name) is None:
            continue
        found = frame.column(name)
        if found:
            lineage |= through(found, EdgeKind.FILTER, call.location)
    return frame.filtered(frozenset(lineage))


def query_columns(expression: str) -> list[str] | None:
    """Column names used in a pandas `query()` string (local `@variables` excluded)."""
    import re

    backticked: dict[str, str] = {}

    def quote(match: re.Match) -> str:
        key = f"__col{len(backticked)}__"
        backticked[key] = match.group(1)
        return key

    text = re.sub(r"`([^`]*)`", quote, expression)
    text = re.sub(r"@\s*\w+", "0", text)
    try:
        tree = cst.parse_expression(text)
    except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError, ValueError):
        return None
    names: list[str] = []

    class Names(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Call(self, node: cst.Call) -> bool:
            if not isinstance(node.func, cst.Name):
                node.func.visit(self)
            for arg in node.args:
                arg.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value not in ("True", "False", "None", "and", "or", "not", "in", "is"):
                names.append(backticked.get(node.value, node.value))

    tree.visit(Names())
    return list(dict.fromkeys(names))


def _sort(ix: Interpreter, frame: Frame, call: Call) -> object:
    keys = call.args if frame.engine == "spark" or "by" not in call.kwargs and len(call.args) != 1 else [call.get(0, "by")]
    if call.has(None, "by"):
        keys = [call.get(None, "by")]
    lineage: set = set()
    for index, key in enumerate(keys):
        for item in key.items if isinstance(key, Seq) else (key,):
            lineage |= indirect(ix, item, frame, EdgeKind.SORT, call.where(index, "by"))
    return frame.filtered(frozenset(lineage))


def _dedupe(ix: Interpreter, frame: Frame, call: Call) -> object:
    """`drop_duplicates(subset)` / `dropDuplicates(subset)` / `dropna(subset)`: rows kept depend on those columns."""
    subset = _names_or_none(ix, call.get(0, "subset"))
    if subset is None:
        return frame
    lineage: set = set()
    for name in subset:
        lineage |= through(column_lineage(ix, frame, name, call.location), EdgeKind.FILTER, call.location)
    return frame.filtered(frozenset(lineage))


def _dropna(ix: Interpreter, frame: Frame, call: Call) -> object:
    axis = call.get(None, "axis")
    if isinstance(axis, Const) and axis.value in (1, "columns"):
        return frame.weakened(Certainty.INFERRED)
    subset = _names_or_none(ix, call.get(None, "subset"))
    if subset is None and frame.engine == "spark":
        subset = _names_or_none(ix, call.get(2, "subset"))
    if subset is None:
        lineage = through(frozenset().union(*(lin for _, lin in frame.columns)), EdgeKind.FILTER, call.location)
        return frame.filtered(lineage)
    return _dedupe(ix, frame, replace(call, args=[Seq(tuple(Const(n) for n in subset))], kwargs={}))


def _explode(ix: Interpreter, frame: Frame, call: Call) -> object:
    names = ix.column_names(call.get(0, "column")) or []
    return frame.with_columns([(n, through(column_lineage(ix, frame, n, call.location), EdgeKind.TRANSFORM,
                                           call.location)) for n in names])


# --------------------------------------------------------------------------- joins, unions
def merge(ix: Interpreter, left: Frame, right: Frame, call: Call, spark: bool = False) -> Frame:
    """pandas `merge` / PySpark `join`: key columns are `join` dependencies of every output column."""
    location = call.location
    how_value = call.get(None, "how")
    how = how_value.value if isinstance(how_value, Const) and isinstance(how_value.value, str) else "inner"
    on = call.get(None, "on")
    if spark and on is None and len(call.args) > 1:
        on = call.args[1]
        if how_value is None and len(call.args) > 2 and isinstance(call.args[2], Const):
            how = str(call.args[2].value)
    condition: object | None = None
    if isinstance(on, ColumnValue | When) or (isinstance(on, Seq) and any(isinstance(i, ColumnValue) for i in on.items)):
        condition, on = on, None
    using = _names_or_none(ix, on)
    left_on = _names_or_none(ix, call.get(None, "left_on"))
    right_on = _names_or_none(ix, call.get(None, "right_on"))
    if using is None and left_on is None and condition is None and not spark and not call.has(None, "left_index") \
            and not call.has(None, "right_index") and how != "cross":
        if left.complete and right.complete:
            using = [n for n in left.names if n in right.names]
        else:
            ix.diagnose(location, "merge without `on`: join columns not known statically", fx.CODE_NOT_STATIC)
    joined: set = set()
    for name in using or []:
        joined |= through(column_lineage(ix, left, name, location), EdgeKind.JOIN, location)
        joined |= through(column_lineage(ix, right, name, location), EdgeKind.JOIN, location)
    for name in left_on or []:
        joined |= through(column_lineage(ix, left, name, location), EdgeKind.JOIN, location)
    for name in right_on or []:
        joined |= through(column_lineage(ix, right, name, location), EdgeKind.JOIN, location)
    if condition is not None:
        joined |= _join_condition(ix, condition, left, right, location)
    suffixes = call.get(None, "suffixes")
    suffix = ("_x", "_y")
    if isinstance(suffixes, Seq) and len(suffixes.items) == 2 and all(isinstance(s, Const) for s in suffixes.items):
        suffix = (str(suffixes.items[0].value or ""), str(suffixes.items[1].value or ""))
    keys = set(using or [])
    columns: dict[str, Lineage] = {}
    for name, lineage in left.columns:
        if name in keys:
            right_lineage = right.column(name) or NONE
            lineage = {"right": right_lineage, "outer": lineage | right_lineage}.get(how, lineage)
            columns[name] = lineage
        elif not spark and name in right.names:
            columns[name + suffix[0]] = lineage
        else:
            columns[name] = lineage
    for name, lineage in right.columns:
        if name in keys:
            if name not in columns:
                columns[name] = lineage
        elif not spark and name in left.names:
            columns[name + suffix[1]] = lineage
        else:
            columns[name] = columns.get(name, NONE) | lineage if spark else lineage
    return Frame(
        tuple(columns.items()),
        left.rows | right.rows | frozenset(joined),
        stars=left.stars | right.stars,
        excluded=(left.excluded | set(right.names)) & (right.excluded | set(left.names)) if left.stars or right.stars else frozenset(),
        unknown=left.unknown | right.unknown,
        opaque=left.opaque or right.opaque,
        engine=left.engine or right.engine,
    )


def _join_condition(ix: Interpreter, condition: object, left: Frame, right: Frame, location: Location) -> Lineage:
    lineage: set = set()
    items = condition.items if isinstance(condition, Seq) else (condition,)
    for item in items:
        value = column_of(ix, item)
        if value is None:
            continue
        for term in value.terms:
            if term.lineage is not None:
                lineage |= through(term.lineage, EdgeKind.JOIN, location)
                continue
            for side in (left, right):
                found = side.column(term.column)
                if found:
                    lineage |= through(found, EdgeKind.JOIN, location)
    return frozenset(lineage)


def _merge_method(ix: Interpreter, frame: Frame, call: Call) -> object:
    other = call.get(0, "right")
    if not isinstance(other, Frame):
        return ix.unknown_call(replace(call, args=[frame, *call.args]), ".merge")
    return merge(ix, frame, other, call)


def _join_method(ix: Interpreter, frame: Frame, call: Call) -> object:
    other = call.get(0, "other")
    if not isinstance(other, Frame):
        return ix.unknown_call(replace(call, args=[frame, *call.args]), ".join")
    spark = frame.engine == "spark" or other.engine == "spark" or (
        frame.engine is None and len(call.args) > 1 or isinstance(call.get(None, "on"), ColumnValue))
    if spark:
        return merge(ix, frame, other, call, spark=True)
    # pandas DataFrame.join: on the right's index, optionally the left's `on` column
    on = _names_or_none(ix, call.get(None, "on"))
    lsuffix = ix.text(call.get(None, "lsuffix"))
    rsuffix = ix.text(call.get(None, "rsuffix"))
    renamed_left = [(n + (lsuffix.value if lsuffix else ""), lin) if n in other.names else (n, lin) for n, lin in frame.columns]
    renamed_right = [(n + (rsuffix.value if rsuffix else ""), lin) if n in frame.names else (n, lin) for n, lin in other.columns]
    joined: set = set()
    for name in on or []:
        joined |= through(column_lineage(ix, frame, name, call.location), EdgeKind.JOIN, call.location)
    return Frame(tuple(dict([*renamed_left, *renamed_right]).items()), frame.rows | other.rows | frozenset(joined),
                 stars=frame.stars | other.stars, unknown=frame.unknown | other.unknown,
                 opaque=frame.opaque or other.opaque, engine=frame.engine or "pandas")


def concat(frames: list[Frame], by_position: bool = False) -> Frame:
    """Rows of several frames stacked: a column's lineage is the union of the inputs' (by name or position)."""
    first = frames[0]
    if by_position and all(f.complete for f in frames):
        columns = [(name, lineage) for name, lineage in first.columns]
        for frame in frames[1:]:
            columns = [(n, lin | (frame.columns[i][1] if i < len(frame.columns) else NONE))
                       for i, (n, lin) in enumerate(columns)]
        result = replace(first, columns=tuple(columns))
        for frame in frames[1:]:
            result = replace(result, rows=result.rows | frame.rows)
        return result
    result = first
    for frame in frames[1:]:
        result = join_frames(result, frame)
    return result


def _union(ix: Interpreter, frame: Frame, call: Call) -> object:
    others = [a for a in call.args if isinstance(a, Frame)]
    return concat([frame, *others], by_position=True)


def _union_by_name(ix: Interpreter, frame: Frame, call: Call) -> object:
    others = [a for a in call.args if isinstance(a, Frame)]
    return concat([frame, *others])


# --------------------------------------------------------------------------- grouping
def _groupby(ix: Interpreter, frame: Frame, call: Call) -> object:
    keys: list[ColumnValue] = []
    values = list(call.args) if frame.engine == "spark" or len(call.args) > 1 else [call.get(0, "by")]
    if frame.engine != "spark" and call.has(None, "by"):
        values = [call.get(None, "by")]
    for index, value in enumerate(values):
        for item in value.items if isinstance(value, Seq) else (value,):
            if isinstance(item, Const) and isinstance(item.value, str):
                keys.append(series(ix, frame, item.value, call.where(index, "by")))
            elif isinstance(item, ColumnValue | When):
                keys.append(column_of(ix, item))
    return Grouped(frame, tuple(keys), call.location)


def _key_columns(ix: Interpreter, grouped: Grouped) -> tuple[list[tuple[str, Lineage]], Lineage]:
    """The grouping keys as output columns, and their `group_by` dependencies."""
    frame = grouped.frame
    columns: list[tuple[str, Lineage]] = []
    group_by: set = set()
    for index, key in enumerate(grouped.keys):
        name = key.name or f"key_{index}"
        lineage = bind_value(ix, key, frame, name, grouped.location)
        columns.append((name, lineage))
        group_by |= bind_value(ix, key.used(EdgeKind.GROUP_BY, grouped.location), frame, name, grouped.location)
    return columns, frozenset(group_by)


def _value_columns(grouped: Grouped) -> list[str]:
    key_names = {k.name for k in grouped.keys}
    if grouped.selection is not None:
        return list(grouped.selection)
    return [n for n in grouped.frame.names if n not in key_names]


def grouped_method(ix: Interpreter, grouped: Grouped, name: str, call: Call) -> object:
    if name in ("agg", "aggregate"):
        return _aggregate(ix, grouped, call)
    if name == "pivot":
        pivot = column_of(ix, call.get(0, "pivot_col"))
        return replace(grouped, pivot=pivot)
    if name in ("transform",) or (name in WINDOW_METHODS and not grouped.window):
        return _window(ix, grouped, name, call)
    if name in ("rolling", "expanding", "ewm"):
        return replace(grouped, window=True)
    if grouped.window and name in AGGREGATES:
        return _window(ix, grouped, name, call, EdgeKind.AGGREGATE)
    if name == "size" or (name == "count" and grouped.frame.engine == "spark" and not call.args):
        return _aggregated(ix, grouped, [(name, NONE)], call)
    if name in AGGREGATES:
        columns = _spark_args(ix, grouped, call) if grouped.frame.engine == "spark" and call.args else _value_columns(grouped)
        outputs = [(n, ix.nulls.aggregated(column_lineage(ix, grouped.frame, n, call.location), name, EdgeKind.AGGREGATE,
                                           call.location))
                   for n in columns]
        if grouped.frame.engine == "spark" and call.args:
            outputs = [(f"{name}({n})", lin) for n, lin in outputs]
        return _aggregated(ix, grouped, outputs, call)
    if name in ("apply", "pipe"):
        lineage = frozenset().union(*(grouped.frame.column(n) or NONE for n in _value_columns(grouped)))
        result = _aggregated(ix, grouped, [], call)
        return replace(result, unknown=through(weakened(lineage, Certainty.INFERRED), EdgeKind.AGGREGATE, call.location))
    if name == "filter":
        return grouped.frame
    return ix.unknown_call(replace(call, args=[grouped.frame, *call.args]), f".{name}")


def _spark_args(ix: Interpreter, grouped: Grouped, call: Call) -> list[str]:
    return [n for a in call.args for n in (ix.column_names(a) or [])]


def _aggregated(ix: Interpreter, grouped: Grouped, outputs: list[tuple[str, Lineage]], call: Call,
                unknown: Lineage = NONE) -> Frame:
    keys, group_by = _key_columns(ix, grouped)
    rows = grouped.frame.rows | group_by
    pivot_lineage = NONE
    if grouped.pivot is not None:
        pivot_lineage = bind_value(ix, grouped.pivot.used(EdgeKind.GROUP_BY, call.location), grouped.frame, "__pivot__",
                                   call.location)
        unknown = frozenset().union(unknown, *(lin for _, lin in outputs)) | pivot_lineage
        outputs = []
    return Frame(tuple(dict([*keys, *outputs]).items()), rows, unknown=unknown,
                 engine=grouped.frame.engine)


def _aggregate(ix: Interpreter, grouped: Grouped, call: Call) -> object:
    frame = grouped.frame
    outputs: list[tuple[str, Lineage]] = []
    unknown: set = set()
    location = call.location
    if call.kwargs and not call.args:
        for label, spec in call.kwargs.items():
            where = call.where(None, label)
            if isinstance(spec, Seq) and len(spec.items) == 2:
                column, function = spec.items
            elif isinstance(spec, ColumnValue):
                outputs.append((label, bind_value(ix, spec, frame, label, where)))
                continue
            else:
                column, function = (Const(grouped.selection[0]) if grouped.selection else None), spec
            names = ix.column_names(column) if column is not None else None
            functions = aggregate_spec(function) or [("<function>", "")]
            for name in names or []:
                outputs.append((label, ix.nulls.aggregated(column_lineage(ix, frame, name, where), functions[0][0],
                                                           kind_of_function(functions[0][0]), where)))
        return _aggregated(ix, grouped, outputs, call)
    spec = call.get(0, "func")
    if isinstance(spec, MapValue):
        for key, function in spec.items:
            names = ix.column_names(key)
            functions = aggregate_spec(function) or []
            for name in names or []:
                lineage = column_lineage(ix, frame, name, location)
                if frame.engine == "spark":
                    label = f"{functions[0][0]}({name})" if functions else name
                    outputs.append((label, through(lineage, kind_of_function(functions[0][0]), location)))
                elif len(functions) == 1:
                    outputs.append((name, ix.nulls.aggregated(lineage, functions[0][0], kind_of_function(functions[0][0]),
                                                              location)))
                else:
                    unknown |= through(lineage, EdgeKind.AGGREGATE, location)
        return _aggregated(ix, grouped, outputs, call, frozenset(unknown))
    if any(isinstance(a, ColumnValue | When) for a in call.args):
        for index, arg in enumerate(call.args):
            value = column_of(ix, arg)
            if value is None:
                continue
            label = value.name or f"agg_{index}"
            outputs.append((label, bind_value(ix, value, frame, label, call.where(index))))
        return _aggregated(ix, grouped, outputs, call)
    functions = aggregate_spec(spec) or []
    for name in _value_columns(grouped):
        lineage = column_lineage(ix, frame, name, location)
        if len(functions) == 1:
            outputs.append((name, ix.nulls.aggregated(lineage, functions[0][0], kind_of_function(functions[0][0]),
                                                      location)))
        else:
            unknown |= through(lineage, EdgeKind.AGGREGATE, location)
    if not grouped.frame.complete and grouped.selection is None:
        unknown |= through(weakened(frame.stars | frame.unknown, Certainty.INFERRED), EdgeKind.AGGREGATE, location)
    return _aggregated(ix, grouped, outputs, call, frozenset(unknown))


def _window(ix: Interpreter, grouped: Grouped, name: str, call: Call, kind: EdgeKind | None = None) -> object:
    """`groupby(k)[c].transform(f)`, `.shift()`, `.rolling(n).mean()`: a value per row computed over its
    group: the column is transformed/aggregated, the keys are `window` dependencies."""
    frame = grouped.frame
    if kind is None:
        function = aggregate_spec(call.get(0, "func")) if name == "transform" else [(name, name)]
        function_name = function[0][0] if function else "<function>"
        kind = EdgeKind.AGGREGATE if function_name in AGGREGATES or function_name == "<function>" and name == "transform" \
            or name in ("cumsum", "cumprod", "cummax", "cummin") else EdgeKind.TRANSFORM
    window: set = set()
    for key in grouped.keys:
        window |= bind_value(ix, key.used(EdgeKind.WINDOW, grouped.location), frame, "__window__", grouped.location)
    outputs = []
    for column in _value_columns(grouped):
        lineage = through(column_lineage(ix, frame, column, call.location), kind, call.location)
        outputs.append((column, lineage | frozenset(window)))
    if name == "cumcount":
        outputs = [("cumcount", frozenset(window))]
    if grouped.series and len(outputs) == 1:
        column, lineage = outputs[0]
        return ColumnValue(frozenset({Term(column, lineage=lineage)}), column, frame.rows, frame.engine)
    return Frame(tuple(outputs), frame.rows, engine=frame.engine)


def _spark_agg(ix: Interpreter, frame: Frame, call: Call) -> object:
    """`df.agg(...)` without grouping: one row of aggregates."""
    return _aggregate(ix, Grouped(frame, (), call.location), call)


def _pivot_table(ix: Interpreter, frame: Frame, call: Call, aggregate: bool = True) -> object:
    index = _names_or_none(ix, call.get(None, "index")) or []
    pivot_columns = _names_or_none(ix, call.get(None, "columns")) or []
    values = _names_or_none(ix, call.get(None, "values"))
    if values is None:
        values = [n for n in frame.names if n not in index and n not in pivot_columns]
    location = call.location
    kind = EdgeKind.AGGREGATE if aggregate else EdgeKind.IDENTITY
    keys = [(n, column_lineage(ix, frame, n, location)) for n in index]
    group_by = frozenset().union(*(through(lin, EdgeKind.GROUP_BY, location) for _, lin in keys)) if keys else NONE
    unknown = frozenset().union(
        *(through(column_lineage(ix, frame, n, location), kind, location) for n in values),
        *(through(column_lineage(ix, frame, n, location), EdgeKind.GROUP_BY, location) for n in pivot_columns),
    )
    return Frame(tuple(keys), frame.rows | group_by, unknown=unknown, engine=frame.engine)


def _melt(ix: Interpreter, frame: Frame, call: Call) -> object:
    ids = _names_or_none(ix, call.get(0, "id_vars")) or []
    values = _names_or_none(ix, call.get(1, "value_vars"))
    if values is None:
        values = [n for n in frame.names if n not in ids]
    var_name = ix.text(call.get(None, "var_name"))
    value_name = ix.text(call.get(None, "value_name"))
    location = call.location
    value_lineage = frozenset().union(*(through(column_lineage(ix, frame, n, location), EdgeKind.IDENTITY, location)
                                        for n in values)) if values else NONE
    columns = [(n, column_lineage(ix, frame, n, location)) for n in ids]
    columns += [(var_name.value if var_name else "variable", NONE), (value_name.value if value_name else "value", value_lineage)]
    return Frame(tuple(columns), frame.rows, engine=frame.engine)


def _get_dummies_like(ix: Interpreter, frame: Frame, call: Call) -> object:
    return get_dummies(ix, frame, _names_or_none(ix, call.get(None, "columns")), call.location)


def get_dummies(ix: Interpreter, frame: Frame, columns: list[str] | None, location: Location) -> Frame:
    """One-hot encoding: the encoded columns are replaced by columns whose names depend on the data."""
    if columns is None:
        columns = [n for n in frame.names]
        if not frame.complete:
            return Frame(rows=frame.rows, unknown=through(frame.all_lineage(), EdgeKind.TRANSFORM, location),
                         engine=frame.engine)
    encoded = frozenset().union(*(through(column_lineage(ix, frame, n, location), EdgeKind.TRANSFORM, location)
                                  for n in columns)) if columns else NONE
    result = frame.dropped(set(columns))
    return replace(result, unknown=result.unknown | encoded, excluded=frame.excluded)


def _write_to(ix: Interpreter, frame: Frame, call: Call) -> object:
    table = ix.text(call.get(0, "table"))
    return Writer(frame, "table", (("table", table),) if table else ())


_METHODS = {
    "assign": _assign,
    "rename": _rename,
    "drop": _drop,
    "select": _select,
    "selectExpr": _select_expr,
    "withColumn": _with_column,
    "withColumns": _with_columns,
    "withColumnRenamed": _with_column_renamed,
    "withColumnsRenamed": _with_columns_renamed,
    "toDF": _to_df,
    "filter": _filter,
    "where": _where,
    "query": _query,
    "sort_values": _sort,
    "orderBy": _sort,
    "sort": _sort,
    "nlargest": _sort,
    "nsmallest": _sort,
    "drop_duplicates": _dedupe,
    "dropDuplicates": _dedupe,
    "drop_duplicates_within_watermark": _dedupe,
    "distinct": lambda ix, frame, call: frame,
    "dropna": _dropna,
    "explode": _explode,
    "merge": _merge_method,
    "join": _join_method,
    "crossJoin": lambda ix, frame, call: merge(ix, frame, call.args[0], call, spark=True)
    if call.args and isinstance(call.args[0], Frame) else frame,
    "union": _union,
    "unionAll": _union,
    "unionByName": _union_by_name,
    "groupby": _groupby,
    "groupBy": _groupby,
    "agg": _spark_agg,
    "aggregate": _spark_agg,
    "pivot_table": _pivot_table,
    "pivot": lambda ix, frame, call: _pivot_table(ix, frame, call, aggregate=False),
    "melt": _melt,
    "unpivot": _melt,
    "get_dummies": _get_dummies_like,
    "writeTo": _write_to,
}


def frame_from_columns(ix: Interpreter, mapping: MapValue, location: Location) -> Frame:
    """`pd.DataFrame({"a": s1, "b": s2})`: columns from the dict's values."""
    columns = []
    empty = Frame()
    for key, value in mapping.items:
        if isinstance(key, Const) and isinstance(key.value, str):
            if isinstance(value, Seq):
                columns.append((key.value, NONE))
            else:
                columns.append((key.value, bind_value(ix, value, empty, key.value, location)))
    return Frame(tuple(columns), engine="pandas")


def predictions(value: object, location: Location, label: str | None = None) -> ColumnValue:
    """What `model.predict(X)` returns: a column computed from every feature the model was trained on
    and every column of ``X``."""
    from lineage_scan.parsers.python.values import Trained

    lineage: set = set()
    if isinstance(value, Frame):
        lineage |= value.all_lineage() | value.rows
    if isinstance(value, Trained):
        lineage |= value.features
    transformed = through(frozenset(lineage), EdgeKind.TRANSFORM, location)
    return ColumnValue(frozenset({Term(label or "prediction", lineage=transformed)}) if transformed else frozenset(),
                       label)

