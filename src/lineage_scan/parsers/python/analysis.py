"""One Python program (a `.py` file or a notebook's code cells) -> one Fragment.

Entry points are analysed one after the other, sharing what they learn (edges are deduplicated):
the program run as a script (`__name__ == "__main__"`), then each top-level function and method
with its parameters unknown (their defaults when they have one), since any of them can be called
from outside (an Airflow task, a notebook, a test). Each entry point that reads or writes a relation
or trains a model becomes a TaskDef: `python:<path>` for the script, `python:<path>:<function>`.
A dbt Python model (`def model(dbt, session)`) writes what it returns to its own relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from lineage_scan.files import read_repo_text
from lineage_scan.limits import TimeLimitExceeded, time_limit
from lineage_scan.model import ColumnEdge, Diagnostic, Fragment, Location, RelationKind, Severity, TaskDef
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.python import effects as fx
from lineage_scan.parsers.python.env import Env
from lineage_scan.parsers.python.interpreter import (
    BudgetExceeded,
    ClassValue,
    FunctionValue,
    Instance,
    Interpreter,
)
from lineage_scan.parsers.python.modules import MAX_MODULES, ModuleLoader, ParseFailure, Source, parse_module
from lineage_scan.parsers.python.values import Frame
from lineage_scan.safe_yaml import YAMLRejected, load_yaml

ANALYSIS_SECONDS = 30.0
"""A last resort against runaway analysis; the step limits below normally stop it first (and,
unlike time, always at the same place)."""
MAX_FILE_STEPS = 1_500_000
DBT_PROJECT_FILE = "dbt_project.yml"


@dataclass(frozen=True)
class DbtPythonModel:
    """How a dbt Python model's `dbt.ref(...)`, `dbt.source(...)` and `dbt.this` resolve, and its task id.

    The dbt parser, which knows the project's naming, can pass its own; standing alone, the Python
    parser names a ref by its model name and a source `source.table`, which the build matches to the
    relation that ends with that name.
    """

    this: str
    task_id: str
    refs: dict[str, str] | None = None
    sources: dict[tuple[str, str], str] | None = None

    def ref(self, names: list[str]) -> str | None:
        name = names[-1]
        return self.refs.get(name, name) if self.refs is not None else name

    def source(self, names: list[str]) -> str | None:
        if len(names) < 2:
            return None
        key = (names[-2], names[-1])
        return self.sources.get(key, ".".join(key)) if self.sources is not None else ".".join(key)


def scanned_root(path: Path, rel: str) -> Path:
    root = path
    for _ in rel.split("/"):
        root = root.parent
    return root


def analyse_program(
    text: str,
    rel: str,
    root: Path,
    context: ParseContext,
    fragment: Fragment,
    source: Source | None = None,
    dbt_model: DbtPythonModel | None = None,
) -> Fragment:
    """Analyse a Python program's text into ``fragment`` (whose ``parser`` names the diagnostics)."""
    parser = fragment.parser
    try:
        module = parse_module(text, rel, "__main__", source, context.config.max_python_lines)
    except ParseFailure as error:
        location = (source or Source(rel)).location(1, 1, 1, 1)
        fragment.diagnostics.append(Diagnostic(location, parser, str(error), Severity.ERROR, "LS901"))
        return fragment
    loader = ModuleLoader(root, context.max_file_bytes, lambda p: read_repo_text(p, context.max_file_bytes),
                          context.config.max_python_lines)
    loader.add(module)
    effects = fx.Effects(parser)
    ix = Interpreter(context, loader, effects)
    if dbt_model is None:
        dbt_model = _dbt_python_model(module.tree, rel, root)
    ix.dbt_model = dbt_model
    tasks: list[TaskDef] = []
    try:
        with time_limit(ANALYSIS_SECONDS):
            spent = _run_entry(ix, module, tasks, parser, lambda: ix.run_as_main(module), None, module.tree)
            for qualname, function in _entry_functions(ix, module):
                if spent > MAX_FILE_STEPS:
                    effects.diagnostics.add(Diagnostic(
                        module.location(function.node.name), parser,
                        f"analysis of the file stopped after {MAX_FILE_STEPS:,} steps; {qualname}() and the "
                        "functions after it are not analysed", Severity.WARNING, fx.CODE_LIMIT))
                    break
                is_dbt = dbt_model is not None and qualname == "model"
                spent += _run_entry(ix, module, tasks, parser, lambda f=function, d=is_dbt: _run_function(ix, f, d),
                                    qualname, function.node, dbt_model.task_id if is_dbt else None)
    except TimeLimitExceeded as error:
        effects.diagnostics.add(Diagnostic(module.source.location(1, 1, 1, 1), parser,
                                           f"analysis stopped: {error}", Severity.WARNING, fx.CODE_LIMIT))
    if loader.cut:
        effects.diagnostics.add(Diagnostic(module.source.location(1, 1, 1, 1), parser, "imports followed through "
                                           f"{MAX_MODULES} modules of the repository; further ones are not read",
                                           Severity.NOTE, fx.CODE_LIMIT))
    fragment.edges = sorted(effects.edges, key=ColumnEdge.sort_key)
    fragment.relations = sorted(effects.relations, key=lambda r: (r.name, r.location or Location("", 0, 0, 0, 0)))
    fragment.reads = sorted(effects.reads, key=lambda u: (u.source, u.target, u.location or Location("", 0, 0, 0, 0)))
    fragment.diagnostics.extend(sorted(effects.diagnostics))
    fragment.ml_models = effects.merged_models()
    fragment.data_steps = ix.flow.finished()
    fragment.value_facts = sorted(effects.value_facts, key=lambda f: (f.op.value, f.source, f.target, f.location or Location("", 0, 0, 0, 0)))
    fragment.tasks = sorted(tasks)
    fragment.depends_on = sorted(loader.dependencies - {rel})
    fragment.statements = sum(total for total, _ in effects.sql_statements.values())
    fragment.statements_failed = sum(failed for _, failed in effects.sql_statements.values())
    return fragment


