"""Hand-written YAML case files: loading them as pytest parameters, and their edge syntax
`source.col -> target.col : kind [(certainty)]`."""

from __future__ import annotations

import re
from pathlib import Path

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


def load_cases(directory: Path) -> list:
    """Every case of every `*.yml` file in ``directory``, as a pytest parameter named `file::case`."""
    return [
        pytest.param(case, id=f"{file.stem}::{case['name']}")
        for file in sorted(directory.glob("*.yml"))
        for case in yaml.safe_load(file.read_text())["cases"]
    ]
