"""One parser per input kind. Each turns one file into a `Fragment` and never sees the others.

`PARSERS` maps a discovered file kind to its parser; kinds without a parser are listed in the
summary as not analysed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lineage_scan.model import Fragment
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.sql import parse_sql_file

Parser = Callable[[Path, str, ParseContext], Fragment]

PARSERS: dict[str, Parser] = {
    "sql": parse_sql_file,
}
