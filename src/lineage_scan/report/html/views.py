"""The lineage drawings of the site: which boxes, rows and edges each view shows, laid out.

A view is sketched as boxes (relations, ML models, tasks, "+N more" notes) holding rows (columns)
and edges between boxes or rows; `draw` lays it out (`layout.py`) into a `Drawing` the SVG template
renders. Neighbourhoods are capped per hop and in all, so no drawing holds thousands of nodes
whatever the repository's size; what is left out is summarised in a "+N more" box that links to
where the rest is listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from lineage_scan.model import Certainty, MLModelDef, TaskDef
from lineage_scan.report.html import urls
from lineage_scan.report.html.catalog import Catalog, Column, ColumnLink
from lineage_scan.report.html.findings import FindingView
from lineage_scan.report.html.layout import Box, Link, layout

CHAR_WIDTH = 7.3
"""Advance of one character of the drawings' 12px monospace font."""
HEADER_HEIGHT = 38
ROW_HEIGHT = 20
MIN_BOX_WIDTH = 130.0
MAX_LABEL_CHARS = 44
RELATION_HOP_LIMIT, RELATION_LIMIT = 12, 36
COLUMN_HOP_LIMIT, COLUMN_LIMIT = 40, 120
OWN_COLUMN_LIMIT = 80
BUNDLE_MIN = 3
"""Indirect links from one column to at least this many columns of a relation (all of them drawn) are drawn as one."""
DAG_TASK_LIMIT = 80

RELATION_DEPTHS = (1, 2, 3)
COLUMN_DEPTHS = (1, 2)
MODEL_DEPTH = 3
BADGES = {Certainty.INFERRED: "~", Certainty.AMBIGUOUS: "?", Certainty.UNRESOLVED: "!"}


# ----------------------------------------------------------------------------- the drawing
@dataclass
class DrawnRow:
    id: str
    label: str
    title: str
    href: str | None
    y: float
    anchor: str | None = None
    steps: tuple[int, ...] = ()
    """Numbers of the finding's path steps at this column (a step can revisit one)."""


@dataclass
class DrawnBox:
    id: str
    kind: str
    label: str
    title: str
    subtitle: str
    href: str | None
    x: float
    y: float
    width: float
    height: float
    focus: bool
    rows: list[DrawnRow]


@dataclass
class DrawnEdge:
    source: str
    target: str
    style: str
    certainty: str
    path: str
    note: str
    """What the edge means, without its ends (the page's script names them: `a.x → b.y: note`)."""
    badge: str
    label: str
    mid: tuple[float, float]
    highlighted: bool


@dataclass
class Drawing:
    id: str
    title: str
    boxes: list[DrawnBox]
    edges: list[DrawnEdge]
    width: float
    height: float
    focus: str | None
    styles: tuple[str, ...]
    """The edge styles present, so the legend lists only what is drawn."""

    @property
    def empty(self) -> bool:
        return len(self.boxes) <= 1 and not self.edges


# ----------------------------------------------------------------------------- the sketch
@dataclass
class _Row:
    key: Hashable
    label: str
    href: str | None
    anchor: str | None
    steps: tuple[int, ...] = ()


@dataclass
class _Box:
    key: Hashable
    kind: str
    label: str
    subtitle: str
    href: str | None
    focus: bool = False
    rows: dict[Hashable, _Row] = field(default_factory=dict)


@dataclass
class _Edge:
    source: tuple[Hashable, Hashable | None]
    target: tuple[Hashable, Hashable | None]
    style: str
    certainty: Certainty | None
    note: str
    label: str = ""
    highlighted: bool = False


