"""The edge syntax of the hand-written YAML cases: `source.col -> target.col : kind [(certainty)]`."""

from __future__ import annotations

import re

EDGE = re.compile(r"^\s*(?P<src>\S+)\s*->\s*(?P<dst>\S+)\s*:\s*(?P<kind>\w+)\s*(?:\((?P<certainty>\w+)\))?\s*$")


def edge_text(item: object) -> str:
    """YAML reads `a -> b : kind` as a one-key mapping; accept that and plain strings."""
    if isinstance(item, dict):
        ((key, value),) = item.items()
        return f"{key} : {value}"
    return str(item)


def parse_edge(item: object) -> tuple[str, str, str, str | None]:
    """(source, target, kind, certainty or None) of one expected edge."""
    match = EDGE.match(edge_text(item))
    assert match, f"bad edge syntax: {item!r}"
    return match["src"], match["dst"], match["kind"], match["certainty"]
