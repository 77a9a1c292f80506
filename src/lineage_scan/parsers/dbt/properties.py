"""dbt YAML properties: sources, models/seeds/snapshots and their columns, exposures, groups, docs.

Only reads what lineage needs and what ends up on graph nodes (descriptions, tests, owners, tags,
`meta`); malformed entries are reported as problems with their line and skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lineage_scan.parsers.dbt.project import clean, line_of, normalise_config

NODE_SECTIONS = {"models": "model", "seeds": "seed", "snapshots": "snapshot", "analyses": "analysis"}
DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+([\w.]+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
REF_CALL = re.compile(r"""ref\(\s*['"]([\w.-]+)['"]\s*(?:,\s*['"]([\w.-]+)['"]\s*)?(?:,\s*v(?:ersion)?\s*=\s*['"]?([\w.]+)['"]?\s*)?\)""")
SOURCE_CALL = re.compile(r"""source\(\s*['"]([\w.-]+)['"]\s*,\s*['"]([\w.-]+)['"]\s*\)""")


@dataclass
class ColumnProps:
    name: str
    description: str | None = None
    data_type: str | None = None
    tests: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeProps:
    """The YAML entry of a model, seed, snapshot or analysis."""

    name: str
    resource: str
    path: str
    line: int
    description: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    columns: list[ColumnProps] = field(default_factory=list)
    tests: tuple[str, ...] = ()
    versions: list[dict[str, Any]] = field(default_factory=list)
    latest_version: str | None = None
    relation: str | None = None
    """A YAML-defined snapshot's `relation:` (`ref('x')` / `source('a', 'b')`)."""


@dataclass
class SourceTable:
    source: str
    name: str
    path: str
    line: int
    database: str | None
    schema: str
    identifier: str
    description: str | None = None
    columns: list[ColumnProps] = field(default_factory=list)
    tests: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Exposure:
    name: str
    type: str
    path: str
    line: int
    depends_on: list[str] = field(default_factory=list)
    owner: str | None = None
    description: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Properties:
    """Everything the project's YAML files declare."""

    nodes: dict[tuple[str, str], NodeProps] = field(default_factory=dict)
    sources: dict[tuple[str, str], SourceTable] = field(default_factory=dict)
    exposures: list[Exposure] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)
    """Group name -> owner."""
    docs: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    """(repo path, line, message)."""

    def add_file(self, data: Any, path: str) -> None:
        """Read one properties file (already safe-loaded with lines)."""
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append((path, 1, "properties file is not a mapping; ignored"))
            return
        for section, resource in NODE_SECTIONS.items():
            for entry in self._entries(data, section, path):
                props = self._node(entry, resource, path)
                key = (resource, props.name)
                if key in self.nodes:
                    self.problems.append((path, props.line, f"{resource} {props.name!r} is described twice; first kept"))
                    continue
                self.nodes[key] = props
        for entry in self._entries(data, "sources", path):
            self._source(entry, path)
        for entry in self._entries(data, "exposures", path):
            self.exposures.append(self._exposure(entry, path))
        for entry in self._entries(data, "groups", path):
            self.groups[str(entry["name"])] = owner_name(entry.get("owner")) or ""

    def _entries(self, data: dict, section: str, path: str) -> list[dict]:
        value = data.get(section)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append((path, line_of(data), f"'{section}' should be a list; ignored"))
            return []
        good = []
        for entry in value:
            if isinstance(entry, dict) and isinstance(entry.get("name"), (str, int)):
                good.append(entry)
            else:
                self.problems.append((path, line_of(entry, line_of(data)), f"an entry of '{section}' has no name; ignored"))
        return good

    def _node(self, entry: dict, resource: str, path: str) -> NodeProps:
        config = normalise_config(entry.get("config"))
        for key in ("tags", "meta", "group", "access", "docs"):
            if key in entry and key not in config:
                config[key] = clean(entry[key])
        return NodeProps(
            name=str(entry["name"]),
            resource=resource,
            path=path,
            line=line_of(entry),
            description=_text(entry.get("description")),
            config=config,
            columns=self._columns(entry.get("columns"), path),
            tests=test_names(entry.get("data_tests", entry.get("tests"))),
            versions=[v for v in entry.get("versions") or [] if isinstance(v, dict) and "v" in v],
            latest_version=str(entry["latest_version"]) if entry.get("latest_version") is not None else None,
            relation=entry.get("relation") if isinstance(entry.get("relation"), str) else None,
        )

    def _columns(self, columns: Any, path: str) -> list[ColumnProps]:
        result = []
        for column in columns if isinstance(columns, list) else []:
            if not isinstance(column, dict) or not isinstance(column.get("name"), (str, int)):
                continue
            tests = test_names(column.get("data_tests", column.get("tests")))
            constraints = tuple(
                f"constraint:{c['type']}" for c in column.get("constraints") or [] if isinstance(c, dict) and c.get("type")
            )
            config = column.get("config") if isinstance(column.get("config"), dict) else {}
            tags = column.get("tags", config.get("tags")) or []
            result.append(ColumnProps(
                name=str(column["name"]),
                description=_text(column.get("description")),
                data_type=str(column["data_type"]) if column.get("data_type") else None,
                tests=tests + constraints,
                tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
                meta=clean(column.get("meta", config.get("meta"))) or {},
            ))
        return result

    def _source(self, entry: dict, path: str) -> None:
        source = str(entry["name"])
        source_config = normalise_config(entry.get("config"))
        tables = entry.get("tables") or []
        for table in tables if isinstance(tables, list) else []:
            if not isinstance(table, dict) or not isinstance(table.get("name"), (str, int)):
                self.problems.append((path, line_of(entry), f"a table of source {source!r} has no name; ignored"))
                continue
            name = str(table["name"])
            config = {**source_config, **normalise_config(table.get("config"))}
            meta = {**(clean(entry.get("meta")) or {}), **(clean(table.get("meta")) or {}), **config.get("meta", {})}
            tags = [*(entry.get("tags") or []), *(table.get("tags") or []), *config.get("tags", [])]
            attributes = {"loader": entry.get("loader")}
            for key in ("loaded_at_field", "freshness"):
                value = table.get(key, entry.get(key, config.get(key)))
                if value is not None:
                    attributes[key] = value
            self.sources[(source, name)] = SourceTable(
                source=source,
                name=name,
                path=path,
                line=line_of(table),
                database=_text(entry.get("database")) or _text(entry.get("catalog")),
                schema=_text(entry.get("schema")) or source,
                identifier=_text(table.get("identifier")) or name,
                description=_text(table.get("description")) or _text(entry.get("description")),
                columns=self._columns(table.get("columns"), path),
                tests=test_names(table.get("data_tests", table.get("tests"))),
                config={**config, "meta": meta, "tags": [str(t) for t in tags]},
                attributes={k: _attribute(v) for k, v in attributes.items() if v is not None},
            )

    def _exposure(self, entry: dict, path: str) -> Exposure:
        config = normalise_config(entry.get("config"))
        meta = {**(clean(entry.get("meta")) or {}), **config.get("meta", {})}
        attributes = {k: _attribute(clean(entry[k])) for k in ("maturity", "url", "label") if entry.get(k) is not None}
        return Exposure(
            name=str(entry["name"]),
            type=str(entry.get("type") or "application"),
            path=path,
            line=line_of(entry),
            depends_on=[str(d) for d in entry.get("depends_on") or [] if isinstance(d, str)],
            owner=owner_name(entry.get("owner")),
            description=_text(entry.get("description")),
            config={**config, "meta": meta, "tags": [str(t) for t in [*(entry.get("tags") or []), *config.get("tags", [])]]},
            attributes=attributes,
        )


def owner_name(owner: Any) -> str | None:
    """An owner as one string: the e-mail when given, else the name (`owner: {name, email}` or a string)."""
    if isinstance(owner, str):
        return owner
    if isinstance(owner, dict):
        for key in ("email", "name"):
            if isinstance(owner.get(key), str) and owner[key]:
                return owner[key]
    return None


def test_names(tests: Any) -> tuple[str, ...]:
    """Readable test names: `not_null`, `accepted_values`, `relationships(to=ref('x'), field=id)`."""
    names = []
    for test in tests if isinstance(tests, list) else []:
        if isinstance(test, str):
            names.append(test)
        elif isinstance(test, dict):
            test = clean(test)
            if len(test) == 1 and isinstance(next(iter(test.values())), (dict, type(None))):
                name, args = next(iter(test.items()))
            else:
                name, args = test.get("test_name", test.get("name")), test
            args = args or {}
            if isinstance(args.get("arguments"), dict):
                args = {**args, **args["arguments"]}
            if name == "relationships" and args.get("to") and args.get("field"):
                names.append(f"relationships(to={args['to']}, field={args['field']})")
            elif name:
                names.append(str(name))
    return tuple(names)


def docs_blocks(text: str) -> dict[str, str]:
    """`{% docs name %}...{% enddocs %}` blocks of a Markdown (or SQL) file."""
    return {match.group(1): match.group(2).strip() for match in DOCS_BLOCK.finditer(text)}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _attribute(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
