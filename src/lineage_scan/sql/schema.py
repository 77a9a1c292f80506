"""What is known of each table's columns: DDL, earlier statements, a user schema file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlglot import exp

from lineage_scan.sql.names import Names


class SchemaRegistry:
    """Ordered column lists per normalised table name, with unique-suffix lookup.

    A lookup of `orders` finds `analytics.orders` when that is the only known table ending in
    `.orders`, so scripts that rely on a search path still meet the DDL that declared the table.
    """

    def __init__(self, tables: Mapping[str, Iterable[str]] | None = None):
        self._tables: dict[str, tuple[str, ...]] = {}
        for name, columns in (tables or {}).items():
            self.set(name, columns)

    def set(self, table: str, columns: Iterable[str]) -> None:
        self._tables[table] = tuple(dict.fromkeys(columns))

    def drop(self, table: str) -> None:
        self._tables.pop(table, None)

    def rename(self, old: str, new: str) -> None:
        if old in self._tables:
            self._tables[new] = self._tables.pop(old)

    def columns(self, table: str) -> tuple[str, ...] | None:
        found = self._tables.get(table)
        if found is not None:
            return found
        suffix = "." + table
        matches = [cols for name, cols in self._tables.items() if name.endswith(suffix)]
        return matches[0] if len(matches) == 1 else None

    def copy(self) -> SchemaRegistry:
        clone = SchemaRegistry()
        clone._tables = dict(self._tables)
        return clone

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(sorted(self._tables.items()))


def registry_from_mapping(mapping: Mapping[str, object], names: Names) -> SchemaRegistry:
    """A registry from `{table: {column: type}}` / `{table: [columns]}`, or nested `{db: {table: ...}}`.

    Table keys may be dotted (`analytics.orders`); names are normalised for ``names``' dialect.
    """
    registry = SchemaRegistry()
    for table, columns in _flatten(mapping, ()):
        parsed = exp.to_table(table, dialect=names.dialect)
        normalised = ".".join(names.ident(p.name) for p in parsed.parts if isinstance(p, exp.Identifier)) or table
        registry.set(normalised, (names.ident(str(column)) for column in columns))
    return registry


def _flatten(mapping: Mapping[str, object], prefix: tuple[str, ...]) -> Iterator[tuple[str, Iterable[str]]]:
    for key, value in mapping.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
            yield from _flatten(value, path)
        elif isinstance(value, Mapping):
            yield ".".join(path), list(value)
        elif isinstance(value, (list, tuple)):
            yield ".".join(path), [str(v) for v in value]
        else:
            raise ValueError(f"schema entry {'.'.join(path)!r}: expected a mapping or a list of columns")
