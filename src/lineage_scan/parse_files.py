"""Run the parsers: file parsers over the discovered files, and project parsers' units (a dbt
project's models), from the cache, in this process or in one process pool.

Fragments come back in the order of the files given, whatever the number of processes and the order
they finish in, and a project's fragments are emitted in the project's own order once all its
units are done, so the scan's output does not depend on ``jobs``. Project units become ready as the
units they depend on finish; ready units go to the pool before files, which fill the gaps. Fewer
than `POOL_MIN_FILES` files and ready units are run in this process (starting workers would cost
more than it saves). Workers send results back as plain data (the compact `fragment_codec` form),
several times cheaper to transfer than pickled objects, and write file cache entries themselves.

A parser that raises on a file yields a fragment with an LS941 diagnostic instead of stopping the
scan; if a worker process dies, the files and units it had not finished are run in this process.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage_scan import collector
from lineage_scan.discover import SourceFile
from lineage_scan.files import path_state
from lineage_scan.fragment_cache import FragmentCache, write_entry
from lineage_scan.fragment_codec import decode_fragment, encode_fragment
from lineage_scan.limits import PARSER_FAILED, UNREPEATABLE_CODES, keep_handler
from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers import PARSERS, PROJECT_PARSERS, ProjectWork
from lineage_scan.parsers.context import ParseContext

POOL_MIN_FILES = 50
CHUNK_MAX_FILES = 64
CHUNK_MIN_FILES = 8
CHUNKS_PER_WORKER = 8
"""A chunk holds about 1/(jobs * CHUNKS_PER_WORKER) of the files not yet chunked (at most
`CHUNK_MAX_FILES`, at least `CHUNK_MIN_FILES` unless there are few files for many workers): chunks
shrink towards the end, so the workers finish at about the same time rather than one waiting for
another's last large chunk."""
IN_FLIGHT_PER_WORKER = 2
"""Jobs handed to the pool ahead of time per worker: enough to keep workers busy, few enough that a
project unit becoming ready does not queue behind every file."""

Progress = Callable[[int, int, str], None]
log = logging.getLogger("lineage_scan")


@dataclass(frozen=True)
class FileTask:
    """One file to parse; ``key`` and ``digest`` (of its bytes) are set when the result is to be cached."""

    index: int
    source: SourceFile
    key: str | None = None
    digest: str | None = None


def default_jobs() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def parse_files(
    root: Path,
    files: list[SourceFile],
    context: ParseContext,
    *,
    jobs: int,
    cache: FragmentCache | None = None,
    progress: Progress | None = None,
    projects: Sequence[ProjectWork] = (),
) -> list[Fragment]:
    """One fragment per file of ``files`` (each of a kind in `PARSERS`), in the same order; the units
    of ``projects`` are run too, in the same pool (their fragments: `ProjectWork.fragments`)."""
    results: list[Fragment | None] = [None] * len(files)
    counter = _Counter(len(files) + sum(p.total for p in projects), progress)
    tasks: list[FileTask] = []
    with collector.paused():  # this process only decodes here: no reference cycles
        for index, source in enumerate(files):
            task = _cache_task(root, index, source, context, cache)
            cached = cache.load(task.key) if cache is not None and task.key is not None else None
            if cached is None:
                tasks.append(task)
            else:
                results[index] = cached
                counter.done(source.path)
    scheduler = _Scheduler(root, context, cache.directory if cache is not None else None, projects, counter, results)
    scheduler.run(tasks, jobs)
    assert all(fragment is not None for fragment in results)
    return results  # type: ignore[return-value]


