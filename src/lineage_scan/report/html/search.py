"""The client-side search index: relations, columns, tasks, ML models, DAGs and owners, in shards.

Each name is cut into words at ASCII punctuation and spaces (``ml.churn_features.days_since`` →
``ml``, ``churn``, ``features``, ``days``, ``since``); an entry goes into the shard of the first two
characters of each of its words. The page's script cuts the query the same way, loads the one shard
of its longest word (a `<script>` file, which works from ``file://``) and keeps the entries whose name
contains every query word. Shards are `data/search/<key>.js`; `data/search/keys.js` lists the keys.
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


@dataclass(frozen=True, order=True)
class Entry:
    label: str
    type: str
    """r relation, c column, t task, m ML model, d DAG, o owner."""
    url: str
    detail: str


def words(text: str) -> list[str]:
    return [word for word in WORD_SEPARATORS.split(text.lower()) if word]


def shard_key(word: str) -> str:
    """Two characters naming the shard of a word: ASCII letters and digits kept, anything else `_`."""
    return "".join(c if ("a" <= c <= "z" or "0" <= c <= "9") else "_" for c in word[:2]).ljust(2, "_")


def entries(catalog: Catalog) -> list[Entry]:
    found = []
    for name, info in catalog.relations.items():
        found.append(Entry(name, "r", urls.relation_page(name), info.kind.value if info.produced else "external"))
        for column in info.columns:
            meta = catalog.column_meta(name, column)
            found.append(Entry(f"{name}.{column}", "c", urls.column_url(name, column), meta.data_type or ""))
    for task in catalog.tasks:
        found.append(Entry(task.id, "t", _task_url(catalog, task.id), task.kind))
    for dag_id in catalog.dags:
        found.append(Entry(dag_id, "d", urls.dag_page(dag_id), "DAG"))
    for model in catalog.models:
        found.append(Entry(model.name if model.name == model.id else f"{model.name} ({model.id})", "m",
                           urls.model_page(model.id), model.estimator or "ML model"))
    for owner, owned in catalog.owners.items():
        found.append(Entry(owner, "o", f"owners.html#{urls.owner_anchor(owner)}", f"owns {len(owned)}"))
    return sorted(found)


def _task_url(catalog: Catalog, task_id: str) -> str:
    dag_id = catalog.dag_of.get(task_id)
    page = urls.dag_page(dag_id) if dag_id is not None else "tasks.html"
    return f"{page}#{urls.task_anchor(task_id)}"


def search_files(catalog: Catalog) -> dict[str, str]:
    """The shard files and the list of shard keys, as {site path: JavaScript}."""
    shards: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries(catalog):
        for key in sorted({shard_key(word) for word in words(entry.label)}):
            shards[key].append(entry)
    files = {
        f"data/search/{key}.js": data_script(f"search/{key}", [[e.type, e.label, e.url, e.detail] for e in shard])
        for key, shard in sorted(shards.items())
    }
    files[KEYS_FILE] = data_script("search/keys", sorted(shards))
    return files
