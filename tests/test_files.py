"""Reading repository files: the whole text, or why not (files.read_text_or_reason)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lineage_scan import files
from lineage_scan.files import read_text_or_reason


def test_whole_text_of_small_empty_large_and_bom_files(tmp_path: Path) -> None:
    cases = {
        "empty.sql": b"",
        "one.sql": b"select 1;\n",
        "crlf.sql": b"select a\r\nfrom t;\r\n",
        "bom.sql": b"\xef\xbb\xbfselect 1;",  # the BOM is not part of the text
        "large.sql": b"select 'x';\n" * 50_000,  # more than one 64 KB read
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    for name, data in cases.items():
        assert read_text_or_reason(tmp_path / name, 10_000_000) == (data.decode("utf-8-sig"), ""), name


def test_reasons_for_files_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.sql").write_bytes(b"x" * 101)
    (tmp_path / "nul.sql").write_bytes(b"select\x00")
    (tmp_path / "latin1.sql").write_bytes("café".encode("latin-1"))
    (tmp_path / "folder.sql").mkdir()
    text, reason = read_text_or_reason(tmp_path / "big.sql", 100)
    assert text is None and reason.startswith("file is 101 bytes, over the")
    assert read_text_or_reason(tmp_path / "big.sql", 101) == ("x" * 101, "")  # the limit itself is allowed
    assert read_text_or_reason(tmp_path / "nul.sql", 100)[1] == "file looks binary (contains NUL bytes); not analysed"
    assert read_text_or_reason(tmp_path / "latin1.sql", 100)[1] == "file is not valid UTF-8 (byte 3); not analysed"
    assert read_text_or_reason(tmp_path / "folder.sql", 1_000_000) == (None, "cannot read file: Is a directory")
    assert read_text_or_reason(tmp_path / "missing.sql", 100) == (None, "cannot read file: No such file or directory")


def test_a_regular_file_is_read_in_one_call_unless_it_grew_after_its_size_was_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real_read, real_fstat = os.read, os.fstat

    def counted_read(descriptor: int, count: int) -> bytes:
        reads.append(count)
        return real_read(descriptor, count)

    monkeypatch.setattr(files.os, "read", counted_read)
    data = b"select 1;\n" * 1000
    (tmp_path / "a.sql").write_bytes(data)
    assert read_text_or_reason(tmp_path / "a.sql", 1_000_000) == (data.decode(), "")
    assert reads == [len(data) + 1]
    # The file grows to 10,000 bytes after fstat saw 10 (fstat reports the old size): read to the end.
    reads.clear()
    monkeypatch.setattr(files.os, "fstat", lambda descriptor: os.stat_result((*real_fstat(descriptor)[:6], 10, 0, 0, 0)))
    assert read_text_or_reason(tmp_path / "a.sql", 1_000_000) == (data.decode(), "")
    assert reads[0] == 11 and len(reads) == 3  # 11 bytes, then the other 9,989, then the end
