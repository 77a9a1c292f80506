"""Fragments as plain JSON data and back: the format of cache entries and of worker results.

The format follows the model's type hints: a dataclass is the list of its field values, an enum its
value, a tuple or list a list. Three tables per fragment hold the values many edges repeat —
`Location`s, `ColumnRef`s and tuples of names (an edge's `candidates` and `excluded`) — and the
fragment refers to them by index, so entries stay small and decoded fragments share those objects.
Column edges, the bulk of a fragment, are one flat list of integers, seven per edge.

Decoding only builds objects of the model's own types from lists, strings and numbers, checking
types on the way; it never imports, looks up or calls anything the data names. A hostile or
damaged entry can therefore only fail to decode (`CodecError`), never run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Fragment, Location

FORMAT = 1
"""Bumped by hand when the layout changes in a way the model's fields do not show."""
LOCATIONS, REFS, NAMES = 0, 1, 2
"""Positions of the per-fragment tables."""
EDGE_WIDTH = 7
_KINDS = tuple(EdgeKind)
_CERTAINTIES = tuple(Certainty)

Encoder = Callable[[Any, "_Tables"], Any]
Decoder = Callable[[Any, "list[list[Any]]"], Any]


class CodecError(ValueError):
    """The data is not a fragment in this format (damaged, hand-made or from another version)."""


class _Tables:
    """The shared values met while encoding one fragment; a value's index is its first-seen position."""

    def __init__(self) -> None:
        self.index: list[dict[Any, int]] = [{}, {}, {}]

    def add(self, table: int, value: Any) -> int:
        index = self.index[table]
        return index.setdefault(value, len(index))

    def rows(self) -> list[list[Any]]:
        locations, refs, names = self.index
        return [
            [_LOCATION_ROW[0](value, self) for value in locations],
            [_REF_ROW[0](value, self) for value in refs],
            [list(value) for value in names],
        ]


def encode_fragment(fragment: Fragment) -> list[Any]:
    """``fragment`` as JSON-ready data: `[FORMAT, locations, column refs, name tuples, fields]`."""
    tables = _Tables()
    body = _FRAGMENT[0](fragment, tables)
    return [FORMAT, *tables.rows(), body]


def decode_fragment(data: Any) -> Fragment:
    """The fragment ``data`` encodes; raises `CodecError` for anything else."""
    if not (type(data) is list and len(data) == 5 and data[0] == FORMAT):
        raise CodecError("not an encoded fragment of this format")
    try:
        locations = _LOCATION_ROWS(data[1], [])
        refs = _REF_ROWS(data[2], [])
        names = _name_rows(data[3], [])
        return _FRAGMENT[1](data[4], [locations, refs, names])
    except CodecError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, RecursionError) as error:
        raise CodecError(f"malformed fragment data: {type(error).__name__}: {error}") from error


