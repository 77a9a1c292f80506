"""Model the scan / parse-only ratio from instruction counts, a figure that does not drift with the machine.

`bench_sql.py` times the scan against sqlglot's parse-only floor, but on a shared machine the speed
drifts by up to 2x between minutes and one sitting's ratio can differ from the next by 30%. This
script counts instructions instead, with valgrind's callgrind (deterministic to a few parts in a
thousand), each measurement in a fresh interpreter, imports excluded (an imports-only run is
subtracted) and nothing counted after the work (the process ends with ``os._exit``):

* ``parse``: ``sqlglot.parse(text, read=DIALECT)`` on every `.sql` file;
* ``scan``: ``lineage_scan.scan(corpus, jobs=J, cache=False)``; each worker process is counted from its
  fork (``--zero-before=PyOS_AfterFork_Child``), the main process separately;
* ``scan stopped after parsing``: the same with the cross-file build replaced by an exit, which
  splits the main process's count into its share of the parallel phase (unpickling and decoding
  the workers' results) and the serial tail after it (the build of the graph, the rules).

The model of the scan's wall time on ``J`` idle cores: the parallel phase takes the larger of the
busiest worker and (all workers + the main process's share) / J; the tail follows it. The modelled
ratio is that over the parse-only count. It leaves out what instructions do not show: process
start-up, page faults (costly on virtual machines), cache misses, and instructions per cycle
differing between compiled sqlglot and interpreted Python. Use it to compare versions
(``--baseline SRC``) and to see where the work is; the timed ratio stays `bench_sql.py`'s.

Usage: ``python benchmarks/bench_instructions.py [--files 2000 | --corpus DIR] [--jobs 2] [--baseline SRC]``
(needs ``valgrind`` on the PATH; about 6 minutes for 2,000 files on 2 cores, 4 more with a baseline).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench_sql import sql_files
from generate_corpus import generate_corpus

DIALECT = "snowflake"  # the generated corpus's (its lineage-scan.yml)


@dataclass
class ScanCounts:
    """A scan's instructions, in millions, imports excluded."""

    workers: list[float]
    main_parallel: float
    """The scanning process up to the cross-file build (with workers, mostly decoding their results)."""
    main_tail: float

    def modelled(self, jobs: int) -> float:
        if not self.workers:  # too few files for a pool: the scanning process parsed them itself
            return self.main_parallel + self.main_tail
        parallel = max(max(self.workers), (sum(self.workers) + self.main_parallel) / jobs)
        return parallel + self.main_tail

    @property
    def total(self) -> float:
        return sum(self.workers) + self.main_parallel + self.main_tail


# --------------------------------------------------------------------------- measuring (under valgrind)
def measure(kind: str, corpus: Path, jobs: int) -> None:
    """The work of one measurement, in the process valgrind runs; ends the process right after it."""
    import sqlglot

    import lineage_scan.api

    sqlglot.parse("SELECT 1", read=DIALECT)  # the dialect's lazily imported modules count as imports
    if kind == "parse":
        for path in sql_files(corpus):
            sqlglot.parse(path.read_text(encoding="utf-8"), read=DIALECT)
    elif kind in ("scan", "scan-parsing"):
        if kind == "scan-parsing":
            lineage_scan.api.build_graph = lambda *_args, **_kwargs: os._exit(0)
        lineage_scan.api.scan(corpus, jobs=jobs, cache=False)
    os._exit(0)


def callgrind(kind: str, corpus: Path, jobs: int, package: Path | None, out: Path) -> tuple[float, list[float]]:
    """Run one measurement under callgrind: (the main process's count, each child's count), in millions."""
    folder = out / kind
    folder.mkdir(parents=True)
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(package), env.get("PYTHONPATH", "")])
    command = ["valgrind", "--tool=callgrind", "--zero-before=PyOS_AfterFork_Child",
               f"--callgrind-out-file={folder}/%p", sys.executable, __file__, "--measure", kind,
               "--corpus", str(corpus), "--jobs", str(jobs)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{kind}: exited {process.returncode}\n{stderr[-3000:]}")
    counts = {int(path.name): _total(path) for path in folder.iterdir()}
    main = counts.pop(process.pid)
    return main, [counts[pid] for pid in sorted(counts)]


def _total(path: Path) -> float:
    """The ``totals:`` line of a callgrind output file, in millions of instructions."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1]) / 1e6
    raise SystemExit(f"no totals in {path}")


def measure_scan(corpus: Path, jobs: int, package: Path | None, imports: float, out: Path) -> ScanCounts:
    main, workers = callgrind("scan", corpus, jobs, package, out)
    main_parsing, _ = callgrind("scan-parsing", corpus, jobs, package, out)
    return ScanCounts(workers, main_parsing - imports, main - main_parsing)


# --------------------------------------------------------------------------- report
def report(label: str, scan: ScanCounts, parse: float, jobs: int) -> list[str]:
    workers = ", ".join(f"{count:,.0f}" for count in scan.workers)
    return [
        f"{label}:",
        f"  workers ({len(scan.workers)}): {workers}",
        f"  main process, parsing phase ({'decoding results' if scan.workers else 'parsing, no pool'}): {scan.main_parallel:,.0f}",
        f"  main process, after parsing (build, rules): {scan.main_tail:,.0f}",
        f"  total: {scan.total:,.0f} = {scan.total / parse:.2f}x parse-only",
        f"  modelled on {jobs} idle cores: {scan.modelled(jobs):,.0f} = {scan.modelled(jobs) / parse:.2f}x parse-only",
    ]


def benchmark(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH (e.g. `apt-get install valgrind`)")
    with tempfile.TemporaryDirectory(prefix="lineage-scan-instructions-") as scratch:
        scratch_dir = Path(scratch)
        corpus = args.corpus or generate_corpus(scratch_dir / "corpus", args.files, args.seed).root
        imports, _ = callgrind("imports", corpus, args.jobs, None, scratch_dir / "ours")
        parse, _ = callgrind("parse", corpus, args.jobs, None, scratch_dir / "ours")
        parse -= imports
        files = len(sql_files(corpus))
        lines = [f"lineage-scan instruction counts (callgrind, millions), corpus {corpus} ({files} SQL files), {args.jobs} jobs",
                 f"sqlglot parse only: {parse:,.0f}"]
        scan = measure_scan(corpus, args.jobs, None, imports, scratch_dir / "ours")
        lines += report("lineage-scan full scan", scan, parse, args.jobs)
        if args.baseline is not None:
            base_imports, _ = callgrind("imports", corpus, args.jobs, args.baseline, scratch_dir / "baseline")
            base = measure_scan(corpus, args.jobs, args.baseline, base_imports, scratch_dir / "baseline")
            lines += report(f"baseline full scan ({args.baseline})", base, parse, args.jobs)
            lines.append(f"scan / baseline: {scan.total / base.total:.3f}x total, "
                         f"{scan.modelled(args.jobs) / base.modelled(args.jobs):.3f}x modelled")
        print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="generated corpus size in SQL files (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus random seed (default 0)")
    parser.add_argument("--corpus", type=Path, help="measure this generated corpus instead of generating one")
    parser.add_argument("--jobs", type=int, default=2, help="the scan's worker processes, and the cores modelled (default 2)")
    parser.add_argument("--baseline", type=Path, help="also count the lineage_scan package in this folder (another version's src)")
    parser.add_argument("--measure", choices=("imports", "parse", "scan", "scan-parsing"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure, args.corpus, args.jobs)
    else:
        benchmark(args)


if __name__ == "__main__":
    main()
