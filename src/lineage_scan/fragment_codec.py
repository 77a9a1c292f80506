"""Fragments as plain JSON data and back: the format of cache entries and of worker results.

The format follows the model's type hints: a dataclass is the list of its field values, an enum its
value, a tuple or list a list. Tables per fragment hold the values many edges repeat — strings
(paths, table and column names), `Location`s, `ColumnRef`s and tuples of names (an edge's
`candidates` and `excluded`) — and the rest of the fragment refers to them by index, so entries stay
small and decoded fragments share those objects. Locations, column refs and column edges, the bulk
of a fragment, are tables of integers (`LOCATION_WIDTH`, `REF_WIDTH`, `EDGE_WIDTH` per value),
stored a column after the other as one text: a type letter and the base64 of the little-endian
integers (`_pack`), which reads back far faster than JSON numbers; they are decoded a column at a
time (`fieldwise.build_objects`) rather than an object at a time.

Decoding only builds objects of the model's own types from lists, strings and numbers, checking
types on the way; it never imports, looks up or calls anything the data names. A hostile or
damaged entry can therefore only fail to decode (`CodecError`), never run code.
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import operator
import sys
import types
import typing
from array import array
from collections.abc import Callable
from enum import Enum
from itertools import chain
from typing import Any

from lineage_scan.fieldwise import build_objects
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Fragment, Location

FORMAT = 2
"""Bumped by hand when the layout changes in a way the model's fields do not show."""
LOCATIONS, REFS, NAMES = 0, 1, 2
"""Positions of the decoded tables handed to field decoders."""
LOCATION_WIDTH, REF_WIDTH, EDGE_WIDTH = 5, 2, 6
"""Integers per location (path string, lines and columns), column ref (table string or -1 for
none, column string) and edge (source ref, target ref, kind and certainty, location or -1,
candidates, excluded)."""
_KINDS = tuple(EdgeKind)
_CERTAINTIES = tuple(Certainty)
_EDGE_KINDS = tuple(kind for kind in _KINDS for _ in _CERTAINTIES)
_EDGE_CERTAINTIES = tuple(certainty for _ in _KINDS for certainty in _CERTAINTIES)
"""An edge's kind and certainty are one number: kind index * len(Certainty) + certainty index."""

Encoder = Callable[[Any, "_Tables"], Any]
Decoder = Callable[[Any, "list[list[Any]]"], Any]


class CodecError(ValueError):
    """The data is not a fragment in this format (damaged, hand-made or from another version)."""


class _Tables:
    """The shared values met while encoding one fragment; a value's index is its first-seen position."""

    def __init__(self) -> None:
        self.index: list[dict[Any, int]] = [{}, {}, {}]
        self.strings: dict[str, int] = {}

    def add(self, table: int, value: Any) -> int:
        index = self.index[table]
        return index.setdefault(value, len(index))

    def rows(self) -> list[Any]:
        """`[strings, locations, column refs, name tuples]`."""
        locations, refs, names = self.index
        strings = self.strings
        paths = [strings.setdefault(location.path, len(strings)) for location in locations]
        tables = [-1 if ref.table is None else strings.setdefault(ref.table, len(strings)) for ref in refs]
        columns = [strings.setdefault(ref.column, len(strings)) for ref in refs]
        name_rows = [[strings.setdefault(name, len(strings)) for name in row] for row in names]
        return [
            list(strings),
            _pack([paths, *([getattr(location, f) for location in locations] for f in _LOCATION_NUMBERS)]),
            _pack([tables, columns]),
            name_rows,
        ]


def encode_fragment(fragment: Fragment) -> list[Any]:
    """``fragment`` as JSON-ready data: `[FORMAT, strings, locations, column refs, name tuples, fields]`."""
    tables = _Tables()
    body = _FRAGMENT[0](fragment, tables)
    return [FORMAT, *tables.rows(), body]


def decode_fragment(data: Any) -> Fragment:
    """The fragment ``data`` encodes; raises `CodecError` for anything else."""
    if not (type(data) is list and len(data) == 6 and data[0] == FORMAT):
        raise CodecError("not an encoded fragment of this format")
    try:
        strings = _strings(data[1])
        locations = _locations(data[2], strings)
        refs = _refs(data[3], strings)
        names = _names(data[4], strings)
        return _FRAGMENT[1](data[5], [locations, refs, names])
    except CodecError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, RecursionError) as error:
        raise CodecError(f"malformed fragment data: {type(error).__name__}: {error}") from error


def _strings(value: Any) -> list[str]:
    if type(value) is not list or not set(map(type, value)) <= {str}:
        raise CodecError("expected the strings as a list of strings")
    return value


