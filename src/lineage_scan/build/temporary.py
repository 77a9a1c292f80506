"""Temporary tables live in one session: each file's temp tables get names of their own.

Two scripts that both `CREATE TEMP TABLE stage` create two unrelated tables; merged by name they
would chain each script's sources into the other's outputs. Before the merge, a temporary relation
defined in a file is renamed `<name>@<path>` in everything that file's fragment says.
"""

from __future__ import annotations

from dataclasses import replace

from lineage_scan.model import ColumnRef, Fragment, RelationKind

SCOPE_MARK = "@"


def scope_temporary(fragment: Fragment) -> Fragment:
    """``fragment`` with its temporary relations renamed to file-scoped names (a copy when any)."""
    rename = {r.name: f"{r.name}{SCOPE_MARK}{fragment.path}" for r in fragment.relations if r.kind is RelationKind.TEMPORARY}
    if not rename:
        return fragment

    def name(relation: str) -> str:
        return rename.get(relation, relation)

    def column(ref: ColumnRef) -> ColumnRef:
        return replace(ref, table=rename[ref.table]) if ref.table in rename else ref

    def columns(refs: tuple[ColumnRef, ...]) -> tuple[ColumnRef, ...]:
        return tuple(column(ref) for ref in refs)

    return replace(
        fragment,
        relations=[replace(r, name=name(r.name)) for r in fragment.relations],
        reads=[replace(u, source=name(u.source), target=name(u.target)) for u in fragment.reads],
        edges=[replace(e, source=column(e.source), target=column(e.target), candidates=tuple(map(name, e.candidates)))
               for e in fragment.edges],
        metadata=[replace(m, relation=name(m.relation)) for m in fragment.metadata],
        tasks=[replace(t, reads=tuple(map(name, t.reads)), writes=tuple(map(name, t.writes))) for t in fragment.tasks],
        ml_models=[replace(m, features=columns(m.features), target=column(m.target) if m.target else None,
                           keys=columns(m.keys), prediction_time=column(m.prediction_time) if m.prediction_time else None)
                   for m in fragment.ml_models],
        value_facts=[replace(v, source=column(v.source), target=column(v.target)) for v in fragment.value_facts],
    )


def is_scoped(name: str) -> bool:
    """Whether ``name`` is a file-scoped temporary relation (never matched to other files' names)."""
    return SCOPE_MARK in name
