"""Reading the directives of the files findings point into: inside the root only, symlinks resolved,
each file's bytes looked at once (a file without the directive's mark is not decoded)."""

from __future__ import annotations

import os
from pathlib import Path

from lineage_scan.model import Finding, Location, Severity
from lineage_scan.rules.suppression import Suppressor

DIRECTIVE = b"-- lineage-scan: ignore[LS201] kept\n"


def _finding(path: str, line: int) -> Finding:
    return Finding("LS201", f"LS201|{path}", Severity.WARNING, "m", Location(path, line, 1, line, 10))


def _suppressed(root: Path, path: str, line: int) -> bool:
    return Suppressor(root, lambda name: name).apply(_finding(path, line)).suppressed


def test_directives_are_read_through_symlinks_inside_the_root_only(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    (root / "sql").mkdir(parents=True)
    outside.mkdir()
    (root / "sql" / "a.sql").write_bytes(DIRECTIVE + b"CREATE TABLE t AS SELECT 1;\n")
    (outside / "secret.sql").write_bytes(DIRECTIVE + b"CREATE TABLE t AS SELECT 1;\n")
    os.symlink(root / "sql" / "a.sql", root / "alias.sql")  # inside: read
    os.symlink(outside / "secret.sql", root / "leak.sql")  # outside: never read
    os.symlink(outside, root / "linked")  # a directory outside: never read
    os.symlink(root / "sql", root / "sql_alias")  # a directory inside: read

    assert _suppressed(root, "sql/a.sql", 2)
    assert _suppressed(root, "alias.sql", 2)
    assert _suppressed(root, "sql_alias/a.sql", 2)
    assert _suppressed(root, "sql/../sql/a.sql", 2)
    assert not _suppressed(root, "leak.sql", 2)
    assert not _suppressed(root, "linked/secret.sql", 2)
    assert not _suppressed(root, "../outside/secret.sql", 2)
    assert not _suppressed(root, "sql/../../outside/secret.sql", 2)
    assert not _suppressed(root, "sql/missing.sql", 2)
    assert not _suppressed(root, "sql", 2)  # a directory


def test_a_file_with_a_bom_crlf_lines_and_undecodable_bytes_keeps_its_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_bytes(
        b"\xef\xbb\xbfSELECT '\xff';\r\n" + DIRECTIVE.replace(b"\n", b"\r\n") + b"CREATE TABLE t AS SELECT 1;\r\n"
        b"\rCREATE TABLE u AS SELECT 1; -- lineage-scan: ignore[LS201]\r\n"
    )
    suppressor = Suppressor(tmp_path, lambda name: name)
    assert [suppressor.apply(_finding("a.sql", line)).suppressed for line in range(1, 6)] == [
        False, False, True, False, True,  # line 4 is the empty one a lone CR ends
    ]
    suppression = suppressor.apply(_finding("a.sql", 3)).suppression
    assert suppression is not None and suppression.reason == "kept"
    assert suppression.location == Location("a.sql", 2, 1, 2, len(DIRECTIVE) - 1)


def test_a_file_without_a_directive_suppresses_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_bytes(b"-- lineage-scan ignore[LS201] (no colon: not a directive)\nCREATE TABLE t AS SELECT 1;\n")
    assert not _suppressed(tmp_path, "a.sql", 2)
