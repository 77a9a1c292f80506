"""Scopes and argument binding (parsers/pyvalues/scope.py)."""

import libcst as cst

from lineage_scan.parsers.pyvalues.scope import Scope, bind_arguments


def params(source: str) -> cst.Parameters:
    function = cst.parse_statement(f"def f({source}):\n    pass\n")
    assert isinstance(function, cst.FunctionDef)
    return function.params


def bind(source: str, args: list, kwargs: dict):
    return bind_arguments(params(source), args, kwargs, lambda default: f"default:{default.value}",
                          lambda name: f"missing:{name}")


def test_scope_reads_fall_back_to_enclosing_scopes():
    module = Scope(values={"x": 1, "y": None})
    inner = Scope(module)
    inner.set("x", 2)
    assert inner.get("x") == 2 and module.get("x") == 1
    assert inner.get("y", "unbound") is None  # bound to None is not unbound
    assert inner.get("z", "unbound") == "unbound"


def test_positional_keyword_and_default_arguments():
    bound, extra, rest = bind("a, b, c=1, *, d, e=2", ["A"], {"b": "B", "d": "D"})
    assert bound == {"a": "A", "b": "B", "c": "default:1", "d": "D", "e": "default:2"}
    assert extra == [] and rest == {}


def test_missing_arguments_and_leftovers():
    bound, extra, rest = bind("a, /, b, *args, **kwargs", ["A", "B", "C", "D"], {"a": "kw", "z": "Z"})
    assert bound == {"a": "A", "b": "B"}
    assert extra == ["C", "D"]
    assert rest == {"a": "kw", "z": "Z"}  # `a` is positional-only: Python leaves it to **kwargs
    bound, _, _ = bind("a, *, b", [], {})
    assert bound == {"a": "missing:a", "b": "missing:b"}
