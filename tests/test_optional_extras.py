"""The core install works without the optional extras, and a missing extra is a clear usage error (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from repo_paths import EXAMPLE_REPO, REPO_ROOT

from lineage_scan.cli import main


@pytest.fixture
def without(monkeypatch):
    """Make ``import <package>`` fail as if the package were not installed."""
    def hide(package: str, *modules: str) -> None:
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.setitem(sys.modules, package, None)
        for module in modules:
            monkeypatch.delitem(sys.modules, module, raising=False)

    return hide


def test_openlineage_format_without_the_extra(without) -> None:
    without("openlineage", "lineage_scan.report.openlineage")
    run = CliRunner().invoke(main, ["scan", str(EXAMPLE_REPO), "--format", "openlineage"])
    assert run.exit_code == 2
    assert "needs the 'openlineage' extra" in run.output and "pip install 'lineage-scan[openlineage]'" in run.output


def test_mcp_command_without_the_extra(without) -> None:
    without("mcp", "lineage_scan.mcp_server")
    run = CliRunner().invoke(main, ["mcp", str(EXAMPLE_REPO)])
    assert run.exit_code == 2
    assert "needs the 'mcp' extra" in run.output and "pip install 'lineage-scan[mcp]'" in run.output


def test_core_modules_import_neither_extra() -> None:
    code = ("import sys, lineage_scan, lineage_scan.cli, lineage_scan.explore; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'openlineage', 'mcp', 'pydantic'}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO_ROOT / "src")})
    assert run.stdout.strip() == "[]"
