"""File names and anchors of the site: readable where the name allows it, unique always.

Names come from the scanned repository and may hold anything (spaces, quotes, `<`, `/`, `..`), so
every name is reduced to a safe readable part and, when that changed anything, suffixed with a hash
of the exact name. File names are lower-case (case-insensitive file systems); anchors keep case.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE_FILE = re.compile(r"[^a-z0-9._-]+")
_UNSAFE_ANCHOR = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN_RULE = re.compile(r"[A-Za-z0-9_-]{1,40}")
MAX_READABLE = 60


def file_slug(name: str) -> str:
    """A file-name-safe, collision-free slug for ``name``."""
    readable = _UNSAFE_FILE.sub("-", name.lower()).strip("-.")[:MAX_READABLE] or "x"
    return readable if readable == name else f"{readable}-{_digest(name)}"


def anchor(prefix: str, name: str) -> str:
    """An HTML id for ``name`` (unique for distinct names), starting with ``prefix``."""
    readable = _UNSAFE_ANCHOR.sub("-", name).strip("-")[:MAX_READABLE]
    return f"{prefix}-{readable}" if readable == name else f"{prefix}-{readable}-{_digest(name)}"


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def relation_page(name: str) -> str:
    return f"relation/{file_slug(name)}.html"


def column_anchor(column: str) -> str:
    return anchor("c", column)


def column_url(relation: str, column: str) -> str:
    return f"{relation_page(relation)}#{column_anchor(column)}"


def model_page(model_id: str) -> str:
    return f"model/{file_slug(model_id)}.html"


def dag_page(dag_id: str) -> str:
    return f"dag/{file_slug(dag_id)}.html"


def findings_page(rule: str) -> str:
    """Rule ids are short and plain (`LS101`), so their pages are named by them in lower case."""
    return f"findings/{rule.lower() if _PLAIN_RULE.fullmatch(rule) else file_slug(rule)}.html"


def source_page(path: str) -> str:
    return f"source/{file_slug(path)}.html"


def line_anchor(line: int) -> str:
    return f"L{line}"


def task_anchor(task_id: str) -> str:
    return anchor("t", task_id)


def owner_anchor(owner: str) -> str:
    return anchor("o", owner)


def finding_anchor(key: str) -> str:
    return anchor("f", key)


def numbered(base: str, number: int) -> str:
    """The ``number``-th page (1-based) of a paged list whose first page is ``base``."""
    if number == 1:
        return base
    stem, _, extension = base.rpartition(".")
    return f"{stem}-{number}.{extension}"
