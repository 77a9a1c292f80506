"""A static evaluator for the subset of Python that DAG files use to build DAGs.

It walks a libcst tree and evaluates expressions to constants, paths and the value types of
`values.py`, following assignments, imports, the file's own functions (with their arguments), `for`
loops and comprehensions over constant collections and `if` statements (both branches when the test
is not constant). Pure helpers (`os.path`, `pathlib`, string and dict methods, `textwrap.dedent`,
`open(...).read()` inside the scanned root) are modelled; any other call evaluates to an `Opaque`
value. Nothing of the scanned file is ever run, and the work is bounded by a step budget.
`interpreter.Interpreter` adds what Airflow's constructs mean.
"""

from __future__ import annotations

import ast
import operator
import posixpath
import string
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange

from lineage_scan.model import Diagnostic, Location, Severity
from lineage_scan.parsers.airflow.dagfile import NOT_STATIC, PARSER
from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.airflow.values import (
    ROOT_MARK,
    UNKNOWN,
    BoundMethod,
    FileHandle,
    Function,
    Imported,
    Opaque,
    Origin,
    Scope,
    Text,
    as_text,
    bounded,
)

MAX_STEPS = 200_000
MAX_CALL_DEPTH = 12
MAX_LOOP = 1_000
BUILTINS = ("str", "len", "range", "enumerate", "zip", "list", "tuple", "dict", "sorted", "open", "print", "set")
PATH_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "os.path.dirname": posixpath.dirname, "os.path.basename": posixpath.basename, "os.path.abspath": posixpath.normpath,
    "os.path.realpath": posixpath.normpath, "os.path.normpath": posixpath.normpath, "os.path.expanduser": str,
    "os.fspath": str,
}
PATH_CLASSES = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath")
PURE = frozenset({*PATH_FUNCTIONS, *PATH_CLASSES, "os.path.join", "posixpath.join", "os.getenv", "os.environ.get",
                  "textwrap.dedent", *(f"builtins.{name}" for name in BUILTINS)})
