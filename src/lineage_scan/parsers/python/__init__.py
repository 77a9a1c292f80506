"""Python feature and training code (pandas, PySpark, scikit-learn...), read with libcst, never run.

`parse_python_file` turns one `.py` file into a Fragment: the relations it reads and writes, the
column edges between them, the ML models it trains and a TaskDef per script/function that does any
of it. The analysis is an abstract interpretation of the code over dataframe values; see
`analysis.py` (entry points), `interpreter.py` (statements, calls), `frames.py` / `columns.py`
(dataframe and column operations), `sources.py` / `sinks.py` (reads and writes, embedded SQL through
the shared SQL engine) and `training.py` (models).
"""

from __future__ import annotations

from pathlib import Path

from lineage_scan.model import Fragment
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.parsers.python.analysis import DbtPythonModel, analyse_program, scanned_root

PARSER = "python"

__all__ = ["PARSER", "DbtPythonModel", "analyse_program", "parse_python_file"]


def parse_python_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """Lineage of the Python file at ``path`` (``rel`` is its repository path)."""
    fragment = Fragment(path=rel, parser=PARSER)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    return analyse_program(text, rel, scanned_root(path, rel), context, fragment)
