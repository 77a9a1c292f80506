"""The data flow of ML code, as the `DataStep`s the preprocessing-leakage rule (LS102) reads.

Datasets are followed by variable, not by value (a train split and a test split hold the same
columns, so their abstract values are equal): each assignment makes a new *version* of the variable,
`python:<path>:<name>@<line>` (the path and line of the assignment in the file that holds it — a
notebook's own lines). `Env.versions` keeps the versions a variable may hold at each point; after an
`if` with two assignments it holds both.

* An assignment is a DERIVE step from the versions its right-hand side reads to the new version,
  unless the right-hand side is an ML call that already names the assigned variables as its outputs
  (`X_train, X_test, y_train, y_test = train_test_split(X, y)`); element by element when both sides
  are tuples of one length. `df["a"] = ...` makes a new version of `df`.
* A value with no variable of its own (an argument computed in place, a call's result, a variable
  that may hold several versions) gets the id `python:<path>:<code>@<line>.<column>`.
* Functions of the repository are followed context-insensitively: a parameter is the version
  `python:<path>:<name>@<line of the parameter>`, derived from every argument passed to it; a
  function's result is `python:<path>:<function>()@<line>` (one per element when every `return`
  gives a tuple of one length), derived from what its `return` statements read.
* `for a in e` derives `a` from what `e` reads; `for train, test in KFold().split(X)` is a split.

ML calls become steps in `library_step` (splits, cross-validation, metrics, `resample`) and
`estimator_step` (fit, transform, predict, score, resampling). An estimator object made by the code
is an `EstimatorAt`, whose ``instance`` (`python:<path>:<class>@<line>.<column>`, where it is made)
its steps share; an object the analysis did not see made is known by the variable holding it.
DERIVE steps that do not lead to or from an ML step are dropped when the file is done.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.model import DataStep, Location, StepOp
from lineage_scan.parsers.python.values import Const, Estimator, Trained

if TYPE_CHECKING:
    from lineage_scan.parsers.python.env import Env
    from lineage_scan.parsers.python.interpreter import Call, FunctionValue, Interpreter

CV_SPLITTERS = frozenset({
    "KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "TimeSeriesSplit", "ShuffleSplit",
    "StratifiedShuffleSplit", "GroupShuffleSplit", "LeaveOneOut", "LeavePOut", "LeaveOneGroupOut", "LeavePGroupsOut",
    "RepeatedKFold", "RepeatedStratifiedKFold", "PredefinedSplit",
})
CROSS_VALIDATIONS = frozenset({"cross_val_score", "cross_validate", "cross_val_predict", "learning_curve",
                               "validation_curve", "permutation_test_score"})
NOT_METRICS = frozenset({"make_scorer", "get_scorer", "get_scorer_names", "check_scoring"})
METRIC_KEYWORDS = ("y_true", "y_pred", "y_score", "y_prob", "probas_pred", "labels_true", "labels_pred")
SEARCHES = frozenset({"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
                      "BayesSearchCV", "TuneSearchCV", "TuneGridSearchCV"})
PREDICTS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function", "score_samples"})
LABEL_LIMIT = 40


@dataclass(frozen=True)
class Value:
    """A value id, written out as text (which needs the file's node positions, costly) only for the
    steps a file keeps: a version `python:<path>:<label>@<line>` of the node's line, or, ``exact``, a
    value without a variable, `python:<path>:<label>@<line>.<column>` (label: the node's code if None)."""

    node: cst.CSTNode
    label: str | None = None
    exact: bool = False
    module: object = field(default=None, compare=False, hash=False)

    def __hash__(self) -> int:  # the node by identity, without libcst's `__hash__`
        return hash((id(self.node), self.label, self.exact))

    def text(self) -> str:
        location = self.module.location(self.node)
        label = self.label if self.label is not None else _label(self.module.tree.code_for_node(self.node))
        where = f"{location.start_line}.{location.start_col}" if self.exact else str(location.start_line)
        return f"python:{location.path}:{label}@{where}"


@dataclass(frozen=True)
class Place:
    """Where a DERIVE step is, located only if the step is kept."""

    node: cst.CSTNode
    module: object = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Step:
    """A `DataStep` being collected: its values not written out yet (DERIVE inputs unordered)."""

    op: StepOp
    where: Location | Place
    inputs: tuple | frozenset
    outputs: tuple
    roles: tuple[str, ...] = ()
    estimator: str | None = None
    components: tuple[str, ...] = ()
    instance: Value | None = None


@dataclass(frozen=True)
class EstimatorAt(Estimator):
    """An estimator object made by the analysed code: where (``instance``) and, for a pipeline or a
    wrapper, the classes inside it (``components``, dotted as imported); ``fills_zero``: a
    `SimpleImputer(strategy="constant")` filling with 0 (its default fill for numbers)."""

    instance: Value | None = None
    components: tuple[str, ...] = ()
    fills_zero: bool = False


class DataFlow:
    """Dataset versions and ML steps of one file's analysis (one per interpreter)."""

    def __init__(self, ix: Interpreter):
        self.ix = ix
        self.outputs: dict[int, tuple[Value, ...]] = {}
        """Value ids of call results (by the call node's `id`: libcst hashes nodes in Python, slowly): ML
        steps' outputs and repository functions' results."""
        self.claimed: set[int] = set()
        """Calls whose step named the variables (or the function result) they are assigned to."""
        self.pending_splits: dict[cst.CSTNode, tuple[tuple[Value, ...], str | None, Location]] = {}
        """`cv.split(X, y)` calls waiting for the `for train, test in ...` that names their parts."""
        self.arity: dict[cst.FunctionDef, int | None] = {}
        self.steps: set[Step] = set()
        self.elements: dict[Value, dict[object, frozenset[Value]]] = {}
        """The elements of container versions made by a literal or a call giving a tuple (`{"train": X_train}`,
        `splits = train_test_split(X, y)`), by constant key or index."""
        self.classes: dict[tuple[str, str], cst.ClassDef | None] = {}
        self.mixed: set[Value] = set()
        """Class attributes assigned something other than a container somewhere (no elements)."""

    # ----------------------------------------------------------------- ids
    def _place(self, node: cst.CSTNode) -> Place:
        return Place(node, self.ix.module)

    def version(self, name: str, node: cst.CSTNode, module=None) -> Value:
        return Value(node, name, False, module or self.ix.module)

    def expression(self, node: cst.CSTNode, label: str | None = None) -> Value:
        return Value(node, label, True, self.ix.module)

    def result(self, module, qualname: str | None, function: cst.FunctionDef, index: int | None = None) -> Value:
        """The id of a function's result (``index``: one element of the tuple it returns)."""
        suffix = f"[{index}]" if index is not None else ""
        return self.version(f"{qualname or function.name.value}(){suffix}", function.name, module)

    def _result_here(self, index: int | None = None) -> Value:
        activation = self.ix.stack[-1]
        return self.result(activation.module, activation.qualname, activation.function, index)

    # ----------------------------------------------------------------- reading
    def versions_of(self, name: str, env: Env) -> frozenset[Value]:
        scope: Env | None = env
        while scope is not None:
            found = scope.versions.get(name)
            if found is not None:
                return found
            if name in scope.vars:
                parameter = self._parameter(name) if name in scope.params else None
                return frozenset({parameter}) if parameter else frozenset()
            scope = scope.parent
        attribute = self._class_attribute(name)
        return frozenset({attribute}) if attribute is not None else frozenset()

    def _class_attribute(self, name: str) -> Value | None:
        """`self.X_train` in a method: the attribute of the method's class, derived from every version
        any method assigns to it (read where the method itself has not assigned it)."""
        root, dot, attribute = name.partition(".")
        if not dot or "." in attribute or not self.ix.stack:
            return None
        activation = self.ix.stack[-1]
        function, qualname = activation.function, activation.qualname or ""
        if not isinstance(function, cst.FunctionDef) or qualname.count(".") != 1:
            return None
        positional = [*function.params.posonly_params, *function.params.params]
        if not positional or positional[0].name.value != root:
            return None
        owner = qualname.split(".")[0]
        key = (activation.module.rel, owner)
        if key not in self.classes:
            self.classes[key] = next((c for c in activation.module.tree.body
                                      if isinstance(c, cst.ClassDef) and c.name.value == owner), None)
        cls = self.classes[key]
        return self.version(f"{owner}.{attribute}", cls.name, activation.module) if cls is not None else None

    def element(self, container: frozenset[Value], key: object) -> frozenset[Value] | None:
        """The versions element ``key`` of a container may hold (None: not known for every version)."""
        found: frozenset[Value] = frozenset()
        for version in container:
            items = self.elements.get(version)
            if items is None or key not in items:
                return None
            found |= items[key]
        return found or None

    def _parameter(self, name: str) -> Value | None:
        for activation in reversed(self.ix.stack):
            function = activation.function
            if isinstance(function, cst.FunctionDef):
                for param in _parameters(function.params):
                    if param.name.value == name:
                        return self.version(name, param, activation.module)
        return None

    def reads(self, node: cst.CSTNode | None, env: Env | None) -> set[Value]:
        """The value ids an expression reads: the versions of the variables in it, the results of the
        ML steps and functions it calls. (Dispatched on the exact node type: libcst's node classes are
        abstract-base subclasses, so `isinstance` on them is slow, and this runs on every assignment.)"""
        if node is None or env is None:
            return set()
        found = self.outputs.get(id(node))
        if found is not None:
            return set(found)
        kind = type(node)
        if kind is cst.Name:
            return set(self.versions_of(node.value, env))
        if kind is cst.Attribute:
            dotted = _dotted(node)
            if dotted is not None:
                found = self.versions_of(dotted, env)
                if found:
                    return set(found)
            return self.reads(node.value, env)
        if kind is cst.Arg:
            return self.reads(node.value, env)
        if kind is cst.Subscript:
            key, dotted = _constant_key(node), _dotted(node.value)
            if key is not None and dotted is not None:
                found = self.element(self.versions_of(dotted, env), key)
                if found is not None:
                    return set(found)
        elif kind is cst.Call:
            ids = self.reads(node.func.value, env) if type(node.func) is cst.Attribute else set()
            for arg in node.args:
                ids |= self.reads(arg.value, env)
            return ids
        elif kind in _OPAQUE or kind in _LITERALS:
            return set()
        ids: set[Value] = set()
        for child in _children(node):
            ids |= self.reads(child, env)
        return ids

    def argument(self, call: Call, index: int | None, keyword: str | None = None) -> Value | None:
        """The value id of one argument of a call (None when it is not passed)."""
        node: cst.CSTNode | None = None
        if keyword is not None and keyword in call.kwarg_nodes:
            node = call.kwarg_nodes[keyword]
            node = node.value if isinstance(node, cst.Arg) else node
        elif index is not None and index < len(call.arg_nodes):
            node = call.arg_nodes[index]
        return self.value_id(node, call.env) if node is not None else None

    def value_id(self, node: cst.CSTNode, env: Env | None) -> Value:
        found = self.outputs.get(id(node))
        if found is not None and len(found) == 1:
            return found[0]
        ids = self.reads(node, env)
        if isinstance(node, cst.Name | cst.Attribute) and len(ids) == 1:
            return next(iter(ids))
        value = self.expression(node)
        self.step(StepOp.DERIVE, self._place(node), ids, (value,))
        return value

    # ----------------------------------------------------------------- writing
    def results(self, call: Call, count: int | None = None) -> tuple[Value, ...]:
        """The value ids a call's result goes to: the variables it is assigned to (`X_train, X_test =
        ...`) or, for a function's `return`, that function's result; else one id for the call."""
        statement = self.ix.current[-1][0] if self.ix.current else None
        ids: tuple[Value, ...] | None = None
        targets = _direct_targets(statement, call.node)
        if targets is not None and len(targets) == 1 and count is not None and count > 1:
            # `splits = train_test_split(X, y)`: the parts are the container's elements (`splits[0]`...)
            self.outputs[id(call.node)] = tuple(self.version(f"{_dotted(targets[0])}[{i}]", statement) for i in range(count))
            return self.outputs[id(call.node)]
        if targets is not None and (count is None or len(targets) == count):
            ids = tuple(self._target_id(t, statement) for t in targets)
        elif isinstance(statement, cst.Return) and statement.value is call.node and self._in_function():
            arity = self.return_arity(self.ix.stack[-1].function)
            if count is not None and arity == count:
                ids = tuple(self._result_here(i) for i in range(count))
            elif count is None or count == 1:
                ids = (self._result_here(),)
        if ids is None:
            ids = (self.expression(call.node, _call_label(call.node)),)
        else:
            self.claimed.add(id(call.node))
        self.outputs[id(call.node)] = ids
        return ids

    def _target_id(self, target: cst.CSTNode, statement: cst.CSTNode) -> Value:
        return self.version(_dotted(target) or "value", statement)

    def _in_function(self) -> bool:
        return bool(self.ix.stack) and isinstance(self.ix.stack[-1].function, cst.FunctionDef)

    def _set(self, target: cst.CSTNode, statement: cst.CSTNode, env: Env, sources: set[Value],
             items: dict[object, frozenset[Value]] | None = None) -> None:
        """A new version of the variable ``target`` names (or of the frame or container it changes in place:
        `df["c"] = ...`, `parts["train"] = X_train`, which sets that element of a known container);
        ``items``: the elements of the container assigned."""
        if isinstance(target, cst.Subscript) or (isinstance(target, cst.Attribute) and _dotted(target) is None):
            root = target
            while isinstance(root, cst.Subscript | cst.Attribute) and not (
                    isinstance(root, cst.Attribute) and root is not target and self._known(root, env)):
                root = root.value
            name = _dotted(root)
            if name is None:
                return
            old = self.versions_of(name, env)
            key = _constant_key(target) if isinstance(target, cst.Subscript) and target.value is root else None
            if key is not None and len(old) == 1 and self.elements.get(next(iter(old))) is not None:
                items = {**self.elements[next(iter(old))], key: frozenset(sources)}
            sources = sources | set(old)
            target = root
        name = _dotted(target)
        if name is None:
            return
        value = self.version(name, statement)
        holder = env.globals() if name in env.declared_global else env
        holder.versions[name] = frozenset({value})
        place = self._place(statement)
        self.step(StepOp.DERIVE, place, sources - {value}, (value,))
        if items is not None:
            self.elements[value] = items
        attribute = self._class_attribute(name) if "." in name else None
        if attribute is not None:
            self.step(StepOp.DERIVE, place, {value}, (attribute,))
            if sources or items is not None:  # `self.parts = None` holds no dataset
                self._merge_elements(attribute, items)

    def _merge_elements(self, attribute: Value, items: dict[object, frozenset[Value]] | None) -> None:
        """A class attribute's elements are those of every container assigned to it (none if one is not a
        container)."""
        if attribute in self.mixed:
            return
        current = self.elements.get(attribute)
        if items is None:
            self.mixed.add(attribute)
            self.elements.pop(attribute, None)
        elif current is None:
            self.elements[attribute] = dict(items)
        else:
            for key, values in items.items():
                current[key] = current.get(key, frozenset()) | values

    def _known(self, node: cst.Attribute, env: Env) -> bool:
        """`self.parts` (a variable of its own) rather than `df.loc` (a view of `df`)."""
        dotted = _dotted(node)
        return dotted is not None and bool(self.versions_of(dotted, env))

    def assigned(self, statement: cst.Assign | cst.AnnAssign | cst.AugAssign, env: Env) -> None:
        """An assignment just run: new versions of what it assigns."""
        value = statement.value
        if value is None:
            return
        targets = [t.target for t in statement.targets] if isinstance(statement, cst.Assign) else [statement.target]
        if id(value) in self.claimed:
            for target in targets:
                for leaf in _leaves(target):
                    self._set(leaf, statement, env, set())
            return
        reads = self.reads(value, env)
        if isinstance(statement, cst.AugAssign):
            reads |= self.reads(statement.target, env)
        for target in targets:
            parts = self._per_element(target, value, env)
            if parts is not None:
                for leaf, sources in parts:
                    self._set(leaf, statement, env, sources)
            else:
                items = self._items(value, env) if _dotted(target) is not None else None
                for leaf in _leaves(target):
                    self._set(leaf, statement, env, reads, items)

    def _items(self, value: cst.CSTNode, env: Env) -> dict[object, frozenset[Value]] | None:
        """The elements of a container a value is, by constant key or index: a tuple, list or dict literal,
        the result of a call giving a tuple of known length, or another container variable."""
        if isinstance(value, cst.Tuple | cst.List):
            if any(isinstance(e, cst.StarredElement) for e in value.elements):
                return None
            return {i: frozenset(self.reads(e.value, env)) for i, e in enumerate(value.elements)}
        if isinstance(value, cst.Dict):
            items = {}
            for element in value.elements:
                key = _literal(element.key) if isinstance(element, cst.DictElement) else None
                if key is None:
                    return None
                items[key] = frozenset(self.reads(element.value, env))
            return items
        found = self.outputs.get(id(value))
        if found is not None and len(found) > 1:
            return {i: frozenset({v}) for i, v in enumerate(found)}
        dotted = _dotted(value)
        versions = self.versions_of(dotted, env) if dotted is not None else frozenset()
        if len(versions) == 1:
            return self.elements.get(next(iter(versions)))
        return None

    def _per_element(self, target: cst.CSTNode, value: cst.CSTNode, env: Env) -> list | None:
        """`a, b = x, y` and `a, b = f()` (a function returning a pair): each target from its own element."""
        if not isinstance(target, cst.Tuple | cst.List) or any(isinstance(e, cst.StarredElement) for e in target.elements):
            return None
        size = len(target.elements)
        if isinstance(value, cst.Tuple | cst.List) and len(value.elements) == size \
                and not any(isinstance(e, cst.StarredElement) for e in value.elements):
            return [(t.value, self.reads(v.value, env)) for t, v in zip(target.elements, value.elements, strict=True)]
        found = self.outputs.get(id(value))
        if found is not None and len(found) == size:
            return [(t.value, {v}) for t, v in zip(target.elements, found, strict=True)]
        dotted = _dotted(value)
        if dotted is not None:
            container = self.versions_of(dotted, env)
            items = [self.element(container, i) for i in range(size)]
            if container and all(i is not None for i in items) and self.element(container, size) is None:
                return [(t.value, set(i)) for t, i in zip(target.elements, items, strict=True)]
        return None

    def returned(self, statement: cst.Return, env: Env) -> None:
        """`return e` in a function: its result is derived from what ``e`` reads."""
        if statement.value is None or id(statement.value) in self.claimed or not self._in_function():
            return
        value = statement.value
        arity = self.return_arity(self.ix.stack[-1].function)
        if arity is not None and isinstance(value, cst.Tuple) and len(value.elements) == arity:
            for index, element in enumerate(value.elements):
                self.step(StepOp.DERIVE, self._place(statement), self.reads(element.value, env), (self._result_here(index),))
            return
        self.step(StepOp.DERIVE, self._place(statement), self.reads(value, env), (self._result_here(),))

    def return_arity(self, function: cst.FunctionDef) -> int | None:
        """The length of the tuple every `return` of a function gives, if they all give one of one length
        (a `return train_test_split(X, y)` gives four)."""
        if function not in self.arity:
            sizes = {_returned_size(r.value) for r in _returns(function)}
            self.arity[function] = sizes.pop() if len(sizes) == 1 else None
        return self.arity[function]

    def called(self, function: FunctionValue, call: Call) -> None:
        """A call of a function of the repository: its parameters derive from the arguments."""
        node = function.node
        if not isinstance(node, cst.FunctionDef):
            return
        positional = [*node.params.posonly_params, *node.params.params]
        offset = 1 if function.bound is not None else 0
        for index, param in enumerate(positional):
            argument = None
            if 0 <= index - offset < len(call.arg_nodes):
                argument = call.arg_nodes[index - offset]
            elif param.name.value in call.kwarg_nodes:
                argument = call.kwarg_nodes[param.name.value].value
            self._pass(argument, param, function, call)
        for param in node.params.kwonly_params:
            argument = call.kwarg_nodes.get(param.name.value)
            self._pass(argument.value if argument is not None else None, param, function, call)
        arity = self.return_arity(node)
        indices = range(arity) if arity else [None]
        self.outputs[id(call.node)] = tuple(self.result(function.module, function.qualname, node, i) for i in indices)

    def _pass(self, argument: cst.CSTNode | None, param: cst.Param, function: FunctionValue, call: Call) -> None:
        sources = self.reads(argument, call.env)
        if sources:
            target = self.version(param.name.value, param, function.module)
            self.step(StepOp.DERIVE, self._place(call.node), sources - {target}, (target,))

    def loop(self, statement: cst.For, env: Env) -> None:
        """`for target in iterable`, before the body runs."""
        iterable, target = statement.iter, statement.target
        if _is_call_to(iterable, "enumerate") and iterable.args and isinstance(target, cst.Tuple) \
                and len(target.elements) == 2:
            self._set(target.elements[0].value, statement, env, set())
            iterable, target = iterable.args[0].value, target.elements[1].value
        pending = self.pending_splits.get(iterable)
        if pending is not None and isinstance(target, cst.Tuple | cst.List) and len(target.elements) == 2:
            inputs, estimator, location = pending
            outputs = []
            for element in target.elements:
                self._set(element.value, statement, env, set())
                outputs.append(self.version(_dotted(element.value) or "value", statement))
            self.step(StepOp.SPLIT, location, inputs, tuple(outputs), ("train", "test"), estimator)
            return
        reads = self.reads(iterable, env)
        for leaf in _leaves(target):
            self._set(leaf, statement, env, reads)

    # ----------------------------------------------------------------- steps
    def step(self, op: StepOp, where: Location | Place, inputs, outputs=(), roles=(), estimator: str | None = None,
             components: tuple[str, ...] = (), instance: Value | None = None) -> None:
        if not self.ix.effects.active:
            return
        if op == StepOp.DERIVE:
            inputs = frozenset(inputs) - set(outputs)
            if not inputs:
                return
        else:
            inputs = tuple(i for i in inputs if i is not None)
        self.steps.add(Step(op, where, inputs, tuple(outputs), tuple(roles), estimator, tuple(components), instance))

    def finished(self) -> list[DataStep]:
        """The file's steps, written out with their ids, without the DERIVE steps that reach no ML step and
        come from none."""
        return sorted({_written(s) for s in _kept(self.steps)}, key=lambda s: s.id)

    def instance_of(self, model: object, node: cst.CSTNode | None, env: Env | None) -> tuple[str | None, tuple, Value | None]:
        """(estimator class, components, instance id) of a model object (``node``: where the code names it)."""
        estimator = model.estimator if isinstance(model, Trained) else model if isinstance(model, Estimator) else None
        path = estimator.path if estimator is not None and estimator.path != "unknown" else None
        if isinstance(estimator, EstimatorAt) and estimator.instance:
            return path, estimator.components, estimator.instance
        ids = self.reads(node, env) if isinstance(node, cst.Name | cst.Attribute) else set()
        return path, (), (next(iter(ids)) if len(ids) == 1 else None)


# --------------------------------------------------------------------------- ML calls
def library_step(ix: Interpreter, path: str, call: Call) -> None:
    """Splits, cross-validations, metrics and `resample` called as library functions."""
    flow: DataFlow = ix.flow
    last = path.rsplit(".", 1)[-1]
    if last == "train_test_split":
        arrays = [flow.argument(call, i) for i in range(len(call.arg_nodes))]
        outputs = flow.results(call, 2 * len(arrays))
        roles = ("train", "test") * len(arrays) if len(outputs) == 2 * len(arrays) else ()
        flow.step(StepOp.SPLIT, call.location, arrays, outputs, roles, path)
    elif last in CROSS_VALIDATIONS and path.startswith("sklearn."):
        node = call.kwarg_nodes["estimator"].value if "estimator" in call.kwarg_nodes else (
            call.arg_nodes[0] if call.arg_nodes else None)
        estimator, components, instance = flow.instance_of(call.get(0, "estimator"), node, call.env)
        inputs = [flow.argument(call, 1, "X"), flow.argument(call, 2, "y")]
        flow.step(StepOp.CROSS_VALIDATE, call.location, inputs, flow.results(call), (), estimator, components, instance)
    elif path in ("xgboost.cv", "lightgbm.cv"):
        inputs = [flow.argument(call, 1, "dtrain" if path.startswith("xgboost") else "train_set")]
        flow.step(StepOp.CROSS_VALIDATE, call.location, inputs, flow.results(call), (), path)
    elif path.startswith("sklearn.metrics.") and ".pairwise" not in path and last[:1].islower() and last not in NOT_METRICS:
        inputs = [flow.argument(call, i) for i in range(min(2, len(call.arg_nodes)))]
        inputs += [flow.argument(call, None, k) for k in METRIC_KEYWORDS if k in call.kwarg_nodes]
        flow.step(StepOp.EVALUATE, call.location, inputs, (), (), path)
        flow.outputs[id(call.node)] = ()  # a number, not a dataset
    elif path == "sklearn.utils.resample" and _is_true(call.get(None, "replace")):
        arrays = [flow.argument(call, i) for i in range(len(call.arg_nodes))]
        flow.step(StepOp.RESAMPLE, call.location, arrays, flow.results(call, len(arrays)), (), path)


def estimator_step(ix: Interpreter, model: object, name: str, call: Call, receiver: cst.CSTNode | None) -> None:
    """A method of an estimator (or of an object used like one): fit, transform, predict, score..."""
    flow: DataFlow = ix.flow
    estimator, components, instance = flow.instance_of(model, receiver, call.env)
    last = (estimator or "").rsplit(".", 1)[-1]
    where = call.location
    if name == "split" and last in CV_SPLITTERS:
        inputs = tuple(i for i in (flow.argument(call, k) for k in range(len(call.arg_nodes))) if i)
        flow.pending_splits[call.node] = (inputs, estimator, where)
        return

    def features() -> Value | None:  # only read for the steps that read X (an argument may get an id of its own)
        return flow.argument(call, 0, "X")

    def labels() -> Value | None:
        return flow.argument(call, 1, "y")

    common = {"estimator": estimator, "components": components, "instance": instance}
    if name in ("fit", "partial_fit", "score", "evaluate"):
        flow.outputs[id(call.node)] = ()  # the fitted model or a number, not a dataset
    if name in ("fit", "partial_fit", "fit_predict"):
        inputs = [features(), labels()]
        flow.step(StepOp.FIT, where, inputs, **common)
        if last in SEARCHES or (last.endswith("CV") and model is not None and not _is_preprocessor(model)):
            flow.step(StepOp.CROSS_VALIDATE, where, inputs, **common)
        if name == "fit_predict":
            flow.step(StepOp.PREDICT, where, inputs[:1], flow.results(call), **common)
    elif name == "fit_transform":
        flow.step(StepOp.FIT_TRANSFORM, where, [features(), labels()], flow.results(call), **common)
    elif name in ("fit_resample", "fit_sample"):
        flow.step(StepOp.RESAMPLE, where, [features(), labels()], flow.results(call, 2), **common)
    elif name in ("transform", "inverse_transform"):
        flow.step(StepOp.TRANSFORM, where, [features()], flow.results(call), **common)
    elif name in PREDICTS:
        flow.step(StepOp.PREDICT, where, [features()], flow.results(call), **common)
    elif name in ("score", "evaluate"):
        flow.step(StepOp.EVALUATE, where, [features(), labels()], **common)


def _is_preprocessor(model: object) -> bool:
    from lineage_scan.parsers.python.training import is_preprocessor

    estimator = model.estimator if isinstance(model, Trained) else model
    return isinstance(estimator, Estimator) and is_preprocessor(estimator)


# --------------------------------------------------------------------------- the file's steps
def _kept(steps: set[Step]) -> list[Step]:
    ml = [s for s in steps if s.op != StepOp.DERIVE]
    if not ml:
        return []
    derived = [s for s in steps if s.op == StepOp.DERIVE]
    producers: dict[Value, list[Step]] = defaultdict(list)
    consumers: dict[Value, list[Step]] = defaultdict(list)
    for step in derived:
        for value in step.outputs:
            producers[value].append(step)
        for value in step.inputs:
            consumers[value].append(step)
    kept: set[Step] = set()
    for edges, starts, side in ((producers, [i for s in ml for i in s.inputs], "inputs"),
                                (consumers, [o for s in ml for o in s.outputs], "outputs")):
        todo, seen = list(starts), set(starts)
        while todo:
            for step in edges.get(todo.pop(), ()):
                kept.add(step)
                for value in getattr(step, side):
                    if value not in seen:
                        seen.add(value)
                        todo.append(value)
    return [*ml, *kept]


def _written(step: Step) -> DataStep:
    """A step with its values as text and its id: where it is, what it does, and a digest of its values
    (the same step found by two files' analyses gets the same id)."""
    where = step.where if isinstance(step.where, Location) else step.where.module.location(step.where.node)
    inputs = tuple(v.text() for v in step.inputs)
    if step.op == StepOp.DERIVE:
        inputs = tuple(sorted(inputs))
    outputs = tuple(v.text() for v in step.outputs)
    instance = step.instance.text() if step.instance is not None else None
    digest = hashlib.sha1(repr((inputs, outputs, step.roles, step.estimator, step.components,
                                instance)).encode()).hexdigest()[:10]
    return DataStep(f"python:{where.path}:{where.start_line}.{where.start_col}:{step.op.value}:{digest}", step.op, where,
                    inputs, outputs, step.roles, step.estimator, step.components, instance)


# --------------------------------------------------------------------------- syntax helpers
def _label(code: str) -> str:
    text = " ".join(code.split())
    if len(text) > LABEL_LIMIT or any(c in text for c in ":@"):
        return "value"
    return text


def _call_label(node: cst.Call) -> str:
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else "call"
    return f"{name}()"


def _dotted(node: cst.CSTNode) -> str | None:
    """`X` or `self.X_train` as a name; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _leaves(target: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(target, cst.Tuple | cst.List):
        return [leaf for element in target.elements for leaf in _leaves(element.value)]
    if isinstance(target, cst.StarredElement):
        return _leaves(target.value)
    return [target]


def _direct_targets(statement: cst.CSTNode | None, node: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The variables a statement assigns ``node``'s value to, when it does so directly."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and statement.value is node:
        target = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign) and statement.value is node:
        target = statement.target
    else:
        return None
    items = [e.value for e in target.elements] if isinstance(target, cst.Tuple | cst.List) else [target]
    if any(isinstance(e, cst.StarredElement) for e in getattr(target, "elements", ())):
        return None
    return items if all(_dotted(i) is not None for i in items) else None


def _constant_key(node: cst.Subscript) -> object:
    """The key of `x[0]` or `x["train"]` (None for anything else)."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _literal(node.slice[0].slice.value)


def _literal(node: cst.CSTNode | None) -> object:
    """An integer or string literal's value (None for anything else)."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(node.expression, cst.Integer):
        return -node.expression.evaluated_value
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    return None


def _parameters(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            found.append(extra)
    return found


def _returns(function: cst.FunctionDef) -> list[cst.Return]:
    """The function's own `return` statements (not those of functions or classes defined inside it)."""
    found: list[cst.Return] = []
    todo: list[cst.CSTNode] = list(_children(function.body))
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is cst.Return:
            found.append(node)
        elif not _inner(kind):
            todo.extend(_children(node))
    return found


_OPAQUE = (cst.Lambda, cst.FunctionDef)
_LITERALS = (cst.Integer, cst.Float, cst.SimpleString, cst.Imaginary, cst.Ellipsis)
_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}
_INNER: dict[type, bool] = {}
_PUNCTUATION = ("whitespace", "lpar", "rpar", "comma", "operator", "equal", "semicolon", "colon", "dot", "lbracket",
                "rbracket", "lbrace", "rbrace", "leading_lines", "lines_after", "header", "footer")


def _inner(kind: type) -> bool:
    """Whether a node type holds no `return` of the function around it (an expression, a nested scope)."""
    found = _INNER.get(kind)
    if found is None:
        found = _INNER[kind] = issubclass(kind, cst.FunctionDef | cst.ClassDef | cst.Lambda | cst.BaseExpression)
    return found


def _is_node(value: object) -> bool:
    kind = type(value)
    found = _IS_NODE.get(kind)
    if found is None:
        found = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return found


def _children(node: cst.CSTNode):
    """A node's child nodes, read from its fields (libcst's `children` rebuilds the node: far slower)."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if not f.name.startswith(_PUNCTUATION))
    for name in names:
        value = getattr(node, name)
        if type(value) is tuple or type(value) is list:
            yield from (item for item in value if _is_node(item))
        elif _is_node(value):
            yield value


def _returned_size(value: cst.CSTNode | None) -> int | None:
    if isinstance(value, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in value.elements):
        return len(value.elements)
    if _is_call_to(value, "train_test_split") and not any(a.star or a.keyword for a in value.args[:1]):
        return 2 * len([a for a in value.args if a.keyword is None and not a.star])
    return None


def _is_call_to(node: cst.CSTNode | None, name: str) -> bool:
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    return (isinstance(func, cst.Name) and func.value == name) or (isinstance(func, cst.Attribute) and func.attr.value == name)


def _is_true(value: object) -> bool:
    return isinstance(value, Const) and value.value is True
