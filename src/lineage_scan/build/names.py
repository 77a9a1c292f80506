"""Cross-file relation names: an unqualified `orders` read meets the one produced `*.orders`."""

from __future__ import annotations

from collections.abc import Iterable

from lineage_scan.build.temporary import is_scoped


def resolve_names(produced: Iterable[str], referenced: Iterable[str]) -> dict[str, str]:
    """Map each referenced name that nothing produces to the single produced name it suffixes.

    `orders` -> `analytics.orders` when exactly one produced relation ends in `.orders`; names with
    no match or several matches are left alone (a dangling or ambiguous reference, never a guess).
    A file's temporary table (see `build.temporary`) is never the match of another file's name.
    """
    produced = set(produced)
    by_suffix: dict[str, set[str]] = {}
    for name in produced:
        if is_scoped(name):
            continue
        parts = name.split(".")
        for i in range(1, len(parts)):
            by_suffix.setdefault(".".join(parts[i:]), set()).add(name)
    mapping = {}
    for name in referenced:
        if name in produced:
            continue
        matches = by_suffix.get(name, set())
        if len(matches) == 1:
            mapping[name] = next(iter(matches))
    return mapping
