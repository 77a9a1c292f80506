"""Reading files of the scanned repository as text, within a size limit; what a path holds."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def read_repo_text(path: Path, max_bytes: int) -> str | None:
    """A repository file's text, or None when it is too large, binary (NUL bytes) or not UTF-8."""
    return read_text_or_reason(path, max_bytes)[0]


def read_text_or_reason(path: Path, max_bytes: int) -> tuple[str | None, str]:
    """A repository file's text, or None and why it was not read (for a diagnostic)."""
    try:
        descriptor = os.open(path, _READ_FLAGS)
        try:
            status = os.fstat(descriptor)
            size = status.st_size
            if size > max_bytes:
                return None, (f"file is {size:,} bytes, over the {max_bytes / 1024 / 1024:.3g} MB limit (raise max_file_mb "
                              "in lineage-scan.yml to analyse it); not analysed")
            data = _read_to_end(descriptor, status)
        finally:
            os.close(descriptor)
    except OSError as error:
        return None, f"cannot read file: {error.strerror or error}"
    if b"\x00" in data:
        return None, "file looks binary (contains NUL bytes); not analysed"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        return None, f"file is not valid UTF-8 (byte {error.start}); not analysed"


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # no newline translation on Windows


def _read_to_end(descriptor: int, status: os.stat_result) -> bytes:
    """The bytes of an open file whose `fstat` gave ``status``: one read of them, rather than
    `Path.read_bytes`' file objects, which cost several times more for the small files a scan reads
    by the thousand. The read asks for one byte more than the size: a regular file that gives fewer
    has ended; otherwise (it grew meanwhile, or is no regular file) more reads find the end."""
    size = status.st_size
    data = os.read(descriptor, size + 1)
    if not data or (len(data) <= size and stat.S_ISREG(status.st_mode)):
        return data
    rest = []
    while chunk := os.read(descriptor, max(size, 65536)):
        rest.append(chunk)
    return b"".join([data, *rest]) if rest else data


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
