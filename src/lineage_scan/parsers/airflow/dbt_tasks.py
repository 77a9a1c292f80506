"""Airflow tasks that run dbt: `BashOperator`/`@task.bash` calling `dbt run|build|... --select ...`, and
Cosmos (`DbtDag`, `DbtTaskGroup`, `Dbt<Command>...Operator`).

The task gets attributes naming the dbt command and selection; where the selection names models
directly (`orders`, `+orders`, `orders+`), the task is linked to those models' dbt tasks
(`dbt:<project>.<model>`), the project name read from the nearest `dbt_project.yml`.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.pyvalues.values import Opaque
from lineage_scan.safe_yaml import YAMLRejected, load_yaml

DBT_COMMANDS = ("run", "build", "test", "seed", "snapshot", "compile", "run-operation", "source", "ls", "list")
SELECT_FLAGS = ("--select", "-s", "--models", "--model", "-m")
MODEL_SELECTOR = re.compile(r"^(?:\d*\+)?@?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\+\d*)?$")
COSMOS_COMMAND = re.compile(r"^Dbt(?P<command>Run|Build|Test|Seed|Snapshot|Source|Ls)(?:\w*)Operator$")


@dataclass
class DbtRun:
    """One dbt invocation: command, selection, exclusion, selector and project folder (as written)."""

    command: str
    select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    selector: str | None = None
    project_dir: str | None = None
    text: str = ""


def dbt_runs(command: str) -> list[DbtRun]:
    """The dbt invocations of a shell command (`cd x && dbt build --select a b; dbt test`)."""
    runs: list[DbtRun] = []
    folder: str | None = None
    for segment in re.split(r"&&|\|\||;|\||\n", command):
        try:
            words = shlex.split(segment)
        except ValueError:
            words = segment.split()
        if len(words) >= 2 and words[0] == "cd":
            folder = words[1]
            continue
        start = next((i for i, w in enumerate(words) if posixpath.basename(w) == "dbt"), None)
        if start is None:
            continue
        run = _parse(words[start + 1:])
        if run is not None:
            run.project_dir = run.project_dir or folder
            run.text = " ".join(words[start:])
            runs.append(run)
    return runs


def _parse(words: list[str]) -> DbtRun | None:
    command = next((w for w in words if not w.startswith("-")), None)
    if command not in DBT_COMMANDS:
        return None
    run = DbtRun(command)
    target: list[str] | None = None
    index = 0
    while index < len(words):
        word = words[index]
        flag, _, inline = word.partition("=")
        if word.startswith("-"):
            target = None
            if flag in SELECT_FLAGS:
                target = run.select
            elif flag == "--exclude":
                target = run.exclude
            elif flag in ("--selector", "--project-dir"):
                value = inline or (words[index + 1] if index + 1 < len(words) else None)
                index += 0 if inline else 1
                if flag == "--selector":
                    run.selector = value
                else:
                    run.project_dir = value
            if target is not None and inline:
                target.extend(inline.split())
        elif target is not None:
            target.append(word)
        index += 1
    return run


def selected_models(select: list[str]) -> list[str]:
    """Model names a selection names directly (graph operators stripped; tags, paths, globs skipped)."""
    names = []
    for item in select:
        match = MODEL_SELECTOR.match(item)
        if match is not None:
            names.append(match.group("name"))
    return sorted(set(names))


def cosmos_run(operator: str, kwargs: dict) -> DbtRun | None:
    """The dbt run a Cosmos DAG, task group or operator stands for."""
    match = COSMOS_COMMAND.match(operator)
    if operator in ("DbtDag", "DbtTaskGroup"):
        project = kwargs.get("project_config")
        render = kwargs.get("render_config")
        run = DbtRun("build", text=f"cosmos {operator}")
        project_dir = _argument(project, "dbt_project_path", 0)
        run.project_dir = project_dir if isinstance(project_dir, str) else None
        run.select = _as_list(_argument(render, "select", None))
        run.exclude = _as_list(_argument(render, "exclude", None))
        selector = _argument(render, "selector", None)
        run.selector = selector if isinstance(selector, str) else None
        return run
    if match is None:
        return None
    run = DbtRun(match.group("command").lower(), text=f"cosmos {operator}")
    project = kwargs.get("project_dir")
    run.project_dir = str(project) if isinstance(project, str) else None
    run.select = _as_list(kwargs.get("select") or kwargs.get("models"))
    run.exclude = _as_list(kwargs.get("exclude"))
    return run


def _argument(value: Any, keyword: str, position: int | None) -> Any:
    if not isinstance(value, Opaque):
        return None
    if keyword in value.kwargs:
        found = value.kwargs[keyword]
    elif position is not None and len(value.args) > position:
        found = value.args[position]
    else:
        return None
    return str(found) if not isinstance(found, (list, tuple, dict, Opaque)) and found is not None else found


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def dbt_project(files: RepoFiles, project_dir: str | None) -> tuple[str, str] | None:
    """(project folder, project name) of the dbt project a run uses: its `--project-dir`, else the
    nearest `dbt_project.yml` in the DAG's folder or a folder above it."""
    if project_dir is not None:
        folder = files.locate(project_dir, want_dir=True)
        candidates = [folder] if folder is not None else []
    else:
        candidates = files.ancestors()
    for folder in candidates:
        text = files.read(posixpath.join(folder, "dbt_project.yml"))
        if text is None:
            continue
        try:
            data = load_yaml(text)
        except YAMLRejected:
            return None
        name = data.get("name") if isinstance(data, dict) else None
        return (folder or ".", name) if isinstance(name, str) else None
    return None
