"""Time limits (limits.time_limit): what is interrupted, and what is put back afterwards."""

from __future__ import annotations

import signal
import time

import pytest

from lineage_scan import limits
from lineage_scan.limits import TimeLimitExceeded, keep_handler, time_limit

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="no interval timers on this system")


def test_a_block_over_its_limit_is_interrupted_and_the_previous_handler_put_back() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="gave up after 0.2 s"), time_limit(0.2):
        time.sleep(5)
    assert time.monotonic() - started < 1
    with time_limit(0.2):  # within its limit: runs to the end
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_an_inner_limit_names_its_own_seconds_and_the_outer_one_resumes() -> None:
    with time_limit(5):
        with pytest.raises(TimeLimitExceeded, match="gave up after 0.1 s"), time_limit(0.1):
            time.sleep(5)
        assert 4 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_a_kept_handler_stays_installed_limits_still_apply_and_a_stray_alarm_is_ignored(monkeypatch) -> None:
    handler = signal.getsignal(signal.SIGALRM)
    monkeypatch.setattr(limits, "_kept", False)
    try:
        keep_handler()
        kept = signal.getsignal(signal.SIGALRM)
        assert kept is not handler
        with pytest.raises(TimeLimitExceeded, match="gave up after 0.1 s"), time_limit(0.1):
            time.sleep(5)
        with time_limit(0.3):
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGALRM) is kept
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # an alarm with no limit running (one that came too late)
        time.sleep(0.2)
    finally:
        signal.signal(signal.SIGALRM, handler)
