"""LineageGraph queries on small hand-built graphs, including cycles."""

from __future__ import annotations

from lineage_scan.graph import LineageGraph
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Location


def col(text: str) -> ColumnRef:
    table, column = text.rsplit(".", 1)
    return ColumnRef(table, column)


def graph_of(*edges: tuple[str, str, EdgeKind]) -> LineageGraph:
    graph = LineageGraph()
    for source, target, kind in edges:
        graph.add_edge(ColumnEdge(col(source), col(target), kind))
    return graph


def test_upstream_and_downstream_are_transitive() -> None:
    graph = graph_of(
        ("raw.a.x", "stg.b.x", EdgeKind.IDENTITY),
        ("stg.b.x", "mart.c.total", EdgeKind.AGGREGATE),
        ("raw.a.flag", "stg.b.x", EdgeKind.FILTER),
    )
    assert graph.upstream(col("mart.c.total")) == [col("raw.a.flag"), col("raw.a.x"), col("stg.b.x")]
    assert graph.upstream(col("mart.c.total"), direct_only=True) == [col("raw.a.x"), col("stg.b.x")]
    assert graph.downstream(col("raw.a.flag")) == [col("mart.c.total"), col("stg.b.x")]
    assert graph.upstream(col("mart.c.total"), max_depth=1) == [col("stg.b.x")]


def test_queries_terminate_on_cycles() -> None:
    graph = graph_of(
        ("v1.t.a", "v2.t.a", EdgeKind.IDENTITY),
        ("v2.t.a", "v1.t.a", EdgeKind.IDENTITY),
    )
    assert graph.upstream(col("v1.t.a")) == [col("v2.t.a")]
    assert graph.downstream(col("v1.t.a")) == [col("v2.t.a")]
    assert graph.paths(col("v1.t.a"), col("v2.t.a")) == [[col("v1.t.a"), col("v2.t.a")]]


def test_paths_and_neighbourhood() -> None:
    graph = graph_of(
        ("a.t.x", "b.t.x", EdgeKind.IDENTITY),
        ("b.t.x", "c.t.y", EdgeKind.TRANSFORM),
        ("a.t.x", "c.t.y", EdgeKind.JOIN),
        ("c.t.y", "d.t.z", EdgeKind.IDENTITY),
    )
    assert graph.paths(col("a.t.x"), col("c.t.y")) == [
        [col("a.t.x"), col("c.t.y")],
        [col("a.t.x"), col("b.t.x"), col("c.t.y")],
    ]
    assert graph.paths(col("a.t.x"), col("c.t.y"), direct_only=True) == [[col("a.t.x"), col("b.t.x"), col("c.t.y")]]
    assert graph.paths(col("d.t.z"), col("a.t.x")) == []
    assert graph.neighbourhood(col("b.t.x"), hops=1) == [col("a.t.x"), col("b.t.x"), col("c.t.y")]


def test_ambiguous_edge_links_every_candidate() -> None:
    graph = LineageGraph()
    graph.add_edge(ColumnEdge(ColumnRef(None, "id"), col("q.out.id"), EdgeKind.IDENTITY, Certainty.AMBIGUOUS,
                              candidates=("orders", "customers")))
    assert graph.upstream(col("q.out.id")) == [ColumnRef("customers", "id"), ColumnRef("orders", "id")]
    assert graph.upstream_relations("q.out") == ["customers", "orders"]
    assert graph.downstream_relations("orders") == ["q.out"]


def test_relations_the_graph_does_not_hold_have_no_neighbours() -> None:
    """Like `upstream` for an unknown column: an empty answer rather than a KeyError."""
    graph = LineageGraph()
    graph.add_edge(ColumnEdge(col("a.t.x"), col("b.t.x"), EdgeKind.IDENTITY, Certainty.RESOLVED))
    assert graph.upstream_relations("b.t") == ["a.t"]
    assert graph.upstream_relations("nowhere.t") == []
    assert graph.downstream_relations("nowhere.t") == []


