"""Agreement of each candidate's outputs with its task peers' (CodeT / MBR-exec style).

Pure numpy over output fingerprints: row i's features compare its fingerprint vector with
those of the peers other than row i itself (leave-one-out), so a candidate never votes for
itself, while its duplicates among the peers do count (they are real evidence in best-of-n).

  agree_plurality  share of inputs where its output is a most common peer output (ties count)
  agree_mean       mean share of peers giving its output, over inputs
  cluster_share    share of peers whose whole output vector equals its own
  cluster_rank     1 + number of peer clusters larger than its own (itself included in it)
  crash_rate       share of inputs that raised, timed out or killed the child
  crash_rate_rel   crash_rate minus the peers' median crash_rate
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

COLUMNS: tuple[str, ...] = (
    "behavior.agree_plurality",
    "behavior.agree_mean",
    "behavior.cluster_share",
    "behavior.cluster_rank",
    "behavior.crash_rate",
    "behavior.crash_rate_rel",
    "behavior.n_peers",
    "behavior.n_inputs",
)
FAILED_COLUMN = "behavior.failed"

Vector = tuple[str, ...]


def is_crash(fingerprint: str) -> bool:
    """An exception, a timeout or a dead child rather than a returned value."""
    return not fingerprint.startswith("v:")


def _codes(vectors: Sequence[Vector], n_inputs: int) -> np.ndarray:
    """Integer codes per input column (equal code = equal fingerprint)."""
    out = np.zeros((len(vectors), n_inputs), dtype=np.int64)
    for j in range(n_inputs):
        ids: dict[str, int] = {}
        for i, v in enumerate(vectors):
            out[i, j] = ids.setdefault(v[j], len(ids))
    return out


def agreement_features(vectors: Sequence[Vector | None], peer_mask: np.ndarray) -> np.ndarray:
    """Rows x (COLUMNS + failed) for the candidates of ONE task.

    `vectors[i]` is row i's fingerprint per probe input (None when it could not be run:
    that row gets NaN features, failed = 1, and is nobody's peer). `peer_mask[i]` says
    whether row i is a peer (a weak-test passer when labels are known).
    """
    n_rows = len(vectors)
    out = np.full((n_rows, len(COLUMNS) + 1), np.nan)
    ok = np.array([v is not None for v in vectors], dtype=bool)
    out[:, -1] = (~ok).astype(np.float64)
    if not ok.any():
        return out
    n_inputs = len(next(v for v in vectors if v is not None))
    if any(v is not None and len(v) != n_inputs for v in vectors):
        raise ValueError("fingerprint vectors of one task differ in length")
    if n_inputs == 0:
        out[:, -1] = 1.0
        return out
    good = [i for i in range(n_rows) if ok[i]]
    vecs: list[Vector] = [v for v in vectors if v is not None]
    codes = _codes(vecs, n_inputs)
    crash = np.array([[is_crash(f) for f in v] for v in vecs], dtype=np.float64)
    crash_rate = crash.mean(axis=1)
    peer = np.asarray(peer_mask, dtype=bool)[good]
    peer_codes = codes[peer]
    n_peer_all = int(peer.sum())

    # Per input: counts of each output code among all peers.
    width = int(codes.max()) + 1
    counts = np.zeros((n_inputs, width), dtype=np.int64)
    for j in range(n_inputs):
        counts[j] = np.bincount(peer_codes[:, j], minlength=width)

    cluster_ids = [hash_vector(v) for v in vecs]
    clusters = Counter(c for c, p in zip(cluster_ids, peer, strict=True) if p)
    peer_rates = crash_rate[peer]
    col = {c: k for k, c in enumerate(COLUMNS)}
    cols = np.arange(n_inputs)
    for r, i in enumerate(good):
        me = int(peer[r])
        n_peers = n_peer_all - me
        out[i, col["behavior.n_peers"]] = n_peers
        out[i, col["behavior.n_inputs"]] = n_inputs
        out[i, col["behavior.crash_rate"]] = crash_rate[r]
        if n_peers == 0:
            continue
        c = counts.copy()
        c[cols, codes[r]] -= me  # leave myself out
        mine = c[cols, codes[r]]
        out[i, col["behavior.agree_plurality"]] = float(np.mean((mine > 0) & (mine >= c.max(1))))
        out[i, col["behavior.agree_mean"]] = float(np.mean(mine / n_peers))
        sizes = clusters.copy()
        sizes[cluster_ids[r]] -= me
        same = sizes[cluster_ids[r]]
        out[i, col["behavior.cluster_share"]] = same / n_peers
        out[i, col["behavior.cluster_rank"]] = 1 + sum(
            1 for k, s in sizes.items() if k != cluster_ids[r] and s > same + 1
        )
        others = peer_rates if not me else np.delete(peer_rates, int(peer[:r].sum()))
        out[i, col["behavior.crash_rate_rel"]] = crash_rate[r] - float(np.median(others))
    return out


def hash_vector(vector: Vector) -> str:
    """Cluster key of a whole fingerprint vector."""
    return "\x1f".join(vector)
