"""Atomic file writes: readers never see half a file, and a failed write leaves none."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
