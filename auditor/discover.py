"""Which files `check` reads, and reading one of them safely.

Directories are expanded recursively (sorted, hidden directories skipped, symlinks not
followed: a `.py` link in a pull request to a file outside it, a `.env` or a key, had
its text quoted in the findings; a link's target inside the tree is checked under its own
path). A path named on the command line is the user's choice and is followed. Reading
never trusts the file: only regular files are read
(a FIFO or a device behind a `.py` symlink would hang or never end), at most
`max_bytes + 1` bytes are read, and binary, non-UTF-8, oversized or unreadable files
become a finding (AUD910/AUD911) instead of an exception.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from auditor.errors import InputError
from auditor.io import RESAVE, UnreadableSource, python_source_text
from auditor.results import TOO_LARGE_CODE, UNREADABLE_CODE
from auditor.types import Confidence, Finding

SAMPLES_SUFFIXES = (".jsonl", ".jsonl.gz", ".json")
_CHUNK = 1 << 16


class InputKind(StrEnum):
    """How an input path is read."""

    PYTHON = "python"
    SAMPLES = "samples"


@dataclass(frozen=True)
class SourceFile:
    """One Python file to check: its text, or the problem found reading it."""

    path: Path
    display: str
    text: str | None = None
    problem: Finding | None = None


def display_path(path: Path, cwd: Path) -> str:
    """Posix path relative to `cwd` when under it (never absolute unless outside it)."""
    try:
        return path.absolute().relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def input_kind(path: Path) -> InputKind | None:
    """PYTHON for .py/.pyi, SAMPLES for samples JSONL/JSON, None for anything else."""
    name = path.name.lower()
    if name.endswith(".py") or name.endswith(".pyi"):
        return InputKind.PYTHON
    if name.endswith(SAMPLES_SUFFIXES):
        return InputKind.SAMPLES
    return None


# The files pytest collects as tests (and its conftest): with `--tests`, a directory's own
# test modules are not candidates.
PYTEST_FILES = ("test_*.py", "*_test.py", "conftest.py")


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(Path(rel).name, p) for p in patterns)


def _stat_or_fail(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: symlink loop") from None
        if not path.is_symlink() and exc.errno == errno.ENOENT:
            raise InputError(f"{path}: no such file or directory") from None
        raise InputError(f"{path}: {exc.strerror or exc}") from None


def iter_files(paths: Sequence[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Every file once (`_iter_named`), under the first path it was reached by: a file
    named twice, or inside a directory also named, would be reported twice, and in a
    samples file every candidate would be its own peer."""
    seen: set[Path] = set()
    for path in _iter_named(paths, exclude):
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            yield path


def _iter_named(paths: Sequence[Path], exclude: Sequence[str]) -> Iterator[Path]:
    """Expand directories (recursively, sorted, skipping hidden dirs; symlinks are not
    followed, so loops cannot recur and nothing outside the tree is read). Explicit paths
    must exist and be readable kinds; an explicit samples file must be a regular file (it
    is read whole)."""
    for path in paths:
        info = _stat_or_fail(path)
        if stat.S_ISDIR(info.st_mode):
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    file = Path(root) / name
                    if (
                        input_kind(file) is InputKind.PYTHON
                        and not file.is_symlink()
                        and not _excluded(file.as_posix(), exclude)
                    ):
                        yield file
            continue
        kind = input_kind(path)
        if kind is None:
            raise InputError(f"{path}: not a Python file or samples JSONL")
        if kind is InputKind.SAMPLES and not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file")
        yield path


class _NotRegular(Exception):
    """The path is a FIFO, device, socket or directory: it is not read."""


def read_bounded(path: Path, max_bytes: int) -> tuple[bytes, int]:
    """(at most `max_bytes + 1` bytes of a regular file, its size as far as known).

    Opened non-blocking so a FIFO does not wait for a writer; anything but a regular file
    raises `_NotRegular` before a byte is read. The cap holds even when the stat size lies
    (a growing file, /proc)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular
        chunks: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), max(info.st_size, got)


def problem_finding(code: str, message: str) -> Finding:
    """The finding (at line 1) of an input `check` could not analyse: AUD910 or AUD911."""
    from auditor.rules.catalogue import check_rule  # only for bad input: it imports the rules

    info = check_rule(code)
    return Finding(code, info.symbol, message, 1, 0, info.severity, Confidence.HIGH, "auditor")


def _problem(path: Path, display: str, code: str, message: str) -> SourceFile:
    return SourceFile(path, display, problem=problem_finding(code, message))


def read_source(path: Path, display: str, max_bytes: int) -> SourceFile:
    """Read one Python file as the text Python reads (`python_source_text`: UTF-8, or the
    codec its coding cookie declares), turning binary, undecodable, oversized, unreadable or
    non-regular files into a finding instead of an exception."""
    try:
        data, size = read_bounded(path, max_bytes)
    except _NotRegular:
        return _problem(path, display, UNREADABLE_CODE, "not a regular file; not analysed")
    except OSError as exc:
        return _problem(path, display, UNREADABLE_CODE, f"cannot read file: {exc.strerror or exc}")
    if size > max_bytes:
        return _problem(
            path,
            display,
            TOO_LARGE_CODE,
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; not analysed",
        )
    if b"\0" in data:
        return _problem(
            path, display, UNREADABLE_CODE, "binary file (contains NUL bytes); not analysed"
        )
    try:
        text = python_source_text(data)
    except UnreadableSource as exc:
        return _problem(path, display, UNREADABLE_CODE, f"{exc}; not analysed ({RESAVE})")
    return SourceFile(path, display, text=text)
