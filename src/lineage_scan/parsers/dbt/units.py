"""The pieces of a dbt project's work that can be cached and run in worker processes.

* `ParsePass`: what rendering a node with `execute` false found (its refs, sources and `config()`);
* `ModelUnit`: one model, snapshot, analysis or singular test to render and analyse, with the
  columns of the nodes it refs (all it sees of other models);
* `UnitResult`: what that produced (`Compiled`), plus the refs and sources rendering met and the
  project-wide values it touched (`graph`, `docs`), which decide whether it may be reused.

Both results travel as plain JSON data (`fragment_codec` for the bulk), to and from worker
processes and in the fragment cache; decoding checks every value's type and never runs code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lineage_scan.fragment_codec import CodecError, decode_fragment, encode_fragment
from lineage_scan.model import Fragment, Location
from lineage_scan.parsers.dbt.nodes import Node, RefCall

if TYPE_CHECKING:
    from lineage_scan.parsers.dbt.parse import Compiled


@dataclass(frozen=True)
class ParsePass:
    """A node's own `config()` values, refs and sources, as its parse-pass rendering found them."""

    refs: tuple[RefCall, ...]
    sources: tuple[tuple[str, str], ...]
    file_config: dict[str, Any]

    @classmethod
    def of(cls, node: Node) -> ParsePass:
        return cls(tuple(node.refs), tuple(node.sources), node.file_config)

    def apply(self, node: Node) -> None:
        node.refs, node.sources, node.file_config = list(self.refs), list(self.sources), dict(self.file_config)

    def to_data(self) -> Any | None:
        """JSON data, or None when the config holds values JSON would not give back as they are."""
        data = [[[r.package, r.name, r.version] for r in self.refs], [list(s) for s in self.sources], self.file_config]
        try:
            again = json.loads(json.dumps(self.file_config))
        except (TypeError, ValueError, RecursionError):
            return None
        return data if again == self.file_config and _same_types(again, self.file_config) else None

    @classmethod
    def from_data(cls, data: Any) -> ParsePass:
        if not (type(data) is list and len(data) == 3 and type(data[0]) is list and type(data[1]) is list
                and type(data[2]) is dict):
            raise CodecError("not a parse pass")
        return cls(tuple(_ref(r) for r in data[0]), tuple(_source(s) for s in data[1]), data[2])


def _same_types(a: Any, b: Any) -> bool:
    """JSON gives back lists for tuples and equal numbers of another type: the values must match in kind."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True


@dataclass(frozen=True)
class ModelUnit:
    """One node to render and analyse: the relation its SQL writes (``target``) and the known columns
    of the nodes it refs (``visible``: (relation, columns) pairs)."""

    project: str
    unique_id: str
    target: str
    visible: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass
class UnitResult:
    """A unit's analysed SQL, the refs and sources its rendering met and the project-wide values it read."""

    compiled: Compiled
    refs: list[RefCall]
    sources: list[tuple[str, str]]
    touched: frozenset[str] = field(default_factory=frozenset)
    refs_changed: bool = False
    """Rendering with `execute` true met refs or sources the parse pass did not (not cacheable)."""

    def to_data(self, path: str) -> list[Any]:
        """The result as JSON data (``path``: the node's file, the fragment's path)."""
        compiled = self.compiled
        fragment = Fragment(path=path, parser="dbt", relations=compiled.relations, reads=compiled.reads,
                            edges=compiled.edges, diagnostics=compiled.diagnostics, value_facts=compiled.value_facts,
                            statements=compiled.statements, statements_failed=compiled.statements_failed)
        location = compiled.location
        header = {
            "columns": list(compiled.columns) if compiled.columns is not None else None,
            "rendered": compiled.rendered,
            "location": [location.path, location.start_line, location.start_col, location.end_line, location.end_col]
            if location is not None else None,
            "logic": next(i for i, r in enumerate(compiled.relations) if r.logic is compiled.logic)
            if compiled.logic is not None else None,  # the relation it comes from (its statement is long)
            "refs": [[r.package, r.name, r.version] for r in self.refs],
            "sources": [list(s) for s in self.sources],
            "touched": sorted(self.touched),
            "refs_changed": self.refs_changed,
        }
        return [encode_fragment(fragment), header]

    @classmethod
    def from_data(cls, data: Any) -> UnitResult:
        """The result ``data`` encodes; raises `CodecError` for anything else."""
        from lineage_scan.parsers.dbt.parse import Compiled

        if not (type(data) is list and len(data) == 2 and type(data[1]) is dict):
            raise CodecError("not a dbt unit result")
        fragment = decode_fragment(data[0])
        header = data[1]
        columns = header.get("columns")
        location = header.get("location")
        logic = header.get("logic")  # the position of the relation whose logic the model's is
        touched = header.get("touched")
        logic_known = logic is None or (type(logic) is int and 0 <= logic < len(fragment.relations))
        if not ((columns is None or _strings(columns)) and type(header.get("rendered")) is bool
                and (location is None or _location_row(location)) and logic_known
                and _strings(touched) and type(header.get("refs")) is list and type(header.get("sources")) is list
                and type(header.get("refs_changed")) is bool):
            raise CodecError("not a dbt unit result")
        compiled = Compiled(
            columns=tuple(columns) if columns is not None else None,
            edges=fragment.edges,
            reads=fragment.reads,
            relations=fragment.relations,
            diagnostics=fragment.diagnostics,
            value_facts=fragment.value_facts,
            statements=fragment.statements,
            statements_failed=fragment.statements_failed,
            rendered=header["rendered"],
            location=Location(*location) if location is not None else None,
            logic=fragment.relations[logic].logic if logic is not None else None,
        )
        return cls(compiled, [_ref(r) for r in header["refs"]], [_source(s) for s in header["sources"]],
                   frozenset(touched), header["refs_changed"])


def _strings(value: Any) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def _location_row(value: Any) -> bool:
    return (type(value) is list and len(value) == 5 and type(value[0]) is str
            and all(type(v) is int for v in value[1:]))


def _optional_string(value: Any) -> bool:
    return value is None or type(value) is str


def _ref(data: Any) -> RefCall:
    if not (type(data) is list and len(data) == 3 and type(data[1]) is str
            and _optional_string(data[0]) and _optional_string(data[2])):
        raise CodecError("not a ref")
    return RefCall(data[0], data[1], data[2])


def _source(data: Any) -> tuple[str, str]:
    if not (type(data) is list and len(data) == 2 and all(type(v) is str for v in data)):
        raise CodecError("not a source")
    return data[0], data[1]
