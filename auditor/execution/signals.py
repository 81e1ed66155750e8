"""Execution signals of one task's candidates: consensus over amplified inputs, and solo.

`peer_outputs` amplifies the weak inputs, runs every distinct program on them, spends the
guided budget around the inputs that split the peers, and applies the run-time validity
filter (inputs on which most peers crash are dropped); the wide inputs (outside the domain
the weak inputs imply, `amplify.wide`) ride in the same run and are kept apart.
`task_features` turns that into the consensus columns and, per candidate, runs the harness
for the solo columns; `property_rows` checks the outputs against the properties of the weak
tests (`properties`). Only the weak inputs, their expected outputs and the candidates are
used: never `plus_input`, never a reference's output on a generated input.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from auditor.behavior.agreement import is_crash
from auditor.execution import consensus, properties, solo
from auditor.execution.amplify import Budget, amplify, guided, wide
from auditor.execution.consensus import Vector, consensus_features, splitting_inputs
from auditor.execution.harness import (
    ENTRY,
    coverage_queries,
    hang_queries,
    harness_program,
    mutant_queries,
)
from auditor.execution.harvest import Harvest
from auditor.execution.mutants import mutants, with_canaries
from auditor.execution.runner import ExecRunner, Limits
from auditor.sandbox.spec import dataset_of
from auditor.types import Task

PEER_COLUMNS = tuple(c for c in consensus.COLUMNS if c != "exec.crash_rate")
SOLO_COLUMNS = solo.COLUMNS
# Cluster-level evidence: the mean of a solo signal over the candidate's cluster (the peers
# with its exact output vector, itself included): a plurality that special-cases shows it.
CLUSTER_OF = {
    "exec.cluster_survival": "exec.mutant_survival",
    "exec.cluster_missed": "exec.missed_share",
}
COLUMNS: tuple[str, ...] = (*PEER_COLUMNS, *SOLO_COLUMNS, *CLUSTER_OF, *properties.COLUMNS)


@dataclass(frozen=True)
class ExecConfig:
    """Budgets and limits of the execution signals (defaults used by the measurements)."""

    budget: Budget = field(default_factory=Budget)
    seed: int = 0
    crash_majority: float = 0.5  # drop an input when more than this share of peers crash
    pilots: int = 4  # peers run first to find inputs too slow for them
    max_base: int = 8  # weak inputs used by the harness (coverage, mutants)
    n_mutants: int = 12
    n_type_inputs: int = 24
    property_pairs: int = 40  # weak pairs the properties are mined from (more: fewer flukes)
    # CPU seconds. Correct programs take milliseconds on inputs of the weak tests' size;
    # what runs longer is mostly a hang (gcd(0, x) by subtraction) or a naive algorithm on
    # a grown input, and every program pays the limit on each such input: keep it short.
    # Timing: most calls take microseconds, where one timing is mostly noise; a quick
    # program's inputs are timed 4 times more and the least time kept (exec.slowdown).
    # A program that hung once gets 20 ms per input after (`Limits.after_timeout_s`): hangs
    # come in runs, and took 29 of 68 CPU s probing CodeGen-16B's first 40 tasks without it.
    limits: Limits = field(
        default_factory=lambda: Limits(0.1, 1.5, repeats=4, after_timeout_s=0.02)
    )
    # Tracing slows the candidate's weak-input runs several times: a looser per-input limit.
    harness_limits: Limits = field(default_factory=lambda: Limits(0.3, 6.0))
    # Mutants often hang (x //= b -> x *= b); one slower than this on a weak input counts as
    # killed, which a weak test with a time limit would do too.
    mutant_limits: Limits = field(default_factory=lambda: Limits(0.05, 4.0))
    # One output cluster's representative on the kept inputs, checked against the properties.
    property_limits: Limits = field(default_factory=lambda: Limits(0.1, 1.5, after_timeout_s=0.02))


@dataclass(frozen=True)
class PeerRun:
    """Kept inputs (after the validity filter), their origins and each program's outputs;
    the wide inputs' outputs are kept apart (`wide`)."""

    inputs: tuple[tuple[Any, ...], ...]
    origin: tuple[str, ...]
    vectors: tuple[Vector | None, ...]
    dropped: int  # inputs dropped as too slow or because most peers crashed
    # per program, each kept input's time (NaN: timed out or never reported); None where the
    # vector is None or the sandbox backend measured no times
    times: tuple[tuple[float, ...] | None, ...] = ()
    # per program, its outputs on the kept wide inputs (`amplify.wide`), apart from `vectors`
    wide: tuple[Vector | None, ...] = ()
    # per program, the kernel's CPU seconds over its runs (NaN: not measured), which the
    # program cannot misreport, unlike `times` (`consensus.slowdown` bounds one by the other)
    cpu: tuple[float, ...] = ()


