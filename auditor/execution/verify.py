"""Verdicts of the weak tests: does each candidate pass the tests the user has?

Two sources of weak tests, never `plus_input`:
  * a task with a reference and `base_input` (humaneval+, mbpp+, an EvalPlus task file):
    the sandbox's differential test on `base_input` only (EvalPlus semantics, special
    oracles and atol included); the reference gives the expected outputs of those inputs
    and nothing else -- the task handed to the sandbox has its `plus_input` emptied;
  * harvested asserts (`harvest.Harvest`: a HumanEval `test` or a user's tests file):
    each candidate runs on the asserted calls in the sandbox and the trusted side compares
    what comes back. The asserted values never enter the sandbox (a candidate can read
    anything in its own process, its caller's frame included): an equality is judged on
    the output's fingerprint, a tolerance on the fingerprint of the output's bucket (its
    floor in steps of CLOSE_STEPS-th of the tolerance), truthiness on the child's bool,
    an expected exception on the raised class's name (builtin subclasses count).
"""

from __future__ import annotations

import builtins
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from auditor.execution.harvest import CONVERSIONS, Expect, Harvest
from auditor.execution.runner import ExecRunner, Limits
from auditor.sandbox._worker import fingerprint
from auditor.types import Outcome, Task

EXPECT_ENTRY = "__auditor_expect__"
# A tolerance assert is judged on floor(output / (tol / CLOSE_STEPS)): it accepts every output
# within tol of the value, and none farther than tol + tol / CLOSE_STEPS.
CLOSE_STEPS = 8
_EXPECT_FN = """

def __auditor_expect__(kind, step, via, *args):
    out = {entry}(*args)
    if via:
        out = {{{conversions}}}[via](out)
    if kind == "truthy":
        return bool(out)
    if kind == "falsy":
        return not out
    if kind == "close":
        import math as _aud_math
        return _aud_math.floor(float(out) / step) if step > 0 else float(out)
    return out
"""
_TRUE = fingerprint(True)


def by_reference(run: ExecRunner, task: Task, codes: Sequence[str]) -> list[Outcome]:
    """Weak-test outcome per code: base_input against the reference (plus_input emptied)."""
    from auditor.sandbox import Job
    from auditor.sandbox.spec import task_spec

    spec = task_spec(dataclasses.replace(task, plus_input=()))
    out = [Outcome.ERROR] * len(codes)
    run.sandbox.register([spec])
    for res in run.sandbox.run([Job(i, task.task_id, c, ("base",)) for i, c in enumerate(codes)]):
        phase = res.phases.get("base")
        if res.error is None and phase is not None:
            out[res.job_id] = phase.outcome
    return out


def _step(expect: Expect) -> float:
    return expect.tol / CLOSE_STEPS if expect.kind == "close" else 0.0


def _raised(expected: str, fp: str) -> bool:
    """Whether "exc:NAME" is the expected exception or, for builtin exceptions, a subclass
    of it (a class of the candidate's own meets `Exception` alone)."""
    if not fp.startswith("exc:"):
        return False
    name = fp[4:]
    want, got = getattr(builtins, expected, None), getattr(builtins, name, None)
    if name == expected:
        return True
    if isinstance(want, type) and issubclass(want, BaseException):
        if isinstance(got, type) and issubclass(got, BaseException):
            return issubclass(got, want)
        return want in (Exception, BaseException)
    return False


def _met(expect: Expect, fp: str) -> bool:
    """Whether the fingerprint the child sent back meets the assert (trusted side)."""
    if expect.kind == "raises":
        return _raised(str(expect.value), fp)
    if expect.kind == "eq":
        return fp == fingerprint(expect.value)
    if expect.kind != "close":
        return fp == _TRUE
    try:
        value, step = float(expect.value), _step(expect)
        if step <= 0:
            return fp == fingerprint(value)
        lo = math.floor((value - expect.tol) / step)
        hi = math.floor((value + expect.tol) / step)
    except (TypeError, ValueError, OverflowError):  # not a finite number
        return False
    return hi - lo <= 4 * CLOSE_STEPS and fp in {fingerprint(k) for k in range(lo, hi + 1)}


def by_asserts(
    run: ExecRunner, task_id: str, entry_point: str, codes: Sequence[str], tests: Harvest
) -> list[Outcome]:
    """Weak-test outcome per code from the harvested asserts (PASS when none asserts)."""
    checked = [(a, e) for a, e in zip(tests.inputs, tests.expected, strict=True) if e is not None]
    if not checked:
        return [Outcome.PASS] * len(codes)
    queries: list[list[Any]] = [[e.kind, _step(e), e.via, *a] for a, e in checked]
    conversions = ", ".join(f'"{n}": {n}' for n in CONVERSIONS)  # builtins, by name
    programs = [c + _EXPECT_FN.format(entry=entry_point, conversions=conversions) for c in codes]
    vecs = run.run("asserts", task_id, EXPECT_ENTRY, programs, queries, Limits(1.0, 10.0))
    out = []
    for vec in vecs:
        if vec is None:
            out.append(Outcome.ERROR)
        elif any(f == "timeout" for f in vec):
            out.append(Outcome.TIMEOUT)
        else:
            ok = all(_met(e, f) for (_, e), f in zip(checked, vec, strict=True))
            out.append(Outcome.PASS if ok else Outcome.FAIL)
    return out
