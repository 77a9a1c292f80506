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
    timer's remaining time.
    """
    if not seconds or not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"gave up after {seconds:g} s")

    previous_handler = signal.signal(signal.SIGALRM, interrupt)
    previous_delay, _ = signal.getitimer(signal.ITIMER_REAL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            signal.setitimer(signal.ITIMER_REAL, previous_delay)
