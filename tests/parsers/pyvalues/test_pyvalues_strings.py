"""f-strings, `str.format`, `%` formatting and string methods (parsers/pyvalues/strings.py)."""

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_scan.parsers.pyvalues.strings import format_fields, fstring, percent_format, string_method
from lineage_scan.parsers.pyvalues.values import UNKNOWN

NAMES = {"schema": "analytics", "n": 7, "ratio": 0.25, "missing": UNKNOWN, "flag": None}


def render(source: str, holes: bool = False):
    node = cst.parse_expression(source)
    return fstring(node, lambda expression: NAMES[expression.value],
                   (lambda expression: "{" + expression.value + "}") if holes else None)


@pytest.mark.parametrize(("source", "expected"), [
    ('f"select * from {schema}.orders"', "select * from analytics.orders"),
    ('f"{n} rows"', "7 rows"),
    ('f"{n:03d}|{schema:>10}|{ratio:.1%}"', "007| analytics|25.0%"),
    ('f"{schema!r}"', "'analytics'"),
    ('f"{flag}"', "None"),
    ('f"a\\tb {{literal}}"', "a\tb {literal}"),
    ('rf"a\\tb"', "a\\tb"),
    ("f'''x\n{schema}'''", "x\nanalytics"),
])
def test_fstring_of_constants(source, expected):
    assert render(source) == expected


def test_fstring_with_an_unknown_part_is_unknown_or_keeps_a_hole():
    assert render('f"select * from {missing}.t"') is UNKNOWN
    assert render('f"select * from {missing}.t"', holes=True) == "select * from {missing}.t"


def test_fstring_refuses_huge_widths():
    assert render('f"{n:>100000000}"') is UNKNOWN


@pytest.mark.parametrize(("template", "args", "kwargs", "expected"), [
    ("{}.{}", ["a", "b"], {}, "a.b"),
    ("{1}-{0}", ["a", "b"], {}, "b-a"),
    ("{table} where id = {id!r}", [], {"table": "t", "id": "x"}, "t where id = 'x'"),
    ("{:>4}", ["ab"], {}, "  ab"),
])
def test_format_fields(template, args, kwargs, expected):
    assert format_fields(template, args, kwargs) == expected


def test_format_fields_unknown_values_and_fields():
    assert format_fields("{} and {x}", ["a"], {}) is UNKNOWN
    assert format_fields("{} and {x}", ["a"], {}, holes=True) == "a and {x}"
    assert format_fields("{0.attr}", ["a"], {}, holes=True) == "{0.attr}"
    assert format_fields("{unclosed", [], {}) is UNKNOWN


@pytest.mark.parametrize(("template", "values", "expected"), [
    ("select %s from %s", ("a", "t"), "select a from t"),
    ("%s", "t", "t"),
    ("%d%%", 50, "50%"),
    ("%(schema)s.%(table)s", {"schema": "s", "table": "t"}, "s.t"),
    ("%05.1f", 3.14159, "003.1"),
    ("%r", "x", "'x'"),
])
def test_percent_format(template, values, expected):
    assert percent_format(template, values) == expected


@pytest.mark.parametrize(("template", "values"), [
    ("%s %s", ("a",)),            # too few values
    ("%s", ("a", "b")),           # too many
    ("%*d", (1, 2)),              # star widths are not modelled
    ("%s", UNKNOWN),
    ("%(x)s", ("a",)),            # a mapping key without a mapping
    ("%d", "a"),                  # Python raises TypeError
    ("%999999999s", "a"),         # too wide to build
])
def test_percent_format_unknown(template, values):
    assert percent_format(template, values) is UNKNOWN


@pytest.mark.parametrize(("text", "name", "args", "expected"), [
    ("  a b  ", "strip", [], "a b"),
    ("xxaxx", "strip", ["x"], "a"),
    ("Select", "lower", [], "select"),
    ("order id", "title", [], "Order Id"),
    ("s.t", "split", ["."], ["s", "t"]),
    ("a.b.c", "rsplit", ["."], ["a", "b", "c"]),
    ("file.sql", "endswith", [(".sql", ".j2")], True),
    ("abc", "replace", ["b", "x"], "axc"),
    (", ", "join", [("a", "b")], "a, b"),
    ("{}.t", "format", ["s"], "s.t"),
])
def test_string_methods(text, name, args, expected):
    assert string_method(text, name, args, {}) == expected


def test_string_methods_not_modelled_or_not_constant():
    assert string_method("a", "encode", [], {}) is UNKNOWN
    assert string_method(", ", "join", [("a", UNKNOWN)], {}) is UNKNOWN
    assert string_method("a", "startswith", [1], {}) is UNKNOWN
    assert string_method("{}", "format", [UNKNOWN], {}, holes=True) == "{}"
    assert string_method("ab" * 1000, "replace", ["a", "x" * 1000], {}) is UNKNOWN


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}%()!:<>^=+-#0123456789.,sdrfxacz ab", max_size=30),
       st.lists(st.one_of(st.text(max_size=5), st.integers(), st.floats(), st.none(), st.booleans()), max_size=3))
def test_formatting_never_raises_on_any_template(template, values):
    """Templates come from scanned code: whatever they hold, the result is a string or UNKNOWN."""
    for result in (format_fields(template, values, {"a": 1}, holes=True), format_fields(template, values, {}),
                   percent_format(template, tuple(values)), percent_format(template, {"a": "x"})):
        assert result is UNKNOWN or isinstance(result, str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=10), st.sampled_from(["strip", "lstrip", "rstrip", "lower", "title", "startswith", "endswith",
                                              "replace", "join", "split", "rsplit", "format", "zfill"]),
       st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none(), st.tuples(st.text(max_size=2))), max_size=3))
def test_string_methods_never_raise(text, name, args):
    result = string_method(text, name, args, {})
    assert result is UNKNOWN or isinstance(result, (str, bool, list))
