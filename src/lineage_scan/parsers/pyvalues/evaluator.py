"""A bounded static evaluator of the statements and expressions of one Python file.

It walks a libcst tree and evaluates expressions to the values of this package (constants, paths,
`values.py` types), following assignments, imports, the file's own functions (with their
arguments), `for` loops and comprehensions over constant collections and `if` statements (both
branches when the test is not constant). The pure helpers of `stdlib.py` are computed, `open(...)`
and `Path.read_text()` read files inside the scanned root; any other call evaluates to an `Opaque`
value. Nothing of the scanned file is ever run, and the work is bounded by a step budget.
A subclass adds what a framework's constructs mean (`parsers/airflow/interpreter.py`).
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, Protocol

import libcst as cst
from libcst.metadata import CodeRange

from lineage_scan.model import Diagnostic, Location, Severity
from lineage_scan.parsers.pyvalues import operators, stdlib, strings
from lineage_scan.parsers.pyvalues.scope import Scope, bind_arguments
from lineage_scan.parsers.pyvalues.values import (
    CONSTANT_TYPES,
    UNKNOWN,
    BoundMethod,
    FileHandle,
    Function,
    Imported,
    Opaque,
    Origin,
    Text,
    as_text,
    bounded,
)

ROOT_MARK = "/__lineage_scan_root__"
"""`__file__` evaluates to ROOT_MARK + "/" + the repo path, so path arithmetic stays plain strings."""
MAX_STEPS = 200_000
"""Statements and expressions evaluated per file before `OutOfBudget` stops the evaluation."""
MAX_CALL_DEPTH = 12
"""Calls of the file's own functions followed inside each other; deeper ones are UNKNOWN."""


class SourceFiles(Protocol):
    """The files of the scanned repository as seen from the evaluated file (never outside the root)."""

    def locate(self, path: str, want_dir: bool | None = None) -> str | None:
        """The repo path of the file or folder ``path`` (as the code names it), when it exists."""

    def read(self, rel: str) -> str | None:
        """The text of the repo file ``rel``, None when it cannot be read."""


