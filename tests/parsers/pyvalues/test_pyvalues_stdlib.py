"""Pure standard-library helpers (parsers/pyvalues/stdlib.py)."""

from pathlib import PurePosixPath

import pytest

from lineage_scan.parsers.pyvalues.stdlib import (
    dict_method,
    is_pure,
    list_method,
    path_attribute,
    path_method,
    pure_call,
)
from lineage_scan.parsers.pyvalues.values import UNKNOWN, Origin, Text


@pytest.mark.parametrize(("qualname", "args", "kwargs", "expected"), [
    ("os.path.join", ["dags", "sql", "q.sql"], {}, "dags/sql/q.sql"),
    ("os.path.join", [PurePosixPath("dags"), "q.sql"], {}, "dags/q.sql"),
    ("posixpath.join", ["a", "/abs"], {}, "/abs"),
    ("os.path.dirname", ["dags/etl.py"], {}, "dags"),
    ("os.path.basename", ["dags/etl.py"], {}, "etl.py"),
    ("os.path.abspath", ["dags/../sql/q.sql"], {}, "sql/q.sql"),
    ("os.getenv", ["SCHEMA", "analytics"], {}, "analytics"),
    ("os.environ.get", ["SCHEMA"], {"default": "dev"}, "dev"),
    ("pathlib.Path", ["dags", "sql"], {}, PurePosixPath("dags/sql")),
    ("pathlib.Path", [], {}, PurePosixPath(".")),
    ("builtins.str", [3], {}, "3"),
    ("builtins.str", [], {}, ""),
    ("builtins.len", [["a", "b"]], {}, 2),
    ("builtins.range", [1, 7, 2], {}, [1, 3, 5]),
    ("builtins.list", ["ab"], {}, ["a", "b"]),
    ("builtins.tuple", [["a"]], {}, ("a",)),
    ("builtins.sorted", [["b", "c", "a"]], {}, ["a", "b", "c"]),
    ("builtins.sorted", [["b", "c", "a"]], {"reverse": True}, ["c", "b", "a"]),
    ("builtins.enumerate", [["a", "b"]], {"start": 1}, [(1, "a"), (2, "b")]),
    ("builtins.zip", [["a", "b"], [1, 2]], {}, [("a", 1), ("b", 2)]),
    ("builtins.dict", [], {"a": 1}, {"a": 1}),
    ("builtins.dict", [{"a": 1}], {"b": 2}, {"a": 1, "b": 2}),
    ("builtins.dict", [[("a", 1), ("b", 2)]], {}, {"a": 1, "b": 2}),
    ("builtins.print", ["x"], {}, None),
])
def test_pure_calls(qualname, args, kwargs, expected):
    assert pure_call(qualname, args, kwargs) == expected


@pytest.mark.parametrize(("qualname", "args", "kwargs"), [
    ("os.path.join", ["a", UNKNOWN], {}),
    ("os.path.dirname", ["a", "b"], {}),
    ("os.getenv", ["SCHEMA"], {}),
    ("builtins.len", [UNKNOWN], {}),
    ("builtins.range", [10**6], {}),
    ("builtins.range", [True], {}),
    ("builtins.sorted", [["a", 1]], {}),
    ("builtins.sorted", [["a"]], {"key": len}),
    ("builtins.list", [list(range(2000))], {}),
    ("builtins.dict", [["ab"]], {}),
])
def test_pure_calls_unknown(qualname, args, kwargs):
    assert pure_call(qualname, args, kwargs) is UNKNOWN


def test_only_known_functions_are_pure():
    assert is_pure("os.path.join") and is_pure("builtins.len")
    assert not is_pure("builtins.open")  # reading files is the caller's business
    assert not is_pure("subprocess.run")
    assert pure_call("subprocess.run", ["rm"], {}) is NotImplemented


def test_dedent_keeps_the_line_of_its_literal_but_not_its_columns():
    origin = Origin("dags/etl.py", 4, 9, True)
    result = pure_call("textwrap.dedent", [Text("\n    select 1\n", origin)], {})
    assert result == "\nselect 1\n"
    assert result.origin == Origin("dags/etl.py", 4, 9, False)


def test_path_attributes_and_methods():
    path = PurePosixPath("dags/sql/daily.sql")
    assert path_attribute(path, "parent") == PurePosixPath("dags/sql")
    assert path_attribute(path, "stem") == "daily"
    assert path_attribute(path, "suffix") == ".sql"
    assert path_attribute(path, "parents") == [PurePosixPath("dags/sql"), PurePosixPath("dags"), PurePosixPath(".")]
    assert path_attribute(path, "owner") is UNKNOWN
    assert path_method(PurePosixPath("a/../b"), "resolve", []) == PurePosixPath("b")
    assert path_method(PurePosixPath("a"), "joinpath", ["b", "c.sql"]) == PurePosixPath("a/b/c.sql")
    assert path_method(path, "with_suffix", [".j2"]) == PurePosixPath("dags/sql/daily.j2")
    assert path_method(path, "with_suffix", ["j2"]) is UNKNOWN
    assert path_method(path, "as_posix", []) == "dags/sql/daily.sql"
    assert path_method(path, "exists", []) is UNKNOWN


def test_dict_and_list_methods():
    mapping = {"a": 1}
    assert dict_method(mapping, "get", ["a"], {}) == 1
    assert dict_method(mapping, "get", ["b", 2], {}) == 2
    assert dict_method(mapping, "get", ["b"], {}) is None
    assert dict_method(mapping, "items", [], {}) == [("a", 1)]
    assert dict_method(mapping, "update", [{"b": 2}], {}) is None and mapping == {"a": 1, "b": 2}
    assert dict_method(mapping, "pop", ["a"], {}) is UNKNOWN and mapping == {"a": 1, "b": 2}
    items = ["a"]
    assert list_method(items, "append", ["b"]) is None and items == ["a", "b"]
    assert list_method(items, "extend", [("c",)]) is None and items == ["a", "b", "c"]
    assert list_method(items, "copy", []) == items
    assert list_method(items, "pop", []) is UNKNOWN and items == ["a", "b", "c"]
