"""The rules engine: each rule reads the graph (and config) and yields findings.

Rules live one per file and are listed, in order, in `RULES`; the rule set itself arrives with the
rules issue (see `../shared/DESIGN.md` for the catalogue and ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lineage_scan.config import Config
from lineage_scan.graph import LineageGraph

Rule = Callable[[LineageGraph, Config], Iterable[object]]

RULES: tuple[Rule, ...] = ()


def run_rules(graph: LineageGraph, config: Config) -> list[object]:
    return [finding for rule in RULES for finding in rule(graph, config)]
