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
from lineage_scan.report.html import iter_site
from lineage_scan.report.json import render_json
from lineage_scan.report.text import render_text

RENDERERS = {"text": render_text, "json": render_json}
PROGRESS_MIN_FILES = 50
SITE_MARKER = ".lineage-scan-site"
"""Lists the files of the site written to a directory, so the next run can remove stale ones."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage-scan")
def main() -> None:
    """Static column-level lineage and ML-pipeline checks for data repositories."""


def _scan_options(command):
    """The options saying what to scan and how, shared by the commands that scan."""
    for option in reversed((
        click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option("--dialect", help="SQL dialect (snowflake, bigquery, postgres, redshift, databricks, spark, duckdb, tsql, ...). Overrides the config."),
        click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="YAML/JSON file mapping tables to their columns, used to expand stars."),
        click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Config file (default: lineage-scan.yml at PATH)."),
    )):
        command = option(command)
    return command


@main.command("scan")
@_scan_options
@click.option("--format", "output_format", type=click.Choice(sorted([*RENDERERS, "html"])), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout (a directory for html).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def scan_command(
    path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
    output_format: str, output: Path | None, quiet: bool,
) -> None:
    """Scan the repository at PATH and report its lineage."""
    result = _scan_or_usage_error(path, dialect, schema_file, config_file, quiet)
    if output_format == "html":
        if output is None:
            raise click.UsageError("--format html writes a site: give its directory with -o DIR")
        _write_site(result, output)
        return
    if output is not None and output.is_dir():
        raise click.UsageError(f"-o {output} is a directory; --format {output_format} writes a file")
    report = RENDERERS[output_format](result)
    if output is None:
        click.echo(report, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    if output_format != "text":
        click.echo(render_text(result), nl=False)
    click.echo(f"wrote {output}", err=True)


@main.command("site")
@_scan_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the site to (created if needed).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def site_command(path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
                 output: Path, quiet: bool) -> None:
    """Scan the repository at PATH and write its static HTML docs site to DIR."""
    _write_site(_scan_or_usage_error(path, dialect, schema_file, config_file, quiet), output)


def _scan_or_usage_error(path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
                         quiet: bool) -> ScanResult:
    try:
        config = load_config(path, config_file).with_overrides(dialect=dialect)
        return _run_scan(path, config, schema_file, quiet)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error


def _write_site(result: ScanResult, directory: Path) -> None:
    """Write the site, removing files a previous site written there had and this one has not."""
    if directory.exists() and not directory.is_dir():
        raise click.UsageError(f"-o {directory} is a file; the site needs a directory")
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / SITE_MARKER
    previous = marker.read_text(encoding="utf-8").splitlines() if marker.is_file() else []
    written = []
    for relative, text in iter_site(result):
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        written.append(relative)
    base = directory.resolve()
    for stale in sorted(set(previous) - set(written)):
        target = (directory / stale).resolve()
        if target.is_relative_to(base) and target.is_file():
            target.unlink()
    marker.write_text("".join(f"{relative}\n" for relative in sorted(written)), encoding="utf-8")
    click.echo(render_text(result), nl=False)
    click.echo(f"wrote {len(written)} files to {directory}", err=True)


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