class Sketch:
    """Boxes, rows and edges of a view before layout, keyed by the caller's own keys."""

    def __init__(self, catalog: Catalog, root: str, drawing_id: str, title: str) -> None:
        self.catalog = catalog
        self.root = root
        self.id = drawing_id
        self.title = title
        self.boxes: dict[Hashable, _Box] = {}
        self.edges: list[_Edge] = []
        self._edge_keys: set[tuple] = set()

    def signature(self) -> tuple:
        """What the sketch shows (boxes, rows, edge count): equal signatures draw the same picture."""
        return tuple((key, tuple(box.rows)) for key, box in self.boxes.items()), len(self.edges)

    def relation(self, name: str, focus: bool = False) -> _Box:
        key = ("relation", name)
        box = self.boxes.get(key)
        if box is not None:
            box.focus |= focus
            return box
        info = self.catalog.relations.get(name)
        if info is None:
            subtitle = "unknown relation"
        else:
            subtitle = f"{info.kind.value if info.produced else 'external'} · {_count(len(info.columns), 'column')}"
        box = self.boxes[key] = _Box(key, "relation", name, subtitle, self.root + urls.relation_page(name), focus)
        return box

    def column(self, column: Column) -> tuple[Hashable, Hashable]:
        box = self.boxes.get(("relation", column[0])) or self.relation(column[0])
        if column not in box.rows:
            box.rows[column] = _Row(column, column[1], self.root + urls.column_url(*column), urls.column_anchor(column[1]))
        return box.key, column

    def note(self, key: Hashable, label: str, subtitle: str, href: str | None) -> _Box:
        self.boxes[key] = _Box(key, "more", label, subtitle, href)
        return self.boxes[key]

    def edge(self, source: tuple[Hashable, Hashable | None], target: tuple[Hashable, Hashable | None], style: str,
             certainty: Certainty | None, note: str, label: str = "", highlighted: bool = False) -> None:
        key = (source, target, style)
        if key in self._edge_keys:
            return
        self._edge_keys.add(key)
        self.edges.append(_Edge(source, target, style, certainty, note, label, highlighted))

    def column_links(self, links: Iterable[ColumnLink]) -> None:
        """Draw column links; a column whose indirect links reach every drawn column of a relation
        (typically a join key or a filter) gets one edge to the relation's header instead of one each."""
        links = list(links)
        for link in links:
            self.column(link.source)
            self.column(link.target)
        indirect: dict[tuple[Column, str], list[ColumnLink]] = {}
        reached: dict[tuple[Column, str], set[Column]] = {}
        for link in links:
            reached.setdefault((link.source, link.target[0]), set()).add(link.target)
            if not link.direct:
                indirect.setdefault((link.source, link.target[0]), []).append(link)
        bundled = set()
        for (source, relation), group in indirect.items():
            drawn = sum(1 for key in self.boxes[("relation", relation)].rows if isinstance(key, tuple))
            if len(group) >= BUNDLE_MIN and len(reached[(source, relation)]) == drawn:
                kinds = ", ".join(sorted({kind.replace("_", " ") for link in group for kind in link.kinds}))
                certainty = max((link.certainty for link in group), key=lambda c: c.rank)
                self.edge(self.column(source), (("relation", relation), None), "indirect", certainty,
                          f"{kinds}, for every column drawn ({len(group)})")
                bundled.add((source, relation))
        for link in links:
            if link.direct or (link.source, link.target[0]) not in bundled:
                self.column_link(link)
        # A bundled column affects every drawn row of the relation: its direct links stay drawn as such.

    def column_link(self, link: ColumnLink, highlighted: bool = False) -> None:
        self.edge(self.column(link.source), self.column(link.target), "direct" if link.direct else "indirect",
                  link.certainty, link.label, label=link.label if highlighted else "", highlighted=highlighted)


