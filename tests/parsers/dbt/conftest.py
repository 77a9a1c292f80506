"""The `dbt_scan` fixture: scan a small dbt project written from a dict of files."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_case import PROJECT_YML

from lineage_scan import scan
from lineage_scan.api import ScanResult


@pytest.fixture
def dbt_scan(make_repo):
    """Write a dbt project under `proj/` (plus optional repo files) and scan the repository.

    ``files`` are project-relative; names starting with `/` are repo-relative. ``config`` is the
    `lineage-scan.yml` mapping (the dialect defaults to postgres).
    """

    def run(files: dict[str, str], config: dict | None = None, project_yml: str = PROJECT_YML) -> ScanResult:
        written = {"proj/dbt_project.yml": project_yml}
        for rel, text in files.items():
            written[rel[1:] if rel.startswith("/") else f"proj/{rel}"] = text
        root: Path = make_repo(written)
        return scan(root, {"dialect": "postgres", **(config or {})})

    return run
