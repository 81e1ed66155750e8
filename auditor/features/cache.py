"""On-disk cache of extractions keyed by (extractor, version, item key). SQLite, JSON payloads.

One database file under the cache directory (default `$XDG_CACHE_HOME/auditor/features`).
Payloads are JSON (never pickle). Only the parent process reads and writes it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.features.base import Extraction
from auditor.io import make_dirs
from auditor.types import Confidence, Finding, Severity

_SCHEMA = """
CREATE TABLE IF NOT EXISTS extraction (
    extractor TEXT NOT NULL,
    version TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (extractor, version, key)
)
"""


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/auditor/features` (or ~/.cache/auditor/features)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "auditor" / "features"


def _encode(x: Extraction) -> str:
    return json.dumps(
        {
            "f": dict(x.features),
            "x": [
                [
                    f.code,
                    f.symbol,
                    f.message,
                    f.line,
                    f.col,
                    f.severity.value,
                    f.confidence.value,
                    f.source,
                ]
                for f in x.findings
            ],
            "failed": x.failed,
            "aux": dict(x.aux),
        },
        separators=(",", ":"),
    )


def _decode(payload: str) -> Extraction | None:
    """The extraction a row holds, or None when it is damaged (then it is a miss: computed
    again and replaced, never an error that stops every run reading the cache)."""
    try:
        return _decode_valid(payload)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _decode_valid(payload: str) -> Extraction:
    d = json.loads(payload)
    findings = tuple(
        Finding(
            code=c,
            symbol=s,
            message=m,
            line=int(ln),
            col=int(col),
            severity=Severity(sev),
            confidence=Confidence(conf),
            source=src,
        )
        for c, s, m, ln, col, sev, conf, src in d["x"]
    )
    return Extraction(
        features={k: float(v) for k, v in d["f"].items()},
        findings=findings,
        failed=bool(d["failed"]),
        aux=d.get("aux") or {},
    )


def _open_db(directory: Path) -> sqlite3.Connection:
    """The cache database in `directory` (made if missing); a directory that cannot hold
    it (a file in the way, no permission) is an InputError, as any bad --cache-dir is."""
    db = None
    try:
        make_dirs(directory)
        db = sqlite3.connect(directory / "extractions.sqlite3", timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(_SCHEMA)
    except (OSError, sqlite3.Error) as exc:
        if db is not None:
            db.close()
        raise _unusable(directory, exc) from None
    return db


def _unusable(directory: Path, exc: OSError | sqlite3.Error) -> InputError:
    """The one line for a cache directory that cannot hold the database, or whose database
    is damaged (sqlite may find that only at a query past the first page)."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return InputError(f"cannot use cache directory {directory}: {reason}")


class FeatureCache:
    """Get and put extractions; a no-op when `directory` is None."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._db: sqlite3.Connection | None = None
        if directory is not None:
            self._db = _open_db(directory)

    def get(self, extractor: str, version: str, keys: Sequence[str]) -> dict[str, Extraction]:
        if self._db is None or not keys:
            return {}
        found: dict[str, Extraction] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            for key, payload in self._query(
                "SELECT key, payload FROM extraction WHERE extractor=? AND version=? "
                f"AND key IN ({','.join('?' * len(chunk))})",
                (extractor, version, *chunk),
            ):
                if (x := _decode(payload)) is not None:
                    found[key] = x
        return found

    def _query(self, sql: str, params: Sequence[str]) -> list[Any]:
        """The rows of one SELECT (a damaged database: `_unusable`)."""
        assert self._db is not None and self.directory is not None
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _unusable(self.directory, exc) from None

    def put(self, extractor: str, version: str, results: Mapping[str, Extraction]) -> None:
        if self._db is None or not results:
            return
        rows: Iterable[tuple[str, str, str, str]] = (
            (extractor, version, key, _encode(x)) for key, x in results.items()
        )
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO extraction VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            assert self.directory is not None
            raise _unusable(self.directory, exc) from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> FeatureCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
