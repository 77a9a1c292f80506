"""SQL run by Airflow tasks: where it comes from, which dialect it is, and its lineage.

The SQL of an operator argument may be a literal, a list, a concatenation or f-string of constants,
a module constant, or the path of a `.sql` template found through the DAG folder and
`template_searchpath`. It is rendered with Airflow's Jinja context (`templates.py`) and analysed by the
shared engine (`lineage_scan.sql.script.analyse_script`); locations are mapped back to the literal in
the DAG file or to the `.sql` file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from lineage_scan.model import Diagnostic, Location, RelationDef, RelationKind, Severity
from lineage_scan.parsers.airflow.dagfile import NOT_FOUND, NOT_STATIC, PARSER, TEMPLATE, TaskInfo
from lineage_scan.parsers.airflow.paths import RepoFiles
from lineage_scan.parsers.airflow.templates import TemplateContext, TemplateRenderer, find_template, is_template
from lineage_scan.parsers.context import ParseContext
from lineage_scan.parsers.pyvalues.values import Origin, Text
from lineage_scan.sql.names import Names
from lineage_scan.sql.script import ScriptLineage, analyse_script

TEMPLATE_SUFFIXES = (".sql", ".hql")
CONNECTION_ARGUMENTS = (
    "conn_id", "sql_conn_id", "postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "redshift_conn_id",
    "databricks_conn_id", "mysql_conn_id", "mssql_conn_id", "trino_conn_id", "oracle_conn_id", "jdbc_conn_id",
    "aws_conn_id", "source_conn_id",
)


@dataclass(frozen=True)
class SqlOperator:
    """Where an operator keeps its SQL (``field``, dotted into dicts) and which dialect it speaks."""

    dialect: str | None = None
    field: str = "sql"
    destination: Callable[[dict], str | None] | None = None
    """The table a bare SELECT writes to (BigQuery's destination table), from the task's arguments."""


def _bigquery_destination(kwargs: dict) -> str | None:
    table = _dig(kwargs, "configuration.query.destinationTable")
    if isinstance(table, dict) and all(isinstance(table.get(k), str) for k in ("projectId", "datasetId", "tableId")):
        return f"{table['projectId']}.{table['datasetId']}.{table['tableId']}"
    return None


def _bigquery_legacy_destination(kwargs: dict) -> str | None:
    table = kwargs.get("destination_dataset_table")
    return str(table).replace(":", ".") if isinstance(table, str) else None


GENERIC = SqlOperator()
SQL_OPERATORS: dict[str, SqlOperator] = {
    **dict.fromkeys(
        ("SQLExecuteQueryOperator", "SQLCheckOperator", "SQLValueCheckOperator", "SQLThresholdCheckOperator",
         "BranchSQLOperator", "SqlSensor", "JdbcOperator", "GenericSqlOperator"), GENERIC),
    "SQLIntervalCheckOperator": GENERIC,
    "PostgresOperator": SqlOperator("postgres"),
    **dict.fromkeys(("SnowflakeOperator", "SnowflakeSqlApiOperator", "SnowflakeCheckOperator",
                     "SnowflakeValueCheckOperator", "SnowflakeIntervalCheckOperator"), SqlOperator("snowflake")),
    "BigQueryInsertJobOperator": SqlOperator("bigquery", "configuration.query.query", _bigquery_destination),
    "BigQueryExecuteQueryOperator": SqlOperator("bigquery", "sql", _bigquery_legacy_destination),
    **dict.fromkeys(("BigQueryCheckOperator", "BigQueryValueCheckOperator", "BigQueryIntervalCheckOperator"),
                    SqlOperator("bigquery")),
    **dict.fromkeys(("RedshiftSQLOperator", "RedshiftDataOperator"), SqlOperator("redshift")),
    **dict.fromkeys(("DatabricksSqlOperator", "DatabricksSqlSensor"), SqlOperator("databricks")),
    "SparkSqlOperator": SqlOperator("spark"),
    "TrinoOperator": SqlOperator("trino"),
    "PrestoOperator": SqlOperator("presto"),
    "MySqlOperator": SqlOperator("mysql"),
    "MsSqlOperator": SqlOperator("tsql"),
    "OracleOperator": SqlOperator("oracle"),
    "SqliteOperator": SqlOperator("sqlite"),
    "TeradataOperator": SqlOperator("teradata"),
    "ExasolOperator": SqlOperator("exasol"),
    "ClickHouseOperator": SqlOperator("clickhouse"),
    "AthenaOperator": SqlOperator("athena", "query"),
    "HiveOperator": SqlOperator("hive", "hql"),
}
DIALECT_HINTS = ("snowflake", "bigquery", "redshift", "postgres", "databricks", "trino", "mysql", "mssql", "oracle")


@dataclass
class SqlSource:
    """One SQL text of a task and how its locations map back to a file.

    ``origin`` is where the text's first character is (None when the text was computed: every location
    then points at ``anchor``, the argument in the DAG file).
    """

    text: str
    origin: Origin | None
    anchor: Location
    file: str | None = None


@dataclass
class SqlLineage:
    """What a task's SQL contributes, plus the repo paths of the `.sql` files it ran."""

    script: ScriptLineage = field(default_factory=ScriptLineage)
    files: list[str] = field(default_factory=list)
    inline_statements: int = 0
    inline_failed: int = 0


