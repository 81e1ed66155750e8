"""Atomic writes: all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import DataError, InputError
from auditor.io import atomic_path, atomic_write


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
