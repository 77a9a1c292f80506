"""Benchmark lineage-scan's SQL engine on a generated warehouse corpus.

Generates the corpus (see `generate_corpus.py`), then measures, each in its own subprocess so the
peak RSS figures belong to one tool each:

* ``scan``: ``lineage_scan.scan(corpus)``, the full cross-file scan;
* ``parse``: ``sqlglot.parse(text, read="snowflake")`` on every file, the floor a sqlglot-based
  engine cannot beat;
* ``sqllineage``: ``LineageRunner(text, dialect="snowflake").get_column_lineage()`` per file, on an
  evenly spaced subset of the files (it is much slower).

The scan and parse-only measurements alternate ``--repeat`` times (default 3) and the report shows
each one's median run: the machine's speed drifts between minutes (by up to 30% on a shared
machine), and the ratio of two runs made far apart would measure that drift too. For the same
reason a change is best measured against the code before it in the same sitting: ``--baseline
SRC`` adds a scan by the `lineage_scan` package in folder ``SRC`` (e.g. a `git worktree` of the
commit before, its ``src``) to each round.

Usage: ``python benchmarks/bench_sql.py --files 2000 [--repeat N] [--baseline SRC] [--keep DIR] [--skip-sqllineage] [--sqllineage-files K]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from generate_corpus import Corpus, generate_corpus

KINDS = ("scan", "parse", "sqllineage")
LABELS = {"scan": "lineage-scan full scan", "parse": "sqlglot parse only", "sqllineage": "sqllineage (subset)",
          "baseline": "baseline full scan"}


@dataclass
class Measurement:
    """One tool's figures, as a measuring subprocess reports them (JSON on its last stdout line)."""

    kind: str
    files: int = 0
    statements: int = 0
    seconds: float = 0.0
    edges: int | None = None
    import_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    failures: int = 0
    cpu_seconds: float = 0.0
    """CPU time (user + system) of the measuring process and its worker processes."""
    load: float = 0.0
    """The machine's 1-minute load average when the measurement started (other work competing)."""
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def statements_per_s(self) -> float:
        return self.statements / self.seconds if self.seconds else 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_seconds() -> float:
    """CPU time so far of this process and its finished children (the scan's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sql_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.sql"))


def evenly_spaced(items: Sequence[Path], count: int) -> list[Path]:
    """``count`` items spread evenly over ``items`` (so a subset keeps the layers' mix)."""
    if count >= len(items):
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


# --------------------------------------------------------------------------- measurements (in a subprocess)
def measure_scan(root: Path) -> Measurement:
    from lineage_scan import scan

    result = Measurement("scan", import_rss_mb=peak_rss_mb())
    current = ["(before the first file)"]

    def track(_done: int, _total: int, path: str) -> None:
        current[0] = path

    result.load, cpu = os.getloadavg()[0], cpu_seconds()
    start = time.perf_counter()
    try:
        scanned = scan(root, progress=track, cache=False)  # the engine, not the cache (see bench_scale.py)
    except Exception:  # noqa: BLE001 - an engine crash is a finding to report, not a benchmark bug
        result.error = f"scan raised; last file started: {current[0]}\n{traceback.format_exc()}"
        return result
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = cpu_seconds() - cpu
    result.peak_rss_mb = peak_rss_mb()
    result.files = len(scanned.files)
    result.statements = sum(f.statements for f in scanned.fragments)
    result.failures = sum(f.statements_failed for f in scanned.fragments)
    edges = list(scanned.graph.column_edges())
    result.edges = len(edges)
    certainty = Counter(data["certainty"].value for _, _, data in edges)
    stars = sum(1 for source, target, _ in edges if "*" in (source.column, target.column))
    codes = Counter(d.code for d in scanned.diagnostics)
    result.notes = [
        f"{len(scanned.graph.relations())} relations; edge certainty: "
        + ", ".join(f"{name} {count}" for name, count in sorted(certainty.items())),
        f"{stars} unexpanded star edges; {result.failures} statements failed; {len(scanned.diagnostics)} diagnostics"
        + (" (" + ", ".join(f"{code} x{n}" for code, n in sorted(codes.items())) + ")" if codes else ""),
    ]
    return result


def measure_parse(root: Path, files: list[Path] | None = None) -> Measurement:
    """sqlglot.parse on every file of ``files`` (default: every `.sql` file under ``root``)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    result = Measurement("parse", import_rss_mb=peak_rss_mb())
    files = sql_files(root) if files is None else files
    result.load, cpu = os.getloadavg()[0], cpu_seconds()
    start = time.perf_counter()
    for path in files:
        try:
            parsed = sqlglot.parse(path.read_text(encoding="utf-8"), read="snowflake")
        except SqlglotError:
            result.failures += 1
            continue
        result.statements += sum(1 for statement in parsed if statement is not None)
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = cpu_seconds() - cpu
    result.peak_rss_mb = peak_rss_mb()
    result.files = len(files)
    result.notes = [f"{result.failures} of {result.files} files failed to parse"]
    return result


def measure_sqllineage(root: Path, count: int, files: list[Path] | None = None) -> Measurement:
    """sqllineage on ``count`` evenly spaced files of ``files`` (default: the `.sql` files under ``root``)."""
    try:
        from sqllineage.runner import LineageRunner
    except ImportError:
        return Measurement("sqllineage", error="sqllineage is not importable")

    result = Measurement("sqllineage", import_rss_mb=peak_rss_mb())
    files = evenly_spaced(sql_files(root) if files is None else files, count)
    errors: Counter[str] = Counter()
    paths = 0
    result.load, cpu = os.getloadavg()[0], cpu_seconds()
    start = time.perf_counter()
    for path in files:
        try:
            runner = LineageRunner(path.read_text(encoding="utf-8"), dialect="snowflake")
            paths += len(runner.get_column_lineage())
            result.statements += len(runner.statements())
        except Exception as error:  # noqa: BLE001 - any failure of the tool counts as a failed file
            result.failures += 1
            errors[type(error).__name__] += 1
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = cpu_seconds() - cpu
    result.peak_rss_mb = peak_rss_mb()
    result.files = len(files)
    result.notes = [
        f"{result.failures} of {result.files} files raised"
        + (" (" + ", ".join(f"{name} x{n}" for name, n in errors.most_common()) + ")" if errors else "")
        + f"; {paths} column lineage paths (per file, stars not expanded; not comparable to column edges)"
    ]
    return result


def run_measurement(kind: str, corpus: Path, sqllineage_files: int, package_dir: Path | None = None) -> Measurement:
    """Run this script in ``--measure`` mode in a fresh interpreter and read back its figures;
    ``package_dir`` first on its import path (another version of lineage_scan)."""
    command = [sys.executable, __file__, "--measure", kind, "--corpus", str(corpus),
               "--sqllineage-files", str(sqllineage_files)]
    env = None
    if package_dir is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package_dir), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        return Measurement(kind, error=f"measuring process exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    return Measurement(**json.loads(lines[-1]))


# --------------------------------------------------------------------------- report
def environment() -> list[str]:
    import sqlglot.parser

    import lineage_scan

    def installed(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    compiled = "yes" if sqlglot.parser.__file__.endswith(".so") else "no"
    python = f"python {platform.python_version()} ({platform.python_implementation()})"
    tools = [
        f"lineage-scan {lineage_scan.__version__}",
        f"sqlglot {sqlglot.__version__} (compiled sqlglotc in use: {compiled})",
        f"sqllineage {installed('sqllineage')}",
        f"sqlfluff {installed('sqlfluff')}",
    ]
    return [f"{python}, {os.cpu_count()} CPUs, {platform.platform()}", ", ".join(tools)]


def median_run(runs: list[Measurement]) -> Measurement:
    """The run of median wall time (the lower middle one of an even number), or the first failed run."""
    failed = [m for m in runs if m.error is not None]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda m: m.seconds)
    return ordered[(len(ordered) - 1) // 2]


def report(corpus: Corpus, measurements: dict[str, Measurement], kept: bool, runs: dict[str, list[Measurement]]) -> str:
    layers = ", ".join(f"{n} {layer}" for layer, n in corpus.files_by_layer.items())
    size_mb = sum(p.stat().st_size for p in sql_files(corpus.root)) / 1e6
    lines = [
        "lineage-scan SQL benchmark",
        *(f"  {line}" for line in environment()),
        f"  corpus: {corpus.files} files ({layers}), {corpus.statements} statements, {size_mb:.1f} MB"
        + (f", kept at {corpus.root}" if kept else ""),
        "",
    ]
    header = ("measurement", "files", "stmts", "wall s", "CPU s", "load", "files/s", "stmts/s", "col edges", "import MB",
              "peak MB")
    rows = [header]
    for kind, m in measurements.items():
        if m.error is None:
            rows.append((LABELS[kind], f"{m.files}", f"{m.statements}", f"{m.seconds:.2f}", f"{m.cpu_seconds:.2f}",
                         f"{m.load:.1f}", f"{m.files_per_s:.1f}",
                         f"{m.statements_per_s:.1f}", "-" if m.edges is None else f"{m.edges}",
                         f"{m.import_rss_mb:.0f}", f"{m.peak_rss_mb:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        figures = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([row[0].ljust(widths[0]), *figures]))
    lines.append("")
    scan, parse, lineage = (measurements.get(k) for k in KINDS)
    baseline = measurements.get("baseline")
    if scan and parse and scan.error is None and parse.error is None:
        lines.append(f"scan time / parse-only time: {scan.seconds / parse.seconds:.2f}x wall, "
                     f"{scan.cpu_seconds / parse.cpu_seconds:.2f}x CPU (the scan's CPU: all its processes)")
        if baseline and baseline.error is None:
            lines.append(f"baseline scan time / parse-only time: {baseline.seconds / parse.seconds:.2f}x wall, "
                         f"{baseline.cpu_seconds / parse.cpu_seconds:.2f}x CPU; scan / baseline scan: "
                         f"{scan.seconds / baseline.seconds:.2f}x wall, {scan.cpu_seconds / baseline.cpu_seconds:.2f}x CPU")
        if len(runs["scan"]) > 1:
            spread = "; ".join(f"{LABELS[k]} " + ", ".join(f"{m.seconds:.2f}" for m in measured) for k, measured in runs.items())
            lines.append(f"  medians of {len(runs['scan'])} alternating runs (wall s, in run order: {spread})")
    if scan and lineage and scan.error is None and lineage.error is None and lineage.files_per_s:
        lines.append(f"throughput lineage-scan / sqllineage (files/s): {scan.files_per_s / lineage.files_per_s:.1f}x")
    for kind, m in measurements.items():
        lines += [f"{LABELS[kind]}: {note}" for note in m.notes]
        if m.error is not None:
            lines.append(f"{LABELS[kind]}: NOT MEASURED\n{m.error}")
    return "\n".join(lines)


def benchmark(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="lineage-scan-bench-") as scratch:
        root = args.keep or Path(scratch) / "corpus"
        corpus = generate_corpus(root, args.files, args.seed)
        runs: dict[str, list[Measurement]] = {"scan": [], "parse": [], **({"baseline": []} if args.baseline else {})}
        for _ in range(args.repeat):
            for kind, measured in runs.items():
                if kind == "baseline":
                    measured.append(run_measurement("scan", root, args.sqllineage_files, args.baseline))
                else:
                    measured.append(run_measurement(kind, root, args.sqllineage_files))
        measurements = {kind: median_run(measured) for kind, measured in runs.items()}
        if not args.skip_sqllineage:
            measurements["sqllineage"] = run_measurement("sqllineage", root, args.sqllineage_files)
        print(report(corpus, measurements, kept=args.keep is not None, runs=runs))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="corpus size in SQL files (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus random seed (default 0)")
    parser.add_argument("--keep", type=Path, help="generate the corpus into this (empty) directory and keep it")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternating scan and parse-only runs; the median of each is reported (default 3)")
    parser.add_argument("--baseline", type=Path,
                        help="also scan with the lineage_scan package in this folder (another version's src), each round")
    parser.add_argument("--skip-sqllineage", action="store_true", help="do not measure sqllineage")
    parser.add_argument("--sqllineage-files", type=int, default=200,
                        help="files of the corpus (evenly spaced) sqllineage is measured on (default 200)")
    parser.add_argument("--measure", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is None:
        benchmark(args)
        return
    measure = {"scan": lambda: measure_scan(args.corpus), "parse": lambda: measure_parse(args.corpus),
               "sqllineage": lambda: measure_sqllineage(args.corpus, args.sqllineage_files)}[args.measure]
    print(json.dumps(measure().__dict__))


if __name__ == "__main__":
    main()
