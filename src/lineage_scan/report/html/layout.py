"""Layered (Sugiyama-style) layout of small directed graphs of boxes whose rows are edge ports.

Pure geometry, no HTML. The steps are the classic ones:

1. cycles are broken by reversing the back edges of a depth-first search (in sorted order, so the
   result does not depend on hash seeds);
2. boxes are layered by longest path, then sources are pulled next to their first successor;
3. edges spanning several layers get a chain of dummy points (one chain per pair of boxes, shared by
   all row-to-row edges between them, so parallel edges stay bundled);
4. boxes are ordered within layers by barycentric sweeps over port positions, keeping the order with
   the fewest (weighted) crossings;
5. vertical coordinates minimise the squared distance of each box to the mean of its neighbours'
   ports, subject to the order and a minimum gap (isotonic regression by pool-adjacent-violators);
6. every edge is routed port → dummy points → port and drawn as horizontal-tangent cubic curves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

LAYER_GAP = 90.0
"""Horizontal space between two layers, where edges curve."""
BOX_GAP = 18.0
"""Vertical space between two boxes of a layer."""
DUMMY_HEIGHT = 4.0
MARGIN = 12.0
ORDER_SWEEPS = 6
PLACE_SWEEPS = 6
SELF_LOOP_REACH = 22.0


@dataclass(frozen=True)
class Box:
    """A node to place: its size and the vertical offset of each row's centre from its top."""

    id: str
    width: float
    height: float
    rows: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """An edge between two boxes, optionally from/to one of their rows (``None``: the box's header)."""

    source: str
    target: str
    source_row: str | None = None
    target_row: str | None = None


@dataclass(frozen=True)
class Layout:
    """Where everything goes: box top-left corners, one SVG path per link (in input order), overall size."""

    positions: dict[str, tuple[int, int]]
    paths: list[str]
    midpoints: list[tuple[int, int]]
    width: int
    height: int
    layers: dict[str, int]


@dataclass
class _Node:
    id: str
    width: float
    height: float
    rows: dict[str, float]
    dummy: bool = False
    layer: int = 0
    y: float = 0.0


def layout(boxes: list[Box], links: list[Link]) -> Layout:
    """Place ``boxes`` left to right along ``links`` and route every link."""
    nodes = {box.id: _Node(box.id, box.width, box.height, dict(box.rows)) for box in boxes}
    pairs = sorted({(link.source, link.target) for link in links if link.source != link.target})
    dag, reversed_pairs = _break_cycles(sorted(nodes), pairs)
    _assign_layers(nodes, dag)
    chains, segments = _insert_dummies(nodes, dag)
    layers = _order(nodes, segments, links, reversed_pairs)
    layer_x, layer_width = _layer_columns(nodes, layers)
    _place_vertically(nodes, layers, segments, links, reversed_pairs)
    height = max((n.y + n.height for n in nodes.values()), default=0.0) + MARGIN
    width = (layer_x[-1] + layer_width[-1] if layers else 0.0) + MARGIN + SELF_LOOP_REACH
    positions = {box.id: (round(layer_x[nodes[box.id].layer]), round(nodes[box.id].y)) for box in boxes}
    paths, midpoints = [], []
    for link in links:
        points = _route(link, nodes, chains, reversed_pairs, layer_x, layer_width)
        paths.append(_path_data(points) if points else _self_loop(link, nodes, layer_x))
        midpoints.append(_midpoint(points) if points else _self_loop_midpoint(link, nodes, layer_x))
    return Layout(positions, paths, midpoints, round(width), round(height),
                  {box.id: nodes[box.id].layer for box in boxes})


# ----------------------------------------------------------------------------- 1. cycles
def _break_cycles(ids: list[str], pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """The pairs with DFS back edges reversed, and the set of original pairs that were reversed."""
    successors: dict[str, list[str]] = defaultdict(list)
    for u, v in pairs:
        successors[u].append(v)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for root in ids:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    dag = sorted({(v, u) if (u, v) in back else (u, v) for u, v in pairs} - {(u, u) for u in ids})
    return dag, back


# ----------------------------------------------------------------------------- 2. layers
def _assign_layers(nodes: dict[str, _Node], dag: list[tuple[str, str]]) -> None:
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for u, v in dag:
        preds[v].append(u)
        succs[u].append(v)
    indegree = {n: len(preds[n]) for n in nodes}
    ready = sorted(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for succ in succs[node]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
        ready.sort()
    for node in order:
        nodes[node].layer = max((nodes[p].layer + 1 for p in preds[node]), default=0)
    for node in reversed(order):  # pull sources (and chains of them) towards what they feed
        if not preds[node] and succs[node]:
            nodes[node].layer = min(nodes[s].layer for s in succs[node]) - 1
    lowest = min((n.layer for n in nodes.values()), default=0)
    for n in nodes.values():
        n.layer -= lowest


# ----------------------------------------------------------------------------- 3. dummies
def _insert_dummies(
    nodes: dict[str, _Node], dag: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], list[str]], list[tuple[str, str]]]:
    """Dummy chains per DAG pair, and the unit-span segments between adjacent layers."""
    chains: dict[tuple[str, str], list[str]] = {}
    segments: list[tuple[str, str]] = []
    for u, v in dag:
        chain = []
        previous = u
        for layer in range(nodes[u].layer + 1, nodes[v].layer):
            dummy = f"\x00{u}\x00{v}\x00{layer}"
            nodes[dummy] = _Node(dummy, 0.0, DUMMY_HEIGHT, {}, dummy=True, layer=layer)
            chain.append(dummy)
            segments.append((previous, dummy))
            previous = dummy
        segments.append((previous, v))
        chains[(u, v)] = chain
    return chains, segments


