"""Column expressions: pandas Series and PySpark Column operations, `pyspark.sql.functions`, numpy.

A column value's terms record how each column is used: an arithmetic operation or function makes
its inputs `transform`, an aggregate `aggregate`, a condition (`np.where`, `F.when`) `conditional`,
a window's partition/order columns `window`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.model import Certainty, EdgeKind
from lineage_scan.parsers.python.nulls import (
    AVERAGES,
    COALESCES,
    DIVISIONS,
    fills_by_condition,
    is_nan,
    is_zero,
    is_zero_literal,
)
from lineage_scan.parsers.python.values import (
    UNKNOWN,
    ColumnValue,
    Const,
    Frame,
    MapValue,
    Seq,
    Term,
    Unknown,
    When,
    WindowSpec,
    combine,
)

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

AGGREGATES = frozenset({
    "sum", "mean", "avg", "average", "count", "max", "min", "median", "std", "stddev", "stddev_samp", "stddev_pop",
    "var", "variance", "var_samp", "var_pop", "nunique", "first", "last", "mode", "quantile", "prod", "product",
    "countDistinct", "count_distinct", "approx_count_distinct", "approxCountDistinct", "collect_list", "collect_set",
    "sumDistinct", "sum_distinct", "percentile_approx", "percentile", "any_value", "max_by", "min_by", "kurtosis",
    "skew", "skewness", "sem", "size", "idxmax", "idxmin", "value_counts", "corr", "covar_pop", "covar_samp",
    "bool_and", "bool_or", "every", "some", "any", "all", "first_value", "last_value", "array_agg", "listagg",
})
"""Function and method names that aggregate their input."""
WINDOW_ONLY = frozenset({"row_number", "rank", "dense_rank", "percent_rank", "ntile", "cume_dist", "cumcount", "ngroup"})
SORT_MARKERS = frozenset({"asc", "desc", "asc_nulls_first", "asc_nulls_last", "desc_nulls_first", "desc_nulls_last"})
RENAMES = frozenset({"alias", "name", "as_"})
ALL_COLUMN_ARGS = frozenset({"coalesce", "greatest", "least", "concat", "array", "struct", "hash", "xxhash64",
                             "create_map", "map_from_arrays", "arrays_zip", "nanvl"})
"""PySpark functions whose every string argument is a column name (elsewhere only the first one is)."""
SEPARATOR_FIRST = frozenset({"concat_ws", "format_string", "printf"})
NUMPY_CONDITIONAL = frozenset({"where", "select", "piecewise"})


def column_of(ix: Interpreter, value: object, engine: str | None = None) -> ColumnValue | None:
    """A value used as a column: a column value, a column name, a `when` chain; None otherwise."""
    if isinstance(value, ColumnValue):
        return value
    if isinstance(value, When):
        return value.value
    if isinstance(value, Const) and isinstance(value.value, str):
        return ColumnValue(frozenset({Term(value.value)}), value.value, engine=engine)
    return None


def literal_or_column(value: object) -> ColumnValue:
    """An operand: a column value as is, anything else (a constant) contributes no column."""
    if isinstance(value, ColumnValue):
        return value
    if isinstance(value, When):
        return value.value
    if isinstance(value, Unknown) and value.lineage:
        return ColumnValue(frozenset(Term(str(d.source), lineage=frozenset({d})) for d in value.lineage))
    return ColumnValue()


def arithmetic(ix: Interpreter, left: object, right: object, node) -> object:
    """`a + b`, `a > b`, `a & b`... over columns (constants contribute nothing)."""
    if isinstance(left, Frame) and not isinstance(right, Frame):
        return _frame_elementwise(ix, left, node)
    if isinstance(right, Frame) and not isinstance(left, Frame):
        return _frame_elementwise(ix, right, node)
    if any(isinstance(v, ColumnValue | When) for v in (left, right)):
        operands = [literal_or_column(v) for v in (left, right)]
        result = combine(operands, EdgeKind.TRANSFORM, name=_result_name(left, right))
        return ix.nulls.value_rated(operands, result, ix.where(node)) if _divides(node) else result
    lineage = ix.lineage_of_values([left, right])
    return Unknown(lineage) if lineage else UNKNOWN


def _result_name(left: object, right: object) -> str | None:
    """pandas keeps a Series' name through an operation with a constant or a same-named Series."""
    names = {v.name for v in (left, right) if isinstance(v, ColumnValue)}
    return names.pop() if len(names) == 1 else None


