"""dbt_utils macros that need a relation's columns, answered from what the repository declares
(YAML source columns, seed headers, upstream models' inferred outputs) instead of a warehouse.

When a relation's columns are not known they degrade the way the real macros do at parse time
(`star` renders `*`, keeping `except` as `* EXCEPT (...)`), with a note saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lineage_scan.model import Severity
from lineage_scan.parsers.dbt.context import DbtContext
from lineage_scan.parsers.dbt.objects import Placeholder, Relation, quote_if_needed


def dbt_utils_standins(context: DbtContext) -> dict[str, Callable[..., Any]]:
    """The Python stand-ins of the `dbt_utils` namespace."""
    utils = DbtUtils(context)
    return {
        "star": utils.star,
        "get_filtered_columns_in_relation": utils.get_filtered_columns_in_relation,
        "union_relations": utils.union_relations,
        "unpivot": utils.unpivot,
        "get_column_values": utils.get_column_values,
        "get_relations_by_pattern": utils.no_relations,
        "get_relations_by_prefix": utils.no_relations,
        "get_single_value": lambda *args, **kwargs: kwargs.get("default"),
        "get_query_results_as_dict": lambda *args, **kwargs: {},
    }


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


class DbtUtils:
    def __init__(self, context: DbtContext):
        self.context = context

    def _quote(self, name: str) -> str:
        return quote_if_needed(name, self.context.dialect_name)

    def _columns(self, relation: Any, macro: str) -> list[str] | None:
        columns = self.context.columns_of(relation) if isinstance(relation, Relation) else None
        if columns is None:
            what = f"relation {relation}" if isinstance(relation, Relation) else f"'{relation}' (not a ref or source)"
            self.context.event(f"dbt_utils.{macro}: columns of {what} are not known from the repository; "
                               f"columns are left to the build to expand", severity=Severity.NOTE)
        return columns

    def star(self, *args: Any, **kwargs: Any) -> str:
        relation = _arg(args, kwargs, 0, "from")
        alias = _arg(args, kwargs, 1, "relation_alias", False)
        excluded = [str(c) for c in _arg(args, kwargs, 2, "except", []) or []]
        prefix = str(_arg(args, kwargs, 3, "prefix", "") or "")
        suffix = str(_arg(args, kwargs, 4, "suffix", "") or "")
        columns = self._columns(relation, "star")
        qualifier = f"{alias}." if alias else ""
        if columns is None:
            if prefix or suffix:
                self.context.event("dbt_utils.star: prefix/suffix cannot be applied to unknown columns")
            if not excluded:
                return f"{qualifier}*"
            keyword = "exclude" if self.context.target.get("type") in ("snowflake", "duckdb") else "except"
            return f"{qualifier}* {keyword} ({', '.join(self._quote(c) for c in excluded)})"
        lowered = {c.lower() for c in excluded}
        kept = [c for c in columns if c.lower() not in lowered]
        if not kept:
            return Placeholder("*")
        return ",\n  ".join(
            f"{qualifier}{self._quote(c)}" + (f" as {self._quote(prefix + c + suffix)}" if prefix or suffix else "")
            for c in kept
        )

    def get_filtered_columns_in_relation(self, *args: Any, **kwargs: Any) -> list[str]:
        relation = _arg(args, kwargs, 0, "from")
        lowered = {str(c).lower() for c in _arg(args, kwargs, 1, "except", []) or []}
        return [c for c in self._columns(relation, "get_filtered_columns_in_relation") or [] if c.lower() not in lowered]

    def union_relations(self, *args: Any, **kwargs: Any) -> str:
        relations = list(_arg(args, kwargs, 0, "relations", []) or [])
        include = [str(c).lower() for c in kwargs.get("include", []) or []]
        exclude = [str(c).lower() for c in kwargs.get("exclude", []) or []]
        source_column = kwargs.get("source_column_name", "_dbt_source_relation")
        where = kwargs.get("where")
        if not relations:
            self.context.event("dbt_utils.union_relations: no relations to union")
            return Placeholder("select 1 as _dbt_no_relations")
        known = {str(r): self._columns(r, "union_relations") for r in relations}
        ordered: list[str] = []
        for columns in known.values():
            for column in columns or []:
                lowered = column.lower()
                if lowered in (c.lower() for c in ordered) or (include and lowered not in include) or lowered in exclude:
                    continue
                ordered.append(column)
        selects = []
        for relation in relations:
            columns = known[str(relation)]
            if columns is None or not ordered:
                items = ["*"]
            else:
                present = {c.lower() for c in columns}
                items = [self._quote(c) if c.lower() in present else f"cast(null as {self._string_type()}) as {self._quote(c)}"
                         for c in ordered]
            if source_column:
                items.append(f"cast('{relation}' as {self._string_type()}) as {self._quote(str(source_column))}")
            selects.append(f"select\n  {', '.join(items)}\nfrom {relation}" + (f"\nwhere {where}" if where else ""))
        return "(\n" + "\n)\nunion all\n(\n".join(selects) + "\n)"

    def unpivot(self, *args: Any, **kwargs: Any) -> str:
        relation = _arg(args, kwargs, 0, "relation")
        cast_to = _arg(args, kwargs, 1, "cast_to", self._string_type())
        exclude = [str(c) for c in _arg(args, kwargs, 2, "exclude", []) or []]
        remove = {str(c).lower() for c in _arg(args, kwargs, 3, "remove", []) or []}
        field_name = _arg(args, kwargs, 4, "field_name", "field_name")
        value_name = _arg(args, kwargs, 5, "value_name", "value")
        columns = self._columns(relation, "unpivot")
        if columns is None:
            return Placeholder(f"select * from {relation}")
        excluded = {c.lower() for c in exclude}
        kept = [c for c in columns if c.lower() not in excluded and c.lower() not in remove]
        selects = []
        for column in kept:
            items = [*(self._quote(c) for c in exclude),
                     f"cast('{column}' as {self._string_type()}) as {self._quote(field_name)}",
                     f"cast({self._quote(column)} as {cast_to}) as {self._quote(value_name)}"]
            selects.append(f"select\n  {', '.join(items)}\nfrom {relation}")
        return "\nunion all\n".join(selects) or Placeholder(f"select * from {relation}")

    def get_column_values(self, *args: Any, **kwargs: Any) -> Any:
        default = _arg(args, kwargs, 4, "default", None)
        column = _arg(args, kwargs, 1, "column", "?")
        self.context.event(f"dbt_utils.get_column_values('{column}') needs the warehouse; "
                           f"{'its default' if default is not None else 'no values'} used", severity=Severity.NOTE)
        return list(default) if isinstance(default, (list, tuple)) else []

    def no_relations(self, *args: Any, **kwargs: Any) -> list:
        self.context.event("dbt_utils.get_relations_by_pattern/prefix need the warehouse; no relations found")
        return []

    def _string_type(self) -> str:
        return "string" if self.context.target.get("type") in ("bigquery", "spark", "databricks") else "varchar"
