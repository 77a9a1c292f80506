"""Reading files of the scanned repository as text, within a size limit; what a path holds."""

from __future__ import annotations

import hashlib
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


def path_state(root: Path, rel: str) -> str | None:
    """What a parser finds at ``root / rel``, for telling later whether it changed: the SHA-256 of a
    file's bytes, `dir` for a folder, None when nothing is there (or it is outside ``root``); prefixed
    with the repo path it resolves to when that is another (a symbolic link)."""
    base = root.resolve()
    try:
        target = (base / rel).resolve()
        inside = target.relative_to(base).as_posix()
        if target.is_dir():
            state = "dir"
        elif target.is_file():
            state = hashlib.sha256(target.read_bytes()).hexdigest()
        else:
            return None
    except (ValueError, OSError):
        return None
    return state if inside == (rel.strip("/") or ".") else f"{inside}:{state}"
