"""Graph metadata of dbt resources: relation/column documentation, owners, tests, tasks, ML models."""

from __future__ import annotations

import json
import re
from typing import Any

from lineage_scan.model import ColumnMeta, ColumnRef, Location, MLModelDef, RelationMeta, TaskDef
from lineage_scan.owners import CodeOwners
from lineage_scan.parsers.dbt.nodes import TASK_KINDS, Node
from lineage_scan.parsers.dbt.properties import REF_CALL, SOURCE_CALL, ColumnProps, Exposure, Properties, SourceTable
from lineage_scan.sql.names import Names

ATTRIBUTE_CONFIG_KEYS = ("incremental_strategy", "unique_key", "on_schema_change", "access", "group", "strategy",
                         "updated_at", "check_cols", "full_refresh")


def at_line(path: str, line: int) -> Location:
    return Location(path, line, 1, line, 1)


def owners_from(meta: Any, group: str | None, properties: Properties, codeowners: CodeOwners, path: str) -> tuple[str, ...]:
    """`meta.owner` (a string or list), the group's owner, then CODEOWNERS of the defining file."""
    owners: list[str] = []
    value = meta.get("owner", meta.get("owners")) if isinstance(meta, dict) else None
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item:
            owners.append(item)
        elif isinstance(item, dict):
            owners.extend(str(item[k]) for k in ("email", "name") if item.get(k))
    if group and properties.groups.get(str(group)):
        owners.append(properties.groups[str(group)])
    owners.extend(codeowners.owners_of(path))
    return tuple(sorted(set(owners)))


def attribute_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else str(value)


def column_metas(columns: list[ColumnProps], names: Names, data_types: dict[str, str] | None = None) -> tuple[ColumnMeta, ...]:
    metas = {}
    for column in columns:
        name = names.ident(column.name)
        metas[name] = ColumnMeta(name, column.description, column.data_type or (data_types or {}).get(name),
                                 tuple(sorted(set(column.tests))), tuple(sorted(set(column.tags))))
    for name, data_type in (data_types or {}).items():
        metas.setdefault(name, ColumnMeta(name, data_type=data_type))
    return tuple(sorted(metas.values()))


def node_meta(node: Node, properties: Properties, codeowners: CodeOwners, names: Names,
              inherited: dict[str, str] | None = None) -> RelationMeta:
    """Documentation of a model, seed or snapshot relation."""
    assert node.key is not None
    config = node.merged_config
    props = node.props
    meta = config.get("meta") if isinstance(config.get("meta"), dict) else {}
    attributes = {
        "dbt_project": node.package,
        "materialized": node.materialized,
        "resource_type": node.resource,
        "unique_id": node.unique_id,
        "language": node.language,
    }
    if node.version is not None:
        attributes["version"] = node.version
    if isinstance(config.get("contract"), dict) and config["contract"].get("enforced"):
        attributes["contract_enforced"] = "true"
    for key in ATTRIBUTE_CONFIG_KEYS:
        if config.get(key) is not None:
            attributes[key] = attribute_text(config[key])
    for key, value in meta.items():
        attributes[f"meta.{key}"] = attribute_text(value)
    data_types = {names.ident(str(k)): str(v) for k, v in (config.get("column_types") or {}).items()} if node.resource == "seed" else None
    columns = list(column_metas(props.columns if props else [], names, data_types))
    for column, description in sorted((inherited or {}).items()):
        existing = next((c for c in columns if c.name == column), None)
        if existing is None:
            columns.append(ColumnMeta(column, description))
        elif not existing.description:
            columns[columns.index(existing)] = ColumnMeta(column, description, existing.data_type, existing.tests, existing.tags)
    return RelationMeta(
        relation=node.key,
        location=at_line(props.path, props.line) if props else at_line(node.path, node.line),
        description=props.description if props else None,
        owners=owners_from(meta, config.get("group"), properties, codeowners, node.path),
        tags=tuple(sorted(set(str(t) for t in config.get("tags", [])))),
        tests=tuple(sorted(set(props.tests))) if props else (),
        columns=tuple(sorted(columns)),
        attributes=tuple(sorted(attributes.items())),
    )


