"""Plain SQL scripts: one file -> one Fragment, through the shared SQL engine.

A script with Jinja markers outside a dbt project is usually an Airflow template (`{{ ds }}`,
`{% if params.full %}`): it is rendered in the sandbox the way the Airflow parser renders it, with
placeholder values for what only exists at run time and includes from its own folder, so the SQL
around the template tags is analysed instead of failing to parse.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from lineage_scan.model import Diagnostic, Fragment, Location, Severity
from lineage_scan.parsers.airflow.paths import RepoFiles, root_of
from lineage_scan.parsers.airflow.templates import TemplateContext, TemplateRenderer, configured_variables, is_template
from lineage_scan.parsers.context import ParseContext, read_text
from lineage_scan.sql.script import PARSER, analyse_script


def parse_sql_file(path: Path, rel: str, context: ParseContext) -> Fragment:
    """Column lineage of every statement in the file at ``path`` (``rel`` is its repo path)."""
    fragment = Fragment(path=rel, parser=PARSER)
    text = read_text(path, rel, context, fragment)
    if text is None:
        return fragment
    if is_template(text):
        text = render_template(text, path, rel, context, fragment)
    script = analyse_script(
        text,
        context.dialect,
        path=rel,
        schema=context.schema,
        default_db=context.default_db,
        default_catalog=context.default_catalog,
        query_target=lambda line: f"query:{rel}:{line}",
        statement_timeout=context.config.statement_timeout_seconds,
        max_statement_chars=context.config.max_statement_chars,
    )
    fragment.relations = script.relations
    fragment.reads = script.reads
    fragment.edges = script.edges
    fragment.value_facts = script.value_facts
    fragment.diagnostics.extend(script.diagnostics)
    fragment.statements = script.statements
    fragment.statements_failed = script.statements_failed
    return fragment


def render_template(text: str, path: Path, rel: str, context: ParseContext, fragment: Fragment) -> str:
    """``text`` rendered as an Airflow SQL template, or unchanged (with a diagnostic) when that fails."""
    files = RepoFiles(root_of(path, rel), rel, context.max_file_bytes)
    template_context = TemplateContext(variables=configured_variables(context))
    rendered = TemplateRenderer(files).render(text, template_context, "", "", [posixpath.dirname(rel)])
    fragment.depends_on = sorted(files.looked_up - {rel})  # included files: a cached result is stale when they change
    if rendered.text is not None:
        return rendered.text
    line = rendered.where[1] if rendered.where and rendered.where[0] == "<template>" else 1
    message = f"cannot render the Jinja template; analysed as written: {'; '.join(rendered.errors)}"
    fragment.diagnostics.append(Diagnostic(Location(rel, line, 1, line, 1), fragment.parser, message, Severity.WARNING, "LS903"))
    return text
