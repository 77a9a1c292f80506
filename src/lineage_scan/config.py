"""`lineage-scan.yml`: the repository's own settings, read with `yaml.safe_load` only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lineage_scan.safe_yaml import YAMLRejected, load_yaml

CONFIG_FILE = "lineage-scan.yml"
STATEMENT_TIMEOUT_SECONDS = 10.0
MAX_FILE_MB = 20.0
MAX_STATEMENT_MB = 1.0
MAX_PYTHON_LINES = 20_000
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
    max_file_mb: float = MAX_FILE_MB
    """Larger files are not analysed (a diagnostic says so)."""
    max_statement_mb: float = MAX_STATEMENT_MB
    """Longer SQL statements (in millions of characters) are not parsed (a diagnostic says so)."""
    max_python_lines: int = MAX_PYTHON_LINES
    """Longer Python programs (a file, a notebook's code cells) are not parsed: libcst's syntax tree
    takes about 20 KB per line."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Sections owned by later stages (rules, ML targets...), kept as read."""
    source: str | None = None
    """The config file, relative to the scanned root when it lies inside it (for locations)."""
    lines: dict[str, int] = field(default_factory=dict)
    """The 1-based line of each YAML entry, by dotted path (`ml.models.0`, `rules.LS101`)."""

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_statement_chars(self) -> int:
        return int(self.max_statement_mb * 1_000_000)

    def with_overrides(self, **overrides: Any) -> Config:
        values = {k: v for k, v in overrides.items() if v is not None}
        return Config(**{**self.__dict__, **values})


_KNOWN = {"dialect", "default_schema", "default_database", "schema_file", "exclude", "statement_timeout_seconds",
          "max_file_mb", "max_statement_mb", "max_python_lines"}


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read ``path`` (default: `lineage-scan.yml` at the scanned root); missing file -> defaults."""
    file = path or root / CONFIG_FILE
    if path is None and (file.exists() or file.is_symlink()):
        if _relative_to(file, root) is None:  # the repository's own file never makes the scan read outside it
            raise ConfigError(f"{CONFIG_FILE} points outside the scanned repository; not read")
        if not file.is_file():
            raise ConfigError(f"{CONFIG_FILE} is not a file")
    if not file.is_file():
        if path is not None:
            raise ConfigError(f"config file not found: {path}")
        return Config()
    try:
        data = load_yaml(file.read_text(encoding="utf-8")) or {}
    except (YAMLRejected, UnicodeDecodeError) as error:
        raise ConfigError(f"{file.name}: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{file.name}: expected a mapping at the top level")
    lines = _yaml_lines(file)
    with config_lines(lines):
        config = config_from_mapping(data, file.name)
    return Config(**{**config.__dict__, "source": _relative_to(file, root), "lines": lines})


@contextmanager
def config_lines(lines: dict[str, int]) -> Iterator[None]:
    """Add the line of the entry a ConfigError raised in the block names (`'rules.LS101'.indirect`,
    `'ml.models[0]'.target`): the most specific entry of the dotted path that has a line."""
    try:
        yield
    except ConfigError as error:
        match = re.search(r"'([^']+)'((?:\.[\w-]+)*)", str(error))
        parts = re.sub(r"\[(\d+)\]", r".\1", match.group(1) + match.group(2)).split(".") if match else []
        while parts and ".".join(parts) not in lines:
            parts.pop()
        if not parts:
            raise
        raise ConfigError(f"{error} (line {lines['.'.join(parts)]})") from error


def _relative_to(file: Path, root: Path) -> str | None:
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _yaml_lines(file: Path) -> dict[str, int]:
    """Dotted path -> line of every mapping entry and sequence item (composed, never constructed).

    Runs after `load_yaml` accepted the file; an aliased node is walked once, under its first path.
    """
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return {}
    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[str, yaml.Node]] = [("", node)] if node is not None else []
    while stack:
        prefix, current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            children = [(str(key.value), key, value) for key, value in current.value if isinstance(key, yaml.ScalarNode)]
        elif isinstance(current, yaml.SequenceNode):
            children = [(str(index), item, item) for index, item in enumerate(current.value)]
        else:
            continue
        for name, mark_node, value in children:
            path = f"{prefix}.{name}" if prefix else name
            lines[path] = mark_node.start_mark.line + 1
            stack.append((path, value))
    return lines


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
    sizes = {key: data.get(key, default) for key, default in (("max_file_mb", MAX_FILE_MB), ("max_statement_mb", MAX_STATEMENT_MB))}
    for key, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
            raise ConfigError(f"{source}: '{key}' must be a positive number of megabytes")
    python_lines = data.get("max_python_lines", MAX_PYTHON_LINES)
    if isinstance(python_lines, bool) or not isinstance(python_lines, int) or python_lines <= 0:
        raise ConfigError(f"{source}: 'max_python_lines' must be a positive whole number of lines")
    return Config(
        dialect=data.get("dialect"),
        default_schema=data.get("default_schema"),
        default_database=data.get("default_database"),
        schema_file=data.get("schema_file"),
        exclude=tuple(exclude),
        statement_timeout_seconds=float(timeout) if timeout else None,
        max_file_mb=float(sizes["max_file_mb"]),
        max_statement_mb=float(sizes["max_statement_mb"]),
        max_python_lines=python_lines,
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


# ----------------------------------------------------------------- sections read by the rules stage
LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class RuleSetting:
    """What `rules:` says about one rule: on/off, level, path excludes and its own options."""

    enabled: bool | None = None
    level: str | None = None
    exclude: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesConfig:
    """The `rules:` section: path globs with no findings, and settings by rule id or slug."""

    exclude: tuple[str, ...] = ()
    rules: dict[str, RuleSetting] = field(default_factory=dict)


@dataclass(frozen=True)
class ExternalRelations:
    """The `external:` section: relation name globs written or read outside the repository."""

    producers: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    """One entry of `ml: models:`. ``features`` None means every column of ``relation`` not excluded."""

    name: str
    target: str
    relation: str | None = None
    features: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    prediction_time: str | None = None
    keys: tuple[str, ...] = ()
    line: int | None = None


def rules_config(config: Config) -> RulesConfig:
    """The validated `rules:` section (rule ids and options are checked by the rules engine)."""
    where = config.source or CONFIG_FILE
    data = config.extra.get("rules") or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: 'rules' must be a mapping of rule ids to settings")
    exclude = _string_list(data.get("exclude"), f"{where}: 'rules.exclude'")
    settings = {}
    for rule, value in data.items():
        if rule == "exclude":
            continue
        settings[str(rule)] = _rule_setting(value, f"{where}: 'rules.{rule}'")
    return RulesConfig(exclude, settings)


def _rule_setting(value: Any, what: str) -> RuleSetting:
    if isinstance(value, bool):
        return RuleSetting(enabled=value)
    if isinstance(value, str) and value in LEVELS:
        return RuleSetting(level=value)
    if value is None:
        return RuleSetting()
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be true, false, a level ({', '.join(LEVELS)}) or a mapping")
    enabled = value.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ConfigError(f"{what}.enabled must be true or false")
    level = value.get("level")
    if level is not None and level not in LEVELS:
        raise ConfigError(f"{what}.level must be one of {', '.join(LEVELS)}")
    exclude = _string_list(value.get("exclude"), f"{what}.exclude")
    options = {k: v for k, v in value.items() if k not in ("enabled", "level", "exclude")}
    return RuleSetting(enabled, level, exclude, options)


def external_relations(config: Config) -> ExternalRelations:
    """The validated `external:` section."""
    where = config.source or CONFIG_FILE
    data = config.extra.get("external") or {}
    if not isinstance(data, dict) or set(data) - {"producers", "consumers"}:
        raise ConfigError(f"{where}: 'external' must be a mapping with 'producers' and/or 'consumers' lists")
    return ExternalRelations(
        _string_list(data.get("producers"), f"{where}: 'external.producers'"),
        _string_list(data.get("consumers"), f"{where}: 'external.consumers'"),
    )


_MODEL_KEYS = {"name", "relation", "features", "exclude", "target", "prediction_time", "keys"}


def ml_model_specs(config: Config) -> tuple[ModelSpec, ...]:
    """The validated `ml: models:` entries."""
    where = config.source or CONFIG_FILE
    data = config.extra.get("ml") or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: 'ml' must be a mapping")
    models = data.get("models") or []
    if not isinstance(models, list):
        raise ConfigError(f"{where}: 'ml.models' must be a list")
    specs: list[ModelSpec] = []
    for index, entry in enumerate(models):
        what = f"{where}: 'ml.models[{index}]'"
        if not isinstance(entry, dict):
            raise ConfigError(f"{what} must be a mapping")
        unknown = sorted(set(entry) - _MODEL_KEYS)
        if unknown:
            raise ConfigError(f"{what}: unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(_MODEL_KEYS))})")
        for key in ("name", "target"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ConfigError(f"{what}.{key} is required (a string)")
        for key in ("relation", "prediction_time"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise ConfigError(f"{what}.{key} must be a string")
        features = entry.get("features", "*")
        if features != "*":
            features = _string_list(features, f"{what}.features")
            if not features:
                raise ConfigError(f"{what}.features must list columns or be \"*\"")
        if (features == "*" or any("." not in f for f in features)) and not entry.get("relation"):
            raise ConfigError(f"{what}.relation is required for \"*\" or unqualified feature columns")
        if any(spec.name == entry["name"] for spec in specs):
            raise ConfigError(f"{what}: a model named {entry['name']!r} is declared twice")
        specs.append(ModelSpec(
            name=entry["name"],
            target=entry["target"],
            relation=entry.get("relation"),
            features=None if features == "*" else tuple(features),
            exclude=_string_list(entry.get("exclude"), f"{what}.exclude"),
            prediction_time=entry.get("prediction_time"),
            keys=_string_list(entry.get("keys"), f"{what}.keys"),
            line=config.lines.get(f"ml.models.{index}"),
        ))
    return tuple(specs)


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of strings")
    return tuple(value)
