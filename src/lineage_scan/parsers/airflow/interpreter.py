"""Airflow's meaning for a DAG file's constructs, on top of the static evaluator (`parsers/pyvalues`).

Records DAGs (`DAG(...)`, `with DAG`, `@dag`, `@asset`, Cosmos `DbtDag`), task groups (`TaskGroup`,
`@task_group`, with their id prefixes), tasks (any call with a `task_id`, TaskFlow calls with Airflow's
`name__1` ids, `.partial().expand()` mapping, `.override()`) and dependencies (`>>`, `<<`, lists, edge
labels, `set_upstream/downstream`, `chain`, `chain_linear`, `cross_downstream`, XComArgs passed between
tasks), the way Airflow would build them, into a `DagFile`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import pairwise
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange

from lineage_scan.model import Severity
from lineage_scan.parsers.airflow.dagfile import NOT_STATIC, PARSER, STRUCTURE, DagFile, DagInfo, GroupInfo, TaskInfo
from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.airflow.values import (
    AssetRef,
    DagRef,
    Decorator,
    EdgeLabel,
    Factory,
    GroupRef,
    LineageEntity,
    PartialOperator,
    TaskFlow,
    TaskRef,
    is_task_like,
)
from lineage_scan.parsers.pyvalues.evaluator import MAX_STEPS, Evaluator, OutOfBudget
from lineage_scan.parsers.pyvalues.scope import Scope
from lineage_scan.parsers.pyvalues.stdlib import is_pure
from lineage_scan.parsers.pyvalues.values import UNKNOWN, BoundMethod, Function, Imported, collect

DECORATOR_KINDS = frozenset({"task", "dag", "task_group", "asset", "asset.multi", "setup", "teardown"})
ASSET_CLASSES = frozenset({"Asset", "Dataset"})
ASSET_GROUPS = frozenset({"AssetAll", "AssetAny", "DatasetAll", "DatasetAny"})
DEPENDENCY_HELPERS = frozenset({"chain", "chain_linear", "cross_downstream"})


class Frame:
    """The DAG and task group that new tasks join (a `with` block or a `@dag`/`@task_group` body)."""

    def __init__(self, dag_id: str | None, group: GroupInfo | None):
        self.dag_id = dag_id
        self.group = group


def decorator_kind(qualname: str) -> str | None:
    """`airflow.sdk.task.bash` -> `task.bash`; None when the name is not an Airflow decorator."""
    parts = qualname.split(".")
    if parts[0] != "airflow":
        return None
    for index in range(1, len(parts)):
        kind = ".".join(parts[index:])
        if kind in DECORATOR_KINDS or (parts[index] == "task" and len(parts) - index == 2):
            return kind
    return None


class Interpreter(Evaluator):
    """Interprets one parsed DAG file into a `DagFile`."""

    parser = PARSER
    not_static = NOT_STATIC
    module_name = "airflow_dag_module"

    def __init__(self, module: cst.Module, positions: dict[cst.CSTNode, CodeRange], files: RepoFiles,
                 variables: dict[str, Any]):
        super().__init__(module, positions, files.dag_path, files)
        self.variables = variables
        self.result = DagFile(files.dag_path)
        self.frames: list[Frame] = [Frame(None, None)]
        self.uncalled: dict[int, tuple[Factory, cst.CSTNode]] = {}

    def run(self) -> DagFile:
        try:
            self.exec_block(self.module.body, self.module_scope())
            for factory, node in list(self.uncalled.values()):
                self.note(node, f"the @dag function {factory.function.name!r} is never called, so Airflow does not "
                                "register its DAG; analysed as if it were", STRUCTURE)
                self.call_factory(factory, [], {}, node)
        except OutOfBudget:
            self.note(self.module, f"DAG file too complex to interpret statically (over {MAX_STEPS:,} steps); "
                                   "tasks after that point are missing", NOT_STATIC, Severity.WARNING)
        except RecursionError:
            self.note(self.module, "DAG file nested too deeply to interpret; tasks after that point are missing",
                      NOT_STATIC, Severity.WARNING)
        self.result.diagnostics = self.diagnostics
        return self.result

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    # ----------------------------------------------------------------- evaluator hooks
    def enter(self, value: Any) -> bool:
        if isinstance(value, DagRef):
            self.frames.append(Frame(value.dag_id, None))
            return True
        if isinstance(value, GroupRef):
            self.frames.append(Frame(value.dag_id, self.result.groups.get((value.dag_id, value.group_id))))
            return True
        return False

    def leave(self) -> None:
        self.frames.pop()

    def attribute(self, base: Any, name: str) -> Any:
        if isinstance(base, TaskRef) and name == "output":
            return replace(base, xcom=True)
        if isinstance(base, DagRef) and name == "dag_id":
            return base.dag_id
        if isinstance(base, AssetRef) and name in ("uri", "name"):
            return getattr(base, name)
        if isinstance(base, (TaskRef, GroupRef, DagRef, TaskFlow, PartialOperator)):
            return BoundMethod(base, name)
        return super().attribute(base, name)

    def item(self, base: Any, key: Any) -> Any:
        return base if isinstance(base, TaskRef) and base.xcom else super().item(base, key)

    def binary(self, operator: cst.BaseBinaryOp, left: Any, right: Any, node: cst.CSTNode) -> Any:
        if isinstance(operator, cst.RightShift):
            return self.shift(left, right, node)
        if isinstance(operator, cst.LeftShift):
            if isinstance(left, EdgeLabel) or isinstance(right, EdgeLabel):
                return right
            linked = self.link(right, left, node)
            return right if linked or is_task_like(left) or is_task_like(right) else UNKNOWN
        if isinstance(operator, (cst.BitOr, cst.BitAnd)) and (assets := collect([left, right], AssetRef)):
            return tuple(assets)
        return super().binary(operator, left, right, node)

    def call(self, function: Any, args: list, kwargs: dict, node: cst.Call, nodes: dict, scope: Scope) -> Any:
        if isinstance(function, TaskFlow):
            return self.call_taskflow(function, args, kwargs, node)
        if isinstance(function, Factory):
            return self.call_factory(function, args, kwargs, node)
        if isinstance(function, Decorator):
            return self.decorate(function, args[0], node) if len(args) == 1 else UNKNOWN
        if isinstance(function, Imported):
            return self.call_imported(function, args, kwargs, node, nodes, scope)
        if function is UNKNOWN and "task_id" in kwargs:
            return self.create_task(self.callee_name(node.func), None, kwargs, nodes, node, scope)
        return super().call(function, args, kwargs, node, nodes, scope)

    def call_method(self, method: BoundMethod, args: list, kwargs: dict, node: cst.Call, nodes: dict,
                    scope: Scope) -> Any:
        target, name = method.target, method.name
        if isinstance(target, (TaskRef, GroupRef)):
            if name == "set_upstream" and args:
                self.link(args[0], target, node)
            elif name == "set_downstream" and args:
                self.link(target, args[0], node)
            elif name in ("as_setup", "as_teardown"):
                return target
            return None
        if isinstance(target, TaskFlow):
            if name == "override":
                return TaskFlow(target.function, target.kind, {**target.options, **kwargs}, target.mapped)
            if name == "partial":
                return PartialOperator(target, dict(kwargs))
            if name in ("expand", "expand_kwargs"):
                return self.call_taskflow(target, [], kwargs, node, mapped=True)
            return UNKNOWN
        if isinstance(target, PartialOperator):
            if name == "partial":
                return PartialOperator(target.operator, {**target.kwargs, **kwargs})
            if name not in ("expand", "expand_kwargs"):
                return UNKNOWN
            merged = {**target.kwargs, **kwargs}
            if isinstance(target.operator, TaskFlow):
                return self.call_taskflow(target.operator, [], merged, node, mapped=True)
            operator = target.operator
            qualname = operator.qualname if isinstance(operator, Imported) else None
            label = operator.name if isinstance(operator, Imported) else "operator"
            return self.create_task(label, qualname, merged, nodes, node, scope, mapped=True)
        if isinstance(target, DagRef):
            return None
        return super().call_method(method, args, kwargs, node, nodes, scope)

    def decorate(self, decorator: Any, function: Any, node: cst.CSTNode) -> Any:
        if isinstance(decorator, Imported):
            kind = decorator_kind(decorator.qualname)
            if kind is None:
                return function
            decorator = Decorator(kind, {})
        if not isinstance(decorator, Decorator) or isinstance(function, (TaskFlow, Factory)):
            return function
        if decorator.kind in ("dag", "task_group"):
            if not isinstance(function, Function):
                return function
            factory = Factory(function, decorator.kind, dict(decorator.options))
            if decorator.kind == "dag":
                self.uncalled[id(factory)] = (factory, node)
            return factory
        if decorator.kind in ("asset", "asset.multi"):
            return self.define_asset(function, decorator, node)
        return TaskFlow(function, decorator.kind, dict(decorator.options))

    # ----------------------------------------------------------------- Airflow constructs
    def returned_value(self, function: Function, args: list, kwargs: dict) -> Any:
        """What a function returns for these arguments, read without joining any DAG (for `@task.bash`)."""
        diagnostics, self.diagnostics = self.diagnostics, []
        self.frames.append(Frame(None, None))
        try:
            return self.call_function(function, args, kwargs)
        finally:
            self.frames.pop()
            self.diagnostics = diagnostics

    @staticmethod
    def callee_name(func: cst.CSTNode) -> str:
        if isinstance(func, cst.Attribute):
            return func.attr.value
        return func.value if isinstance(func, cst.Name) else "operator"

    def call_imported(self, function: Imported, args: list, kwargs: dict, node: cst.Call, nodes: dict,
                      scope: Scope) -> Any:
        qualname, name = function.qualname, function.name
        parts = qualname.split(".")
        from_airflow = parts[0] == "airflow"
        kind = decorator_kind(qualname)
        if kind is not None:
            if len(args) == 1 and not kwargs and isinstance(args[0], (Function, Imported)):
                return self.decorate(Decorator(kind, {}), args[0], node)
            return Decorator(kind, kwargs)
        if from_airflow and name == "DAG":
            return self.create_dag(args, kwargs, node, scope)
        if from_airflow and name == "TaskGroup":
            return self.create_group(args, kwargs, node, scope)
        if from_airflow and name in DEPENDENCY_HELPERS:
            self.dependency_helper(name, args, node)
            return None
        if from_airflow and name in ASSET_CLASSES:
            return self.asset(name, args, kwargs, node)
        if from_airflow and name == "ref" and parts[-2] in ASSET_CLASSES:
            return AssetRef(None, kwargs["name"]) if isinstance(kwargs.get("name"), str) else UNKNOWN
        if from_airflow and name in ASSET_GROUPS:
            return tuple(collect(args, AssetRef))
        if from_airflow and name == "Label":
            return EdgeLabel(None)
        if from_airflow and name == "XComArg":
            return replace(args[0], xcom=True) if args and isinstance(args[0], TaskRef) else UNKNOWN
        if name == "get" and len(parts) > 1 and parts[-2] == "Variable":
            return self.variable(args, kwargs)
        if from_airflow and "lineage" in parts and name in ("File", "Table"):
            return self.lineage_entity(name, args, kwargs)
        if parts[0] == "cosmos" and name in ("DbtDag", "DbtTaskGroup"):
            return self.cosmos(name, qualname, args, kwargs, nodes, node, scope)
        if qualname == "functools.partial":
            return args[0] if args else UNKNOWN
        if not is_pure(qualname):
            if name == "partial" and len(parts) > 1:
                return PartialOperator(Imported(qualname.rsplit(".", 1)[0], function.base), dict(kwargs))
            if "task_id" in kwargs:
                return self.create_task(name, qualname, kwargs, nodes, node, scope)
        return super().call(function, args, kwargs, node, nodes, scope)

    def variable(self, args: list, kwargs: dict) -> Any:
        key = args[0] if args else kwargs.get("key")
        if isinstance(key, str) and key in self.variables:
            return self.variables[key]
        for default in (kwargs.get("default_var"), kwargs.get("default"), args[1] if len(args) > 1 else None):
            if default is not None:
                return default
        return UNKNOWN

    @staticmethod
    def lineage_entity(name: str, args: list, kwargs: dict) -> Any:
        if name == "File":
            url = kwargs.get("url", args[0] if args else None)
            return LineageEntity(url, True) if isinstance(url, str) else UNKNOWN
        table = kwargs.get("name")
        if not isinstance(table, str):
            return UNKNOWN
        database = kwargs.get("database")
        return LineageEntity(f"{database}.{table}" if isinstance(database, str) and database else table, False)

    def asset(self, name: str, args: list, kwargs: dict, node: cst.CSTNode) -> Any:
        """`Dataset(uri)` (Airflow 2) or `Asset(name, uri)` (Airflow 3; the uri defaults to the name)."""
        second = args[1] if name == "Asset" and len(args) > 1 else None
        uri = kwargs.get("uri") or second or (args[0] if args else None) or kwargs.get("name")
        label = kwargs.get("name") or (args[0] if args else None) or uri
        if not isinstance(uri, str) or not isinstance(label, str):
            self.note(node, f"{name} whose uri is not a constant; it is left out of the lineage", NOT_STATIC)
            return UNKNOWN
        asset = AssetRef(str(uri), str(label))
        if kwargs.get("name") is not None or second is not None:
            self.result.assets.setdefault(asset.name, asset)
        return asset

    def create_dag(self, args: list, kwargs: dict, node: cst.CSTNode, scope: Scope) -> Any:
        dag_id = kwargs.get("dag_id", args[0] if args else None)
        if not isinstance(dag_id, str):
            id_node = self.argument_node(node, "dag_id", 0)
            dag_id = self.fallback_text(id_node, scope) if id_node is not None else "{dag_id}"
            self.note(node, f"DAG id is not a constant; it is shown as {dag_id!r}", NOT_STATIC)
        return self.register_dag(str(dag_id), kwargs, node)

    def register_dag(self, dag_id: str, kwargs: dict, node: cst.CSTNode) -> DagRef:
        if dag_id in self.result.dags:
            self.note(node, f"DAG id {dag_id!r} is defined twice in this file; the tasks are merged", STRUCTURE,
                      Severity.WARNING)
        else:
            self.result.dags[dag_id] = DagInfo(dag_id, self.location(node), dict(kwargs))
        return DagRef(dag_id)

    @staticmethod
    def argument_node(node: cst.CSTNode, keyword: str, position: int) -> cst.CSTNode | None:
        if not isinstance(node, cst.Call):
            return None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg.value
        return positional[position].value if len(positional) > position else None

    def create_group(self, args: list, kwargs: dict, node: cst.CSTNode, scope: Scope, label: Any = None) -> Any:
        label = label if label is not None else kwargs.get("group_id", args[0] if args else None)
        if label is None:
            return UNKNOWN
        if not isinstance(label, str):
            id_node = self.argument_node(node, "group_id", 0)
            label = self.fallback_text(id_node, scope) if id_node is not None else "{group_id}"
            self.note(node, f"task group id is not a constant; it is shown as {label!r}", NOT_STATIC)
        dag_id, parent = self.context(kwargs, group_key="parent_group")
        if dag_id is None:
            self.note(node, f"task group {label!r} is not inside any DAG; its tasks are left out", STRUCTURE,
                      Severity.WARNING)
            return UNKNOWN
        group_id = parent.child_id(str(label)) if parent is not None else str(label)
        prefix = kwargs.get("prefix_group_id", True)
        defaults = kwargs.get("default_args") if isinstance(kwargs.get("default_args"), dict) else {}
        inherited = parent.default_args if parent is not None else {}
        self.result.groups.setdefault((dag_id, group_id), GroupInfo(
            dag_id, group_id, parent.group_id if parent is not None else None, prefix is not False,
            {**inherited, **defaults},
        ))
        return GroupRef(dag_id, group_id)

    def context(self, kwargs: dict, group_key: str = "task_group") -> tuple[str | None, GroupInfo | None]:
        """The DAG and group a new task or group joins: explicit `dag=`/`task_group=`, else the enclosing block."""
        group_ref = kwargs.get(group_key)
        if isinstance(group_ref, GroupRef):
            return group_ref.dag_id, self.result.groups.get((group_ref.dag_id, group_ref.group_id))
        dag_ref = kwargs.get("dag")
        if isinstance(dag_ref, DagRef):
            same = self.frame.dag_id == dag_ref.dag_id
            return dag_ref.dag_id, self.frame.group if same else None
        return self.frame.dag_id, self.frame.group

    def groups_of(self, dag_id: str, group: GroupInfo | None) -> tuple[str, ...]:
        chain: list[str] = []
        while group is not None and len(chain) < 100:
            chain.append(group.group_id)
            group = self.result.groups.get((dag_id, group.parent)) if group.parent is not None else None
        return tuple(reversed(chain))

    def create_task(self, operator: str, qualname: str | None, kwargs: dict, nodes: dict, node: cst.CSTNode,
                    scope: Scope, mapped: bool = False, callable_: Any = None) -> Any:
        dag_id, group = self.context(kwargs)
        label = kwargs.get("task_id")
        if not isinstance(label, str):
            label = self.fallback_text(nodes["task_id"], scope) if "task_id" in nodes else "{task_id}"
            self.note(node, f"task id is not a constant; the task is shown as {label!r}", NOT_STATIC)
        if dag_id is None:
            self.note(node, f"task {label!r} is not inside any DAG (no `with DAG`, `@dag` or `dag=`); it is left out",
                      STRUCTURE, Severity.WARNING)
            return UNKNOWN
        task_id = group.child_id(str(label)) if group is not None else str(label)
        key = (dag_id, task_id)
        if key in self.result.tasks:
            self.note(node, f"task id {task_id!r} is used twice in DAG {dag_id!r}; Airflow refuses this DAG",
                      STRUCTURE, Severity.WARNING)
            return TaskRef(dag_id, task_id)
        dag = self.result.dags.get(dag_id)
        defaults = dag.kwargs.get("default_args") if dag is not None else None
        merged = {**(defaults if isinstance(defaults, dict) else {}), **(group.default_args if group else {}), **kwargs}
        merged["task_id"] = str(label)
        arguments = {name: self.location(value) for name, value in nodes.items() if value is not None}
        self.result.tasks[key] = TaskInfo(dag_id, task_id, operator, qualname, self.location(node), merged,
                                          arguments, self.groups_of(dag_id, group), callable_, mapped)
        task = TaskRef(dag_id, task_id)
        self.link([ref for ref in collect(list(kwargs.values()), TaskRef) if ref.xcom], task, node)
        return task

    def call_taskflow(self, flow: TaskFlow, args: list, kwargs: dict, node: cst.CSTNode, mapped: bool = False) -> Any:
        dag_id, group = self.context(flow.options)
        label = flow.options.get("task_id", flow.name)
        if dag_id is None:
            self.note(node, f"@task {label!r} is called outside any DAG; it is left out", STRUCTURE, Severity.WARNING)
            return UNKNOWN
        if not isinstance(label, str):
            label = flow.name
        wanted = group.child_id(str(label)) if group is not None else str(label)
        task_id = unique_id(lambda candidate: (dag_id, candidate) in self.result.tasks, wanted)
        dag = self.result.dags.get(dag_id)
        defaults = dag.kwargs.get("default_args") if dag is not None else None
        options = {**(defaults if isinstance(defaults, dict) else {}), **(group.default_args if group else {}),
                   **flow.options, "task_id": task_id.rsplit(".", 1)[-1], "op_args": list(args), "op_kwargs": kwargs}
        if flow.kind == "task.bash" and isinstance(flow.function, Function):
            options["bash_command"] = self.returned_value(flow.function, args, kwargs)
        self.result.tasks[(dag_id, task_id)] = TaskInfo(
            dag_id, task_id, f"@{flow.kind}", None, self.location(node), options, {},
            self.groups_of(dag_id, group), flow.function, mapped or flow.mapped,
        )
        task = TaskRef(dag_id, task_id, xcom=True)
        self.link([ref for ref in collect([list(args), kwargs], TaskRef) if ref.xcom], task, node)
        return task

    def call_factory(self, factory: Factory, args: list, kwargs: dict, node: cst.CSTNode) -> Any:
        function = factory.function
        if factory.kind == "dag":
            self.uncalled.pop(id(factory), None)
            dag_id = factory.options.get("dag_id", function.name)
            if not isinstance(dag_id, str):
                dag_id = function.name
            dag = self.register_dag(dag_id, factory.options, function.node)
            self.frames.append(Frame(dag.dag_id, None))
            result: Any = dag
        else:
            label = factory.options.get("group_id", function.name)
            if not isinstance(label, str):
                label = function.name
            dag_id, parent = self.context({})
            taken = {group_id for dag, group_id in self.result.groups if dag == dag_id}
            prefixed = parent.child_id(label) if parent is not None else label
            unique = unique_id(taken.__contains__, prefixed)
            label = label + unique[len(prefixed):]
            result = self.create_group([], factory.options, node, Scope(), label=label)
            if not isinstance(result, GroupRef):
                return UNKNOWN
            self.frames.append(Frame(result.dag_id, self.result.groups[(result.dag_id, result.group_id)]))
        try:
            self.call_function(function, args, kwargs)
        finally:
            self.frames.pop()
        return result

    def define_asset(self, function: Any, decorator: Decorator, node: cst.CSTNode) -> Any:
        """`@asset`: a DAG named after the asset with one task named after the function (Airflow 3)."""
        if not isinstance(function, Function):
            return function
        options = decorator.options
        name = options.get("name") if isinstance(options.get("name"), str) else function.name
        if decorator.kind == "asset":
            uri = options.get("uri") if isinstance(options.get("uri"), str) else name
            outlets: list = [AssetRef(uri, name)]
            self.result.assets.setdefault(name, outlets[0])
        else:
            outlets = collect(options.get("outlets"), AssetRef)
        params = function.node.params
        inlets = [AssetRef(None, p.name.value) for p in [*params.posonly_params, *params.params, *params.kwonly_params]
                  if p.name.value not in ("self", "context") and p.default is None]
        dag = self.register_dag(name if decorator.kind == "asset" else function.name, options, node)
        kwargs = {**options, "task_id": function.name, "outlets": outlets, "inlets": inlets}
        self.result.tasks[(dag.dag_id, function.name)] = TaskInfo(
            dag.dag_id, function.name, f"@{decorator.kind}", None, self.location(node), kwargs, {}, (), function,
        )
        return outlets[0] if decorator.kind == "asset" else tuple(outlets)

    def cosmos(self, name: str, qualname: str, args: list, kwargs: dict, nodes: dict, node: cst.CSTNode,
               scope: Scope) -> Any:
        """Cosmos `DbtDag` (a DAG of dbt nodes) and `DbtTaskGroup`: one task standing for the dbt run."""
        if name == "DbtTaskGroup":
            id_nodes = {**nodes, "task_id": nodes["group_id"]} if "group_id" in nodes else nodes
            arguments = {**kwargs, "task_id": kwargs.get("group_id")}
            return self.create_task(name, qualname, arguments, id_nodes, node, scope)
        dag = self.create_dag(args, kwargs, node, scope)
        self.frames.append(Frame(dag.dag_id, None))
        try:
            self.create_task(name, qualname, {**kwargs, "task_id": "dbt"}, nodes, node, scope)
        finally:
            self.frames.pop()
        return dag

    def shift(self, left: Any, right: Any, node: cst.CSTNode) -> Any:
        if isinstance(right, EdgeLabel) and right.upstream is None:
            return EdgeLabel(left)
        if isinstance(left, EdgeLabel):
            left = left.upstream
        linked = self.link(left, right, node)
        return right if linked or is_task_like(left) or is_task_like(right) else UNKNOWN

    def link(self, upstream: Any, downstream: Any, node: cst.CSTNode) -> bool:
        """Record that every task in ``upstream`` runs before every task in ``downstream``."""
        if upstream == [] or downstream == []:
            return True
        if not is_task_like(upstream) or not is_task_like(downstream):
            if is_task_like(upstream) or is_task_like(downstream):
                self.note(node, f"dependency {self.code(node)!r} names something that is not a known task; "
                                "that edge is left out", NOT_STATIC)
            return False
        for up in self.endpoints(upstream):
            for down in self.endpoints(downstream):
                self.result.dependencies.append((up, down))
        return True

    def endpoints(self, value: Any) -> Iterator[TaskRef | GroupRef]:
        if isinstance(value, TaskRef):
            yield replace(value, xcom=False)
        elif isinstance(value, GroupRef):
            yield value
        elif isinstance(value, EdgeLabel):
            yield from self.endpoints(value.upstream)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from self.endpoints(item)

    def dependency_helper(self, name: str, args: list, node: cst.CSTNode) -> None:
        if name == "cross_downstream":
            if len(args) == 2:
                self.link(args[0], args[1], node)
            return
        for left, right in pairwise(args):
            paired = (name == "chain" and isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)))
            if paired:
                if len(left) != len(right):
                    self.note(node, "chain() of two lists of different lengths; Airflow refuses it", STRUCTURE,
                              Severity.WARNING)
                    continue
                for up, down in zip(left, right, strict=True):
                    self.link(up, down, node)
            else:
                self.link(left, right, node)


def unique_id(taken: Callable[[str], bool], wanted: str) -> str:
    """Airflow's rule for TaskFlow tasks and `@task_group`s used more than once: `x`, `x__1`, `x__2`..."""
    if not taken(wanted):
        return wanted
    core = re.sub(r"__\d+$", "", wanted)
    suffix = 1
    while taken(f"{core}__{suffix}"):
        suffix += 1
    return f"{core}__{suffix}"
