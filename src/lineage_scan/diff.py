"""What a change does to the lineage: compare the scans of a base and a head revision.

Reports relations and columns added, removed, renamed or re-derived, the downstream blast radius of
every changed or removed column at column precision (columns, ML models, owners to notify), and the
findings the change introduces or fixes (matched by their stable key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lineage_scan.graph import LineageGraph
from lineage_scan.model import STAR, ColumnRef, EdgeKind, RelationKind

if TYPE_CHECKING:
    from lineage_scan.api import ScanResult

IGNORED_KINDS = (RelationKind.QUERY,)
"""Bare SELECTs are named after their file and line: moving one is not a change worth reporting."""


@dataclass(frozen=True, order=True)
class Rename:
    old: str
    new: str


@dataclass
class BlastRadius:
    """Everything downstream of the changed columns."""

    columns: list[ColumnRef] = field(default_factory=list)
    ml_models: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)


@dataclass
class LineageDiff:
    relations_added: list[str] = field(default_factory=list)
    relations_removed: list[str] = field(default_factory=list)
    relations_renamed: list[Rename] = field(default_factory=list)
    columns_added: list[ColumnRef] = field(default_factory=list)
    columns_removed: list[ColumnRef] = field(default_factory=list)
    columns_renamed: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)
    derivation_changed: list[ColumnRef] = field(default_factory=list)
    blast_radius: BlastRadius = field(default_factory=BlastRadius)
    findings_new: list = field(default_factory=list)
    findings_fixed: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any((
            self.relations_added, self.relations_removed, self.relations_renamed, self.columns_added,
            self.columns_removed, self.columns_renamed, self.derivation_changed, self.findings_new,
            self.findings_fixed,
        ))


def diff_scans(base: ScanResult, head: ScanResult) -> LineageDiff:
    result = LineageDiff()
    old_graph, new_graph = base.graph, head.graph
    old_rel, new_rel = _produced(old_graph), _produced(new_graph)
    added, removed = sorted(new_rel - old_rel), sorted(old_rel - new_rel)
    renames = _relation_renames(old_graph, new_graph, removed, added)
    renamed_old = {r.old for r in renames}
    renamed_new = {r.new for r in renames}
    result.relations_renamed = renames
    result.relations_added = [r for r in added if r not in renamed_new]
    result.relations_removed = [r for r in removed if r not in renamed_old]

    for relation in sorted(old_rel & new_rel):
        old_cols = _columns(old_graph, relation)
        new_cols = _columns(new_graph, relation)
        gone, came = sorted(old_cols - new_cols), sorted(new_cols - old_cols)
        pairs = _column_renames(old_graph, new_graph, relation, gone, came)
        result.columns_renamed.extend(pairs)
        paired_old = {old.column for old, _ in pairs}
        paired_new = {new.column for _, new in pairs}
        result.columns_removed.extend(ColumnRef(relation, c) for c in gone if c not in paired_old)
        result.columns_added.extend(ColumnRef(relation, c) for c in came if c not in paired_new)
        for column in sorted(old_cols & new_cols):
            ref = ColumnRef(relation, column)
            if _derivation(old_graph, ref) != _derivation(new_graph, ref):
                result.derivation_changed.append(ref)

    result.blast_radius = _blast_radius(old_graph, new_graph, result)
    old_keys = {f.key for f in base.findings if not getattr(f, "suppressed", False)}
    new_keys = {f.key for f in head.findings if not getattr(f, "suppressed", False)}
    result.findings_new = sorted((f for f in head.findings if f.key in new_keys - old_keys), key=lambda f: f.key)
    result.findings_fixed = sorted((f for f in base.findings if f.key in old_keys - new_keys), key=lambda f: f.key)
    return result


def _produced(graph: LineageGraph) -> set[str]:
    return {
        name for name in graph.relations()
        if graph.relation(name).produced and graph.relation(name).kind not in IGNORED_KINDS
    }


def _columns(graph: LineageGraph, relation: str) -> set[str]:
    """What the relation's definition produces, or failing that every column seen on it."""
    info = graph.relation(relation)
    return set(info.defined_columns if info.defined_columns is not None else info.columns) - {STAR}


def _derivation(graph: LineageGraph, column: ColumnRef) -> frozenset[tuple[str, str]]:
    """The column's immediate inputs, (source column, kind): what a reviewer means by "how it is made".

    `identity` and `rename` count as one kind, so a renamed column keeps its derivation.
    """
    return frozenset(
        (str(source), EdgeKind.IDENTITY.value if kind == EdgeKind.RENAME else kind.value)
        for source, kind in graph.inputs(column)
    )


def _column_renames(
    old: LineageGraph, new: LineageGraph, relation: str, gone: list[str], came: list[str]
) -> list[tuple[ColumnRef, ColumnRef]]:
    """A removed and an added column of one relation with the same non-empty derivation: a rename."""
    pairs = []
    unmatched = list(came)
    for column in gone:
        before = _derivation(old, ColumnRef(relation, column))
        match = [c for c in unmatched if before and _derivation(new, ColumnRef(relation, c)) == before]
        if len(match) == 1:
            pairs.append((ColumnRef(relation, column), ColumnRef(relation, match[0])))
            unmatched.remove(match[0])
    return pairs


def _relation_renames(old: LineageGraph, new: LineageGraph, removed: list[str], added: list[str]) -> list[Rename]:
    """A removed and an added relation with the same columns and the same upstream relations."""
    renames = []
    candidates = list(added)
    for name in removed:
        signature = (_columns(old, name), set(old.upstream_relations(name)))
        match = [n for n in candidates if signature[0] and (_columns(new, n), set(new.upstream_relations(n))) == signature]
        if len(match) == 1:
            renames.append(Rename(name, match[0]))
            candidates.remove(match[0])
    return renames


def _blast_radius(old: LineageGraph, new: LineageGraph, diff: LineageDiff) -> BlastRadius:
    """Downstream of every changed column: in head for changed/renamed ones, in base for removed ones."""
    affected: set[ColumnRef] = set()
    for column in diff.derivation_changed:
        affected.update(new.downstream(column))
    for _, new_column in diff.columns_renamed:
        affected.update(new.downstream(new_column))
    removed = list(diff.columns_removed) + [old_col for old_col, _ in diff.columns_renamed]
    removed += [ColumnRef(r, c) for r in diff.relations_removed for c in sorted(_columns(old, r))]
    for column in removed:
        affected.update(old.downstream(column))
    roots = set(diff.derivation_changed) | {n for _, n in diff.columns_renamed} | set(removed)
    touched = affected | roots | set(diff.columns_added)  # a new column may be a new feature
    models = sorted({
        m.name for graph in (old, new) for m in graph.ml_models()
        if any(c in touched for c in (*m.features, *([m.target] if m.target else [])))
    })
    owners = sorted({
        owner for graph in (old, new) for column in affected
        if graph.has_relation(column.table or "") for owner in graph.relation(column.table or "").owners
    })
    return BlastRadius(sorted(affected - roots), models, owners)
