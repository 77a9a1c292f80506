"""One parser per input kind. Each turns one file into a `Fragment` and never sees the others.

`PARSERS` maps a discovered file kind to its file parser; kinds without a parser are listed in the
summary as not analysed. `PROJECT_PARSERS` maps a kind of project (a folder such as a dbt project)
to a parser that reads the whole project at once and returns its fragments.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lineage_scan.model import Fragment
from lineage_scan.parsers.airflow import is_dag_file, parse_dag_source
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.parsers.dbt import parse_dbt_project
from lineage_scan.parsers.notebook import parse_notebook_file
from lineage_scan.parsers.python import PARSER as PYTHON
from lineage_scan.parsers.python import analyse_program, scanned_root
from lineage_scan.parsers.sql import parse_sql_file

Parser = Callable[[Path, str, ParseContext], Fragment]
ProjectParser = Callable[[Path, str, ParseContext], list[Fragment]]
"""(scanned root, project folder relative to it, context) -> fragments."""


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
    "dbt": parse_dbt_project,
}
