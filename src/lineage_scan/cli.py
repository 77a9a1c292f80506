"""The `lineage-scan` command: parses options, calls the library, writes output, sets the exit code.

Exit codes: 0 success (no findings at/above --fail-on), 1 findings at/above it, 2 usage error or
the scan itself could not run. Problems in individual scanned files are diagnostics, not errors.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import click

from lineage_scan import __version__
from lineage_scan.api import ScanResult, scan
from lineage_scan.config import Config, ConfigError, load_config
from lineage_scan.diff import diff_scans
from lineage_scan.gitrev import GitError, revision_tree
from lineage_scan.model import ColumnRef
from lineage_scan.report.diff import diff_json, render_diff_markdown
from lineage_scan.report.html import iter_site
from lineage_scan.report.json import render_json
from lineage_scan.report.rules import render_rule, render_rule_list
from lineage_scan.report.sarif import baseline_keys, render_sarif
from lineage_scan.report.text import render_text
from lineage_scan.report.trace import render_trace_json, render_trace_text, trace_column, trace_relation
from lineage_scan.rules import FAIL_ON, failing, find_rule

RENDERERS = {"text": render_text, "json": render_json}
FORMATS = sorted([*RENDERERS, "html", "openlineage", "sarif"])
PROGRESS_MIN_FILES = 50
SITE_MARKER = ".lineage-scan-site"
"""Lists the files of the site written to a directory, so the next run can remove stale ones."""


class MissingExtra(click.ClickException):
    """An optional feature whose extra is not installed (exit code 2)."""

    exit_code = 2

    def __init__(self, feature: str, extra: str, error: ModuleNotFoundError) -> None:
        super().__init__(f"{feature} needs the '{extra}' extra ({error.name} is not installed): "
                         f"pip install 'lineage-scan[{extra}]'")


def _require(extra: str, error: ModuleNotFoundError, feature: str) -> MissingExtra:
    """The error to raise when an optional import failed because ``extra`` is missing."""
    if (error.name or "").split(".")[0] != extra:
        raise error
    return MissingExtra(feature, extra, error)


class ScanFailed(click.ClickException):
    """The command could not run for a reason outside click's checks (exit code 2, one line)."""

    exit_code = 2