# ----------------------------------------------------------------------------- 4. order
def _order(
    nodes: dict[str, _Node], segments: list[tuple[str, str]], links: list[Link], reversed_pairs: set[tuple[str, str]]
) -> list[list[str]]:
    count = max((n.layer for n in nodes.values()), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for node_id in sorted(nodes, key=lambda i: (nodes[i].dummy, i)):
        layers[nodes[node_id].layer].append(node_id)
    port_fraction = _port_fractions(nodes, segments, links, reversed_pairs)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for segment in segments:
        weights[segment] += 1
    down: dict[str, list[tuple[str, float, float]]] = defaultdict(list)  # node -> (neighbour above, own frac, its frac)
    up: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (u, v), fractions in port_fraction.items():
        for fu, fv in fractions:
            down[v].append((u, fv, fu))
            up[u].append((v, fu, fv))

    def crossings(order: list[list[str]]) -> int:
        position = {n: i for layer in order for i, n in enumerate(layer)}
        total = 0
        for i in range(len(order) - 1):
            between = [(position[u], position[v], w) for (u, v), w in weights.items() if nodes[u].layer == i]
            for a in range(len(between)):
                pa, qa, wa = between[a]
                for b in range(a + 1, len(between)):
                    pb, qb, wb = between[b]
                    if (pa - pb) * (qa - qb) < 0:
                        total += wa * wb
        return total

    best, best_crossings = [list(layer) for layer in layers], crossings(layers)
    for sweep in range(ORDER_SWEEPS):
        forward = sweep % 2 == 0
        indices = range(1, count) if forward else range(count - 2, -1, -1)
        neighbours = down if forward else up
        for i in indices:
            reference = {n: p for p, n in enumerate(layers[i - 1 if forward else i + 1])}
            barycentres = {}
            for position, node in enumerate(layers[i]):
                ports = [reference[other] + fraction for other, _own, fraction in neighbours[node] if other in reference]
                barycentres[node] = (sum(ports) / len(ports) if ports else float(position), position)
            layers[i] = sorted(layers[i], key=barycentres.__getitem__)
        found = crossings(layers)
        if found < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], found
        if best_crossings == 0:
            break
    return best


