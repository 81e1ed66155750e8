"""File I/O shared by every module: atomic writes, file hashing, gzip-or-plain text reading.

Atomic writes: readers never see half a file, and a failed write leaves none.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from auditor.errors import AuditorError, InputError


@contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, error: type[AuditorError] = InputError
) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; it replaces `path` only on success.

    An OSError while creating or moving the file becomes `error` with a one-line message.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(name, 0o644)  # mkstemp creates 0600; outputs are ordinary shareable files
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    fsync: bool = False,
    error: type[AuditorError] = InputError,
) -> None:
    """Write text (UTF-8, newlines as given) or bytes to `path` atomically."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, error=error) as tmp, tmp.open("wb") as fh:
        fh.write(raw)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """True for a `.gz` name or gzip magic bytes (so a gzipped `.jsonl` still reads)."""
    if Path(path).suffix == ".gz":
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """A UTF-8 text stream of a file, decompressed when it is gzip (see `is_gzip`).

    Errors are the caller's to word: OSError, EOFError, zlib.error, UnicodeDecodeError.
    """
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")