class _Main(click.Group):
    """Turns an unexpected exception into a one-line error and exit code 2; `--debug` shows the traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
            if ctx.params.get("debug"):
                raise
            if isinstance(error, OSError):
                raise ScanFailed(f"{error.strerror or error}: {error.filename}" if error.filename else str(error)) from error
            raise ScanFailed(f"internal error ({type(error).__name__}: {error}); please report it "
                             "(--debug shows the traceback)") from error


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lineage-scan")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(debug: bool) -> None:
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


def _parse_options(command):
    """The options saying how files are parsed (processes, cache), shared by the commands that scan."""
    for option in reversed((
        click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parser processes (default: the CPUs available)."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Where parsed files are cached (default: under the user's cache directory, outside PATH)."),
        click.option("--no-cache", is_flag=True, help="Parse every file; neither read nor write the cache."),
    )):
        command = option(command)
    return command


def _options(schema_file: Path | None, jobs: int | None, cache_dir: Path | None, no_cache: bool) -> dict:
    """Keyword arguments of `scan` from the command-line options."""
    return {"schema": schema_file, "jobs": jobs, "cache": not no_cache, "cache_dir": cache_dir}


@main.command("scan")
@_scan_options
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the report here instead of stdout (a directory for html).")
@click.option("--openlineage-event-time", metavar="TIME",
              help="eventTime of the OpenLineage events (ISO 8601 with a zone; default: the config's, else the epoch).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit with 1 when an unsuppressed finding has this level or a more severe one.")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An earlier SARIF or JSON report: only findings whose key is not in it are reported and counted.")
@click.option("--sarif-category", metavar="ID",
              help="SARIF automationDetails.id, so several scans of one repository coexist in code scanning.")
@click.option("--sarif", "sarif_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write SARIF to this file (one scan, several outputs).")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the JSON graph document to this file.")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the HTML docs site to this directory.")
@_parse_options
def scan_command(
    path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
    output_format: str, output: Path | None, openlineage_event_time: str | None, quiet: bool, fail_on: str,
    baseline: Path | None, sarif_category: str | None, sarif_file: Path | None, json_file: Path | None,
    site_dir: Path | None, jobs: int | None, cache_dir: Path | None, no_cache: bool,
) -> None:
    """Scan the repository at PATH, report its lineage and the rules' findings."""
    if openlineage_event_time and output_format != "openlineage":
        raise click.UsageError("--openlineage-event-time needs --format openlineage")
    if output_format == "html" and output is None:
        raise click.UsageError("--format html writes a site: give its directory with -o DIR")
    if output_format != "html" and output is not None and output.is_dir():
        raise click.UsageError(f"-o {output} is a directory; --format {output_format} writes a file")
    if sarif_category and output_format != "sarif" and not sarif_file:
        raise click.UsageError("--sarif-category needs --format sarif or --sarif FILE")
    known = _baseline_keys(baseline) if baseline else set()
    try:
        config = load_config(path, config_file).with_overrides(dialect=dialect)
        if output_format == "openlineage":
            render = _openlineage_renderer(path, config, openlineage_event_time)
        elif output_format == "sarif":
            render = functools.partial(render_sarif, category=sarif_category)
        else:
            render = RENDERERS.get(output_format)
        result = _run_scan(path, config, _options(schema_file, jobs, cache_dir, no_cache), quiet)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    if known:
        result.findings = [f for f in result.findings if f.key not in known]
    if output_format == "html":
        _write_site(result, output)
    elif output is None:
        click.echo(render(result), nl=False)
    else:
        _write_file(output, render(result))
        if output_format != "text":
            click.echo(render_text(result), nl=False)
    for target, renderer in ((sarif_file, functools.partial(render_sarif, category=sarif_category)),
                             (json_file, render_json)):
        if target is not None:
            _write_file(target, renderer(result))
    if site_dir is not None:
        _write_site(result, site_dir, summary=False)
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


