"""The dbt target a project is rendered for, and the SQL dialect that follows from it.

Settings come from `lineage-scan.yml` (`dbt: {target: {...}}`), then a `profiles.yml` kept in the
project folder (its `env_var(...)` calls are not evaluated: only plain values are used), then
defaults: target `dev`, schema `default_schema` or `analytics`, database `default_database` or none,
type from the scan's dialect.
"""

from __future__ import annotations

from typing import Any

from lineage_scan.parsers.dbt.project import Project
from lineage_scan.safe_yaml import YAMLRejected, load_yaml

PROFILES_FILE = "profiles.yml"
DEFAULT_TARGET_NAME = "dev"
DEFAULT_SCHEMA = "analytics"
ADAPTER_DIALECTS = {
    "snowflake": "snowflake", "bigquery": "bigquery", "postgres": "postgres", "redshift": "redshift",
    "databricks": "databricks", "spark": "spark", "duckdb": "duckdb", "trino": "trino", "athena": "athena",
    "sqlserver": "tsql", "fabric": "tsql", "synapse": "tsql", "clickhouse": "clickhouse", "oracle": "oracle",
    "teradata": "teradata", "materialize": "postgres", "mysql": "mysql", "sqlite": "sqlite",
}
DIALECT_ADAPTERS = {"tsql": "sqlserver"}
_PLAIN = (str, int, float, bool)


def target_settings(project: Project, settings: dict[str, Any], config_dialect: str | None,
                    default_schema: str | None, default_database: str | None) -> tuple[dict[str, Any], list[str]]:
    """The `target` mapping templates see (name, schema, database, type and profile extras), and
    the problems of the project's `profiles.yml` (it is then ignored)."""
    profile, problems = _profile_target(project, settings.get("target", {}).get("name") if isinstance(settings.get("target"), dict) else None)
    configured = settings.get("target") if isinstance(settings.get("target"), dict) else {}
    target: dict[str, Any] = {k: v for k, v in profile.items() if isinstance(v, _PLAIN) and "{{" not in str(v)}
    for key in ("password", "token", "private_key", "private_key_passphrase", "keyfile", "keyfile_json"):
        target.pop(key, None)
    target.update({k: v for k, v in configured.items() if isinstance(v, _PLAIN)})
    target["name"] = str(target.get("name") or DEFAULT_TARGET_NAME)
    target["schema"] = str(target.get("schema") or target.get("dataset") or default_schema or DEFAULT_SCHEMA)
    target["database"] = str(target.get("database") or target.get("project") or target.get("catalog")
                             or default_database or "")
    adapter = target.get("type") or DIALECT_ADAPTERS.get(config_dialect or "", config_dialect) or "default"
    target["type"] = str(adapter)
    target.setdefault("profile_name", project.profile or project.name)
    target.setdefault("threads", 1)
    return target, problems


def dialect_for(target: dict[str, Any], config_dialect: str | None) -> str | None:
    """The scan's dialect when configured, else the one of the target's adapter."""
    return config_dialect or ADAPTER_DIALECTS.get(str(target.get("type")))


def _profile_target(project: Project, wanted: str | None) -> tuple[dict[str, Any], list[str]]:
    """The target of a `profiles.yml` in the project folder, if there is one (and why it was not read)."""
    path = project.dir / PROFILES_FILE
    if not path.is_file() or path.is_symlink():
        return {}, []
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLRejected) as error:
        return {}, [f"{PROFILES_FILE} not read: {error}"]
    profile = data.get(project.profile or "") if isinstance(data, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        return {}, []
    name = wanted or profile.get("target") or next(iter(profile["outputs"]), None)
    output = profile["outputs"].get(name)
    return ({**output, "name": name} if isinstance(output, dict) else {}), []
