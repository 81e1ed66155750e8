"""Consensus among a task's weak-test passers over their outputs on amplified inputs.

Input: one fingerprint vector per candidate (`auditor.behavior.prober`: a value's canonical
hash with floats at 6 significant digits -- the float tolerance --, "exc:<Name>" for an
exception, which counts as an output like any other, "timeout", "died"). Each candidate is
compared with the OTHER peers (leave-one-out), so a candidate never votes for itself; a
candidate without peers gets NaN, not zero.

Per candidate (`exec.` columns):
  cluster_share     share of the other peers whose whole vector equals its own
  dist_plurality    share of inputs where it differs from the others' largest cluster
  agree_mean        mean over inputs of the share of the other peers giving its output
  margin            (its cluster's size - the largest other cluster's) / other peers
  minority_inputs   inputs on which it is not in the others' plurality (count)
  crash_rate        share of inputs that raised, timed out or killed the child (no peers needed)
  slowdown          log2(its summed time / the median of the other peers' sums), over the inputs
                    on which every other peer reported a time (`slowdown`); never more than
                    CPU_MARGIN below the same ratio of the kernel's CPU seconds for the runs
  wide_share        cluster_share over the wide inputs (outside the implied domain,
                    `amplify.wide`), which never join the other columns; NaN when none was kept
Per task (same value for every candidate of the task):
  n_clusters        distinct vectors among the peers
  split_inputs      inputs on which the peers do not all agree
  plurality_share   size of the largest peer cluster / peers
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from auditor.behavior.agreement import is_crash

Vector = tuple[str, ...]

COLUMNS: tuple[str, ...] = (
    "exec.cluster_share",
    "exec.dist_plurality",
    "exec.agree_mean",
    "exec.margin",
    "exec.minority_inputs",
    "exec.crash_rate",
    "exec.n_clusters",
    "exec.split_inputs",
    "exec.plurality_share",
    "exec.n_peers",
    "exec.n_inputs",
    "exec.slowdown",
    "exec.wide_share",
)
# Bump when a column's definition changes (keys the exec feature cache with the others).
CONSENSUS_VERSION = "4"  # 2: exec.slowdown; 3: exec.wide_share; 4: the CPU floor of slowdown

SLOWDOWN_CLIP = (-4.0, 8.0)
# The per-input times are the program's own report (its child measures them), so a program
# that rewrites its clock reported 0 s and the floor of SLOWDOWN_CLIP. The kernel's CPU
# seconds for the whole run cannot be rewritten, but they include the run's fixed cost
# (sandbox set-up, loading, the timing passes a quick program gets), which pulls the ratio
# towards 0; so the reported ratio may stand up to this far (log2: a factor 2) below it.
CPU_MARGIN = 1.0
_TIME_FLOOR = 1e-5  # seconds: below the clock's resolution, sums of a few trivial calls tie


def splitting_inputs(vectors: Sequence[Vector | None], peers: Sequence[bool]) -> list[int]:
    """Indices of the inputs on which the peers' outputs are not all the same."""
    vecs = [v for v, p in zip(vectors, peers, strict=True) if p and v is not None]
    if len(vecs) < 2:
        return []
    return [j for j in range(len(vecs[0])) if len({v[j] for v in vecs}) > 1]


def _codes(vecs: Sequence[Vector], n_inputs: int) -> np.ndarray:
    out = np.zeros((len(vecs), n_inputs), dtype=np.int64)
    for j in range(n_inputs):
        ids: dict[str, int] = {}
        for i, v in enumerate(vecs):
            out[i, j] = ids.setdefault(v[j], len(ids))
    return out


def slowdown(
    times: Sequence[Sequence[float] | None],
    peers: Sequence[bool],
    limit: float,
    cpu: Sequence[float] | None = None,
) -> np.ndarray:
    """Per row: log2 of its summed time over the inputs on which every OTHER peer reported a
    time, over the median of the other peers' sums on the same inputs, clipped to
    SLOWDOWN_CLIP; NaN without other peers, without such inputs, or without times.

    A NaN time of the row itself (it timed out or never reported) counts at the per-input
    `limit`: a timeout is the slowest possible. Sums are floored at `_TIME_FLOOR`. With
    `cpu` (per row, the kernel's CPU seconds for its runs), a row's value is raised to at
    least the CPU ratio less CPU_MARGIN (`cpu_floor`)."""
    out = np.full(len(times), np.nan)
    sized = [t for t in times if t is not None]
    if not sized:
        return out
    n_in = len(sized[0])
    if any(len(t) != n_in for t in sized):
        raise ValueError("time vectors of one task differ in length")
    rows = [i for i, t in enumerate(times) if t is not None]
    mat = np.array([times[i] for i in rows], dtype=float).reshape(len(rows), n_in)
    reported = np.isfinite(mat)
    own = np.where(reported, np.clip(mat, 0.0, limit), limit)
    peer = np.array([bool(peers[i]) for i in rows])
    missing = (~reported[peer]).sum(axis=0)  # peers without a time, per input
    for r, i in enumerate(rows):
        others = np.flatnonzero(peer & (np.arange(len(rows)) != r))
        if not len(others):
            continue
        cols = missing - (~reported[r] if peer[r] else 0) == 0
        if not cols.any():
            continue
        mine = max(float(own[r, cols].sum()), _TIME_FLOOR)
        theirs = max(float(np.median(own[np.ix_(others, cols)].sum(axis=1))), _TIME_FLOOR)
        out[i] = float(np.clip(np.log2(mine / theirs), *SLOWDOWN_CLIP))
    if cpu is not None:
        floor = cpu_floor(cpu, peers) - CPU_MARGIN
        bound = np.isfinite(out) & np.isfinite(floor)
        out[bound] = np.clip(np.maximum(out[bound], floor[bound]), *SLOWDOWN_CLIP)
    return out


