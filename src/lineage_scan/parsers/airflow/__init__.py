"""Airflow DAG files: tasks, dependencies and the lineage of what they run, read with libcst only.

A DAG file is never imported or executed. `interpreter.py` walks its syntax tree the way Airflow would
build the DAG (`dagfile.py` holds what it finds); `fragment.py` turns each task into a `TaskDef` with
the relations and column edges of its SQL (`sql_tasks.py`, through the shared SQL engine and Jinja
sandbox), transfers (`transfers.py`), assets, dbt runs (`dbt_tasks.py`) and Python callables.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers.airflow.dagfile import NOT_PYTHON, PARSER
from lineage_scan.parsers.airflow.fragment import FragmentBuilder
from lineage_scan.parsers.airflow.interpreter import Interpreter
from lineage_scan.parsers.airflow.paths import RepoFiles, root_of
from lineage_scan.parsers.airflow.templates import configured_variables
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.parsers.python.modules import ParseFailure, parse_cst

__all__ = ["PARSER", "is_dag_file", "parse_airflow_file", "parse_dag_source"]

_IMPORTS_AIRFLOW = re.compile(r"^\s*(?:from|import)\s+(?:airflow|cosmos)\b", re.MULTILINE)
_DEFINES_DAG = re.compile(r"\bdag\s*\(|@\s*(?:[\w.]+\.)?(?:dag|asset)\b|\bdbtdag\s*\(", re.IGNORECASE)


def is_dag_file(text: str) -> bool:
    """True when a Python source imports Airflow (or Cosmos) and seems to define a DAG (`DAG(...)`,
    `with DAG`, `@dag`, `@asset`, `DbtDag(...)`). A cheap, generous textual test: a file it lets through
    that defines no DAG simply yields no tasks."""
    return bool(_IMPORTS_AIRFLOW.search(text)) and bool(_DEFINES_DAG.search(text))


def parse_airflow_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """The DAGs of the file at ``path`` (``rel`` is its repo path) as one Fragment."""
    fragment = Fragment(path=rel, parser=PARSER)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    return parse_dag_source(text, path, rel, context)


def parse_dag_source(text: str, path: Path, rel: str, context: ParseContext) -> Fragment:
    """The DAGs of the source ``text`` of the DAG file at ``path`` (``rel`` is its repo path)."""
    try:
        wrapper = MetadataWrapper(parse_cst(text, context.config.max_python_lines), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except cst.ParserSyntaxError as error:
        location = Location(rel, error.raw_line, error.raw_column + 1, error.raw_line, error.raw_column + 1)
        return _failed(rel, location, f"cannot parse DAG file: {error.message}")
    except RecursionError:
        return _failed(rel, Location(rel, 1, 1, 1, 1), "cannot parse DAG file: nested too deeply")
    except ParseFailure as error:
        return _failed(rel, Location(rel, 1, 1, 1, 1), str(error).replace("cannot parse Python", "cannot parse DAG file"))
    variables = configured_variables(context)
    files = RepoFiles(root_of(path, rel), rel, context.max_file_bytes)
    dag_file = Interpreter(wrapper.module, positions, files, variables).run()
    fragment = FragmentBuilder(dag_file, files, context, variables).build()
    fragment.depends_on = sorted(files.looked_up - {rel})
    return fragment


def _failed(rel: str, location: Location, message: str) -> Fragment:
    fragment = Fragment(path=rel, parser=PARSER)
    fragment.diagnostics.append(Diagnostic(location, PARSER, message, Severity.ERROR, NOT_PYTHON))
    return fragment
