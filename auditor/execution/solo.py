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
    """Statement lines of the candidate's functions and the first line of each branch arm."""

    lines: tuple[int, ...]
    arms: tuple[int, ...]


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
    return CodeMap(tuple(sorted(lines)), tuple(sorted(arms)))


@dataclass(frozen=True)
class Answers:
    """Harness answers of one candidate: to `coverage_queries` and to `mutant_queries`."""

    coverage: Sequence[str] | None
    mutants: Sequence[str] | None


def solo_features(
    cmap: CodeMap, n_base: int, n_mutants: int, n_amplified: int, answers: Answers
) -> np.ndarray:
    """One row of COLUMNS from the harness answers (NaN where a job could not run)."""
    out = np.full(len(COLUMNS), np.nan)
    col = {c: k for k, c in enumerate(COLUMNS)}
    n_lines = len(cmap.lines)
    cov = answers.coverage
    if cov is not None and len(cov) == n_base + n_lines + n_base + n_amplified:
        hit = cov[n_base : n_base + n_lines]
        base_types, amp = cov[n_base + n_lines : 2 * n_base + n_lines], cov[2 * n_base + n_lines :]
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
    mut = answers.mutants
    out[col["exec.n_mutants"]] = n_mutants
    if n_mutants and n_base and mut is not None and len(mut) == n_base * (1 + n_mutants):
        runs = tuple(mut[:n_base])
        same = [tuple(mut[(k + 1) * n_base : (k + 2) * n_base]) == runs for k in range(n_mutants)]
        out[col["exec.mutant_survival"]] = float(np.mean(same))
    return out


def _type_consistency(base_types: Sequence[str], amplified: Sequence[str]) -> float:
    seen = Counter(t for t in map(decode_type, base_types) if t is not None)
    if not seen:
        return float("nan")
    usual = seen.most_common(1)[0][0]
    got = [t for t in map(decode_type, amplified) if t is not None]
    return float(np.mean([t == usual for t in got])) if got else float("nan")