class SqlReader:
    """Finds, renders and analyses the SQL of the tasks of one DAG file."""

    def __init__(self, context: ParseContext, files: RepoFiles):
        self.context = context
        self.files = files
        self.renderer = TemplateRenderer(files)
        self.connection_dialects = _connection_dialects(context)

    def dialect(self, task: TaskInfo, spec: SqlOperator) -> Dialect:
        """Configured connection dialect > the operator's own > a dialect named by the connection id >
        the scan's dialect."""
        connection = next((task.kwargs[k] for k in CONNECTION_ARGUMENTS if isinstance(task.kwargs.get(k), str)), None)
        if connection is not None and connection in self.connection_dialects:
            return Dialect.get_or_raise(self.connection_dialects[connection])
        if spec.dialect is not None:
            return Dialect.get_or_raise(spec.dialect)
        if connection is not None and self.context.config.dialect is None:
            hint = next((h for h in DIALECT_HINTS if h in connection.lower()), None)
            if hint is not None:
                return Dialect.get_or_raise("tsql" if hint == "mssql" else hint)
        return self.context.dialect

    def sources(self, value: Any, anchor: Location, folders: list[str], diagnostics: list[Diagnostic],
                what: str) -> list[SqlSource]:
        """The SQL texts of an argument value (a list gives several); unknown values become diagnostics."""
        if isinstance(value, (list, tuple)):
            return [s for item in value for s in self.sources(item, anchor, folders, diagnostics, what)]
        if not isinstance(value, str):
            diagnostics.append(Diagnostic(anchor, PARSER, f"{what} is not a static value; its lineage is unknown",
                                          Severity.WARNING, NOT_STATIC))
            return []
        stripped = value.strip()
        if stripped.lower().endswith(TEMPLATE_SUFFIXES) and "\n" not in stripped and " " not in stripped:
            rel = find_template(self.files, folders, stripped)
            text = self.files.read(rel) if rel is not None else None
            if text is None or rel is None:
                diagnostics.append(Diagnostic(anchor, PARSER, f"SQL file {stripped!r} not found in the repository "
                                              f"(searched: {', '.join(f or '.' for f in folders)})",
                                              Severity.WARNING, NOT_FOUND))
                return []
            return [SqlSource(text, Origin(rel, 1, 1, True), anchor, rel)]
        return [SqlSource(str(value), value.origin if isinstance(value, Text) else None, anchor)]

    def analyse(self, task: TaskInfo, sources: list[SqlSource], dialect: Dialect, templates: TemplateContext,
                folders: list[str], diagnostics: list[Diagnostic], target: str | None = None,
                schema_name: str | None = None) -> SqlLineage:
        """Render and analyse each source; ``target`` names what a bare SELECT writes."""
        lineage = SqlLineage()
        default_db = Names(dialect).ident(schema_name) if schema_name else self.context.default_db
        for source in sources:
            text = source.text
            if is_template(text):
                rendered = self.renderer.render(text, templates, task.dag_id, task.task_id, folders)
                if rendered.text is None:
                    message = f"SQL template of task {task.task_id!r} not rendered: {'; '.join(rendered.errors)}"
                    diagnostics.append(Diagnostic(source.anchor, PARSER, message, Severity.WARNING, TEMPLATE))
                    continue
                if self.renderer.used:
                    diagnostics.append(Diagnostic(
                        source.anchor, PARSER, f"SQL of task {task.task_id!r} rendered with placeholders for "
                        f"{', '.join(sorted(self.renderer.used))}", Severity.NOTE, TEMPLATE))
                mapper = LocationMapper(source, rendered.text != text, text.count("\n") + 1)
                text = rendered.text
            else:
                mapper = LocationMapper(source, False, text.count("\n") + 1)
            path = source.origin.path if source.origin is not None else source.anchor.path
            script = analyse_script(
                text, dialect, path=path, schema=self.context.schema, default_db=default_db,
                default_catalog=self.context.default_catalog, statement_timeout=self.context.config.statement_timeout_seconds,
                max_statement_chars=self.context.config.max_statement_chars,
                query_target=lambda line, m=mapper, p=path: target or f"query:{p}:{m.line(line)}",
            )
            mapper.apply(script, lineage.script)
            if source.file is not None:
                lineage.files.append(source.file)
            if source.file is None or not source.file.endswith(".sql"):
                lineage.inline_statements += script.statements
                lineage.inline_failed += script.statements_failed
        return lineage


