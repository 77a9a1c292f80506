"""A content-addressed cache of per-file fragments, so a re-scan only re-parses the files that changed.

An entry is keyed by a SHA-256 of everything its fragment depends on: the file's bytes and
repo-relative path, its parser kind, the parse settings (dialect, default schema/database, the
declared schema, the config apart from `exclude` and where it was read) and the engine itself (lineage-scan's version and
the hash of its source files, the sqlglot version, the fragment format). Any change to one of them
is a different key, so an entry is never stale; entries nobody used for `PRUNE_AFTER_DAYS` are
deleted at the end of a scan, and so are the default folders of repositories nobody scanned for as
long (a clone in a temporary folder, scanned once).

Entries are JSON (`fragment_codec`), written to a temporary file and renamed into place, so
concurrent scans sharing a cache never see half an entry. A damaged or hand-made entry fails to
decode and is treated as missing (and rewritten); decoding cannot run code. The default location is
outside the scanned repository (`$XDG_CACHE_HOME/lineage-scan/`, else `~/.cache/lineage-scan/`), so
a repository cannot plant entries that misreport its own lineage.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot

from lineage_scan import __version__
from lineage_scan.files import path_state
from lineage_scan.fragment_codec import FINGERPRINT, CodecError, decode_fragment
from lineage_scan.model import Fragment

if TYPE_CHECKING:
    from lineage_scan.parsers.context import ParseContext

ENTRY_FORMAT = 1
PRUNE_AFTER_DAYS = 7
STALE_TEMP_SECONDS = 3600
_DAY = 24 * 3600
CACHEDIR_TAG = "CACHEDIR.TAG"
"""Marks the directory as a cache (https://bford.info/cachedir/); pruning only happens under one."""
_TAG_TEXT = "Signature: 8a477f597d28d172789f06886806bc55\n# lineage-scan fragment cache; safe to delete.\n"
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{62}\.json")
_TEMP_PREFIX = ".lineage-scan-"

log = logging.getLogger("lineage_scan")


def default_cache_base() -> Path:
    """`$XDG_CACHE_HOME/lineage-scan`, else `~/.cache/lineage-scan`: one folder per repository inside."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lineage-scan"


def default_cache_dir(root: Path) -> Path:
    """`<default_cache_base>/<repo folder name>-<hash of its absolute path>`."""
    base = default_cache_base()
    resolved = root.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    return base / f"{resolved.name or 'root'}-{digest}"


CONFIG_NOT_PARSED = frozenset({"exclude", "source", "lines"})
"""Config fields no parser reads (which files are scanned; where the config file is and its line numbers)."""


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """lineage-scan's version and source files, sqlglot's version and the fragment format."""
    digest = hashlib.sha256(f"{__version__}|{sqlglot.__version__}|{FINGERPRINT}".encode())
    package = Path(__file__).parent
    try:
        for source in sorted(package.rglob("*.py")):
            digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes() + b"\0")
    except OSError:  # not installed as files (a zip): the version has to do
        pass
    return digest.hexdigest()


def context_fingerprint(context: ParseContext) -> str:
    """Every parse setting a fragment can depend on, as canonical JSON."""
    settings: dict[str, Any] = {}
    for field in dataclasses.fields(context):
        value = getattr(context, field.name)
        if field.name == "dialect":
            value = [type(value).__module__, type(value).__qualname__, repr(getattr(value, "normalization_strategy", None))]
        elif field.name == "schema":
            value = value.as_dict()
        elif field.name == "config":
            value = {k: v for k, v in value.__dict__.items() if k not in CONFIG_NOT_PARSED}
        settings[field.name] = value
    try:
        return json.dumps(settings, sort_keys=True, default=repr)
    except TypeError:  # mapping keys of mixed types (YAML allows them) cannot be sorted
        return repr(settings)


def write_entry(directory: Path, key: str, encoded: list[Any], depends: dict[str, str | None] | None = None) -> None:
    """Store an encoded fragment under ``key`` atomically; failures only cost a future cache miss.

    ``depends`` maps the other repository paths the fragment was made from (its `depends_on`: files
    read, paths looked up) to what they held then (`files.path_state`); the entry is used only while
    they hold the same.
    """
    _write(directory, key, {"format": ENTRY_FORMAT, "key": key, "fragment": encoded, "depends": depends or {}})


def write_record(directory: Path, key: str, record: Any) -> None:
    """Store JSON data (a parser's own record, such as a dbt model's result) under ``key``."""
    _write(directory, key, {"format": ENTRY_FORMAT, "key": key, "record": record})


def _write(directory: Path, key: str, entry: dict[str, Any]) -> None:
    path = entry_path(directory, key)
    try:
        text = json.dumps(entry, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:  # not JSON (too deep, a number too long): not stored
        log.warning("lineage-scan: cannot write cache entry %s: %s", path, error)
        return
    for _attempt in range(2):
        try:
            if path.parent not in _made:
                _make_folders(directory, path.parent)
            _write_atomically(path, text)
            return
        except FileNotFoundError:
            _made.discard(path.parent)  # removed since this process made it: make it again
        except OSError as error:
            log.warning("lineage-scan: cannot write cache entry %s: %s", path, error)
            return


def _make_folders(directory: Path, shard: Path) -> None:
    """Make the shard folder; tag the cache directory when it is new (a folder that already held
    other things is used, but never pruned)."""
    if not (directory / CACHEDIR_TAG).is_file():
        directory.mkdir(parents=True, exist_ok=True)
        if not any(directory.iterdir()):
            (directory / CACHEDIR_TAG).write_text(_TAG_TEXT, encoding="utf-8")
    shard.mkdir(exist_ok=True)
    _made.add(shard)


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file next to ``path``, then rename it over ``path`` (readers see all or nothing)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_made: set[Path] = set()
"""Shard folders this process made or found, so each entry write costs no extra system calls."""


def entry_path(directory: Path, key: str) -> Path:
    return Path(entry_file(directory, key))


def entry_file(directory: Path, key: str) -> str:
    """`entry_path` as text (reading thousands of entries, a `Path` per entry shows)."""
    return f"{directory}/{key[:2]}/{key[2:]}.json"


class FragmentCache:
    """The entries of one cache directory for one set of parse settings."""

    def __init__(self, directory: Path, context: ParseContext, root: Path | None = None):
        self.directory = directory
        self.root = root
        """The scanned repository, whose files entries' `depends_on` name (None: such entries are not used)."""
        self._digests: dict[str, str | None] = {}
        self._salt = hashlib.sha256(f"{engine_fingerprint()}|{context_fingerprint(context)}".encode()).digest()
        self.used: set[str] = set()
        self.hits = 0

    def key(self, kind: str, rel: str, content_digest: str) -> str:
        """The key of a file of parser ``kind`` at ``rel`` whose bytes have SHA-256 ``content_digest``."""
        key = hashlib.sha256(self._salt + f"{kind}\0{rel}\0{content_digest}".encode()).hexdigest()
        self.used.add(key)
        return key

    def load(self, key: str) -> Fragment | None:
        """The cached fragment, or None when there is no usable entry."""
        entry = self._entry(key)
        if entry is None or not self._unchanged(entry.get("depends", {})):
            return None
        try:
            fragment = decode_fragment(entry.get("fragment"))
        except (ValueError, RecursionError, CodecError):
            return None
        self.hits += 1
        return fragment

    def _unchanged(self, depends: Any) -> bool:
        """The paths an entry was made from besides its own file still hold what they held."""
        if not isinstance(depends, dict):
            return False
        if depends and self.root is None:
            return False
        return all(isinstance(rel, str) and self.digest(rel) == digest for rel, digest in depends.items())

    def digest(self, rel: str) -> str | None:
        """What a repository path holds (`files.path_state`), worked out once per scan."""
        if rel not in self._digests:
            assert self.root is not None
            self._digests[rel] = path_state(self.root, rel)
        return self._digests[rel]

    def load_record(self, key: str) -> Any | None:
        """The JSON data stored by `write_record` under ``key`` (None when missing); the caller checks it."""
        entry = self._entry(key)
        return entry.get("record") if entry is not None else None

    def _entry(self, key: str) -> dict[str, Any] | None:
        path = entry_file(self.directory, key)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                modified = os.fstat(handle.fileno()).st_mtime
            entry = json.loads(data)
        except (OSError, ValueError, RecursionError):
            return None
        if not (isinstance(entry, dict) and entry.get("format") == ENTRY_FORMAT and entry.get("key") == key):
            return None
        if time.time() - modified > _DAY:
            try:
                os.utime(path)  # kept as recently used, so pruning spares it
            except OSError:
                pass
        return entry

    def prune(self) -> int:
        """Delete entries this scan did not use that nobody used for `PRUNE_AFTER_DAYS`; the count.

        Only files named like entries (or our temporary files), in two-hex-digit folders of a
        directory carrying our `CACHEDIR.TAG`, are ever deleted.
        """
        now = time.time()
        removed = 0
        try:
            if not _is_ours(self.directory):
                return 0
            os.utime(self.directory / CACHEDIR_TAG)  # this repository's cache was used now
            shards = [
                entry for entry in os.scandir(self.directory)
                if _SHARD.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
            ]
        except OSError:
            return 0
        for shard in shards:
            try:
                entries = list(os.scandir(shard.path))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.name.startswith(_TEMP_PREFIX) and entry.name.endswith(".tmp"):
                        limit = STALE_TEMP_SECONDS
                    elif _ENTRY.fullmatch(entry.name) and shard.name + entry.name[:-5] not in self.used:
                        limit = PRUNE_AFTER_DAYS * _DAY
                    else:
                        continue
                    stale = now - entry.stat(follow_symlinks=False).st_mtime > limit
                    if stale:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    continue
        return removed


def prune_other_repositories(base: Path, keep: Path) -> int:
    """Delete the cache folders under ``base`` (other than ``keep``) of repositories nobody scanned for
    `PRUNE_AFTER_DAYS`; only folders carrying our `CACHEDIR.TAG` are touched. Returns the count."""
    removed = 0
    limit = time.time() - PRUNE_AFTER_DAYS * _DAY
    try:
        folders = [entry for entry in os.scandir(base) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return 0
    for folder in folders:
        path = Path(folder.path)
        try:
            if path == keep or not _is_ours(path) or (path / CACHEDIR_TAG).stat().st_mtime > limit:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _is_ours(directory: Path) -> bool:
    try:
        return (directory / CACHEDIR_TAG).read_text(encoding="utf-8") == _TAG_TEXT
    except (OSError, UnicodeDecodeError):
        return False