# --------------------------------------------------------------------------- compiling codecs from type hints
def _compile(hint: Any) -> tuple[Encoder, Decoder]:
    if hint in (str, int, float, bool):
        return _primitive(hint)
    if hint == list[ColumnEdge]:
        return _edges()
    if hint is Location:
        return _shared(LOCATIONS)
    if hint is ColumnRef:
        return _shared(REFS)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) != 1 or len(args) != 2:
            raise TypeError(f"fragment codec: unsupported union {hint!r}")
        return _optional(*_compile(others[0]))
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _fixed_tuple([_compile(arg) for arg in args])
    if origin in (tuple, list) and args:
        return _sequence(origin, *_compile(args[0]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    raise TypeError(f"fragment codec: unsupported type {hint!r}; extend lineage_scan.fragment_codec")


def _primitive(kind: type) -> tuple[Encoder, Decoder]:
    accepted = _ACCEPTED[kind]

    def decode(value: Any, _tables: list[list[Any]]) -> Any:
        if type(value) not in accepted:
            raise CodecError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return (lambda value, _tables: value), decode


_ACCEPTED = {str: {str}, int: {int}, bool: {bool}, float: {int, float}}
"""The JSON value types each primitive field accepts (a bool is no int here, an int is a float)."""


def _optional(encode_value: Encoder, decode_value: Decoder) -> tuple[Encoder, Decoder]:
    def encode(value: Any, tables: _Tables) -> Any:
        return None if value is None else encode_value(value, tables)

    def decode(value: Any, tables: list[list[Any]]) -> Any:
        return None if value is None else decode_value(value, tables)

    return encode, decode


def _sequence(container: type, encode_item: Encoder, decode_item: Decoder) -> tuple[Encoder, Decoder]:
    def encode(value: Any, tables: _Tables) -> Any:
        return [encode_item(item, tables) for item in value]

    def decode(value: Any, tables: list[list[Any]]) -> Any:
        if type(value) is not list:
            raise CodecError(f"expected a list, got {type(value).__name__}")
        return container([decode_item(item, tables) for item in value])

    return encode, decode


def _fixed_tuple(codecs: list[tuple[Encoder, Decoder]]) -> tuple[Encoder, Decoder]:
    encoders = [encoder for encoder, _ in codecs]
    decoders = [decoder for _, decoder in codecs]

    def encode(value: Any, tables: _Tables) -> Any:
        return [encoder(item, tables) for encoder, item in zip(encoders, value, strict=True)]

    def decode(value: Any, tables: list[list[Any]]) -> Any:
        if type(value) is not list or len(value) != len(decoders):
            raise CodecError(f"expected a list of {len(decoders)} values")
        return tuple([decoder(item, tables) for decoder, item in zip(decoders, value, strict=True)])

    return encode, decode


def _enum(kind: type[Enum]) -> tuple[Encoder, Decoder]:
    members = {member.value: member for member in kind}

    def decode(value: Any, _tables: list[list[Any]]) -> Any:
        if type(value) is not str or value not in members:
            raise CodecError(f"{value!r} is not a {kind.__name__}")
        return members[value]

    return (lambda value, _tables: value.value), decode


def _shared(table: int) -> tuple[Encoder, Decoder]:
    def encode(value: Any, tables: _Tables) -> int:
        return tables.add(table, value)

    def decode(value: Any, tables: list[list[Any]]) -> Any:
        if type(value) is not int or value < 0:
            raise CodecError(f"expected a table index, got {value!r}")
        return tables[table][value]

    return encode, decode


def _dataclass(kind: type) -> tuple[Encoder, Decoder]:
    hints = typing.get_type_hints(kind)
    fields = [f.name for f in dataclasses.fields(kind)]
    codecs = [_compile(hints[name]) for name in fields]
    width = len(fields)
    # Plain fields (text, numbers, optional text) are written as they are and only type-checked when
    # read back; the others are converted both ways.
    checked = [(i, _plain_types(hints[name])) for i, name in enumerate(fields) if _plain_types(hints[name])]
    plain = {i for i, _ in checked}
    converting = [(i, encoder) for i, (encoder, _) in enumerate(codecs) if i not in plain]
    converted = [(i, decoder) for i, (_, decoder) in enumerate(codecs) if i not in plain]
    values_of = operator.attrgetter(*fields) if width > 1 else (lambda value: (getattr(value, fields[0]),))

    def encode(value: Any, tables: _Tables) -> list[Any]:
        values = list(values_of(value))
        for index, encoder in converting:
            values[index] = encoder(values[index], tables)
        return values

    def decode(value: Any, tables: list[list[Any]]) -> Any:
        if type(value) is not list or len(value) != width:
            raise CodecError(f"expected {kind.__name__} as a list of {width} values")
        for index, accepted in checked:
            if type(value[index]) not in accepted:
                raise CodecError(f"{kind.__name__}.{fields[index]}: unexpected {type(value[index]).__name__}")
        values = list(value)
        for index, decoder in converted:
            values[index] = decoder(values[index], tables)
        return kind(*values)

    return encode, decode


def _plain_types(hint: Any) -> set[type] | None:
    """The JSON types a field of this type may hold as is, or None when it needs converting."""
    if hint in _ACCEPTED:
        return _ACCEPTED[hint]
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        other = args[0] if args[1] is type(None) else args[1]
        if other in _ACCEPTED:
            return {*_ACCEPTED[other], type(None)}
    return None


def _edges() -> tuple[Encoder, Decoder]:
    """`list[ColumnEdge]` as one flat list of table indexes, `EDGE_WIDTH` per edge."""
    kinds = {kind: index for index, kind in enumerate(_KINDS)}
    certainties = {certainty: index for index, certainty in enumerate(_CERTAINTIES)}

    def encode(edges: list[ColumnEdge], tables: _Tables) -> list[int]:
        locations, refs, names = tables.index
        flat: list[int] = []
        for edge in edges:
            location = edge.location
            flat += (
                refs.setdefault(edge.source, len(refs)),
                refs.setdefault(edge.target, len(refs)),
                kinds[edge.kind],
                certainties[edge.certainty],
                -1 if location is None else locations.setdefault(location, len(locations)),
                names.setdefault(edge.candidates, len(names)),
                names.setdefault(edge.excluded, len(names)),
            )
        return flat

    def decode(flat: Any, tables: list[list[Any]]) -> list[ColumnEdge]:
        if type(flat) is not list or len(flat) % EDGE_WIDTH:
            raise CodecError(f"expected edges as a flat list of {EDGE_WIDTH} indexes each")
        # Indexing the tables checks every index: a value of the wrong type or out of range raises.
        locations, refs, names = tables
        locations = [*locations, None]  # index -1: no location
        return [
            ColumnEdge(refs[s], refs[t], _KINDS[k], _CERTAINTIES[c], locations[loc], names[ca], names[ex])
            for s, t, k, c, loc, ca, ex in zip(*[iter(flat)] * EDGE_WIDTH, strict=True)
        ]

    return encode, decode


def _rows(row: tuple[Encoder, Decoder]) -> Decoder:
    """The decoder of one table: a list of rows."""
    return _sequence(list, *row)[1]


def _name_rows(value: Any, _tables: list[list[Any]]) -> list[tuple[str, ...]]:
    if type(value) is not list or not all(type(row) is list and all(type(n) is str for n in row) for row in value):
        raise CodecError("expected the name tuples as lists of strings")
    return [tuple(row) for row in value]


_LOCATION_ROW = _dataclass(Location)
_REF_ROW = _dataclass(ColumnRef)
_LOCATION_ROWS = _rows(_LOCATION_ROW)
_REF_ROWS = _rows(_REF_ROW)
_FRAGMENT = _dataclass(Fragment)


def _describe(hint: Any, seen: set[type]) -> str:
    """A text of every type reachable from ``hint``, field by field: the model's shape."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if hint in seen:
            return hint.__qualname__
        seen.add(hint)
        hints = typing.get_type_hints(hint)
        parts = ", ".join(f"{f.name}: {_describe(hints[f.name], seen)}" for f in dataclasses.fields(hint))
        return f"{hint.__qualname__}({parts})"
    if isinstance(hint, type) and issubclass(hint, Enum):
        return f"{hint.__qualname__}{[m.value for m in hint]}"
    args = typing.get_args(hint)
    if args:
        return f"{typing.get_origin(hint)}[{', '.join(_describe(a, seen) for a in args)}]"
    return getattr(hint, "__qualname__", repr(hint))


FINGERPRINT = hashlib.sha256(f"{FORMAT}|{_describe(Fragment, set())}".encode()).hexdigest()
"""Changes whenever the model's shape does, so entries written for an older shape are never read."""
