"""How lineage-scan's scan time and memory grow with the repository, cold and warm.

For each size factor (default 1, 2, 4, 8) it generates a repository of ``factor x`` the base size —
SQL files plus a dbt project, Airflow DAG files and Python feature modules (`generate_corpus.py`,
`generate_pipelines.py`) — and measures, each in a fresh interpreter:

* ``parse``: `sqlglot.parse` of the plain SQL files the scan analyses, one process (the floor of
  the SQL part; the dbt, Airflow and Python parts have no such floor);
* ``cold``: `lineage_scan.scan(repo)` with an empty cache: every SQL file, dbt model, DAG file and
  Python module analysed, cache entries written;
* ``warm``: the same scan again, nothing changed (every file and dbt model from the cache; DAG
  files, which are never cached, parsed again);
* ``SQL changed``: the same scan after editing one SQL file (that file parsed, the graph rebuilt);
* ``model changed``: the same scan after editing one dbt model (its parse pass and the model
  rendered and analysed again, the graph rebuilt);

and, at the largest size, sqllineage on an evenly spaced subset of the same SQL files, for
throughput side by side.

Usage: ``python benchmarks/bench_scale.py [--sizes 1,2,4,8] [--base-files 625] [--jobs N] [--skip-sqllineage]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench_sql import cpu_seconds, environment, measure_parse, measure_sqllineage, peak_rss_mb
from generate_corpus import Corpus, generate_corpus

KINDS = ("parse", "cold", "warm", "SQL changed", "model changed")


@dataclass
class Run:
    """One measurement, as a measuring subprocess reports it (JSON on its last stdout line)."""

    kind: str
    seconds: float = 0.0
    files: int = 0
    statements: int = 0
    edges: int = 0
    parsed: int = 0
    """Files the scan parsed (the rest came from the cache)."""
    units: int = 0
    units_run: int = 0
    """dbt units (models, snapshots, analyses, tests) in the repository, and those rendered and analysed
    (the rest came from the cache)."""
    import_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker_peak_rss_mb: float = 0.0
    """The largest parser process's peak RSS (0 when none was started)."""
    cpu_seconds: float = 0.0
    """CPU time (user + system) of the measuring process and its parser processes."""
    load: float = 0.0
    """The machine's 1-minute load average when the measurement started (other work competing)."""
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def plain_sql_files(root: Path) -> list[Path]:
    """The files the scan parses as plain SQL (not the dbt project's templates)."""
    from lineage_scan.config import load_config
    from lineage_scan.discover import discover

    return [root / f.path for f in discover(root, load_config(root)).files if f.kind == "sql"]


def children_peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------- measurements (in a subprocess)
def measure_scan(root: Path, cache_dir: Path, jobs: int | None) -> Run:
    started = time.perf_counter()
    from lineage_scan import scan

    run = Run("scan", import_seconds=time.perf_counter() - started, load=os.getloadavg()[0])
    cpu = cpu_seconds()
    start = time.perf_counter()
    result = scan(root, jobs=jobs, cache_dir=cache_dir)
    run.seconds = time.perf_counter() - start
    run.cpu_seconds = cpu_seconds() - cpu
    run.peak_rss_mb = peak_rss_mb()
    run.worker_peak_rss_mb = children_peak_rss_mb()
    run.files = len(result.files)
    run.statements = sum(f.statements for f in result.fragments)
    run.edges = sum(1 for _ in result.graph.column_edges())
    file_fragments = [f for f in result.fragments if f.parser != "dbt"]  # (the corpus has no dbt Python models)
    run.parsed = len(file_fragments) - result.files_from_cache
    run.units, run.units_run = result.units, result.units - result.units_from_cache
    failed = sum(f.statements_failed for f in result.fragments)
    codes = Counter(d.code for d in result.diagnostics)
    by_parser = Counter(f.parser for f in result.fragments)
    codes_text = ", ".join(f"{code} {count}" for code, count in sorted(codes.items())) or "none"
    parsers_text = ", ".join(f"{parser} {count}" for parser, count in sorted(by_parser.items()))
    run.notes = [
        f"{failed} statements failed, {len(result.diagnostics)} diagnostics ({codes_text})",
        f"fragments by parser: {parsers_text}; {len(result.graph.tasks())} tasks",
    ]
    return run