def decode_inputs(task: Task, inputs: Sequence[Any]) -> list[Any] | None:
    """Inputs as the entry point receives them (MBPP+ tuples, sets); None if one fails."""
    from auditor.sandbox._worker import deserialize_inputs

    out = []
    for inp in inputs:
        try:
            decoded: list[Any] = deserialize_inputs(dataset_of(task), task.task_id, [list(inp)])
            out.append(decoded[0])
        except Exception:  # a malformed input of the task itself: no harness for it
            return None
    return out


def _valid(vectors: Sequence[Vector | None], peers: Sequence[bool], share: float) -> list[int]:
    """Inputs on which at most `share` of the peers (with outputs) crashed."""
    vecs = [v for v, p in zip(vectors, peers, strict=True) if p and v is not None]
    if not vecs:
        return []
    n = len(vecs[0])
    if len(vecs) < 3:
        return list(range(n))
    return [j for j in range(n) if np.mean([is_crash(v[j]) for v in vecs]) <= share]


def _pilot(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    cfg: ExecConfig,
    inputs: Sequence[Any],
) -> list[int]:
    """Inputs on which at most half of the peers hang (time out or die), as far as it takes
    to tell: the rest are dropped before the main run, where every program would pay its
    per-input limit on them.

    The first `cfg.pilots` peers run first, on every input; what most of them answer is
    kept. An input most pilots hang on is dropped when most of a second group hangs on it
    too, as many peers spread over the rest of the file; where the two groups disagree,
    the other peers run on it, group by group, until most of ALL the peers are seen to
    hang on it or not. Those runs only tell hangs from answers (the main run's limits, no
    timing passes; a shorter limit would count a slowish right program as hanging where a
    wrong one chose to hang on the inputs slow for everyone). The pilots alone decided until
    session 23: three wrong programs first in the samples file (3 of the 4 pilots, 3 of 10
    peers) hanging exactly where they are wrong -- gcd by subtraction on gcd(0, x) -- had
    those inputs dropped and joined the correct cluster (red team s23, A1; s19 had the same
    with one pilot)."""
    order = [i for i, p in enumerate(peers) if p]
    if len(codes) <= cfg.pilots or not order:  # as cheap to run them all
        return list(range(len(inputs)))
    ds = dataset_of(task)
    confirm = replace(cfg.limits, repeats=0)  # the main run's limits, no timing passes
    slow, ran = [0] * len(inputs), [0] * len(inputs)
    todo = list(range(len(inputs)))
    seen = 0
    for k, group in enumerate(_pilot_groups(order, cfg.pilots)):
        # the pilots get the main run's inputs and limits: when none is dropped, the main
        # run reuses their runs from the cache
        got = run.run(ds, task.task_id, task.entry_point, [codes[i] for i in group],
                      [inputs[j] for j in todo], cfg.limits if k == 0 else confirm)  # fmt: skip
        vecs = [v for v in got if v is not None]
        hung = [sum(v[n] in ("timeout", "died") for v in vecs) for n in range(len(todo))]
        for n, j in enumerate(todo):
            slow[j], ran[j] = slow[j] + hung[n], ran[j] + len(vecs)
        seen += len(group)
        left = len(order) - seen  # peers not run yet
        todo = [
            j
            for n, j in enumerate(todo)
            if 2 * slow[j] > ran[j]  # most so far hang on it
            and 2 * slow[j] <= ran[j] + left  # but not yet most of all the peers
            and not (k == 1 and 2 * hung[n] > len(vecs))  # the second group agreed
        ]
        if not todo:
            break
    return [j for j in range(len(inputs)) if 2 * slow[j] <= ran[j]]


def _pilot_groups(order: Sequence[int], size: int) -> Iterator[list[int]]:
    """The pilots (the first `size` of `order`), then `size` of the others spread over the
    rest of the file, then the others in order, `size` at a time."""
    pilots, rest = list(order[:size]), list(order[size:])
    yield pilots
    if not rest:
        return
    step = (len(rest) - 1) / max(1, size - 1)
    second = sorted({rest[round(k * step)] for k in range(min(size, len(rest)))})
    yield second
    others = [i for i in rest if i not in set(second)]
    for start in range(0, len(others), size):
        yield others[start : start + size]


