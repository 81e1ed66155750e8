"""Exact resampling maths against closed forms, brute force and the paper's Monte Carlo."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import InputError
from auditor.resampling import (
    CandidateArrays,
    TaskCounts,
    TwoTypeParams,
    curves,
    estimate_two_type,
    first_pass_buckets,
    parse_costs,
    rerank_curves,
    summarize_corpus,
    threshold_sweep,
    two_type_optimum,
    two_type_utility,
)
from auditor.types import Label, Outcome, Status

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ helpers


def make_labels(tasks: Sequence[tuple[int, int, int]]) -> list[Label]:
    """Labels for tasks given as (n, b, c): c correct, b - c false positives, rest rejected."""
    out = []
    for t, (n, b, c) in enumerate(tasks):
        for i in range(n):
            if i < c:
                weak, strong = Outcome.PASS, Outcome.PASS
            elif i < b:
                weak, strong = Outcome.PASS, Outcome.FAIL
            else:
                weak, strong = Outcome.FAIL, Outcome.FAIL
            out.append(
                Label(
                    f"T/{t}", str(i), f"{t}-{i}", weak, strong, Status.from_outcomes(weak, strong)
                )
            )
    return out


def monte_carlo(
    weak: Sequence[np.ndarray],
    plus: Sequence[np.ndarray],
    k_max: int,
    n_perm: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The paper's notebook simulation: shuffle, take the first weak pass, record its draw.

    Returns per-k task-mean accuracy and coverage, each with a (K,) array per permutation
    statistic; here (mean, standard error) stacked as shape (2, 2, K).
    """
    ks = np.arange(1, k_max + 1)
    acc_runs = np.zeros((n_perm, k_max))
    cov_runs = np.zeros((n_perm, k_max))
    for base, strong in zip(weak, plus, strict=True):
        for sim in range(n_perm):
            perm = rng.permutation(len(base))
            passing = np.flatnonzero(base[perm])
            if len(passing) == 0:
                continue
            first = passing[0] + 1
            hit = ks >= first
            cov_runs[sim] += hit
            if strong[perm[passing[0]]]:
                acc_runs[sim] += hit
    t = len(weak)
    acc_runs /= t
    cov_runs /= t
    se = math.sqrt(n_perm)
    return (
        np.stack([acc_runs.mean(0), acc_runs.std(0, ddof=1) / se]),
        np.stack([cov_runs.mean(0), cov_runs.std(0, ddof=1) / se]),
    )


