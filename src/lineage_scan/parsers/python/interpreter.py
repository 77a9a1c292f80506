"""An abstract interpreter over libcst trees: statements and expressions evaluated to abstract values.

Nothing is imported or executed. Statements run in order; both branches of an `if` whose test is
not a constant run and their variables are joined; loop bodies run over known lists element by
element, otherwise twice; calls to functions of the repository (same file or imported from inside
the scanned root) are followed with the arguments' abstract values, up to a depth; everything
else is an unknown call, whose dataframe arguments are assumed to pass their columns through
(`inferred`). Library calls (pandas, PySpark, scikit-learn, ...) are dispatched in
`library.py`; dataframe and column methods in `frames.py` and `columns.py`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst
from libcst.helpers import get_full_name_for_node

from lineage_scan.model import Certainty, EdgeKind, Location, Severity
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.python import effects as fx
from lineage_scan.parsers.python.env import Env, join
from lineage_scan.parsers.python.flow import DataFlow
from lineage_scan.parsers.python.modules import ModuleLoader, ParsedModule
from lineage_scan.parsers.python.nulls import NullTracker
from lineage_scan.parsers.python.static import from_static, shown, to_static
from lineage_scan.parsers.python.values import (
    UNKNOWN,
    ColumnsOf,
    ColumnValue,
    Const,
    DbtContext,
    Frame,
    Library,
    Lineage,
    MapValue,
    PathValue,
    Seq,
    Session,
    TextOrigin,
    Trained,
    Unknown,
    combine,
    weakened,
)
from lineage_scan.parsers.pyvalues import operators, strings
from lineage_scan.parsers.pyvalues.scope import bind_arguments
from lineage_scan.sql.names import Names

MAX_CALL_DEPTH = 24
MAX_STEPS = 400_000
MAX_IMPORT_STEPS = 20_000
"""Work allowed to evaluate one imported module's top level (its definitions) for the importer."""
MAX_UNROLL = 64
STAR_IMPORTS = "*"
"""The scope entry listing libraries imported with `from x import *`."""
HOLE = "{%s}"
"""How an f-string part that is not a known constant is kept in the text (`{date}`)."""


class BudgetExceeded(Exception):
    """The analysis of one entry point used up its step budget."""


@dataclass(eq=False)
class FunctionValue:
    """A function or lambda of the analysed code, with the scope it was defined in."""

    module: ParsedModule
    node: cst.FunctionDef | cst.Lambda
    closure: Env
    qualname: str
    bound: object | None = None


@dataclass(eq=False)
class ClassValue:
    module: ParsedModule
    node: cst.ClassDef
    closure: Env
    qualname: str
    attrs: dict[str, object] = field(default_factory=dict)


@dataclass(eq=False)
class Instance:
    """An object of a class of the analysed code. ``open``: created to analyse a method on its own,
    so attributes it was never given are unknown parameters rather than missing."""

    cls: ClassValue
    attrs: dict[str, object] = field(default_factory=dict)
    open: bool = False


@dataclass(frozen=True)
class ModuleValue:
    """A module of the repository (`rel` set) or a package folder only reachable through submodules."""

    dotted: str
    rel: str | None


@dataclass(frozen=True)
class LazyImport:
    """`from module import name` met while reading an imported module's definitions: the name is
    only looked up when used, so imports of imports are not all read up front."""

    module: ModuleValue
    name: str


@dataclass(frozen=True)
class Indexer:
    """`df.loc` / `df.iloc` / `df.at`, waiting for its `[...]`."""

    frame: Frame
    kind: str


@dataclass
class Call:
    """A call's evaluated arguments, with their nodes for locations."""

    module: ParsedModule
    node: cst.CSTNode
    args: list[object]
    kwargs: dict[str, object]
    arg_nodes: list[cst.CSTNode]
    kwarg_nodes: dict[str, cst.CSTNode]
    has_star: bool = False
    env: Env | None = None
    """The scope the call is made in (to name the datasets passed to it, see `flow.py`)."""

    @cached_property
    def location(self) -> Location:
        """Where the call is; a method call from the method's name on, so each call of a chain has
        its own place. Computed on first use: positions cost more than the parse."""
        func = getattr(self.node, "func", None)
        if isinstance(func, cst.Attribute):
            return self.module.span(func.attr, self.node)
        return self.module.location(self.node)

    def get(self, index: int | None, name: str | None = None, default: object = None) -> object:
        if name is not None and name in self.kwargs:
            return self.kwargs[name]
        if index is not None and index < len(self.args):
            return self.args[index]
        return default

    def has(self, index: int | None, name: str | None = None) -> bool:
        return (name is not None and name in self.kwargs) or (index is not None and index < len(self.args))

    def where(self, index: int | None, name: str | None = None) -> Location:
        """The location of an argument (or of the call when it is absent)."""
        node = None
        if name is not None and name in self.kwarg_nodes:
            node = self.kwarg_nodes[name]
        elif index is not None and index < len(self.arg_nodes):
            node = self.arg_nodes[index]
        return self.module.location(node) if node is not None else self.location

    def values(self) -> list[object]:
        return [*self.args, *self.kwargs.values()]


@dataclass
class Activation:
    """One function (or module) being run: where, under which name, and what it returned."""

    module: ParsedModule
    qualname: str | None
    function: cst.CSTNode | None
    returns: list[object] = field(default_factory=list)