def peer_outputs(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    cfg: ExecConfig,
    *,
    until: float | None = None,
) -> PeerRun:
    """Amplify, run every program, add guided inputs around splits, filter (see module doc).

    The wide inputs ride in the same run as the in-domain ones (one child per program) and
    are split off after it. The guided round is skipped once `until` (a `time.monotonic()`
    deadline) has passed."""
    amp = amplify(task.task_id, task.base_input, prompt=task.prompt,
                  entry_point=task.entry_point, budget=cfg.budget, seed=cfg.seed)  # fmt: skip
    outside = wide(task.task_id, task.base_input, prompt=task.prompt,
                   entry_point=task.entry_point, n=cfg.budget.wide, seed=cfg.seed)  # fmt: skip
    both = (*amp.inputs, *outside)
    fast = _pilot(run, task, codes, peers, cfg, both)
    n_in = sum(j < len(amp.inputs) for j in fast)
    inputs, origin = [both[j] for j in fast[:n_in]], [amp.origin[j] for j in fast[:n_in]]
    vectors, times, cpu = _run_timed(run, task, codes, [both[j] for j in fast], cfg.limits)
    wide_vecs = [None if v is None else v[n_in:] for v in vectors]
    vectors, times = _head(vectors, n_in), _head(times, n_in)
    late = until is not None and time.monotonic() >= until
    split = [] if late else splitting_inputs(vectors, peers)
    extra = _guided_inputs(run, task, codes, peers, cfg, [inputs[j] for j in split], amp.inputs)
    if extra:
        more, more_times, more_cpu = _run_timed(run, task, codes, extra, cfg.limits)
        vectors, times = _joined(vectors, more), _joined(times, more_times)
        cpu = [a + b for a, b in zip(cpu, more_cpu, strict=True)]
        inputs += extra
        origin += ["guided"] * len(extra)
    keep = _valid(vectors, peers, cfg.crash_majority)
    kept_times = [None if t is None or v is None else tuple(t[j] for j in keep)
                  for t, v in zip(times, vectors, strict=True)]  # fmt: skip
    keep_wide = _valid(wide_vecs, peers, cfg.crash_majority)
    return PeerRun(
        tuple(inputs[j] for j in keep),
        tuple(origin[j] for j in keep),
        _columns(vectors, keep),
        len(both) + len(extra) - len(keep) - len(keep_wide),
        tuple(kept_times),
        _columns(wide_vecs, keep_wide),
        tuple(cpu),
    )


def _run_timed(
    run: ExecRunner, task: Task, codes: Sequence[str], inputs: Sequence[Any], limits: Limits
) -> tuple[list[Vector | None], list[tuple[float, ...] | None], list[float]]:
    """Every program's outputs on the inputs, the per-input times of that run (the
    program's report) and its CPU seconds (the kernel's)."""
    ds = dataset_of(task)
    args = (ds, task.task_id, task.entry_point, codes, inputs, limits)
    return run.run(*args), run.times(*args), run.cpu(*args)


def _guided_inputs(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    cfg: ExecConfig,
    splitting: Sequence[Any],
    known: Sequence[Any],
) -> tuple[Any, ...]:
    """The guided budget's new inputs around the splitting ones, less those too slow for the
    pilots (empty when nothing splits the peers)."""
    extra = guided(task.task_id, splitting, task.base_input, known, n=cfg.budget.guided,
                   seed=cfg.seed)  # fmt: skip
    if not extra:
        return ()
    return tuple(extra[j] for j in _pilot(run, task, codes, peers, cfg, extra))


def _columns(vectors: Sequence[Vector | None], keep: Sequence[int]) -> tuple[Vector | None, ...]:
    return tuple(None if v is None else tuple(v[j] for j in keep) for v in vectors)


_T = TypeVar("_T")


def _joined(
    first: Sequence[tuple[_T, ...] | None], second: Sequence[tuple[_T, ...] | None]
) -> list[tuple[_T, ...] | None]:
    """Per program, its results on two input lists end to end (None if either is None)."""
    return [None if a is None or b is None else a + b for a, b in zip(first, second, strict=True)]


