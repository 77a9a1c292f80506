"""Repository discovery: kinds, excludes, .gitignore, dbt projects and symlinks."""

from __future__ import annotations

import os

from lineage_scan.config import Config
from lineage_scan.discover import SourceFile, discover


def test_classifies_and_skips_ignored_files(make_repo) -> None:
    root = make_repo({
        "a.sql": "select 1",
        "jobs/dag.py": "x = 1",
        "nb/explore.ipynb": "{}",
        "README.md": "docs",
        "generated/out.sql": "select 2",
        "scratch/tmp.sql": "select 3",
        ".gitignore": "generated/\n",
        "node_modules/pkg/x.sql": "select 4",
    })
    found = discover(root, Config(exclude=("scratch/**",)))
    assert found.files == [
        SourceFile("a.sql", "sql"),
        SourceFile("jobs/dag.py", "python"),
        SourceFile("nb/explore.ipynb", "notebook"),
    ]


def test_nested_gitignore_applies_below_its_folder(make_repo) -> None:
    root = make_repo({"x/.gitignore": "*.tmp.sql\n", "x/a.tmp.sql": "", "x/b.sql": "", "a.tmp.sql": ""})
    paths = [f.path for f in discover(root, Config()).files]
    assert paths == ["a.tmp.sql", "x/b.sql"]


def test_sql_inside_a_dbt_project_belongs_to_the_dbt_parser(make_repo) -> None:
    root = make_repo({
        "analytics/dbt_project.yml": "name: analytics\n",
        "analytics/models/orders.sql": "select * from {{ ref('stg') }}",
        "scripts/load.sql": "select 1",
    })
    found = discover(root, Config())
    assert found.dbt_projects == ["analytics"]
    assert found.files == [SourceFile("analytics/models/orders.sql", "dbt"), SourceFile("scripts/load.sql", "sql")]


def test_symlinks_out_of_the_root_are_not_followed(make_repo, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.sql").write_text("select secret from vault")
    (outside / "dir").mkdir()
    (outside / "dir" / "inner.sql").write_text("select 1")
    root = make_repo({"ok.sql": "select 1", "inside/real.sql": "select 2"})
    os.symlink(outside / "secret.sql", root / "leak.sql")
    os.symlink(outside / "dir", root / "linked_dir")
    os.symlink(root / "inside" / "real.sql", root / "alias.sql")
    found = discover(root, Config())
    assert [f.path for f in found.files] == ["alias.sql", "inside/real.sql", "ok.sql"]
    assert [(d.location.path, d.code) for d in found.diagnostics] == [("leak.sql", "LS904")]


def test_links_to_folders_and_broken_links(make_repo) -> None:
    """A link to a folder inside the root is not walked (its files are found at their real place); a
    broken link is listed by its name, for the parser to report that it cannot be read."""
    root = make_repo({"real/a.sql": "select 1", "real/.gitignore": "*.py\n", "real/skip.py": "x = 1", "b.py": "x = 1"})
    os.symlink(root / "real", root / "again")
    os.symlink(root / "missing.sql", root / "broken.sql")
    found = discover(root, Config())
    assert [f.path for f in found.files] == ["b.py", "broken.sql", "real/a.sql"]
    assert found.diagnostics == []


def test_an_unreadable_gitignore_is_a_diagnostic(make_repo, monkeypatch) -> None:
    root = make_repo({"x/.gitignore": "*.sql\n", "x/a.sql": "select 1", "b.sql": "select 2"})
    real_open = open

    def failing_open(path, *args, **kwargs):
        if str(path).endswith(".gitignore"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    found = discover(root, Config())
    assert [f.path for f in found.files] == ["b.sql", "x/a.sql"]  # its patterns do not apply
    assert [(d.location.path, d.code, d.message) for d in found.diagnostics] == [
        ("x/.gitignore", "LS900", "cannot read .gitignore: Permission denied; its patterns are not applied")
    ]
