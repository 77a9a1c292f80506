"""`target/manifest.json`, when a previous `dbt compile` left one: a fallback for nodes that cannot
be rendered from source. Its compiled code is used only when the manifest's checksum says it was
compiled from the file as it is now, and the relation names dbt wrote into it are rewritten to the
names this scan gives those relations, so the graph has the same shape with or without it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lineage_scan.parsers.dbt.nodes import Node
from lineage_scan.parsers.dbt.project import Project

if TYPE_CHECKING:
    from lineage_scan.parsers.dbt.context import DbtContext

MANIFEST = "target/manifest.json"
SIZE_FACTOR = 10
"""A manifest may be this many times the per-file size limit (they are large)."""


@dataclass
class Manifest:
    project: Project | None = None
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, project: Project, limit: int) -> Manifest:
        path = project.dir / MANIFEST
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > limit * SIZE_FACTOR:
                return cls()
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
        sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
        return cls(project, {k: v for k, v in nodes.items() if isinstance(v, dict)},
                   {k: v for k, v in sources.items() if isinstance(v, dict)})

    def compiled_code(self, node: Node) -> str | None:
        """The node's compiled SQL, if the manifest was built from the file's current contents."""
        entry = self.nodes.get(node.unique_id)
        if entry is None or self.project is None:
            return None
        code = entry.get("compiled_code") or entry.get("compiled_sql")
        checksum = entry.get("checksum") if isinstance(entry.get("checksum"), dict) else {}
        if not isinstance(code, str) or checksum.get("name") != "sha256":
            return None
        try:
            current = hashlib.sha256((self.project.root / node.path).read_bytes()).hexdigest()
        except OSError:
            return None
        return code if checksum.get("checksum") == current else None

    def renamed(self, code: str, context: DbtContext) -> str:
        """``code`` with the manifest's relation names replaced by this scan's."""
        names: dict[str, str] = {}
        for entry in self.nodes.values():
            relation_name = entry.get("relation_name")
            node = context.nodes.get((str(entry.get("name")), _version(entry)))
            if isinstance(relation_name, str) and node is not None and node.relation is not None:
                names[relation_name] = str(node.relation)
        for entry in self.sources.values():
            relation_name = entry.get("relation_name")
            if isinstance(relation_name, str) and entry.get("source_name") and entry.get("name"):
                names[relation_name] = str(context.source_relation(str(entry["source_name"]), str(entry["name"])))
        for old in sorted(names, key=len, reverse=True):
            code = code.replace(old, names[old])
        return code


def _version(entry: dict[str, Any]) -> str | None:
    version = entry.get("version")
    return str(version) if version is not None else None
