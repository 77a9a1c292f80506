"""`lineage-scan site PATH -o DIR` and `scan --format html -o DIR`: files written, stale files removed, usage errors."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from site_fixtures import EXAMPLE_REPO

from lineage_scan.cli import SITE_MARKER, main


def test_site_command_writes_the_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["site", str(EXAMPLE_REPO), "-o", str(out), "--dialect", "snowflake"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "relation" / "ml.churn_features.html").is_file()
    listed = (out / SITE_MARKER).read_text().splitlines()
    # the summary is printed as for the other formats, counting the relations the site has pages for
    printed = re.search(r"^\s*relations\s+(\d+)", result.output, re.MULTILINE)
    assert printed and int(printed.group(1)) == len([p for p in listed if p.startswith("relation/")])
    assert listed == sorted(listed) and "index.html" in listed and SITE_MARKER not in listed
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == {*listed, SITE_MARKER}


def test_rewriting_removes_only_what_the_previous_site_wrote(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert CliRunner().invoke(main, ["site", str(EXAMPLE_REPO), "-o", str(out)]).exit_code == 0
    stale = out / "relation" / "gone.table.html"
    stale.write_text("old page")
    mine = out / "CNAME"
    mine.write_text("docs.example.com")
    escape = tmp_path / "outside.txt"
    escape.write_text("keep me")
    with (out / SITE_MARKER).open("a") as marker:
        marker.write("relation/gone.table.html\n../outside.txt\n")
    assert CliRunner().invoke(main, ["site", str(EXAMPLE_REPO), "-o", str(out)]).exit_code == 0
    assert not stale.exists()
    assert mine.read_text() == "docs.example.com" and escape.read_text() == "keep me"


def test_scan_format_html(tmp_path: Path) -> None:
    out = tmp_path / "site"
    # the two LS101 findings and the LS102 one are errors: the site is written and the exit code says a finding failed
    result = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "3 finding(s) at or above --fail-on error" in result.output
    assert (out / "index.html").is_file() and (out / "findings" / "ls101.html").is_file()
    again = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "html", "-o", str(out), "--fail-on", "none"])
    assert again.exit_code == 0, again.output


def test_usage_errors(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "html"]).exit_code == 2
    assert CliRunner().invoke(main, ["site", str(EXAMPLE_REPO)]).exit_code == 2
    (tmp_path / "file").write_text("")
    assert CliRunner().invoke(main, ["site", str(EXAMPLE_REPO), "-o", str(tmp_path / "file")]).exit_code == 2
    assert CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "json", "-o", str(tmp_path)]).exit_code == 2
