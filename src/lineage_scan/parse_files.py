"""Run the file parsers over the discovered files: from the cache, in this process or in a process pool.

Fragments come back in the order of the files given, whatever the number of processes and the order
they finish in, so the scan's output does not depend on ``jobs``. Fewer than `POOL_MIN_FILES` files
to parse are parsed in this process (starting workers would cost more than it saves). Workers send
fragments back in the compact `fragment_codec` form, which is several times cheaper to transfer than
pickled objects, and write the cache entries themselves.

A parser that raises on a file yields a fragment with an LS941 diagnostic instead of stopping the
scan; if a worker process dies, the files it had not finished are parsed in this process.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage_scan import collector
from lineage_scan.discover import SourceFile
from lineage_scan.fragment_cache import FragmentCache, write_entry
from lineage_scan.fragment_codec import decode_fragment, encode_fragment
from lineage_scan.limits import TIME_LIMIT_CODE
from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers import PARSERS, PROJECT_PARSERS
from lineage_scan.parsers.context import ParseContext

POOL_MIN_FILES = 50
CHUNK_MAX_FILES = 64
CHUNKS_PER_WORKER = 8
PARSER_FAILED = "LS941"
NOT_CACHED_CODES = frozenset({TIME_LIMIT_CODE, PARSER_FAILED})
"""Outcomes that may not repeat (a time limit hit under load, a parser crash) are parsed again next time."""

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
) -> list[Fragment]:
    """One fragment per file of ``files`` (each of a kind in `PARSERS`), in the same order."""
    results: list[Fragment | None] = [None] * len(files)
    counter = _Counter(len(files), progress)
    tasks: list[FileTask] = []
    directory = cache.directory if cache is not None else None
    with collector.paused():  # this process only decodes here: no reference cycles
        for index, source in enumerate(files):
            task = _cache_task(root, index, source, context, cache)
            cached = cache.load(task.key) if cache is not None and task.key is not None else None
            if cached is None:
                tasks.append(task)
            else:
                results[index] = cached
                counter.done(source.path)
        if jobs > 1 and len(tasks) >= POOL_MIN_FILES:
            tasks = _parse_in_pool(root, tasks, context, directory, jobs, results, counter)
    for task in tasks:  # parsing makes syntax trees full of cycles: the collector stays on
        results[task.index] = _parse_and_store(root, task, context, directory, encode=False)[0]
        counter.done(task.source.path)
    assert all(fragment is not None for fragment in results)
    return results  # type: ignore[return-value]


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
        write_entry(cache_dir, task.key, encoded)
    return fragment, encoded


def _parse(root: Path, source: SourceFile, context: ParseContext) -> Fragment:
    try:
        return PARSERS[source.kind](root / source.path, source.path, context)
    except Exception as error:  # noqa: BLE001 - one file's parser bug must not stop the scan
        return _failed(source.path, source.kind, "file", error)


def parse_project(root: Path, kind: str, project: str, context: ParseContext) -> list[Fragment]:
    """The fragments of the ``kind`` project in folder ``project``; one LS941 diagnostic if its parser raised."""
    try:
        return PROJECT_PARSERS[kind](root, project, context)
    except Exception as error:  # noqa: BLE001 - one project's parser bug must not stop the scan
        return [_failed(project or ".", kind, "project", error)]


def _failed(path: str, kind: str, what: str, error: Exception) -> Fragment:
    fragment = Fragment(path=path, parser=kind)
    message = f"{what} not analysed: the {kind} parser failed ({type(error).__name__}: {error})"
    fragment.diagnostics.append(Diagnostic(Location(path, 1, 1, 1, 1), kind, message, Severity.ERROR, PARSER_FAILED))
    return fragment


NOT_CACHED_PARSERS = frozenset({"airflow"})
"""Parsers whose output depends on files other than the one parsed (a DAG reads its SQL files and
template folders), which a key made from that one file's bytes cannot cover."""


def is_cacheable(fragment: Fragment) -> bool:
    return fragment.parser not in NOT_CACHED_PARSERS and not any(d.code in NOT_CACHED_CODES for d in fragment.diagnostics)


def _unchanged(root: Path, task: FileTask) -> bool:
    """The file still has the bytes its cache key was made from (it was not edited during the scan)."""
    try:
        return hashlib.sha256((root / task.source.path).read_bytes()).hexdigest() == task.digest
    except OSError:
        return False


# --------------------------------------------------------------------------- the process pool
def _parse_in_pool(
    root: Path,
    tasks: list[FileTask],
    context: ParseContext,
    cache_dir: Path | None,
    jobs: int,
    results: list[Fragment | None],
    counter: _Counter,
) -> list[FileTask]:
    """Parse ``tasks`` in worker processes; return the tasks left undone if the pool broke."""
    size = max(1, min(CHUNK_MAX_FILES, math.ceil(len(tasks) / (jobs * CHUNKS_PER_WORKER))))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    undone = {task.index for task in tasks}
    pool = ProcessPoolExecutor(min(jobs, len(chunks)), initializer=_start_worker, initargs=(root, context, cache_dir))
    try:
        futures: dict[Future, list[FileTask]] = {pool.submit(_parse_chunk, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            for task, encoded in zip(futures[future], future.result(), strict=True):
                results[task.index] = decode_fragment(encoded) if isinstance(encoded, list) else encoded
                undone.discard(task.index)
                counter.done(task.source.path)
    except BrokenProcessPool:
        log.warning("lineage-scan: a parser process died; parsing the %d files left in this process", len(undone))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [task for task in tasks if task.index in undone]


_worker: tuple[Path, ParseContext, Path | None] | None = None


def _start_worker(root: Path, context: ParseContext, cache_dir: Path | None) -> None:
    global _worker
    _worker = (root, context, cache_dir)
    gc.enable()  # a forked worker inherits the parent's setting
    gc.freeze()  # what the worker starts with lives to its end: collections then walk only syntax trees
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent, which stops the pool


def _parse_chunk(tasks: Iterable[FileTask]) -> list[list[Any] | Fragment]:
    """The chunk's fragments, encoded (or, when a parser's output does not fit the codec, pickled whole)."""
    assert _worker is not None, "worker not initialised"
    root, context, cache_dir = _worker
    results: list[list[Any] | Fragment] = []
    for task in tasks:
        fragment, encoded = _parse_and_store(root, task, context, cache_dir, encode=True)
        results.append(fragment if encoded is None else encoded)
    return results
