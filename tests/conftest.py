from __future__ import annotations

from pathlib import Path

import pytest

import lineage_scan.parse_files


@pytest.fixture
def make_repo(tmp_path: Path):
    """Write a small repository from {relative path: text} and return its root."""

    def make(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path

    return make


@pytest.fixture(autouse=True)
def _private_user_cache(tmp_path_factory):
    """Scans cache parsed files under the user's cache directory: keep the tests' out of the real one
    (with a patch of its own, which a test's `monkeypatch.undo()` leaves in place)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture
def pools(monkeypatch) -> list[int]:
    """The worker counts of the process pools the scans start."""
    started: list[int] = []
    original = lineage_scan.parse_files.ProcessPoolExecutor

    class Counting(original):
        def __init__(self, workers, *args, **kwargs):
            started.append(workers)
            super().__init__(workers, *args, **kwargs)

    monkeypatch.setattr(lineage_scan.parse_files, "ProcessPoolExecutor", Counting)
    return started
