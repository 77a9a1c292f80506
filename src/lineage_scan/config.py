"""`lineage-scan.yml`: the repository's own settings, read with `yaml.safe_load` only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "lineage-scan.yml"
STATEMENT_TIMEOUT_SECONDS = 10.0
DEFAULT_EXCLUDES = (".git", ".venv", "venv", "node_modules", "__pycache__", "target", "dbt_packages", ".lineage-scan-cache")


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid (a usage error, exit code 2)."""


@dataclass(frozen=True)
class Config:
    """Scan settings. Every field has a default, so an empty or missing file is valid."""

    dialect: str | None = None
    default_schema: str | None = None
    default_database: str | None = None
    schema_file: str | None = None
    exclude: tuple[str, ...] = ()
    statement_timeout_seconds: float | None = STATEMENT_TIMEOUT_SECONDS
    """Wall-clock limit on parsing and analysing one SQL statement; None or 0 for no limit."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Sections owned by later stages (rules, ML targets...), kept as read."""

    def with_overrides(self, **overrides: Any) -> Config:
        values = {k: v for k, v in overrides.items() if v is not None}
        return Config(**{**self.__dict__, **values})


_KNOWN = {"dialect", "default_schema", "default_database", "schema_file", "exclude", "statement_timeout_seconds"}


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read ``path`` (default: `lineage-scan.yml` at the scanned root); missing file -> defaults."""
    file = path or root / CONFIG_FILE
    if not file.is_file():
        if path is not None:
            raise ConfigError(f"config file not found: {path}")
        return Config()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file.name}: invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{file.name}: expected a mapping at the top level")
    return config_from_mapping(data, file.name)


def config_from_mapping(data: dict[str, Any], source: str = CONFIG_FILE) -> Config:
    for key in ("dialect", "default_schema", "default_database", "schema_file"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ConfigError(f"{source}: '{key}' must be a string")
    exclude = data.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ConfigError(f"{source}: 'exclude' must be a list of glob patterns")
    timeout = data.get("statement_timeout_seconds", STATEMENT_TIMEOUT_SECONDS)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
        raise ConfigError(f"{source}: 'statement_timeout_seconds' must be a number of seconds (0 for no limit)")
    return Config(
        dialect=data.get("dialect"),
        default_schema=data.get("default_schema"),
        default_database=data.get("default_database"),
        schema_file=data.get("schema_file"),
        exclude=tuple(exclude),
        statement_timeout_seconds=float(timeout) if timeout else None,
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )
