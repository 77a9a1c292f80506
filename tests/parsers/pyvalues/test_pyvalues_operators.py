"""Operators, comparisons and truth of constants (parsers/pyvalues/operators.py)."""

from pathlib import PurePosixPath

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_scan.parsers.pyvalues.operators import binary, compare, truth, unary
from lineage_scan.parsers.pyvalues.values import UNKNOWN, Opaque, Text


@pytest.mark.parametrize(("op", "left", "right", "expected"), [
    (cst.Add(), "analytics.", "orders", "analytics.orders"),
    (cst.Add(), [1], [2, 3], [1, 2, 3]),
    (cst.Add(), (1,), (2,), (1, 2)),
    (cst.Add(), 2, 0.5, 2.5),
    (cst.Add(), True, 1, 2),
    (cst.Subtract(), 10, 4, 6),
    (cst.Multiply(), 6, 7, 42),
    (cst.Divide(), 7, 2, 3.5),
    (cst.FloorDivide(), 7, 2, 3),
    (cst.Modulo(), 7, 4, 3),
    (cst.Modulo(), "select * from %s", "t", "select * from t"),
    (cst.Divide(), PurePosixPath("dags"), "sql", PurePosixPath("dags/sql")),
    (cst.BitOr(), {"a": 1, "b": 2}, {"b": 3}, {"a": 1, "b": 3}),
    (cst.AddAssign(), "x", "y", "xy"),
    (cst.SubtractAssign(), 5, 2, 3),
])
def test_binary_of_constants(op, left, right, expected):
    assert binary(op, left, right) == expected


@pytest.mark.parametrize(("op", "left", "right"), [
    (cst.Add(), "a", 1),
    (cst.Add(), [1], (2,)),
    (cst.Multiply(), "a", 3),
    (cst.Divide(), 1, 0),
    (cst.Modulo(), 1, 0),
    (cst.Power(), 2, 3),
    (cst.Multiply(), 2**40, 2**30),
    (cst.Add(), 2**60, 1),
    (cst.Divide(), PurePosixPath("a"), 1),
    (cst.Add(), UNKNOWN, "a"),
    (cst.Add(), Opaque("f", (), {}), "a"),
])
def test_binary_refuses_what_it_cannot_or_should_not_compute(op, left, right):
    assert binary(op, left, right) is UNKNOWN


def test_adding_strings_past_the_size_limit_is_unknown():
    assert binary(cst.Add(), "a" * 600_000, "b" * 600_000) is UNKNOWN


def test_string_results_are_plain_strings():
    """A concatenation no longer comes from one literal: it must not keep a literal's origin."""
    result = binary(cst.Add(), Text("a", None), "b")
    assert result == "ab" and type(result) is str


@pytest.mark.parametrize(("op", "left", "right", "expected"), [
    (cst.Equal(), "a", "a", True),
    (cst.NotEqual(), 1, 2, True),
    (cst.Is(), None, None, True),
    (cst.IsNot(), "x", None, True),
    (cst.LessThan(), 1, 2, True),
    (cst.GreaterThanEqual(), 1, 2, False),
    (cst.In(), "b", ["a", "b"], True),
    (cst.NotIn(), "c", ("a", "b"), True),
    (cst.In(), "ab", "cabd", True),
    (cst.In(), "k", {"k": 1}, True),
])
def test_comparisons_of_constants(op, left, right, expected):
    assert compare(op, left, right) is expected


@pytest.mark.parametrize(("op", "left", "right"), [
    (cst.LessThan(), 1, "a"),
    (cst.In(), 1, "abc"),
    (cst.Equal(), UNKNOWN, 1),
    (cst.In(), "a", ["a", UNKNOWN]),
])
def test_comparisons_not_decided(op, left, right):
    assert compare(op, left, right) is UNKNOWN


def test_truth_and_unary():
    assert truth([]) is False and truth("x") is True and truth(None) is False
    assert truth(UNKNOWN) is None and truth(Opaque(None, (), {})) is None
    assert unary(cst.Not(), "") is True
    assert unary(cst.Not(), UNKNOWN) is UNKNOWN
    assert unary(cst.Minus(), 3) == -3
    assert unary(cst.Plus(), 2.5) == 2.5
    assert unary(cst.BitInvert(), 5) == -6
    assert unary(cst.Minus(), "a") is UNKNOWN
    assert unary(cst.BitInvert(), 1.5) is UNKNOWN


CONSTANTS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.builds(PurePosixPath, st.text(alphabet="ab/.", max_size=5))),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner), st.dictionaries(st.text(max_size=2), inner,
                                                                                           max_size=2)),
    max_leaves=6,
)
BINARY = [cst.Add(), cst.Subtract(), cst.Multiply(), cst.Divide(), cst.FloorDivide(), cst.Modulo(), cst.BitOr(),
          cst.Power(), cst.AddAssign(), cst.ModuloAssign()]
COMPARISON = [cst.Equal(), cst.NotEqual(), cst.LessThan(), cst.GreaterThanEqual(), cst.In(), cst.NotIn(), cst.Is()]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(BINARY), st.sampled_from(COMPARISON), CONSTANTS, CONSTANTS)
def test_operators_never_raise_on_any_constants(op, comparison, left, right):
    """Operands come from scanned code: the result is a value or UNKNOWN, never an exception."""
    binary(op, left, right)
    assert compare(comparison, left, right) in (True, False, UNKNOWN)
    unary(cst.Minus(), left)
    unary(cst.BitInvert(), left)