def test_add_edges_in_one_pass_is_add_edge_one_by_one() -> None:
    """`add_edges` looks a source up once per run of edges sharing it: nodes, adjacency, edge data
    and join keys must come out as adding the edges one at a time does, in the same orders."""
    shared = col("raw.a.x")
    edges = [
        ColumnEdge(shared, col("stg.b.x"), EdgeKind.IDENTITY, Certainty.INFERRED),
        ColumnEdge(shared, col("stg.b.x"), EdgeKind.IDENTITY),  # more certain: replaces the first's data
        ColumnEdge(shared, col("stg.b.x"), EdgeKind.FILTER),
        ColumnEdge(shared, col("stg.c.x"), EdgeKind.JOIN),
        ColumnEdge(col("raw.a.x"), col("stg.b.y"), EdgeKind.TRANSFORM),  # an equal source, another object
        ColumnEdge(ColumnRef(None, "id"), col("stg.b.id"), EdgeKind.IDENTITY, Certainty.AMBIGUOUS,
                   candidates=("raw.z", "raw.a")),
        ColumnEdge(ColumnRef(None, "id"), col("stg.c.id"), EdgeKind.JOIN, Certainty.AMBIGUOUS,
                   candidates=("raw.y",)),
        ColumnEdge(col("stg.b.x"), col("raw.a.x"), EdgeKind.IDENTITY),  # a cycle
        ColumnEdge(ColumnRef(None, "n"), ColumnRef(None, "n2"), EdgeKind.TRANSFORM, Certainty.UNRESOLVED),
    ]
    at_once, one_by_one = LineageGraph(), LineageGraph()
    at_once.add_edges(edges)
    for edge in edges:
        one_by_one.add_edge(edge)
    assert _shape(at_once) == _shape(one_by_one)
    assert [node for node in at_once.nx if node[0] == "column"][:7] == [  # a candidate's node just before its edge
        ("column", "raw.a", "x"), ("column", "stg.b", "x"), ("column", "stg.c", "x"), ("column", "stg.b", "y"),
        ("column", "raw.z", "id"), ("column", "stg.b", "id"), ("column", "raw.a", "id"),
    ]
    assert at_once.edges_into(col("stg.b.x")) == [
        (col("raw.a.x"), EdgeKind.IDENTITY, Certainty.RESOLVED, None),
        (col("raw.a.x"), EdgeKind.FILTER, Certainty.RESOLVED, None),
    ]


def test_add_edges_into_a_shared_target_object_is_add_edge_one_by_one() -> None:
    """Consecutive edges into one target object (as sorted, decoded edges often are), whatever their
    sources, kinds and certainties: the graph is the one adding them one at a time makes."""
    target, other = col("stg.b.x"), col("stg.c.x")
    edges = [
        ColumnEdge(col("raw.a.x"), target, EdgeKind.IDENTITY, Certainty.INFERRED),
        ColumnEdge(col("raw.a.x"), target, EdgeKind.IDENTITY),
        ColumnEdge(col("raw.a.y"), target, EdgeKind.JOIN),  # another source, the same target object
        ColumnEdge(ColumnRef(None, "id"), target, EdgeKind.JOIN, Certainty.AMBIGUOUS, candidates=("raw.z", "raw.a")),
        ColumnEdge(ColumnRef(None, "id"), target, EdgeKind.FILTER, Certainty.AMBIGUOUS, candidates=("raw.z",)),
        ColumnEdge(col("raw.a.y"), other, EdgeKind.TRANSFORM),
        ColumnEdge(col("raw.a.y"), target, EdgeKind.TRANSFORM),  # back to the first target
        ColumnEdge(col("raw.q.n"), ColumnRef(None, "n"), EdgeKind.TRANSFORM),
    ]
    at_once, one_by_one = LineageGraph(), LineageGraph()
    at_once.add_edges(edges)
    for edge in edges:
        one_by_one.add_edge(edge)
    assert _shape(at_once) == _shape(one_by_one)
    assert [(u[1], u[2], key) for u, _, key in at_once.nx.in_edges(("column", "stg.b", "x"), keys=True)] == [
        ("raw.a", "x", "identity"), ("raw.a", "y", "join"), ("raw.a", "y", "transform"),
        ("raw.z", "id", "join"), ("raw.z", "id", "filter"), ("raw.a", "id", "join"),
    ]