class _Scheduler:
    """Runs file tasks and project units, in this process or a pool; project units first, as they
    unlock the units that depend on them, files filling the gaps."""

    def __init__(self, root: Path, context: ParseContext, cache_dir: Path | None, projects: Sequence[ProjectWork],
                 counter: _Counter, results: list[Fragment | None]):
        self.root, self.context, self.cache_dir = root, context, cache_dir
        self.projects = projects
        self.counter = counter
        self.results = results
        self.units: deque[tuple[ProjectWork, Any]] = deque()

    def collect(self) -> None:
        """Queue the units that became ready; count the project nodes done since the last call."""
        for project in self.projects:
            self.units.extend((project, unit) for unit in project.ready())
            for path in project.drain_finished():
                self.counter.done(path)

    def run(self, tasks: list[FileTask], jobs: int) -> None:
        """Run everything: in the pool while there is enough ready work for one (it is started once,
        when the files and ready units first number `POOL_MIN_FILES`), else here."""
        pool_allowed = jobs > 1
        while True:
            with collector.paused():
                self.collect()
                if pool_allowed and len(tasks) + len(self.units) >= POOL_MIN_FILES:
                    tasks = self._run_in_pool(tasks, jobs)
                    pool_allowed = False
                    continue
            if not self.units:
                break
            project, unit = self.units.popleft()  # parsing makes cycles: the collector stays on
            with collector.one_input():
                result = project.run_here(unit)
            project.accept(unit, result)
        assert all(project.done for project in self.projects), "project units wait for each other"
        for task in tasks:
            self.results[task.index] = _parse_and_store(self.root, task, self.context, self.cache_dir, encode=False)[0]
            self.counter.done(task.source.path)

    def _run_in_pool(self, tasks: list[FileTask], jobs: int) -> list[FileTask]:
        """Run ``tasks`` and the projects' units in worker processes; return the file tasks left
        undone if the pool broke (its units are back in the queue)."""
        chunks = _chunked(tasks, jobs)
        plans = {project.plan.project_rel: project.plan for project in self.projects}
        pool = ProcessPoolExecutor(min(jobs, len(chunks) + len(self.units)), initializer=_start_worker,
                                   initargs=(self.root, self.context, self.cache_dir, plans))
        in_flight: dict[Future, tuple[ProjectWork, Any] | list[FileTask]] = {}
        try:
            while True:
                while len(in_flight) < jobs * IN_FLIGHT_PER_WORKER and (self.units or chunks):
                    if self.units:
                        project, unit = job = self.units.popleft()
                        in_flight[pool.submit(_run_unit, project.plan.project_rel, unit)] = job
                    else:
                        chunk = chunks.popleft()
                        in_flight[pool.submit(_parse_chunk, chunk)] = chunk
                if not in_flight:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        in_flight[future] = job
                        raise
                    except Exception as error:  # a unit failing outside the parser's own guard
                        if isinstance(job, list):
                            raise
                        log.warning("lineage-scan: a project unit failed in a worker (%s); running it here", error)
                        result = job[0].run_here(job[1])
                    self._take(job, result)
                self.collect()
        except BrokenProcessPool as error:
            log.warning("lineage-scan: a parser process died%s; parsing what is left in this process", _why(error))
            for job in in_flight.values():
                if isinstance(job, list):
                    chunks.append(job)
                else:
                    self.units.appendleft(job)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return sorted((task for chunk in chunks for task in chunk), key=lambda task: task.index)

    def _take(self, job: tuple[ProjectWork, Any] | list[FileTask], result: Any) -> None:
        if isinstance(job, list):
            for task, encoded in zip(job, result, strict=True):
                self.results[task.index] = decode_fragment(encoded) if isinstance(encoded, list) else encoded
                self.counter.done(task.source.path)
        else:
            project, unit = job
            project.accept(unit, result)


def _why(error: BrokenProcessPool) -> str:
    """The last line of the error that broke the pool, when it says more than that a process ended
    (a result this process could not unpickle: the traceback's text is the cause)."""
    lines = [line for line in str(error.__cause__ or "").splitlines() if line.strip(" '")]
    return f" ({lines[-1].strip()})" if lines else ""


def _chunked(tasks: list[FileTask], jobs: int) -> deque[list[FileTask]]:
    """``tasks`` in chunks for the pool, in order, shrinking towards the end (see `CHUNKS_PER_WORKER`)."""
    chunks: deque[list[FileTask]] = deque()
    smallest = min(CHUNK_MIN_FILES, math.ceil(len(tasks) / (jobs * CHUNKS_PER_WORKER)))  # a few files for many workers
    start = 0
    while start < len(tasks):
        left = len(tasks) - start
        size = min(CHUNK_MAX_FILES, max(smallest, math.ceil(left / (jobs * CHUNKS_PER_WORKER))))
        chunks.append(tasks[start : start + size])
        start += size
    return chunks


class _Counter:
    def __init__(self, total: int, progress: Progress | None):
        self.total = total
        self.count = 0
        self.progress = progress

    def done(self, path: str) -> None:
        self.count += 1
        if self.progress is not None:
            self.progress(self.count, self.total, path)


