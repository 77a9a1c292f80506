"""Strings built from constants: f-strings, `str.format`, `%` formatting and string methods.

Where a part is not a constant, the result is UNKNOWN, or with ``holes`` the part is kept as
`{expression}` (the Python parser keeps SQL with holes; the Airflow parser shows ids with them).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable
from typing import Any

import libcst as cst

from lineage_scan.parsers.pyvalues.values import CONSTANT_TYPES, MAX_TEXT, UNKNOWN, as_text, bounded

PERCENT_FIELD = re.compile(r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[-+ #0]*\d*(?:\.\d+)?)(?P<type>[%sdirfeEgGxXoc])")
"""A `%` conversion (`%s`, `%(name)s`, `%05d`, `%%`)."""
MAX_WIDTH = 1_000
"""Largest width or precision of a format spec applied."""


def fstring(node: cst.FormattedString, value_of: Callable[[cst.BaseExpression], Any],
            hole: Callable[[cst.BaseExpression], str] | None = None) -> Any:
    """The value of an f-string whose parts ``value_of`` evaluates to constants (or UNKNOWN).

    A part that is not a constant makes the whole string UNKNOWN, or is written as ``hole`` of its
    expression when given.
    """
    prefix = node.start.rstrip("'\"").lower().replace("f", "")
    quote = node.start[-1]
    chunks: list[str] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            chunks.append(literal_text(part.value, prefix, quote))
            continue
        text = _field_text(value_of(part.expression), part.conversion, _spec(part.format_spec))
        if text is None:
            if hole is None:
                return UNKNOWN
            text = hole(part.expression)
        chunks.append(text)
    return bounded("".join(chunks))


def literal_text(raw: str, prefix: str, quote: str) -> str:
    """The text of a literal part of an f-string (escapes decoded, `{{` `}}` undoubled)."""
    text = raw
    if "\\" in raw:
        try:
            text = ast.literal_eval(f"{prefix}{quote * 3}{raw}{quote * 3}")
        except (SyntaxError, ValueError):
            text = raw
    return text.replace("{{", "{").replace("}}", "}")


def _spec(spec: Any) -> str | None:
    """A format spec written as plain text (`:>10`), "" for none, None when it has fields itself."""
    if not spec:
        return ""
    if all(isinstance(part, cst.FormattedStringText) for part in spec):
        return "".join(part.value for part in spec)
    return None


def _field_text(value: Any, conversion: str | None, spec: str | None) -> str | None:
    """How a replacement field shows a constant: `!s`/`!r`/`!a` conversions and a format spec."""
    if spec is None or "{" in spec or as_text(value) is None:
        return None
    if conversion in ("r", "a") and isinstance(value, CONSTANT_TYPES):
        value = repr(value)
    elif conversion not in (None, "s"):
        return None
    if not spec:
        return as_text(value)
    return _formatted(f"{{:{spec}}}", value)


def _formatted(template: str, value: Any) -> str | None:
    """``template`` (one `{:spec}` or `%spec` field) applied to ``value``, when its widths are small."""
    if any(int(number) > MAX_WIDTH for number in re.findall(r"\d+", template)):
        return None
    try:
        return template.format(value) if template.startswith("{") else template % (value,)
    except (ValueError, TypeError, OverflowError, IndexError, KeyError):
        return None


def format_fields(template: str, args: list, kwargs: dict, holes: bool = False) -> Any:
    """`template.format(*args, **kwargs)` for `{}`, `{0}` and `{name}` fields of constants.

    A field of another form (attribute, index) or whose value is not a constant makes the result
    UNKNOWN, or with ``holes`` is kept as `{field}`.
    """
    chunks: list[str] = []
    auto = 0
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return UNKNOWN
    for literal, field, spec, conversion in parsed:
        chunks.append(literal)
        if field is None:
            continue
        value: Any = UNKNOWN
        if field == "":
            value, auto = (args[auto] if auto < len(args) else UNKNOWN), auto + 1
        elif field.isdigit():
            value = args[int(field)] if int(field) < len(args) else UNKNOWN
        elif field.isidentifier():
            value = kwargs.get(field, UNKNOWN)
        text = _field_text(value, conversion, spec)
        if text is None:
            if not holes:
                return UNKNOWN
            text = "{" + field + "}"
        chunks.append(text)
    return bounded("".join(chunks))


def percent_format(template: str, values: Any) -> Any:
    """`template % values` (a constant, a tuple of them or a dict for `%(name)s`); UNKNOWN otherwise."""
    items = list(values) if isinstance(values, tuple) else [values]
    chunks: list[str] = []
    position = 0
    for match in PERCENT_FIELD.finditer(template):
        literal = template[position:match.start()]
        if "%" in literal:
            return UNKNOWN
        chunks.append(literal)
        position = match.end()
        if match["type"] == "%":
            chunks.append("%")
            continue
        if match["key"] is not None:
            value = values.get(match["key"], UNKNOWN) if isinstance(values, dict) else UNKNOWN
        else:
            value = items.pop(0) if items else UNKNOWN
        text = _formatted(f"%{match['flags']}{match['type']}", value) if as_text(value) is not None else None
        if text is None:
            return UNKNOWN
        chunks.append(text)
    rest = template[position:]
    if "%" in rest or (items and not isinstance(values, dict)):
        return UNKNOWN
    chunks.append(rest)
    return bounded("".join(chunks))


def string_method(text: str, name: str, args: list, kwargs: dict, holes: bool = False) -> Any:
    """``text.<name>(*args, **kwargs)`` for the pure string methods on constants; UNKNOWN otherwise."""
    strings = all(isinstance(a, str) for a in args)
    if name in ("strip", "lstrip", "rstrip") and strings and len(args) <= 1:
        return getattr(str(text), name)(*args)
    if name in ("lower", "upper", "title", "casefold", "capitalize") and not args:
        return getattr(str(text), name)()
    if name in ("startswith", "endswith") and len(args) == 1 and isinstance(args[0], (str, tuple)):
        try:
            return getattr(str(text), name)(args[0])
        except TypeError:
            return UNKNOWN
    if name == "replace" and strings and len(args) == 2:
        if len(text) * max(1, len(args[1])) > MAX_TEXT:
            return UNKNOWN
        return str(text).replace(args[0], args[1])
    if name == "join" and len(args) == 1 and isinstance(args[0], (list, tuple)):
        if all(isinstance(a, str) for a in args[0]):
            return bounded(str(text).join(args[0]))
        return UNKNOWN
    if name in ("split", "rsplit") and strings and len(args) <= 1 and args != [""]:
        return getattr(str(text), name)(*args)
    if name == "format":
        return format_fields(str(text), args, kwargs, holes)
    return UNKNOWN