def measure_parse_only(root: Path) -> Run:
    import sqlglot  # noqa: F401 - imported before the CPU clock starts, as in the timed part

    files = plain_sql_files(root)
    measured = measure_parse(root, files)
    return Run("parse", measured.seconds, measured.files, measured.statements, peak_rss_mb=measured.peak_rss_mb,
               cpu_seconds=measured.cpu_seconds, load=measured.load, notes=measured.notes)


def measure_sqllineage_subset(root: Path, count: int) -> Run:
    measured = measure_sqllineage(root, count, plain_sql_files(root))
    return Run("sqllineage", measured.seconds, measured.files, measured.statements, peak_rss_mb=measured.peak_rss_mb,
               notes=measured.notes, error=measured.error)


def run_measurement(kind: str, corpus: Path, cache_dir: Path, args: argparse.Namespace) -> Run:
    """Run this script in ``--measure`` mode in a fresh interpreter and read back its figures."""
    command = [sys.executable, __file__, "--measure", kind, "--corpus", str(corpus), "--cache-dir", str(cache_dir),
               "--sqllineage-files", str(args.sqllineage_files)]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        return Run(kind, error=f"measuring process exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    return Run(**json.loads(lines[-1]))


def edit_one_file(root: Path, dbt: bool) -> Path:
    """Change one file in the middle of the corpus: a marts SQL file, or a dbt marts model (both
    upstream and downstream of others)."""
    if dbt:
        files = sorted((root / "dbt" / "models" / "marts").glob("*.sql"))
    else:
        files = [p for p in plain_sql_files(root) if "/marts/" in p.as_posix()] or plain_sql_files(root)
    path = files[len(files) // 2]
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited by bench_scale.py\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- report
@dataclass
class Row:
    factor: int
    corpus: Corpus
    runs: dict[str, Run]


def report(rows: list[Row], sqllineage: Run | None, jobs: int) -> str:
    lines = ["lineage-scan scaling benchmark", *(f"  {line}" for line in environment()),
             f"  scan processes (--jobs): {jobs}", ""]
    header = ("size", "SQL files", "dbt models", "DAGs", "py", "stmts", "col edges", "parse-only s (CPU)",
              "cold s (CPU)", "files/s", "cold MB", "warm s (CPU)", "1 SQL file changed s (CPU)",
              "1 model changed s (CPU)", "re-scan MB")
    table = [header]
    for row in rows:
        parse, cold, warm, sql, model = (row.runs.get(k) for k in KINDS)
        if any(r is None or r.error for r in (parse, cold, warm, sql, model)):
            continue
        assert parse and cold and warm and sql and model
        table.append((
            f"{row.factor}x", f"{row.corpus.files}", f"{row.corpus.pipelines.get('dbt models', 0)}",
            f"{row.corpus.pipelines.get('DAG files', 0)}", f"{row.corpus.pipelines.get('Python modules', 0)}",
            f"{cold.statements}", f"{cold.edges}", _time(parse), _time(cold), f"{cold.files / cold.seconds:.0f}",
            _memory(cold), _time(warm), _time(sql), _time(model), _memory(model),
        ))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines += ["| " + " | ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True)) + " |" for r in table[:1]]
    lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    lines += ["| " + " | ".join(cell.rjust(width) for cell, width in zip(r, widths, strict=True)) + " |" for r in table[1:]]
    lines.append("")
    lines.append("cold: empty cache, every file and dbt model parsed; warm: nothing changed; 1 ... changed: one "
                 "SQL file / one dbt model edited.")
    lines.append("files/s: files discovered (SQL, dbt project files, DAG files, Python modules, config) per "
                 "wall-clock second of the cold scan.")
    lines.append("s (CPU): wall-clock seconds (CPU seconds of the scanning and parser processes together).")
    lines.append("MB: peak RSS of the scanning process + the largest parser process (if any were started).")
    loads = [run.load for row in rows for run in row.runs.values() if not run.error]
    if loads:
        lines.append(f"machine load (1-min average) at the start of the measurements: {min(loads):.1f} to {max(loads):.1f}")
    for row in rows:
        for kind, run in row.runs.items():
            if run.error:
                lines.append(f"{row.factor}x {kind}: NOT MEASURED\n{run.error}")
            else:
                lines += [f"{row.factor}x {kind}: {note}" for note in run.notes]
                if kind != "parse":
                    lines.append(f"{row.factor}x {kind}: {run.parsed} files parsed, {run.units_run} of {run.units} "
                                 f"dbt units rendered; load {run.load:.1f}; import {run.import_seconds:.2f} s (not included)")
    if sqllineage is not None and rows:
        last = rows[-1].runs.get("cold")
        if sqllineage.error:
            lines.append(f"sqllineage: NOT MEASURED\n{sqllineage.error}")
        elif last and not last.error and sqllineage.seconds:
            ours = last.files / last.seconds
            theirs = sqllineage.files / sqllineage.seconds
            lines.append(f"sqllineage on {sqllineage.files} of the {rows[-1].factor}x SQL files: {theirs:.1f} files/s; "
                         f"lineage-scan cold: {ours:.1f} files/s ({ours / theirs:.0f}x the throughput)")
            lines += [f"sqllineage: {note}" for note in sqllineage.notes]
    return "\n".join(lines)


def _time(run: Run) -> str:
    return f"{run.seconds:.2f} ({run.cpu_seconds:.1f})"


def _memory(run: Run) -> str:
    return f"{run.peak_rss_mb:.0f}+{run.worker_peak_rss_mb:.0f}" if run.worker_peak_rss_mb else f"{run.peak_rss_mb:.0f}"


def benchmark(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="lineage-scan-scale-"))
    # The cache lives where users' caches do (the system temp folder can be much slower to write).
    cache_base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lineage-scan-bench"
    cache_base.mkdir(parents=True, exist_ok=True)
    cache_scratch = Path(tempfile.mkdtemp(prefix="scale-", dir=cache_base))
    rows: list[Row] = []
    sqllineage = None
    try:
        for factor in args.sizes:
            root = (args.keep or scratch) / f"size-{factor}x"
            corpus = generate_corpus(root, args.base_files * factor, args.seed, args.base_dbt_models * factor,
                                     args.base_dags * factor, args.base_python * factor)
            cache_dir = cache_scratch / f"size-{factor}x"
            runs = {"parse": run_measurement("parse", root, cache_dir, args)}
            runs["cold"] = run_measurement("scan", root, cache_dir, args)
            runs["warm"] = run_measurement("scan", root, cache_dir, args)
            edit_one_file(root, dbt=False)
            runs["SQL changed"] = run_measurement("scan", root, cache_dir, args)
            edit_one_file(root, dbt=True)
            runs["model changed"] = run_measurement("scan", root, cache_dir, args)
            rows.append(Row(factor, corpus, runs))
            print(f"measured {factor}x", file=sys.stderr)
        if not args.skip_sqllineage and rows:
            sqllineage = run_measurement("sqllineage", (args.keep or scratch) / f"size-{rows[-1].factor}x", cache_scratch, args)
        from lineage_scan.parse_files import default_jobs

        print(report(rows, sqllineage, args.jobs or default_jobs()))
    finally:
        shutil.rmtree(cache_scratch, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: [int(x) for x in text.split(",")], default=[1, 2, 4, 8],
                        help="size factors, comma-separated (default 1,2,4,8)")
    parser.add_argument("--base-files", type=int, default=625, help="SQL files at 1x (default 625: 5,000 at 8x)")
    parser.add_argument("--base-dbt-models", type=int, default=125, help="dbt models at 1x (default 125)")
    parser.add_argument("--base-dags", type=int, default=25, help="Airflow DAG files at 1x (default 25)")
    parser.add_argument("--base-python", type=int, default=12, help="Python feature modules at 1x (default 12)")
    parser.add_argument("--jobs", type=int, help="scan processes (default: the CPUs available)")
    parser.add_argument("--seed", type=int, default=0, help="corpus random seed (default 0)")
    parser.add_argument("--keep", type=Path, help="generate the repositories into this (new) directory and keep them")
    parser.add_argument("--skip-sqllineage", action="store_true", help="do not measure sqllineage")
    parser.add_argument("--sqllineage-files", type=int, default=100,
                        help="SQL files of the largest size sqllineage is measured on (default 100)")
    parser.add_argument("--measure", choices=("parse", "scan", "sqllineage"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is None:
        benchmark(args)
        return
    measure = {
        "parse": lambda: measure_parse_only(args.corpus),
        "scan": lambda: measure_scan(args.corpus, args.cache_dir, args.jobs),
        "sqllineage": lambda: measure_sqllineage_subset(args.corpus, args.sqllineage_files),
    }[args.measure]
    print(json.dumps(asdict(measure())))


if __name__ == "__main__":
    main()