def _cache_task(root: Path, index: int, source: SourceFile, context: ParseContext, cache: FragmentCache | None) -> FileTask:
    if cache is None:
        return FileTask(index, source)
    try:
        with open(os.path.join(root, source.path), "rb") as handle:
            if os.fstat(handle.fileno()).st_size > context.max_file_bytes:
                return FileTask(index, source)
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return FileTask(index, source)  # the parser reports it
    return FileTask(index, source, cache.key(source.kind, source.path, digest), digest)


def _parse_and_store(
    root: Path, task: FileTask, context: ParseContext, cache_dir: Path | None, encode: bool
) -> tuple[Fragment, list[Any] | None]:
    """Parse one file and store it in the cache when it may be; return it, and its encoding when
    ``encode`` or caching asked for one (None if the parser's output does not fit the model)."""
    fragment = _parse(root, task.source, context)
    store = cache_dir is not None and task.key is not None and is_cacheable(fragment)
    if not (store or encode):
        return fragment, None
    try:
        encoded = encode_fragment(fragment)
    except Exception as error:  # noqa: BLE001 - a parser broke the model's types: keep its output, uncached
        log.warning("lineage-scan: %s: the %s parser's output does not fit the model (%s)", task.source.path,
                    task.source.kind, error)
        return fragment, None
    if store and _unchanged(root, task):
        assert cache_dir is not None and task.key is not None
        write_entry(cache_dir, task.key, encoded, {rel: path_state(root, rel) for rel in fragment.depends_on})
    return fragment, encoded


def _parse(root: Path, source: SourceFile, context: ParseContext) -> Fragment:
    try:
        with collector.one_input():
            return PARSERS[source.kind](root / source.path, source.path, context)
    except Exception as error:  # noqa: BLE001 - one file's parser bug must not stop the scan
        return _failed(source.path, source.kind, "file", error)


def start_project(
    root: Path, kind: str, project: str, context: ParseContext, cache: FragmentCache | None,
) -> ProjectWork | Fragment:
    """The ``kind`` project in folder ``project`` as units of work, or a fragment with one LS941
    diagnostic when its project-level pass raised (a unit that raises costs only that unit)."""
    try:
        return PROJECT_PARSERS[kind](root, project, context, cache)
    except Exception as error:  # noqa: BLE001 - one project's parser bug must not stop the scan
        return _failed(project or ".", kind, "project", error)


def _failed(path: str, kind: str, what: str, error: Exception) -> Fragment:
    fragment = Fragment(path=path, parser=kind)
    message = f"{what} not analysed: the {kind} parser failed ({type(error).__name__}: {error})"
    fragment.diagnostics.append(Diagnostic(Location(path, 1, 1, 1, 1), kind, message, Severity.ERROR, PARSER_FAILED))
    return fragment


def is_cacheable(fragment: Fragment) -> bool:
    """Whether a fragment may be reused: what it depends on besides its file is in its `depends_on`
    (modules imported, a DAG's SQL files and the paths it looked up), which the entry records."""
    return not any(d.code in UNREPEATABLE_CODES for d in fragment.diagnostics)


def _unchanged(root: Path, task: FileTask) -> bool:
    """The file still has the bytes its cache key was made from (it was not edited during the scan)."""
    try:
        return hashlib.sha256((root / task.source.path).read_bytes()).hexdigest() == task.digest
    except OSError:
        return False


# --------------------------------------------------------------------------- in a worker process
_worker: tuple[Path, ParseContext, Path | None, dict[str, Any]] | None = None


def _start_worker(root: Path, context: ParseContext, cache_dir: Path | None, plans: dict[str, Any]) -> None:
    global _worker
    _worker = (root, context, cache_dir, plans)
    gc.enable()  # a forked worker inherits the parent's setting
    gc.freeze()  # what the worker starts with lives to its end: collections then walk only syntax trees
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent, which stops the pool
    keep_handler()  # time limits then only start and stop the timer


def _parse_chunk(tasks: Iterable[FileTask]) -> list[list[Any] | Fragment]:
    """The chunk's fragments, encoded (or, when a parser's output does not fit the codec, pickled whole)."""
    assert _worker is not None, "worker not initialised"
    root, context, cache_dir, _plans = _worker
    results: list[list[Any] | Fragment] = []
    for task in tasks:
        fragment, encoded = _parse_and_store(root, task, context, cache_dir, encode=True)
        results.append(fragment if encoded is None else encoded)
    return results


def _run_unit(project: str, unit: Any) -> Any:
    """A project unit's result, as data."""
    assert _worker is not None, "worker not initialised"
    root, context, _cache_dir, plans = _worker
    with collector.one_input():
        return plans[project].run(root, context, unit)
