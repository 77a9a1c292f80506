"""`LineageGraph`: relations and columns as nodes of a networkx MultiDiGraph, with typed queries.

Node keys are tuples, so names of different node types can never collide:
``("relation", name)``, ``("column", relation, column)``, ``("task", id)`` and ``("model", id)``.
Column-to-column edges are keyed by their kind (one edge per source, target and kind);
relation-to-relation edges (``"reads"``) record that a relation is computed from another even where
no column edge says so (an INSERT ... VALUES, an unexpandable star). Tasks read (``"read"``) and
write (``"write"``) relations and depend on other tasks (``"depends_on"``); ML models take columns
as ``"feature"`` or ``"target"``. Each relation keeps the definitions that write it, and the graph
keeps the value facts (null-to-zero, rates) and Python ML data steps the rules read.

Column edges with the same attributes share one attribute dict, so edge data is read-only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import repeat

import networkx as nx

from lineage_scan.model import (
    DIRECT_KINDS,
    Certainty,
    ColumnEdge,
    ColumnMeta,
    ColumnRef,
    DataStep,
    EdgeKind,
    Location,
    MLModelDef,
    RelationDef,
    RelationKind,
    RelationMeta,
    TaskDef,
    ValueFact,
)

RelationNode = tuple[str, str]
ColumnNode = tuple[str, str, str]
RELATION_DEPENDENCY = "reads"
JOIN = EdgeKind.JOIN.value
TASK_READ, TASK_WRITE, TASK_DEPENDENCY = "read", "write", "depends_on"
FEATURE, TARGET = "feature", "target"


def relation_node(name: str) -> RelationNode:
    return ("relation", name)


def column_node(relation: str, column: str) -> ColumnNode:
    return ("column", relation, column)


def task_node(task_id: str) -> tuple[str, str]:
    return ("task", task_id)


def model_node(model_id: str) -> tuple[str, str]:
    return ("model", model_id)


@dataclass(frozen=True)
class RelationInfo:
    """What the graph knows of a relation."""

    name: str
    kind: RelationKind
    columns: tuple[str, ...]
    declared: bool
    locations: tuple[Location, ...]
    produced: bool
    """True when some file in the repository writes or declares it."""
    defined_columns: tuple[str, ...] | None = None
    """The columns its definition produces (DDL, a schema file, a query with known outputs); None
    when unknown. ``columns`` also lists columns only seen read downstream."""
    description: str | None = None
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()


class LineageGraph:
    """The merged, cross-file lineage of a repository."""

    def __init__(self) -> None:
        self.nx = nx.MultiDiGraph()
        self._value_facts: set[ValueFact] = set()
        self._data_steps: dict[str, DataStep] = {}
        self._listed: set[tuple[tuple, object]] = set()
        """(node, location or definition) pairs already in a node's lists: a file of a hundred thousand
        statements writing the same tables must not cost a list scan per statement."""
        self._relation_names: list[str] = []
        self._model_ids: dict[str, None] = {}
        """The relation and ML model nodes, kept as they are added: rules list them often, and a
        repository has a hundred thousand column nodes to skip."""
        self._joins: dict[str, set[ColumnNode]] = {}
        """Relation -> the source column nodes of the join edges into it, kept by `add_edges` (the only
        writer of column edges): which columns join which relations, without a pass over every edge."""

    # ----------------------------------------------------------------- building
    def add_relation(
        self,
        name: str,
        kind: RelationKind = RelationKind.EXTERNAL,
        location: Location | None = None,
        produced: bool = False,
        declared: bool = False,
    ) -> None:
        node = relation_node(name)
        data = self.nx._node.get(node)
        if data is None:
            self.nx.add_node(node, kind=kind, columns=[], locations=[], produced=False, declared=False)
            data = self.nx._node[node]
            self._relation_names.append(name)
        if produced and (not data["produced"] or data["kind"] == RelationKind.EXTERNAL):
            data["kind"] = kind
        data["produced"] = data["produced"] or produced
        data["declared"] = data["declared"] or declared
        if location is not None and (node, location) not in self._listed:
            self._listed.add((node, location))
            data["locations"].append(location)

    def add_definition(self, definition: RelationDef) -> None:
        """Record a statement (or model) that writes a relation; the relation must exist."""
        node = relation_node(definition.name)
        definitions = self.nx.nodes[node].setdefault("definitions", [])
        if (node, definition) not in self._listed:
            self._listed.add((node, definition))
            definitions.append(definition)

    def add_value_fact(self, fact: ValueFact) -> None:
        self._value_facts.add(fact)

    def add_data_step(self, step: DataStep) -> None:
        self._data_steps[step.id] = step

    def add_column(self, relation: str, column: str) -> None:
        node = column_node(relation, column)
        if node in self.nx._node:
            return
        self.add_relation(relation)
        self.nx.add_node(node)
        self.nx.nodes[relation_node(relation)]["columns"].append(column)

    def add_edge(self, edge: ColumnEdge) -> None:
        """Add a column edge; an ambiguous source is linked from each candidate table."""
        self.add_edges([edge])

    def add_edges(self, edges: Iterable[ColumnEdge]) -> None:
        """Add column edges in order, as `add_edge` does one by one, in one pass.

        Between the same two columns, one edge per kind is kept: the first of the most certain.
        (Written for speed: a repository has hundreds of thousands of edges. Nodes and edges go
        straight into networkx's dicts, in the order `add_column` and `add_edge` would add them.
        Consecutive edges mostly share their source, so what the loop needs of a source is looked up
        once per run of them; a target node is only looked for when its two columns have no edge yet.
        Edges with the same attributes share one attribute dict: a statement's edges mostly do, and
        a dict per edge was a quarter of the graph's memory. So edge data is read-only: to change an
        edge, put a new dict in its place.)
        """
        graph = self.nx
        nodes, succ, pred = graph._node, graph._succ, graph._pred
        rank_of = {certainty: certainty.rank for certainty in Certainty}
        columns_of: dict[str, list[str]] = {}
        """Relation -> its node's column list, for the relations met so far."""
        linked: dict[str, set[str]] = {}
        """Relation -> the relations this call linked it to."""
        joins = self._joins
        shared: dict[tuple, dict] = {}
        """(kind, certainty, id of the location, candidates) -> the attribute dict of the edges that have
        them (the dict holds the location, so its id stays its own while this is in use)."""

        def add_column(relation: str, column: str, node: ColumnNode) -> None:  # `add_column` for a new node
            columns = columns_of.get(relation)
            if columns is None:
                self.add_relation(relation)
                columns = columns_of[relation] = nodes[("relation", relation)]["columns"]
            succ[node] = {}
            pred[node] = {}
            nodes[node] = {}
            columns.append(column)

        def source_of(table: str, column: str) -> tuple[str, ColumnNode, dict, set[str]]:
            """A source column's table, node (added when new), out-adjacency and linked relations."""
            u = ("column", table, column)
            if u not in nodes:
                add_column(table, column, u)
            links = linked.get(table)
            if links is None:
                links = linked[table] = set()
            return table, u, succ[u], links

        last_source = froms = None
        for edge in edges:
            source, target = edge.source, edge.target
            if source is not last_source:
                if source.table:
                    froms = (source_of(source.table, source.column),)
                    last_source = source
                else:  # ambiguous: linked from each candidate table, each node added just before its edge
                    froms = map(source_of, edge.candidates, repeat(source.column))
                    last_source = None
            target_table = target.table or "?"
            v = ("column", target_table, target.column)
            kind = edge.kind._value_
            for table, u, out, links in froms:
                by_key = out.get(v)
                if by_key is None:  # the columns' first edge: the target node and their relations' link may be new too
                    into = pred.get(v)
                    if into is None:
                        add_column(target_table, target.column, v)
                        into = pred[v]
                    by_key = out[v] = into[u] = {}
                    data = None
                    if target_table not in links:
                        links.add(target_table)
                        self._link(("relation", table), ("relation", target_table), edge.location)
                else:
                    data = by_key.get(kind)
                if data is None or rank_of[edge.certainty] < rank_of[data["certainty"]]:
                    attrs = (kind, edge.certainty, id(edge.location), edge.candidates)
                    new = shared.get(attrs)
                    if new is None:
                        new = shared[attrs] = {"kind": edge.kind, "certainty": edge.certainty, "location": edge.location,
                                               "candidates": edge.candidates}
                    by_key[kind] = new
                    if data is None and kind == JOIN:
                        joins.setdefault(target_table, set()).add(u)
        nx._clear_cache(graph)

    def add_metadata(self, meta: RelationMeta) -> None:
        """Merge documentation onto a relation and its columns (first description wins; sets unite)."""
        self.add_relation(meta.relation)
        data = self.nx.nodes[relation_node(meta.relation)]
        if meta.description and not data.get("description"):
            data["description"] = meta.description
        for key in ("owners", "tags", "tests"):
            data[key] = tuple(sorted({*data.get(key, ()), *getattr(meta, key)}))
        data["attributes"] = tuple(sorted({**dict(meta.attributes), **dict(data.get("attributes", ()))}.items()))
        for column in meta.columns:
            self.add_column(meta.relation, column.name)
            self._merge_column_meta(self.nx.nodes[column_node(meta.relation, column.name)], column)

    @staticmethod
    def _merge_column_meta(data: dict, column: ColumnMeta) -> None:
        for key in ("description", "data_type"):
            if getattr(column, key) and not data.get(key):
                data[key] = getattr(column, key)
        for key in ("tests", "tags"):
            data[key] = tuple(sorted({*data.get(key, ()), *getattr(column, key)}))

    def add_task(self, task: TaskDef) -> None:
        node = task_node(task.id)
        self.nx.add_node(node, kind=task.kind, name=task.name, location=task.location, attributes=task.attributes)
        for relation in task.reads:
            self.add_relation(relation)
            self.nx.add_edge(relation_node(relation), node, key=TASK_READ)
        for relation in task.writes:
            self.add_relation(relation)
            self.nx.add_edge(node, relation_node(relation), key=TASK_WRITE)
        for upstream in task.upstream:
            self.nx.add_edge(task_node(upstream), node, key=TASK_DEPENDENCY)

    def add_ml_model(self, model: MLModelDef) -> None:
        node = model_node(model.id)
        self._model_ids[model.id] = None
        self.nx.add_node(node, name=model.name, location=model.location, estimator=model.estimator,
                         attributes=model.attributes, features=model.features, target=model.target,
                         prediction_time=model.prediction_time, keys=model.keys)
        for feature in model.features:
            self.add_column(feature.table or "?", feature.column)
            self.nx.add_edge(column_node(feature.table or "?", feature.column), node, key=FEATURE)
        if model.target is not None:
            self.add_column(model.target.table or "?", model.target.column)
            self.nx.add_edge(column_node(model.target.table or "?", model.target.column), node, key=TARGET)

    def add_dependency(self, source: str, target: str, location: Location | None) -> None:
        self.add_relation(source)
        self.add_relation(target)
        self._link(relation_node(source), relation_node(target), location)
        nx._clear_cache(self.nx)

    def _link(self, u: RelationNode, v: RelationNode, location: Location | None) -> None:
        """`add_dependency` for two relations that exist (what `nx.add_edge` does, without its checks)."""
        by_key = self.nx._succ[u].get(v)
        if by_key is None:
            by_key = self.nx._succ[u][v] = self.nx._pred[v][u] = {}
        if RELATION_DEPENDENCY not in by_key:
            by_key[RELATION_DEPENDENCY] = {"location": location}

    # ----------------------------------------------------------------- relations and columns
    def relations(self) -> list[str]:
        return sorted(self._relation_names)

    def relation(self, name: str) -> RelationInfo:
        data = self.nx._node[relation_node(name)]
        return RelationInfo(
            name=name,
            kind=data["kind"],
            columns=tuple(data["columns"]),
            declared=data["declared"],
            locations=_sorted(data["locations"]),
            produced=data["produced"],
            defined_columns=data.get("defined_columns"),
            description=data.get("description"),
            owners=data.get("owners", ()),
            tags=data.get("tags", ()),
            tests=data.get("tests", ()),
            attributes=data.get("attributes", ()),
        )

    def column_meta(self, column: ColumnRef) -> ColumnMeta:
        data = self.nx.nodes[column_node(column.table or "?", column.column)]
        return ColumnMeta(column.column, data.get("description"), data.get("data_type"),
                          data.get("tests", ()), data.get("tags", ()))

    # ----------------------------------------------------------------- tasks and ML models
    def tasks(self) -> list[TaskDef]:
        return sorted(self._task(node) for node in self.nx if node[0] == "task" and "kind" in self.nx.nodes[node])

    def _task(self, node: tuple[str, str]) -> TaskDef:
        data = self.nx.nodes[node]
        reads = sorted(u[1] for u, _, key in self.nx.in_edges(node, keys=True) if key == TASK_READ)
        writes = sorted(v[1] for _, v, key in self.nx.out_edges(node, keys=True) if key == TASK_WRITE)
        upstream = sorted(u[1] for u, _, key in self.nx.in_edges(node, keys=True) if key == TASK_DEPENDENCY)
        return TaskDef(node[1], data["kind"], data["name"], data["location"], tuple(reads), tuple(writes),
                       tuple(upstream), data["attributes"])

    def ml_models(self) -> list[MLModelDef]:
        models = []
        for model_id in self._model_ids:
            data = self.nx.nodes[model_node(model_id)]
            models.append(MLModelDef(model_id, data["name"], data["location"], data["features"], data["target"],
                                     data["estimator"], data["attributes"], data["prediction_time"], data["keys"]))
        return sorted(models)

    def definitions(self, relation: str) -> tuple[RelationDef, ...]:
        """The statements and models that write ``relation``, sorted (by name, kind, location...)."""
        if not self.has_relation(relation):
            return ()
        return _sorted(self.nx._node[relation_node(relation)].get("definitions", ()), key=_definition_order)

    def value_facts(self) -> list[ValueFact]:
        return sorted(self._value_facts, key=_fact_order)

    def data_steps(self) -> list[DataStep]:
        return [self._data_steps[key] for key in sorted(self._data_steps)]

    def has_relation(self, name: str) -> bool:
        return relation_node(name) in self.nx._node

    def columns_of(self, relation: str) -> tuple[str, ...]:
        data = self.nx._node.get(relation_node(relation))
        return () if data is None else tuple(data["columns"])

    def set_columns(self, relation: str, columns: tuple[str, ...]) -> None:
        """Record the columns a relation's definition produces (listed first, then any others seen)."""
        self.add_relation(relation)
        nodes = self.nx._node
        for column in columns:
            if ("column", relation, column) not in nodes:  # (most are in already: `add_column`'s test, without its calls)
                self.add_column(relation, column)
        data = nodes[relation_node(relation)]
        data["columns"] = list(dict.fromkeys([*columns, *data["columns"]]))
        data["defined_columns"] = tuple(columns)

    def edges_into(
        self, column: ColumnRef, kinds: frozenset[EdgeKind] | None = None
    ) -> list[tuple[ColumnRef, EdgeKind, Certainty, Location | None]]:
        """The column edges ending at ``column`` (only those of ``kinds`` if given): (source, kind,
        certainty, location).

        In the graph's insertion order, which the build makes deterministic (edges are added sorted).
        """
        into = self.nx._pred.get(column_node(column.table or "?", column.column))  # in_edges' order, without its views
        if not into:
            return []
        if kinds is None:
            return [(ColumnRef(u[1], u[2]), d["kind"], d["certainty"], d["location"])
                    for u, by_key in into.items() if u[0] == "column" for d in by_key.values()]
        wanted = _kind_values(kinds)
        return [(ColumnRef(u[1], u[2]), d["kind"], d["certainty"], d["location"])
                for u, by_key in into.items() if u[0] == "column" and not wanted.isdisjoint(by_key)
                for key, d in by_key.items() if key in wanted]

    def edges_out_of(self, column: ColumnRef) -> list[tuple[ColumnRef, EdgeKind, Certainty, Location | None]]:
        """The column edges starting at ``column``: (target, kind, certainty, location), in insertion order."""
        out = self.nx._succ.get(column_node(column.table or "?", column.column))  # out_edges' order, without its views
        if not out:
            return []
        return [(ColumnRef(v[1], v[2]), d["kind"], d["certainty"], d["location"])
                for v, by_key in out.items() if v[0] == "column" for d in by_key.values()]

    def readers(self, relation: str) -> list[str]:
        """Tasks (by id) that read ``relation``."""
        return self._linked(self.nx._succ.get(relation_node(relation), {}), TASK_READ)

    def writers(self, relation: str) -> list[str]:
        """Tasks (by id) that write ``relation``."""
        return self._linked(self.nx._pred.get(relation_node(relation), {}), TASK_WRITE)

    def join_keys(self) -> dict[str, set[ColumnRef]]:
        """Relation -> the columns its join edges come from (the keys it is joined on), for the
        relations that have join edges, in the order they got their first."""
        return {relation: {ColumnRef(u[1], u[2]) for u in sources} for relation, sources in self._joins.items()}

    def column_edges(self) -> Iterator[tuple[ColumnRef, ColumnRef, dict]]:
        for u, v, data in self.nx.edges(data=True):
            if u[0] == "column" and v[0] == "column":
                yield ColumnRef(u[1], u[2]), ColumnRef(v[1], v[2]), data

    def column_edges_into(self, relation: str, column: str) -> Iterator[tuple[ColumnRef, ColumnRef, dict]]:
        """The column edges whose target is ``relation.column``."""
        node = column_node(relation, column)
        if node in self.nx:
            for u, _, data in self.nx.in_edges(node, data=True):
                if u[0] == "column":
                    yield ColumnRef(u[1], u[2]), ColumnRef(relation, column), data

    def relation_edges(self) -> Iterator[tuple[str, str, dict]]:
        for u, out in self.nx._succ.items():  # edges()' order, without its views
            if u[0] == "relation":  # `add_dependency`, the only writer of these edges, links relations
                for v, by_key in out.items():
                    data = by_key.get(RELATION_DEPENDENCY)
                    if data is not None:
                        yield u[1], v[1], data

    def upstream_relations(self, relation: str) -> list[str]:
        """The relations ``relation`` reads, sorted (none for a relation the graph does not hold)."""
        return self._linked(self.nx._pred.get(relation_node(relation), {}), RELATION_DEPENDENCY)

    def downstream_relations(self, relation: str) -> list[str]:
        """The relations that read ``relation``, sorted (none for a relation the graph does not hold)."""
        return self._linked(self.nx._succ.get(relation_node(relation), {}), RELATION_DEPENDENCY)

    @staticmethod
    def _linked(neighbours: dict, key: str) -> list[str]:
        """The sorted names of the neighbours (one side of a node's adjacency) linked by ``key`` edges."""
        return sorted(node[1] for node, by_key in neighbours.items() if key in by_key)

    # ----------------------------------------------------------------- lineage queries
    def upstream(self, column: ColumnRef, direct_only: bool = False, max_depth: int | None = None) -> list[ColumnRef]:
        """Every column the given column is computed from (transitively), sorted."""
        return self._walk(column, forward=False, direct_only=direct_only, max_depth=max_depth)

    def downstream(self, column: ColumnRef, direct_only: bool = False, max_depth: int | None = None) -> list[ColumnRef]:
        """Every column computed from the given column (transitively), sorted."""
        return self._walk(column, forward=True, direct_only=direct_only, max_depth=max_depth)

    def inputs(self, column: ColumnRef) -> list[tuple[ColumnRef, EdgeKind]]:
        """The column's immediate sources with the kind of each edge, sorted."""
        node = column_node(column.table or "?", column.column)
        if node not in self.nx:
            return []
        return sorted(
            ((ColumnRef(u[1], u[2]), data["kind"]) for u, _, data in self.nx.in_edges(node, data=True) if u[0] == "column"),
            key=lambda pair: (pair[0], pair[1].value),
        )

    def outputs(self, column: ColumnRef) -> list[tuple[ColumnRef, EdgeKind]]:
        """The columns computed directly from this one, with the kind of each edge, sorted."""
        node = column_node(column.table or "?", column.column)
        if node not in self.nx:
            return []
        return sorted(
            ((ColumnRef(v[1], v[2]), data["kind"]) for _, v, data in self.nx.out_edges(node, data=True) if v[0] == "column"),
            key=lambda pair: (pair[0], pair[1].value),
        )

    def _walk(self, column: ColumnRef, forward: bool, direct_only: bool, max_depth: int | None) -> list[ColumnRef]:
        start = column_node(column.table or "?", column.column)
        if start not in self.nx:
            return []
        seen = {start}
        queue = deque([(start, 0)])
        while queue:
            node, depth = queue.popleft()
            if max_depth is not None and depth >= max_depth:
                continue
            for neighbour in self._column_neighbours(node, forward, direct_only):
                if neighbour not in seen:
                    seen.add(neighbour)
                    queue.append((neighbour, depth + 1))
        seen.discard(start)
        return sorted(ColumnRef(n[1], n[2]) for n in seen)

    def _column_neighbours(self, node: ColumnNode, forward: bool, direct_only: bool) -> Iterator[ColumnNode]:
        edges = self.nx.out_edges(node, data=True) if forward else self.nx.in_edges(node, data=True)
        for u, v, data in edges:
            other = v if forward else u
            if other[0] != "column" or (direct_only and data["kind"] not in DIRECT_KINDS):
                continue
            yield other

    def paths(self, source: ColumnRef, target: ColumnRef, direct_only: bool = False, limit: int = 100) -> list[list[ColumnRef]]:
        """Simple paths of column edges from ``source`` to ``target`` (at most ``limit``), shortest first."""
        view = self._column_view(direct_only)
        u, v = column_node(source.table or "?", source.column), column_node(target.table or "?", target.column)
        if u not in view or v not in view or not nx.has_path(view, u, v):
            return []
        found: list[list[ColumnRef]] = []
        for path in nx.shortest_simple_paths(nx.DiGraph(view), u, v):
            found.append([ColumnRef(n[1], n[2]) for n in path])
            if len(found) >= limit:
                break
        return found

    def neighbourhood(self, column: ColumnRef, hops: int = 1, direct_only: bool = False) -> list[ColumnRef]:
        """Columns within ``hops`` edges upstream or downstream, the column itself included."""
        up = self.upstream(column, direct_only, hops)
        down = self.downstream(column, direct_only, hops)
        node = column_node(column.table or "?", column.column)
        own = [column] if node in self.nx else []
        return sorted({*up, *down, *own})

    def _column_view(self, direct_only: bool) -> nx.MultiDiGraph:
        def keep_edge(u, v, key) -> bool:
            if u[0] != "column" or v[0] != "column":
                return False
            return not direct_only or self.nx.edges[u, v, key]["kind"] in DIRECT_KINDS

        return nx.subgraph_view(self.nx, filter_node=lambda n: n[0] == "column", filter_edge=keep_edge)


@cache
def _kind_values(kinds: frozenset[EdgeKind]) -> frozenset[str]:
    """The keys of the column edges of ``kinds`` (their values), worked out once per set of kinds:
    a rule asks for the edges into thousands of columns."""
    return frozenset(kind.value for kind in kinds)


def _sorted(items: list, key: Callable | None = None) -> tuple:
    """``tuple(sorted(items, key=key))``, without the sort (and its Python-level comparisons) for one item."""
    return tuple(items) if len(items) < 2 else tuple(sorted(items, key=key))


def _location_order(location: Location | None) -> tuple:
    return (0, location.path, location.start_line, location.start_col, location.end_line, location.end_col) if location else (1,)


def _definition_order(definition: RelationDef) -> tuple:
    return (_location_order(definition.location), definition.mode.value, definition.kind.value)



def _fact_order(fact: ValueFact) -> tuple:
    return (fact.op.value, str(fact.source), str(fact.target), _location_order(fact.location), _location_order(fact.rate))
