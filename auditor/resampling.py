"""Exact resampling maths: how far drawing until the tests pass can take a model.

Policy (the paper's): draw candidates of a task in random order, at most k of them,
and submit the first one that passes the weak tests. A correct submission scores +1,
a false positive (weak pass, strong fail) scores -cost ratio, no submission scores 0.

Everything here is pure and vectorized over tasks x k (x cost ratios x thresholds):

- without replacement (the finite pool of n samples, as the paper's Monte Carlo):
  P(no weak pass within k) = C(n-b, k) / C(n, k), and k > n just exhausts the pool;
- with replacement (i.i.d. draws): P(no weak pass within k) = (1 - b/n)^k;

both computed in log space (`gammaln`). Given that a pass is found, by exchangeability
it is a uniformly random weak-passer, so it is correct with probability c/b.

Also: bootstrap CIs over tasks, the false-positive rate by the draw at which the first
pass happened, the paper's two-type theoretical model, and the auditor as a second
verifier (threshold filter and re-rank policies).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from auditor.errors import InputError
from auditor.types import Label, Outcome, Status

# Utility differences smaller than this are treated as ties (float noise, not signal).
_TIE_TOL = 1e-12


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class TaskCounts:
    """Per task: n candidates, b weak passes, c passes of both (correct)."""

    task_ids: tuple[str, ...]
    n: np.ndarray  # int64, shape (T,)
    b: np.ndarray
    c: np.ndarray

    def __post_init__(self) -> None:
        n, b, c = (np.asarray(x) for x in (self.n, self.b, self.c))
        if not (n.shape == b.shape == c.shape == (len(self.task_ids),)):
            raise InputError("task counts: n, b, c and task ids must have the same length")
        if len(n) == 0:
            raise InputError("empty corpus: no labeled candidates")
        if np.any(n < 1) or np.any(b < 0) or np.any(c < 0) or np.any(b > n) or np.any(c > b):
            raise InputError("task counts must satisfy 0 <= c <= b <= n and n >= 1")

    @classmethod
    def from_arrays(
        cls,
        n: Iterable[int],
        b: Iterable[int],
        c: Iterable[int],
        task_ids: Sequence[str] | None = None,
    ) -> TaskCounts:
        n_, b_, c_ = (np.asarray(list(x), dtype=np.int64) for x in (n, b, c))
        ids = tuple(task_ids) if task_ids is not None else tuple(f"t{i}" for i in range(len(n_)))
        return cls(ids, n_, b_, c_)

    @classmethod
    def from_labels(cls, labels: Sequence[Label]) -> TaskCounts:
        """Group labels by task (order of first appearance)."""
        if not labels:
            raise InputError("empty corpus: no labels")
        ids, inverse = _group(labels)
        weak = np.fromiter((lb.weak_status is Outcome.PASS for lb in labels), bool, len(labels))
        good = np.fromiter((lb.status is Status.CORRECT for lb in labels), bool, len(labels))
        t = len(ids)
        return cls(
            ids,
            np.bincount(inverse, minlength=t).astype(np.int64),
            np.bincount(inverse, weights=weak, minlength=t).astype(np.int64),
            np.bincount(inverse, weights=good, minlength=t).astype(np.int64),
        )

    def __len__(self) -> int:
        return len(self.task_ids)

    @property
    def pass1(self) -> np.ndarray:
        """Per-task strong pass@1 = c/n."""
        return self.c / self.n

    @property
    def weak_pass1(self) -> np.ndarray:
        """Per-task weak pass@1 = b/n."""
        return self.b / self.n

    @property
    def cond_accuracy(self) -> np.ndarray:
        """Per-task c/b (NaN where b = 0)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.b > 0, self.c / np.maximum(self.b, 1), np.nan)

    def require_weak_passes(self) -> None:
        if int(self.b.sum()) == 0:
            raise InputError("no candidate passes the weak tests: resampling curves are undefined")


def _group(labels: Sequence[Label]) -> tuple[tuple[str, ...], np.ndarray]:
    index: dict[str, int] = {}
    inverse = np.fromiter(
        (index.setdefault(lb.task_id, len(index)) for lb in labels), np.int64, len(labels)
    )
    return tuple(index), inverse