def _port_fractions(
    nodes: dict[str, _Node], segments: list[tuple[str, str]], links: list[Link], reversed_pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """For each unit segment, the relative heights (0..1) of the ports of the links it carries."""
    result: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    chain_of: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for u, v in segments:
        start = u if not nodes[u].dummy else u.split("\x00")[1]
        end = v if not nodes[v].dummy else v.split("\x00")[2]
        chain_of[(start, end)].append((u, v))
    for link in links:
        if link.source == link.target:
            continue
        source, target, source_row, target_row = _dag_oriented(link, reversed_pairs)
        fs = _fraction(nodes[source], source_row)
        ft = _fraction(nodes[target], target_row)
        for u, v in chain_of[(source, target)]:
            result[(u, v)].append((fs if u == source else 0.5, ft if v == target else 0.5))
    return result


def _fraction(node: _Node, row: str | None) -> float:
    if row is None or row not in node.rows or node.height <= 0:
        return 0.5 if node.dummy else 0.0
    return node.rows[row] / node.height


def _dag_oriented(link: Link, reversed_pairs: set[tuple[str, str]]) -> tuple[str, str, str | None, str | None]:
    if (link.source, link.target) in reversed_pairs:
        return link.target, link.source, link.target_row, link.source_row
    return link.source, link.target, link.source_row, link.target_row


# ----------------------------------------------------------------------------- 5. coordinates
def _layer_columns(nodes: dict[str, _Node], layers: list[list[str]]) -> tuple[list[float], list[float]]:
    x, widths = [], []
    cursor = MARGIN
    for layer in layers:
        width = max((nodes[n].width for n in layer), default=0.0)
        x.append(cursor)
        widths.append(width)
        cursor += width + LAYER_GAP
    return x, widths


def _place_vertically(
    nodes: dict[str, _Node], layers: list[list[str]], segments: list[tuple[str, str]], links: list[Link],
    reversed_pairs: set[tuple[str, str]],
) -> None:
    offsets: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for (u, v), fractions in _port_fractions(nodes, segments, links, reversed_pairs).items():
        for fu, fv in fractions:
            offsets[(u, v)].append((fu * nodes[u].height, fv * nodes[v].height))
    neighbours: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (u, v), pairs in offsets.items():
        for ou, ov in pairs:
            neighbours[v].append((u, ov, ou))
            neighbours[u].append((v, ou, ov))
    for layer in layers:
        cursor = MARGIN
        for node_id in layer:
            nodes[node_id].y = cursor
            cursor += nodes[node_id].height + BOX_GAP
    order = list(range(len(layers)))
    for sweep in range(PLACE_SWEEPS):
        for i in order if sweep % 2 == 0 else reversed(order):
            desired, weight = [], []
            for node_id in layers[i]:
                wanted = [nodes[other].y + other_offset - own_offset for other, own_offset, other_offset in neighbours[node_id]]
                desired.append(sum(wanted) / len(wanted) if wanted else nodes[node_id].y)
                weight.append(float(len(wanted)) if wanted else 0.25)
            tops = _isotonic_tops(desired, weight, [nodes[n].height for n in layers[i]])
            for node_id, top in zip(layers[i], tops, strict=True):
                nodes[node_id].y = top
    lowest = min((n.y for n in nodes.values()), default=MARGIN)
    for n in nodes.values():
        n.y = float(round(n.y - lowest + MARGIN))


def _isotonic_tops(desired: list[float], weight: list[float], heights: list[float]) -> list[float]:
    """Tops as close as possible (weighted least squares) to ``desired``, in order, ``BOX_GAP`` apart."""
    shift, offset = [], 0.0
    for height in heights:
        shift.append(offset)
        offset += height + BOX_GAP
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for target, w, s in zip(desired, weight, shift, strict=True):
        blocks.append([(target - s) * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, w_total, n = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += w_total
            blocks[-1][2] += n
    values: list[float] = []
    for total, w_total, n in blocks:
        values.extend([total / w_total] * int(n))
    return [v + s for v, s in zip(values, shift, strict=True)]


# ----------------------------------------------------------------------------- 6. routes
def _route(
    link: Link, nodes: dict[str, _Node], chains: dict[tuple[str, str], list[str]],
    reversed_pairs: set[tuple[str, str]], layer_x: list[float], layer_width: list[float],
) -> list[tuple[float, float]]:
    """Points of the link's route, from its source port to its target port ([] for a self-link)."""
    if link.source == link.target:
        return []
    source, target, source_row, target_row = _dag_oriented(link, reversed_pairs)
    s, t = nodes[source], nodes[target]
    points = [(layer_x[s.layer] + s.width, s.y + _offset(s, source_row))]
    for dummy in chains[(source, target)]:
        d = nodes[dummy]
        middle = d.y + DUMMY_HEIGHT / 2
        points += [(layer_x[d.layer], middle), (layer_x[d.layer] + layer_width[d.layer], middle)]
    points.append((layer_x[t.layer], t.y + _offset(t, target_row)))
    if (link.source, link.target) in reversed_pairs:  # drawn backwards: leave from the left, enter on the right
        points = [(x, y) for x, y in reversed(points)]
        first, last = nodes[link.source], nodes[link.target]
        points[0] = (layer_x[first.layer], points[0][1])
        points[-1] = (layer_x[last.layer] + last.width, points[-1][1])
    return points


def _offset(node: _Node, row: str | None) -> float:
    if row is not None and row in node.rows:
        return node.rows[row]
    return min(node.height / 2, 14.0)


def _path_data(points: list[tuple[float, float]]) -> str:
    (x, y), rest = points[0], points[1:]
    parts = [f"M{_n(x)} {_n(y)}"]
    for index, (nx_, ny) in enumerate(rest):
        if index % 2 == 1 and index < len(rest) - 1:  # across a dummy: straight through its layer
            parts.append(f"L{_n(nx_)} {_n(ny)}")
        else:
            middle = (x + nx_) / 2
            parts.append(f"C{_n(middle)} {_n(y)} {_n(middle)} {_n(ny)} {_n(nx_)} {_n(ny)}")
        x, y = nx_, ny
    return "".join(parts)


def _midpoint(points: list[tuple[float, float]]) -> tuple[float, float]:
    middle = (len(points) - 1) // 2
    (x1, y1), (x2, y2) = points[middle], points[middle + 1]
    return round((x1 + x2) / 2), round((y1 + y2) / 2)


def _self_loop(link: Link, nodes: dict[str, _Node], layer_x: list[float]) -> str:
    node = nodes[link.source]
    x = layer_x[node.layer] + node.width
    y1, y2 = node.y + _offset(node, link.source_row), node.y + _offset(node, link.target_row)
    if abs(y1 - y2) < 1:
        y2 = y1 + 8
    reach = x + SELF_LOOP_REACH
    return f"M{_n(x)} {_n(y1)}C{_n(reach)} {_n(y1)} {_n(reach)} {_n(y2)} {_n(x)} {_n(y2)}"


def _self_loop_midpoint(link: Link, nodes: dict[str, _Node], layer_x: list[float]) -> tuple[float, float]:
    node = nodes[link.source]
    y1, y2 = node.y + _offset(node, link.source_row), node.y + _offset(node, link.target_row)
    return round(layer_x[node.layer] + node.width + SELF_LOOP_REACH * 0.75), round((y1 + y2) / 2)


def _n(value: float) -> str:
    return str(round(value))