def draw(sketch: Sketch) -> Drawing:
    """Lay the sketch out and give every box and row a short local id (``b3``, ``b3.7``)."""
    ids: dict[Hashable, str] = {}
    row_ids: dict[tuple[Hashable, Hashable], str] = {}
    boxes_in: list[Box] = []
    order = sorted(sketch.boxes.values(), key=lambda b: (not b.focus, b.kind != "relation", str(b.key)))
    sized = {}
    row_orders = {box.key: _row_order(sketch.catalog, box) for box in order}
    for number, box in enumerate(order):
        ids[box.key] = f"b{number}"
        label = _clip(box.label)
        # a row's label, clipped, and room for its step numbers (the first fits in the margin)
        longest_row = max((min(len(r.label), MAX_LABEL_CHARS) + 3 * max(0, len(r.steps) - 1) for r in box.rows.values()),
                          default=0)
        width = max(MIN_BOX_WIDTH, (max(len(label), len(box.subtitle), longest_row + 3) + 3) * CHAR_WIDTH)
        rows = {}
        for index, row_key in enumerate(row_orders[box.key]):
            row_ids[(box.key, row_key)] = f"b{number}.{index}"
            rows[row_ids[(box.key, row_key)]] = HEADER_HEIGHT + ROW_HEIGHT * index + ROW_HEIGHT // 2
        height = HEADER_HEIGHT + ROW_HEIGHT * len(rows) + (4 if rows else 0)
        sized[box.key] = (round(width), height, rows)
        boxes_in.append(Box(ids[box.key], round(width), height, rows))

    def endpoint(point: tuple[Hashable, Hashable | None]) -> tuple[str, str | None]:
        box_key, row_key = point
        return ids[box_key], (row_ids[(box_key, row_key)] if row_key is not None else None)

    links = []
    for edge in sketch.edges:
        (source, source_row), (target, target_row) = endpoint(edge.source), endpoint(edge.target)
        links.append(Link(source, target, source_row, target_row))
    placed = layout(boxes_in, links)
    boxes_out = []
    for box in order:
        box_id = ids[box.key]
        width, height, rows = sized[box.key]
        x, y = placed.positions[box_id]
        drawn_rows = [
            DrawnRow(row_ids[(box.key, key)], _clip(row.label), row.label, row.href, rows[row_ids[(box.key, key)]],
                     row.anchor, row.steps)
            for key, row in ((k, box.rows[k]) for k in row_orders[box.key])
        ]
        boxes_out.append(DrawnBox(box_id, box.kind, _clip(box.label), box.label, box.subtitle, box.href, x, y, width,
                                  height, box.focus, drawn_rows))
    edges_out = []
    for edge, link, path, mid in zip(sketch.edges, links, placed.paths, placed.midpoints, strict=True):
        certainty = edge.certainty.value if edge.certainty else ""
        edges_out.append(DrawnEdge(
            link.source_row or link.source, link.target_row or link.target, edge.style, certainty, path, edge.note,
            BADGES.get(edge.certainty, "") if edge.certainty else "", edge.label, mid, edge.highlighted,
        ))
    focus = next((ids[b.key] for b in order if b.focus), None)
    styles = tuple(sorted({e.style for e in sketch.edges} | {"certainty:" + e.certainty.value for e in sketch.edges if e.certainty}
                          | ({"highlighted"} if any(e.highlighted for e in sketch.edges) else set())))
    return Drawing(sketch.id, sketch.title, boxes_out, edges_out, placed.width, placed.height, focus, styles)


def _row_order(catalog: Catalog, box: _Box) -> list[Hashable]:
    """Rows in the relation's own column order; notes ("+N more") last."""
    if box.kind != "relation":
        return list(box.rows)
    position = {name: i for i, name in enumerate(catalog.columns(box.key[1]))}
    return sorted(box.rows, key=lambda k: (not isinstance(k, tuple), position.get(k[1], len(position)) if isinstance(k, tuple) else 0, str(k)))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# ----------------------------------------------------------------------------- neighbourhoods
@dataclass
class Reach:
    """Nodes found within some hops of a start set, and what the caps left out (per hop)."""

    hops: dict[Hashable, int]
    hidden: dict[int, tuple[Hashable, int]]
    """hop -> (the reached node with the most left-out neighbours, how many were left out at that hop)."""


def reach(start: Iterable[Hashable], neighbours: Callable[[Hashable], Iterable[Hashable]], depth: int,
          per_hop: int, total: int) -> Reach:
    """Breadth-first neighbours of ``start`` up to ``depth`` hops, at most ``per_hop`` new ones per hop.

    When a hop has more candidates than room, those linked to the most reached nodes are kept (then by
    name), so the drawing keeps the best-connected part of the neighbourhood.
    """
    hops: dict[Hashable, int] = {node: 0 for node in start}
    frontier = sorted(hops, key=str)
    hidden: dict[int, tuple[Hashable, int]] = {}
    added = 0
    for hop in range(1, depth + 1):
        parents: dict[Hashable, list[Hashable]] = {}
        for node in frontier:
            for other in neighbours(node):
                if other not in hops:
                    parents.setdefault(other, []).append(node)
        ranked = sorted(parents, key=lambda n: (-len(parents[n]), str(n)))
        room = max(0, min(per_hop, total - added))
        kept, dropped = ranked[:room], ranked[room:]
        added += len(kept)
        if dropped:
            blame = Counter(parents[n][0] for n in dropped)
            hidden[hop] = (min(blame, key=lambda n: (-blame[n], str(n))), len(dropped))
        for node in kept:
            hops[node] = hop
        frontier = kept
        if not frontier:
            break
    return Reach(hops, hidden)


