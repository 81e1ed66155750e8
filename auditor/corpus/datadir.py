"""Where corpora live: `--data-dir`, then `$AUDITOR_DATA_DIR`, then a user cache.

The directory has the layout of the shared corpora: `MANIFEST.json`, `benchmarks/`,
`samples/`.
"""

from __future__ import annotations

import os
from pathlib import Path

from auditor.errors import DataError

ENV_VAR = "AUDITOR_DATA_DIR"


def user_cache_dir() -> Path:
    """The per-user cache, honouring XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "auditor" / "corpora"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory in force: the argument, then the env var, then the cache."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return user_cache_dir()


def data_file(relpath: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of a corpus file inside the data directory; a clear error if it is absent."""
    path = resolve_data_dir(data_dir) / relpath
    if not path.is_file():
        raise DataError(
            f"{relpath} not found in data directory {resolve_data_dir(data_dir)} "
            f"(set --data-dir or {ENV_VAR}, or run `auditor data fetch`)"
        )
    return path