def test_a_more_certain_edge_changes_only_its_own_columns_edge() -> None:
    """One statement's edges often have equal attributes (the graph may keep them once): a later, more
    certain edge between two of its columns must not change the edges between the others."""
    where = Location("models/b.sql", 3, 1, 9, 20)
    edges = [
        ColumnEdge(col("raw.a.x"), col("stg.b.x"), EdgeKind.IDENTITY, Certainty.INFERRED, location=where),
        ColumnEdge(col("raw.a.y"), col("stg.b.y"), EdgeKind.IDENTITY, Certainty.INFERRED, location=where),
        ColumnEdge(col("raw.a.x"), col("stg.b.x"), EdgeKind.IDENTITY, Certainty.RESOLVED,
                   location=Location("models/b.sql", 12, 1, 12, 30)),
    ]
    graph = LineageGraph()
    graph.add_edges(edges)
    certainty = {(u[2], v[2]): data["certainty"] for u, v, data in graph.nx.edges(data=True) if u[0] == "column"}
    assert certainty == {("x", "x"): Certainty.RESOLVED, ("y", "y"): Certainty.INFERRED}
    assert graph.nx.edges[("column", "raw.a", "y"), ("column", "stg.b", "y"), "identity"]["location"] == where


def _shape(graph: LineageGraph) -> list:
    return [list(graph.nx.nodes(data=True)), list(graph.nx.edges(keys=True, data=True)),
            [(v, list(into)) for v, into in graph.nx.pred.items()], graph.join_keys(), graph.relations()]


def test_relation_and_column_names_never_collide() -> None:
    graph = graph_of(("a.b.c", "x.y", EdgeKind.IDENTITY))
    graph.add_relation("a.b.c")
    assert graph.relations() == ["a.b", "a.b.c", "x"]
    assert graph.columns_of("a.b") == ("c",)
    assert graph.columns_of("a.b.c") == ()


def test_tasks_models_and_metadata() -> None:
    from lineage_scan.model import ColumnMeta, MLModelDef, RelationMeta, TaskDef

    graph = graph_of(("raw.orders.amount", "feat.x.total", EdgeKind.AGGREGATE))
    graph.add_task(TaskDef("airflow:etl.load", "airflow_task", "load", writes=("raw.orders",)))
    graph.add_task(TaskDef("airflow:etl.build", "airflow_task", "build", reads=("raw.orders",), writes=("feat.x",),
                           upstream=("airflow:etl.load",)))
    graph.add_ml_model(MLModelDef("python:train.py:model", "model", features=(col("feat.x.total"),),
                                  target=col("feat.x.label")))
    graph.add_metadata(RelationMeta("feat.x", description="features", owners=("@ml",),
                                    columns=(ColumnMeta("total", description="sum of orders", tests=("not_null",)),)))
    graph.add_metadata(RelationMeta("feat.x", description="ignored: first wins", owners=("@data",)))
    build = next(t for t in graph.tasks() if t.name == "build")
    assert (build.reads, build.writes, build.upstream) == (("raw.orders",), ("feat.x",), ("airflow:etl.load",))
    (model,) = graph.ml_models()
    assert model.target == col("feat.x.label")
    info = graph.relation("feat.x")
    assert (info.description, info.owners) == ("features", ("@data", "@ml"))
    assert graph.column_meta(col("feat.x.total")).tests == ("not_null",)
    # model edges are not column lineage
    assert graph.downstream(col("feat.x.total")) == []
    assert graph.upstream(col("feat.x.total")) == [col("raw.orders.amount")]
