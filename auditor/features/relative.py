"""`rel.*`: each candidate against its task peers and against the task's reference.

A candidate's peers are the candidates of its task that pass the weak tests when labels
are known, otherwise all given candidates of the task (if no candidate of a task passes,
all of them). Absolute sizes say little across tasks; what carries signal is being
larger, more branchy or more literal-laden than the typical peer or the reference, and
having an uncommon shape. Never cached: the values depend on the peers.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from auditor.features.ast_features import AstExtractor, _literal_key, shape_hash
from auditor.features.base import Item
from auditor.features.radon_features import RadonExtractor
from auditor.types import Task, sha256_text

# rel name -> base column. Size, branching and literal features; compared within the task.
KEY_FEATURES: Mapping[str, str] = {
    "nodes": "ast.n_nodes",
    "depth": "ast.max_depth",
    "sloc": "radon.sloc",
    "cc": "radon.cc_sum",
    "h_volume": "radon.h_volume",
    "ifs": "ast.n_if",
    "returns": "ast.n_return",
    "return_const": "ast.n_return_const",
    "compares": "ast.n_compare",
    "compare_const": "ast.n_compare_const",
    "branch_const": "ast.n_branch_on_const",
    "consts": "ast.n_const",
    "distinct_const": "ast.n_distinct_const",
    "loops": "ast.n_loop",
    "calls": "ast.n_call",
    "boolops": "ast.n_boolop",
    "rules": "rules.total",
    "gaming": "rules.AUD3xx",
    "ruff": "ruff.total",
    "pylint": "pylint.total",
}
# Compared with the reference solution.
REF_FEATURES: Mapping[str, str] = {
    "nodes": "ast.n_nodes",
    "cc": "radon.cc_sum",
    "ifs": "ast.n_if",
    "returns": "ast.n_return",
    "compares": "ast.n_compare",
    "consts": "ast.n_const",
}

COLUMNS: tuple[str, ...] = (
    *(f"rel.{k}_{s}" for k in KEY_FEATURES for s in ("z", "pct", "ratio", "excess")),
    "rel.shape_share",
    "rel.shape_is_mode",
    "rel.shape_mode_sim",
    "rel.shape_top_sim",
    "rel.dup_share",
    "rel.lits_rare",
    "rel.lits_rare_share",
    *(f"rel.ref_{k}_ratio" for k in REF_FEATURES),
    "rel.ref_shape_sim",
    "rel.ref_lit_jaccard",
    "rel.lits_not_in_ref",
    "rel.lits_in_prompt",
    "rel.lits_in_tests",
)

VERSION = "2"
_Z_CLIP = 10.0
_TOP_SHAPES = 5  # rel.shape_top_sim: count-weighted similarity to the commonest shapes
_RARE = 0.1  # a literal is rare when fewer than this share of the other peers use it
_PROMPT_LITERAL = re.compile(r"""-?\d+(?:\.\d+)?|'[^'\n]{0,50}'|"[^"\n]{0,50}\"""")