def _head(rows: Sequence[tuple[_T, ...] | None], n: int) -> list[tuple[_T, ...] | None]:
    """Per program, the first `n` entries (None stays None)."""
    return [None if r is None else r[:n] for r in rows]


def peer_block(pr: PeerRun, peers: Sequence[bool], cfg: ExecConfig) -> np.ndarray:
    """The consensus columns (`consensus.COLUMNS`) of a peer run, slowdown included."""
    times = pr.times or None
    return consensus_features(pr.vectors, peers, times, cfg.limits.per_input_s, pr.wide or None,
                              pr.cpu or None)  # fmt: skip


@dataclass(frozen=True)
class SoloRows:
    """len(codes) x SOLO_COLUMNS, and per code what its canaries caught (`solo.tamper_evidence`)."""

    values: np.ndarray
    tampered: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Plan:
    """One candidate's harness program: its code map, the mutants it runs (the canaries at
    `slots` among them)."""

    cmap: solo.CodeMap
    program: str
    slots: tuple[int, ...]
    n_mutants: int


def _plan(code: str, entry_point: str, cfg: ExecConfig) -> _Plan | None:
    """The harness plan of one candidate (None when it does not parse)."""
    cmap = solo.code_map(code)
    if cmap is None:
        return None
    real = mutants(code, max_n=cfg.n_mutants, seed=cfg.seed)
    muts, slots = with_canaries(code, entry_point, real, seed=cfg.seed)
    return _Plan(cmap, harness_program(code, entry_point, muts), slots, len(muts))


