"""Run the extractors over candidates: dedupe, cache, batch, parallelise, assemble a table."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import multiprocessing
import os
import platform
import signal
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

# Larger programs are not analysed (every `<prefix>.failed` is 1): the one size limit.
from auditor.config import MAX_SOURCE_CHARS as MAX_CODE_CHARS
from auditor.features.ast_features import AstExtractor
from auditor.features.base import FAILED, Extraction, Extractor, Item, failed_column
from auditor.features.behavior import ALL_COLUMNS as BEHAVIOR_COLUMNS
from auditor.features.behavior import VERSION as BEHAVIOR_VERSION
from auditor.features.behavior import behavior_features
from auditor.features.cache import FeatureCache, default_cache_dir
from auditor.features.pylint_features import PylintExtractor
from auditor.features.radon_features import RadonExtractor
from auditor.features.relative import COLUMNS as REL_COLUMNS
from auditor.features.relative import VERSION as REL_VERSION
from auditor.features.relative import RowInfo, relative_features
from auditor.features.ruff_features import RuffExtractor
from auditor.features.rules_features import RulesExtractor
from auditor.types import (
    Candidate,
    CandidateKey,
    FeatureTable,
    Finding,
    Label,
    Outcome,
    Task,
    sha256_text,
)

SCHEMA_VERSION = "auditor.features/1"

# The registry: column order follows this order. `rel` is computed afterwards.
EXTRACTORS: Mapping[str, Extractor] = {
    e.name: e
    for e in (
        RulesExtractor(),
        AstExtractor(),
        RadonExtractor(),
        RuffExtractor(),
        PylintExtractor(),
    )
}
# Extractors whose findings `auditor check` shows.
FINDING_SOURCES: tuple[str, ...] = ("rules", "ruff", "pylint")

BATCH_SIZE = 150
# Below this much work, worker start-up costs more than it saves.
_MIN_PARALLEL_ITEMS = 40


def columns() -> tuple[str, ...]:
    """All feature columns, in table order."""
    cols: list[str] = []
    for ex in EXTRACTORS.values():
        cols += [*ex.columns, failed_column(ex.name)]
    return (*cols, *REL_COLUMNS, *BEHAVIOR_COLUMNS)


def extractor_versions() -> dict[str, str]:
    return {name: ex.version for name, ex in EXTRACTORS.items()} | {
        "rel": REL_VERSION,
        "behavior": BEHAVIOR_VERSION,
    }


def cache_version(ex: Extractor) -> str:
    """The cache key's version part: schema version, tool fingerprint, Python version."""
    return f"{ex.version}|{ex.fingerprint}|py{platform.python_version()}"


def schema_hash() -> str:
    """Hash of the ordered column names and extractor versions."""
    payload = json.dumps([columns(), sorted(extractor_versions().items())])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@cache
