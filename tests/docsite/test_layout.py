"""The layered layout: edges run left to right, boxes never overlap, cycles and long edges are handled."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_scan.report.html.layout import BOX_GAP, Box, Link, _isotonic_tops, layout


def boxes(*ids: str, height: float = 30.0) -> list[Box]:
    return [Box(i, 100.0, height) for i in ids]


def overlaps(result, items: list[Box]) -> list[tuple[str, str]]:
    found = []
    for a in items:
        for b in items:
            if a.id < b.id:
                (ax, ay), (bx, by) = result.positions[a.id], result.positions[b.id]
                if ax < bx + b.width and bx < ax + a.width and ay < by + b.height and by < ay + a.height:
                    found.append((a.id, b.id))
    return found


def test_chain_goes_left_to_right_in_layers() -> None:
    items = boxes("a", "b", "c")
    result = layout(items, [Link("a", "b"), Link("b", "c")])
    assert result.layers == {"a": 0, "b": 1, "c": 2}
    xs = [result.positions[i][0] for i in "abc"]
    assert xs == sorted(xs) and len(set(xs)) == 3


def test_source_is_pulled_next_to_what_it_feeds() -> None:
    # a -> b -> c -> d, and s feeds only d: s belongs in the layer before d, not in layer 0.
    items = boxes("a", "b", "c", "d", "s")
    result = layout(items, [Link("a", "b"), Link("b", "c"), Link("c", "d"), Link("s", "d")])
    assert result.layers["s"] == 2
    assert result.layers["d"] == 3


def test_long_edge_is_routed_through_the_layers_it_crosses() -> None:
    items = boxes("a", "b", "c")
    result = layout(items, [Link("a", "b"), Link("b", "c"), Link("a", "c")])
    a_to_c = result.paths[2]
    # one curve into the middle layer, a straight run across it, one curve out
    assert a_to_c.count("C") == 2 and a_to_c.count("L") == 1


def test_cycle_is_laid_out_and_the_back_edge_drawn_leftwards() -> None:
    items = boxes("a", "b")
    result = layout(items, [Link("a", "b"), Link("b", "a")])
    assert result.layers == {"a": 0, "b": 1}
    start_x = float(re.match(r"M(-?[\d.]+)", result.paths[1]).group(1))
    end_x = float(re.findall(r"(-?[\d.]+) -?[\d.]+$", result.paths[1])[0])
    assert start_x == result.positions["b"][0]  # leaves b from its left side
    assert end_x == result.positions["a"][0] + 100  # enters a on its right side


def test_self_link_is_a_loop_on_the_right() -> None:
    items = [Box("t", 100.0, 80.0, {"x": 48.0, "y": 68.0})]
    result = layout(items, [Link("t", "t", "x", "y")])
    x, y = result.positions["t"]
    assert result.paths[0].startswith(f"M{x + 100:g} {y + 48:g}")


def test_rows_are_ports() -> None:
    items = [Box("s", 100.0, 80.0, {"r1": 48.0, "r2": 68.0}), Box("t", 100.0, 40.0)]
    result = layout(items, [Link("s", "t", "r2", None)])
    sx, sy = result.positions["s"]
    assert result.paths[0].startswith(f"M{sx + 100:g} {sy + 68:g}")


def test_crossings_are_removed_by_ordering() -> None:
    # a1->b2 and a2->b1 cross in the initial (sorted) order; barycentric sweeps uncross them.
    items = boxes("a1", "a2", "b1", "b2")
    result = layout(items, [Link("a1", "b2"), Link("a2", "b1")])
    ys = {k: v[1] for k, v in result.positions.items()}
    assert (ys["a1"] < ys["a2"]) == (ys["b2"] < ys["b1"])


def test_isotonic_tops_keep_order_and_gap() -> None:
    # Both want to sit at 0: the least-squares answer splits the difference around 0.
    tops = _isotonic_tops([0.0, 0.0], [1.0, 1.0], [10.0, 10.0])
    assert tops == [-(10 + BOX_GAP) / 2, (10 + BOX_GAP) / 2]
    # Already far apart: left where they want to be.
    assert _isotonic_tops([0.0, 500.0], [1.0, 1.0], [10.0, 10.0]) == [0.0, 500.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=30),
       st.lists(st.integers(20, 120), min_size=10, max_size=10))
def test_any_graph_lays_out_without_overlap(pairs: list[tuple[int, int]], heights: list[int]) -> None:
    items = [Box(f"n{i}", 80.0 + 7 * i, float(h)) for i, h in enumerate(heights)]
    links = [Link(f"n{a}", f"n{b}") for a, b in pairs]
    result = layout(items, links)
    assert overlaps(result, items) == []
    assert len(result.paths) == len(links)
    for link in links:
        if link.source != link.target:  # linked boxes never share a layer (after reversing back edges)
            assert result.layers[link.source] != result.layers[link.target]
    again = layout(items, links)
    assert again == result  # deterministic