def arrays(tasks: Sequence[tuple[int, int, int]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    weak, plus = [], []
    for n, b, c in tasks:
        weak.append(np.arange(n) < b)
        plus.append(np.arange(n) < c)
    return weak, plus


# ------------------------------------------------------------- closed forms


def test_no_weak_pass_never_answers() -> None:
    counts = TaskCounts.from_arrays([10, 5], [0, 5], [0, 5])
    cv = curves(counts, [1.0], k_max=12)
    # task 0 never answers, task 1 always answers correctly
    assert np.allclose(cv.coverage, 0.5)
    assert np.allclose(cv.accuracy, 0.5)
    assert cv.ceiling == 1.0  # only tasks with a weak pass count
    assert cv.limit_accuracy == 0.5


def test_all_weak_passes_correct_gives_ceiling_one() -> None:
    counts = TaskCounts.from_arrays([20, 7], [3, 7], [3, 7])
    cv = curves(counts, [0.5, 4.0], k_max=20)
    assert cv.ceiling == 1.0
    assert np.allclose(cv.fp_share, 0.0)
    # no false positives: utility equals accuracy whatever the cost
    assert np.allclose(cv.utility[0], cv.accuracy) and np.allclose(cv.utility[1], cv.accuracy)


def test_k_equal_n_exhausts_pool() -> None:
    counts = TaskCounts.from_arrays([8], [1], [0])
    cv = curves(counts, [1.0], k_max=12)
    # P(the one pass is among k of 8) = k/8, then flat once the pool is exhausted
    assert np.allclose(cv.coverage[:8], np.arange(1, 9) / 8)
    assert np.allclose(cv.coverage[7:], 1.0)
    assert np.allclose(cv.utility[0], -cv.coverage)
    assert cv.k_opt[0] == 0  # every answer is a false positive: abstain


def test_single_sample_tasks() -> None:
    counts = TaskCounts.from_arrays([1, 1, 1], [1, 1, 0], [1, 0, 0])
    cv = curves(counts, [2.0], k_max=3)
    assert np.allclose(cv.coverage, 2 / 3)
    assert np.allclose(cv.accuracy, 1 / 3)
    assert np.allclose(cv.utility, 1 / 3 - 2 / 3 * 1)
    assert cv.ceiling == 0.5


def test_hypergeometric_value_by_hand() -> None:
    counts = TaskCounts.from_arrays([10], [3], [2])
    cv = curves(counts, [1.0], k_max=3)
    no_pass = [7 / 10, 7 * 6 / (10 * 9), 7 * 6 * 5 / (10 * 9 * 8)]
    assert np.allclose(cv.coverage, 1 - np.array(no_pass))
    assert np.allclose(cv.accuracy, (1 - np.array(no_pass)) * 2 / 3)


def test_with_replacement_is_geometric() -> None:
    counts = TaskCounts.from_arrays([10], [3], [2])
    cv = curves(counts, [1.0], k_max=40, replacement=True)
    assert np.allclose(cv.coverage, 1 - 0.7 ** np.arange(1, 41))
    assert cv.rising[0]  # utility = (1 - 0.7^k)(2/3 - 1/3) keeps rising
    assert cv.k_opt[0] == 40


def test_k_opt_prefers_smallest_maximiser_and_flags_rising() -> None:
    # an easy task, a hard one with one correct sample and a hard one with one FP: at cost 1
    # the hard tasks' gains and losses cancel, so utility is flat after k = 1
    counts = TaskCounts.from_arrays([4, 4, 4], [4, 1, 1], [4, 1, 0])
    cv = curves(counts, [0.0, 1.0], k_max=6)
    assert cv.k_opt[0] == 4  # cost 0: more coverage never hurts; flat after the pool is exhausted
    assert not cv.rising[0]
    assert cv.k_opt[1] == 1


def test_large_pool_is_stable() -> None:
    counts = TaskCounts.from_arrays([5000], [2], [1])
    cv = curves(counts, [1.0], k_max=5000)
    assert np.isclose(cv.coverage[-1], 1.0)
    assert np.all(np.diff(cv.coverage) >= -1e-12)
    assert np.isclose(cv.coverage[0], 2 / 5000)


# ------------------------------------------------------------- properties

task_strategy = st.tuples(st.integers(1, 8), st.integers(0, 8), st.integers(0, 8)).map(
    lambda t: (t[0], min(t[1], t[0]), min(t[2], t[1], t[0]))
)
corpus_strategy = st.lists(task_strategy, min_size=1, max_size=5).filter(
    lambda ts: any(b > 0 for _, b, _ in ts)
)


# derandomized: a sampling check at 4 standard errors, so CI runs must not flake
@settings(max_examples=25, deadline=None, derandomize=True)
@given(corpus_strategy, st.integers(0, 2**32 - 1))
def test_exact_matches_monte_carlo(tasks: list[tuple[int, int, int]], seed: int) -> None:
    counts = TaskCounts.from_arrays(*zip(*tasks, strict=True))
    k_max = 10
    cv = curves(counts, [1.0], k_max=k_max)
    weak, plus = arrays(tasks)
    acc, cov = monte_carlo(weak, plus, k_max, 400, np.random.default_rng(seed))
    # 4 standard errors (plus a floor for zero-variance points) over 10 k and 25 examples
    assert np.all(np.abs(cv.accuracy - acc[0]) <= 4 * acc[1] + 1e-9)
    assert np.all(np.abs(cv.coverage - cov[0]) <= 4 * cov[1] + 1e-9)


@settings(max_examples=40, deadline=None)
@given(corpus_strategy, st.lists(st.floats(0, 50), min_size=2, max_size=5), st.booleans())
def test_utility_non_increasing_in_cost(
    tasks: list[tuple[int, int, int]], costs: list[float], replacement: bool
) -> None:
    costs = sorted(costs)
    cv = curves(TaskCounts.from_arrays(*zip(*tasks, strict=True)), costs, 12, replacement)
    assert np.all(np.diff(cv.utility, axis=0) <= 1e-12)
    kopt = cv.k_opt
    assert np.all(np.diff(kopt) <= 0)  # a dearer false positive never asks for more draws


@settings(max_examples=40, deadline=None)
@given(corpus_strategy, st.booleans())
def test_coverage_monotone_in_k(tasks: list[tuple[int, int, int]], replacement: bool) -> None:
    cv = curves(TaskCounts.from_arrays(*zip(*tasks, strict=True)), [1.0], 15, replacement)
    assert np.all(np.diff(cv.coverage) >= -1e-12)
    assert np.all(np.diff(cv.accuracy) >= -1e-12)
    assert np.all((cv.coverage >= 0) & (cv.coverage <= 1 + 1e-12))


@settings(max_examples=30, deadline=None)
@given(corpus_strategy)
def test_replacement_covers_less_than_pool(tasks: list[tuple[int, int, int]]) -> None:
    counts = TaskCounts.from_arrays(*zip(*tasks, strict=True))
    pool = curves(counts, [1.0], 10, replacement=False)
    iid = curves(counts, [1.0], 10, replacement=True)
    assert np.all(iid.coverage <= pool.coverage + 1e-12)
    assert np.allclose(iid.coverage[0], pool.coverage[0])


def test_first_pass_buckets_match_monte_carlo() -> None:
    tasks = [(16, 1, 0), (16, 8, 7), (16, 2, 1), (16, 16, 15)]
    counts = TaskCounts.from_arrays(*zip(*tasks, strict=True))
    bk = first_pass_buckets(counts, k_max=16)
    assert bk.labels() == ["1", "2-3", "4-7", "8-15", "16"]
    assert np.isclose(bk.mass.sum(), 4.0)  # every task passes within 16 draws
    rng = np.random.default_rng(0)
    weak, plus = arrays(tasks)
    hits = np.zeros(len(bk.lo))
    fps = np.zeros(len(bk.lo))
    n_perm = 3000
    for base, strong in zip(weak, plus, strict=True):
        for _ in range(n_perm):
            perm = rng.permutation(len(base))
            first = int(np.flatnonzero(base[perm])[0])
            j = int(np.floor(np.log2(first + 1)))
            hits[j] += 1
            fps[j] += not strong[perm[first]]
    assert np.allclose(bk.mass, hits / n_perm, atol=0.05)
    mc = fps / hits
    se = np.sqrt(mc * (1 - mc) / hits)
    assert np.all(np.abs(bk.fp_rate - mc) <= 4 * se + 0.01)
    # late first passes come from hard tasks with bad c/b
    assert bk.fp_rate[-1] > bk.fp_rate[0]


# ----------------------------------------------------------- bootstrap


def test_summary_ci_brackets_estimate_and_is_reproducible() -> None:
    rng_tasks = np.random.default_rng(1)
    n = np.full(40, 20)
    b = rng_tasks.integers(0, 21, 40)
    c = (b * rng_tasks.uniform(0.3, 1, 40)).astype(int)
    counts = TaskCounts.from_arrays(n, b, c)
    a = summarize_corpus(counts, [1.0, 4.0], rng=np.random.default_rng(7), n_boot=300)
    again = summarize_corpus(counts, [1.0, 4.0], rng=np.random.default_rng(7), n_boot=300)
    assert a.to_json() == again.to_json()
    for est in (a.pass1, a.weak_pass1, a.ceiling, a.fp_share, *a.k_opt):
        assert est.lo <= est.value + 1e-9 and est.value <= est.hi + 1e-9
    assert np.isclose(a.pass1.value, np.mean(c / n))
    assert a.pass1.hi > a.pass1.lo  # a real interval, not a point


# ----------------------------------------------------------- two-type model


def test_two_type_worked_example() -> None:
    """PAPER.md: Llama 3.1 8B, k_opt = 3 / 2 / 1 at ratios 0.7 / 1 / 2."""
    params = TwoTypeParams(p1=0.56, r1=0.874, r2=0.138, s=0.752)
    assert [two_type_optimum(params, c).k_opt for c in (0.7, 1.0, 2.0)] == [3, 2, 1]
    # below r2 / ((1 - r2)(1 - s)) ~= 0.6455 every draw has positive value
    assert math.isclose(params.boundary(2), 0.138 / (0.862 * 0.248))
    low = two_type_optimum(params, 0.6)
    assert low.keep_sampling and low.k_opt is None
    assert not two_type_optimum(params, 0.65).keep_sampling


def test_two_type_utility_by_hand() -> None:
    params = TwoTypeParams(p1=0.56, r1=0.874, r2=0.138, s=0.752)
    # hand: per-draw value a_i = r_i - cost (1 - r_i)(1 - s), reach beta_i^(k-1), beta_i = s (1 - r_i)
    b1, b2 = 0.752 * 0.126, 0.752 * 0.862
    a1, a2 = 0.874 - 0.126 * 0.248, 0.138 - 0.862 * 0.248
    u = [sum(0.56 * a1 * b1**j + 0.44 * a2 * b2**j for j in range(k)) for k in range(1, 6)]
    assert np.allclose(two_type_utility(params, [1.0], np.arange(1, 6))[0], u)
    # the analytic k_opt agrees with a brute-force argmax over a long grid
    for cost in (0.7, 0.9, 1.0, 1.5, 2.0, 3.0, 8.0):
        grid = two_type_utility(params, [cost], np.arange(1, 400))[0]
        brute = int(np.argmax(np.r_[0.0, grid]))
        assert two_type_optimum(params, cost).k_opt == brute


def test_two_type_keep_sampling_is_not_a_noise_k() -> None:
    # Near the boundary the increments underflow float resolution; the answer must stay "keep".
    params = TwoTypeParams(p1=0.9, r1=0.95, r2=0.2, s=0.999)
    opt = two_type_optimum(params, params.boundary(2) * 0.999)
    assert opt.keep_sampling


def test_estimate_two_type_by_hand() -> None:
    # 2 easy tasks (pass@1 0.8, 0.6) and 2 hard (0.2, 0.0)
    counts = TaskCounts.from_arrays([10, 10, 10, 10], [9, 8, 5, 2], [8, 6, 2, 0])
    p = estimate_two_type(counts)
    assert p.p1 == 0.5 and math.isclose(p.r1, 0.7) and math.isclose(p.r2, 0.1)
    big_b = np.mean([0.9, 0.8, 0.5, 0.2])
    big_p = 0.4
    big_c = np.mean([8 / 9, 6 / 8, 2 / 5, 0.0])
    assert math.isclose(p.s, (1 - big_b - big_p + big_c * big_b) / (1 - big_p))


# ------------------------------------------------------ auditor as verifier


def _cands(tasks: list[tuple[int, int, int]], risks: list[list[float]]) -> CandidateArrays:
    labels = make_labels(tasks)
    scores = {(f"T/{t}", str(i)): r for t, rs in enumerate(risks) for i, r in enumerate(rs)}
    return CandidateArrays.from_labels(labels, scores)


def test_threshold_sweep_changes_counts() -> None:
    # task 0: 2 correct (risk .1 .2), 2 FP (risk .8 .9); task 1: 1 correct (.6), 1 FP (.3)
    cands = _cands([(6, 4, 2), (4, 2, 1)], [[0.1, 0.2, 0.8, 0.9, 0, 0], [0.6, 0.3, 0, 0]])
    sw = threshold_sweep(cands, [math.inf, 0.5, 0.05], [1.0], k_max=6)
    base = curves(cands.counts, [1.0], k_max=6)
    assert np.allclose(sw.utility[0], base.utility)
    assert np.isclose(sw.ceiling[0], base.ceiling)
    # threshold .5: task 0 keeps its 2 correct, task 1 keeps only the FP
    assert np.isclose(sw.ceiling[1], (1.0 + 0.0) / 2)
    assert np.isclose(sw.correct_lost[1], 1 / 3)
    assert np.isclose(sw.tasks_lost[1], 1 / 2)
    # threshold .05: nothing accepted
    assert math.isnan(sw.ceiling[2]) and np.allclose(sw.coverage[2], 0.0)
    assert sw.k_opt[2, 0] == 0


def _rerank_brute(n: int, weak: np.ndarray, good: np.ndarray, risk: np.ndarray, k: int) -> float:
    total, count = 0.0, 0
    for drawn in itertools.combinations(range(n), k):
        passers = [i for i in drawn if weak[i]]
        count += 1
        if passers:
            best = min(risk[i] for i in passers)
            tied = [i for i in passers if risk[i] == best]
            total += np.mean([good[i] for i in tied])
    return total / count


def test_rerank_matches_enumeration_with_ties() -> None:
    risks = [[0.5, 0.2, 0.2, 0.9, 0.1, 0.3, 0.0], [0.4, 0.1, 0.7, 0.0]]
    tasks = [(7, 5, 2), (4, 3, 1)]
    cands = _cands(tasks, risks)
    cv = rerank_curves(cands, [1.0], k_max=7)
    for k in range(1, 8):
        want = []
        for (n, b, c), rs in zip(tasks, risks, strict=True):
            weak, good = np.arange(n) < b, np.arange(n) < c
            want.append(_rerank_brute(n, weak, good, np.array(rs), min(k, n)))
        assert np.isclose(cv.accuracy[k - 1], np.mean(want)), k
    # coverage of the re-rank equals draw-until-pass coverage (some weak-passer drawn)
    assert np.allclose(cv.coverage, curves(cands.counts, [1.0], k_max=7).coverage)
    # whole pool drawn: task 0 submits its risk-0.1 FP... and task 1 its risk-0.1 FP
    assert np.isclose(cv.ceiling, 0.0)


def test_rerank_with_threshold_hockey_stick() -> None:
    cands = _cands([(9, 6, 3)], [[0.1, 0.5, 0.9, 0.2, 0.6, 0.95, 0, 0, 0]])
    cv = rerank_curves(cands, [1.0], k_max=9, threshold=0.55)
    # eligible weak-passers: risks .1 .2 .5 -> b' = 3; coverage = 1 - C(6,k)/C(9,k)
    want = [1 - math.comb(6, k) / math.comb(9, k) for k in range(1, 10)]
    assert np.allclose(cv.coverage, want)


def test_missing_scores_is_an_input_error() -> None:
    with pytest.raises(InputError, match="risk scores missing for 1"):
        CandidateArrays.from_labels(make_labels([(2, 1, 1)]), {})


# ------------------------------------------------------------- bad input


def test_empty_corpus() -> None:
    with pytest.raises(InputError, match="empty corpus"):
        TaskCounts.from_labels([])


def test_no_weak_passes() -> None:
    counts = TaskCounts.from_labels(make_labels([(3, 0, 0), (2, 0, 0)]))
    with pytest.raises(InputError, match="no candidate passes the weak tests"):
        curves(counts, [1.0])


@pytest.mark.parametrize("costs", ["-1", "1,abc", "", "nan", "1,inf", [None]])
def test_bad_costs(costs: object) -> None:
    with pytest.raises(InputError, match="cost ratio"):
        parse_costs(costs)  # type: ignore[arg-type]


def test_good_costs() -> None:
    assert parse_costs("0.5, 1,2,4") == (0.5, 1.0, 2.0, 4.0)
    assert parse_costs([0, 8]) == (0.0, 8.0)


def test_inconsistent_counts() -> None:
    with pytest.raises(InputError, match="0 <= c <= b <= n"):
        TaskCounts.from_arrays([3], [4], [0])


def test_from_labels_counts() -> None:
    counts = TaskCounts.from_labels(make_labels([(5, 3, 1), (2, 2, 2)]))
    assert counts.task_ids == ("T/0", "T/1")
    assert (
        counts.n.tolist() == [5, 2] and counts.b.tolist() == [3, 2] and counts.c.tolist() == [1, 2]
    )


# -------------------------------------------------------------- integration


def _real_label_files() -> list[Path]:
    return sorted((REPO / "corpora" / "labels").glob("*/labels.jsonl"))


@pytest.mark.integration
@pytest.mark.parametrize("path", _real_label_files() or [None])
def test_monte_carlo_agrees_on_real_labels(path: Path | None) -> None:
    if path is None:
        pytest.skip("no derived labels under corpora/labels yet")
    from auditor.corpus.labels import read_labels

    labels = read_labels(path)
    counts = TaskCounts.from_labels(labels)
    k_max = 64
    cv = curves(counts, [1.0], k_max=k_max)
    weak: dict[str, list[bool]] = {}
    plus: dict[str, list[bool]] = {}
    for lb in labels:
        weak.setdefault(lb.task_id, []).append(lb.weak_status is Outcome.PASS)
        plus.setdefault(lb.task_id, []).append(lb.status is Status.CORRECT)
    ids = list(counts.task_ids)
    acc, cov = monte_carlo(
        [np.array(weak[t]) for t in ids],
        [np.array(plus[t]) for t in ids],
        k_max,
        500,
        np.random.default_rng(0),
    )
    # compare at k = 1, 2, 4, ..., 64 (neighbouring k share permutations, so they are not
    # independent checks); the seed is fixed, so the outcome is deterministic for given labels
    at = 2 ** np.arange(7) - 1
    assert np.all(np.abs(cv.accuracy - acc[0])[at] <= 3 * acc[1][at] + 1e-9)
    assert np.all(np.abs(cv.coverage - cov[0])[at] <= 3 * cov[1][at] + 1e-9)


# ------------------------------------------------------------------ `auditor curves`


def _write_labels(path: Path, tasks: list[tuple[int, int, int]]) -> list[Label]:
    import json

    labels = make_labels(tasks)
    path.write_text("".join(json.dumps(lb.to_json()) + "\n" for lb in labels), encoding="utf-8")
    return labels


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from auditor.cli import main

    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_curves_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    tasks = [(10, 3, 2), (10, 0, 0), (10, 10, 9)]
    _write_labels(tmp_path / "labels.jsonl", tasks)
    code, out, _ = _run_cli(
        ["curves", str(tmp_path), "--cost", "0.5,2", "--k-max", "12", "--format", "json"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    want = curves(TaskCounts.from_arrays(*zip(*tasks, strict=True)), [0.5, 2.0], k_max=12)
    assert doc["ceiling"] == pytest.approx(want.ceiling)
    assert [c["cost"] for c in doc["costs"]] == [0.5, 2.0]
    for i, entry in enumerate(doc["costs"]):
        assert entry["k"] == list(range(1, 13))
        assert entry["utility"] == pytest.approx(want.utility[i].tolist())
        assert entry["accuracy"] == pytest.approx(want.accuracy.tolist())
        assert entry["fp_share"] == pytest.approx(want.fp_share.tolist())
        assert entry["k_opt"] == int(want.k_opt[i])


def test_curves_cli_with_scores_csv_and_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    labels = _write_labels(tmp_path / "labels.jsonl", [(6, 4, 2), (4, 2, 1)])
    scores = tmp_path / "scores.csv"
    rows = ["task_id,sample_id,risk"] + [
        f"{lb.task_id},{lb.sample_id},{0.9 if lb.status is Status.FALSE_POSITIVE else 0.1}"
        for lb in labels
    ]
    scores.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["curves", str(tmp_path / "labels.jsonl"), "--scores", str(scores), "--cost", "1"]
    code, out, _ = _run_cli([*args, "--thresholds", "0.5", "--format", "csv"], capsys)
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    policies = {r["policy"] for r in table}
    assert policies == {"first_pass", "auditor_filter", "auditor_rerank"}
    # a perfect auditor filters every false positive away
    assert all(float(r["fp_share"]) == 0 for r in table if r["policy"] == "auditor_filter")
    code, out, _ = _run_cli([*args, "--format", "text"], capsys)
    assert code == 0 and "auditor as a second verifier" in out and "re-rank" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cost", "-1"], "cost ratio '-1' must be"),
        (["--cost", "x"], "cost ratio 'x' is not a number"),
        (["--k-max", "0"], "--k-max must be >= 1"),
        (["--thresholds", "nan"], "threshold 'nan' must be a number in [0, 1]"),
        (["--thresholds", "0.5,-1"], "threshold '-1' must be"),
        (["--thresholds", "inf"], "threshold 'inf' must be"),
        (["--thresholds", "2"], "threshold '2' must be"),
        (["--thresholds", "x"], "threshold 'x' is not a number"),
        (["--thresholds", "0.5"], "--thresholds needs --scores"),  # was silently ignored
    ],
)
def test_curves_cli_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    _write_labels(tmp_path / "labels.jsonl", [(3, 1, 1)])
    code, _, err = _run_cli(["curves", str(tmp_path), *extra], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_curves_cli_no_weak_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_labels(tmp_path / "labels.jsonl", [(3, 0, 0)])
    code, _, err = _run_cli(["curves", str(tmp_path)], capsys)
    assert code == 2 and "no candidate passes the weak tests" in err


def test_interrupt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    _write_labels(tmp_path / "labels.jsonl", [(3, 1, 1)])
    monkeypatch.setattr("auditor.cli.curves.compute", interrupted)
    code, _, err = _run_cli(["curves", str(tmp_path)], capsys)
    assert code == 130 and err.strip() == "auditor: interrupted"


def test_read_scores_errors(tmp_path: Path) -> None:
    from auditor.study.scores import read_scores

    bad = tmp_path / "s.jsonl"
    bad.write_text('{"task_id": "a", "sample_id": 1, "risk": 0.5}\n{"task_id": "a"}\n')
    with pytest.raises(InputError, match=r"s.jsonl:2: expected an object"):
        read_scores(bad)
    bad.write_text('{"task_id": "a", "sample_id": 1, "risk": "high"}\n')
    with pytest.raises(InputError, match="not a number"):
        read_scores(bad)
    csv_file = tmp_path / "s.csv"
    csv_file.write_text("task_id,risk\na,1\n")
    with pytest.raises(InputError, match="lacks sample_id"):
        read_scores(csv_file)
    good = tmp_path / "g.jsonl"
    good.write_text('{"task_id": "a", "sample_id": 1, "risk": 0.5}\n\n')
    assert read_scores(good) == {("a", "1"): 0.5}


def test_read_scores_from_check_json(tmp_path: Path) -> None:
    import json

    from auditor.study.scores import read_scores

    doc = {
        "schema": "auditor.check/1",
        "candidates": [
            {"task_id": "a", "sample_id": "0", "risk": 0.25, "findings": []},
            {"task_id": "a", "sample_id": "1", "risk": None, "findings": []},
        ],
    }
    f = tmp_path / "check.json"
    f.write_text(json.dumps(doc))
    assert read_scores(f) == {("a", "0"): 0.25}
    f.write_text(json.dumps({"results": []}))
    with pytest.raises(InputError, match="candidates"):
        read_scores(f)


@pytest.mark.parametrize("replacement", [False, True])
def test_first_pass_buckets_certain_pass(replacement: bool) -> None:
    # every sample passes: the first pass is always draw 1
    bk = first_pass_buckets(TaskCounts.from_arrays([5, 4], [5, 4], [5, 1]), 8, replacement)
    assert np.allclose(bk.mass, [2, 0, 0, 0])
    assert np.isclose(bk.fp_rate[0], (0 + 3 / 4) / 2)
    assert np.all(np.isnan(bk.fp_rate[1:]))


def test_curves_text_keeps_huge_utilities_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cost ratio of 1e308 printed 300-digit utilities (QA s24): past the column's width
    they are in exponent notation, and ordinary ones keep 4 decimals."""
    _write_labels(tmp_path / "labels.jsonl", [(6, 4, 2), (4, 2, 1)])
    code, out, _ = _run_cli(["curves", str(tmp_path / "labels.jsonl"), "--cost", "1e308,1"], capsys)
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert code == 0 and rows and max(len(r[-1]) for r in rows) <= len("-2.917e+307")
    assert any("e+" in r[-1] for r in rows) and any(len(r[-1].split(".")[-1]) == 4 for r in rows)
