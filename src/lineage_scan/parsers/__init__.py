"""One parser per input kind. Each turns one file into a `Fragment` and never sees the others.

`PARSERS` maps a discovered file kind to its file parser; kinds without a parser are listed in the
summary as not analysed. `PROJECT_PARSERS` maps a kind of project (a folder such as a dbt project)
to a function that does the project-level pass and returns the rest as units of work (`ProjectWork`)
that the scan runs in its process pool, through its cache; the project's fragments come at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from lineage_scan.fragment_cache import FragmentCache
from lineage_scan.model import Fragment
from lineage_scan.parsers.airflow import is_dag_file, parse_dag_source
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.parsers.dbt import start_dbt_project
from lineage_scan.parsers.notebook import parse_notebook_file
from lineage_scan.parsers.python import PARSER as PYTHON
from lineage_scan.parsers.python import analyse_program, scanned_root
from lineage_scan.parsers.sql import parse_sql_file

Parser = Callable[[Path, str, ParseContext], Fragment]


class ProjectWork(Protocol):
    """A project parser's work as units (see `lineage_scan.parsers.dbt.run.ProjectRun`)."""

    plan: Any
    """Picklable; ``plan.run(root, context, unit)`` runs a unit in a worker and returns its result's data."""
    hits: int
    """Units answered by the cache."""

    @property
    def total(self) -> int: ...

    @property
    def done(self) -> bool: ...

    def ready(self) -> list[Any]: ...

    def run_here(self, unit: Any) -> Any: ...

    def accept(self, unit: Any, result: Any) -> None: ...

    def drain_finished(self) -> list[str]: ...

    def claimed(self) -> set[tuple[str, str]]: ...

    def fragments(self) -> list[Fragment]: ...


ProjectParser = Callable[[Path, str, ParseContext, FragmentCache | None], ProjectWork]
"""(scanned root, project folder relative to it, context, cache) -> the project's work."""


def parse_python_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """`.py` files: the pandas/PySpark/ML dataflow of every file, plus the DAGs of an Airflow DAG file."""
    fragment = Fragment(path=rel, parser=PYTHON)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    python = analyse_program(text, rel, scanned_root(path, rel), context, fragment)
    if is_dag_file(text):
        python.absorb(parse_dag_source(text, path, rel, context))
    return python


PARSERS: dict[str, Parser] = {
    "sql": parse_sql_file,
    "python": parse_python_file,
    "notebook": parse_notebook_file,
}

PROJECT_PARSERS: dict[str, ProjectParser] = {
    "dbt": start_dbt_project,
}
