"""Macros: the project's own, installed packages' (`dbt_packages/`), dbt's built-ins and the
dbt_utils stand-ins, with dbt's namespaces and `adapter.dispatch` search order.

Macro files are compiled and rendered in the project's sandbox; `return(x)` makes a macro return
``x``. Unqualified names resolve to the root project's macros, then dbt's built-ins; `pkg.name`
to that package (for `dbt_utils`, the built-in stand-ins first — they know the repository's
columns — then the installed package, if any).
"""

from __future__ import annotations

import hashlib
from collections import ChainMap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.runtime import Macro
from jinja2.sandbox import SandboxedEnvironment

from lineage_scan.limits import TimeLimitExceeded, time_limit
from lineage_scan.parsers.dbt.context import DbtContext
from lineage_scan.parsers.dbt.objects import MacroReturn
from lineage_scan.parsers.jinja import RENDER_SECONDS

BUILTIN_DIR = Path(__file__).with_name("macros")
BUILTIN_NAMESPACE = "dbt"
PARENT_ADAPTERS = {"redshift": ("postgres",), "databricks": ("spark",), "fabric": ("sqlserver",),
                   "synapse": ("sqlserver",), "materialize": ("postgres",)}


class DbtMacro:
    """A Jinja macro callable from templates, honouring `return(...)`."""

    def __init__(self, macro: Macro, package: str):
        self._macro = macro
        self.name = macro.name
        self.package = package

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._macro(*args, **kwargs)
        except MacroReturn as returned:
            return returned.value


class MacroNamespace:
    """`pkg.macro_name` in templates."""

    def __init__(self, name: str, registry: MacroRegistry):
        self._name = name
        self._registry = registry

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        found = self._registry.lookup(self._name, attribute)
        if found is not None:
            return found
        context, qualified = self._registry.context, f"{self._name}.{attribute}"
        return lambda *args, **kwargs: context.unknown_macro(qualified, args, kwargs)


class MacroRegistry:
    """Every macro the project can call, by package."""

    def __init__(self, env: SandboxedEnvironment, context: DbtContext, standins: dict[str, dict[str, Callable[..., Any]]]):
        self.env = env
        self.context = context
        self.root = context.project.name
        self.packages: dict[str, dict[str, Any]] = {BUILTIN_NAMESPACE: {}}
        self.standins = standins
        self.problems: list[tuple[str, int, str]] = []
        self._digest = hashlib.sha256()
        context.resolve_macro = self.dispatch
        for name, value in env.globals.items():  # `range`, `namespace`...: macro modules share ns, not globals
            context.ns.setdefault(name, value)
        self.search_orders = {
            str(entry["macro_namespace"]): [str(p) for p in entry.get("search_order") or []]
            for entry in context.project.dispatch if isinstance(entry, dict) and entry.get("macro_namespace")
        }
        for namespace in standins:
            self.packages.setdefault(namespace, {})
        for path in sorted(BUILTIN_DIR.glob("*.sql")):
            namespace = BUILTIN_NAMESPACE if path.stem == BUILTIN_NAMESPACE else path.stem
            self.load(path.read_text(encoding="utf-8"), f"<lineage-scan>/{path.name}", namespace,
                      standin=namespace != BUILTIN_NAMESPACE)
        context.ns.update(self.packages[BUILTIN_NAMESPACE])
        self._expose(BUILTIN_NAMESPACE)
        for namespace in standins:
            self._expose(namespace)

    def load(self, text: str, path: str, package: str, standin: bool = False) -> None:
        """Compile a macro file and register its macros under ``package`` (as stand-ins, or not)."""
        macros = self.standins.setdefault(package, {}) if standin else self.packages.setdefault(package, {})
        self._digest.update(f"{path}\0{package}\0{standin}\0{text}\0".encode())
        try:
            with time_limit(RENDER_SECONDS):
                code = self.env.compile(text, name=path, filename=path)
                template = self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)
                self.context.template_paths[id(template)] = path
                parent = self.context.ns if package == self.root else ChainMap(macros, self.context.ns)
                module = template.make_module(parent, shared=True)  # type: ignore[arg-type]
        except jinja2.TemplateSyntaxError as error:
            self.problems.append((path, error.lineno or 1, f"macro file does not parse: {error.message}"))
            return
        except (TimeLimitExceeded, RecursionError, MacroReturn, Exception) as error:  # noqa: BLE001 - the file's fault
            self.problems.append((path, 1, f"macro file could not be loaded: {type(error).__name__}: {error}"))
            return
        for name in dir(module):
            value = getattr(module, name, None)
            if isinstance(value, Macro):
                macros[name] = DbtMacro(value, package)
                if package == self.root:
                    self.context.ns[name] = macros[name]
        self._expose(package)

    def digest(self) -> str:
        """A SHA-256 of every macro file loaded (path, package and text), in load order."""
        return self._digest.hexdigest()

    def _expose(self, package: str) -> None:
        if package == self.root or package not in self.context.ns or isinstance(self.context.ns[package], MacroNamespace):
            self.context.ns[package] = MacroNamespace(package, self)

    def lookup(self, package: str, name: str) -> Any:
        if name in self.standins.get(package, {}):
            return self.standins[package][name]
        return self.packages.get(package, {}).get(name)

    def dispatch(self, name: str, namespace: str | None) -> Any:
        """dbt's `adapter.dispatch`: `<adapter>__name`, parent adapters', then `default__name`, per package."""
        adapter = str(self.context.target.get("type") or "default")
        prefixes = [adapter, *PARENT_ADAPTERS.get(adapter, ()), "default"]
        if namespace is None:
            search = [self.root, BUILTIN_NAMESPACE]
        else:
            search = self.search_orders.get(namespace) or [self.root, namespace]
        for package in search:
            if package != self.root and name in self.standins.get(package, {}):
                return self.standins[package][name]
            for prefix in prefixes:
                found = self.lookup(package, f"{prefix}__{name}")
                if found is not None:
                    return found
        return None
