"""How far consensus over the generated inputs can go: where the false positives sit.

    PYTHONPATH=$PWD python3 -m tests.benchmarks.exec_headroom [--names codegen16b ...]
        [--max-tasks N] [--jobs 2] [--out reports/execution/headroom.json]

Runs the peer outputs exactly as `check` does (`bench_execution.corpus_rows`, no solo
signals) and splits each corpus's false positives by what the outputs can say of them:
  blind      in a task whose passers all give the same outputs on every kept input
  mixed      sharing its whole output vector with at least one correct passer
  separable  in an output cluster of false positives only
and gives, beside `1 - cluster share`, the within-task ROC-AUC of an *oracle* that knows
each output cluster's share of false positives: the best any score constant within a
cluster can do with these inputs. With the timing tie-break added (`exec.slowdown`, as in
`exec.peer_score`) it bounds the fixed score from above. The same split and oracle follow
with the wide inputs' outputs joined to each vector ("with wide"): what they add. The labels only score; no solution
text is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from auditor.corpus.labels import load_labeled
from auditor.execution.consensus import shares
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, SLOWDOWN_WEIGHT
from auditor.io import atomic_write
from auditor.metrics import within_task_auc, within_task_auc_columns
from tests.benchmarks.bench_execution import corpus_options, corpus_rows


def cluster_ids(vectors: Sequence[Any], groups: np.ndarray) -> np.ndarray:
    """Per row, an id equal for the rows of one group with the same vector ("" when None)."""
    out = np.array([""] * len(vectors), dtype=object)
    ids: dict[tuple[str, Any], int] = {}
    for i, (v, g) in enumerate(zip(vectors, groups, strict=True)):
        if v is not None:
            out[i] = f"{g}\x00{ids.setdefault((g, v), len(ids))}"
    return out.astype(str)


def placement(y: np.ndarray, groups: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Per row: "blind", "mixed", "separable" (see the module doc) or "" (no vector)."""
    out = np.array([""] * len(y), dtype=object)
    has = clusters != ""
    n_clusters = {g: len(set(clusters[has & (groups == g)])) for g in set(groups[has])}
    fp_share = {c: float(y[clusters == c].mean()) for c in set(clusters[has])}
    for i in np.flatnonzero(has):
        if n_clusters[groups[i]] <= 1:
            out[i] = "blind"
        else:
            out[i] = "separable" if fp_share[clusters[i]] == 1.0 else "mixed"
    return out.astype(str)


