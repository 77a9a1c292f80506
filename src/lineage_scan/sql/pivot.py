"""PIVOT / UNPIVOT as a source: its output columns and their leaves (best effort, `inferred`).

PIVOT: the columns the pivot does not use pass through (identity); each pivoted column aggregates
the aggregate's arguments and is selected by the FOR column (conditional). UNPIVOT: untouched
columns pass through; the value column takes every listed column (transform); the name column
holds column names, not data, so it has no source.
"""

from __future__ import annotations

from sqlglot import exp

from lineage_scan.model import STAR, Certainty, EdgeKind
from lineage_scan.sql.names import Names
from lineage_scan.sql.query_types import AGGREGATE, BARE, TRANSFORM, Leaf, Output


def pivot_outputs(table: exp.Table, pivot: exp.Pivot, names: Names, known: tuple[str, ...] | None) -> list[Output]:
    source = names.table(table)
    if pivot.args.get("unpivot"):
        return _unpivot(source, pivot, names, known)
    return _pivot(source, pivot, names, known)


def _pivot(source: str, pivot: exp.Pivot, names: Names, known: tuple[str, ...] | None) -> list[Output]:
    aggregates = [a.this if isinstance(a, exp.Alias) else a for a in pivot.expressions]
    used = {names.column(c) for a in aggregates for c in a.find_all(exp.Column)}
    field = pivot.args["fields"][0] if pivot.args.get("fields") else None
    for_columns = {names.column(c) for c in field.this.find_all(exp.Column)} if isinstance(field, exp.In) else set()
    values = [_pivot_name(v, names) for v in (field.expressions if isinstance(field, exp.In) else [])]
    computed = [_strip_quotes(names.ident(i)) for i in pivot.args.get("columns") or []]
    if not computed:
        computed = values if len(aggregates) <= 1 else [f"{v}_{a.sql().lower()}" for v in values for a in aggregates]
    value_leaves = frozenset(
        {Leaf(source, c, level=AGGREGATE, certainty=Certainty.INFERRED) for c in sorted(used)}
        | {Leaf(source, c, indirect=EdgeKind.CONDITIONAL, certainty=Certainty.INFERRED) for c in sorted(for_columns)}
    )
    passthrough = _passthrough(source, known, used | for_columns)
    return passthrough + [Output(name, value_leaves) for name in computed]


def _unpivot(source: str, pivot: exp.Pivot, names: Names, known: tuple[str, ...] | None) -> list[Output]:
    value_names = [names.ident(e) if isinstance(e, exp.Identifier) else names.column(e) for e in pivot.expressions]
    field = pivot.args["fields"][0] if pivot.args.get("fields") else None
    if not isinstance(field, exp.In):
        return _passthrough(source, known, set())
    listed = [names.column(c) for e in field.expressions for c in e.find_all(exp.Column)]
    name_column = names.ident(field.this) if isinstance(field.this, exp.Identifier) else names.column(field.this)
    value_leaves = frozenset(Leaf(source, c, level=TRANSFORM, certainty=Certainty.INFERRED) for c in listed)
    passthrough = _passthrough(source, known, set(listed))
    return passthrough + [Output(name_column, frozenset())] + [Output(v, value_leaves) for v in value_names]


def _passthrough(source: str, known: tuple[str, ...] | None, used: set[str]) -> list[Output]:
    if known is None:
        excluded = tuple(sorted(used))
        return [Output(STAR, frozenset({Leaf(source, STAR, certainty=Certainty.UNRESOLVED, excluded=excluded)}))]
    return [Output(c, frozenset({Leaf(source, c, level=BARE)})) for c in known if c not in used]


def _pivot_name(value: exp.Expr, names: Names) -> str:
    if isinstance(value, exp.PivotAlias):
        return names.ident(value.args["alias"])
    return _strip_quotes(value.name if isinstance(value, exp.Literal) else value.sql())


def _strip_quotes(name: str) -> str:
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == "'" else name