class Interpreter:
    def __init__(self, context: ParseContext, loader: ModuleLoader, effects: fx.Effects):
        self.context = context
        self.names = Names(context.dialect, context.default_db, context.default_catalog)
        self.loader = loader
        self.effects = effects
        self.stack: list[Activation] = []
        self.steps = 0
        self.temp_views: dict[str, Frame] = {}
        self.memo: dict[tuple, tuple[object, fx.Trace]] = {}
        self.generators: dict[cst.FunctionDef, bool] = {}
        self.resolving: set[tuple[str, str]] = set()
        self.current: list[tuple[cst.CSTNode, Env]] = []
        """The simple statements being run (innermost last), with their scopes."""
        self.dbt_model = None
        """Set by the dbt hook: how `dbt.ref`/`dbt.source`/`dbt.this` resolve in a dbt Python model."""
        self.flow = DataFlow(self)
        self.nulls = NullTracker()

    # ----------------------------------------------------------------- positions and diagnostics
    @property
    def module(self) -> ParsedModule:
        return self.stack[-1].module

    def where(self, node: cst.CSTNode) -> Location:
        return self.module.location(node)

    def assigned_name(self) -> str | None:
        """The variable the statement being run assigns to (`model = xgb.train(...)`), if one."""
        if self.current:
            statement = self.current[-1][0]
            if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
                target = statement.targets[0].target
                if isinstance(target, cst.Name | cst.Attribute):
                    return self.module.tree.code_for_node(target)
        return None

    def rebind(self, node: cst.CSTNode | None, value: object) -> None:
        """Change a variable's object from inside an expression (`model.fit(...)` fits `model`,
        `df.drop(..., inplace=True)`)."""
        if node is not None and self.current and isinstance(node, cst.Name | cst.Attribute):
            self.mutate(node, value, self.current[-1][1])

    def scope_name(self) -> str | None:
        """The qualified name of the innermost function being run (None at module level)."""
        for activation in reversed(self.stack):
            if activation.qualname is not None:
                return activation.qualname
        return None

    def diagnose(self, location: Location, message: str, code: str, severity: Severity = Severity.NOTE,
                 subject: str | None = None) -> None:
        self.effects.diagnose(location, message, code, severity, subject)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BudgetExceeded(f"stopped after {MAX_STEPS:,} steps")

    # ----------------------------------------------------------------- modules
    def module_globals(self, module: ParsedModule) -> Env:
        """The module's top-level names, evaluated once with effects muted (as an import would)."""
        env = module.globals_cache.get("env")
        if env is not None:
            return env
        env = Env(module_scope=True)
        env.vars["__name__"] = Const(module.name)
        env.vars["__file__"] = Const(module.rel)
        module.globals_cache["env"] = env
        steps = self.steps
        self.steps = MAX_STEPS - MAX_IMPORT_STEPS
        try:
            with self.effects.mute():
                self.run(module, None, None, lambda: self.exec_block(module.tree.body, env))
        except BudgetExceeded:
            pass  # a module too large to evaluate whole: the definitions read so far are kept
        finally:
            self.steps = steps
        return env

    def run_as_main(self, module: ParsedModule) -> Env:
        """Run the module's top level as a script (`__name__ == "__main__"`)."""
        env = Env(module_scope=True)
        env.vars["__name__"] = Const("__main__")
        env.vars["__file__"] = Const(module.rel)
        module.globals_cache["env"] = env
        self.run(module, None, None, lambda: self.exec_block(module.tree.body, env))
        return env

    def run(self, module: ParsedModule, qualname: str | None, function: cst.CSTNode | None, body) -> Activation:
        activation = Activation(module, qualname, function)
        self.stack.append(activation)
        try:
            body()
        finally:
            self.stack.pop()
        return activation

    def import_module(self, dotted: str, level: int = 0) -> ModuleValue | None:
        rel = self.loader.resolve(self.module.rel, dotted, level)
        return ModuleValue(dotted, rel) if rel is not None else None

    def module_attribute(self, value: ModuleValue, name: str) -> object:
        if value.rel is not None:
            module = self.module if value.rel == self.module.rel else self.loader.load(value.rel)
            if module is not None:
                found = self.module_globals(module).vars.get(name)
                if isinstance(found, LazyImport):
                    key = (found.module.dotted, found.name)
                    # `from . import sub` in a package names its own submodule: not a cycle to follow
                    if key in self.resolving or found.module == value:
                        found = None
                    else:
                        self.resolving.add(key)
                        try:
                            found = self.module_attribute(found.module, found.name)
                        finally:
                            self.resolving.discard(key)
                if found is not None and found is not UNKNOWN:
                    return found
        sub = f"{value.dotted}.{name}"
        rel = self.loader.resolve(self.module.rel, sub)
        return ModuleValue(sub, rel) if rel is not None else UNKNOWN

    # ----------------------------------------------------------------- statements
    def exec_block(self, statements, env: Env) -> None:
        for statement in statements:
            if self.exec_statement(statement, env):
                return

    def exec_statement(self, statement: cst.CSTNode, env: Env) -> bool:
        """Run one statement; True when it ends the block (`return`, `raise`, `break`, `continue`)."""
        self.tick()
        if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            for small in statement.body:
                if self.exec_small(small, env):
                    return True
            return False
        if isinstance(statement, cst.FunctionDef):
            qualname = self.qualify(statement.name.value, env)
            env.set(statement.name.value, FunctionValue(self.module, statement, env, qualname))
        elif isinstance(statement, cst.ClassDef):
            self.define_class(statement, env)
        elif isinstance(statement, cst.If):
            self.exec_if(statement, env)
        elif isinstance(statement, cst.For):
            self.exec_for(statement, env)
        elif isinstance(statement, cst.While):
            self.exec_loop(env, lambda e: (self.eval(statement.test, e), self.exec_block(statement.body.body, e)))
            if statement.orelse is not None:
                self.exec_block(statement.orelse.body.body, env)
        elif isinstance(statement, cst.With):
            for item in statement.items:
                value = self.eval(item.item, env)
                if item.asname is not None:
                    self.assign(item.asname.name, value, env)
            self.exec_block(statement.body.body, env)
        elif isinstance(statement, cst.Try | cst.TryStar):
            self.exec_try(statement, env)
        elif isinstance(statement, cst.Match):
            self.eval(statement.subject, env)
            branches = []
            for case in statement.cases:
                branch = env.branch()
                self.exec_block(case.body.body, branch)
                branches.append(branch)
            branches.append(env.branch())
            env.merge(branches)
        return False

    def exec_small(self, small: cst.CSTNode, env: Env) -> bool:
        self.current.append((small, env))
        try:
            return self._exec_small(small, env)
        finally:
            self.current.pop()

    def _exec_small(self, small: cst.CSTNode, env: Env) -> bool:
        if isinstance(small, cst.Expr):
            self.eval(small.value, env)
        elif isinstance(small, cst.Assign):
            value = self.eval(small.value, env)
            for target in small.targets:
                self.assign(target.target, value, env, small)
            self.flow.assigned(small, env)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, env), env, small)
                self.flow.assigned(small, env)
        elif isinstance(small, cst.AugAssign):
            current = self.eval(small.target, env)
            value = self.binary(current, small.operator, self.eval(small.value, env), small)
            self.assign(small.target, value, env, small)
            self.flow.assigned(small, env)
        elif isinstance(small, cst.Return):
            value = self.eval(small.value, env) if small.value is not None else Const(None)
            self.flow.returned(small, env)
            self.stack[-1].returns.append(value)
            return True
        elif isinstance(small, cst.Raise | cst.Break | cst.Continue):
            return True
        elif isinstance(small, cst.Import):
            self.exec_import(small, env)
        elif isinstance(small, cst.ImportFrom):
            self.exec_import_from(small, env)
        elif isinstance(small, cst.Del):
            self.exec_del(small.target, env)
        elif isinstance(small, cst.Global):
            env.declared_global.update(n.name.value for n in small.names)
        return False

    def exec_if(self, statement: cst.If, env: Env) -> None:
        test = self.eval(statement.test, env)
        if isinstance(test, Const):
            if test.value:
                self.exec_block(statement.body.body, env)
            elif isinstance(statement.orelse, cst.If):
                self.exec_if(statement.orelse, env)
            elif statement.orelse is not None:
                self.exec_block(statement.orelse.body.body, env)
            return
        taken = env.branch()
        self.exec_block(statement.body.body, taken)
        other = env.branch()
        if isinstance(statement.orelse, cst.If):
            self.exec_if(statement.orelse, other)
        elif statement.orelse is not None:
            self.exec_block(statement.orelse.body.body, other)
        env.merge([taken, other])

    def exec_for(self, statement: cst.For, env: Env) -> None:
        iterable = self.eval(statement.iter, env)
        self.flow.loop(statement, env)
        items = self.iterate(iterable)
        if items is not None and len(items) <= MAX_UNROLL:
            for item in items:
                self.assign(statement.target, item, env)
                self.exec_block(statement.body.body, env)
        else:
            element = self.element_of(iterable)

            def body(e: Env) -> None:
                self.assign(statement.target, element, e)
                self.exec_block(statement.body.body, e)

            self.exec_loop(env, body)
        if statement.orelse is not None:
            self.exec_block(statement.orelse.body.body, env)

    def exec_loop(self, env: Env, body) -> None:
        """A loop whose iterations are not known: zero, one or two runs of the body, joined."""
        once = env.branch()
        body(once)
        twice = once.branch()
        body(twice)
        env.merge([env.branch(), once, twice])

    def exec_try(self, statement, env: Env) -> None:
        self.exec_block(statement.body.body, env)
        branches = [env.branch()]
        for handler in statement.handlers:
            branch = env.branch()
            if handler.name is not None:
                self.assign(handler.name.name, UNKNOWN, branch)
            self.exec_block(handler.body.body, branch)
            branches.append(branch)
        env.merge(branches)
        if statement.orelse is not None:
            self.exec_block(statement.orelse.body.body, env)
        if statement.finalbody is not None:
            self.exec_block(statement.finalbody.body.body, env)

    def exec_import(self, statement: cst.Import, env: Env) -> None:
        for alias in statement.names:
            dotted = get_full_name_for_node(alias.name) or ""
            local = alias.asname.name.value if alias.asname is not None else None
            if local is not None:
                env.set(local, self.import_module(dotted) or Library(dotted))
            else:
                top = dotted.split(".")[0]
                env.set(top, self.import_module(top) or self.package(top) or Library(top))

    def package(self, top: str) -> ModuleValue | None:
        """A folder of the repository imported by its name without an `__init__.py`."""
        rel = self.loader.resolve(self.module.rel, f"{top}.__init__")
        if rel is not None:
            return ModuleValue(top, rel)
        probe = self.loader.root / top
        return ModuleValue(top, None) if probe.is_dir() and not top.startswith(".") else None

    def exec_import_from(self, statement: cst.ImportFrom, env: Env) -> None:
        dotted = get_full_name_for_node(statement.module) if statement.module is not None else ""
        level = len(statement.relative)
        module = self.import_module(dotted or "", level) if (dotted or level) else None
        if isinstance(statement.names, cst.ImportStar):
            if module is None and dotted:
                env.set(STAR_IMPORTS, Seq((*getattr(env.get(STAR_IMPORTS), "items", ()), Const(dotted))))
            if module is not None and module.rel is not None:
                loaded = self.loader.load(module.rel)
                if loaded is not None:
                    for name, value in self.module_globals(loaded).vars.items():
                        if not name.startswith("_"):
                            env.set(name, value)
            return
        for alias in statement.names:
            name = get_full_name_for_node(alias.name) or ""
            local = alias.asname.name.value if alias.asname is not None else name
            if module is not None and not self.effects.active:
                value = LazyImport(module, name)
            elif module is not None:
                value = self.module_attribute(module, name)
            else:
                sub = self.import_module(f"{dotted}.{name}" if dotted else name, level) if level else None
                value = sub or Library(f"{dotted}.{name}" if dotted else name)
            env.set(local, value)

    def define_class(self, statement: cst.ClassDef, env: Env) -> None:
        qualname = self.qualify(statement.name.value, env)
        cls = ClassValue(self.module, statement, env, qualname)
        bases = [get_full_name_for_node(b.value) or "" for b in statement.bases]
        body_env = Env(env)
        for item in statement.body.body:
            if isinstance(item, cst.FunctionDef):
                cls.attrs[item.name.value] = FunctionValue(self.module, item, env, f"{qualname}.{item.name.value}")
            else:
                self.exec_statement(item, body_env)
        for name, value in body_env.vars.items():
            cls.attrs.setdefault(name, value)
        cls.attrs["__bases__"] = Seq(tuple(Const(b) for b in bases))
        env.set(statement.name.value, cls)

    def qualify(self, name: str, env: Env) -> str:
        outer = self.scope_name()
        return f"{outer}.{name}" if outer and not env.module_scope else name

    # ----------------------------------------------------------------- assignment
    def assign(self, target: cst.CSTNode, value: object, env: Env, statement: cst.CSTNode | None = None) -> None:
        if isinstance(target, cst.Name):
            env.set(target.value, value)
            if target.value in env.params:
                env.rebound.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            elements = target.elements
            items = value.items if isinstance(value, Seq) and len(value.items) == len(elements) else None
            for index, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self.assign(element.value, UNKNOWN, env)
                    continue
                item = items[index] if items is not None else self.element_of(value)
                self.assign(element.value, item, env, statement)
        elif isinstance(target, cst.Subscript):
            from lineage_scan.parsers.python.frames import set_item

            base = self.eval(target.value, env)
            updated = set_item(self, base, target, value, env, statement or target)
            if updated is not None:
                owner = target.value.value if isinstance(base, Indexer) and isinstance(target.value, cst.Attribute) \
                    else target.value
                self.mutate(owner, updated, env)
        elif isinstance(target, cst.Attribute):
            base = self.eval(target.value, env)
            if isinstance(base, Frame) and target.attr.value == "columns":
                from lineage_scan.parsers.python.frames import rename_columns

                names = self.column_names(value)
                if names is not None and base.complete and len(names) == len(base.columns):
                    renamed = rename_columns(self, base, list(zip(base.names, names, strict=True)), self.where(target))
                    self.assign(target.value, renamed, env)
            elif isinstance(base, (Instance, ClassValue)):
                base.attrs[target.attr.value] = value

    def exec_del(self, target: cst.CSTNode, env: Env) -> None:
        if isinstance(target, cst.Tuple):
            for element in target.elements:
                self.exec_del(element.value, env)
        elif isinstance(target, cst.Subscript):
            base = self.eval(target.value, env)
            if isinstance(base, Frame):
                names = self.column_names(self.eval(self.index_value(target), env))
                if names:
                    self.mutate(target.value, base.dropped(set(names)), env)

    # ----------------------------------------------------------------- expressions
    def eval(self, node: cst.CSTNode | None, env: Env) -> object:
        if node is None:
            return Const(None)
        self.tick()
        if isinstance(node, cst.Name):
            return self.lookup(node.value, env)
        if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString):
            return self.string(node, env)
        if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
            try:
                return Const(node.evaluated_value)
            except (ValueError, OverflowError):
                return UNKNOWN
        if isinstance(node, cst.Attribute):
            return self.attribute(self.eval(node.value, env), node.attr.value, node, env)
        if isinstance(node, cst.Call):
            return self.call(node, env)
        if isinstance(node, cst.Subscript):
            from lineage_scan.parsers.python.frames import get_item

            return get_item(self, self.eval(node.value, env), node, env)
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return Seq(tuple(self.elements(node.elements, env)))
        if isinstance(node, cst.Dict):
            return self.dictionary(node, env)
        if isinstance(node, cst.BinaryOperation):
            return self.binary(self.eval(node.left, env), node.operator, self.eval(node.right, env), node)
        if isinstance(node, cst.BooleanOperation):
            return self.boolean(node, env)
        if isinstance(node, cst.Comparison):
            return self.comparison(node, env)
        if isinstance(node, cst.UnaryOperation):
            return self.unary(node, env)
        if isinstance(node, cst.IfExp):
            test = self.eval(node.test, env)
            if isinstance(test, Const):
                return self.eval(node.body if test.value else node.orelse, env)
            return join(self.eval(node.body, env), self.eval(node.orelse, env))
        if isinstance(node, cst.Lambda):
            return FunctionValue(self.module, node, env, self.scope_name() or "<lambda>")
        if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            return self.comprehension(node, env)
        if isinstance(node, cst.DictComp):
            return self.dict_comprehension(node, env)
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, env)
            self.assign(node.target, value, env)
            return value
        if isinstance(node, cst.Await):
            return self.eval(node.expression, env)
        if isinstance(node, cst.StarredElement):
            return self.eval(node.value, env)
        return UNKNOWN

    def lookup(self, name: str, env: Env) -> object:
        value = env.get(name)
        if isinstance(value, LazyImport):
            value = self.module_attribute(value.module, value.name)
            holder = env
            while holder is not None and name not in holder.vars:
                holder = holder.parent
            if holder is not None:
                holder.vars[name] = value
        if value is not None:
            return value
        if name in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[name])
        if name in ("spark", "session"):
            return Session()
        star = env.get(STAR_IMPORTS)
        if isinstance(star, Seq) and star.items and not hasattr(builtins, name):
            return Library(f"{star.items[-1].value}.{name}")
        return Library(f"builtins.{name}")

    def elements(self, elements, env: Env) -> list[object]:
        items: list[object] = []
        for element in elements:
            value = self.eval(element.value, env)
            if isinstance(element, cst.StarredElement):
                spread = self.iterate(value)
                items.extend(spread if spread is not None else [UNKNOWN])
            else:
                items.append(value)
        return items

    def dictionary(self, node: cst.Dict, env: Env) -> MapValue:
        items: list[tuple[object, object]] = []
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                spread = self.eval(element.value, env)
                if isinstance(spread, MapValue):
                    items.extend(spread.items)
            else:
                items.append((self.eval(element.key, env), self.eval(element.value, env)))
        return MapValue(tuple(items))

    def string(self, node: cst.CSTNode, env: Env) -> Const:
        """A string literal's text; an f-string part that is not a constant is kept as `{expr}`."""
        if isinstance(node, cst.SimpleString):
            try:
                value = node.evaluated_value
            except (ValueError, SyntaxError):
                return Const(None)
            if isinstance(value, bytes):
                return Const(value.decode("utf-8", "replace"))
            opening = len(node.prefix) + len(node.quote)
            exact = "\\" not in node.value
            return Const(value, TextOrigin(self.module.source, (self.module, node), offset=opening, exact=exact))
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.string(node.left, env), self.string(node.right, env)
            if not isinstance(left.value, str) or not isinstance(right.value, str):
                return Const(None)
            origin = left.origin and left.origin.shifted(exact=False)
            return Const(left.value + right.value, origin)
        text = strings.fstring(node, lambda expression: shown(self.eval(expression, env)),
                               lambda expression: HOLE % self.module.tree.code_for_node(expression))
        if not isinstance(text, str):
            return Const(None)
        return Const(text, TextOrigin(self.module.source, (self.module, node), offset=len(node.start), exact=False))

    def binary(self, left: object, operator: cst.CSTNode, right: object, node: cst.CSTNode) -> object:
        if isinstance(left, Const) and (isinstance(right, Const) or isinstance(operator, cst.Modulo)
                                        and isinstance(left.value, str) and isinstance(right, Seq | MapValue)):
            return _fold(left, operator, right)
        if isinstance(operator, cst.Add | cst.AddAssign) and isinstance(left, Seq) and isinstance(right, Seq):
            return Seq(left.items + right.items)
        if isinstance(operator, cst.Divide) and isinstance(left, PathValue) and isinstance(right, Const):
            return from_static(operators.binary(operator, to_static(left), to_static(right)))
        from lineage_scan.parsers.python.columns import arithmetic

        return arithmetic(self, left, right, node)

    def boolean(self, node: cst.BooleanOperation, env: Env) -> object:
        left = self.eval(node.left, env)
        if isinstance(left, Const):
            if isinstance(node.operator, cst.And) and not left.value:
                return left
            if isinstance(node.operator, cst.Or) and left.value:
                return left
        right = self.eval(node.right, env)
        if isinstance(left, Const) and isinstance(right, Const):
            return right
        return self.binary(left, node.operator, right, node)

    def comparison(self, node: cst.Comparison, env: Env) -> object:
        left = self.eval(node.left, env)
        values = [left]
        result: object | None = None
        for target in node.comparisons:
            right = self.eval(target.comparator, env)
            values.append(right)
            folded = _compare(left, target.operator, right)
            if folded is None:
                result = None
                break
            result = folded if result is None else Const(bool(result.value) and bool(folded.value))
            left = right
        if result is not None:
            return result
        from lineage_scan.parsers.python.columns import arithmetic

        value: object = values[0]
        for other in values[1:]:
            value = arithmetic(self, value, other, node)
        return value

    def unary(self, node: cst.UnaryOperation, env: Env) -> object:
        value = self.eval(node.expression, env)
        if isinstance(value, Const) or (isinstance(node.operator, cst.Not) and isinstance(value, Seq | MapValue)):
            return from_static(operators.unary(node.operator, to_static(value)))
        if isinstance(value, ColumnValue):
            return value.used(EdgeKind.TRANSFORM, name=value.name)
        return value

    def comprehension(self, node, env: Env) -> object:
        values = self.comprehend(node.for_in, env, lambda e: self.eval(node.elt, e))
        if values is None:
            return self.comprehension_over_columns(node, env) or UNKNOWN
        return Seq(tuple(values))

    def dict_comprehension(self, node: cst.DictComp, env: Env) -> object:
        pairs = self.comprehend(node.for_in, env, lambda e: (self.eval(node.key, e), self.eval(node.value, e)))
        return MapValue(tuple(pairs)) if pairs is not None else UNKNOWN

    def comprehend(self, clause: cst.CompFor, env: Env, produce) -> list | None:
        """Values of a comprehension over known items, keeping those whose conditions hold or may hold."""
        items = self.iterate(self.eval(clause.iter, env))
        if items is None or len(items) > MAX_UNROLL * 4:
            return None
        results: list = []
        for item in items:
            scope = Env(env)
            self.assign(clause.target, item, scope)
            keep = True
            for condition in clause.ifs:
                test = self.eval(condition.test, scope)
                if isinstance(test, Const) and not test.value:
                    keep = False
                    break
            if not keep:
                continue
            if clause.inner_for_in is not None:
                inner = self.comprehend(clause.inner_for_in, scope, produce)
                if inner is None:
                    return None
                results.extend(inner)
            else:
                results.append(produce(scope))
        return results

    def comprehension_over_columns(self, node, env: Env) -> object | None:
        """`[c for c in df.columns if c != TARGET]` over a frame whose columns are not all known."""
        clause = node.for_in
        iterable = self.eval(clause.iter, env)
        if not isinstance(iterable, ColumnsOf) or not isinstance(clause.target, cst.Name):
            return None
        if not (isinstance(node.elt, cst.Name) and node.elt.value == clause.target.value):
            return None
        excluded = set(iterable.excluded)
        for condition in clause.ifs:
            test = condition.test
            if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
                return None
            operator = test.comparisons[0].operator
            if not (isinstance(test.left, cst.Name) and test.left.value == clause.target.value):
                return None
            other = self.eval(test.comparisons[0].comparator, env)
            if isinstance(operator, cst.NotEqual | cst.IsNot) and isinstance(other, Const):
                excluded.add(str(other.value))
            elif isinstance(operator, cst.NotIn):
                names = self.column_names(other)
                if names is None:
                    return None
                excluded.update(names)
            else:
                return None
        return ColumnsOf(iterable.frame, frozenset(excluded))

    def iterate(self, value: object) -> list[object] | None:
        """The items of a value iterated over, when known."""
        if isinstance(value, Seq):
            return list(value.items)
        if isinstance(value, MapValue):
            return [k for k, _ in value.items]
        if isinstance(value, Const) and isinstance(value.value, str):
            return None
        if isinstance(value, ColumnsOf) and value.frame.complete:
            return [Const(n) for n in value.frame.names if n not in value.excluded]
        return None

    def element_of(self, value: object) -> object:
        """What an element of a not-fully-known iterable stands for."""
        if isinstance(value, Seq) and value.items:
            result = value.items[0]
            for item in value.items[1:]:
                result = join(result, item)
            return result
        if isinstance(value, Frame | ColumnValue):
            return value
        return UNKNOWN

    def index_value(self, node: cst.Subscript) -> cst.CSTNode | None:
        """The single index expression of `x[...]` (None for slices or several indices)."""
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return node.slice[0].slice.value
        return None

    # ----------------------------------------------------------------- attributes
    def attribute(self, base: object, name: str, node: cst.CSTNode, env: Env) -> object:
        if isinstance(base, Library):
            return Library(f"{base.path}.{name}")
        if isinstance(base, ModuleValue):
            return self.module_attribute(base, name)
        if isinstance(base, Instance):
            if name in base.attrs:
                return base.attrs[name]
            return self.class_attribute(base.cls, name, base)
        if isinstance(base, ClassValue):
            return self.class_attribute(base, name, None)
        from lineage_scan.parsers.python.library import value_attribute

        return value_attribute(self, base, name, node)

    def class_attribute(self, cls: ClassValue, name: str, instance: Instance | None) -> object:
        value = cls.attrs.get(name)
        if isinstance(value, FunctionValue) and instance is not None:
            return FunctionValue(value.module, value.node, value.closure, value.qualname, instance)
        if value is None:
            return Unknown(param=True) if instance is not None and instance.open else UNKNOWN
        return value

    # ----------------------------------------------------------------- calls
    def call(self, node: cst.Call, env: Env) -> object:
        args: list[object] = []
        arg_nodes: list[cst.CSTNode] = []
        kwargs: dict[str, object] = {}
        kwarg_nodes: dict[str, cst.CSTNode] = {}
        has_star = False
        for arg in node.args:
            value = self.eval(arg.value, env)
            if arg.star == "*":
                spread = self.iterate(value)
                if spread is None:
                    has_star = True
                    continue
                args.extend(spread)
                arg_nodes.extend([arg.value] * len(spread))
            elif arg.star == "**":
                if isinstance(value, MapValue):
                    for key, item in value.items:
                        if isinstance(key, Const) and isinstance(key.value, str):
                            kwargs[key.value] = item
                            kwarg_nodes[key.value] = arg
                else:
                    has_star = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = value
                kwarg_nodes[arg.keyword.value] = arg
            else:
                args.append(value)
                arg_nodes.append(arg.value)
        func = node.func
        call = Call(self.module, node, args, kwargs, arg_nodes, kwarg_nodes, has_star, env)
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, env)
            method = func.attr.value
            if isinstance(receiver, Seq) and method in ("append", "extend", "insert", "remove"):
                return self.mutate_list(receiver, method, call, func.value, env)
            if isinstance(receiver, Library | ModuleValue | Instance | ClassValue):
                return self.call_value(self.attribute(receiver, method, func, env), call)
            from lineage_scan.parsers.python.library import call_method

            return call_method(self, receiver, method, call, func.value)
        return self.call_value(self.eval(func, env), call)

    def call_value(self, callee: object, call: Call) -> object:
        if isinstance(callee, FunctionValue):
            return self.call_function(callee, call)
        if isinstance(callee, ClassValue):
            instance = Instance(callee)
            init = callee.attrs.get("__init__")
            if isinstance(init, FunctionValue):
                self.call_function(FunctionValue(init.module, init.node, init.closure, init.qualname, instance), call)
            return instance
        if isinstance(callee, Library):
            from lineage_scan.parsers.python.library import call_library

            return call_library(self, callee.path, call)
        return self.unknown_call(call, None)

    def mutate_list(self, current: Seq, method: str, call: Call, receiver: cst.CSTNode, env: Env) -> object:
        items = list(current.items)
        if method == "append" and call.args:
            items.append(call.args[0])
        elif method == "extend" and call.args:
            more = self.iterate(call.args[0])
            items.extend(more if more is not None else [UNKNOWN])
        elif method == "insert" and len(call.args) == 2:
            position = call.args[0]
            items.insert(position.value if isinstance(position, Const) and isinstance(position.value, int) else len(items),
                         call.args[1])
        elif method == "remove" and call.args and call.args[0] in items:
            items.remove(call.args[0])
        self.mutate(receiver, Seq(tuple(items)), env)
        return Const(None)

    def call_function(self, function: FunctionValue, call: Call) -> object:
        """Follow a call into a function of the repository with the arguments' abstract values.

        A call with the same arguments as an earlier one reuses its result (and replays the relations
        it read and wrote into the current task), so helpers called many times cost one analysis.
        Parameters the function mutates in place (`df["x"] = ...`) update the caller's variables.
        """
        recursive = any(a.function is function.node for a in self.stack)
        if recursive or len(self.stack) > MAX_CALL_DEPTH:
            if len(self.stack) > MAX_CALL_DEPTH:
                self.diagnose(call.location, f"call to {function.qualname}() not followed: calls nested more than "
                              f"{MAX_CALL_DEPTH} deep", fx.CODE_LIMIT)
            return self.unknown_call(call, function.qualname, report=False)
        self.flow.called(function, call)
        key = self._memo_key(function, call)
        if key is not None and key in self.memo:
            result, delta = self.memo[key]
            self.effects.replay(delta)
            return result
        scope = Env(function.closure)
        node = function.node
        if isinstance(node, cst.Lambda):
            self.stack.append(Activation(function.module, None, node))
            try:
                self.bind_parameters(node.params, scope, call, function.bound)
                return self.eval(node.body, scope)
            finally:
                self.stack.pop()
        views = dict(self.temp_views)

        def body() -> None:
            self.bind_parameters(node.params, scope, call, function.bound)
            self.exec_block(node.body.body, scope)

        with self.effects.trace() as delta:
            activation = self.run(function.module, function.qualname, node, body)
        self._update_mutated_arguments(node.params, scope, call, function.bound)
        if self._is_generator(node):
            return UNKNOWN
        result: object = Const(None)
        if activation.returns:
            result = activation.returns[0]
            for value in activation.returns[1:]:
                result = join(result, value)
        if key is not None and not scope.aliases and not scope.declared_global and views == self.temp_views \
                and not isinstance(result, Instance):
            self.memo[key] = (result, delta)
        return result

    def _is_generator(self, node: cst.FunctionDef) -> bool:
        found = self.generators.get(node)
        if found is None:
            found = self.generators[node] = _is_generator(node)
        return found

    def _memo_key(self, function: FunctionValue, call: Call) -> tuple | None:
        if call.has_star or function.bound is not None or any(isinstance(v, Instance) for v in call.values()):
            return None
        key = (id(function.node), id(function.closure), tuple(call.args), tuple(sorted(call.kwargs.items())),
               self.effects.active, frozenset(self.temp_views.items()))
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def _update_mutated_arguments(self, params: cst.Parameters, scope: Env, call: Call, bound: object | None) -> None:
        """A parameter mutated in place (never rebound) is the caller's object: update the caller's variable."""
        if not scope.aliases or not self.current:
            return
        caller = self.current[-1][1]
        positional = [p.name.value for p in (*params.posonly_params, *params.params)]
        offset = 1 if bound is not None else 0
        for name, value in scope.aliases.items():
            node = call.kwarg_nodes[name].value if name in call.kwarg_nodes else None
            if node is None and name in positional:
                index = positional.index(name) - offset
                node = call.arg_nodes[index] if 0 <= index < len(call.arg_nodes) else None
            if isinstance(node, cst.Name):
                self.mutate(node, value, caller)

    def mutate(self, node: cst.CSTNode, value: object, env: Env) -> None:
        """Update a variable for an in-place change of its object (`df["x"] = ...`, `inplace=True`)."""
        if isinstance(node, cst.Name):
            env.set(node.value, value)
            if node.value in env.params and node.value not in env.rebound:
                env.aliases[node.value] = value
        else:
            self.assign(node, value, env)

    def bind_parameters(self, params: cst.Parameters, scope: Env, call: Call | None, bound: object | None) -> None:
        """Bind arguments to parameters; a parameter without argument gets its default or stays unknown."""
        positional = [*params.posonly_params, *params.params]
        args = list(call.args) if call is not None else []
        if bound is not None:
            args.insert(0, bound)
        scope.params = {p.name.value for p in (*positional, *params.kwonly_params)}
        bound, extra, kwargs = bind_arguments(params, args, call.kwargs if call is not None else {},
                                              lambda default: self.eval(default, scope.parent or scope), _parameter)
        scope.vars.update(bound)
        if isinstance(params.star_arg, cst.Param):
            scope.vars[params.star_arg.name.value] = Seq(tuple(extra))
        if params.star_kwarg is not None:
            scope.vars[params.star_kwarg.name.value] = MapValue(tuple((Const(k), v) for k, v in kwargs.items()))

    def unknown_call(self, call: Call, name: str | None, report: bool = True) -> object:
        """A call the analysis does not follow: dataframe columns are assumed to pass through, and a
        column or value passed in is kept as an inferred dependency of the result."""
        frames = [v for v in call.values() if isinstance(v, Frame)]
        if frames:
            if report and name:
                self.diagnose(call.location, f"{name}() is not analysed; the dataframe's columns are assumed to "
                              "pass through it (inferred)", fx.CODE_UNKNOWN_CALL)
            result = frames[0]
            for frame in frames[1:]:
                result = join(result, frame)
            return result.weakened(Certainty.INFERRED)
        columns = [v for v in call.values() if isinstance(v, ColumnValue)]
        if columns:
            return combine(columns, EdgeKind.TRANSFORM, None, Certainty.INFERRED)
        lineage = self.lineage_of_values(call.values())
        return Unknown(weakened(lineage, Certainty.INFERRED)) if lineage else UNKNOWN

    def lineage_of_values(self, values: list[object]) -> Lineage:
        found: set = set()
        for value in values:
            if isinstance(value, Frame):
                found |= value.all_lineage() | value.rows
            elif isinstance(value, Unknown):
                found |= value.lineage
            elif isinstance(value, Trained):
                found |= value.features
        return frozenset(found)

    # ----------------------------------------------------------------- conversions
    def column_names(self, value: object) -> list[str] | None:
        """A value read as a list of column names (a string, a list of strings), None otherwise."""
        if isinstance(value, Const) and isinstance(value.value, str | int) and not isinstance(value.value, bool):
            return [str(value.value)]
        if isinstance(value, Seq):
            names: list[str] = []
            for item in value.items:
                inner = self.column_names(item)
                if inner is None:
                    return None
                names.extend(inner)
            return names
        if isinstance(value, ColumnsOf) and value.frame.complete:
            return [n for n in value.frame.names if n not in value.excluded]
        if isinstance(value, ColumnValue) and value.name is not None and len(value.terms) <= 1:
            return [value.name]
        if isinstance(value, MapValue):
            return self.column_names(Seq(tuple(k for k, _ in value.items)))
        return None

    def text(self, value: object) -> Const | None:
        """A value read as a string constant (keeps its origin for locating embedded SQL)."""
        from lineage_scan.parsers.python.values import SqlText

        if isinstance(value, SqlText):
            return value.text
        if isinstance(value, Const) and isinstance(value.value, str):
            return value
        return None


def _parameter(name: str) -> object:
    if name in ("spark", "session"):
        return Session()
    if name == "dbt":
        return DbtContext()
    return Unknown(param=True)


def _is_generator(node: cst.FunctionDef) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, node: cst.Yield) -> bool:
            nonlocal found
            found = True
            return False

        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is node

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    node.visit(Finder())
    return found


def _fold(left: Const, operator: cst.CSTNode, right: object) -> object:
    """An operator on a constant (a string keeps where it starts, approximately)."""
    value = operators.binary(operator, left.value, to_static(right))
    origin = left.origin.shifted(exact=False) if isinstance(left.value, str) and left.origin is not None else None
    return from_static(value, origin)


def _compare(left: object, operator: cst.CSTNode, right: object) -> Const | None:
    """Fold a comparison of constants (and membership in a known list); None if not foldable."""
    if not isinstance(left, Const | Seq | MapValue) or not isinstance(right, Const | Seq | MapValue):
        return None
    outcome = operators.compare(operator, to_static(left), to_static(right))
    return Const(outcome) if isinstance(outcome, bool) else None
