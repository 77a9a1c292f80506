"""Bounds on work done for one input: a wall-clock limit that interrupts runaway computation."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

TIME_LIMIT_CODE = "LS940"
"""The diagnostic code of work abandoned at its time limit (such results are not cached: under
less load the same work may finish)."""
PARSER_FAILED = "LS941"
"""The diagnostic code of an input a parser raised on (a bug of ours: tried again on the next scan)."""
UNREPEATABLE_CODES = frozenset({TIME_LIMIT_CODE, PARSER_FAILED})
"""Outcomes that may not repeat: results carrying them are not cached."""


class TimeLimitExceeded(Exception):
    """The guarded block ran longer than its limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` inside the block once ``seconds`` have passed.

    Uses a real-time interval timer, so it only works on the main thread of a process (the scan
    runs parsers there, in the main process or in pool workers); elsewhere, on systems without
    SIGALRM (Windows), or with ``None``, the block runs unbounded. Nested limits keep the outer
    timer's remaining time. The signal handler is installed for the block and the previous one put
    back after it, unless `keep_handler` installed it for good.
    """
    if not seconds or not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return
    restore = not _kept
    previous_handler = signal.signal(signal.SIGALRM, _interrupt) if restore else None
    _running.append(seconds)
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _running.pop()
        if restore:
            signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            signal.setitimer(signal.ITIMER_REAL, previous_delay)


def keep_handler() -> None:
    """Install the handler of `time_limit` for the rest of this process's life, which must be ours
    alone (a pool worker): each limit then only starts and stops the timer, where installing and
    restoring a handler (`signal.signal`) costs several times more, for every statement of a scan."""
    global _kept
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, _interrupt)
        _kept = True


def _interrupt(signum: int, frame: object) -> None:
    if _running:  # an alarm handled only once its block is over is ignored
        raise TimeLimitExceeded(f"gave up after {_running[-1]:g} s")


_running: list[float] = []
"""The seconds of the time limits now running, innermost last."""
_kept = False