def _pack(columns: list[list[int]]) -> str:
    """Equally long columns of integers as one text: the type letter of the smallest array type that
    holds them all, then the base64 of the columns' little-endian integers, one column after the other."""
    packed = _smallest_array(list(chain.from_iterable(columns)))
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.typecode + binascii.b2a_base64(packed.tobytes(), newline=False).decode("ascii")


def _smallest_array(values: list[int]) -> array[int]:
    """``values`` as an array of the first type of `_INT_CODES` that holds them all (trying each in
    turn: most tables fit the first, and one pass that fails early costs less than finding the
    extremes first)."""
    for code in _INT_CODES[:-1]:
        try:
            return array(code, values)
        except OverflowError:
            continue
    return array(_INT_CODES[-1], values)


def _unpack(value: Any, width: int, what: str) -> list[array[int]]:
    """The ``width`` columns of a `_pack` text."""
    if type(value) is not str or value[:1] not in _LIMITS:
        raise CodecError(f"expected {what} as packed integers")
    values = array(value[0])
    values.frombytes(binascii.a2b_base64(value[1:]))  # raises ValueError (not base64, or a partial integer)
    if _BIG_ENDIAN:
        values.byteswap()
    count, rest = divmod(len(values), width)
    if rest:
        raise CodecError(f"expected {what} as {width} integers each")
    return [values[i * count:(i + 1) * count] for i in range(width)]


_INT_CODES = "hiq"
_LIMITS = {code: 2 ** (8 * array(code).itemsize - 1) for code in _INT_CODES}
_BIG_ENDIAN = sys.byteorder == "big"
_LOCATION_NUMBERS = ("start_line", "start_col", "end_line", "end_col")


def _locations(value: Any, strings: list[str]) -> list[Location]:
    paths, *numbers = _unpack(value, LOCATION_WIDTH, "locations")
    if any(column and min(column) < 0 for column in numbers):
        raise CodecError("expected locations as non-negative integers")
    # Indexing checks every index: a value out of range raises.
    return build_objects(Location, len(paths), [map(strings.__getitem__, paths), *numbers])


def _refs(value: Any, strings: list[str]) -> list[ColumnRef]:
    tables, columns = _unpack(value, REF_WIDTH, "column refs")
    table_or_none = [*strings, None]  # index -1: no table
    return build_objects(ColumnRef, len(tables), [map(table_or_none.__getitem__, tables), map(strings.__getitem__, columns)])


def _names(value: Any, strings: list[str]) -> list[tuple[str, ...]]:
    if type(value) is not list or not set(map(type, value)) <= {list}:
        raise CodecError("expected the name tuples as lists of string indexes")
    return [tuple(map(strings.__getitem__, row)) for row in value]


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
    """`list[ColumnEdge]` as `EDGE_WIDTH` packed columns of table indexes (`_pack`)."""
    kinds = {kind: index * len(_CERTAINTIES) for index, kind in enumerate(_KINDS)}
    certainties = {certainty: index for index, certainty in enumerate(_CERTAINTIES)}

    def encode(edges: list[ColumnEdge], tables: _Tables) -> str:
        locations, refs, names = tables.index
        flat: list[int] = []
        # An edge mostly shares its source, and often its target or location, with the edge before
        # it (the same object): reusing that one's index saves hashing it, a Python call.
        last_source = last_target = last_location = _UNSEEN
        source = target = place = -1
        for edge in edges:
            if edge.source is not last_source:
                last_source = edge.source
                source = refs.setdefault(last_source, len(refs))
            if edge.target is not last_target:
                last_target = edge.target
                target = refs.setdefault(last_target, len(refs))
            if edge.location is not last_location:
                last_location = edge.location
                place = -1 if last_location is None else locations.setdefault(last_location, len(locations))
            flat += (
                source,
                target,
                kinds[edge.kind] + certainties[edge.certainty],
                place,
                names.setdefault(edge.candidates, len(names)),
                names.setdefault(edge.excluded, len(names)),
            )
        return _pack([flat[i::EDGE_WIDTH] for i in range(EDGE_WIDTH)])

    def decode(packed: Any, tables: list[list[Any]]) -> list[ColumnEdge]:
        sources, targets, kind_certainties, places, candidates, excluded = _unpack(packed, EDGE_WIDTH, "edges")
        # Indexing the tables checks every index: a value out of range raises.
        locations, refs, names = tables
        locations = [*locations, None]  # index -1: no location
        return build_objects(ColumnEdge, len(sources), [
            map(refs.__getitem__, sources),
            map(refs.__getitem__, targets),
            map(_EDGE_KINDS.__getitem__, kind_certainties),
            map(_EDGE_CERTAINTIES.__getitem__, kind_certainties),
            map(locations.__getitem__, places),
            map(names.__getitem__, candidates),
            map(names.__getitem__, excluded),
        ])

    return encode, decode


_UNSEEN = object()
"""No object met yet (None is a value: an edge without a location)."""
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
