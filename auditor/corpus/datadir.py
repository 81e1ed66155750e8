"""Where corpora live, what belongs there, and how to fetch it.

The data directory is `--data-dir`, then `$AUDITOR_DATA_DIR`, then a user cache. It has the
layout of the shared corpora: `MANIFEST.json`, `benchmarks/`, `samples/`. The known files
(their public URLs, sha256 and license) are listed in the packaged `auditor/data/sources.json`.
Downloads are verified against the sha256 before an atomic move into place, so a failed or
corrupt download leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from auditor.errors import DataError
from auditor.io import atomic_write, read_text, sha256_file

ENV_VAR = "AUDITOR_DATA_DIR"
MANIFEST = "MANIFEST.json"
SOURCES_FILE = Path(__file__).resolve().parents[1] / "data" / "sources.json"
SOURCES_SCHEMA = "auditor.sources/1"
DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK = 1 << 16


# --- resolution -----------------------------------------------------------------------------


class Origin(StrEnum):
    """Which setting chose the data directory."""

    FLAG = "--data-dir"
    ENV = ENV_VAR
    CACHE = "user cache"


def user_cache_dir() -> Path:
    """The per-user cache, honouring XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "auditor" / "corpora"


def resolve_data_dir_origin(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[Path, Origin]:
    """The data directory in force and which setting chose it."""
    if data_dir:
        return Path(data_dir), Origin.FLAG
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env), Origin.ENV
    return user_cache_dir(), Origin.CACHE


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory in force: the argument, then the env var, then the cache."""
    return resolve_data_dir_origin(data_dir)[0]


def data_file(relpath: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of a corpus file inside the data directory; a clear error if it is absent."""
    path = resolve_data_dir(data_dir) / relpath
    if not path.is_file():
        raise DataError(
            f"{relpath} not found in data directory {resolve_data_dir(data_dir)} "
            f"(set --data-dir or {ENV_VAR}, or run `auditor data fetch`)"
        )
    return path


# --- the registry of known files ------------------------------------------------------------


class Kind(StrEnum):
    BENCHMARK = "benchmark"
    SAMPLES = "samples"


@dataclass(frozen=True)
class DataSource:
    """A known corpus file: where it goes, where it comes from, and its checksum."""

    file: str  # path relative to the data directory
    kind: Kind
    sha256: str
    license: str
    source: str  # provenance, for people
    urls: tuple[str, ...] = ()  # public downloads, tried in order; empty = placed by hand
    bytes: int | None = None
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str:
        return Path(self.file).name

    def manifest_entry(self) -> dict[str, Any]:
        """This file's record in a data directory's MANIFEST.json (shared-corpora format)."""
        entry: dict[str, Any] = {"file": self.file, "kind": str(self.kind)}
        entry.update(self.extra)
        entry.update(source=self.source, license=self.license, note=self.note)
        entry.update(sha256=self.sha256, bytes=self.bytes)
        return entry


Sources = Mapping[str, DataSource]  # keyed by `DataSource.file`

_SOURCE_KEYS = {"file", "kind", "sha256", "license", "source", "urls", "bytes", "note"}


def load_sources(path: str | os.PathLike[str] | None = None) -> Sources:
    """Read a sources registry (default: the packaged `auditor/data/sources.json`)."""
    path = Path(path) if path is not None else SOURCES_FILE
    try:
        doc = json.loads(read_text(path))
        if doc.get("schema") != SOURCES_SCHEMA:
            raise DataError(f"{path}: not a sources registry (schema {SOURCES_SCHEMA!r})")
        out: dict[str, DataSource] = {}
        for row in doc["files"]:
            src = DataSource(
                file=row["file"],
                kind=Kind(row["kind"]),
                sha256=row["sha256"].lower(),
                license=row["license"],
                source=row["source"],
                urls=tuple(row.get("urls", ())),
                bytes=row.get("bytes"),
                note=row.get("note", ""),
                extra=MappingProxyType({k: v for k, v in row.items() if k not in _SOURCE_KEYS}),
            )
            out[src.file] = src
    except FileNotFoundError:
        raise DataError(f"sources registry not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{path}: bad sources registry ({type(exc).__name__}: {exc})") from None
    return MappingProxyType(out)


def lookup(name: str, sources: Sources) -> DataSource:
    """A known file by relpath, file name, or file name without `.jsonl.gz`."""
    for src in sources.values():
        if name in (src.file, src.name, src.name.removesuffix(".jsonl.gz")):
            return src
    known = ", ".join(s.name for s in sources.values())
    raise DataError(f"unknown corpus file {name!r} (known: {known})")


# --- status ---------------------------------------------------------------------------------