class OutOfBudget(Exception):
    """The file needs more evaluation steps than allowed."""


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Evaluator:
    """Evaluates one parsed file (``module`` from a `MetadataWrapper`, with its positions) at repo
    path ``path``; diagnostics name the ``parser`` and use ``not_static`` for what is not static."""

    parser = "python"
    not_static = "LS930"
    module_name = "__main__"
    """What `__name__` evaluates to."""

    def __init__(self, module: cst.Module, positions: dict[cst.CSTNode, CodeRange], path: str, files: SourceFiles):
        self.module = module
        self.positions = positions
        self.path = path
        self.files = files
        self.diagnostics: list[Diagnostic] = []
        self.steps = 0
        self.depth = 0

    def module_scope(self) -> Scope:
        builtins = Scope(values={name: Imported(f"builtins.{name}") for name in stdlib.BUILTINS})
        return Scope(builtins, {"__file__": f"{ROOT_MARK}/{self.path}", "__name__": self.module_name})

    # ----------------------------------------------------------------- helpers
    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise OutOfBudget

    def location(self, node: cst.CSTNode) -> Location:
        span = self.positions.get(node)
        if span is None:
            return Location(self.path, 1, 1, 1, 1)
        start, end = span.start, span.end
        return Location(self.path, start.line, start.column + 1, end.line, max(end.column, 1))

    def note(self, node: cst.CSTNode, message: str, code: str, severity: Severity = Severity.NOTE) -> None:
        self.diagnostics.append(Diagnostic(self.location(node), self.parser, message, severity, code))

    def code(self, node: cst.CSTNode) -> str:
        text = self.module.code_for_node(node).strip()
        return text if len(text) <= 80 else text[:77] + "..."

    # ----------------------------------------------------------------- statements
    def exec_block(self, body: Sequence[cst.CSTNode], scope: Scope) -> None:
        for statement in body:
            self.exec_statement(statement, scope)

    def exec_body(self, body: cst.BaseSuite, scope: Scope) -> None:
        self.exec_block(body.body, scope)

    def exec_statement(self, node: cst.CSTNode, scope: Scope) -> None:
        self.tick()
        if isinstance(node, cst.SimpleStatementLine):
            self.exec_block(node.body, scope)
        elif isinstance(node, cst.FunctionDef):
            self.define_function(node, scope)
        elif isinstance(node, cst.With):
            self.exec_with(node, scope)
        elif isinstance(node, cst.For):
            self.exec_for(node, scope)
        elif isinstance(node, cst.If):
            self.exec_if(node, scope)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.exec_body(node.body, scope)
            if node.orelse is not None:
                self.exec_body(node.orelse.body, scope)
            if node.finalbody is not None:
                self.exec_body(node.finalbody.body, scope)
        elif isinstance(node, cst.Assign):
            value = self.eval(node.value, scope)
            for target in node.targets:
                self.bind(target.target, value, scope)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value, scope), scope)
        elif isinstance(node, cst.AugAssign):
            current, value = self.eval(node.target, scope), self.eval(node.value, scope)
            self.bind(node.target, self.binary(node.operator, current, value, node), scope)
        elif isinstance(node, cst.Expr):
            self.eval(node.value, scope)
        elif isinstance(node, cst.Return):
            raise _Return(self.eval(node.value, scope) if node.value is not None else None)
        elif isinstance(node, cst.Break):
            raise _Break
        elif isinstance(node, cst.Continue):
            raise _Continue
        elif isinstance(node, cst.Import):
            for alias in node.names:
                dotted = self.dotted(alias.name)
                if alias.asname is not None:
                    self.bind(alias.asname.name, Imported(dotted), scope)
                else:
                    head = dotted.split(".")[0]
                    scope.set(head, Imported(head))
        elif isinstance(node, cst.ImportFrom):
            self.exec_import_from(node, scope)

    def exec_import_from(self, node: cst.ImportFrom, scope: Scope) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = self.dotted(node.module) if node.module is not None else ""
        base = None
        if node.relative:
            base = posixpath.dirname(self.path)
            for _ in range(len(node.relative) - 1):
                base = posixpath.dirname(base)
        for alias in node.names:
            name = self.dotted(alias.name)
            qualname = f"{module}.{name}" if module else name
            target = alias.asname.name if alias.asname is not None else alias.name
            self.bind(target, Imported(qualname, base), scope)

    def dotted(self, node: cst.CSTNode) -> str:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return f"{self.dotted(node.value)}.{node.attr.value}"
        return self.code(node)

    def bind(self, target: cst.CSTNode, value: Any, scope: Scope) -> None:
        if isinstance(target, cst.Name):
            scope.set(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            names = [element.value for element in target.elements]
            values = list(value) if isinstance(value, (list, tuple)) and len(value) == len(names) else None
            for index, name in enumerate(names):
                self.bind(name, values[index] if values is not None else UNKNOWN, scope)
        elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
            container = self.eval(target.value, scope)
            index = target.slice[0].slice
            key = self.eval(index.value, scope) if isinstance(index, cst.Index) else UNKNOWN
            in_dict = isinstance(container, dict) and isinstance(key, (str, int, float, bool))
            in_list = isinstance(container, list) and isinstance(key, int) and -len(container) <= key < len(container)
            if in_dict or in_list:
                container[key] = value

    def exec_with(self, node: cst.With, scope: Scope) -> None:
        entered = 0
        for item in node.items:
            value = self.eval(item.item, scope)
            if item.asname is not None:
                self.bind(item.asname.name, value, scope)
            entered += self.enter(value)
        try:
            self.exec_body(node.body, scope)
        finally:
            for _ in range(entered):
                self.leave()

    def enter(self, value: Any) -> bool:
        """Called for each `with` item; True when it opened a context that `leave` closes."""
        return False

    def leave(self) -> None:
        """Closes the innermost context `enter` opened."""

    def exec_for(self, node: cst.For, scope: Scope) -> None:
        items = self.iterate(self.eval(node.iter, scope))
        if items is None:
            self.note(node.iter, f"loop over {self.code(node.iter)!r} cannot be unrolled statically; "
                                 "its body is read once with unknown values", self.not_static)
            items = [UNKNOWN]
        for item in items:
            self.bind(node.target, item, scope)
            try:
                self.exec_body(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        if node.orelse is not None:
            self.exec_body(node.orelse.body, scope)

    def iterate(self, value: Any) -> list | None:
        return stdlib.items_of(value)

    def exec_if(self, node: cst.If, scope: Scope) -> None:
        test = self.truth(self.eval(node.test, scope))
        orelse = node.orelse
        if test is not False:
            self.exec_body(node.body, scope)
        if test is not True and orelse is not None:
            if isinstance(orelse, cst.If):
                self.exec_if(orelse, scope)
            else:
                self.exec_body(orelse.body, scope)

    @staticmethod
    def truth(value: Any) -> bool | None:
        """The truth of a value: of a constant, True for other known objects, None when not known."""
        if value is UNKNOWN or isinstance(value, (Opaque, BoundMethod)):
            return None
        test = operators.truth(value)
        return True if test is None else test

    # ----------------------------------------------------------------- functions
    def define_function(self, node: cst.FunctionDef, scope: Scope) -> None:
        value: Any = Function(node, scope)
        for decorator in reversed(node.decorators):
            value = self.decorate(self.eval(decorator.decorator, scope), value, node)
        scope.set(node.name.value, value)

    def decorate(self, decorator: Any, function: Any, node: cst.CSTNode) -> Any:
        """What applying ``decorator`` to ``function`` gives: the function itself unless overridden."""
        return function

    def call_function(self, function: Function, args: list, kwargs: dict) -> Any:
        if self.depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        scope = Scope(function.scope)
        self.bind_parameters(function, args, kwargs, scope)
        self.depth += 1
        try:
            self.exec_body(function.node.body, scope)
        except _Return as returned:
            return returned.value
        except (_Break, _Continue):
            return UNKNOWN
        finally:
            self.depth -= 1
        return None

    def bind_parameters(self, function: Function, args: list, kwargs: dict, scope: Scope) -> None:
        params = function.node.params
        bound, extra, rest = bind_arguments(params, args, kwargs, lambda default: self.eval(default, function.scope),
                                            lambda name: UNKNOWN)
        scope.vars.update(bound)
        if isinstance(params.star_arg, cst.Param):
            scope.set(params.star_arg.name.value, tuple(extra))
        if params.star_kwarg is not None:
            scope.set(params.star_kwarg.name.value, rest)

    # ----------------------------------------------------------------- expressions
    def eval(self, node: cst.CSTNode, scope: Scope) -> Any:
        self.tick()
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        return method(node, scope) if method is not None else UNKNOWN

    def _eval_Integer(self, node: cst.Integer, scope: Scope) -> Any:
        return ast.literal_eval(node.value)

    def _eval_Float(self, node: cst.Float, scope: Scope) -> Any:
        return ast.literal_eval(node.value)

    def _eval_SimpleString(self, node: cst.SimpleString, scope: Scope) -> Any:
        value = node.evaluated_value
        if not isinstance(value, str):
            return UNKNOWN
        span = self.positions.get(node)
        if span is None:
            return value
        column = span.start.column + 1 + len(node.prefix) + len(node.quote)
        return Text(value, Origin(self.path, span.start.line, column, node.raw_value == value))

    def _eval_ConcatenatedString(self, node: cst.ConcatenatedString, scope: Scope) -> Any:
        return operators.add(self.eval(node.left, scope), self.eval(node.right, scope))

    def _eval_FormattedString(self, node: cst.FormattedString, scope: Scope) -> Any:
        return self.fstring(node, scope, partial=False)

    def fstring(self, node: cst.FormattedString, scope: Scope, partial: bool) -> Any:
        """An f-string's value; with ``partial``, unknown parts are kept as `{code}` (for fallback ids)."""
        hole = (lambda expression: "{" + self.code(expression) + "}") if partial else None
        return strings.fstring(node, lambda expression: self.eval(expression, scope), hole)

    def fallback_text(self, node: cst.CSTNode, scope: Scope) -> str:
        """A readable stand-in for a string that is not static (an id with unknown parts)."""
        if isinstance(node, cst.FormattedString):
            return str(self.fstring(node, scope, partial=True))
        return "{" + self.code(node) + "}"

    def _eval_Name(self, node: cst.Name, scope: Scope) -> Any:
        constants = {"True": True, "False": False, "None": None}
        return constants[node.value] if node.value in constants else scope.get(node.value, UNKNOWN)

    def _eval_Attribute(self, node: cst.Attribute, scope: Scope) -> Any:
        return self.attribute(self.eval(node.value, scope), node.attr.value)

    def attribute(self, base: Any, name: str) -> Any:
        if isinstance(base, Imported):
            return Imported(f"{base.qualname}.{name}", base.base)
        if isinstance(base, PurePosixPath) and name in stdlib.PATH_ATTRIBUTES:
            return stdlib.path_attribute(base, name)
        if isinstance(base, (FileHandle, PurePosixPath, str, dict, list)):
            return BoundMethod(base, name)
        return UNKNOWN

    def _eval_Subscript(self, node: cst.Subscript, scope: Scope) -> Any:
        base = self.eval(node.value, scope)
        if len(node.slice) != 1:
            return UNKNOWN
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return self.item(base, self.eval(index.value, scope))
        if isinstance(index, cst.Slice) and isinstance(base, (list, tuple, str)):
            parts = (index.lower, index.upper, index.step)
            bounds = [self.eval(part, scope) if part is not None else None for part in parts]
            if all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds) and bounds[2] != 0:
                return base[slice(*bounds)]
        return UNKNOWN

    def item(self, base: Any, key: Any) -> Any:
        """``base[key]`` for constants."""
        try:
            if isinstance(base, dict) and isinstance(key, CONSTANT_TYPES):
                return base.get(key, UNKNOWN)
            if isinstance(base, (list, tuple, str)) and isinstance(key, int) and not isinstance(key, bool):
                return base[key]
        except IndexError:
            return UNKNOWN
        return UNKNOWN

    def _eval_List(self, node: cst.List, scope: Scope) -> Any:
        return self.elements(node.elements, scope)

    def _eval_Tuple(self, node: cst.Tuple, scope: Scope) -> Any:
        items = self.elements(node.elements, scope)
        return tuple(items) if isinstance(items, list) else items

    def _eval_Set(self, node: cst.Set, scope: Scope) -> Any:
        return self.elements(node.elements, scope)

    def elements(self, elements: Sequence[cst.BaseElement], scope: Scope) -> Any:
        items: list = []
        for element in elements:
            value = self.eval(element.value, scope)
            if isinstance(element, cst.StarredElement):
                if not isinstance(value, (list, tuple)):
                    return UNKNOWN
                items.extend(value)
            else:
                items.append(value)
        return bounded(items)

    def _eval_Dict(self, node: cst.Dict, scope: Scope) -> Any:
        result: dict = {}
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                value = self.eval(element.value, scope)
                if isinstance(value, dict):
                    result.update(value)
                continue
            key = self.eval(element.key, scope)
            if isinstance(key, CONSTANT_TYPES):
                result[str(key) if isinstance(key, Text) else key] = self.eval(element.value, scope)
        return result

    def _eval_IfExp(self, node: cst.IfExp, scope: Scope) -> Any:
        test = self.truth(self.eval(node.test, scope))
        if test is None:
            return UNKNOWN
        return self.eval(node.body if test else node.orelse, scope)

    def _eval_NamedExpr(self, node: cst.NamedExpr, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        self.bind(node.target, value, scope)
        return value

    def _eval_UnaryOperation(self, node: cst.UnaryOperation, scope: Scope) -> Any:
        value = self.eval(node.expression, scope)
        if isinstance(node.operator, cst.Not):
            test = self.truth(value)
            return UNKNOWN if test is None else not test
        return operators.unary(node.operator, value)

    def _eval_BooleanOperation(self, node: cst.BooleanOperation, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        test = self.truth(left)
        if test is None:
            return UNKNOWN
        if isinstance(node.operator, cst.And):
            return self.eval(node.right, scope) if test else left
        return left if test else self.eval(node.right, scope)

    def _eval_Comparison(self, node: cst.Comparison, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        for target in node.comparisons:
            right = self.eval(target.comparator, scope)
            outcome = operators.compare(target.operator, left, right)
            if outcome is not True:
                return outcome
            left = right
        return True

    def _eval_BinaryOperation(self, node: cst.BinaryOperation, scope: Scope) -> Any:
        return self.binary(node.operator, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def binary(self, operator: cst.BaseBinaryOp, left: Any, right: Any, node: cst.CSTNode) -> Any:
        return operators.binary(operator, left, right)

    def _eval_ListComp(self, node: cst.ListComp, scope: Scope) -> Any:
        return self.comprehension(node.elt, None, node.for_in, scope)

    def _eval_GeneratorExp(self, node: cst.GeneratorExp, scope: Scope) -> Any:
        return self.comprehension(node.elt, None, node.for_in, scope)

    def _eval_SetComp(self, node: cst.SetComp, scope: Scope) -> Any:
        return self.comprehension(node.elt, None, node.for_in, scope)

    def _eval_DictComp(self, node: cst.DictComp, scope: Scope) -> Any:
        pairs = self.comprehension(node.key, node.value, node.for_in, scope)
        if not isinstance(pairs, list):
            return UNKNOWN
        return {k: v for k, v in pairs if isinstance(k, CONSTANT_TYPES)}

    def comprehension(self, element: cst.CSTNode, value: cst.CSTNode | None, clause: cst.CompFor, scope: Scope) -> Any:
        results: list = []
        inner = Scope(scope)

        def walk(clause: cst.CompFor) -> bool:
            items = self.iterate(self.eval(clause.iter, inner))
            if items is None:
                return False
            for item in items:
                self.bind(clause.target, item, inner)
                if any(self.truth(self.eval(condition.test, inner)) is False for condition in clause.ifs):
                    continue
                if clause.inner_for_in is not None:
                    if not walk(clause.inner_for_in):
                        return False
                elif value is None:
                    results.append(self.eval(element, inner))
                else:
                    results.append((self.eval(element, inner), self.eval(value, inner)))
                if len(results) > stdlib.MAX_LOOP:
                    return False
            return True

        return results if walk(clause) else UNKNOWN

    # ----------------------------------------------------------------- calls
    def _eval_Call(self, node: cst.Call, scope: Scope) -> Any:
        function = self.eval(node.func, scope)
        args: list = []
        kwargs: dict = {}
        nodes: dict[str, cst.BaseExpression] = {}
        for arg in node.args:
            value = self.eval(arg.value, scope)
            if arg.star == "*":
                if isinstance(value, (list, tuple)):
                    args.extend(value)
            elif arg.star == "**":
                if isinstance(value, dict):
                    kwargs.update({str(k): v for k, v in value.items()})
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
                nodes[arg.keyword.value] = arg.value
            else:
                args.append(value)
        return self.call(function, args, kwargs, node, nodes, scope)

    def call(self, function: Any, args: list, kwargs: dict, node: cst.Call, nodes: dict, scope: Scope) -> Any:
        """The value of a call; ``nodes`` maps keyword arguments to their expressions."""
        if isinstance(function, BoundMethod):
            return self.call_method(function, args, kwargs, node, nodes, scope)
        if isinstance(function, Function):
            return self.call_function(function, args, kwargs)
        if isinstance(function, Imported):
            if function.qualname == "builtins.open":
                return FileHandle(as_text(args[0])) if args and isinstance(args[0], (str, PurePosixPath)) else UNKNOWN
            pure = stdlib.pure_call(function.qualname, args, kwargs)
            return Opaque(function.qualname, tuple(args), dict(kwargs)) if pure is NotImplemented else pure
        return UNKNOWN

    def call_method(self, method: BoundMethod, args: list, kwargs: dict, node: cst.Call, nodes: dict,
                    scope: Scope) -> Any:
        target, name = method.target, method.name
        if isinstance(target, FileHandle):
            return self.read_file(target.path) if name == "read" else UNKNOWN
        if isinstance(target, PurePosixPath):
            if name == "read_text":
                return self.read_file(str(target))
            return FileHandle(str(target)) if name == "open" else stdlib.path_method(target, name, args)
        if isinstance(target, str):
            return strings.string_method(target, name, args, kwargs)
        if isinstance(target, dict):
            return stdlib.dict_method(target, name, args, kwargs)
        if isinstance(target, list):
            return stdlib.list_method(target, name, args)
        return UNKNOWN

    def read_file(self, path: str) -> Any:
        rel = self.files.locate(path, want_dir=False)
        text = self.files.read(rel) if rel is not None else None
        return Text(text, Origin(rel, 1, 1, True)) if text is not None and rel is not None else UNKNOWN
