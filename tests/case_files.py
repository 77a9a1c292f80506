"""Hand-written YAML case files: loading them as pytest parameters, and their edge syntax
`source.col -> target.col : kind [(certainty)]`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def assert_edges(actual: dict[tuple[str, str, str], Any], expected_items: list) -> None:
    """The edges found (keyed by (source, target, kind), each with a `.certainty`) are exactly the
    expected ones, with the certainty an expected edge names."""
    expected = [parse_edge(item) for item in expected_items]
    missing = sorted(f"{s} -> {d} : {k}" for s, d, k, _ in expected if (s, d, k) not in actual)
    extra = sorted(f"{s} -> {d} : {k}" for (s, d, k) in actual if (s, d, k) not in {e[:3] for e in expected})
    assert not missing and not extra, f"\nmissing: {missing}\nextra:   {extra}"
    for source, target, kind, certainty in expected:
        if certainty:
            got = actual[(source, target, kind)].certainty.value
            assert got == certainty, f"{source} -> {target} : {kind}: certainty {got}, expected {certainty}"


def load_cases(directory: Path) -> list:
    """Every case of every `*.yml` file in ``directory``, as a pytest parameter named `file::case`."""
    return [
        pytest.param(case, id=f"{file.stem}::{case['name']}")
        for file in sorted(directory.glob("*.yml"))
        for case in yaml.safe_load(file.read_text())["cases"]
    ]
