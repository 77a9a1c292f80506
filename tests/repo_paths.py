"""Paths of the repository under test, importable from any test module."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_REPO = REPO_ROOT / "fixtures" / "example_repo"