def oracle(y: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Each row's output cluster's share of false positives (NaN without a vector)."""
    out = np.full(len(y), np.nan)
    for c in set(clusters) - {""}:
        m = clusters == c
        out[m] = y[m].mean()
    return out


def loo_share(clusters: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Leave-one-out cluster share among the group's rows with a vector (`consensus.shares`
    per group, every row a peer)."""
    out = np.full(len(clusters), np.nan)
    for g in set(groups):
        rows = np.flatnonzero(groups == g)
        keys = [(c,) if c else None for c in clusters[rows]]
        out[rows] = shares(keys, [True] * len(rows))
    return out


SHRINK = 8.0  # pseudo-votes of `shrunk` (1, 2, 4, 16 and 32 measured alike, session 25)
N_BOOT = 1000


def program_shares(clusters: np.ndarray, programs: Sequence[str], groups: np.ndarray) -> np.ndarray:
    """Per row with a vector, among the OTHER distinct programs of its group, the share
    giving its output cluster (a program run twice with two outcomes counts in both); the
    sample share (`loo_share`) where its group has no other program."""
    out = loo_share(clusters, groups)
    for g in set(groups):
        rows = [i for i in np.flatnonzero(groups == g) if clusters[i]]
        outputs: dict[str, set[str]] = {}
        for i in rows:
            outputs.setdefault(programs[i], set()).add(clusters[i])
        votes = Counter(c for cs in outputs.values() for c in cs)
        if len(outputs) > 1:
            for i in rows:
                own = clusters[i] in outputs[programs[i]]
                out[i] = (votes[clusters[i]] - own) / (len(outputs) - 1)
    return out


def shrunk(share: np.ndarray, clusters: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`share` over n other peers as (share * n + SHRINK / 2) / (n + SHRINK)."""
    has = clusters != ""
    sizes = Counter(groups[has])
    n = np.array([sizes[g] - 1 for g in groups], dtype=float)
    return (share * n + SHRINK / 2) / (n + SHRINK)


def paired_within(
    y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, seed: int = 0
) -> tuple[float, float, float]:
    """Mean over task groups of within-task AUC(a) - AUC(b), and a 95% percentile interval
    when the groups are drawn with replacement."""
    both = np.column_stack([a, b])
    diffs = []
    for g in np.unique(groups):
        m = groups == g
        auc, used = within_task_auc_columns(y[m], both[m], groups[m])
        if used[0]:
            diffs.append(auc[0] - auc[1])
    d = np.array(diffs)
    if not len(d):
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, len(d), (N_BOOT, len(d)))].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(d.mean()), float(lo), float(hi)


def variants(
    y: np.ndarray,
    groups: np.ndarray,
    clusters: np.ndarray,
    programs: Sequence[str],
    slow: np.ndarray,
) -> dict[str, dict[str, float]]:
    """Within-task AUC, its paired difference from the sample share and pooled AUC of each
    way to count the votes (module doc), with the timing tie-break."""
    sample = loo_share(clusters, groups)
    program = program_shares(clusters, programs, groups)
    shares_by = {
        "sample share": sample,
        "program share": program,
        "half": (sample + program) / 2,
        "shrunk": shrunk(sample, clusters, groups),
    }
    base = 1 - sample + SLOWDOWN_WEIGHT * slow
    out = {}
    for name, share in shares_by.items():
        score = 1 - share + SLOWDOWN_WEIGHT * slow
        m = np.isfinite(score)
        diff, lo, hi = paired_within(y[m], score[m], base[m], groups[m])
        out[name] = {
            "within": round(within_task_auc(y, score, groups)[0], 4),
            "diff": round(diff, 4), "diff_lo": round(lo, 4), "diff_hi": round(hi, 4),
            "pooled": round(float(roc_auc_score(y[m], score[m])), 4),
        }  # fmt: skip
    return out


def summarize(
    d: dict[str, Any], strong: dict[int, str], joined_wide: bool = False
) -> dict[str, Any]:
    """The split of the false positives and the within-task AUCs for one set of rows
    (`joined_wide`: clusters over the in-domain and the wide outputs together)."""
    y, g = d["y"], d["groups"]
    vectors = d["vectors"]
    if joined_wide:
        vectors = [None if v is None else (v, w) for v, w in zip(vectors, d["wide"], strict=True)]
    clusters = cluster_ids(vectors, g)
    where = placement(y, g, clusters)
    slow = np.nan_to_num(d["X"][:, COLUMNS.index("exec.slowdown")], nan=0.0)
    share = loo_share(clusters, g)
    orc = oracle(y, clusters)
    fp = y & (where != "")
    split = {k: int((fp & (where == k)).sum()) for k in ("blind", "mixed", "separable")}
    mixed_status = Counter(strong[int(i)] for i in np.flatnonzero(fp & (where == "mixed")))

    def auc(s: np.ndarray) -> float:
        return round(within_task_auc(y, s, g)[0], 3)

    return {
        "variants": variants(y, g, clusters, d["programs"], slow),
        "false_positives": int(fp.sum()),
        "where": split,
        "mixed_by_strong_status": dict(mixed_status),
        "within_task": {
            "1 - cluster share": auc(1 - share),
            "1 - cluster share + slowdown": auc(1 - share + SLOWDOWN_WEIGHT * slow),
            "oracle cluster": auc(orc),
            "oracle cluster + slowdown": auc(orc + SLOWDOWN_WEIGHT * slow),
        },
        "groups": within_task_auc(y, orc, g)[1],
    }


def _strong(args: argparse.Namespace, name: str, d: dict[str, Any]) -> dict[int, str]:
    labels = load_labeled(args.corpora / name, data_dir=args.data_dir).labels
    by_id = {(lb.task_id, lb.sample_id): lb.strong_status.value for lb in labels}
    return {i: by_id[(t, s)] for i, (t, s) in enumerate(zip(d["groups"], d["ids"], strict=True))}


def joined(data: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All corpora's rows as one set, groups kept apart per corpus."""
    return {
        "y": np.concatenate([d["y"] for d in data.values()]),
        "groups": np.concatenate([[f"{n}:{t}" for t in d["groups"]] for n, d in data.items()]),
        "vectors": [v for d in data.values() for v in d["vectors"]],
        "wide": [w for d in data.values() for w in d["wide"]],
        "programs": [p for d in data.values() for p in d["programs"]],
        "X": np.vstack([d["X"] for d in data.values()]),
    }


def render(res: dict[str, Any]) -> str:
    lines = [f"{'corpus':26s} {'FPs':>5s} {'blind':>6s} {'mixed':>6s} {'separ.':>6s}  within-task"]
    for name, r in res.items():
        w = r["where"]
        aucs = "  ".join(f"{k} {v:.3f}" for k, v in r["within_task"].items())
        lines.append(f"{name:26s} {r['false_positives']:5d} {w['blind']:6d} {w['mixed']:6d} "
                     f"{w['separable']:6d}  {aucs}")  # fmt: skip
    lines.append("\nvotes counted (+ slowdown): within-task, paired difference from the sample")
    lines.append("share [95% interval over task groups], pooled")
    for name, r in res.items():
        for v, a in r["variants"].items():
            lines.append(f"{name:26s} {v:14s} {a['within']:.4f} {a['diff']:+.4f} "
                         f"[{a['diff_lo']:+.4f}, {a['diff_hi']:+.4f}]  {a['pooled']:.4f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = corpus_options(__doc__ or "", "reports/execution/headroom.json").parse_args(argv)
    args.no_solo = True  # consensus only: the solo harness is not needed here
    data: dict[str, dict[str, Any]] = {}
    res: dict[str, Any] = {}
    strong_all: dict[int, str] = {}
    with ExecRunner(args.jobs) as run:
        for name in args.names:
            data[name] = corpus_rows(name, args, run)
            strong = _strong(args, name, data[name])
            res[name] = summarize(data[name], strong)
            res[f"{name} with wide"] = summarize(data[name], strong, joined_wide=True)
            offset = len(strong_all)  # rows of the corpora before, in `joined` order
            strong_all.update({offset + i: s for i, s in strong.items()})
    if len(data) > 1:
        res["all"] = summarize(joined(data), strong_all)
        res["all with wide"] = summarize(joined(data), strong_all, joined_wide=True)
    print(render(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