def _divides(node) -> bool:
    operator = getattr(node, "operator", None)
    return isinstance(operator, cst.Divide | cst.FloorDivide | cst.DivideAssign | cst.FloorDivideAssign)


def _frame_elementwise(ix: Interpreter, frame: Frame, node) -> Frame:
    from lineage_scan.parsers.python.values import through

    location = ix.where(node)
    result = frame.mapped(lambda lineage: through(lineage, EdgeKind.TRANSFORM, location))
    ix.nulls.frame_carried(frame, result, location, _divides(node))
    return result


# --------------------------------------------------------------------------- Series / Column methods
def column_method(ix: Interpreter, value: ColumnValue, name: str, call: Call) -> object:
    if name in RENAMES or (name == "rename" and call.args and isinstance(call.args[0], Const)):
        label = call.get(0, "alias")
        return value.renamed(label.value if isinstance(label, Const) and isinstance(label.value, str) else value.name)
    if name in SORT_MARKERS or name in ("copy", "to_numpy", "tolist", "to_list", "ravel", "squeeze", "sort_values",
                                        "sort_index", "reset_index", "set_axis", "head", "tail", "sample"):
        return value
    if name == "over":
        return over(ix, value, call)
    if name == "to_frame":
        label = call.get(0, "name")
        column = label.value if isinstance(label, Const) and isinstance(label.value, str) else value.name or "0"
        from lineage_scan.parsers.python.values import bind

        empty = Frame(engine=value.engine)
        lineage, _ = bind(value, empty, column, call.location)
        return Frame(((column, lineage),), value.rows, engine=value.engine)
    if name in ("where", "mask") and call.args:
        condition = column_of(ix, call.args[0])
        other = literal_or_column(call.get(1, "other"))
        parts = [value, other]
        if condition is not None:
            parts.append(condition.used(EdgeKind.CONDITIONAL, call.where(0)))
        result = combine(parts, EdgeKind.TRANSFORM, name=value.name)
        other_node = call.kwarg_nodes["other"].value if "other" in call.kwarg_nodes else (
            call.arg_nodes[1] if len(call.arg_nodes) > 1 else None)
        kept = call.node.func.value
        if fills_by_condition(call.arg_nodes[0] if call.arg_nodes else None, *(
                (kept, other_node) if name == "where" else (other_node, kept))):
            return ix.nulls.value_filled(result, call.location)  # `s.where(s.notna(), 0)`, `s.mask(s.isna(), 0)`
        return result
    if name in ("rolling", "expanding", "ewm", "groupby", "resample"):
        return value
    if name in AGGREGATES:
        operands = [value, *(literal_or_column(v) for v in call.values())]
        result = combine(operands, EdgeKind.AGGREGATE, name=value.name)
        return ix.nulls.value_rated(operands, result, call.location) if name in AVERAGES else result
    operands = [value, *(literal_or_column(v) for v in call.values() if not isinstance(v, Const))]
    result = combine(operands, EdgeKind.TRANSFORM, name=value.name)
    if name in DIVISIONS:
        return ix.nulls.value_rated(operands, result, call.location)
    if (name == "fillna" and is_zero(call.get(0, "value"))) or (
            name == "replace" and is_nan(call.get(0, "to_replace")) and is_zero(call.get(1, "value"))):
        return ix.nulls.value_filled(result, call.location)
    return result


def over(ix: Interpreter, value: ColumnValue, call: Call) -> ColumnValue:
    """`expr.over(window)`: the window's partition/order columns become `window` dependencies."""
    spec = call.get(0, "window")
    terms = set(value.terms)
    if isinstance(spec, WindowSpec):
        terms.update(spec.terms)
    return ColumnValue(frozenset(terms), value.name, value.rows, value.engine)


