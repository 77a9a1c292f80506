"""The nodes of a dbt project this parser renders: models, snapshots, seeds, analyses, singular tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_scan.model import RelationKind
from lineage_scan.parsers.dbt.objects import Relation
from lineage_scan.parsers.dbt.project import merge_config
from lineage_scan.parsers.dbt.properties import NodeProps

MATERIALIZED_KINDS = {
    "table": RelationKind.TABLE,
    "incremental": RelationKind.TABLE,
    "view": RelationKind.VIEW,
    "materialized_view": RelationKind.VIEW,
    "ephemeral": RelationKind.EPHEMERAL,
    "snapshot": RelationKind.SNAPSHOT,
    "seed": RelationKind.SEED,
}
TASK_KINDS = {"model": "dbt_model", "snapshot": "dbt_snapshot", "seed": "dbt_seed"}
"""Task kind of each resource that becomes a task (`dbt:<project>.<name>`)."""
DEFAULT_MATERIALIZATION = {"model": "view", "snapshot": "snapshot", "seed": "seed", "analysis": "analysis", "test": "test"}


@dataclass(frozen=True)
class RefCall:
    package: str | None
    name: str
    version: str | None = None


@dataclass
class Node:
    """One renderable (or, for seeds, readable) resource of the project."""

    resource: str
    name: str
    package: str
    path: str
    """Repo-relative POSIX path of the file that defines it."""
    fqn: tuple[str, ...]
    source: str | None = None
    """The Jinja template (None for seeds)."""
    language: str = "sql"
    version: str | None = None
    props: NodeProps | None = None
    config: dict[str, Any] = field(default_factory=dict)
    """Project folder config merged with the YAML config."""
    file_config: dict[str, Any] = field(default_factory=dict)
    """What the file's own `config(...)` calls set."""
    refs: list[RefCall] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    relation: Relation | None = None
    key: str | None = None
    """The normalised relation name used in the graph."""
    line: int = 1

    @property
    def unique_id(self) -> str:
        base = f"{self.resource}.{self.package}.{self.name}"
        return f"{base}.v{self.version}" if self.version is not None else base

    @property
    def task_id(self) -> str:
        return f"dbt:{self.package}.{self.name}" + (f".v{self.version}" if self.version is not None else "")

    @property
    def merged_config(self) -> dict[str, Any]:
        return merge_config(self.config, self.file_config)

    @property
    def materialized(self) -> str:
        if self.resource in ("seed", "snapshot"):
            return self.resource
        value = self.merged_config.get("materialized")
        return str(value) if value else DEFAULT_MATERIALIZATION[self.resource]

    @property
    def enabled(self) -> bool:
        value = self.merged_config.get("enabled", True)
        return value not in (False, "false", "False")

    @property
    def relation_kind(self) -> RelationKind:
        return MATERIALIZED_KINDS.get(self.materialized, RelationKind.TABLE)
