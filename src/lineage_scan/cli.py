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
from lineage_scan.report.text import render_text

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
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parser processes (default: the CPUs available).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where parsed files are cached (default: under the user's cache directory, outside PATH).")
@click.option("--no-cache", is_flag=True, help="Parse every file; neither read nor write the cache.")
def scan_command(
    path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
    output_format: str, output: Path | None, quiet: bool, jobs: int | None, cache_dir: Path | None, no_cache: bool,
) -> None:
    """Scan the repository at PATH and report its lineage."""
    options = {"schema": schema_file, "jobs": jobs, "cache": not no_cache, "cache_dir": cache_dir}
    try:
        config = load_config(path, config_file).with_overrides(dialect=dialect)
        result = _run_scan(path, config, options, quiet)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    report = RENDERERS[output_format](result)
    if output is None:
        click.echo(report, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    if output_format != "text":
        click.echo(render_text(result), nl=False)
    click.echo(f"wrote {output}", err=True)


def _run_scan(path: Path, config, options: dict, quiet: bool) -> ScanResult:
    if quiet or not sys.stderr.isatty():
        return scan(path, config, **options)
    bar = ProgressBar("parsing files")
    try:
        return scan(path, config, progress=bar.update, **options)
    finally:
        bar.close()


class ProgressBar:
    """A bar on stderr, drawn only once there are `PROGRESS_MIN_FILES` or more to go through."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def update(self, done: int, total: int, _path: str) -> None:
        if self.bar is None:
            if total < PROGRESS_MIN_FILES:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True, show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


if __name__ == "__main__":
    main()