def _run_entry(ix: Interpreter, module, tasks: list[TaskDef], parser: str, body, qualname: str | None,
               node: cst.CSTNode, task_id: str | None = None) -> int:
    """Analyse one entry point and record its task; returns the steps it took."""
    ix.steps = 0
    ix.temp_views = {}
    # a script (or notebook) as a whole is located at the start of its file
    place = module.location(node.name) if isinstance(node, cst.FunctionDef) else Location(module.rel, 1, 1, 1, 1)
    with ix.effects.trace() as trace:
        try:
            body()
        except BudgetExceeded as error:
            where = f"{qualname}()" if qualname else "the script"
            ix.effects.diagnose(place, f"analysis of {where} {error}", fx.CODE_LIMIT, Severity.WARNING)
        except RecursionError:
            ix.effects.diagnose(place, "analysis stopped: code nested too deeply", fx.CODE_LIMIT, Severity.WARNING)
    if trace.reads or trace.writes or trace.models:
        if task_id is None:
            task_id = f"python:{module.rel}" + (f":{qualname}" if qualname else "")
        kind = "dbt_python_model" if task_id.startswith("dbt:") else (
            "python_function" if qualname else "notebook" if parser == "notebook" else "python_script")
        attributes = (("trains", ", ".join(sorted(trace.models))),) if trace.models else ()
        tasks.append(TaskDef(task_id, kind, qualname or module.rel, place,
                             tuple(sorted(trace.reads)), tuple(sorted(trace.writes)), (), attributes))
    return ix.steps


def _entry_functions(ix: Interpreter, module) -> list[tuple[str, FunctionValue]]:
    """Top-level functions and methods of top-level classes, in source order; taken from the syntax
    tree, so they are analysed even when the script's own run stopped before reaching them."""
    env = module.globals_cache.get("env") or Env(module_scope=True)
    ix.steps = 0
    found: list[tuple[str, FunctionValue]] = []
    for statement in module.tree.body:
        if isinstance(statement, cst.FunctionDef):
            value = env.vars.get(statement.name.value)
            if not (isinstance(value, FunctionValue) and value.node is statement):
                value = FunctionValue(module, statement, env, statement.name.value)
            found.append((value.qualname, value))
        elif isinstance(statement, cst.ClassDef):
            cls = env.vars.get(statement.name.value)
            if not (isinstance(cls, ClassValue) and cls.node is statement):
                ix.run(module, None, None, lambda s=statement: ix.define_class(s, env))
                cls = env.vars.get(statement.name.value)
            for attribute in cls.attrs.values() if isinstance(cls, ClassValue) else ():
                if isinstance(attribute, FunctionValue) and isinstance(attribute.node, cst.FunctionDef):
                    found.append((attribute.qualname, attribute))
    return found


def _run_function(ix: Interpreter, function: FunctionValue, dbt: bool) -> object:
    """Run a function on its own: parameters unknown (or their defaults), `self` a fresh instance."""
    scope = Env(function.closure)
    bound = None
    if isinstance(function.node.params, cst.Parameters) and "." in function.qualname:
        owner = function.closure.get(function.qualname.split(".")[0])
        if isinstance(owner, ClassValue) and not _is_static(function.node):
            bound = Instance(owner, open=True)
    def body() -> None:
        ix.bind_parameters(function.node.params, scope, None, bound)
        ix.exec_block(function.node.body.body, scope)

    activation = ix.run(function.module, function.qualname, function.node, body)
    if dbt and ix.dbt_model is not None:
        from lineage_scan.parsers.python.sinks import emit

        for value in activation.returns:
            if isinstance(value, Frame):
                emit(ix, value, ix.dbt_model.this, RelationKind.TABLE, function.module.location(function.node.name))
    return None


def _is_static(node: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value in ("staticmethod", "classmethod")
               for d in node.decorators)


def _dbt_python_model(tree: cst.Module, rel: str, root: Path) -> DbtPythonModel | None:
    """A file defining `model(dbt, session)` inside a dbt project is a dbt Python model."""
    defines_model = any(
        isinstance(s, cst.FunctionDef) and s.name.value == "model"
        and [p.name.value for p in s.params.params][:1] == ["dbt"]
        for s in tree.body
    )
    if not defines_model:
        return None
    folder = Path(rel).parent
    while True:
        project_file = root / folder / DBT_PROJECT_FILE
        if project_file.is_file():
            try:
                project = load_yaml(project_file.read_text(encoding="utf-8")) or {}
            except (OSError, YAMLRejected, UnicodeDecodeError):
                project = {}
            name = project.get("name") if isinstance(project, dict) else None
            stem = Path(rel).stem
            return DbtPythonModel(stem, f"dbt:{name or folder.name}.{stem}")
        if folder == Path("."):
            return None
        folder = folder.parent
