"""The Python objects dbt's Jinja context hands to templates: relations, columns, empty query
results, placeholders for what cannot be rendered, and the `{% test %}`/`{% docs %}`/
`{% snapshot %}`/`{% materialization %}` tags.

Everything is inert: no object touches a database, the filesystem or the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

PLACEHOLDER_PREFIX = "unrendered__"
"""Function-name prefix of the SQL a macro that could not be rendered leaves behind."""


class Placeholder(str):
    """What an unknown macro renders as: SQL text when printed, but empty as a value."""

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class MacroReturn(Exception):
    """Raised by `return(value)`; the calling macro returns ``value``."""

    def __init__(self, value: Any):
        super().__init__("return")
        self.value = value


class CompilationError(Exception):
    """Raised by `exceptions.raise_compiler_error(...)` in a template."""


@dataclass(frozen=True)
class Relation:
    """A dbt relation (`ref()`, `source()`, `this`): renders as `database.schema.identifier`."""

    database: str | None
    schema: str | None
    identifier: str | None
    type: str | None = None
    dialect: str | None = None

    @property
    def name(self) -> str | None:
        return self.identifier

    @property
    def table(self) -> str | None:
        return self.identifier

    @property
    def is_table(self) -> bool:
        return self.type == "table"

    @property
    def is_view(self) -> bool:
        return self.type == "view"

    @property
    def is_cte(self) -> bool:
        return self.type == "cte"

    @property
    def is_materialized_view(self) -> bool:
        return self.type == "materialized_view"

    def render(self) -> str:
        return str(self)

    def include(self, database: bool | None = None, schema: bool | None = None, identifier: bool | None = None) -> Relation:
        return replace(
            self,
            database=None if database is False else self.database,
            schema=None if schema is False else self.schema,
            identifier=None if identifier is False else self.identifier,
        )

    def quote(self, *args: Any, **kwargs: Any) -> Relation:
        return self

    def incorporate(self, path: dict | None = None, type: str | None = None, **kwargs: Any) -> Relation:  # noqa: A002
        path = path or {}
        return replace(
            self,
            database=path.get("database", self.database),
            schema=path.get("schema", self.schema),
            identifier=path.get("identifier", self.identifier),
            type=type or self.type,
        )

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **kwargs: Any) -> Relation:  # noqa: A002
        return Relation(database, schema, identifier or kwargs.get("name"), type, self.dialect)

    def __str__(self) -> str:
        parts = [p for p in (self.database, self.schema, self.identifier) if p]
        return ".".join(quote_if_needed(p, self.dialect) for p in parts)


@lru_cache(maxsize=4096)
def quote_if_needed(name: str, dialect: str | None) -> str:
    """An identifier as SQL: bare when it is a plain name, quoted for the dialect otherwise."""
    return exp.to_identifier(name).sql(dialect=Dialect.get_or_raise(dialect or None))


@dataclass(frozen=True)
class Column:
    """A column as `adapter.get_columns_in_relation` returns it."""

    name: str
    data_type: str = "unknown"

    @property
    def column(self) -> str:
        return self.name

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'

    @property
    def dtype(self) -> str:
        return self.data_type

    def is_string(self) -> bool:
        return bool(re.search(r"char|text|string", self.data_type, re.I))

    def is_number(self) -> bool:
        return bool(re.search(r"int|num|dec|float|double|real", self.data_type, re.I))

    is_numeric = is_number

    def is_integer(self) -> bool:
        return bool(re.search(r"int", self.data_type, re.I))

    def is_float(self) -> bool:
        return bool(re.search(r"float|double|real", self.data_type, re.I))


class EmptyColumn(tuple):
    """A result column with no values."""

    def values(self) -> tuple:
        return ()


class EmptyColumns(tuple):
    """The columns of an empty result: any index or name gives an empty column."""

    def __getitem__(self, key: Any) -> Any:
        return EmptyColumn()


class EmptyTable:
    """What `run_query` returns: no rows, and any column empty (nothing is executed)."""

    rows: tuple = ()
    column_names: tuple = ()
    columns = EmptyColumns()

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Any:
        return EmptyColumn()

    def print_table(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def where(self, *args: Any, **kwargs: Any) -> EmptyTable:
        return self

    def select(self, *args: Any, **kwargs: Any) -> EmptyTable:
        return self


class DbtTags(Extension):
    """dbt's block tags: `{% test %}`/`{% data_test %}` define `test_<name>` macros, `{% snapshot %}`
    renders its body, `{% docs %}` and `{% materialization %}` render nothing."""

    tags = {"test", "data_test", "snapshot", "docs", "materialization"}

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        token = next(parser.stream)
        tag = token.value
        if tag in ("test", "data_test"):
            macro = nodes.Macro(lineno=token.lineno)
            macro.name = "test_" + parser.parse_assign_target(name_only=True).name
            parser.parse_signature(macro)
            macro.body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
            return macro
        while parser.stream.current.type != "block_end":
            next(parser.stream)
        body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
        return body if tag == "snapshot" else []