def _items(values: str | Iterable[Any]) -> list[Any]:
    """A comma-separated string's stripped items, or the values as given."""
    return [s.strip() for s in values.split(",")] if isinstance(values, str) else list(values)


def _numbers(
    items: Iterable[Any], what: str, valid: Callable[[float], bool], rule: str
) -> tuple[float, ...]:
    """`items` as floats, each `valid`; else an InputError naming the item."""
    out: list[float] = []
    for item in items:
        try:
            value = float(item)
        except (TypeError, ValueError):
            raise InputError(f"{what} {item!r} is not a number") from None
        if not valid(value):
            raise InputError(f"{what} {item!r} must be {rule}")
        out.append(value)
    return tuple(out)


def parse_costs(costs: str | Iterable[Any]) -> tuple[float, ...]:
    """Validate false-positive cost ratios: finite, non-negative numbers, at least one."""
    items = _items(costs)
    if not items or items == [""]:
        raise InputError("no cost ratio given")
    return _numbers(
        items, "cost ratio", lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0"
    )


def parse_thresholds(thresholds: str | Iterable[Any]) -> tuple[float, ...]:
    """Validate risk thresholds: numbers in [0, 1], the range of a risk (NaN is not)."""
    return _numbers(
        _items(thresholds), "threshold", lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]"
    )


# --------------------------------------------------------------------- core maths


