"""Many model objects made at once, a field at a time.

The fragment codec decodes the bulk of a fragment (locations, column references, edges) this way,
and the SQL engine makes a statement's edges this way: a frozen dataclass's generated `__init__`
costs about twice as much per object. An import-time check fails loudly if a class changes shape.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

from lineage_scan.model import ColumnEdge, ColumnRef, Location


def build_objects(kind: type, count: int, columns: list[Iterable[Any]]) -> list[Any]:
    """``count`` objects of dataclass ``kind``, field ``i`` of each taken from ``columns[i]``.

    The fields are set a column at a time through the class's slots, which is what its generated
    `__init__` does an object at a time (the objects are the same: equal, hashed and ordered alike).
    """
    objects = list(map(object.__new__, repeat(kind, count)))
    for setter, column in zip(_SLOT_SETTERS[kind], columns, strict=True):
        deque(map(setter, objects, column), maxlen=0)
    return objects


def _slot_setters(kind: type, expected: tuple[str, ...]) -> list[Callable[[Any, Any], None]]:
    """The slot setters of ``kind``'s fields, checking they are the ones callers of `build_objects` fill."""
    fields = tuple(f.name for f in dataclasses.fields(kind))
    if fields != expected or "__slots__" not in kind.__dict__ or hasattr(kind, "__post_init__"):
        raise TypeError(f"{kind.__name__} changed shape; update lineage_scan.fieldwise and its callers")
    return [kind.__dict__[name].__set__ for name in fields]


_SLOT_SETTERS = {
    Location: _slot_setters(Location, ("path", "start_line", "start_col", "end_line", "end_col")),
    ColumnRef: _slot_setters(ColumnRef, ("table", "column")),
    ColumnEdge: _slot_setters(ColumnEdge, ("source", "target", "kind", "certainty", "location", "candidates", "excluded")),
}
