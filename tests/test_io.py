"""File I/O helpers: atomic writes (all or nothing), hashing, gzip-or-plain reading."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from auditor.errors import DataError, InputError
from auditor.io import (
    atomic_path,
    atomic_write,
    check_writable,
    is_gzip,
    open_text,
    read_bytes,
    read_text,
    require_regular,
    sha256_file,
    source_lines,
)


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic_write(target, "héllo\r\n")
    assert target.read_bytes() == "héllo\r\n".encode()
    atomic_write(target, b"\x00\x01", fsync=True)
    assert target.read_bytes() == b"\x00\x01"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failure_inside_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_unwritable_place_is_a_one_line_error_of_the_given_kind(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write"):
        atomic_write(blocker / "x.txt", "data")
    with pytest.raises(DataError):
        atomic_write(blocker / "x.txt", "data", error=DataError)


def test_a_path_under_a_regular_file_is_not_a_directory(tmp_path: Path) -> None:
    # mkdir says "File exists" when the parent itself is the file; the user needs to hear
    # that a directory was expected there.
    blocker = tmp_path / "file"
    blocker.write_text("")
    for target in (blocker / "x.txt", blocker / "sub" / "x.txt"):
        with pytest.raises(InputError, match=r"cannot write .*x\.txt: Not a directory$"):
            atomic_write(target, "data")
        with pytest.raises(InputError, match=r"Not a directory$"):
            check_writable(target)


def test_check_writable_fails_early_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"cannot write {tmp_path}: Is a directory"):
        check_writable(tmp_path)
    target = tmp_path / "new" / "out.bin"
    check_writable(target)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * 5000  # more than one read chunk
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_open_text_reads_plain_and_gzip_by_name_or_magic(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "plain.jsonl").write_text("é\n", encoding="utf-8")
    (tmp_path / "named.jsonl.gz").write_bytes(gzip.compress("é\n".encode()))
    (tmp_path / "magic.jsonl").write_bytes(gzip.compress("é\n".encode()))
    for name in ("plain.jsonl", "named.jsonl.gz", "magic.jsonl"):
        with open_text(tmp_path / name) as fh:
            assert fh.read() == "é\n", name
    assert not is_gzip(tmp_path / "plain.jsonl")
    assert is_gzip(tmp_path / "magic.jsonl")
    assert not is_gzip(tmp_path / "missing")


def test_only_regular_files_are_read_and_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: a blocking open would wait forever
    link = tmp_path / "zero.py"
    link.symlink_to("/dev/zero")
    for path, kind in ((fifo, "a FIFO"), (link, "a character device"), (tmp_path, "a directory")):
        for read in (read_bytes, read_text, sha256_file, open_text, require_regular):
            with pytest.raises(InputError, match=kind):
                read(path)
    require_regular(tmp_path / "missing")  # the caller words a missing file itself
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing")


def test_read_bytes_cap_holds_while_reading(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 10)
    assert read_bytes(tmp_path / "f", max_bytes=10) == b"x" * 10
    with pytest.raises(InputError, match="larger than 9 bytes"):
        read_bytes(tmp_path / "f", max_bytes=9)
    (tmp_path / "crlf").write_bytes(b"a\r\nb\n")
    assert read_text(tmp_path / "crlf") == "a\nb\n"  # as Path.read_text


# What `str.splitlines()` breaks at and Python does not: \v, \f, \x1c-\x1e, U+0085 (latin-1's
# byte 0x85), U+2028, U+2029.
NOT_PYTHON_LINE_ENDS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize("char", list(NOT_PYTHON_LINE_ENDS))
def test_source_lines_are_the_lines_python_numbers(char: str) -> None:
    text = f"s = 'a{char}b'\r\nt = 1\rdef f():\n    return 1\n"
    lines = source_lines(text)
    assert lines == [f"s = 'a{char}b'", "t = 1", "def f():", "    return 1"]
    assert [n.lineno for n in ast.parse(text).body] == [1, 2, 3]  # Python's numbers
    assert "".join(source_lines(text, keepends=True)) == text
    assert len(source_lines(text, keepends=True)) == len(lines)


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\n\n", "\n", "a\r\nb\rc\nd", "\r\n\r\n"])
def test_source_lines_split_as_splitlines_where_python_agrees(text: str) -> None:
    assert source_lines(text) == text.splitlines()
    assert source_lines(text, keepends=True) == text.splitlines(keepends=True)