def cpu_floor(cpu: Sequence[float], peers: Sequence[bool]) -> np.ndarray:
    """Per row: log2(its CPU seconds / the median of the other peers'), NaN without a
    measured CPU time of its own or of another peer."""
    c = np.asarray(cpu, dtype=float)
    peer = np.asarray(peers, dtype=bool) & np.isfinite(c)
    out = np.full(len(c), np.nan)
    for i in np.flatnonzero(np.isfinite(c)):
        others = c[peer & (np.arange(len(c)) != i)]
        if len(others):
            ratio = max(float(c[i]), _TIME_FLOOR) / max(float(np.median(others)), _TIME_FLOOR)
            out[i] = float(np.log2(ratio))
    return out


def consensus_features(
    vectors: Sequence[Vector | None],
    peers: Sequence[bool],
    times: Sequence[Sequence[float] | None] | None = None,
    limit: float = 1.0,
    wide: Sequence[Vector | None] | None = None,
    cpu: Sequence[float] | None = None,
) -> np.ndarray:
    """Rows x COLUMNS for the candidates of ONE task (NaN rows where the vector is None).

    `times` (per row, aligned with its vector; `ExecRunner.times`) and the per-input
    `limit` give `exec.slowdown`; without them it is NaN. `wide` (per row, its outputs on
    the wide inputs) gives `exec.wide_share`; `cpu` (per row, the kernel's CPU seconds)
    bounds `exec.slowdown` from below (`slowdown`)."""
    out = np.full((len(vectors), len(COLUMNS)), np.nan)
    if wide is not None:
        usable_wide = [w if v is not None else None for w, v in zip(wide, vectors, strict=True)]
        out[:, COLUMNS.index("exec.wide_share")] = shares(usable_wide, peers)
    if times is not None:
        usable = [t if v is not None else None for t, v in zip(times, vectors, strict=True)]
        out[:, COLUMNS.index("exec.slowdown")] = slowdown(usable, peers, limit, cpu)
    good = [i for i, v in enumerate(vectors) if v is not None]
    if not good:
        return out
    vecs = [v for v in vectors if v is not None]
    n_in = len(vecs[0])
    if any(len(v) != n_in for v in vecs):
        raise ValueError("fingerprint vectors of one task differ in length")
    col = {c: k for k, c in enumerate(COLUMNS)}
    peer = np.array([bool(peers[i]) for i in good])
    for r, i in enumerate(good):
        out[i, col["exec.crash_rate"]] = np.mean([is_crash(f) for f in vecs[r]]) if n_in else np.nan
        out[i, col["exec.n_inputs"]] = n_in
    if n_in == 0:
        return out
    codes = _codes(vecs, n_in)
    keys = vecs
    peer_idx = np.flatnonzero(peer)
    task_stats = _task_stats(codes[peer_idx], [keys[k] for k in peer_idx])
    for name, value in task_stats.items():
        out[good, col[name]] = value
    for r, i in enumerate(good):
        others = peer_idx[peer_idx != r]
        out[i, col["exec.n_peers"]] = len(others)
        if len(others):
            row = _row_stats(codes[r], keys[r], codes[others], [keys[k] for k in others])
            for name, value in row.items():
                out[i, col[name]] = value
    return out


def shares(vectors: Sequence[Vector | None], peers: Sequence[bool]) -> np.ndarray:
    """Per row, the share of the OTHER peers (with a vector) whose vector equals its own;
    NaN without a vector, without other peers, or when the vectors are empty."""
    out = np.full(len(vectors), np.nan)
    pool = Counter(v for v, p in zip(vectors, peers, strict=True) if p and v is not None)
    n = sum(pool.values())
    for i, (v, p) in enumerate(zip(vectors, peers, strict=True)):
        others = n - (1 if p else 0)
        if v is not None and len(v) and others > 0:
            out[i] = (pool[v] - (1 if p else 0)) / others
    return out


def _task_stats(codes: np.ndarray, keys: Sequence[Vector]) -> dict[str, float]:
    if len(keys) < 2:  # one program has no consensus to describe
        return {}
    sizes = Counter(keys)
    split = int(sum(len(set(codes[:, j])) > 1 for j in range(codes.shape[1])))
    return {
        "exec.n_clusters": float(len(sizes)),
        "exec.split_inputs": float(split),
        "exec.plurality_share": max(sizes.values()) / len(keys),
    }


def _row_stats(
    mine: np.ndarray, my_key: Vector, others: np.ndarray, other_keys: Sequence[Vector]
) -> dict[str, float]:
    """One candidate against the other peers' codes (rows) and vectors."""
    n = len(other_keys)
    sizes = Counter(other_keys)
    largest = max(sizes.values())
    # Distance to the plurality cluster (the nearest one when several tie for largest).
    first_row = {k: r for r, k in reversed(list(enumerate(other_keys)))}
    dist = min(
        float(np.mean(mine != others[first_row[k]])) for k, s in sizes.items() if s == largest
    )
    same = sizes.pop(my_key, 0)
    largest_other = max(sizes.values(), default=0)
    width = int(max(others.max(), mine.max())) + 1
    counts = np.stack([np.bincount(others[:, j], minlength=width) for j in range(len(mine))])
    agree = counts[np.arange(len(mine)), mine]
    in_plurality = agree >= counts.max(axis=1)
    return {
        "exec.cluster_share": same / n,
        "exec.dist_plurality": dist,
        "exec.agree_mean": float(np.mean(agree)) / n,
        "exec.margin": (same - largest_other) / n,
        "exec.minority_inputs": float(np.sum(~in_plurality)),
    }
