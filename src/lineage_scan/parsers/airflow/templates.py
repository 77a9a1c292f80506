"""Airflow's Jinja templates (`{{ ds }}`, `params`, `macros`, `var`, `{% include %}`), rendered in the
shared sandbox (`lineage_scan.parsers.jinja`) with placeholder values for what only exists at run time.

Dates render as a fixed logical date (2000-01-01); `params` and `user_defined_macros` that are
constants in the DAG file render as themselves; Airflow Variables render as the value configured under
`airflow: variables:` in `lineage-scan.yml`, else as their name; anything else unknown (XCom pulls,
connections, custom macros) renders as an identifier-like placeholder and is reported. Includes are
loaded only from the DAG's template search path inside the scanned root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.jinja import Rendered, render, sandbox

LOGICAL_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


class SearchPathLoader(jinja2.BaseLoader):
    """`{% include 'x.sql' %}` from the DAG's template folders, never outside the scanned root."""

    def __init__(self, files: RepoFiles, folders: list[str]):
        self.files = files
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        rel = find_template(self.files, self.folders, template)
        text = self.files.read(rel) if rel is not None else None
        if text is None:
            raise jinja2.TemplateNotFound(template)
        return text, rel, lambda: True


def find_template(files: RepoFiles, folders: list[str], name: str) -> str | None:
    """The repo path of a template file as Airflow finds it: each search folder in turn."""
    if name.startswith("/"):
        return files.locate(name, want_dir=False)
    return files.locate(name, bases=folders, want_dir=False)


class Placeholder:
    """A runtime value: renders as an identifier naming it, and tolerates attribute access and calls."""

    def __init__(self, name: str, used: set[str]):
        self._name = name
        self._used = used

    def __str__(self) -> str:
        self._used.add(self._name)
        return "".join(c if c.isalnum() else "_" for c in self._name).strip("_") or "placeholder"

    def __getattr__(self, attribute: str) -> Placeholder:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return Placeholder(f"{self._name}.{attribute}", self._used)

    def __getitem__(self, key: object) -> Placeholder:
        return Placeholder(f"{self._name}.{key}", self._used)

    def __call__(self, *args: object, **kwargs: object) -> Placeholder:
        return Placeholder(f"{self._name}()", self._used)

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False


class Variables:
    """`var.value.x` / `var.json.x` / `var.value.get('x', default)`: configured value, else a placeholder."""

    def __init__(self, configured: Mapping[str, Any], used: set[str], kind: str):
        self._configured = configured
        self._used = used
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._configured:
            return self._configured[name]
        if default is not None:
            return default
        self._used.add(f"var.{self._kind}.{name}")
        return name


@dataclass
class TemplateContext:
    """What a task's templates see, besides Airflow's own names."""

    params: dict[str, Any] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)
    """`user_defined_macros`: constants as themselves, None for what only runs at run time."""
    variables: Mapping[str, Any] = field(default_factory=dict)

    def values(self, dag_id: str, task_id: str, used: set[str]) -> dict[str, Any]:
        """The names a template of task ``task_id`` sees; placeholders it renders are added to ``used``."""
        day = LOGICAL_DATE
        before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
        context: dict[str, Any] = {
            "ds": day.strftime("%Y-%m-%d"), "ds_nodash": day.strftime("%Y%m%d"),
            "ts": day.isoformat(), "ts_nodash": day.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": day.strftime("%Y%m%dT%H%M%S+0000"),
            "logical_date": day, "execution_date": day, "data_interval_start": day, "data_interval_end": after,
            "prev_data_interval_start_success": before, "prev_data_interval_end_success": day,
            "prev_start_date_success": before, "prev_end_date_success": day,
            "prev_ds": before.strftime("%Y-%m-%d"), "next_ds": after.strftime("%Y-%m-%d"),
            "yesterday_ds": before.strftime("%Y-%m-%d"), "tomorrow_ds": after.strftime("%Y-%m-%d"),
            "prev_ds_nodash": before.strftime("%Y%m%d"), "next_ds_nodash": after.strftime("%Y%m%d"),
            "run_id": f"scheduled__{day.isoformat()}",
            "dag": {"dag_id": dag_id}, "task": {"task_id": task_id},
            "params": self.params,
            "var": {"value": Variables(self.variables, used, "value"), "json": Variables(self.variables, used, "json")},
            "macros": {"ds_add": ds_add, "ds_format": ds_format, "datetime": dt.datetime, "timedelta": dt.timedelta,
                       "time": Placeholder("macros.time", used), "uuid": Placeholder("macros.uuid", used),
                       "random": Placeholder("macros.random", used)},
        }
        for name in ("ti", "task_instance", "conn", "dag_run", "inlets", "outlets", "triggering_asset_events",
                     "triggering_dataset_events", "expanded_ti_count", "map_index_template"):
            context[name] = Placeholder(name, used)
        context.update({k: v if v is not None else Placeholder(k, used) for k, v in self.macros.items()})
        return context


class TemplateRenderer:
    """Renders the templates of one DAG file, one sandbox per template search path.

    ``used`` names the placeholders the last render needed.
    """

    def __init__(self, files: RepoFiles):
        self.files = files
        self.used: set[str] = set()
        self._sandboxes: dict[tuple[str, ...], SandboxedEnvironment] = {}

    def render(self, text: str, context: TemplateContext, dag_id: str, task_id: str, folders: list[str]) -> Rendered:
        self.used.clear()
        return render(self._sandbox(tuple(folders)), text, context.values(dag_id, task_id, self.used))

    def _sandbox(self, folders: tuple[str, ...]) -> SandboxedEnvironment:
        if folders not in self._sandboxes:
            used = self.used

            class Unknown(jinja2.Undefined):
                """An undefined name renders as a placeholder, like any other runtime value."""

                def __str__(self) -> str:
                    return str(Placeholder(self._undefined_name or "undefined", used))

                def __getattr__(self, name: str) -> Any:
                    if name.startswith("__"):
                        raise AttributeError(name)
                    return Placeholder(f"{self._undefined_name}.{name}", used)

                def __call__(self, *args: object, **kwargs: object) -> Placeholder:
                    return Placeholder(f"{self._undefined_name}()", used)

            self._sandboxes[folders] = sandbox(SearchPathLoader(self.files, list(folders)), undefined=Unknown)
        return self._sandboxes[folders]


def ds_add(ds: str, days: int) -> str:
    """Airflow's `macros.ds_add`."""
    try:
        return (dt.datetime.strptime(str(ds), "%Y-%m-%d") + dt.timedelta(days=int(days))).strftime("%Y-%m-%d")
    except (ValueError, OverflowError):
        return str(ds)


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Airflow's `macros.ds_format`."""
    try:
        return dt.datetime.strptime(str(ds), input_format).strftime(output_format)
    except ValueError:
        return str(ds)


def configured_variables(context: ParseContext) -> dict[str, Any]:
    """Airflow Variables given in `lineage-scan.yml` (`airflow: {variables: {name: value}}`)."""
    section = context.config.extra.get("airflow")
    variables = section.get("variables") if isinstance(section, dict) else None
    return {str(k): v for k, v in variables.items()} if isinstance(variables, dict) else {}