def solo_rows(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    amplified: Sequence[Sequence[Any]],
    cfg: ExecConfig,
) -> SoloRows:
    """The solo columns and the canaries' findings from one harness run per program."""
    out = np.full((len(codes), len(SOLO_COLUMNS)), np.nan)
    tampered: list[tuple[str, ...]] = [()] * len(codes)
    base = [b for b in task.base_input if isinstance(b, list | tuple)][: cfg.max_base]
    step = max(1, len(amplified) // max(1, cfg.n_type_inputs))
    amp = list(amplified)[::step][: cfg.n_type_inputs]
    base_d, amp_d = decode_inputs(task, base), decode_inputs(task, amp)
    if base_d is None or amp_d is None or not base_d:
        return SoloRows(out, tuple(tampered))
    plans = [_plan(code, task.entry_point, cfg) for code in codes]
    ready = [(i, p) for i, p in enumerate(plans) if p is not None]
    hid = f"exec:{task.task_id}"
    cov_jobs = [(p.program, coverage_queries(base_d, p.cmap.asked, amp_d)) for _, p in ready]
    cov = run.run_each("harness", hid, ENTRY, cov_jobs, cfg.harness_limits)
    mut_jobs = [(p.program, mutant_queries(base_d, p.n_mutants)) for _, p in ready if p.n_mutants]
    mut = iter(run.run_each("harness", hid, ENTRY, mut_jobs, cfg.mutant_limits))
    suspects: dict[int, tuple[tuple[int, int], ...]] = {}
    for (i, p), c in zip(ready, cov, strict=True):
        answers = solo.Answers(c, next(mut) if p.n_mutants else None)
        asked = solo.Asked(p.cmap, len(base_d), p.n_mutants, len(amp_d), p.slots)
        out[i] = solo.solo_features(asked, answers)
        tampered[i] = solo.tamper_evidence(asked, answers)
        suspects[i] = solo.hang_suspects(asked, answers)
    _ask_again(run, hid, base_d, {i: p for i, p in ready}, suspects, tampered, cfg)
    return SoloRows(out, tuple(tampered))


def _ask_again(
    run: ExecRunner,
    hid: str,
    base: Sequence[Any],
    plans: dict[int, _Plan],
    suspects: dict[int, tuple[tuple[int, int], ...]],
    tampered: list[tuple[str, ...]],
    cfg: ExecConfig,
) -> None:
    """Canaries that timed out where the candidate did not, asked again (with the
    candidate) under the harness's longer limit: one that hangs again is tampering."""
    todo = [i for i, s in suspects.items() if s]
    jobs = [(plans[i].program, hang_queries(base, suspects[i])) for i in todo]
    got = run.run_each("harness", hid, ENTRY, jobs, cfg.harness_limits) if jobs else []
    for i, answers in zip(todo, got, strict=True):
        if solo.hung(answers, len(suspects[i])):
            tampered[i] = (*tampered[i], solo.HUNG)


@dataclass(frozen=True)
class TaskBlock:
    """One task's execution: len(codes) x COLUMNS, the peer run, per code whether its solo
    signals ran, and per code what its canaries caught (empty where they did not run)."""

    values: np.ndarray
    peer_run: PeerRun
    with_solo: tuple[bool, ...]
    tampered: tuple[tuple[str, ...], ...]


def task_block(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    cfg: ExecConfig | None = None,
    *,
    solo_until: float | None = None,
    tests: Harvest | None = None,
) -> TaskBlock:
    """The TaskBlock of one task's candidates.

    The guided round runs only while `solo_until` (a `time.monotonic()` deadline) has not
    passed; past it the solo signals run only for the `contenders` (the candidates the
    peer score could still pick). `tests`: the harvested asserts when they are the weak
    tests (else the task's reference gives their expected outputs, `property_rows`)."""
    cfg = cfg or ExecConfig()
    out = np.full((len(codes), len(COLUMNS)), np.nan)
    pr = peer_outputs(run, task, codes, peers, cfg, until=solo_until)
    block = peer_block(pr, peers, cfg)
    out[:, : len(PEER_COLUMNS)] = block[:, [consensus.COLUMNS.index(c) for c in PEER_COLUMNS]]
    props = [COLUMNS.index(c) for c in properties.COLUMNS]
    out[:, props] = property_rows(run, task, codes, peers, pr, cfg, tests)
    late = solo_until is not None and time.monotonic() >= solo_until
    chosen = contenders(out) if late else list(range(len(codes)))
    tampered = _solo_into(out, run, task, [codes[i] for i in chosen], chosen, pr, peers, cfg)
    measured = set(chosen)
    return TaskBlock(out, pr, tuple(i in measured for i in range(len(codes))), tampered)


def _solo_into(
    out: np.ndarray,
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    rows: Sequence[int],
    pr: PeerRun,
    peers: Sequence[bool],
    cfg: ExecConfig,
) -> tuple[tuple[str, ...], ...]:
    """Run the solo signals of `codes` (rows `rows` of `out`), write their columns and the
    cluster means into `out`; per row of `out`, what its canaries caught."""
    tampered: list[tuple[str, ...]] = [()] * len(out)
    if not rows:
        return tuple(tampered)
    got = solo_rows(run, task, codes, pr.inputs, cfg)
    cols = [COLUMNS.index(c) for c in SOLO_COLUMNS]
    out[np.ix_(list(rows), cols)] = got.values
    for r, caught in zip(rows, got.tampered, strict=True):
        tampered[r] = caught
    for name, source in CLUSTER_OF.items():
        values = out[:, COLUMNS.index(source)]
        out[:, COLUMNS.index(name)] = cluster_means(pr.vectors, peers, values)
    return tuple(tampered)


def contenders(values: np.ndarray) -> list[int]:
    """Rows (of len(codes) x COLUMNS, solo columns not yet measured) that the peer score could
    still rank lowest once their mutant survival is known: those within SURVIVAL_WEIGHT of
    the lowest score. Survival moves a score by at most half that either way from the 0.5 a
    missing one counts as, so any other row scores above every contender's best case, with
    or without its own survival: the pick among all rows is the same as if every row had
    been measured (unless every contender is barred from the pick: a tamperer, or one with
    a failing finding). Empty when no row has peers (no score)."""
    score = peer_score(*(values[:, COLUMNS.index(c)] for c in SCORE_INPUTS))
    finite = np.isfinite(score)
    if not finite.any():
        return []
    # 1e-9: float rounding must not drop a row tied at the edge.
    edge = float(score[finite].min()) + SURVIVAL_WEIGHT + 1e-9
    return [int(i) for i in np.flatnonzero(finite) if score[i] <= edge]


def _mined(run: ExecRunner, task: Task, tests: Harvest | None, cfg: ExecConfig) -> tuple[str, ...]:
    """The properties of the weak tests' pairs: the asserted ones, else the reference's
    outputs on the weak inputs (their expected outputs; no generated input is judged)."""
    lim = cfg.harness_limits
    if tests is not None:
        return properties.mine(run, task.task_id, properties.asserted_pairs(tests), limits=lim)
    if not task.canonical_solution:
        return ()
    base = [b for b in task.base_input if isinstance(b, list | tuple)][: cfg.property_pairs]
    decoded = decode_inputs(task, base)
    if not decoded:
        return ()
    ref = (task.reference, task.entry_point, decoded)
    return properties.mine(run, task.task_id, reference=ref, limits=lim)


def property_rows(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    pr: PeerRun,
    cfg: ExecConfig,
    tests: Harvest | None = None,
) -> np.ndarray:
    """len(codes) x properties.COLUMNS: the weak tests' properties broken on the kept inputs."""
    mined = _mined(run, task, tests, cfg) if pr.inputs else ()
    inputs = decode_inputs(task, list(pr.inputs)) if mined else None
    shares = properties.violation_shares(run, task.task_id, task.entry_point, codes, pr.vectors,
                                         inputs or [], mined, cfg.property_limits)  # fmt: skip
    return np.column_stack([shares, properties.excess(shares, peers)])


def task_features(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    peers: Sequence[bool],
    cfg: ExecConfig | None = None,
) -> np.ndarray:
    """len(codes) x COLUMNS for one task's candidates (`peers[i]`: row i is a peer)."""
    if not codes or not task.base_input:
        return np.full((len(codes), len(COLUMNS)), np.nan)
    return task_block(run, task, codes, peers, cfg).values


def cluster_means(
    vectors: Sequence[Vector | None], peers: Sequence[bool], values: np.ndarray
) -> np.ndarray:
    """Per row, the mean of `values` over the peers sharing its vector (and itself)."""
    groups: dict[Vector, list[float]] = {}
    for v, p, x in zip(vectors, peers, values, strict=True):
        if v is not None and p and np.isfinite(x):
            groups.setdefault(v, []).append(float(x))
    out = np.full(len(vectors), np.nan)
    for i, (v, p, x) in enumerate(zip(vectors, peers, values, strict=True)):
        if v is None:
            continue
        member = groups.get(v, [])
        pool = member if p or not np.isfinite(x) else [*member, float(x)]
        out[i] = float(np.mean(pool)) if pool else np.nan
    return out


# Weights of the fixed peer score's tie-breaks (see reports/execution/README.md): any of
# 0.05-0.3 for mutant survival and 0.01-0.05 for slowdown measured the same.
SURVIVAL_WEIGHT = 0.1
SLOWDOWN_WEIGHT = 0.02
# Disagreement outside the implied domain (`exec.wide_share`): on the shared corpora any of
# 0.05-0.5 measured 0.843-0.851 within a task, against 0.820 without it in the same run
# (reports/execution/README.md); 0.2, mid-range, was chosen on a prototype before that run.
WIDE_WEIGHT = 0.2
# Breaking the weak tests' properties more often than the cleanest peer
# (`exec.prop_excess`): the wide term's weight, also the best of 0.05-0.5 on codegen16b,
# where it was measured first; the other two corpora are flat across that range
# (reports/execution/README.md has the sweep).
PROPERTY_WEIGHT = 0.2
# The columns `peer_score` reads, in its argument order (callers look them up by name).
SCORE_INPUTS = (
    "exec.cluster_share",
    "exec.mutant_survival",
    "exec.slowdown",
    "exec.wide_share",
    "exec.prop_excess",
)


def peer_score(
    cluster_share: np.ndarray,
    mutant_survival: np.ndarray,
    slowdown: np.ndarray | None = None,
    wide_share: np.ndarray | None = None,
    prop_excess: np.ndarray | None = None,
) -> np.ndarray:
    """Fixed false-positive score among peers: 1 - cluster share, then, weighing less (so they
    mostly order clusters of one size and a cluster's members), disagreement outside the
    implied domain (1 - wide share), properties of the weak tests broken more often than by
    the cleanest peer, mutant survival and relative time (a slower candidate is riskier).
    Missing survival counts as 0.5, a missing slowdown or excess as 0, a missing wide share
    as agreement (no wide input kept)."""
    score = 1.0 - cluster_share + SURVIVAL_WEIGHT * np.nan_to_num(mutant_survival, nan=0.5)
    if slowdown is not None:
        score = score + SLOWDOWN_WEIGHT * np.nan_to_num(slowdown, nan=0.0)
    if wide_share is not None:
        score = score + WIDE_WEIGHT * (1.0 - np.nan_to_num(wide_share, nan=1.0))
    if prop_excess is not None:
        score = score + PROPERTY_WEIGHT * np.nan_to_num(prop_excess, nan=0.0)
    return score
