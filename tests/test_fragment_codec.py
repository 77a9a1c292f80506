"""The fragment codec: cache entries and worker results round-trip exactly, and bad data only fails."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from repo_paths import EXAMPLE_REPO

from lineage_scan import scan
from lineage_scan.fragment_codec import FORMAT, CodecError, _pack, decode_fragment, encode_fragment
from lineage_scan.model import (
    Certainty,
    ColumnEdge,
    ColumnMeta,
    ColumnRef,
    DataStep,
    Diagnostic,
    EdgeKind,
    Fragment,
    Location,
    MLModelDef,
    QueryLogic,
    RelationDef,
    RelationKind,
    RelationMeta,
    RelationUse,
    Severity,
    StepOp,
    TaskDef,
    ValueFact,
    ValueOp,
    WriteMode,
)


def full_fragment() -> Fragment:
    """A fragment with every field set, including the rarely used ones."""
    here = Location("models/a.sql", 3, 5, 4, 12)
    elsewhere = Location("models/a.sql", 9, 1, 9, 30)
    orders, totals = ColumnRef("raw.orders", "amount"), ColumnRef("mart.totals", "total")
    return Fragment(
        path="models/a.sql",
        parser="dbt",
        relations=[RelationDef("mart.totals", RelationKind.VIEW, here, ("total", "id"), True),
                   RelationDef("query:models/a.sql:9", RelationKind.QUERY, None, None),
                   RelationDef("mart.log", RelationKind.TABLE, here, ("id",), False, WriteMode.INSERT,
                               QueryLogic("1:raw.orders", "\nSELECT id FROM raw.orders", 0, "snowflake", "mart")),
                   RelationDef("mart.day", RelationKind.TABLE, here, ("id",), logic=QueryLogic("1:mart.log", "x", 1, ""))],
        reads=[RelationUse("raw.orders", "mart.totals", elsewhere)],
        edges=[
            ColumnEdge(orders, totals, EdgeKind.AGGREGATE, Certainty.RESOLVED, here),
            ColumnEdge(ColumnRef(None, "id"), ColumnRef("mart.totals", "id"), EdgeKind.IDENTITY, Certainty.AMBIGUOUS,
                       here, candidates=("raw.a", "raw.b")),
            ColumnEdge(ColumnRef("raw.c", "*"), ColumnRef("mart.totals", "*"), EdgeKind.IDENTITY, Certainty.UNRESOLVED,
                       None, excluded=("secret",)),
            ColumnEdge(orders, totals, EdgeKind.FILTER, Certainty.INFERRED, elsewhere),
        ],
        diagnostics=[Diagnostic(here, "dbt", "cannot expand star", Severity.WARNING, "LS905", "raw.c"),
                     Diagnostic(elsewhere, "dbt", "ünïcode ✓ message", Severity.ERROR, "LS901")],
        metadata=[RelationMeta("mart.totals", here, "Totals.", ("@data",), ("pii",), ("unique",),
                               (ColumnMeta("total", "Sum.", "numeric", ("not_null",), ("money",)), ColumnMeta("id")),
                               (("materialized", "view"),))],
        tasks=[TaskDef("dbt:proj.totals", "dbt_model", "totals", here, ("raw.orders",), ("mart.totals",),
                       ("dbt:proj.orders",), (("tags", "daily"),))],
        ml_models=[MLModelDef("python:train.py:fit", "churn", elsewhere, (orders,), totals, "LogisticRegression",
                              (("source", "config"),), ColumnRef("raw.orders", "ordered_at"), (ColumnRef("raw.orders", "id"),)),
                   MLModelDef("python:train.py:fit2", "untargeted")],
        value_facts=[ValueFact(ValueOp.NULL_TO_ZERO, orders, totals, here, elsewhere),
                     ValueFact(ValueOp.RATE, orders, totals, None)],
        data_steps=[DataStep("python:train.py:fit#1", StepOp.SPLIT, elsewhere, ("df",), ("train", "test"), ("x", "y"),
                             "sklearn.model_selection.train_test_split", ("a", "b"), "splitter"),
                    DataStep("python:train.py:fit#2", StepOp.FIT)],
        statements=7,
        statements_failed=2,
    )


def test_every_field_round_trips_through_json() -> None:
    fragment = full_fragment()
    decoded = decode_fragment(json.loads(json.dumps(encode_fragment(fragment))))
    assert decoded == fragment
    # Built a column at a time, the objects are the model's own: hashed and ordered alike.
    assert [type(e) for e in decoded.edges] == [ColumnEdge] * len(fragment.edges)
    assert [hash(e) for e in decoded.edges] == [hash(e) for e in fragment.edges]


@pytest.mark.parametrize("number", [0, 1, 32767, 32768, -1, 2**31 - 1, 2**31, 2**40])
def test_integers_of_every_size_round_trip(number: int) -> None:
    fragment = Fragment(path="a.sql", parser="sql", edges=[
        ColumnEdge(ColumnRef("t", "a"), ColumnRef("u", "b"), EdgeKind.IDENTITY, location=Location("a.sql", abs(number), 1, 2, 3)),
    ])
    assert decode_fragment(json.loads(json.dumps(encode_fragment(fragment)))) == fragment


@pytest.mark.parametrize(("columns", "code"), [
    ([[]], "h"), ([[0, 32767], [-32768]], "h"), ([[1], [32768]], "i"), ([[-32769, 0]], "i"),
    ([[2**31 - 1], [-(2**31)]], "i"), ([[0], [2**31]], "q"), ([[-(2**31) - 1]], "q"),
])
def test_packed_integers_take_the_smallest_type_that_holds_them_all(columns: list[list[int]], code: str) -> None:
    assert _pack(columns)[0] == code


def test_scanned_fragments_round_trip_and_share_repeated_values() -> None:
    for fragment in scan(EXAMPLE_REPO, cache=False).fragments:
        decoded = decode_fragment(json.loads(json.dumps(encode_fragment(fragment))))
        assert decoded == fragment
        assert [e.sort_key() for e in decoded.edges] == [e.sort_key() for e in fragment.edges]
    decoded = decode_fragment(encode_fragment(full_fragment()))
    first, _, _, last = decoded.edges
    assert first.source is last.source and first.target is last.target
    assert decoded.edges[1].location is first.location


def test_edges_sharing_objects_or_equal_ones_encode_to_the_same_table_entries() -> None:
    """The encoder reuses the index of the previous edge's source, target and location when it is the
    same object: equal but distinct objects, runs and None locations must still give one entry each."""
    here = Location("a.sql", 1, 1, 1, 9)
    a, b = ColumnRef("t", "a"), ColumnRef("t", "b")
    runs = [ColumnEdge(a, b, EdgeKind.IDENTITY, location=here), ColumnEdge(a, b, EdgeKind.JOIN, location=here),
            ColumnEdge(a, ColumnRef("t", "b"), EdgeKind.FILTER), ColumnEdge(ColumnRef("t", "a"), a, EdgeKind.SORT),
            ColumnEdge(b, a, EdgeKind.SORT, location=Location("a.sql", 1, 1, 1, 9)), ColumnEdge(b, a, EdgeKind.SORT)]
    fragment = Fragment(path="a.sql", parser="sql", edges=runs)
    data = encode_fragment(fragment)
    assert decode_fragment(json.loads(json.dumps(data))) == fragment
    strings, locations, refs = data[1], data[2], data[3]
    assert strings == ["a.sql", "t", "a", "b"]
    assert locations == packed([0], [1], [1], [1], [9]) and refs == packed([1, 1], [2, 3])
    decoded = decode_fragment(data).edges
    assert [e.location for e in decoded] == [here, here, None, None, here, None]
    assert all(e.source is decoded[0].source for e in decoded[:4]) and decoded[2].target is decoded[0].target


def test_equal_fragments_encode_identically() -> None:
    assert json.dumps(encode_fragment(full_fragment())) == json.dumps(encode_fragment(full_fragment()))


def packed(*columns: list[int]) -> str:
    return _pack(list(columns))


@pytest.mark.parametrize("damage", [
    lambda data: None,
    lambda data: "not a fragment",
    lambda data: [FORMAT + 1, *data[1:]],
    lambda data: data[:5],
    lambda data: [*data[:5], data[5][:-1]],                                      # a field missing
    lambda data: [data[0], ["x.sql", 1], *data[2:]],                            # a number among the strings
    lambda data: [*data[:2], [0, 1, 1, 1, 1], *data[3:]],                       # numbers not packed
    lambda data: [*data[:2], "x" + data[2][1:], *data[3:]],                     # no such integer type
    lambda data: [*data[:2], "hAAAAA", *data[3:]],                               # not base64
    lambda data: [*data[:2], data[2] + "é", *data[3:]],                          # not ASCII
    lambda data: [*data[:2], data[2][:-4], *data[3:]],                          # a partial integer
    lambda data: [*data[:2], packed([0], [-1], [1], [1], [1]), *data[3:]],      # a negative line number
    lambda data: [*data[:2], packed([999], [1], [1], [1], [1]), *data[3:]],     # a path index out of range
    lambda data: [*data[:2], packed([0], [1], [1], [1]), *data[3:]],            # locations not in fives
    lambda data: [*data[:3], {"__reduce__": "os.system"}, *data[4:]],           # a mapping is no column ref
    lambda data: [*data[:3], packed([0, 1, 2]), *data[4:]],                     # column refs not in pairs
    lambda data: [*data[:4], [["a"]], data[5]],                                 # a name tuple holding text, not indexes
    lambda data: [*data[:4], ["a"], data[5]],                                   # a name tuple that is no list
    lambda data: [*data[:5], [*data[5][:4], packed([999], [0], [0], [0], [0], [0]), *data[5][5:]]],  # an edge's ref out of range
    lambda data: [*data[:5], [*data[5][:4], packed([0], [0], [0], [0], [0]), *data[5][5:]]],         # edges not in sixes
    lambda data: [*data[:5], [*data[5][:4], [0, 1, 2, 0, 0, 0], *data[5][5:]]],                      # edges not packed
    lambda data: [*data[:5], [*data[5][:4], packed([0], [1], [999], [0], [0], [0]), *data[5][5:]]],  # no such kind
    lambda data: [*data[:5], [*data[5][:2], [["t", "no-such-kind", None, None, False, "create", None]], *data[5][3:]]],
])
def test_damaged_data_is_a_codec_error(damage) -> None:
    data = json.loads(json.dumps(encode_fragment(full_fragment())))
    with pytest.raises(CodecError):
        decode_fragment(damage(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 1000) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=12,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_change_to_an_entry_decodes_or_is_a_codec_error(data) -> None:
    """Replace one part of a valid encoding with arbitrary JSON: never any other exception."""
    encoded = json.loads(json.dumps(encode_fragment(full_fragment())))
    paths = list(_paths(encoded))[1:]
    path = data.draw(st.sampled_from(paths))
    parent = encoded
    for index in path[:-1]:
        parent = parent[index]
    parent[path[-1]] = data.draw(json_values)
    try:
        fragment = decode_fragment(encoded)
    except CodecError:
        return
    assert isinstance(fragment, Fragment)
    for edge in fragment.edges:
        assert isinstance(edge.source, ColumnRef) and isinstance(edge.kind, EdgeKind)
        assert edge.location is None or isinstance(edge.location, Location)
