"""`behavior.*`: does a candidate compute what its task peers compute?

Each task's weak-test inputs are mutated into probe inputs (`auditor.behavior.mutate`);
every distinct program of the task runs on them in the sandbox, and each candidate's output
fingerprints are compared with its peers' (`auditor.behavior.agreement`, leave-one-out).
Only what a best-of-n user has is used: the weak inputs and the peer programs (peers are
the weak-test passers when labels are known, else all candidates of the task) -- never the
strong inputs, the reference's outputs or peer labels. Output fingerprints are cached by
(program sha256, probe-set digest, prober version) in the feature cache, so re-runs are free.
Rows without a known task (or with no weak inputs) get NaN and `behavior.failed` = 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from auditor.behavior.agreement import COLUMNS, FAILED_COLUMN, Vector, agreement_features
from auditor.behavior.mutate import DEFAULT_N, inputs_digest, probe_inputs
from auditor.behavior.prober import OutputProber, SandboxProber
from auditor.features.base import Extraction
from auditor.features.cache import FeatureCache
from auditor.types import Candidate, Task

NAME = "behavior"
VERSION = "1"  # the agreement definitions; the prober's version keys the output cache
ALL_COLUMNS: tuple[str, ...] = (*COLUMNS, FAILED_COLUMN)
_CACHE_EXTRACTOR = "behavior.outputs"


def _vectors_of_task(
    task: Task, codes: Mapping[str, str], prober: OutputProber, cache: FeatureCache, n_inputs: int
) -> dict[str, Vector | None]:
    """sha256 -> fingerprint vector for the distinct programs `codes` of one task."""
    inputs = probe_inputs(task.task_id, task.base_input, n_inputs)
    if not inputs:
        return {sha: None for sha in codes}
    digest = inputs_digest(task.task_id, task.entry_point, inputs)
    keys = {sha: f"{sha}|{digest}" for sha in codes}
    got = cache.get(_CACHE_EXTRACTOR, prober.version, list(keys.values()))
    out: dict[str, Vector | None] = {}
    missing: list[str] = []
    for sha, key in keys.items():
        hit = got.get(key)
        fp = hit.aux.get("fp") if hit is not None else None
        if isinstance(fp, list) and len(fp) == len(inputs):
            out[sha] = tuple(str(f) for f in fp)
        else:
            missing.append(sha)
    if missing:
        vectors = prober.probe(task, [codes[sha] for sha in missing], inputs)
        new: dict[str, Extraction] = {}
        for sha, vec in zip(missing, vectors, strict=True):
            out[sha] = vec
            if vec is not None:  # sandbox failures may be transient: not cached
                new[keys[sha]] = Extraction(aux={"fp": list(vec)})
        cache.put(_CACHE_EXTRACTOR, prober.version, new)
    return out


def behavior_features(
    candidates: Sequence[Candidate],
    peer_mask: np.ndarray,
    tasks: Mapping[str, Task] | None,
    *,
    cache: FeatureCache,
    prober: OutputProber | None = None,
    jobs: int = 2,
    n_inputs: int = DEFAULT_N,
) -> np.ndarray:
    """The behavior block: len(candidates) x len(ALL_COLUMNS), rows in input order.

    `peer_mask[i]` marks the peers; within a task with no peer, all its candidates are
    peers. Without `prober`, a `SandboxProber(jobs)` is used (its workers start only if
    some output is not cached) and closed afterwards.
    """
    out = np.full((len(candidates), len(ALL_COLUMNS)), np.nan)
    out[:, -1] = 1.0
    peer_mask = np.asarray(peer_mask, dtype=bool)
    by_task: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        by_task.setdefault(c.task_id, []).append(i)
    own: SandboxProber | None = None
    if prober is None:
        own = prober = SandboxProber(jobs)  # starts its workers on the first probe
    try:
        for task_id, rows in by_task.items():
            task = tasks.get(task_id) if tasks else None
            if task is None or not task.base_input:
                continue
            codes = {candidates[i].sha256: candidates[i].code for i in rows}
            vectors = _vectors_of_task(task, codes, prober, cache, n_inputs)
            idx = np.asarray(rows)
            peers = peer_mask[idx]
            if not peers.any():
                peers = np.ones(len(rows), dtype=bool)
            out[idx] = agreement_features([vectors[candidates[i].sha256] for i in rows], peers)
    finally:
        if own is not None:
            own.close()
    return out