@dataclass(frozen=True)
class RowInfo:
    """What the relative features need from one candidate's base extraction."""

    task_id: str
    sha256: str
    shape: str | None
    literals: frozenset[str]


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """difflib ratio of two shape strings (node kinds in preorder)."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _flatten_literals(value: Any, out: set[str], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _flatten_literals(v, out, budget)
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten_literals(k, out, budget)
            _flatten_literals(v, out, budget)
    else:
        key = _literal_key(value)
        if key is not None:
            out.add(key)


def _prompt_literals(prompt: str) -> frozenset[str]:
    found: set[str] = set()
    for tok in _PROMPT_LITERAL.findall(prompt):
        if tok[0] in "'\"":
            key = _literal_key(tok[1:-1])
        else:
            key = _literal_key(float(tok) if "." in tok else int(tok))
        if key is not None:
            found.add(key)
    return frozenset(found)


@dataclass(frozen=True)
class _Reference:
    features: Mapping[str, float]
    shape: str | None
    literals: frozenset[str]
    prompt_literals: frozenset[str]
    test_literals: frozenset[str]


def _reference(task: Task) -> _Reference:
    item = Item(sha256_text(task.reference), task.reference)
    ast_x = AstExtractor().extract_one(item)
    radon_x = RadonExtractor().extract_one(item)
    tests: set[str] = set()
    _flatten_literals(list(task.base_input), tests, [20000])
    return _Reference(
        features={**ast_x.features, **radon_x.features},
        shape=ast_x.aux.get("shape") if not ast_x.failed else None,
        literals=frozenset(ast_x.aux.get("literals", ())),
        prompt_literals=_prompt_literals(task.prompt),
        test_literals=frozenset(tests),
    )


def _ratio(x: np.ndarray, ref: float) -> np.ndarray:
    """(x + 1) / (ref + 1): finite for counts of zero."""
    return (x + 1.0) / (ref + 1.0)


def _peer_stats(x: np.ndarray, peers: np.ndarray) -> np.ndarray:
    """z, percentile, ratio and excess of each x against the finite peer values."""
    out = np.full((len(x), 4), np.nan)
    p = peers[np.isfinite(peers)]
    ok = np.isfinite(x)
    if not len(p):
        return out
    mean, std, median = p.mean(), p.std(), float(np.median(p))
    denom = std if std > 0 else abs(mean) * 0.1 + 1.0
    ps = np.sort(p)
    below = np.searchsorted(ps, x[ok], side="left")
    equal = np.searchsorted(ps, x[ok], side="right") - below
    out[ok, 0] = np.clip((x[ok] - mean) / denom, -_Z_CLIP, _Z_CLIP)
    out[ok, 1] = (below + 0.5 * equal) / len(ps)
    out[ok, 2] = _ratio(x[ok], median) if median >= 0 else np.nan
    out[ok, 3] = x[ok] - median
    return out


def relative_features(
    rows: Sequence[RowInfo],
    base: np.ndarray,
    base_columns: Sequence[str],
    peer_mask: np.ndarray,
    tasks: Mapping[str, Task] | None,
) -> np.ndarray:
    """The rel.* block (len(rows) x len(COLUMNS)) for rows with base features `base`."""
    out = np.full((len(rows), len(COLUMNS)), np.nan)
    col = {c: i for i, c in enumerate(COLUMNS)}
    base_col = {c: i for i, c in enumerate(base_columns)}
    by_task: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_task.setdefault(r.task_id, []).append(i)
    for task_id, idx_list in by_task.items():
        idx = np.asarray(idx_list)
        peer_idx = idx[peer_mask[idx]]
        if not len(peer_idx):
            peer_idx = idx
        is_peer = np.zeros(len(rows), dtype=bool)
        is_peer[peer_idx] = True
        for name, source in KEY_FEATURES.items():
            if source not in base_col:  # e.g. a rule family with no rules
                continue
            values = base[:, base_col[source]]
            stats = _peer_stats(values[idx], values[peer_idx])
            start = col[f"rel.{name}_z"]
            out[idx, start : start + 4] = stats
        _shape_features(rows, idx, peer_idx, is_peer, out, col)
        task = tasks.get(task_id) if tasks else None
        if task is not None and task.reference.strip():
            _reference_features(rows, idx, base, base_col, _reference(task), out, col)
    return out


def _shape_features(
    rows: Sequence[RowInfo],
    idx: np.ndarray,
    peer_idx: np.ndarray,
    is_peer: np.ndarray,
    out: np.ndarray,
    col: Mapping[str, int],
) -> None:
    shapes: Counter[str] = Counter(s for j in peer_idx if (s := rows[j].shape) is not None)
    shas = Counter(rows[j].sha256 for j in peer_idx)
    literals = Counter(
        lit for j in peer_idx if rows[j].shape is not None for lit in rows[j].literals
    )
    n_shaped = sum(shapes.values())
    # Deterministic order: by count, then by hash (not by input order).
    ranked = sorted(shapes, key=lambda s: (-shapes[s], shape_hash(s)))
    mode = ranked[0] if ranked else None
    top = ranked[:_TOP_SHAPES]
    for i in idx:
        r = rows[i]
        self_peer = int(is_peer[i])
        others = len(peer_idx) - self_peer
        if others > 0:
            out[i, col["rel.dup_share"]] = (shas[r.sha256] - self_peer) / others
        if r.shape is None or mode is None:
            continue
        others_shaped = n_shaped - self_peer
        if others_shaped > 0:
            out[i, col["rel.shape_share"]] = (shapes[r.shape] - self_peer) / others_shaped
            rare = [
                lit for lit in r.literals if (literals[lit] - self_peer) / others_shaped < _RARE
            ]
            out[i, col["rel.lits_rare"]] = float(len(rare))
            out[i, col["rel.lits_rare_share"]] = len(rare) / len(r.literals) if r.literals else 0.0
        out[i, col["rel.shape_is_mode"]] = float(r.shape == mode)
        out[i, col["rel.shape_mode_sim"]] = similarity(r.shape, mode)
        weights = [shapes[s] - (self_peer if s == r.shape else 0) for s in top]
        if sum(weights) > 0:
            sims = [similarity(r.shape, s) for s in top]
            out[i, col["rel.shape_top_sim"]] = float(np.average(sims, weights=weights))


def _reference_features(
    rows: Sequence[RowInfo],
    idx: np.ndarray,
    base: np.ndarray,
    base_col: Mapping[str, int],
    ref: _Reference,
    out: np.ndarray,
    col: Mapping[str, int],
) -> None:
    for name, source in REF_FEATURES.items():
        ref_value = ref.features.get(source, math.nan)
        if math.isfinite(ref_value):
            out[idx, col[f"rel.ref_{name}_ratio"]] = _ratio(base[idx, base_col[source]], ref_value)
    for i in idx:
        r = rows[i]
        if r.shape is None:
            continue
        if ref.shape is not None:
            out[i, col["rel.ref_shape_sim"]] = similarity(r.shape, ref.shape)
        union = r.literals | ref.literals
        out[i, col["rel.ref_lit_jaccard"]] = (
            len(r.literals & ref.literals) / len(union) if union else 1.0
        )
        extra = r.literals - ref.literals
        out[i, col["rel.lits_not_in_ref"]] = float(len(extra))
        out[i, col["rel.lits_in_prompt"]] = float(len(extra & ref.prompt_literals))
        out[i, col["rel.lits_in_tests"]] = float(len(extra & ref.test_literals))