"""The functions `pure_call` evaluates."""
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equal": operator.eq, "NotEqual": operator.ne, "Is": operator.eq, "IsNot": operator.ne,
    "LessThan": operator.lt, "GreaterThan": operator.gt, "LessThanEqual": operator.le, "GreaterThanEqual": operator.ge,
    "In": lambda item, container: item in container, "NotIn": lambda item, container: item not in container,
}
"""Comparisons of constants (`is` compares values: the interpreter's constants have no identity)."""


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
    """Evaluates one parsed file (``module`` from a `MetadataWrapper`, with its positions)."""

    def __init__(self, module: cst.Module, positions: dict[cst.CSTNode, CodeRange], files: RepoFiles):
        self.module = module
        self.positions = positions
        self.files = files
        self.diagnostics: list[Diagnostic] = []
        self.steps = 0
        self.depth = 0

    def module_scope(self) -> Scope:
        builtins = Scope(values={name: Imported(f"builtins.{name}") for name in BUILTINS})
        return Scope(builtins, {"__file__": f"{ROOT_MARK}/{self.files.dag_path}", "__name__": "airflow_dag_module"})

    # ----------------------------------------------------------------- helpers
    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise OutOfBudget

    def location(self, node: cst.CSTNode) -> Location:
        span = self.positions.get(node)
        if span is None:
            return Location(self.files.dag_path, 1, 1, 1, 1)
        start, end = span.start, span.end
        return Location(self.files.dag_path, start.line, start.column + 1, end.line, max(end.column, 1))

    def note(self, node: cst.CSTNode, message: str, code: str, severity: Severity = Severity.NOTE) -> None:
        self.diagnostics.append(Diagnostic(self.location(node), PARSER, message, severity, code))

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
            if isinstance(node.operator, cst.AddAssign):
                self.bind(node.target, self.add(self.eval(node.target, scope), self.eval(node.value, scope)), scope)
            else:
                self.bind(node.target, UNKNOWN, scope)
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
                    scope.assign(head, Imported(head))
        elif isinstance(node, cst.ImportFrom):
            self.exec_import_from(node, scope)

    def exec_import_from(self, node: cst.ImportFrom, scope: Scope) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = self.dotted(node.module) if node.module is not None else ""
        base = None
        if node.relative:
            base = self.files.dag_dir
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
            scope.assign(target.value, value)
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
                                 "its body is read once with unknown values", NOT_STATIC)
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
        if not isinstance(value, (list, tuple, str, dict)):
            return None
        items = list(value)
        return items if len(items) <= MAX_LOOP else None

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
        if value is UNKNOWN or isinstance(value, (Opaque, BoundMethod)):
            return None
        if isinstance(value, (str, int, float, bool, list, tuple, dict, type(None))):
            return bool(value)
        return True

    # ----------------------------------------------------------------- functions
    def define_function(self, node: cst.FunctionDef, scope: Scope) -> None:
        value: Any = Function(node, scope)
        for decorator in reversed(node.decorators):
            value = self.decorate(self.eval(decorator.decorator, scope), value, node)
        scope.assign(node.name.value, value)

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
        kwargs = dict(kwargs)
        positional = [*params.posonly_params, *params.params]
        for index, param in enumerate(positional):
            name = param.name.value
            if index < len(args):
                value = args[index]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif param.default is not None:
                value = self.eval(param.default, function.scope)
            else:
                value = UNKNOWN
            scope.assign(name, value)
        if isinstance(params.star_arg, cst.Param):
            scope.assign(params.star_arg.name.value, tuple(args[len(positional):]))
        for param in params.kwonly_params:
            name = param.name.value
            default = self.eval(param.default, function.scope) if param.default is not None else UNKNOWN
            scope.assign(name, kwargs.pop(name, default))
        if params.star_kwarg is not None:
            scope.assign(params.star_kwarg.name.value, kwargs)

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
        return Text(value, Origin(self.files.dag_path, span.start.line, column, node.raw_value == value))

    def _eval_ConcatenatedString(self, node: cst.ConcatenatedString, scope: Scope) -> Any:
        return self.add(self.eval(node.left, scope), self.eval(node.right, scope))

    def _eval_FormattedString(self, node: cst.FormattedString, scope: Scope) -> Any:
        return self.fstring(node, scope, partial=False)

    def fstring(self, node: cst.FormattedString, scope: Scope, partial: bool) -> Any:
        """An f-string's value; with ``partial``, unknown parts are kept as `{code}` (for fallback ids)."""
        prefix = node.start.rstrip("'\"").lower().replace("f", "")
        quote = node.start[-1]
        chunks: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                try:
                    text = ast.literal_eval(f"{prefix}{quote * 3}{part.value}{quote * 3}")
                except (SyntaxError, ValueError):
                    text = part.value
                chunks.append(text.replace("{{", "{").replace("}}", "}"))
                continue
            value = self.eval(part.expression, scope) if not part.format_spec else UNKNOWN
            text = as_text(value) if part.conversion in (None, "s") else None
            if text is None:
                if not partial:
                    return UNKNOWN
                text = "{" + self.code(part.expression) + "}"
            chunks.append(text)
        return bounded("".join(chunks))

    def fallback_text(self, node: cst.CSTNode, scope: Scope) -> str:
        """A readable stand-in for a string that is not static (an id with unknown parts)."""
        if isinstance(node, cst.FormattedString):
            return str(self.fstring(node, scope, partial=True))
        return "{" + self.code(node) + "}"

    def _eval_Name(self, node: cst.Name, scope: Scope) -> Any:
        constants = {"True": True, "False": False, "None": None}
        return constants[node.value] if node.value in constants else scope.lookup(node.value)

    def _eval_Attribute(self, node: cst.Attribute, scope: Scope) -> Any:
        return self.attribute(self.eval(node.value, scope), node.attr.value)

    def attribute(self, base: Any, name: str) -> Any:
        if isinstance(base, Imported):
            return Imported(f"{base.qualname}.{name}", base.base)
        if isinstance(base, PurePosixPath) and name in ("parent", "parents", "name", "stem", "suffix"):
            value = getattr(base, name)
            return list(value) if name == "parents" else value
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
            if isinstance(base, dict) and isinstance(key, (str, int, float, bool, type(None))):
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
            if isinstance(key, (str, int, float, bool, type(None))):
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
        if isinstance(node.operator, cst.Minus) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        return UNKNOWN

    def _eval_BooleanOperation(self, node: cst.BooleanOperation, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        test = self.truth(left)
        if test is None:
            return UNKNOWN
        if isinstance(node.operator, cst.And):
            return self.eval(node.right, scope) if test else left
        return left if test else self.eval(node.right, scope)

    def _eval_Comparison(self, node: cst.Comparison, scope: Scope) -> Any:
        constant = (str, int, float, bool, type(None), list, tuple, dict)
        left = self.eval(node.left, scope)
        for target in node.comparisons:
            right = self.eval(target.comparator, scope)
            if not isinstance(left, constant) or not isinstance(right, constant):
                return UNKNOWN
            compare = COMPARISONS.get(type(target.operator).__name__)
            try:
                outcome = compare(left, right) if compare is not None else UNKNOWN
            except TypeError:
                return UNKNOWN
            if outcome is UNKNOWN:
                return UNKNOWN
            if not outcome:
                return False
            left = right
        return True

    def _eval_BinaryOperation(self, node: cst.BinaryOperation, scope: Scope) -> Any:
        return self.binary(node.operator, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def binary(self, operator: cst.BaseBinaryOp, left: Any, right: Any, node: cst.CSTNode) -> Any:
        if isinstance(operator, cst.Add):
            return self.add(left, right)
        if isinstance(operator, cst.Divide) and isinstance(left, PurePosixPath):
            return left / right if isinstance(right, (str, PurePosixPath)) else UNKNOWN
        if isinstance(operator, cst.BitOr) and isinstance(left, dict) and isinstance(right, dict):
            return {**left, **right}
        if isinstance(operator, (cst.Subtract, cst.Multiply)) and all(
            isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31 for v in (left, right)
        ):
            return left - right if isinstance(operator, cst.Subtract) else left * right
        return UNKNOWN

    def add(self, left: Any, right: Any) -> Any:
        if isinstance(left, str) and isinstance(right, str):
            return bounded(str(left) + str(right)) if len(left) + len(right) <= 1_000_000 else UNKNOWN
        if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and type(left) is type(right):
            return bounded(left + right) if len(left) + len(right) <= 100_000 else UNKNOWN
        if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not isinstance(left, bool):
            return left + right if abs(left) < 2**53 and abs(right) < 2**53 else UNKNOWN
        return UNKNOWN

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
        return {k: v for k, v in pairs if isinstance(k, (str, int, float, bool, type(None)))}

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
                if len(results) > MAX_LOOP:
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
            pure = self.pure_call(function.qualname, args, kwargs)
            return Opaque(function.qualname, tuple(args), dict(kwargs)) if pure is NotImplemented else pure
        return UNKNOWN

    def call_method(self, method: BoundMethod, args: list, kwargs: dict, node: cst.Call, nodes: dict,
                    scope: Scope) -> Any:
        target, name = method.target, method.name
        if isinstance(target, FileHandle):
            return self.read_file(target.path) if name == "read" else UNKNOWN
        if isinstance(target, PurePosixPath):
            return self.path_method(target, name, args)
        if isinstance(target, str):
            return self.string_method(target, name, args, kwargs)
        if isinstance(target, dict):
            return self.dict_method(target, name, args)
        if isinstance(target, list):
            if name == "append" and len(args) == 1:
                target.append(args[0])
                return None
            if name == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
                target.extend(args[0])
                return None
            return list(target) if name == "copy" else UNKNOWN
        return UNKNOWN

    def pure_call(self, qualname: str, args: list, kwargs: dict) -> Any:
        """Pure standard-library helpers on constants; NotImplemented for any other function."""
        if not is_pure(qualname):
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
        return self.builtin(qualname[len("builtins."):], args, kwargs)

    def builtin(self, name: str, args: list, kwargs: dict) -> Any:
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
            items = self.iterate(first) if args else []
            if items is None:
                return UNKNOWN
            if name == "enumerate":
                start = args[1] if len(args) > 1 else kwargs.get("start", 0)
                return list(enumerate(items, start)) if isinstance(start, int) else UNKNOWN
            if name == "sorted":
                try:
                    return sorted(items)
                except TypeError:
                    return UNKNOWN
            return tuple(items) if name == "tuple" else items
        if name == "zip":
            sequences = [self.iterate(a) for a in args]
            return list(zip(*sequences, strict=False)) if all(s is not None for s in sequences) else UNKNOWN
        if name == "dict":
            base = dict(first) if isinstance(first, dict) else {}
            return {**base, **kwargs} if not args or isinstance(first, dict) else UNKNOWN
        if name == "open":
            return FileHandle(as_text(first)) if isinstance(first, (str, PurePosixPath)) else UNKNOWN
        return None if name == "print" else UNKNOWN

    def read_file(self, path: str) -> Any:
        rel = self.files.locate(path, want_dir=False)
        text = self.files.read(rel) if rel is not None else None
        return Text(text, Origin(rel, 1, 1, True)) if text is not None and rel is not None else UNKNOWN

    def path_method(self, path: PurePosixPath, name: str, args: list) -> Any:
        if name in ("resolve", "absolute", "expanduser"):
            return PurePosixPath(posixpath.normpath(str(path)))
        if name == "joinpath" and all(isinstance(a, (str, PurePosixPath)) for a in args):
            return path.joinpath(*args)
        if name == "with_suffix" and len(args) == 1 and isinstance(args[0], str):
            try:
                return path.with_suffix(args[0])
            except ValueError:
                return UNKNOWN
        if name == "as_posix":
            return str(path)
        if name == "read_text":
            return self.read_file(str(path))
        if name == "open":
            return FileHandle(str(path))
        return UNKNOWN

    @staticmethod
    def string_method(text: str, name: str, args: list, kwargs: dict) -> Any:
        strings = all(isinstance(a, str) for a in args)
        if name in ("strip", "lstrip", "rstrip") and strings and len(args) <= 1:
            return getattr(str(text), name)(*args)
        if name in ("lower", "upper") and not args:
            return getattr(str(text), name)()
        if name in ("startswith", "endswith") and len(args) == 1 and isinstance(args[0], (str, tuple)):
            return getattr(str(text), name)(args[0])
        if name == "replace" and strings and len(args) == 2:
            if len(text) * max(1, len(args[1])) > 1_000_000:
                return UNKNOWN
            return str(text).replace(args[0], args[1])
        if name == "join" and len(args) == 1 and isinstance(args[0], (list, tuple)):
            if all(isinstance(a, str) for a in args[0]):
                return bounded(str(text).join(args[0]))
            return UNKNOWN
        if name == "split" and strings and len(args) <= 1:
            return str(text).split(*args)
        if name == "format":
            return format_simple(str(text), args, kwargs)
        return UNKNOWN

    @staticmethod
    def dict_method(mapping: dict, name: str, args: list) -> Any:
        if name == "get" and args and isinstance(args[0], (str, int, float, bool, type(None))):
            return mapping.get(args[0], args[1] if len(args) > 1 else None)
        if name in ("keys", "values", "items") and not args:
            return list(getattr(mapping, name)())
        if name == "copy":
            return dict(mapping)
        if name == "update" and len(args) == 1 and isinstance(args[0], dict):
            mapping.update(args[0])
            return None
        return UNKNOWN
def is_pure(qualname: str) -> bool:
    """True for the standard-library functions the evaluator computes itself."""
    return qualname in PURE


def format_simple(template: str, args: list, kwargs: dict) -> Any:
    """`str.format` limited to plain `{}`, `{0}` and `{name}` fields of constants (no specs, no attributes)."""
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
        if spec or conversion not in (None, "s") or not (field == "" or field.isdigit() or field.isidentifier()):
            return UNKNOWN
        if field == "":
            value, auto = (args[auto] if auto < len(args) else UNKNOWN), auto + 1
        elif field.isdigit():
            value = args[int(field)] if int(field) < len(args) else UNKNOWN
        else:
            value = kwargs.get(field, UNKNOWN)
        text = as_text(value)
        if text is None:
            return UNKNOWN
        chunks.append(text)
    return bounded("".join(chunks))


