"""The `lineage-scan` command: parses options, calls the library, writes output, sets the exit code.

Exit codes: 0 success (no findings at/above --fail-on), 1 findings at/above it, 2 usage error or
the scan itself could not run. Problems in individual scanned files are diagnostics, not errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lineage_scan import __version__
from lineage_scan.api import ScanResult, scan
from lineage_scan.config import ConfigError, load_config
from lineage_scan.report.json import render_json
from lineage_scan.report.rules import render_rule, render_rule_list
from lineage_scan.report.text import render_text
from lineage_scan.rules import FAIL_ON, failing, find_rule

RENDERERS = {"text": render_text, "json": render_json}
PROGRESS_MIN_FILES = 50


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage-scan")
def main() -> None:
    """Static column-level lineage and ML-pipeline checks for data repositories."""


@main.command("scan")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dialect", help="SQL dialect (snowflake, bigquery, postgres, redshift, databricks, spark, duckdb, tsql, ...). Overrides the config.")
@click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML/JSON file mapping tables to their columns, used to expand stars.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Config file (default: lineage-scan.yml at PATH).")
@click.option("--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit with 1 when an unsuppressed finding has this level or a more severe one.")
def scan_command(
    path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
    output_format: str, output: Path | None, quiet: bool, fail_on: str,
) -> None:
    """Scan the repository at PATH, report its lineage and the rules' findings."""
    try:
        config = load_config(path, config_file).with_overrides(dialect=dialect)
        result = _run_scan(path, config, schema_file, quiet)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    report = RENDERERS[output_format](result)
    if output is None:
        click.echo(report, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        if output_format != "text":
            click.echo(render_text(result), nl=False)
        click.echo(f"wrote {output}", err=True)
    failed = failing(result.findings, fail_on)
    if failed:
        click.echo(f"{len(failed)} finding(s) at or above --fail-on {fail_on}", err=True)
        sys.exit(1)


@main.command("rules")
@click.argument("rule", required=False)
def rules_command(rule: str | None) -> None:
    """List the rules, or print the documentation of RULE (an id such as LS101, or a slug)."""
    if rule is None:
        click.echo(render_rule_list(), nl=False)
        return
    found = find_rule(rule)
    if found is None:
        raise click.UsageError(f"no rule {rule!r}; `lineage-scan rules` lists them")
    click.echo(render_rule(found), nl=False)


def _run_scan(path: Path, config, schema_file: Path | None, quiet: bool) -> ScanResult:
    if quiet or not sys.stderr.isatty():
        return scan(path, config, schema=schema_file)
    with click.progressbar(length=0, label="analysing", file=sys.stderr, show_pos=True) as bar:
        def progress(done: int, total: int, _path: str) -> None:
            bar.length = total
            if total >= PROGRESS_MIN_FILES:
                bar.update(done - bar.pos)

        return scan(path, config, schema=schema_file, progress=progress)


if __name__ == "__main__":
    main()
