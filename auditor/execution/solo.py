"""Single-candidate execution features: what a candidate's own weak tests leave unchecked.

Everything here is decoded from the harness's answers (`auditor.execution.harness`), which
ran in the sandbox. Columns (`exec.` prefix; NaN when the harness could not run):
  missed_lines      statements in the candidate's functions the weak inputs never ran
  missed_share      the same as a share of those statements
  missed_arms       branch arms (if/else bodies, loop bodies, except handlers) never entered
  mutant_survival   share of first-order mutants giving the candidate's outputs on every
                    weak input (the candidate passes the weak tests, so these mutants would too)
  n_mutants         mutants tried
  crash_rate        share of amplified inputs on which it raised, timed out or died
  timeout_rate      share of amplified inputs on which it timed out (or died)
  type_consistency  share of its outputs on amplified inputs whose type is the one it
                    returns on the weak inputs (counting only inputs it did not crash on)
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auditor.behavior.agreement import is_crash
from auditor.execution.harness import decode_bool, decode_type
from auditor.io import source_lines

COLUMNS: tuple[str, ...] = (
    "exec.missed_lines",
    "exec.missed_share",
    "exec.missed_arms",
    "exec.mutant_survival",
    "exec.n_mutants",
    "exec.crash_rate",
    "exec.timeout_rate",
    "exec.type_consistency",
)
# What the `exec-solo` feature set reads: these, and how often the candidate's outputs break
# the properties of its weak tests (`auditor.execution.properties`, needs no peers).
SINGLE_COLUMNS: tuple[str, ...] = (*COLUMNS, "exec.prop_violations")


@dataclass(frozen=True)
class CodeMap:
    """Statement lines of the candidate's functions and the first line of each branch arm;
    `unrun`: lines no run can report (blank or comment-only, or past the end): canaries."""

    lines: tuple[int, ...]
    arms: tuple[int, ...]
    unrun: tuple[int, ...] = ()

    @property
    def asked(self) -> tuple[int, ...]:
        """The lines the harness is asked about, canaries last."""
        return (*self.lines, *self.unrun)


def _def_lines(tree: ast.Module) -> set[int]:
    """`def` lines of module-level functions and methods whose body starts below: a call
    runs no line event there (only `RESUME`, before tracing sees the frame's first line)."""
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        defs += [n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return {fn.lineno for fn in defs if fn.body[0].lineno > fn.lineno}


def _unrun(code: str, tree: ast.Module) -> tuple[int, ...]:
    """Lines no call can report run: the last blank or comment-only line before the last
    statement, the `def` lines of `_def_lines`, and the line after the end."""
    text = source_lines(code)
    quiet = [k + 1 for k, t in enumerate(text) if not t.strip() or t.lstrip().startswith("#")]
    last = max((k + 1 for k, t in enumerate(text) if t.strip()), default=0)
    inside = [n for n in quiet if n < last]
    return tuple(sorted({*inside[-1:], *_def_lines(tree), len(text) + 1}))


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def code_map(code: str) -> CodeMap | None:
    """Lines and arms inside function bodies (what a call can execute); None: no parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    lines: set[int] = set()
    arms: set[int] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.stmt) and node is not fn and not _is_docstring(node):
                lines.add(node.lineno)
            if isinstance(node, ast.If | ast.For | ast.While):
                arms.add(node.body[0].lineno)
                if node.orelse:
                    arms.add(node.orelse[0].lineno)
            elif isinstance(node, ast.ExceptHandler) and node.body:
                arms.add(node.body[0].lineno)
    # Function definitions nested in functions count as lines; their own def line runs.
    return CodeMap(tuple(sorted(lines)), tuple(sorted(arms)), _unrun(code, tree))


@dataclass(frozen=True)
class Answers:
    """Harness answers of one candidate: to `coverage_queries` and to `mutant_queries`."""

    coverage: Sequence[str] | None
    mutants: Sequence[str] | None


@dataclass(frozen=True)
class Asked:
    """What the harness was asked about one candidate: its code map's lines, `n_base` weak
    inputs, `n_amplified` generated ones, `n_mutants` mutants (the equivalent ones, the
    canaries, at `canaries`)."""

    cmap: CodeMap
    n_base: int
    n_mutants: int
    n_amplified: int
    canaries: tuple[int, ...] = ()

    def coverage(self, answers: Answers) -> Sequence[str] | None:
        """The coverage job's answers, None unless complete."""
        cov = answers.coverage
        want = 2 * self.n_base + len(self.cmap.asked) + self.n_amplified
        return cov if cov is not None and len(cov) == want else None

    def mutant_runs(self, answers: Answers) -> list[tuple[str, ...]] | None:
        """Each mutant's answers on the weak inputs, the candidate's first (None unless the
        mutant job ran completely)."""
        mut, n, k = answers.mutants, self.n_base, self.n_mutants
        if not (n and k) or mut is None or len(mut) != n * (1 + k):
            return None
        return [tuple(mut[j * n : (j + 1) * n]) for j in range(1 + k)]


def solo_features(asked: Asked, answers: Answers) -> np.ndarray:
    """One row of COLUMNS from the harness answers (NaN where a job could not run); the
    canaries count in no column."""
    out = np.full(len(COLUMNS), np.nan)
    col = {c: k for k, c in enumerate(COLUMNS)}
    cmap, n_base, n_amplified = asked.cmap, asked.n_base, asked.n_amplified
    n_lines, n_asked = len(cmap.lines), len(cmap.asked)
    cov = asked.coverage(answers)
    if cov is not None:
        hit = cov[n_base : n_base + n_lines]
        base_types, amp = cov[n_base + n_asked : 2 * n_base + n_asked], cov[2 * n_base + n_asked :]
        executed = {line for line, fp in zip(cmap.lines, hit, strict=True) if decode_bool(fp)}
        missed = n_lines - len(executed)
        out[col["exec.missed_lines"]] = missed
        out[col["exec.missed_share"]] = missed / n_lines if n_lines else 0.0
        out[col["exec.missed_arms"]] = sum(a not in executed for a in cmap.arms)
        if n_amplified:
            out[col["exec.crash_rate"]] = float(np.mean([is_crash(f) for f in amp]))
            timeouts = [f in ("timeout", "died") for f in amp]
            out[col["exec.timeout_rate"]] = float(np.mean(timeouts))
            out[col["exec.type_consistency"]] = _type_consistency(base_types, amp)
    out[col["exec.n_mutants"]] = asked.n_mutants - len(asked.canaries)
    runs = asked.mutant_runs(answers)
    if runs is not None and asked.n_mutants > len(asked.canaries):
        same = [m == runs[0] for k, m in enumerate(runs[1:]) if k not in asked.canaries]
        out[col["exec.mutant_survival"]] = float(np.mean(same))
    return out


def tamper_evidence(asked: Asked, answers: Answers) -> tuple[str, ...]:
    """What the canaries caught (empty: nothing): a line that cannot run reported run, an
    equivalent mutant giving other answers than the candidate on the weak inputs."""
    found = []
    cov = asked.coverage(answers)
    if cov is not None:
        lines = cov[asked.n_base : asked.n_base + len(asked.cmap.asked)]
        if any(decode_bool(fp) for fp in lines[len(asked.cmap.lines) :]):
            found.append("a line that cannot run was reported run")
    runs = asked.mutant_runs(answers)
    if runs is not None and any(_killed(runs[0], runs[1 + k]) for k in asked.canaries):
        found.append("a mutant computing what it computes was reported killed")
    return tuple(found)


_UNRUN = ("timeout", "died")
HUNG = "a mutant computing what it computes hung where it did not"


def _first_difference(runs: Sequence[str], canary: Sequence[str]) -> int | None:
    """The first weak input on which an equivalent mutant answered otherwise than the
    candidate, among those up to the candidate's first answer that is not a value (the
    harness stops a mutant there); None if there is none."""
    for j, (o, c) in enumerate(zip(runs, canary, strict=True)):
        if not o.startswith("v:"):
            return None
        if c != o:
            return j
    return None


def _killed(runs: Sequence[str], canary: Sequence[str]) -> bool:
    """Whether an equivalent mutant gave another value or an error where the candidate
    gave a value. A timeout proves nothing here (a program near the time limit times out in
    one run and not in the next): `hang_suspects` has it asked again."""
    j = _first_difference(runs, canary)
    return j is not None and canary[j] not in _UNRUN


def hang_suspects(asked: Asked, answers: Answers) -> tuple[tuple[int, int], ...]:
    """(canary, weak input) pairs where a canary timed out on an input the candidate
    answered with a value: `harness.hang_queries` asks them again under a 6 times longer
    limit, and `hung` reads the answers."""
    runs = asked.mutant_runs(answers)
    if runs is None:
        return ()
    found = ((k, _first_difference(runs[0], runs[1 + k])) for k in asked.canaries)
    return tuple((k, j) for k, j in found if j is not None and runs[1 + k][j] == "timeout")


def hung(answers: Sequence[str] | None, n_suspects: int) -> bool:
    """Whether, asked again, a canary timed out where the candidate gave a value (answers
    in `harness.hang_queries` order: the candidate's, then the canary's, per suspect)."""
    if answers is None or len(answers) != 2 * n_suspects:
        return False
    pairs = zip(answers[::2], answers[1::2], strict=True)
    return any(o.startswith("v:") and c == "timeout" for o, c in pairs)


def _type_consistency(base_types: Sequence[str], amplified: Sequence[str]) -> float:
    seen = Counter(t for t in map(decode_type, base_types) if t is not None)
    if not seen:
        return float("nan")
    usual = seen.most_common(1)[0][0]
    got = [t for t in map(decode_type, amplified) if t is not None]
    return float(np.mean([t == usual for t in got])) if got else float("nan")