def source_meta(table: SourceTable, key: str, project: str, properties: Properties, codeowners: CodeOwners,
                names: Names) -> RelationMeta:
    attributes = {"resource_type": "source", "unique_id": f"source.{project}.{table.source}.{table.name}",
                  "source_name": table.source, "dbt_project": project, **table.attributes}
    for meta_key, value in (table.config.get("meta") or {}).items():
        attributes[f"meta.{meta_key}"] = attribute_text(value)
    return RelationMeta(
        relation=key,
        location=at_line(table.path, table.line),
        description=table.description,
        owners=owners_from(table.config.get("meta"), None, properties, codeowners, table.path),
        tags=tuple(sorted(set(table.config.get("tags", [])))),
        tests=tuple(sorted(set(table.tests))),
        columns=column_metas(table.columns, names),
        attributes=tuple(sorted(attributes.items())),
    )


def node_task(node: Node, reads: set[str], upstream: set[str]) -> TaskDef:
    assert node.key is not None
    return TaskDef(
        id=node.task_id,
        kind=TASK_KINDS[node.resource],
        name=node.name,
        location=at_line(node.path, node.line),
        reads=tuple(sorted(reads - {node.key})),
        writes=(node.key,),
        upstream=tuple(sorted(upstream - {node.task_id})),
        attributes=(("language", node.language), ("materialized", node.materialized), ("unique_id", node.unique_id)),
    )


def exposure_refs(exposure: Exposure) -> tuple[list[tuple[str | None, str, str | None]], list[tuple[str, str]]]:
    """The `ref(...)` and `source(...)` calls of an exposure's `depends_on`."""
    refs, sources = [], []
    for item in exposure.depends_on:
        for match in REF_CALL.finditer(item):
            package, name = (match.group(1), match.group(2)) if match.group(2) else (None, match.group(1))
            refs.append((package, name, match.group(3)))
        sources.extend((m.group(1), m.group(2)) for m in SOURCE_CALL.finditer(item))
    return refs, sources


def exposure_task(exposure: Exposure, project: str, reads: list[str], upstream: list[str], owners: tuple[str, ...]) -> TaskDef:
    attributes = {"type": exposure.type, "unique_id": f"exposure.{project}.{exposure.name}", **exposure.attributes}
    if owners:
        attributes["owners"] = ", ".join(owners)
    return TaskDef(
        id=f"dbt:{project}.exposure.{exposure.name}",
        kind="dbt_exposure",
        name=exposure.name,
        location=at_line(exposure.path, exposure.line),
        reads=tuple(sorted(set(reads))),
        upstream=tuple(sorted(set(upstream))),
        attributes=tuple(sorted(attributes.items())),
    )


def ml_model(exposure: Exposure, project: str, features: list[ColumnRef], target: ColumnRef | None,
             owners: tuple[str, ...]) -> MLModelDef:
    meta = exposure.config.get("meta") or {}
    attributes = {"exposure": exposure.name, "unique_id": f"exposure.{project}.{exposure.name}", **exposure.attributes}
    if owners:
        attributes["owners"] = ", ".join(owners)
    if exposure.description:
        attributes["description"] = exposure.description
    return MLModelDef(
        id=f"dbt:{project}.exposure.{exposure.name}",
        name=exposure.name,
        location=at_line(exposure.path, exposure.line),
        features=tuple(features),
        target=target,
        estimator=str(meta["estimator"]) if meta.get("estimator") else None,
        attributes=tuple(sorted(attributes.items())),
    )


def column_spec(spec: Any) -> tuple[str | None, str] | None:
    """`column`, `model.column` or `ref('model').column` from exposure meta -> (model or None, column)."""
    if not isinstance(spec, str) or not spec.strip():
        return None
    spec = spec.strip()
    match = re.fullmatch(r"""ref\(\s*['"]([\w.-]+)['"]\s*\)\s*\.\s*(\w+)""", spec)
    if match:
        return match.group(1), match.group(2)
    model, _, column = spec.rpartition(".")
    return (model or None), column