def window_method(ix: Interpreter, spec: WindowSpec, name: str, call: Call) -> object:
    """`Window.partitionBy(...)`, `.orderBy(...)`, `.rowsBetween(...)`."""
    if name in ("partitionBy", "orderBy", "sortBy"):
        return WindowSpec(spec.terms | window_terms(ix, call))
    return spec


def window_terms(ix: Interpreter, call: Call) -> frozenset[Term]:
    terms: set[Term] = set()
    for index, arg in enumerate(call.args):
        items = arg.items if isinstance(arg, Seq) else (arg,)
        for item in items:
            column = column_of(ix, item)
            if column is not None:
                terms.update(column.used(EdgeKind.WINDOW, call.where(index)).terms)
    return frozenset(terms)


def when_method(ix: Interpreter, chain: When, name: str, call: Call) -> object:
    if name == "when" and len(call.args) >= 2:
        return When(combine([chain.value, when_branch(ix, call)], EdgeKind.IDENTITY))
    if name == "otherwise" and call.args:
        result = combine([chain.value, literal_or_column(column_of(ix, call.args[0]) or call.args[0])],
                         EdgeKind.TRANSFORM, engine=chain.value.engine)
        when = call.node.func.value  # `F.when(c.isNull(), 0).otherwise(c)`: one branch, then the fallback
        if isinstance(when, cst.Call) and isinstance(when.func, cst.Attribute | cst.Name) and len(when.args) == 2 \
                and getattr(when.func, "attr", when.func).value == "when" and call.arg_nodes \
                and fills_by_condition(when.args[0].value, when.args[1].value, call.arg_nodes[0]):
            return ix.nulls.value_filled(result, call.location)
        return result
    return column_method(ix, chain.value, name, call)


def when_branch(ix: Interpreter, call: Call) -> ColumnValue:
    """`when(condition, value)`: the condition's columns are `conditional`, the value's `transform`."""
    condition = column_of(ix, call.args[0]) or ColumnValue()
    result = column_of(ix, call.args[1]) if not isinstance(call.args[1], Const) else ColumnValue()
    parts = [condition.used(EdgeKind.CONDITIONAL, call.where(0))]
    if result is not None:
        parts.append(result.used(EdgeKind.TRANSFORM))
    return combine(parts, EdgeKind.IDENTITY, engine="spark")


# --------------------------------------------------------------------------- pyspark.sql.functions
def spark_function(ix: Interpreter, name: str, call: Call) -> object:
    if name in ("col", "column") and call.args:
        return column_of(ix, call.args[0], "spark") or UNKNOWN
    if name == "lit":
        return ColumnValue(engine="spark")
    if name == "expr" and call.args:
        from lineage_scan.parsers.python.sources import sql_expression

        text = ix.text(call.args[0])
        return sql_expression(ix, text, call.location) if text is not None else UNKNOWN
    if name == "when" and len(call.args) >= 2:
        return When(when_branch(ix, call))
    if name == "broadcast" and call.args:
        return call.args[0]
    if name in WINDOW_ONLY:
        return ColumnValue(name=f"{name}()", engine="spark")
    operands = _function_columns(ix, name, call)
    kind = EdgeKind.AGGREGATE if name in AGGREGATES else EdgeKind.TRANSFORM
    label = f"{name}({', '.join(o.name or '' for o in operands)})"
    result = combine(operands, kind, name=label, engine="spark")
    if name in COALESCES and len(call.arg_nodes) >= 2 and is_zero_literal(call.arg_nodes[-1]):
        return ix.nulls.value_filled(result, call.location)
    return ix.nulls.value_rated(operands, result, call.location) if name in AVERAGES else result


def _function_columns(ix: Interpreter, name: str, call: Call) -> list[ColumnValue]:
    operands: list[ColumnValue] = []
    for index, arg in enumerate(call.args):
        if isinstance(arg, Const) and isinstance(arg.value, str):
            as_column = name in ALL_COLUMN_ARGS or (index == 0 and name not in SEPARATOR_FIRST) or (
                index > 0 and name in SEPARATOR_FIRST)
            if as_column:
                operands.append(column_of(ix, arg, "spark"))
            continue
        items = arg.items if isinstance(arg, Seq) else (arg,)
        operands.extend(literal_or_column(item) for item in items if not isinstance(item, Const))
    return operands


