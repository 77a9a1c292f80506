"""Reading files of the scanned repository as text, within a size limit."""

from __future__ import annotations

from pathlib import Path


def read_repo_text(path: Path, max_bytes: int) -> str | None:
    """A repository file's text, or None when it is too large, binary (NUL bytes) or not UTF-8."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
