"""Operators, comparisons and truth of constants, as Python computes them, within size limits."""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import libcst as cst

from lineage_scan.parsers.pyvalues.strings import percent_format
from lineage_scan.parsers.pyvalues.values import CONSTANT_TYPES, MAX_TEXT, UNKNOWN, bounded, is_constant

MAX_NUMBER = 2**53
"""Largest magnitude of an operand of `+` and `-`; larger numbers are not computed."""
MAX_PRODUCT_BITS = 64
"""Largest product of two integers, in bits."""
MAX_ITEMS = 100_000
"""Longest list or tuple built by `+`."""
ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    cst.Add: operator.add, cst.Subtract: operator.sub, cst.Multiply: operator.mul, cst.Divide: operator.truediv,
    cst.FloorDivide: operator.floordiv, cst.Modulo: operator.mod,
}
COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.Is: operator.eq, cst.IsNot: operator.ne,
    cst.LessThan: operator.lt, cst.GreaterThan: operator.gt, cst.LessThanEqual: operator.le,
    cst.GreaterThanEqual: operator.ge,
    cst.In: lambda item, container: item in container, cst.NotIn: lambda item, container: item not in container,
}
"""Comparisons of constants (`is` compares values: constants here have no identity)."""
AUGMENTED: dict[type, type] = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo,
    cst.BitOrAssign: cst.BitOr,
}
"""The operator of each augmented assignment (`x += 1` adds)."""


def truth(value: Any) -> bool | None:
    """The truth of a constant; None for anything else."""
    if isinstance(value, (*CONSTANT_TYPES, list, tuple, dict, PurePosixPath)):
        return bool(value)
    return None


def binary(op: cst.BaseBinaryOp | cst.BaseAugOp, left: Any, right: Any) -> Any:
    """``left <op> right`` (or ``left <op>= right``) for constants (strings, numbers, lists, dicts,
    paths); UNKNOWN otherwise."""
    kind = AUGMENTED.get(type(op), type(op))
    if kind is cst.Add:
        return add(left, right)
    if kind is cst.Modulo and isinstance(left, str):
        return percent_format(left, right)
    if kind is cst.Divide and isinstance(left, PurePosixPath):
        return left / right if isinstance(right, (str, PurePosixPath)) else UNKNOWN
    if kind is cst.BitOr and isinstance(left, dict) and isinstance(right, dict):
        return {**left, **right}
    function = ARITHMETIC.get(kind)
    if function is None or not _number(left) or not _number(right):
        return UNKNOWN
    if kind is cst.Multiply and isinstance(left, int) and isinstance(right, int):
        if abs(left).bit_length() + abs(right).bit_length() > MAX_PRODUCT_BITS:
            return UNKNOWN
    elif abs(left) >= MAX_NUMBER or abs(right) >= MAX_NUMBER:
        return UNKNOWN
    try:
        return function(left, right)
    except (ZeroDivisionError, OverflowError):
        return UNKNOWN


def add(left: Any, right: Any) -> Any:
    """``left + right`` for two strings, two lists (or tuples) or two numbers; UNKNOWN otherwise."""
    if isinstance(left, str) and isinstance(right, str):
        return str(left) + str(right) if len(left) + len(right) <= MAX_TEXT else UNKNOWN
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and type(left) is type(right):
        return bounded(left + right) if len(left) + len(right) <= MAX_ITEMS else UNKNOWN
    if _number(left) and _number(right) and abs(left) < MAX_NUMBER and abs(right) < MAX_NUMBER:
        return left + right
    return UNKNOWN


def compare(op: cst.BaseCompOp, left: Any, right: Any) -> Any:
    """``left <op> right`` (True or False) for constants; UNKNOWN otherwise."""
    function = COMPARISONS.get(type(op))
    if function is None or not is_constant(left) or not is_constant(right):
        return UNKNOWN
    try:
        return bool(function(left, right))
    except TypeError:
        return UNKNOWN


def unary(op: cst.BaseUnaryOp, value: Any) -> Any:
    """``not``, ``-``, ``+`` and ``~`` of a constant; UNKNOWN otherwise."""
    if isinstance(op, cst.Not):
        test = truth(value)
        return UNKNOWN if test is None else not test
    if not _number(value):
        return UNKNOWN
    if isinstance(op, cst.Minus):
        return -value
    if isinstance(op, cst.Plus):
        return +value
    return ~value if isinstance(op, cst.BitInvert) and isinstance(value, int) else UNKNOWN


def _number(value: Any) -> bool:
    return isinstance(value, (int, float))
