"""The scan pauses and freezes the garbage collector only for itself, and leaves it as it found it."""

from __future__ import annotations

import gc

from repo_paths import EXAMPLE_REPO

from lineage_scan import collector, scan


def test_the_collector_is_left_as_it_was() -> None:
    assert gc.isenabled() and gc.get_freeze_count() == 0
    scan(EXAMPLE_REPO)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        scan(EXAMPLE_REPO)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_the_caller_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        scan(EXAMPLE_REPO)
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_paused_work_is_frozen_until_the_session_ends() -> None:
    with collector.scan_session():
        with collector.paused():
            assert not gc.isenabled()
            made = [[i] for i in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(made)
    assert gc.get_freeze_count() == 0
    with collector.paused():  # outside a session: paused, nothing frozen
        made.append([0])
    assert gc.get_freeze_count() == 0
