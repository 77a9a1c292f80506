"""Generators of big inputs, shared by tests/hostile/test_big_inputs.py and benchmarks/bench_hostile.py."""

from __future__ import annotations

import json
from pathlib import Path

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS raw.events_{i} (id INT, customer_id INT, amount NUMERIC, created_at TIMESTAMP);\n",
    "INSERT INTO marts.daily_{m} (customer_id, total, last_seen)\n"
    "SELECT e.customer_id, SUM(e.amount), MAX(e.created_at) FROM raw.events_{i} e\n"
    "WHERE e.amount > 0 GROUP BY e.customer_id;\n",
    "-- a comment; with a semicolon\nINSERT INTO raw.events_{i} VALUES ({i}, {i}, 1.5, '2024-01-01 00:00:00');\n",
)


def write_sql_dump(path: Path, size: int, broken: bool = False, one_line: bool = False) -> None:
    """A SQL script of about ``size`` bytes: DDL, INSERT ... SELECT and INSERT ... VALUES statements,
    written block by block (the generator itself stays small). ``broken``: an unterminated string
    on the second line, so the tokenizer fails. ``one_line``: no line breaks at all (minified)."""
    with path.open("w", encoding="utf-8") as out:
        written = 0
        if broken:
            written += out.write("CREATE TABLE ok AS SELECT a FROM src;\nSELECT 'never closed FROM t;\n")
        i = 0
        while written < size:
            block = "".join(STATEMENTS[k % 3].format(i=(i + k) % 500, m=(i + k) % 50) for k in range(300))
            if one_line:
                block = block.replace("-- a comment; with a semicolon\n", "/* a comment; with a semicolon */ ").replace("\n", " ")
            written += out.write(block)
            i += 300


def write_one_statement(path: Path, size: int, config: Path | None = None, max_file_mb: int = 64,
                        one_line: bool = False) -> None:
    """One INSERT ... VALUES statement of about ``size`` bytes, then a small statement after it
    (``one_line``: all of it on one line)."""
    row = "({i}, 'customer {i}', {i}.25, '2024-01-01')"
    newline = " " if one_line else "\n"
    with path.open("w", encoding="utf-8") as out:
        written = out.write("INSERT INTO raw.customers (id, name, score, since) VALUES" + newline)
        i = 0
        while written < size:
            written += out.write(f",{newline}".join(row.format(i=i + k) for k in range(1000)) + "," + newline)
            i += 1000
        out.write(row.format(i=i) + ";" + newline + "CREATE TABLE after_big AS SELECT id FROM raw.customers;\n")
    if config is not None:
        config.write_text(f"max_file_mb: {max_file_mb}\n", encoding="utf-8")


def write_notebook(path: Path, cells: int, lines_per_cell: int) -> None:
    """A notebook of ``cells`` code cells of ``lines_per_cell`` lines: pandas reads, column
    assignments and a write per cell (one JSON string per source line, as Jupyter writes them)."""
    document = {"cells": [], "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    for c in range(cells):
        source = ["import pandas as pd\n", f"df{c % 100} = pd.read_sql('SELECT a, b FROM raw.t{c % 50}', con)\n"]
        source += [f"df{c % 100}['x{k % 20}'] = df{c % 100}['a'] + {k}\n" for k in range(max(lines_per_cell - 3, 0))]
        source.append(f"df{c % 100}.to_sql('out_{c % 30}', con)")
        document["cells"].append({"cell_type": "code", "execution_count": None, "id": f"c{c}",
                                  "metadata": {}, "outputs": [], "source": source[:max(lines_per_cell, 1)]})
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


def write_python(path: Path, lines: int) -> None:
    """A pandas script of ``lines`` lines (functions of 50 lines each)."""
    out = ["import pandas as pd\n"]
    for f in range(lines // 50):
        out.append(f"def step_{f}(con):\n    df = pd.read_sql('SELECT a, b FROM raw.t{f % 50}', con)\n")
        out += [f"    df['x{k}'] = df['a'] * {k}\n" for k in range(46)]
        out.append(f"    df.to_sql('out_{f % 30}', con)\n    return df\n")
    path.write_text("".join(out), encoding="utf-8")
