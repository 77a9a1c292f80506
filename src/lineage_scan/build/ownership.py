"""Owners from CODEOWNERS for every relation a file defines and no parser gave an owner."""

from __future__ import annotations

from lineage_scan.graph import LineageGraph
from lineage_scan.model import RelationMeta
from lineage_scan.owners import CodeOwners


def apply_codeowners(graph: LineageGraph, codeowners: CodeOwners) -> None:
    """Give each produced, ownerless relation the CODEOWNERS owners of the file that defines it first."""
    for name in graph.relations():
        info = graph.relation(name)
        if info.owners or not info.produced or not info.locations:
            continue
        owners = codeowners.owners_of(info.locations[0].path)
        if owners:
            graph.add_metadata(RelationMeta(name, owners=tuple(owners)))