def window_class(ix: Interpreter, name: str, call: Call) -> object:
    """`pyspark.sql.window.Window.partitionBy(...)` and friends."""
    return window_method(ix, WindowSpec(), name, call)


# --------------------------------------------------------------------------- numpy / pandas functions
def numpy_function(ix: Interpreter, name: str, call: Call) -> object:
    if name == "nan_to_num" and call.args and (call.get(None, "nan") is None or is_zero(call.get(None, "nan"))):
        value = call.args[0]  # nulls become 0.0 unless `nan=` says otherwise
        if isinstance(value, Frame):
            return ix.nulls.frame_zero_filled(value, call.location)
        if isinstance(value, ColumnValue):
            return ix.nulls.value_filled(combine([value], EdgeKind.TRANSFORM, name=value.name), call.location)
    if name in NUMPY_CONDITIONAL and call.args:
        conditions = call.args[0].items if isinstance(call.args[0], Seq) else (call.args[0],)
        parts = [literal_or_column(c).used(EdgeKind.CONDITIONAL, call.where(0)) for c in conditions]
        for value in call.args[1:]:
            items = value.items if isinstance(value, Seq) else (value,)
            parts.extend(literal_or_column(i).used(EdgeKind.TRANSFORM) for i in items)
        for value in call.kwargs.values():
            parts.append(literal_or_column(value).used(EdgeKind.TRANSFORM))
        result = combine(parts, EdgeKind.IDENTITY)
        if name == "where" and len(call.arg_nodes) == 3 and fills_by_condition(*call.arg_nodes):
            return ix.nulls.value_filled(result, call.location)  # `np.where(s.isna(), 0, s)`
        return result
    values = [v for v in call.values() if isinstance(v, ColumnValue | When)]
    frames = [v for v in call.values() if isinstance(v, Frame)]
    if frames and not values:
        return _frame_elementwise(ix, frames[0], call.node)
    if not values:
        lineage = ix.lineage_of_values(call.values())
        return Unknown(lineage) if lineage else UNKNOWN
    kind = EdgeKind.AGGREGATE if name in AGGREGATES or name.startswith("nan") and name[3:] in AGGREGATES else EdgeKind.TRANSFORM
    operands = [literal_or_column(v) for v in values]
    result = combine(operands, kind, name=operands[0].name if len(operands) == 1 else None)
    return ix.nulls.value_rated(operands, result, call.location) if name in AVERAGES or name in DIVISIONS else result


def elementwise(ix: Interpreter, call: Call, certainty: Certainty = Certainty.RESOLVED) -> object:
    """A function applied to a column value (`pd.to_datetime(s)`): its inputs are transformed."""
    values = [v for v in call.values() if isinstance(v, ColumnValue | When)]
    if values:
        operands = [literal_or_column(v) for v in values]
        return combine(operands, EdgeKind.TRANSFORM, None, certainty, name=operands[0].name)
    frames = [v for v in call.values() if isinstance(v, Frame)]
    if frames:
        return _frame_elementwise(ix, frames[0], call.node)
    return UNKNOWN


def aggregate_spec(value: object) -> list[tuple[str, str]] | None:
    """A pandas `agg` function spec read as names (`"sum"`, `["sum", "mean"]`, `np.mean`)."""
    from lineage_scan.parsers.python.values import Library

    if isinstance(value, Const) and isinstance(value.value, str):
        return [(value.value, value.value)]
    if isinstance(value, Library):
        short = value.path.rsplit(".", 1)[-1]
        return [(short, short)]
    if isinstance(value, Seq):
        names: list[tuple[str, str]] = []
        for item in value.items:
            inner = aggregate_spec(item)
            if inner is None:
                names.append(("<function>", "<lambda>"))
            else:
                names.extend(inner)
        return names
    if isinstance(value, MapValue):
        return None
    return [("<function>", "<lambda>")]


def kind_of_function(function: str) -> EdgeKind:
    return EdgeKind.AGGREGATE if function in AGGREGATES or function == "<function>" else EdgeKind.TRANSFORM