def relation_view(catalog: Catalog, name: str, depth: int, root: str) -> Drawing:
    return draw(relation_sketch(catalog, name, depth, root))


def relation_sketch(catalog: Catalog, name: str, depth: int, root: str) -> Sketch:
    """Relations up to ``depth`` hops upstream and downstream of ``name``, edges styled from their columns."""
    sketch = Sketch(catalog, root, f"rel{depth}", f"Relation lineage of {name}, {_count(depth, 'hop')} up and down")
    sketch.relation(name, focus=True)
    for direction, neighbours in (("upstream", catalog.upstream), ("downstream", catalog.downstream)):
        found = reach([name], lambda n, nb=neighbours: nb.get(n, ()), depth, RELATION_HOP_LIMIT, RELATION_LIMIT // 2)
        for other in found.hops:
            sketch.relation(other)
        for hop, (parent, count) in sorted(found.hidden.items()):
            note = sketch.note(("more", direction, hop), f"+{count} more", f"{direction}, hop {hop}",
                               root + urls.relation_page(parent) + f"#{direction}")
            ends = ((note.key, None), (("relation", parent), None))
            sketch.edge(*(ends if direction == "upstream" else ends[::-1]), "more", None, f"{count} more {direction} relations not drawn")
    drawn = {key[1] for key, box in sketch.boxes.items() if box.kind == "relation"}
    for source in sorted(drawn):
        for target in catalog.downstream.get(source, ()):
            if target in drawn:
                _relation_edge(sketch, catalog, source, target)
    return sketch


def _relation_edge(sketch: Sketch, catalog: Catalog, source: str, target: str, highlighted: bool = False) -> None:
    link = catalog.relation_link(source, target)
    if link.direct:
        style, how = "direct", "direct" + (" and indirect" if link.indirect else "")
    elif link.indirect:
        style, how = "indirect", "indirect only (join, filter, group by...)"
    else:
        style, how = "reads", "read, no column lineage"
    note = how + (f"; feeds {_count(link.columns, 'column')}" if link.columns else "")
    sketch.edge((("relation", source), None), (("relation", target), None), style, link.certainty, note,
                highlighted=highlighted)


def column_view(catalog: Catalog, name: str, depth: int, root: str) -> Drawing:
    return draw(column_sketch(catalog, name, depth, root))


def column_sketch(catalog: Catalog, name: str, depth: int, root: str) -> Sketch:
    """The relation's columns with the columns up to ``depth`` hops upstream and downstream of them."""
    sketch = Sketch(catalog, root, f"col{depth}", f"Column lineage of {name}, {_count(depth, 'hop')} up and down")
    own = catalog.columns(name)
    sketch.relation(name, focus=True)
    for column in own[:OWN_COLUMN_LIMIT]:
        sketch.column((name, column))
    if len(own) > OWN_COLUMN_LIMIT:
        box = sketch.boxes[("relation", name)]
        box.rows["more"] = _Row("more", f"+{len(own) - OWN_COLUMN_LIMIT} more columns", root + urls.relation_page(name) + "#columns", None)
    start = [(name, column) for column in own[:OWN_COLUMN_LIMIT]]
    reached: set[Column] = set(start)
    for direction, links, end in (("upstream", catalog.column_in, "source"), ("downstream", catalog.column_out, "target")):
        found = reach(start, lambda c, ls=links, e=end: [getattr(link, e) for link in ls.get(c, ())], depth,
                      COLUMN_HOP_LIMIT, COLUMN_LIMIT // 2)
        reached.update(found.hops)
        for hop, (parent, count) in sorted(found.hidden.items()):
            note = sketch.note(("more", direction, hop), f"+{count} more columns", f"{direction}, hop {hop}",
                               root + urls.column_url(*parent))
            ends = ((note.key, None), sketch.column(parent))
            sketch.edge(*(ends if direction == "upstream" else ends[::-1]), "more", None, f"{count} more {direction} columns not drawn")
    # edges among the reached columns, found from their sources: a join key can feed thousands of columns,
    # but a column is computed from a handful
    sketch.column_links(link for column in sorted(reached) for link in catalog.column_in.get(column, ()) if link.source in reached)
    return sketch


def model_view(catalog: Catalog, model: MLModelDef, root: str) -> Drawing:
    """An ML model, its feature and target columns, and what they are computed from."""
    sketch = Sketch(catalog, root, "model", f"Lineage of ML model {model.name}")
    model_box = sketch.boxes.setdefault(("model", model.id), _Box(("model", model.id), "model", model.name,
                                                                   model.estimator or "ML model", None, focus=True))
    inputs = [(c, "feature") for c in model.features] + ([(model.target, "target")] if model.target else [])
    start = []
    for column, role in inputs:
        ref = (column.table or "?", column.column)
        start.append(ref)
        sketch.edge(sketch.column(ref), (model_box.key, None), role, None, f"the model's {role}",
                    label="target" if role == "target" else "")
    found = reach(start, lambda c: [link.source for link in catalog.column_in.get(c, ())], MODEL_DEPTH,
                  COLUMN_HOP_LIMIT, COLUMN_LIMIT)
    sketch.column_links(link for column in sorted(found.hops) for link in catalog.column_in.get(column, ()) if link.source in found.hops)
    for hop, (parent, count) in sorted(found.hidden.items()):
        note = sketch.note(("more", hop), f"+{count} more columns", f"upstream, hop {hop}", root + urls.column_url(*parent))
        sketch.edge((note.key, None), sketch.column(parent), "more", None, f"{count} more upstream columns not drawn")
    return draw(sketch)


def dag_view(catalog: Catalog, dag_id: str, tasks: list[TaskDef], root: str) -> Drawing | None:
    """The tasks of one DAG and their dependencies (None when too many to draw)."""
    if len(tasks) > DAG_TASK_LIMIT:
        return None
    sketch = Sketch(catalog, root, "dag", f"Tasks of DAG {dag_id}")
    ids = {task.id for task in tasks}
    for task in tasks:
        attributes = dict(task.attributes)
        key = ("task", task.id)
        sketch.boxes[key] = _Box(key, "task", task.name, attributes.get("operator") or task.kind,
                                 f"#{urls.task_anchor(task.id)}")
    for task in tasks:
        for upstream in task.upstream:
            if upstream in ids:
                sketch.edge((("task", upstream), None), (("task", task.id), None), "depends_on", None, "runs before")
    return draw(sketch)


def finding_view(catalog: Catalog, finding: FindingView, root: str, drawing_id: str) -> Drawing | None:
    """The column steps of the finding's lineage path, numbered as in the whole path, each hop highlighted.

    Steps that are not columns (a Python call, say) are listed on the page but not drawn; the hop
    across one joins the columns before and after it. A path through one column only is not drawn.
    """
    if len({column for _, column in finding.column_steps}) < 2:
        return None
    sketch = Sketch(catalog, root, drawing_id, f"Lineage path of finding {finding.rule}: {finding.message}")
    points = []
    for number, column in finding.column_steps:
        point = sketch.column((column.table or "?", column.column))
        row = sketch.boxes[point[0]].rows[point[1]]
        row.steps = (*row.steps, number)
        if not points or points[-1] != point:
            points.append(point)
    for a, b in pairwise(points):
        _path_edge(sketch, catalog, a, b)
    return draw(sketch)


def _path_edge(sketch: Sketch, catalog: Catalog, a: tuple[Hashable, Column], b: tuple[Hashable, Column]) -> None:
    """The graph's own edge between two consecutive path columns (either direction), or a plain path edge."""
    for source, target in ((a[1], b[1]), (b[1], a[1])):
        link = next((li for li in catalog.column_out.get(source, ()) if li.target == target), None)
        if link is not None:
            sketch.column_link(link, highlighted=True)
            return
    sketch.edge(a, b, "path", None, "next step of the finding's path", highlighted=True)
