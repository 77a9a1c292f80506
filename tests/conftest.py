from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_REPO = REPO_ROOT / "fixtures" / "example_repo"


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
def _private_user_cache(tmp_path_factory, monkeypatch) -> None:
    """Scans cache parsed files under the user's cache directory: keep the tests' out of the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
