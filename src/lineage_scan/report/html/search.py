"""The client-side search index: relations, columns, tasks, ML models, DAGs and owners, in shards.

Names are cut into words at ASCII punctuation and spaces (``ml.churn_features.days_since`` → ``ml``,
``churn``, ``features``, ``days``, ``since``). An entry goes into the shard named by the first two
characters of each word of its own name — a column by its column name only, so the thousands of
columns of a schema do not all land in the schema's shard — and a shard with more than
`MAX_SHARD_ENTRIES` entries is split by the next character (up to `MAX_KEY_LENGTH`). The page's
script cuts the query the same way, loads, for each query word, the shard whose key is the longest
prefix of the word (or every shard under a word shorter than the keys) with a `<script>` element
(which works from ``file://``), and keeps the entries whose full label has a word starting with each
query word. Shards are `data/search/<key>.js`; `data/search/keys.js` lists the keys.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from lineage_scan.report.html import urls
from lineage_scan.report.html.catalog import Catalog
from lineage_scan.report.html.scripts import data_script

WORD_SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
"""Must match `WORD_SEPARATORS` in site.js."""
KEYS_FILE = "data/search/keys.js"
MAX_SHARD_ENTRIES = 1500
MAX_KEY_LENGTH = 6


@dataclass(frozen=True, order=True)
class Entry:
    label: str
    type: str
    """r relation, c column, t task, m ML model, d DAG, o owner."""
    url: str
    detail: str
    name: str
    """The part of the label whose words place the entry in shards (a column's own name)."""


def words(text: str) -> list[str]:
    return [word for word in WORD_SEPARATORS.split(text.lower()) if word]


def shard_key(word: str, length: int = 2) -> str:
    """The shard of a word at a key length: ASCII letters and digits kept, anything else `_`, padded with `_`."""
    return "".join(c if ("a" <= c <= "z" or "0" <= c <= "9") else "_" for c in word[:length]).ljust(length, "_")


def entries(catalog: Catalog) -> list[Entry]:
    found = []
    for name, info in catalog.relations.items():
        found.append(Entry(name, "r", urls.relation_page(name), info.kind.value if info.produced else "external", name))
        for column in info.columns:
            meta = catalog.column_meta(name, column)
            found.append(Entry(f"{name}.{column}", "c", urls.column_url(name, column), meta.data_type or "", column))
    for task in catalog.tasks:
        found.append(Entry(task.id, "t", _task_url(catalog, task.id), task.kind, task.id))
    for dag_id in catalog.dags:
        found.append(Entry(dag_id, "d", urls.dag_page(dag_id), "DAG", dag_id))
    for model in catalog.models:
        label = model.name if model.name == model.id else f"{model.name} ({model.id})"
        found.append(Entry(label, "m", urls.model_page(model.id), model.estimator or "ML model", label))
    for owner, owned in catalog.owners.items():
        found.append(Entry(owner, "o", f"owners.html#{urls.owner_anchor(owner)}", f"owns {len(owned)}", owner))
    return sorted(found)


def _task_url(catalog: Catalog, task_id: str) -> str:
    dag_id = catalog.dag_of.get(task_id)
    page = urls.dag_page(dag_id) if dag_id is not None else "tasks.html"
    return f"{page}#{urls.task_anchor(task_id)}"


def search_files(catalog: Catalog) -> dict[str, str]:
    """The shard files and the list of shard keys, as {site path: JavaScript}."""
    found = entries(catalog)
    shards: dict[str, list[int]] = {}
    _split([(index, word) for index, entry in enumerate(found) for word in sorted(set(words(entry.name)))], 2, shards)
    files = {
        f"data/search/{key}.js": data_script(f"search/{key}", [[found[i].type, found[i].label, found[i].url, found[i].detail] for i in members])
        for key, members in sorted(shards.items())
    }
    files[KEYS_FILE] = data_script("search/keys", sorted(shards))
    return files


def _split(members: list[tuple[int, str]], length: int, shards: dict[str, list[int]]) -> None:
    """Group (entry, word) pairs by the word's key of ``length``; split groups that are too large."""
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index, word in members:
        groups[shard_key(word, length)].append((index, word))
    for key, group in groups.items():
        unique = sorted({index for index, _ in group})
        if len(unique) > MAX_SHARD_ENTRIES and length < MAX_KEY_LENGTH and any(len(word) > length for _, word in group):
            _split(group, length + 1, shards)
        else:
            shards[key] = unique
