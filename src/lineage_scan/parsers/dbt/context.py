"""dbt's Jinja context, stubbed for static rendering: `ref`, `source`, `config`, `var`, `env_var`,
`target`, `this`, `is_incremental`, `adapter`, `run_query`/`statement` (nothing is executed),
`log`, `exceptions`, `return`, and the helper functions dbt adds.

One `DbtContext` serves a whole project; `enter(node, ...)` points it at the node being rendered.
Templates and macros share its namespace dict (``ns``), so a macro called from a model sees that
model's `this`, `config` and `ref`. What cannot be rendered becomes an `Event` (a diagnostic with
the template file and line it happened at) and a placeholder.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jinja2
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from lineage_scan.model import Severity
from lineage_scan.parsers.dbt.nodes import Node, RefCall
from lineage_scan.parsers.dbt.objects import (
    PLACEHOLDER_PREFIX,
    Column,
    CompilationError,
    EmptyTable,
    MacroReturn,
    Placeholder,
    Relation,
    quote_if_needed,
)
from lineage_scan.parsers.dbt.project import Project, merge_config, normalise_config
from lineage_scan.parsers.dbt.properties import Properties
from lineage_scan.safe_yaml import YAMLRejected, load_yaml
from lineage_scan.sql.names import Names
from lineage_scan.sql.schema import SchemaRegistry

UNRENDERED = "LS912"
"""Diagnostic code: a macro, var or name that could not be rendered (a placeholder was used)."""
UNKNOWN_NODE = "LS913"
"""Diagnostic code: a `ref`/`source` naming nothing the project defines."""
RUN_STARTED_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
"""A fixed `run_started_at`, so rendering (and the report) never depends on the clock."""
DBT_VERSION = "1.9.0"
FACETS = ("graph", "docs")
"""Project-wide values a template may read (the `graph` variable, `doc()` blocks): a node's cached
result is reused only while the ones its rendering read are unchanged (see `DbtContext.touched`)."""
_DATE_PARTS = frozenset({
    "day", "week", "month", "year", "quarter", "hour", "minute", "second", "millisecond", "microsecond",
    "date", "dayofweek", "dayofyear", "isoweek", "epoch",
})


@dataclass(frozen=True, order=True)
class Event:
    """Something rendering could not do, where it happened."""

    path: str
    line: int
    message: str
    code: str = UNRENDERED
    severity: Severity = Severity.WARNING


@dataclass
class RenderState:
    """Which node is being rendered, in which phase, and what happened so far."""

    node: Node | None = None
    execute: bool = False
    incremental: bool = False
    events: list[Event] = field(default_factory=list)


class DbtContext:
    """The namespace templates and macros render in, for one project."""

    def __init__(
        self,
        project: Project,
        properties: Properties,
        target: dict[str, Any],
        names: Names,
        registry: SchemaRegistry,
        settings: dict[str, Any],
    ):
        self.project = project
        self.properties = properties
        self.target = target
        self.names = names
        self.dialect_name = "" if type(names.dialect) is Dialect else type(names.dialect).__name__.lower()
        self.registry = registry
        self.vars = {**project.var_scope(), **(settings.get("vars") or {})}
        self.env_vars = {str(k): str(v) for k, v in (settings.get("env") or {}).items()}
        self.state = RenderState()
        self.nodes: dict[tuple[str, str | None], Node] = {}
        """(name, version) -> node; version None is the latest/only one."""
        self.resolve_macro: Callable[[str, str | None], Any] | None = None
        self.template_paths: dict[int, str] = {}
        self._keys: dict[str, str | None] = {}
        self.touched: set[str] = set()
        """The `FACETS` rendering read since this was last emptied."""
        self.ns: dict[str, Any] = self._namespace()

    # ----------------------------------------------------------------- the namespace
    def _namespace(self) -> dict[str, Any]:
        adapter = Adapter(self)
        return {
            "ref": self.ref,
            "source": self.source,
            "config": NodeConfig(self),
            "var": Var(self),
            "env_var": self.env_var,
            "target": self.target,
            "this": None,
            "model": {},
            "graph": TouchedDict(self.touched_by("graph"), nodes={}, sources={}, exposures={}, metrics={}, groups={}),
            "is_incremental": lambda: self.state.incremental,
            "should_full_refresh": lambda: False,
            "execute": False,
            "adapter": adapter,
            "api": SimpleNamespace(Relation=Relation(None, None, None, dialect=self.dialect_name), Column=Column),
            "run_query": lambda *args, **kwargs: EmptyTable(),
            "statement": self.statement,
            "noop_statement": self.statement,
            "load_result": self.load_result,
            "load_relation": adapter.get_relation_for,
            "log": lambda *args, **kwargs: "",
            "print": lambda *args, **kwargs: "",
            "exceptions": Exceptions(self),
            "return": _return,
            "modules": _modules(),
            "tojson": lambda value, *a, **k: json.dumps(value, sort_keys=k.get("sort_keys", False), default=str),
            "fromjson": _fromjson,
            "toyaml": lambda value, *a, **k: yaml.safe_dump(value, sort_keys=False),
            "fromyaml": _fromyaml,
            "zip": lambda *args: list(zip(*args, strict=False)),
            "set": lambda value, default=None: set(value) if _iterable(value) else default,
            "set_strict": set,
            "local_md5": lambda text: hashlib.md5(str(text).encode(), usedforsecurity=False).hexdigest(),
            "diff_of_two_dicts": lambda a, b: {k: v for k, v in a.items() if k not in b or b[k] != v},
            "try_or_compiler_error": lambda message, func, *args, **kwargs: func(*args, **kwargs),
            "run_started_at": RUN_STARTED_AT,
            "invocation_id": "00000000-0000-0000-0000-000000000000",
            "dbt_version": DBT_VERSION,
            "project_name": self.project.name,
            "flags": SimpleNamespace(FULL_REFRESH=False, WHICH="compile", STORE_FAILURES=False, WARN_ERROR=False),
            "doc": self.doc,
            "builtins": {"ref": self.ref, "source": self.source, "config": NodeConfig(self)},
            "selected_resources": [],
            "database": self.target.get("database") or "",
            "schema": self.target.get("schema") or "",
            "as_bool": _as_bool,
            "as_number": _as_native,
            "as_native": _as_native,
            "as_text": str,
        }

    def enter(self, node: Node | None, execute: bool, incremental: bool = False) -> None:
        """Point the namespace at ``node`` (None for project-level rendering such as naming)."""
        self.state = RenderState(node, execute, incremental and node is not None and node.materialized == "incremental")
        self.ns["execute"] = execute
        self.ns["this"] = node.relation if node is not None else None
        self.ns["model"] = self.node_dict(node) if node is not None else {}

    def node_dict(self, node: Node) -> dict[str, Any]:
        """The node as templates see it (`model`, the `node` argument of naming macros, `graph`)."""
        config = node.merged_config
        relation = node.relation
        return {
            "name": node.name,
            "alias": relation.identifier if relation else node.name,
            "schema": relation.schema if relation else self.target.get("schema"),
            "database": relation.database if relation else self.target.get("database"),
            "resource_type": node.resource,
            "package_name": node.package,
            "unique_id": node.unique_id,
            "fqn": list(node.fqn),
            "path": node.path,
            "original_file_path": node.path,
            "config": {**config, "materialized": node.materialized},
            "tags": list(config.get("tags", [])),
            "meta": dict(config.get("meta", {})),
            "version": node.version,
            "raw_code": node.source or "",
            "language": node.language,
            "depends_on": {"nodes": [], "macros": []},
            "columns": {c.name: {"name": c.name, "description": c.description or ""} for c in (node.props.columns if node.props else [])},
            "description": (node.props.description if node.props else None) or "",
            "refs": [[r.name] for r in node.refs],
            "sources": [list(s) for s in node.sources],
        }

    # ----------------------------------------------------------------- events
    def event(self, message: str, code: str = UNRENDERED, severity: Severity = Severity.WARNING) -> None:
        """Record an event at the innermost template frame calling us (only when compiling)."""
        if not self.state.execute:
            return
        path, line = self.position()
        self.state.events.append(Event(path, line, message, code, severity))

    def position(self) -> tuple[str, int]:
        default = self.state.node.path if self.state.node else self.project.project_file
        frame = sys._getframe(1)
        while frame is not None:
            template = frame.f_globals.get("__jinja_template__")
            if template is not None:
                path = self.template_paths.get(id(template), default)
                return path, template.get_corresponding_lineno(frame.f_lineno)
            frame = frame.f_back
        return default, self.state.node.line if self.state.node else 1

    def unknown_macro(self, name: str, args: tuple, kwargs: dict) -> Placeholder:
        """The placeholder SQL of a macro that cannot be rendered: `unrendered__name(sql args)`."""
        self.event(f"macro '{name}' is not defined (is its package installed?); rendered as a placeholder, "
                   f"lineage through it is inferred from its arguments")
        arguments = [sql for value in (*args, *kwargs.values()) for sql in self._sql_arguments(value)]
        return Placeholder(f"{PLACEHOLDER_PREFIX}{re.sub(r'[^A-Za-z0-9_]', '_', name)}({', '.join(arguments)})")

    def _sql_arguments(self, value: Any) -> list[str]:
        if isinstance(value, Relation):
            return [str(value)]
        if isinstance(value, (list, tuple)):
            return [sql for item in value for sql in self._sql_arguments(item)]
        if isinstance(value, bool) or value is None:
            return []
        if isinstance(value, (int, float)):
            return [str(value)]
        word = value.strip() if isinstance(value, str) else ""
        if word.isupper() and word.isidentifier():  # 'UTC', 'USD', 'DAY': a literal code, not a column
            return []
        if word and word.lower() not in _DATE_PARTS:
            try:
                parsed = sqlglot.parse_one(value, dialect=self.names.dialect, into=exp.Condition)
            except (ParseError, TokenError, ValueError, RecursionError):
                return []
            return [value.strip()] if parsed is not None else []
        return []

    # ----------------------------------------------------------------- ref / source / var / env_var
    def ref(self, *args: Any, **kwargs: Any) -> Relation:
        version = kwargs.get("v", kwargs.get("version"))
        version = str(version) if version is not None else None
        if len(args) >= 2:
            package, name = str(args[0]), str(args[1])
        elif args:
            package, name = None, str(args[0])
        else:
            raise CompilationError("ref() needs a model name")
        if package == self.project.name:
            package = None
        node = self.state.node
        call = RefCall(package, name, version)
        if node is not None and call not in node.refs:
            node.refs.append(call)
        target = self.find_node(package, name, version)
        if target is not None and target.relation is not None:
            return target.relation
        if target is None:
            where = f"{package}.{name}" if package else name
            self.event(f"ref('{where}') names no enabled model, seed or snapshot of project '{self.project.name}'",
                       UNKNOWN_NODE)
        schema = self.target.get("schema") or None
        return Relation(self.target.get("database") or None, schema, name + (f"_v{version}" if version else ""),
                        dialect=self.dialect_name)

    def find_node(self, package: str | None, name: str, version: str | None) -> Node | None:
        if package not in (None, self.project.name):
            return None
        return self.nodes.get((name, version)) or (self.nodes.get((name, None)) if version is None else None)

    def source(self, source_name: str, table_name: str) -> Relation:
        node = self.state.node
        key = (str(source_name), str(table_name))
        if node is not None and key not in node.sources:
            node.sources.append(key)
        return self.source_relation(*key, report=True)

    def source_relation(self, source_name: str, table_name: str, report: bool = False) -> Relation:
        table = self.properties.sources.get((source_name, table_name))
        if table is None:
            if report:
                self.event(f"source('{source_name}', '{table_name}') is not declared in any properties file",
                           UNKNOWN_NODE)
            return Relation(self.target.get("database") or None, source_name, table_name, "table", self.dialect_name)
        database = table.database if table.database is not None else (self.target.get("database") or None)
        return Relation(database, table.schema, table.identifier, "table", self.dialect_name)

    def env_var(self, name: str, default: Any = None) -> Any:
        if name in self.env_vars:
            return self.env_vars[name]
        if default is not None:
            return default
        self.event(f"env_var('{name}') has no default and is not set in lineage-scan.yml (dbt.env); "
                   f"its name is used as its value", severity=Severity.NOTE)
        return name

    def touched_by(self, facet: str) -> Callable[[], None]:
        return lambda: self.touched.add(facet)

    def doc(self, *args: str) -> str:
        self.touched.add("docs")
        name = args[-1] if args else ""
        if name in self.properties.docs:
            return self.properties.docs[name]
        self.event(f"doc('{name}') names no docs block", severity=Severity.NOTE)
        return ""

    def statement(self, name: str | None = None, fetch_result: bool = False, auto_begin: bool = True,
                  caller: Callable[[], str] | None = None, **kwargs: Any) -> str:
        return ""

    def load_result(self, name: str) -> dict[str, Any]:
        return {"data": [], "table": EmptyTable(), "response": SimpleNamespace(code="", rows_affected=0)}

    def columns_of(self, relation: Any) -> list[str] | None:
        """Known columns of a relation (a `Relation` or a name), or None."""
        key = self.relation_key(relation)
        return list(self.registry.columns(key)) if key else None

    def relation_key(self, relation: Any) -> str | None:
        """The normalised graph name of a relation object or SQL name."""
        text = str(relation).strip() if relation is not None else ""
        if not text:
            return None
        if text not in self._keys:
            try:
                table = normalize_identifiers(exp.to_table(text, dialect=self.names.dialect), dialect=self.names.dialect)
                self._keys[text] = self.names.table(table)
            except (ParseError, TokenError, ValueError):
                self._keys[text] = None
        return self._keys[text]


class TouchedDict(dict):
    """A dict that reports every read (for `FACETS`); writes and `dict.items(d)` do not count."""

    def __init__(self, touch: Callable[[], None], **values: Any):
        super().__init__(**values)
        self._touch = touch

    def __getitem__(self, key: Any) -> Any:
        self._touch()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._touch()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._touch()
        return super().__contains__(key)

    def __iter__(self) -> Any:
        self._touch()
        return super().__iter__()

    def __len__(self) -> int:
        self._touch()
        return super().__len__()

    def keys(self) -> Any:
        self._touch()
        return super().keys()

    def values(self) -> Any:
        self._touch()
        return super().values()

    def items(self) -> Any:
        self._touch()
        return super().items()


class NodeConfig:
    """`config(...)` records the file's config; `config.get`/`require` read the merged config."""

    def __init__(self, context: DbtContext):
        self._context = context

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        node = self._context.state.node
        if args and isinstance(args[0], dict):
            kwargs = {**args[0], **kwargs}
        if node is not None and not self._context.state.execute:
            node.file_config = merge_config(node.file_config, normalise_config(kwargs))
        return ""

    def get(self, key: str, default: Any = None, validator: Any = None) -> Any:
        node = self._context.state.node
        if node is None:
            return default
        config = node.merged_config
        if key == "materialized":
            return node.materialized
        value = config.get(str(key).replace("-", "_"))
        return default if value is None else value

    def require(self, key: str, validator: Any = None) -> Any:
        value = self.get(key)
        if value is None:
            raise CompilationError(f"missing required config: {key}")
        return value

    def set(self, key: str, value: Any) -> str:
        return self(**{key: value})

    def persist_relation_docs(self) -> bool:
        return False

    def persist_column_docs(self) -> bool:
        return False


