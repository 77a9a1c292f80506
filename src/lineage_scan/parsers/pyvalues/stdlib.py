"""Pure standard-library helpers on constants: `os.path`, `pathlib`, `textwrap.dedent`, `os.getenv`,
builtins (`str`, `len`, `range`, `sorted`, `dict`, ...) and the methods of paths, dicts and lists.

Each function answers UNKNOWN when its arguments are not constants it can compute with, and
`pure_call` answers NotImplemented for a function it does not know (the caller decides what an
unknown call is). File access (`open`, `Path.read_text`) belongs to the caller: only it knows which
files of the scanned repository may be read.
"""

from __future__ import annotations

import posixpath
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from lineage_scan.parsers.pyvalues.values import CONSTANT_TYPES, UNKNOWN, Text, as_text

MAX_LOOP = 1_000
"""Most items of a collection iterated over (a longer one is not known item by item)."""
BUILTINS = ("str", "len", "range", "enumerate", "zip", "list", "tuple", "dict", "sorted", "open", "print", "set")
"""The builtins a static evaluator models (`open` is left to the caller)."""
PATH_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "os.path.dirname": posixpath.dirname, "os.path.basename": posixpath.basename, "os.path.abspath": posixpath.normpath,
    "os.path.realpath": posixpath.normpath, "os.path.normpath": posixpath.normpath, "os.path.expanduser": str,
    "os.fspath": str,
}
PATH_CLASSES = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath")
PATH_ATTRIBUTES = ("parent", "parents", "name", "stem", "suffix")
PURE = frozenset({*PATH_FUNCTIONS, *PATH_CLASSES, "os.path.join", "posixpath.join", "os.getenv", "os.environ.get",
                  "textwrap.dedent", *(f"builtins.{name}" for name in BUILTINS if name != "open")})
"""The functions `pure_call` computes."""


def is_pure(qualname: str) -> bool:
    """True for the standard-library functions computed here."""
    return qualname in PURE


def items_of(value: Any) -> list | None:
    """The items of a list, tuple, string or dict (its keys), when there are at most MAX_LOOP."""
    if not isinstance(value, (list, tuple, str, dict)):
        return None
    items = list(value)
    return items if len(items) <= MAX_LOOP else None


def pure_call(qualname: str, args: list, kwargs: dict) -> Any:
    """The value of a call of a pure standard-library function; NotImplemented for any other function."""
    if qualname not in PURE:
        return NotImplemented
    texts = [as_text(a) if isinstance(a, (str, PurePosixPath)) else None for a in args]
    all_text = bool(args) and all(t is not None for t in texts)
    if qualname in ("os.path.join", "posixpath.join"):
        return posixpath.join(*texts) if all_text else UNKNOWN
    if qualname in PATH_FUNCTIONS:
        return PATH_FUNCTIONS[qualname](texts[0]) if all_text and len(texts) == 1 else UNKNOWN
    if qualname in ("os.getenv", "os.environ.get"):
        default = args[1] if len(args) > 1 else kwargs.get("default")
        return default if default is not None else UNKNOWN
    if qualname in PATH_CLASSES:
        return PurePosixPath(*texts) if all_text else (PurePosixPath() if not args else UNKNOWN)
    if qualname == "textwrap.dedent":
        if len(args) == 1 and isinstance(args[0], str):
            dedented = textwrap.dedent(args[0])
            origin = getattr(args[0], "origin", None)
            return Text(dedented, replace(origin, exact=False)) if origin else dedented
        return UNKNOWN
    return builtin(qualname[len("builtins."):], args, kwargs)


def builtin(name: str, args: list, kwargs: dict) -> Any:
    """A call of one of BUILTINS (but `open`) on constants."""
    first = args[0] if args else None
    if name == "str":
        text = as_text(first) if args else ""
        return text if text is not None else UNKNOWN
    if name == "len":
        return len(first) if isinstance(first, (str, list, tuple, dict)) else UNKNOWN
    if name == "range":
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args) and len(args) <= 3:
            try:
                numbers = range(*args)
            except ValueError:
                return UNKNOWN
            return list(numbers) if len(numbers) <= MAX_LOOP else UNKNOWN
        return UNKNOWN
    if name in ("list", "tuple", "set", "sorted", "enumerate"):
        items = items_of(first) if args else []
        if items is None:
            return UNKNOWN
        if name == "enumerate":
            start = args[1] if len(args) > 1 else kwargs.get("start", 0)
            return list(enumerate(items, start)) if isinstance(start, int) else UNKNOWN
        if name == "sorted":
            reverse = kwargs.get("reverse", False)
            if set(kwargs) - {"reverse"} or not isinstance(reverse, bool):
                return UNKNOWN
            try:
                return sorted(items, reverse=reverse)
            except TypeError:
                return UNKNOWN
        return tuple(items) if name == "tuple" else items
    if name == "zip":
        sequences = [items_of(a) for a in args]
        return list(zip(*sequences, strict=False)) if all(s is not None for s in sequences) else UNKNOWN
    if name == "dict":
        base = dict(first) if isinstance(first, dict) else _pairs(first) if args else {}
        return {**base, **kwargs} if base is not None and len(args) <= 1 else UNKNOWN
    return None if name == "print" else UNKNOWN


def _pairs(value: Any) -> dict | None:
    """A dict from a collection of (key, value) pairs with constant keys, as `dict(pairs)` builds it."""
    items = items_of(value) if isinstance(value, (list, tuple)) else None
    if items is None or not all(isinstance(i, (list, tuple)) and len(i) == 2 and isinstance(i[0], CONSTANT_TYPES)
                                for i in items):
        return None
    return dict(items)


def path_attribute(path: PurePosixPath, name: str) -> Any:
    """`path.parent`, `.parents`, `.name`, `.stem`, `.suffix`; UNKNOWN for other attributes."""
    if name not in PATH_ATTRIBUTES:
        return UNKNOWN
    value = getattr(path, name)
    return list(value) if name == "parents" else value


def path_method(path: PurePosixPath, name: str, args: list) -> Any:
    """The pure methods of a path (`resolve`, `joinpath`, `with_suffix`, `as_posix`)."""
    if name in ("resolve", "absolute", "expanduser"):
        return PurePosixPath(posixpath.normpath(str(path)))
    if name == "joinpath" and all(isinstance(a, (str, PurePosixPath)) for a in args):
        return path.joinpath(*args)
    if name == "with_suffix" and len(args) == 1 and isinstance(args[0], str):
        try:
            return path.with_suffix(args[0])
        except ValueError:
            return UNKNOWN
    return str(path) if name == "as_posix" else UNKNOWN


def dict_method(mapping: dict, name: str, args: list, kwargs: dict) -> Any:
    """`get`, `keys`, `values`, `items`, `copy` and (in place) `update` of a dict."""
    if name == "get" and args and isinstance(args[0], CONSTANT_TYPES):
        return mapping.get(args[0], args[1] if len(args) > 1 else kwargs.get("default"))
    if name in ("keys", "values", "items") and not args:
        return list(getattr(mapping, name)())
    if name == "copy":
        return dict(mapping)
    if name == "update" and len(args) == 1 and isinstance(args[0], dict):
        mapping.update(args[0])
        return None
    return UNKNOWN


def list_method(items: list, name: str, args: list) -> Any:
    """`append`, `extend` (in place) and `copy` of a list."""
    if name == "append" and len(args) == 1:
        items.append(args[0])
        return None
    if name == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
        items.extend(args[0])
        return None
    return list(items) if name == "copy" else UNKNOWN