class State(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    BAD_CHECKSUM = "bad checksum"


@dataclass(frozen=True)
class FileStatus:
    source: DataSource
    path: Path
    state: State


def file_status(source: DataSource, data_dir: Path) -> FileStatus:
    path = data_dir / source.file
    if not path.is_file():
        return FileStatus(source, path, State.MISSING)
    ok = sha256_file(path) == source.sha256
    return FileStatus(source, path, State.PRESENT if ok else State.BAD_CHECKSUM)


def status(data_dir: Path, sources: Sources) -> tuple[FileStatus, ...]:
    """Each known file's state in `data_dir`, in registry order."""
    return tuple(file_status(src, data_dir) for src in sources.values())


# --- fetch ----------------------------------------------------------------------------------


class Action(StrEnum):
    DOWNLOADED = "downloaded"
    ALREADY_PRESENT = "already present"
    PLACE_BY_HAND = "place by hand"


@dataclass(frozen=True)
class FetchResult:
    source: DataSource
    path: Path
    action: Action
    url: str | None = None


Opener = Callable[[str, float], IO[bytes]]


def _urlopen(url: str, timeout: float) -> IO[bytes]:
    resp: IO[bytes] = urllib.request.urlopen(url, timeout=timeout)
    return resp


def fetch(
    names: Iterable[str] | None,
    *,
    data_dir: Path,
    sources: Sources,
    url_base: str | None = None,
    url: str | None = None,
    opener: Opener = _urlopen,
) -> tuple[FetchResult, ...]:
    """Download the named files (None: every known file) into `data_dir`.

    A file already present with the right sha256 is left alone. Files without a public URL
    are reported as PLACE_BY_HAND unless `url_base` (a mirror with the data-dir layout) or
    `url` (one file's mirror URL) is given. Any download failure raises `DataError`.
    """
    chosen = list(sources.values()) if names is None else [lookup(n, sources) for n in names]
    if url is not None and len(chosen) != 1:
        raise DataError("--url needs exactly one FILE")
    results: list[FetchResult] = []
    for src in chosen:
        path = data_dir / src.file
        if file_status(src, data_dir).state is State.PRESENT:
            results.append(FetchResult(src, path, Action.ALREADY_PRESENT))
            continue
        urls = _candidate_urls(src, url_base, url)
        if not urls:
            if names is not None:
                raise DataError(_place_by_hand(src, path))
            results.append(FetchResult(src, path, Action.PLACE_BY_HAND))
            continue
        used = download(src, urls, path, opener=opener)
        update_manifest(data_dir, [src])  # per file, so a later failure loses no record
        results.append(FetchResult(src, path, Action.DOWNLOADED, used))
    return tuple(results)


def _candidate_urls(src: DataSource, url_base: str | None, url: str | None) -> tuple[str, ...]:
    if url is not None:
        return (url,)
    if url_base is not None:
        return (f"{url_base.rstrip('/')}/{src.file}",)
    return src.urls


def _place_by_hand(src: DataSource, path: Path) -> str:
    return (
        f"{src.file} has no public download (converted from {src.source}); place it at "
        f"{path} by hand, or give a mirror with --url/--url-base"
    )


def place_by_hand_message(result: FetchResult) -> str:
    """The one line telling the user how to supply a file without a public URL."""
    return _place_by_hand(result.source, result.path)


def download(src: DataSource, urls: Sequence[str], dest: Path, *, opener: Opener = _urlopen) -> str:
    """Fetch `src` from the first URL that yields the right sha256; return that URL.

    The bytes go to a temp file next to `dest` and are moved into place only once verified.
    """
    created = [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    failures: list[str] = []
    for url in urls:
        try:
            _download_one(src, url, dest, opener)
            return url
        except DataError as exc:
            failures.append(str(exc))
    for d in created:  # deepest first: leave no empty directories behind
        with contextlib.suppress(OSError):
            d.rmdir()
    raise DataError(f"cannot fetch {src.file}: " + "; ".join(failures))


def _download_one(src: DataSource, url: str, dest: Path, opener: Opener) -> None:
    # Read at most one byte more than expected: enough to notice a wrong file.
    limit = src.bytes + 1 if src.bytes is not None else None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DataError(f"cannot write to {dest.parent}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with opener(url, DOWNLOAD_TIMEOUT_S) as resp:
                    read = 0
                    while chunk := resp.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        read += len(chunk)
                        if limit is not None and read >= limit:
                            break
            except urllib.error.HTTPError as exc:
                raise DataError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            except urllib.error.URLError as exc:
                raise DataError(f"{url}: unreachable ({_reason(exc.reason)})") from None
            except (OSError, ValueError) as exc:  # timeouts, resets, bad URL schemes
                raise DataError(f"{url}: {type(exc).__name__}: {_reason(exc)}") from None
        got = digest.hexdigest()
        if got != src.sha256:
            raise DataError(f"{url}: sha256 mismatch (expected {src.sha256}, got {got})")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def update_manifest(data_dir: Path, sources: Iterable[DataSource]) -> Path:
    """Add or replace the given files' entries in `data_dir/MANIFEST.json` (atomically)."""
    path = data_dir / MANIFEST
    entries: list[dict[str, Any]] = []
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable manifest ({exc})") from None
        if not isinstance(loaded, list):
            raise DataError(f"{path}: unreadable manifest (expected a JSON list)")
        entries = [e for e in loaded if isinstance(e, dict)]
    fresh = {s.file: s.manifest_entry() for s in sources}
    merged = [fresh.pop(e.get("file", ""), e) for e in entries]
    merged.extend(fresh.values())
    atomic_write(path, json.dumps(merged, indent=2) + "\n", error=DataError)
    return path
