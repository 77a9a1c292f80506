"""Dispatch of attributes, methods and library functions to what they do to lineage.

Library functions are recognised by the dotted path they were imported from (`import pandas as pd`
makes `pd.read_sql` the path `pandas.read_sql`), so an alias never hides them and a same-named
function of the repository is never mistaken for them.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.parsers.python import columns as col
from lineage_scan.parsers.python import frames, sinks, sources, training
from lineage_scan.parsers.python.flow import CROSS_VALIDATIONS, CV_SPLITTERS, library_step
from lineage_scan.parsers.python.static import from_static, shown, to_static
from lineage_scan.parsers.python.values import (
    UNKNOWN,
    ColumnsOf,
    ColumnValue,
    Const,
    DbtContext,
    Estimator,
    Frame,
    Grouped,
    Library,
    MapValue,
    PathValue,
    Reader,
    Seq,
    Session,
    SqlText,
    TextOrigin,
    Trained,
    Unknown,
    When,
    WindowSpec,
    Writer,
    opaque_frame,
)
from lineage_scan.parsers.pyvalues import stdlib, strings

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

FRAME_ATTRIBUTES = frozenset({
    "T", "shape", "dtypes", "index", "values", "empty", "size", "ndim", "schema", "rdd", "sparkSession", "isStreaming",
    "storageLevel", "axes", "attrs", "flags", "style", "plot", "sql_ctx", "stat", "dtype", "name", "array",
})
SILENT_ROOTS = frozenset({"matplotlib", "seaborn", "plotly", "mlflow", "logging", "IPython", "tqdm", "warnings",
                          "wandb", "altair", "bokeh", "pprint", "json", "pickle", "joblib", "os", "sys", "time",
                          "datetime", "typing", "rich", "click", "argparse", "dataclasses", "functools", "itertools"})
SILENT_BUILTINS = frozenset({"print", "len", "display", "type", "isinstance", "issubclass", "id", "repr", "str", "int",
                             "float", "bool", "hash", "dir", "vars", "callable", "range", "enumerate", "zip", "min",
                             "max", "sum", "any", "all", "iter", "next", "hasattr", "getattr", "setattr", "round",
                             "abs", "format", "super", "object", "Exception", "ValueError", "TypeError", "KeyError",
                             "RuntimeError"})
PASS_THROUGH_RESULTS = frozenset({"to_dataframe", "fetch_pandas_all", "fetchall", "fetchdf", "df", "pl", "to_arrow",
                                  "result", "fetch_df", "to_pandas", "arrow", "fetch_arrow_table", "collect"})


# --------------------------------------------------------------------------- attributes
def value_attribute(ix: Interpreter, base: object, name: str, node: cst.CSTNode) -> object:
    from lineage_scan.parsers.python.interpreter import Indexer

    if isinstance(base, Frame):
        if name == "columns":
            return ColumnsOf(base)
        if name in ("loc", "iloc", "at", "iat", "na"):
            return Indexer(base, name)
        if name in ("write", "writeStream"):
            return Writer(base)
        if name in FRAME_ATTRIBUTES:
            return Unknown(base.all_lineage())
        if name in base.names or (not base.complete and not name.startswith("_")
                                  and name not in frames.PASS_THROUGH and name not in frames._METHODS):
            return frames.series(ix, base, name, ix.where(node))
        return UNKNOWN
    if isinstance(base, ColumnValue):
        if name in ("str", "dt", "cat", "arr", "sparse", "values", "array"):
            return base
        if name == "name" and base.name is not None:
            return Const(base.name)
        return Unknown(ix.lineage_of_values([]))
    if isinstance(base, Grouped):
        return base.__class__(base.frame, base.keys, base.location, (name,), True, base.pivot, base.window)
    if isinstance(base, Session):
        if name in ("read", "readStream"):
            return Reader()
        return Session() if name == "builder" else UNKNOWN
    if isinstance(base, PathValue):
        return from_static(stdlib.path_attribute(to_static(base), name))
    if isinstance(base, DbtContext):
        if name == "this":
            return Const(ix.dbt_model.this if ix.dbt_model is not None else "this")
        return base
    if isinstance(base, Unknown):
        return base if base.lineage or base.param else UNKNOWN
    return UNKNOWN


# --------------------------------------------------------------------------- methods
def call_method(ix: Interpreter, receiver: object, method: str, call: Call, receiver_node: cst.CSTNode) -> object:
    from lineage_scan.parsers.python.interpreter import FunctionValue, Indexer

    if isinstance(receiver, Frame):
        if method in PASS_THROUGH_RESULTS:
            return receiver
        inplace = call.kwargs.get("inplace")
        if isinstance(inplace, Const) and inplace.value is True:
            kwargs = {k: v for k, v in call.kwargs.items() if k != "inplace"}
            ix.rebind(receiver_node, frames.frame_method(ix, receiver, method, replace(call, kwargs=kwargs)))
            return Const(None)
        return frames.frame_method(ix, receiver, method, call)
    if isinstance(receiver, Grouped):
        return frames.grouped_method(ix, receiver, method, call)
    if isinstance(receiver, ColumnValue):
        return col.column_method(ix, receiver, method, call)
    if isinstance(receiver, When):
        return col.when_method(ix, receiver, method, call)
    if isinstance(receiver, WindowSpec):
        return col.window_method(ix, receiver, method, call)
    if isinstance(receiver, Session):
        return sources.session_method(ix, method, call)
    if isinstance(receiver, Reader):
        return sources.reader_method(ix, receiver, method, call)
    if isinstance(receiver, Writer):
        return sinks.writer_method(ix, receiver, method, call)
    if isinstance(receiver, Indexer) and receiver.kind == "na":
        target = {"fill": "fillna", "drop": "dropna", "replace": "replace"}.get(method)
        return frames.frame_method(ix, receiver.frame, target, call) if target else receiver.frame
    if isinstance(receiver, Estimator | Trained):
        return training.estimator_method(ix, receiver, method, call, receiver_node)
    if isinstance(receiver, DbtContext):
        if method in ("ref", "source"):
            return sources.dbt_relation(ix, method, call)
        return UNKNOWN
    if isinstance(receiver, SqlText):
        return receiver
    if isinstance(receiver, PathValue):
        if method in ("read_text", "read"):
            return _read_file(ix, receiver, call)
        if method == "open":
            return receiver
        return from_static(stdlib.path_method(to_static(receiver), method, [to_static(a) for a in call.args]))
    if isinstance(receiver, Const) and isinstance(receiver.value, str):
        return _string_method(ix, receiver, method, call)
    if isinstance(receiver, MapValue):
        return _map_method(receiver, method, call)
    if isinstance(receiver, Seq | ColumnsOf):
        return _sequence_method(ix, receiver, method, call)
    if isinstance(receiver, FunctionValue):
        return UNKNOWN
    return _unknown_receiver(ix, receiver, method, call, receiver_node)


def _unknown_receiver(ix: Interpreter, receiver: object, method: str, call: Call, node: cst.CSTNode) -> object:
    """A method of an object the analysis does not model (a connection, a client, a parameter)."""
    if method in ("execute", "exec_driver_sql", "executescript", "sql", "query", "run_query") and call.args:
        result = sources.execute(ix, call)
        if result is not UNKNOWN:
            return result
    if method in ("read_sql", "read_sql_query"):
        return sources.read_sql(ix, method, call)
    if method == "load_table_from_dataframe" and len(call.args) >= 2 and isinstance(call.args[0], Frame):
        table = sources.static_text(ix, call.args[1], call.location, "table name")
        name = sources.table_name(ix, table.value) if table is not None else None
        if name is not None:
            from lineage_scan.model import RelationKind

            sinks.emit(ix, call.args[0], name, RelationKind.TABLE, call.location)
        return UNKNOWN
    if method == "fit" and len(call.args) >= 2 and isinstance(call.args[0], Frame | ColumnValue):
        return training.estimator_method(ix, Estimator("unknown"), method, call, node)
    if method in training.PREDICT and call.args:
        return training.estimator_method(ix, receiver, method, call, node)
    code = ix.module.tree.code_for_node(node)
    result = ix.unknown_call(call, f"{code}.{method}", report=not _silent_name(code))
    if result is UNKNOWN and isinstance(receiver, Unknown) and receiver.param:
        return receiver
    return result


def _silent_name(code: str) -> bool:
    root = code.split(".")[0]
    return root in ("logger", "log", "logging", "plt", "sns", "st", "mlflow", "wandb", "self.logger") or root in SILENT_ROOTS


def _string_method(ix: Interpreter, text: Const, method: str, call: Call) -> object:
    """A string method; `format` keeps arguments that are not constants as `{holes}`, and the text
    keeps where it starts when its start is unchanged (`format`, `rstrip`)."""
    convert = shown if method == "format" else to_static
    args = [convert(a) for a in call.args]
    if method == "join" and call.args:
        items = ix.iterate(call.args[0])
        args = [tuple(to_static(i) for i in items)] if items is not None else []
    value = strings.string_method(text.value, method, args, {k: convert(v) for k, v in call.kwargs.items()}, holes=True)
    origin = None
    if text.origin is not None and method in ("format", "rstrip"):
        origin = text.origin.shifted(exact=False) if method == "format" else text.origin
    return from_static(value, origin)


def _map_method(mapping: MapValue, method: str, call: Call) -> object:
    if method == "copy":
        return mapping
    static = to_static(mapping)
    if not isinstance(static, dict) or method == "update":
        return UNKNOWN
    return from_static(stdlib.dict_method(static, method, [to_static(a) for a in call.args],
                                          {k: to_static(v) for k, v in call.kwargs.items()}))


def _sequence_method(ix: Interpreter, value: object, method: str, call: Call) -> object:
    if method in ("copy", "tolist", "to_list"):
        return value
    if method in ("drop", "difference") and call.args:
        names = ix.column_names(call.args[0]) or []
        if isinstance(value, ColumnsOf):
            return ColumnsOf(value.frame, value.excluded | set(names))
        return Seq(tuple(i for i in value.items if not (isinstance(i, Const) and i.value in names)))
    return UNKNOWN


# --------------------------------------------------------------------------- library functions
def call_library(ix: Interpreter, path: str, call: Call) -> object:
    root, _, _ = path.partition(".")
    last = path.rsplit(".", 1)[-1]
    library_step(ix, path, call)
    if root == "builtins":
        return _builtin(ix, last, call)
    if stdlib.is_pure(path):
        value = _pure(path, call)
        if value is not UNKNOWN or root == "pathlib":
            return value
    if root in ("pandas", "modin", "polars") or path.startswith("pyspark.pandas"):
        return _pandas_function(ix, last, call, root)
    if path.startswith(("pyspark.sql.functions", "snowflake.snowpark.functions")):
        return col.spark_function(ix, last, call)
    if ".Window." in f".{path}." and last in ("partitionBy", "orderBy", "rowsBetween", "rangeBetween"):
        return col.window_class(ix, last, call)
    if "SparkSession" in path or path.startswith("snowflake.snowpark.Session"):
        return Session() if last in ("getOrCreate", "create") else Library(path)
    if root == "sqlalchemy" and last == "text" and call.args:
        text = ix.text(call.args[0])
        return SqlText(text) if text is not None else UNKNOWN
    if root == "numpy":
        return col.numpy_function(ix, last, call)
    if path in ("sklearn.model_selection.train_test_split",) or last in training.SPLITTERS:
        return training.split(ix, call)
    if path in ("xgboost.DMatrix", "lightgbm.Dataset", "xgboost.QuantileDMatrix", "catboost.Pool"):
        return training.training_data(call)
    if path in ("xgboost.train", "lightgbm.train", "catboost.train"):
        return training.train_function(ix, path, call)
    if training.is_ml_class(path) or path in training.FACTORIES or (root == "sklearn" and last in CV_SPLITTERS):
        return training.make_estimator(ix, path, call)
    if root == "feast":
        if last in sinks.FEAST_SOURCES:
            return sinks.feast_source(ix, last, call)
        if last in ("FeatureView", "BatchFeatureView"):
            return sinks.feature_view(ix, call)
        if last in ("Field", "Feature"):
            return sinks.feast_field(call)
        return UNKNOWN
    if path.endswith("pandas_tools.write_pandas") and len(call.args) >= 2 and isinstance(call.args[1], Frame):
        return _write_pandas(ix, call)
    if root in ("duckdb",) and last in ("sql", "query", "execute") and call.args:
        return sources.execute(ix, call)
    if root in SILENT_ROOTS or path.startswith("sklearn.metrics.") or last in CROSS_VALIDATIONS:
        return ix.unknown_call(call, last, report=False)  # scores: nothing a reviewer needs told
    return ix.unknown_call(call, last)


def _builtin(ix: Interpreter, name: str, call: Call) -> object:
    if name == "open" and call.args:
        return _path(ix, call.args[0])
    if name in ("list", "tuple", "sorted", "set", "frozenset") and call.args:
        value = call.args[0]
        if name == "sorted" and isinstance(value, Seq):
            ordered = _pure(f"builtins.{name}", call)
            return ordered if ordered is not UNKNOWN else value
        if isinstance(value, Seq | ColumnsOf):
            return value
        items = ix.iterate(value)
        return Seq(tuple(items)) if items is not None else UNKNOWN
    if stdlib.is_pure(f"builtins.{name}"):
        value = _pure(f"builtins.{name}", call)
        if value is not UNKNOWN:
            return value
    if name in SILENT_BUILTINS:
        return ix.unknown_call(call, name, report=False)
    return ix.unknown_call(call, name)


def _pandas_function(ix: Interpreter, name: str, call: Call, root: str) -> object:
    engine = "spark" if root == "pyspark" else "pandas"
    if name in sources.SQL_READERS:
        return sources.read_sql(ix, name, call)
    if name in sources.FILE_READERS:
        return sources.read_file(ix, call, engine)
    if name == "concat":
        items = ix.iterate(call.get(0, "objs")) or []
        axis = call.get(None, "axis")
        if isinstance(axis, Const) and axis.value in (1, "columns"):
            return _concat_columns(ix, items, call)
        parts = [i for i in items if isinstance(i, Frame)]
        if parts:
            return frames.concat(parts)
        values = [i for i in items if isinstance(i, ColumnValue)]
        return col.combine(values, col.EdgeKind.IDENTITY) if values else opaque_frame(engine)
    if name == "merge" and len(call.args) >= 2 and isinstance(call.args[0], Frame) and isinstance(call.args[1], Frame):
        shifted = replace(call, args=call.args[1:], arg_nodes=call.arg_nodes[1:])
        return frames.merge(ix, call.args[0], call.args[1], shifted)
    if name == "get_dummies" and call.args:
        data = call.args[0]
        if isinstance(data, Frame):
            return frames.get_dummies(ix, data, ix.column_names(call.get(None, "columns")), call.location)
        if isinstance(data, ColumnValue):
            lineage = frames.bind_value(ix, data, Frame(), data.name or "dummy", call.location)
            return Frame(unknown=frames.through(lineage, col.EdgeKind.TRANSFORM, call.location), engine="pandas")
    if name in ("pivot_table", "melt", "pivot") and call.args and isinstance(call.args[0], Frame):
        shifted = replace(call, args=call.args[1:], arg_nodes=call.arg_nodes[1:])
        return frames.frame_method(ix, call.args[0], name, shifted)
    if name == "DataFrame":
        data = call.get(0, "data")
        if isinstance(data, Frame):
            return data
        if isinstance(data, MapValue):
            return frames.frame_from_columns(ix, data, call.location)
        names = ix.column_names(call.get(None, "columns"))
        if names is not None:
            lineage = ix.lineage_of_values([data]) if data is not None else frozenset()
            return Frame(tuple((n, lineage) for n in names), engine=engine)
        return opaque_frame(engine)
    if name == "Series":
        data = call.get(0, "data")
        return data if isinstance(data, ColumnValue) else UNKNOWN
    if name == "NamedAgg":
        return Seq((call.get(0, "column"), call.get(1, "aggfunc")))
    if name in ("to_datetime", "to_numeric", "to_timedelta", "cut", "qcut", "isna", "isnull", "notna", "notnull",
                "factorize", "unique"):
        return col.elementwise(ix, call)
    return ix.unknown_call(call, name)


def _concat_columns(ix: Interpreter, items: list[object], call: Call) -> object:
    """`pd.concat([a, b], axis=1)`: columns side by side."""
    columns: list = []
    rows: set = set()
    for item in items:
        if isinstance(item, Frame):
            columns.extend(item.columns)
            rows |= item.rows
        elif isinstance(item, ColumnValue):
            name = item.name or str(len(columns))
            columns.append((name, frames.bind_value(ix, item, Frame(), name, call.location)))
    return Frame(tuple(dict(columns).items()), frozenset(rows), engine="pandas")


def _write_pandas(ix: Interpreter, call: Call) -> object:
    """`snowflake.connector.pandas_tools.write_pandas(conn, df, table_name, database=, schema=)`."""
    from lineage_scan.model import RelationKind

    table = sources.static_text(ix, call.get(2, "table_name"), call.location, "table name")
    if table is None:
        return UNKNOWN
    parts = [p.value for p in (ix.text(call.get(None, "database")), ix.text(call.get(None, "schema"))) if p] + [table.value]
    name = sources.table_name(ix, ".".join(parts))
    if name is not None:
        sinks.emit(ix, call.args[1], name, RelationKind.TABLE, call.location)
    return UNKNOWN


def _pure(path: str, call: Call) -> object:
    """A pure standard-library function (`os.path.join`, `len`, ...) on the call's constants."""
    return from_static(stdlib.pure_call(path, [to_static(a) for a in call.args],
                                        {k: to_static(v) for k, v in call.kwargs.items()}))


def _path(ix: Interpreter, value: object) -> object:
    if isinstance(value, PathValue):
        return value
    if isinstance(value, Const) and isinstance(value.value, str):
        return PathValue(value.value)
    return UNKNOWN


def _read_file(ix: Interpreter, path: PathValue, call: Call) -> object:
    """The text of a file of the repository read by the code (a `.sql` file), located in that file."""
    from lineage_scan.parsers.python.modules import Source

    base = posixpath.dirname(ix.module.rel)
    candidates = [posixpath.normpath(path.path)] if not path.path.startswith("/") else []
    if base:
        candidates.append(posixpath.normpath(posixpath.join(base, path.path)))
    for candidate in candidates:
        text = ix.loader.read_text_file(candidate)
        if text is not None:
            return Const(text, TextOrigin(Source(candidate)))
    ix.diagnose(call.location, f"file {path.path!r} read by the code is not in the repository", "LS930")
    return UNKNOWN

