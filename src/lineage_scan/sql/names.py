"""Identifier normalisation per dialect, so `Analytics.Orders` and `analytics.orders` meet."""

from __future__ import annotations

import sys
from typing import TypeVar

from sqlglot import exp
from sqlglot.dialects.dialect import ASCII_LOWER, ASCII_UPPER, Dialect, Dialects, NormalizationStrategy
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers as sqlglot_normalize_identifiers

E = TypeVar("E", bound=exp.Expr)
_INSENSITIVE = (NormalizationStrategy.CASE_INSENSITIVE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)
_UPPER = (NormalizationStrategy.UPPERCASE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)


def normalize_identifiers(expression: E, dialect: Dialect, marked: bool = True) -> E:
    """sqlglot's `normalize_identifiers`: every identifier of ``expression`` folded the way ``dialect``
    resolves it, except under a node marked `case_sensitive` (a `/* sqlglot.meta case_sensitive */`
    comment). The same folding as `Dialect.normalize_identifier`, done inline rather than with one
    method call per node (a third of the time); dialects with their own rules (BigQuery) use sqlglot's.
    ``marked``: whether the text parsed may hold such comments (False: no node is looked at for a mark).
    """
    if type(dialect).normalize_identifier is not Dialect.normalize_identifier:
        return sqlglot_normalize_identifiers(expression, dialect=dialect)
    strategy = dialect.normalization_strategy
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return expression
    insensitive, upper, ascii_only = strategy in _INSENSITIVE, strategy in _UPPER, dialect.ASCII_ONLY_NORMALIZATION
    stack: list[exp.Expr] = [expression]
    while stack:
        node = stack.pop()
        if marked:
            meta = node._meta  # reading .meta would allocate an empty dict per node
            if meta and meta.get("case_sensitive"):
                continue
        args = node.args
        if isinstance(node, exp.Identifier):  # a leaf: its arguments are its text and flags
            if insensitive or not args.get("quoted"):
                this = args["this"]
                if upper:
                    folded = this.translate(ASCII_UPPER) if ascii_only else this.upper()
                else:
                    folded = this.translate(ASCII_LOWER) if ascii_only else this.lower()
                if folded != this:  # most names are written folded already: `set` would only drop hash caches
                    node.set("this", folded)
            continue
        for value in args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif type(value) is list:
                stack.extend([item for item in value if isinstance(item, exp.Expr)])
    return expression


def dialect_spec(dialect: Dialect) -> str:
    """A string `Dialect.get_or_raise` turns back into an equivalent dialect: its name, then its
    normalisation strategy, version and other settings when they are not the defaults."""
    known = Dialects.__members__.get(type(dialect).__name__.upper())  # how sqlglot registers dialect classes
    parts = [known.value if known is not None else type(dialect).__name__.lower()]
    if dialect.normalization_strategy is not type(dialect).NORMALIZATION_STRATEGY:
        parts.append(f"normalization_strategy={dialect.normalization_strategy.value.lower()}")
    if dialect.version != (sys.maxsize, 0, 0):
        parts.append("version=" + ".".join(map(str, dialect.version)))
    parts.extend(f"{key}={value}" for key, value in sorted(dialect.settings.items()))
    return ", ".join(parts)


class Names:
    """Normalises identifiers and table names the way ``dialect`` resolves them.

    Dialects that fold unquoted names to upper case (Snowflake) are shown lower-case: an all-upper
    normalised name is lower-cased, so `ORDERS`, `orders` and `"ORDERS"` are one name and a quoted
    mixed-case name keeps its case.
    """

    def __init__(self, dialect: Dialect, default_db: str | None = None, default_catalog: str | None = None):
        self.dialect = dialect
        self.default_db = default_db
        self.default_catalog = default_catalog
        self._upper = dialect.normalization_strategy == NormalizationStrategy.UPPERCASE
        self._shown: dict[str, str] = {}
        """Normalised names as shown, as met (`display` is asked for every identifier of a statement)."""
        self._texts: dict[str, str] = {}
        """Plain-string names already shown (a function of the dialect alone): configs and YAML name
        the same columns over and over."""

    def ident(self, node: exp.Identifier | str) -> str:
        """The display text of an identifier.

        An Identifier is taken from a statement that `normalize_identifiers` already processed (so it
        keeps the case-sensitivity its position gives it); a plain string (config, schema file) is
        normalised here as an unquoted name.
        """
        if isinstance(node, str):
            text = self._texts.get(node)
            if text is None:
                text = self._texts[node] = self.display(self.dialect.normalize_identifier(exp.to_identifier(node)).name)
            return text
        name = node.name
        return self._shown.get(name) or self.display(name)  # `display`, its call saved when the name was met

    def display(self, name: str) -> str:
        """An already-normalised name as shown: upper-folding dialects are shown lower-case."""
        shown = self._shown.get(name)
        if shown is None:
            shown = self._shown[name] = name.lower() if self._upper and name.isupper() else name
        return shown

    def table(self, table: exp.Table) -> str:
        """The dotted, normalised name of a table reference, with configured defaults applied."""
        parts = [self.ident(p) for p in table.parts if isinstance(p, exp.Identifier)]
        if not parts:  # a table function (`read_parquet('x.parquet')`): named by its call
            return table.this.sql(dialect=self.dialect) if table.this else table.sql(dialect=self.dialect)
        if len(parts) == 1 and self.default_db:
            parts.insert(0, self.default_db)
        if len(parts) == 2 and self.default_catalog:
            parts.insert(0, self.default_catalog)
        return ".".join(parts)

    def column(self, column: exp.Column) -> str:
        return self.ident(column.this) if isinstance(column.this, exp.Identifier) else column.name