class Var:
    """`var(name, default)`: `lineage-scan.yml` `dbt.vars`, then the project's vars, then the default."""

    def __init__(self, context: DbtContext):
        self._context = context

    def __call__(self, name: str, default: Any = None) -> Any:
        if name in self._context.vars:
            return self._context.vars[name]
        if default is not None:
            return default
        self._context.event(f"var('{name}') has no value or default; rendered as empty")
        return Placeholder("")

    def has_var(self, name: str) -> bool:
        return name in self._context.vars


class Adapter:
    """`adapter`: dispatch and relation/column look-ups answered from what the repository declares."""

    def __init__(self, context: DbtContext):
        self._context = context

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        resolve = self._context.resolve_macro
        found = resolve(macro_name, macro_namespace) if resolve else None
        if found is not None:
            return found
        context = self._context
        qualified = f"{macro_namespace}.{macro_name}" if macro_namespace else macro_name
        return lambda *args, **kwargs: context.unknown_macro(qualified, args, kwargs)

    def get_relation(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
                     **kwargs: Any) -> Relation | None:
        relation = Relation(database or None, schema or None, identifier or kwargs.get("name"), "table",
                            self._context.dialect_name)
        return relation if self._context.columns_of(relation) is not None else None

    def get_relation_for(self, relation: Any) -> Relation | None:
        return relation if self._context.columns_of(relation) is not None else None

    def get_columns_in_relation(self, relation: Any) -> list[Column]:
        columns = self._context.columns_of(relation)
        if columns is None:
            self._context.event(f"columns of {relation} are not known from the repository; "
                                f"adapter.get_columns_in_relation returned none", severity=Severity.NOTE)
            return []
        return [Column(name) for name in columns]

    def quote(self, identifier: str) -> str:
        return quote_if_needed(str(identifier), self._context.dialect_name)

    def quote_as_configured(self, identifier: str, quote_key: str = "identifier") -> str:
        return str(identifier)

    def type(self) -> str:
        return str(self._context.target.get("type"))

    def already_exists(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def check_schema_exists(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def list_relations_without_caching(self, *args: Any, **kwargs: Any) -> list:
        return []

    def get_missing_columns(self, *args: Any, **kwargs: Any) -> list:
        return []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        context = self._context

        def unavailable(*args: Any, **kwargs: Any) -> str:
            context.event(f"adapter.{name}() needs a warehouse connection; rendered as empty", severity=Severity.NOTE)
            return Placeholder("")

        return unavailable


class Exceptions:
    """`exceptions.raise_compiler_error` fails the render; warnings are dropped."""

    def __init__(self, context: DbtContext):
        self._context = context

    def raise_compiler_error(self, message: str, *args: Any) -> None:
        raise CompilationError(str(message))

    def raise_not_implemented(self, message: str, *args: Any) -> None:
        raise CompilationError(str(message))

    def warn(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def raiser(*args: Any, **kwargs: Any) -> None:
            raise CompilationError(f"exceptions.{name}: {args[0] if args else ''}")

        return raiser


def undefined_class(context: DbtContext) -> type[jinja2.Undefined]:
    """An `Undefined` that renders empty, iterates as nothing, and turns calls into placeholders."""

    class DbtUndefined(jinja2.Undefined):
        __slots__ = ()

        def _name(self) -> str:
            if self._undefined_obj is not jinja2.utils.missing and self._undefined_name is not None:
                return f"{type(self._undefined_obj).__name__}.{self._undefined_name}"
            return str(self._undefined_name or "?")

        def __call__(self, *args: Any, **kwargs: Any) -> Placeholder:
            return context.unknown_macro(self._name(), args, kwargs)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return DbtUndefined(name=f"{self._name()}.{name}")

        def __str__(self) -> str:
            context.event(f"'{self._name()}' is undefined; rendered as empty", severity=Severity.NOTE)
            return ""

    return DbtUndefined


def _return(value: Any) -> None:
    raise MacroReturn(value)


def _iterable(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset, dict, str))


def _fromjson(text: str, default: Any = None) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _fromyaml(text: str, default: Any = None) -> Any:
    try:
        return load_yaml(text)
    except (TypeError, YAMLRejected):
        return default


def _as_bool(value: Any) -> Any:
    return value.strip().lower() in ("true", "1", "yes") if isinstance(value, str) else bool(value)


def _as_native(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _modules() -> SimpleNamespace:
    """`modules`: the harmless parts of datetime, re and itertools."""
    return SimpleNamespace(
        datetime=SimpleNamespace(datetime=datetime.datetime, date=datetime.date, timedelta=datetime.timedelta,
                                 timezone=datetime.timezone, time=datetime.time),
        re=SimpleNamespace(**{name: getattr(re, name) for name in (
            "match", "search", "sub", "findall", "finditer", "split", "compile", "escape", "fullmatch",
            "IGNORECASE", "I", "MULTILINE", "M", "DOTALL", "S", "VERBOSE", "X")}),
        itertools=SimpleNamespace(**{name: getattr(itertools, name) for name in (
            "chain", "product", "combinations", "permutations", "groupby", "islice", "zip_longest")}),
        pytz=SimpleNamespace(utc=datetime.timezone.utc, UTC=datetime.timezone.utc),
    )