def log_no_pass(n: np.ndarray, b: np.ndarray, k: np.ndarray, replacement: bool) -> np.ndarray:
    """log P(no weak pass in k draws), broadcasting n, b against k (-inf when certain to pass)."""
    if replacement:
        nf, bf = np.asarray(n, dtype=np.float64), np.asarray(b, dtype=np.float64)
        kf = np.asarray(k, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            # 0 draws never pass, even when every sample passes (0 * -inf would be NaN)
            return np.where(kf == 0, 0.0, kf * np.log1p(-bf / nf))
    n_i = np.asarray(n).astype(np.int64)
    fail = n_i - np.asarray(b).astype(np.int64)
    kk = np.minimum(np.asarray(k).astype(np.int64), n_i)  # more than n draws exhausts the pool
    from scipy.special import gammaln  # scipy costs ~0.3 s to import: only when computing

    # Counts are integers, so log-factorials come from one table instead of gammaln per cell.
    lf = gammaln(np.arange(int(n_i.max()) + 2, dtype=np.float64))
    rest = np.maximum(fail - kk, 0)
    # C(n-b, k)/C(n, k) = (n-b)! (n-k)! / ((n-b-k)! n!)
    val = lf[fail + 1] - lf[n_i + 1] + (lf[n_i - kk + 1] - lf[rest + 1])
    return np.where(kk <= fail, val, -np.inf)


def no_pass_prob(counts: TaskCounts, ks: np.ndarray, replacement: bool = False) -> np.ndarray:
    """P(no weak pass within k draws), shape (T, K)."""
    return np.exp(log_no_pass(counts.n[:, None], counts.b[:, None], ks[None, :], replacement))


@dataclass(frozen=True, eq=False)
class Curves:
    """Expected outcomes of draw-until-pass with at most k draws, k = 1..K, averaged over tasks.

    `utility[i]`, `k_opt[i]`, `rising[i]` belong to `costs[i]`; k_opt = 0 means abstain.
    `ceiling` is the paper's: the mean over tasks with a weak pass of c/b.
    """

    k: np.ndarray
    costs: tuple[float, ...]
    accuracy: np.ndarray
    coverage: np.ndarray
    fp_rate: np.ndarray  # expected share of tasks answered with a false positive
    fp_share: np.ndarray  # false positives among accepted answers
    utility: np.ndarray  # (C, K)
    k_opt: np.ndarray  # (C,) int
    rising: np.ndarray  # (C,) bool: utility still increasing at K
    ceiling: float
    limit_accuracy: float  # accuracy as k -> infinity (over all tasks)
    replacement: bool
    n_tasks: int

    def to_json(self) -> dict[str, Any]:
        return {
            "replacement": self.replacement,
            "n_tasks": self.n_tasks,
            "k_max": int(self.k[-1]),
            "ceiling": self.ceiling,
            "limit_accuracy": self.limit_accuracy,
            "costs": [
                {
                    "cost": cost,
                    "k": self.k.tolist(),
                    "accuracy": self.accuracy.tolist(),
                    "coverage": self.coverage.tolist(),
                    "fp_share": self.fp_share.tolist(),
                    "utility": self.utility[i].tolist(),
                    "k_opt": int(self.k_opt[i]),
                    "rising_at_k_max": bool(self.rising[i]),
                }
                for i, cost in enumerate(self.costs)
            ],
        }


def _exhausts(counts: TaskCounts, k: np.ndarray, replacement: bool) -> bool:
    """Whether drawing K without replacement empties every task's pool."""
    return not replacement and int(k[-1]) >= int(counts.n.max())


def k_grid(counts: TaskCounts, k_max: int | None) -> np.ndarray:
    """k = 1..K; K defaults to the largest pool size."""
    kmax = int(counts.n.max()) if k_max is None else int(k_max)
    if kmax < 1:
        raise InputError(f"--k-max must be >= 1 (got {k_max})")
    return np.arange(1, kmax + 1)


def optimal_k(
    utility: np.ndarray, k: np.ndarray, exhausted: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest k reaching the max utility (0 = abstain if no k beats 0), and rising-at-K flags.

    `utility` has k along its last axis; ties within `_TIE_TOL` go to the smaller k.
    `exhausted`: K covers every pool, so the curve cannot rise past K whatever its last step.
    """
    u = np.concatenate([np.zeros((*utility.shape[:-1], 1)), utility], axis=-1)
    best = u.max(axis=-1, keepdims=True)
    tol = _TIE_TOL * np.maximum(1.0, np.abs(best))
    idx = np.argmax(u >= best - tol, axis=-1)
    ks = np.concatenate([[0], k])
    rising = (u[..., -1] - u[..., -2]) > _TIE_TOL * np.maximum(1.0, np.abs(u[..., -1]))
    return ks[idx], rising & (not exhausted)


def _summaries(
    accept: np.ndarray,
    correct: np.ndarray,
    costs: np.ndarray,
    k: np.ndarray,
    exhausted: bool = False,
) -> dict[str, np.ndarray]:
    """From task-mean acceptance and correctness curves (..., K) to the curve family."""
    fp = accept - correct
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(accept > 0, fp / np.where(accept > 0, accept, 1.0), 0.0)
    utility = correct[..., None, :] - costs[:, None] * fp[..., None, :]
    k_opt, rising = optimal_k(utility, k, exhausted)
    return {
        "accuracy": correct,
        "coverage": accept,
        "fp_rate": fp,
        "fp_share": share,
        "utility": utility,
        "k_opt": k_opt,
        "rising": rising,
    }


def ceiling(counts: TaskCounts) -> float:
    """Mean of c/b over tasks with at least one weak pass (the paper's conditional accuracy).

    The one ceiling: `summary.json` reports it too; its pooled c/b over all candidates is
    named `weak_pass_precision` there.
    """
    counts.require_weak_passes()
    return float(np.nanmean(counts.cond_accuracy))


def curves(
    counts: TaskCounts,
    costs: Sequence[float],
    k_max: int | None = None,
    replacement: bool = False,
) -> Curves:
    """Exact expected accuracy, coverage, false-positive share and utility for k = 1..K."""
    counts.require_weak_passes()
    cost_arr = np.asarray(parse_costs(costs), dtype=np.float64)
    k = k_grid(counts, k_max)
    accept_t = 1.0 - no_pass_prob(counts, k, replacement)  # (T, K)
    rate = np.nan_to_num(counts.cond_accuracy)[:, None]
    s = _summaries(
        accept_t.mean(0), (accept_t * rate).mean(0), cost_arr, k, _exhausts(counts, k, replacement)
    )
    return Curves(
        k=k,
        costs=tuple(float(x) for x in cost_arr),
        ceiling=ceiling(counts),
        limit_accuracy=float(np.nan_to_num(counts.cond_accuracy).mean()),
        replacement=replacement,
        n_tasks=len(counts),
        **s,
    )


# ----------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a percentile bootstrap interval."""

    value: float
    lo: float
    hi: float

    def to_json(self) -> dict[str, float]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True, eq=False)
class CorpusSummary:
    """The per-model table row: point estimates with bootstrap CIs over tasks."""

    n_tasks: int
    n_samples: int
    pass1: Estimate
    weak_pass1: Estimate
    ceiling: Estimate
    fp_share: Estimate  # false positives among weak passes (k = 1)
    costs: tuple[float, ...]
    k_opt: tuple[Estimate, ...]
    k_opt_rising: tuple[bool, ...]
    level: float
    n_boot: int

    def to_json(self) -> dict[str, Any]:
        return {
            "n_tasks": self.n_tasks,
            "n_samples": self.n_samples,
            "pass1": self.pass1.to_json(),
            "weak_pass1": self.weak_pass1.to_json(),
            "ceiling": self.ceiling.to_json(),
            "fp_share": self.fp_share.to_json(),
            "k_opt": {
                str(c): {**e.to_json(), "rising_at_k_max": r}
                for c, e, r in zip(self.costs, self.k_opt, self.k_opt_rising, strict=True)
            },
            "level": self.level,
            "n_boot": self.n_boot,
        }


def bootstrap_weights(n_tasks: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(B, T) resampling weights: how often each task appears in each bootstrap replicate."""
    return rng.multinomial(n_tasks, np.full(n_tasks, 1.0 / n_tasks), size=n_boot).astype(float)


def _interval(samples: np.ndarray, value: float, level: float) -> Estimate:
    a = (1.0 - level) / 2.0
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return Estimate(value, math.nan, math.nan)
    lo, hi = np.quantile(finite, [a, 1.0 - a])
    return Estimate(float(value), float(lo), float(hi))


def summarize_corpus(
    counts: TaskCounts,
    costs: Sequence[float],
    *,
    rng: np.random.Generator,
    k_max: int | None = None,
    replacement: bool = False,
    n_boot: int = 1000,
    level: float = 0.95,
) -> CorpusSummary:
    """pass@1, weak pass@1, ceiling, FP share and k_opt per cost, with CIs over tasks."""
    base = curves(counts, costs, k_max, replacement)
    w = bootstrap_weights(len(counts), n_boot, rng)  # (B, T)
    tot = w.sum(1)
    has_b = counts.b > 0
    cond = np.nan_to_num(counts.cond_accuracy)
    with np.errstate(invalid="ignore", divide="ignore"):
        ceil_b = (w @ (cond * has_b)) / (w @ has_b.astype(float))
        fp_b = (w @ ((counts.b - counts.c) / counts.n)) / (w @ counts.weak_pass1)
    accept_t = 1.0 - no_pass_prob(counts, base.k, replacement)
    acc_b = w @ accept_t / tot[:, None]
    cor_b = w @ (accept_t * cond[:, None]) / tot[:, None]
    util_b = cor_b[:, None, :] - np.asarray(base.costs)[None, :, None] * (acc_b - cor_b)[:, None, :]
    kopt_b, _ = optimal_k(util_b, base.k)  # (B, C); rising flags come from `base`
    fp1 = float(((counts.b - counts.c) / counts.n).sum() / counts.weak_pass1.sum())
    return CorpusSummary(
        n_tasks=len(counts),
        n_samples=int(counts.n.sum()),
        pass1=_interval(w @ counts.pass1 / tot, float(counts.pass1.mean()), level),
        weak_pass1=_interval(w @ counts.weak_pass1 / tot, float(counts.weak_pass1.mean()), level),
        ceiling=_interval(ceil_b, base.ceiling, level),
        fp_share=_interval(fp_b, fp1, level),
        costs=base.costs,
        k_opt=tuple(
            _interval(kopt_b[:, i].astype(float), float(base.k_opt[i]), level)
            for i in range(len(base.costs))
        ),
        k_opt_rising=tuple(bool(r) for r in base.rising),
        level=level,
        n_boot=n_boot,
    )


def bootstrap_curve_band(
    counts: TaskCounts,
    costs: Sequence[float],
    *,
    rng: np.random.Generator,
    k_max: int | None = None,
    replacement: bool = False,
    n_boot: int = 500,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise percentile band of utility@k, each of shape (C, K)."""
    cost_arr = np.asarray(parse_costs(costs))
    k = k_grid(counts, k_max)
    w = bootstrap_weights(len(counts), n_boot, rng)
    tot = w.sum(1)[:, None]
    accept_t = 1.0 - no_pass_prob(counts, k, replacement)
    cond = np.nan_to_num(counts.cond_accuracy)[:, None]
    acc_b, cor_b = w @ accept_t / tot, w @ (accept_t * cond) / tot
    util = cor_b[:, None, :] - cost_arr[None, :, None] * (acc_b - cor_b)[:, None, :]
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(util, [a, 1.0 - a], axis=0)
    return lo, hi


# ------------------------------------------------------------ first-pass buckets


@dataclass(frozen=True, eq=False)
class FirstPassBuckets:
    """False-positive rate of the accepted answer by the draw j at which the first pass happened.

    Bucket i covers draws lo[i]..hi[i] (powers of two: 1, 2-3, 4-7, ...). `mass[i]` is the
    expected number of tasks whose first pass falls in the bucket.
    """

    lo: np.ndarray
    hi: np.ndarray
    mass: np.ndarray
    fp_rate: np.ndarray  # NaN where mass is 0

    def labels(self) -> list[str]:
        return [f"{a}" if a == b else f"{a}-{b}" for a, b in zip(self.lo, self.hi, strict=True)]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "draws": lab,
                "lo": int(a),
                "hi": int(b),
                "mass": float(m),
                "fp_rate": None if math.isnan(f) else float(f),
            }
            for lab, a, b, m, f in zip(
                self.labels(), self.lo, self.hi, self.mass, self.fp_rate, strict=True
            )
        ]


def first_pass_buckets(
    counts: TaskCounts, k_max: int | None = None, replacement: bool = False
) -> FirstPassBuckets:
    """Exact P(first pass at draw j) per task, weighted by the task's FP rate (b-c)/b."""
    counts.require_weak_passes()
    k = k_grid(counts, k_max)
    q = no_pass_prob(counts, np.concatenate([[0], k]), replacement)  # (T, K+1), q[:,0] = 1
    first = q[:, :-1] - q[:, 1:]  # P(first pass at draw j), j = 1..K
    fp_t = np.nan_to_num(1.0 - counts.cond_accuracy)[:, None]
    bucket = np.floor(np.log2(k)).astype(int)
    nb = int(bucket[-1]) + 1
    mass = np.zeros(nb)
    fpm = np.zeros(nb)
    np.add.at(mass, bucket, first.sum(0))
    np.add.at(fpm, bucket, (first * fp_t).sum(0))
    lo = 2 ** np.arange(nb)
    hi = np.minimum(2 * lo - 1, int(k[-1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(mass > 1e-12, fpm / np.where(mass > 0, mass, 1.0), np.nan)
    return FirstPassBuckets(lo, hi, mass, rate)


# ------------------------------------------------------------- two-type model


@dataclass(frozen=True)
class TwoTypeParams:
    """The paper's two-type model: easy tasks (share p1, correctness r1), hard (p2, r2).

    The verifier has completeness 1 and soundness s = P(reject | wrong).
    """

    p1: float
    r1: float
    r2: float
    s: float

    @property
    def p2(self) -> float:
        return 1.0 - self.p1

    @property
    def beta(self) -> np.ndarray:
        """Per-type probability that one draw is rejected (c = 1)."""
        r = np.array([self.r1, self.r2])
        return self.s * (1.0 - r)

    def boundary(self, which: int = 2) -> float:
        """Cost ratio above which a draw on a type-`which` task has negative value."""
        r = self.r2 if which == 2 else self.r1
        denom = (1.0 - r) * (1.0 - self.s)
        return math.inf if denom <= 0 else r / denom

    def to_json(self) -> dict[str, float]:
        return {
            "p1": self.p1,
            "p2": self.p2,
            "r1": self.r1,
            "r2": self.r2,
            "s": self.s,
            "boundary_keep_sampling": self.boundary(2),
            "boundary_never_sample": self.boundary(1),
        }


def estimate_two_type(counts: TaskCounts) -> TwoTypeParams:
    """Estimate as the paper does: easy = pass@1 > 0.5; r_i = mean pass@1 of the type.

    s = (1 - B - P + C*B) / (1 - P) with B mean weak pass rate, P mean pass@1 and C the
    mean conditional accuracy (over tasks with a weak pass).
    """
    counts.require_weak_passes()
    p = counts.pass1
    easy = p > 0.5
    p1 = float(easy.mean())
    r1 = float(p[easy].mean()) if easy.any() else 0.0
    r2 = float(p[~easy].mean()) if (~easy).any() else 0.0
    big_b, big_p, big_c = float(counts.weak_pass1.mean()), float(p.mean()), ceiling(counts)
    s = 1.0 if big_p >= 1.0 else (1.0 - big_b - big_p + big_c * big_b) / (1.0 - big_p)
    return TwoTypeParams(p1=p1, r1=r1, r2=r2, s=min(max(s, 0.0), 1.0))


@dataclass(frozen=True)
class TwoTypeOptimum:
    """k_opt at one cost ratio; `keep_sampling` when utility rises for ever (k_opt is None)."""

    cost: float
    k_opt: int | None
    keep_sampling: bool
    utility_at_opt: float  # sup of utility (the k -> infinity limit when keep_sampling)

    def to_json(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "k_opt": self.k_opt,
            "keep_sampling": self.keep_sampling,
            "utility": self.utility_at_opt,
        }


def _per_draw_value(params: TwoTypeParams, cost: float) -> np.ndarray:
    """a_i: value of accepting on a draw of a type-i task, before weighting by reach."""
    r = np.array([params.r1, params.r2])
    return r - cost * (1.0 - r) * (1.0 - params.s)


def two_type_utility(params: TwoTypeParams, costs: Sequence[float], k: np.ndarray) -> np.ndarray:
    """Exact cumulative utility U(k) = sum_i p_i a_i (1 - beta_i^k) / (1 - beta_i), shape (C, K).

    Draw j contributes sum_i p_i beta_i^(j-1) a_i: the prior probability of reaching draw j
    on a type-i task times the value of that draw (not the posterior, the heatmap's fault).
    """
    cost_arr = np.asarray(parse_costs(costs))
    p = np.array([params.p1, params.p2])
    beta = params.beta
    a = np.array([_per_draw_value(params, c) for c in cost_arr])  # (C, 2)
    kk = np.asarray(k, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(beta < 1.0, -np.expm1(kk * np.log(beta)) / (1.0 - beta), kk)  # (K, 2)
    return (a * p) @ geo.T


def two_type_optimum(params: TwoTypeParams, cost: float) -> TwoTypeOptimum:
    """Exact k_opt from the sign pattern of the per-draw increments f(k) = sum_i p_i a_i b_i^(k-1).

    With two types f changes sign at most once, at a k found in closed form (log space),
    so no k comes from floating-point noise in tiny increments.
    """
    (cost,) = parse_costs([cost])
    p = np.array([params.p1, params.p2])
    a = _per_draw_value(params, cost)
    beta = params.beta
    w = p * a  # f(k) = sum_i w_i beta_i^(k-1)
    active = p > 0

    def total(k: int | None) -> float:
        kk = np.array([1e300 if k is None else k])
        return float(two_type_utility(params, [cost], kk)[0, 0])

    def keep() -> TwoTypeOptimum:
        return TwoTypeOptimum(cost, None, True, total(None))

    def stop(k: int) -> TwoTypeOptimum:
        return TwoTypeOptimum(cost, k, False, total(k) if k else 0.0)

    pos = active & (w > 0)
    neg = active & (w < 0)
    if not pos.any():
        return stop(0)
    # Terms with beta = 0 only matter on the first draw.
    lasting_pos = pos & (beta > 0)
    if not neg.any():
        return keep() if lasting_pos.any() else stop(1)
    i, j = int(np.flatnonzero(pos)[0]), int(np.flatnonzero(neg)[0])
    f1 = float(w.sum())
    if beta[i] > beta[j]:
        # Increments turn positive for good: the sup is the k -> infinity limit if it beats
        # both abstaining and stopping after the first draw.
        if f1 > 0 or total(None) > 0:
            return keep()
        return stop(0)
    if f1 <= 0:
        return stop(0)
    if beta[i] == beta[j]:
        return keep()
    if beta[i] == 0:
        return stop(1)
    if beta[j] == 0:  # negative term only on the first draw, positive one lasts
        return keep()
    # f(k) > 0  <=>  (k-1) log(beta_i / beta_j) > log(-w_j / w_i)
    x = math.log(-w[j] / w[i]) / math.log(beta[i] / beta[j])
    return stop(max(1, math.ceil(x)))


# ------------------------------------------------------ auditor as second verifier


@dataclass(frozen=True, eq=False)
class CandidateArrays:
    """One row per candidate: task index, weak pass, correct, risk (NaN = no score)."""

    counts: TaskCounts
    task: np.ndarray
    weak: np.ndarray
    correct: np.ndarray
    risk: np.ndarray

    @classmethod
    def from_labels(
        cls, labels: Sequence[Label], scores: Mapping[tuple[str, str], float]
    ) -> CandidateArrays:
        """Join risk scores keyed by (task_id, sample_id); every weak-passer needs a score."""
        counts = TaskCounts.from_labels(labels)
        _, inverse = _group(labels)
        weak = np.fromiter((lb.weak_status is Outcome.PASS for lb in labels), bool, len(labels))
        good = np.fromiter((lb.status is Status.CORRECT for lb in labels), bool, len(labels))
        risk = np.array([scores.get((lb.task_id, lb.sample_id), math.nan) for lb in labels])
        missing = weak & np.isnan(risk)
        if missing.any():
            first = labels[int(np.flatnonzero(missing)[0])]
            raise InputError(
                f"risk scores missing for {int(missing.sum())} weak-passing candidates "
                f"(e.g. task {first.task_id} sample {first.sample_id})"
            )
        return cls(counts, inverse, weak, good, risk)


@dataclass(frozen=True, eq=False)
class AuditorSweep:
    """Threshold filter: accept a weak-passer only if risk < threshold, per threshold."""

    thresholds: np.ndarray  # (H,)
    costs: tuple[float, ...]
    k: np.ndarray
    ceiling: np.ndarray  # (H,) mean c'/b' over tasks with b' > 0 (NaN if none)
    correct_lost: np.ndarray  # (H,) share of correct candidates rejected by the auditor
    tasks_lost: np.ndarray  # (H,) share of tasks with a correct candidate that keep none
    accepted_share: np.ndarray  # (H,) share of weak-passers accepted
    utility: np.ndarray  # (H, C, K)
    accuracy: np.ndarray  # (H, K)
    coverage: np.ndarray  # (H, K)
    fp_share: np.ndarray  # (H, K)
    k_opt: np.ndarray  # (H, C)
    rising: np.ndarray  # (H, C)

    def to_json(self) -> dict[str, Any]:
        return {
            "thresholds": self.thresholds.tolist(),
            "costs": list(self.costs),
            "ceiling": _nan_list(self.ceiling),
            "correct_lost": self.correct_lost.tolist(),
            "tasks_lost": self.tasks_lost.tolist(),
            "accepted_share": self.accepted_share.tolist(),
            "k_opt": {str(c): self.k_opt[:, i].tolist() for i, c in enumerate(self.costs)},
        }


def _nan_list(x: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in x]


def threshold_sweep(
    cands: CandidateArrays,
    thresholds: Sequence[float],
    costs: Sequence[float],
    k_max: int | None = None,
    replacement: bool = False,
) -> AuditorSweep:
    """Curves with the auditor as a second verifier, for every threshold at once."""
    counts = cands.counts
    counts.require_weak_passes()
    cost_arr = np.asarray(parse_costs(costs))
    thr = np.asarray(thresholds, dtype=float)
    k = k_grid(counts, k_max)
    t = len(counts)
    keep = cands.weak[:, None] & (cands.risk[:, None] < thr[None, :])  # (N, H)
    keep_c = keep & cands.correct[:, None]
    b2 = np.zeros((t, len(thr)))
    c2 = np.zeros((t, len(thr)))
    np.add.at(b2, cands.task, keep)
    np.add.at(c2, cands.task, keep_c)
    n = counts.n[:, None, None].astype(float)
    accept = 1.0 - np.exp(log_no_pass(n, b2[:, :, None], k[None, None, :], replacement))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(b2 > 0, c2 / np.maximum(b2, 1), 0.0)
        ceil = np.array(
            [
                np.mean(rate[b2[:, h] > 0, h]) if (b2[:, h] > 0).any() else np.nan
                for h in range(len(thr))
            ]
        )
    s = _summaries(
        accept.mean(0),
        (accept * rate[:, :, None]).mean(0),
        cost_arr,
        k,
        _exhausts(counts, k, replacement),
    )
    has_c = counts.c > 0
    return AuditorSweep(
        thresholds=thr,
        costs=tuple(float(x) for x in cost_arr),
        k=k,
        ceiling=ceil,
        correct_lost=1.0 - c2.sum(0) / max(int(counts.c.sum()), 1),
        tasks_lost=((c2 == 0) & has_c[:, None]).sum(0) / max(int(has_c.sum()), 1),
        accepted_share=b2.sum(0) / int(counts.b.sum()),
        utility=s["utility"],
        accuracy=s["accuracy"],
        coverage=s["coverage"],
        fp_share=s["fp_share"],
        k_opt=s["k_opt"],
        rising=s["rising"],
    )


def rerank_curves(
    cands: CandidateArrays,
    costs: Sequence[float],
    k_max: int | None = None,
    threshold: float = math.inf,
) -> Curves:
    """Draw k without replacement, submit the lowest-risk weak-passer drawn (if its risk < threshold).

    With a task's weak-passers sorted by risk w_1..w_b, w_i is submitted iff it is drawn and
    w_1..w_{i-1} are not: P = C(n-i, k-1) / C(n, k). Ties in risk are broken at random, which
    in expectation gives each tied position the group's mean correctness.
    """
    from scipy.special import gammaln

    counts = cands.counts
    counts.require_weak_passes()
    cost_arr = np.asarray(parse_costs(costs))
    k = k_grid(counts, k_max)
    sel = np.flatnonzero(cands.weak)
    task, risk = cands.task[sel], cands.risk[sel]
    good = cands.correct[sel].astype(float)
    order = np.lexsort((risk, task))
    task, risk, good = task[order], risk[order], good[order]
    # position i (1-based) within the task
    starts = np.flatnonzero(np.r_[True, task[1:] != task[:-1]])
    run = np.repeat(starts, np.diff(np.r_[starts, len(task)]))
    pos = np.arange(len(task)) - run + 1
    # ties: replace correctness by the mean within (task, risk) groups
    grp = np.cumsum(np.r_[True, (task[1:] != task[:-1]) | (risk[1:] != risk[:-1])]) - 1
    gmean = np.bincount(grp, weights=good) / np.bincount(grp)
    good = gmean[grp]
    eligible = (risk < threshold).astype(float)
    n = counts.n[task].astype(float)[:, None]
    kk = np.minimum(k[None, :].astype(float), n)
    rest = n - pos[:, None]
    feasible = kk - 1 <= rest
    safe = np.where(feasible, kk - 1, 0.0)
    # log C(n-i, k-1) - log C(n, k)
    logp = (
        gammaln(rest + 1)
        - gammaln(safe + 1)
        - gammaln(rest - safe + 1)
        - (gammaln(n + 1) - gammaln(kk + 1) - gammaln(n - kk + 1))
    )
    prob = np.where(feasible, np.exp(logp), 0.0) * eligible[:, None]  # (W, K)
    t = len(counts)
    acc_t = np.zeros((t, len(k)))
    cor_t = np.zeros((t, len(k)))
    acc_t[task[starts]] = np.add.reduceat(prob, starts, axis=0)
    cor_t[task[starts]] = np.add.reduceat(prob * good[:, None], starts, axis=0)
    s = _summaries(acc_t.mean(0), cor_t.mean(0), cost_arr, k, _exhausts(counts, k, False))
    # With the whole pool drawn, the task's lowest-risk weak-passer is the one submitted.
    top = eligible[starts] > 0
    return Curves(
        k=k,
        costs=tuple(float(x) for x in cost_arr),
        ceiling=float(good[starts][top].mean()) if top.any() else float("nan"),
        limit_accuracy=float(cor_t[:, -1].mean()),
        replacement=False,
        n_tasks=t,
        **s,
    )