class LocationMapper:
    """Maps locations in an analysed SQL text back to the file it came from."""

    def __init__(self, source: SqlSource, rendered: bool, source_lines: int):
        self.origin = source.origin
        self.anchor = source.anchor
        self.exact = source.origin is not None and source.origin.exact and not rendered
        self.source_lines = source_lines

    def line(self, line: int) -> int:
        if self.origin is None:
            return self.anchor.start_line
        return self.origin.line + min(line, self.source_lines) - 1

    def location(self, location: Location | None) -> Location | None:
        if location is None:
            return None
        if self.origin is None:
            return self.anchor
        start_line, start_col = self._point(location.start_line, location.start_col)
        end_line, end_col = self._point(location.end_line, location.end_col)
        return Location(self.origin.path, start_line, start_col, end_line, end_col)

    def _point(self, line: int, col: int) -> tuple[int, int]:
        assert self.origin is not None
        if line > self.source_lines:
            return self.line(line), 1
        if line == 1 and self.exact:
            return self.origin.line, self.origin.col + col - 1
        return self.line(line), col

    def apply(self, script: ScriptLineage, into: ScriptLineage) -> None:
        into.relations.extend(replace(r, location=self.location(r.location)) for r in script.relations)
        into.reads.extend(replace(r, location=self.location(r.location)) for r in script.reads)
        into.edges.extend(replace(e, location=self.location(e.location)) for e in script.edges)
        into.diagnostics.extend(replace(d, location=self.location(d.location)) for d in script.diagnostics)
        into.statements += script.statements
        into.statements_failed += script.statements_failed


def sql_operator(task: TaskInfo) -> SqlOperator | None:
    return SQL_OPERATORS.get(task.operator)


def sql_value(task: TaskInfo, spec: SqlOperator) -> Any:
    return _dig(task.kwargs, spec.field)


def _dig(kwargs: dict, dotted: str) -> Any:
    value: Any = kwargs
    for key in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def table_name(raw: str, dialect: Dialect, context: ParseContext) -> str | None:
    """A table name from an operator argument, normalised as the SQL engine names tables."""
    try:
        table = exp.to_table(raw.replace(":", "."), dialect=dialect)
    except (ParseError, TokenError, ValueError):
        return None
    if not isinstance(table, exp.Table) or not table.name:
        return None
    table = normalize_identifiers(table, dialect=dialect)
    return Names(dialect, context.default_db, context.default_catalog).table(table)


def written_relations(relations: list[RelationDef]) -> list[str]:
    """Relations a task's SQL leaves behind (not bare queries or temporary tables)."""
    return sorted({r.name for r in relations if r.kind not in (RelationKind.QUERY, RelationKind.TEMPORARY)})


def _connection_dialects(context: ParseContext) -> dict[str, str]:
    section = context.config.extra.get("airflow")
    connections = section.get("connections") if isinstance(section, dict) else None
    if not isinstance(connections, dict):
        return {}
    valid = {}
    for conn_id, dialect in connections.items():
        try:
            Dialect.get_or_raise(str(dialect))
        except ValueError:
            continue
        valid[str(conn_id)] = str(dialect)
    return valid