def tool_versions() -> dict[str, str]:
    """Versions of everything a feature value depends on."""
    out = {"python": platform.python_version()}
    for dist in ("auditor", "ruff", "pylint", "astroid", "radon", "libcst"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


# --------------------------------------------------------------------------- running


def run_batch(name: str, items: Sequence[Item]) -> list[Extraction]:
    """One extractor over a batch; a failing batch is split until the bad item is isolated."""
    if any(len(it.code) > MAX_CODE_CHARS for it in items):
        ok = [it for it in items if len(it.code) <= MAX_CODE_CHARS]
        done = iter(run_batch(name, ok) if ok else [])
        return [FAILED if len(it.code) > MAX_CODE_CHARS else next(done) for it in items]
    try:
        out = EXTRACTORS[name].extract(items)
        if len(out) != len(items):
            raise RuntimeError(f"{name}: {len(out)} results for {len(items)} items")
        return out
    except Exception:  # untrusted input must not sink the batch: isolate it instead
        if len(items) == 1:
            return [FAILED]
        mid = len(items) // 2
        return run_batch(name, items[:mid]) + run_batch(name, items[mid:])


def _batches(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def compute(
    items: Sequence[Item],
    names: Sequence[str],
    *,
    cache: FeatureCache,
    jobs: int = 2,
    batch_size: int = BATCH_SIZE,
) -> dict[str, dict[str, Extraction]]:
    """extractor -> item key -> extraction, from the cache where possible."""
    results: dict[str, dict[str, Extraction]] = {}
    work: list[tuple[str, Sequence[Item]]] = []
    for name in names:
        ex = EXTRACTORS[name]
        got = cache.get(name, cache_version(ex), [it.key for it in items])
        results[name] = got
        missing = [it for it in items if it.key not in got]
        size = max(10, min(batch_size, math.ceil(len(missing) / max(1, 2 * jobs))))
        work += [(name, b) for b in _batches(missing, size)]
    # The slow tool first, so the pool's tail is short.
    work.sort(key=lambda w: w[0] != "pylint")
    n_items = sum(len(b) for _, b in work)
    if jobs > 1 and n_items >= _MIN_PARALLEL_ITEMS:
        done = _run_parallel(work, jobs)
    else:
        done = ((name, batch, run_batch(name, batch)) for name, batch in work)
    for name, batch, out in done:
        new = {it.key: x for it, x in zip(batch, out, strict=True)}
        cache.put(name, cache_version(EXTRACTORS[name]), new)
        results[name].update(new)
    return results


class _Terminated(BaseException):
    """SIGTERM inside a batch: unwinds its `with` blocks, then the worker exits."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


_in_batch = False  # set while a pool worker runs a batch (one batch at a time per process)


def _on_term(signum: int, _frame: object) -> None:
    if _in_batch:
        raise _Terminated(128 + signum)
    os._exit(128 + signum)


def worker_init() -> None:
    """SIGTERM ends a pool worker at once, but a batch first unwinds: `check` stops the
    features child's process group with SIGTERM, and a worker killed in the middle of pylint
    would otherwise leave its temporary directory of candidates behind."""
    signal.signal(signal.SIGTERM, _on_term)


def pool_batch(name: str, items: Sequence[Item]) -> list[Extraction]:
    """`run_batch` in a pool worker: on SIGTERM the batch's `with` blocks clean up, then the
    process exits (the pool's worker loop would catch the exception and carry on)."""
    global _in_batch
    _in_batch = True
    try:
        return run_batch(name, items)
    except _Terminated as stop:
        os._exit(stop.code)
    finally:
        _in_batch = False


def _run_parallel(
    work: Sequence[tuple[str, Sequence[Item]]], jobs: int
) -> Iterator[tuple[str, Sequence[Item], list[Extraction]]]:
    ctx = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=worker_init) as pool:
        futures = {
            pool.submit(pool_batch, name, list(batch)): (name, batch) for name, batch in work
        }
        for fut in cf.as_completed(futures):
            name, batch = futures[fut]
            yield name, batch, fut.result()


# --------------------------------------------------------------------------- public API


def _items(
    candidates: Sequence[Candidate], tasks: Mapping[str, Task] | None
) -> tuple[list[Item], list[str]]:
    """Unique items and, per candidate, its item key."""
    unique: dict[str, Item] = {}
    keys: list[str] = []
    for c in candidates:
        task = tasks.get(c.task_id) if tasks else None
        item = Item(c.sha256, c.code, task.entry_point if task else None)
        unique.setdefault(item.key, item)
        keys.append(item.key)
    return list(unique.values()), keys


def _open_cache(cache_dir: Path | None, use_cache: bool) -> FeatureCache:
    return FeatureCache((cache_dir or default_cache_dir()) if use_cache else None)


def _join_labels(
    candidates: Sequence[Candidate], labels: Sequence[Label]
) -> tuple[list[Label | None], np.ndarray]:
    from auditor.errors import InputError

    by_key = {(lb.task_id, lb.sample_id): lb for lb in labels}
    joined: list[Label | None] = []
    for c in candidates:
        lb = by_key.get((c.task_id, c.sample_id))
        # Labels made without sanitizing carry the raw program's hash.
        shas = (c.sha256, sha256_text(c.raw) if c.raw is not None else None)
        if lb is not None and lb.solution_sha256 not in shas:
            raise InputError(
                f"label of {c.task_id} sample {c.sample_id} is for another solution "
                f"(sha256 {lb.solution_sha256[:12]} != {c.sha256[:12]})"
            )
        joined.append(lb)
    weak = np.array([lb is not None and lb.weak_status is Outcome.PASS for lb in joined])
    return joined, weak


def extract(
    candidates: Sequence[Candidate],
    *,
    labels: Sequence[Label] | None = None,
    tasks: Mapping[str, Task] | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    jobs: int = 2,
    behavior: bool = True,
) -> FeatureTable:
    """The feature table: one row per candidate in input order (see module doc).

    With `behavior` and known tasks, candidates also run in the sandbox on mutated weak
    inputs (`behavior.*`); otherwise those columns are NaN with `behavior.failed` = 1.
    """
    items, item_keys = _items(candidates, tasks)
    with _open_cache(cache_dir, use_cache) as cache:
        results = compute(items, list(EXTRACTORS), cache=cache, jobs=jobs)
    base_cols: list[str] = []
    for ex in EXTRACTORS.values():
        base_cols += [*ex.columns, failed_column(ex.name)]
    col_index = {c: i for i, c in enumerate(base_cols)}
    item_row = {it.key: r for r, it in enumerate(items)}
    base_unique = np.full((len(items), len(base_cols)), np.nan)
    for name, ex in EXTRACTORS.items():
        fail_col = col_index[failed_column(name)]
        for key, x in results[name].items():
            r = item_row[key]
            base_unique[r, fail_col] = float(x.failed)
            if not x.failed:
                for c in ex.columns:
                    base_unique[r, col_index[c]] = x.features.get(c, math.nan)
    rows_idx = np.array([item_row[k] for k in item_keys], dtype=np.int64)
    base = base_unique[rows_idx] if len(rows_idx) else np.empty((0, len(base_cols)))

    joined: list[Label | None] | None = None
    if labels is not None:
        joined, peer_mask = _join_labels(candidates, labels)
        if not peer_mask.any():
            peer_mask = np.ones(len(candidates), dtype=bool)
    else:
        peer_mask = np.ones(len(candidates), dtype=bool)
    ast_results = results["ast"]
    infos = [
        RowInfo(
            task_id=c.task_id,
            sha256=c.sha256,
            shape=None if ast_results[k].failed else ast_results[k].aux.get("shape"),
            literals=frozenset(ast_results[k].aux.get("literals", ())),
        )
        for c, k in zip(candidates, item_keys, strict=True)
    ]
    rel = relative_features(infos, base, base_cols, peer_mask, tasks)
    beh = np.full((len(candidates), len(BEHAVIOR_COLUMNS)), np.nan)
    beh[:, -1] = 1.0
    if behavior and tasks:
        with _open_cache(cache_dir, use_cache) as cache:
            beh = behavior_features(candidates, peer_mask, tasks, cache=cache, jobs=jobs)
    values = np.hstack([base, rel, beh]) if len(candidates) else np.empty((0, len(columns())))
    keys: tuple[CandidateKey, ...] = tuple((c.task_id, c.sample_id, c.sha256) for c in candidates)
    return FeatureTable(
        keys=keys,
        columns=columns(),
        values=np.ascontiguousarray(values, dtype=np.float64),
        schema_version=SCHEMA_VERSION,
        schema_hash=schema_hash(),
        tool_versions=tool_versions()
        | {f"extractor.{k}": v for k, v in extractor_versions().items()},
        labels=tuple(lb.status if lb else None for lb in joined) if joined is not None else None,
    )


def findings(
    candidates: Sequence[Candidate],
    *,
    tasks: Mapping[str, Task] | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    jobs: int = 2,
    sources: Sequence[str] = FINDING_SOURCES,
) -> dict[str, tuple[Finding, ...]]:
    """sha256 -> findings of `sources` (default: rules, ruff and pylint) sorted by (line, col,
    code); an item a source failed on has none of its findings."""
    unknown = set(sources) - set(FINDING_SOURCES)
    if unknown:
        raise ValueError(f"no findings from {', '.join(sorted(unknown))}")
    items, _ = _items(candidates, tasks)
    with _open_cache(cache_dir, use_cache) as cache:
        results = compute(items, sources, cache=cache, jobs=jobs)
    out: dict[str, tuple[Finding, ...]] = {}
    for it in items:
        found = [f for name in sources for f in results[name][it.key].findings]
        out[it.sha256] = tuple(sorted(found, key=lambda f: (f.line, f.col, f.code)))
    return out
