"""Time and peak memory of a scan on big and hostile inputs, each case in a fresh process.

    python benchmarks/bench_hostile.py                 # every case
    python benchmarks/bench_hostile.py sql_50mb nb_100k_lines

Each case writes a small repository into a temporary folder, scans it (one process, no cache) and
prints wall seconds, CPU seconds, the process's peak resident memory and what the scan said about
the file (diagnostic codes, statements, edges). Figures are printed, never asserted; the outcomes
are asserted by tests/hostile/test_big_inputs.py on smaller versions of the same inputs.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import big_inputs  # noqa: E402 - the generators the tests use, on the path set above

MB = 1024 * 1024


def _sql_dump(root: Path, megabytes: int, config: str = "") -> None:
    big_inputs.write_sql_dump(root / "dump.sql", megabytes * MB)
    (root / "lineage-scan.yml").write_text(config, encoding="utf-8")


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "sql_50mb": ("50 MB SQL script, default limits (refused)", lambda root: _sql_dump(root, 50)),
    "sql_50mb_raised": ("50 MB SQL script, max_file_mb: 64 (analysed)",
                        lambda root: _sql_dump(root, 50, "max_file_mb: 64\n")),
    "sql_19mb": ("19 MB SQL script, default limits (analysed)", lambda root: _sql_dump(root, 19)),
    "sql_one_50mb_statement": ("one 50 MB INSERT ... VALUES, max_file_mb: 64",
                               lambda root: big_inputs.write_one_statement(root / "one.sql", 50 * MB,
                                                                           root / "lineage-scan.yml")),
    "sql_19mb_one_line": ("19 MB SQL script on one line (minified), default limits (analysed)",
                          lambda root: big_inputs.write_sql_dump(root / "dump.sql", 19 * MB, one_line=True)),
    "sql_one_19mb_statement_one_line": ("one 19 MB INSERT ... VALUES on one line, default limits",
                                        lambda root: big_inputs.write_one_statement(root / "one.sql", 19 * MB,
                                                                                    one_line=True)),
    "sql_unterminated_19mb": ("19 MB SQL script with an unterminated string on line 2",
                              lambda root: big_inputs.write_sql_dump(root / "broken.sql", 19 * MB, broken=True)),
    "nb_100k_lines": ("notebook of 100,000 code lines (10,000 cells)",
                      lambda root: big_inputs.write_notebook(root / "big.ipynb", cells=10_000, lines_per_cell=10)),
    "nb_100k_lines_one_cell": ("notebook of 100,000 code lines in one cell",
                               lambda root: big_inputs.write_notebook(root / "one.ipynb", cells=1, lines_per_cell=100_000)),
    "nb_20k_lines": ("notebook of 20,000 code lines (2,000 cells), at the default max_python_lines",
                     lambda root: big_inputs.write_notebook(root / "big.ipynb", cells=2_000, lines_per_cell=10)),
    "py_20k_lines": ("Python module of 20,000 lines, at the default max_python_lines",
                     lambda root: big_inputs.write_python(root / "big.py", lines=19_950)),
    "py_100k_lines": ("Python module of 100,000 lines",
                      lambda root: big_inputs.write_python(root / "big.py", lines=100_000)),
}


def run_case(name: str) -> dict:
    """Generate and scan one case in this process; the figures as a dict."""
    from lineage_scan import scan

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        CASES[name][1](root)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = scan(root, jobs=1, cache=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    codes = Counter(d.code for d in result.diagnostics)
    return {
        "case": name,
        "input_mb": round(size / MB, 1),
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "statements": sum(f.statements for f in result.fragments),
        "edges": sum(1 for _ in result.graph.column_edges()),
        "diagnostics": dict(sorted(codes.items())),
        "first_diagnostic": result.diagnostics[0].message[:160] if result.diagnostics else None,
    }


def main(names: list[str]) -> None:
    for name in names or list(CASES):
        output = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        if output.returncode != 0:
            print(f"{name}: FAILED\n{output.stderr}")
            continue
        figures = json.loads(output.stdout.splitlines()[-1])
        print(f"{CASES[name][0]}\n  {figures['input_mb']} MB in, {figures['wall_s']} s wall, {figures['cpu_s']} s CPU, "
              f"peak {figures['peak_rss_mb']} MB; {figures['statements']} statements, "
              f"{figures['edges']} column edges; diagnostics {figures['diagnostics']}\n  {figures['first_diagnostic']}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_case(sys.argv[2])))
    else:
        main(sys.argv[1:])