def _baseline_keys(path: Path) -> set[str]:
    try:
        return baseline_keys(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.UsageError(f"--baseline {path}: {error}") from error


def _openlineage_renderer(path: Path, config: Config, event_time: str | None) -> Callable[[ScanResult], str]:
    """The OpenLineage renderer with its settings checked before the scan (ConfigError, MissingExtra)."""
    try:
        from lineage_scan.report.openlineage import render_openlineage, settings_from_config
    except ModuleNotFoundError as error:
        raise _require("openlineage", error, "--format openlineage") from error
    settings = settings_from_config(config, path.resolve().name, event_time)
    if settings.namespace_is_default:
        click.echo(f"note: datasets use the placeholder namespace {settings.namespace!r}; set openlineage.namespace "
                   "in lineage-scan.yml to your warehouse's (e.g. snowflake://<org>-<account>)", err=True)
    return lambda result: render_openlineage(result, settings)


@main.command("mcp")
@_scan_options
def mcp_command(path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None) -> None:
    """Serve the lineage of the repository at PATH to coding assistants (MCP over stdio)."""
    try:
        from lineage_scan.mcp_server import serve
    except ModuleNotFoundError as error:
        raise _require("mcp", error, "lineage-scan mcp") from error
    try:
        serve(path, load_config(path, config_file).with_overrides(dialect=dialect), schema_file)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error


@main.command("site")
@_scan_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the site to (created if needed).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_parse_options
def site_command(path: Path, dialect: str | None, schema_file: Path | None, config_file: Path | None,
                 output: Path, quiet: bool, jobs: int | None, cache_dir: Path | None, no_cache: bool) -> None:
    """Scan the repository at PATH and write its static HTML docs site to DIR."""
    options = _options(schema_file, jobs, cache_dir, no_cache)
    _write_site(_scan_or_usage_error(path, dialect, config_file, options, quiet), output)


def _scan_or_usage_error(path: Path, dialect: str | None, config_file: Path | None, options: dict,
                         quiet: bool) -> ScanResult:
    try:
        config = load_config(path, config_file).with_overrides(dialect=dialect)
        return _run_scan(path, config, options, quiet)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error


def _write_site(result: ScanResult, directory: Path, summary: bool = True) -> None:
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
    if summary:
        click.echo(render_text(result), nl=False)
    click.echo(f"wrote {len(written)} files to {directory}", err=True)


def _run_scan(path: Path, config, options: dict, quiet: bool) -> ScanResult:
    if quiet or not sys.stderr.isatty():
        return scan(path, config, **options)
    bar = ProgressBar("files, models")
    try:
        return scan(path, config, progress=bar.update, **options)
    finally:
        bar.close()


class ProgressBar:
    """A bar on stderr over the files and dbt models to analyse (with the one just done), drawn only
    once there are `PROGRESS_MIN_FILES` or more to go through."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def update(self, done: int, total: int, path: str) -> None:
        if self.bar is None:
            if total < PROGRESS_MIN_FILES:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True, show_eta=True,
                                         item_show_func=lambda item: item)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, path)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command("diff")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option("--base", required=True, help="Base revision (branch, tag or commit), read from git objects.")
@click.option("--head", default=None, help="Head revision; default: the working tree as it is.")
@click.option("--dialect", help="SQL dialect (overrides the config).")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
def diff_command(path: Path, base: str, head: str | None, dialect: str | None, output_format: str, output: Path | None) -> None:
    """Lineage changes between two revisions of PATH: changed columns, blast radius, new findings."""
    try:
        with revision_tree(path, base) as base_root:
            base_result = scan(base_root, load_config(base_root).with_overrides(dialect=dialect))
        if head is None:
            head_result = scan(path, load_config(path).with_overrides(dialect=dialect))
        else:
            with revision_tree(path, head) as head_root:
                head_result = scan(head_root, load_config(head_root).with_overrides(dialect=dialect))
    except (GitError, ConfigError) as error:
        raise click.UsageError(str(error)) from error
    changes = diff_scans(base_result, head_result)
    head_label = head or "working tree"
    render = render_diff_markdown if output_format == "markdown" else diff_json
    _emit(render(changes, base, head_label), output)


@main.command("trace")
@click.argument("target")
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".", show_default=True,
              help="Repository to scan.")
@click.option("--upstream/--downstream", default=True, help="Direction (default: upstream, what feeds TARGET).")
@click.option("--depth", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--direct-only", is_flag=True, help="Follow only direct edges (no join/filter/... edges).")
@click.option("--dialect", help="SQL dialect (overrides the config).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def trace_command(target: str, path: Path, upstream: bool, depth: int, direct_only: bool, dialect: str | None,
                  output_format: str) -> None:
    """What feeds TARGET (RELATION or RELATION.COLUMN), or with --downstream what it feeds."""
    try:
        graph = scan(path, load_config(path).with_overrides(dialect=dialect)).graph
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    relation, _, column = target.rpartition(".")
    if graph.has_relation(target):
        tree = trace_relation(graph, target, upstream, depth)
    elif relation and graph.has_relation(relation) and column in graph.columns_of(relation):
        tree = trace_column(graph, ColumnRef(relation, column), upstream, depth, direct_only)
    else:
        raise click.UsageError(f"no relation or column named {target!r} in {path}")
    click.echo(render_trace_text(tree) if output_format == "text" else render_trace_json(tree, upstream), nl=False)


def _emit(report: str, output: Path | None) -> None:
    if output is None:
        click.echo(report, nl=False)
    else:
        _write_file(output, report)


def _write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


if __name__ == "__main__":
    main()
