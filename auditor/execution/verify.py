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
    the output's value as it crossed the sandbox's value format (`ExecRunner.outputs`;
    exactly, as `==` is: a fingerprint keeps 6 digits of a float), a tolerance on the
    output's value too, which must be a number (`_close`), truthiness on the child's bool, an expected exception by the nearest
    builtin class in the raised one's MRO (`_raised`). An output past the sandbox's cap on values
    (16 MiB of canonical text per program, far more than a test file states) fails: a
    fingerprint keeps 6 digits of a float, and a program padding its output text to get
    judged on one passed a wrong float (red team, session 17).

An equality's output crosses inside a `_codec.Carry`, as what Python's `==` sees of it: a
namedtuple as its tuple, a `Fraction`, a `Decimal` or a dict's keys view as itself (until
session 19 each crossed as its type name and a correct candidate got AUD001). `==` is then
Python's on objects built on this side, never the candidate's; an output holding an object
with an `==` of its own (a dataclass, a class defining `__eq__`) leaves that assert
unjudged (`AssertVerdict.unjudged`), neither passed nor failed, unless it fails with that
object standing for equal (`_equal`). Unlike an expected value a helper returns, which the
test chooses, such an output is the program's choice: a candidate with one is not verified
(no outcome) unless another assert fails, never passed.
"""

from __future__ import annotations

import builtins
import dataclasses
import math
import numbers
import operator
import sys
from collections.abc import ItemsView, KeysView, Sequence
from typing import Any

from auditor.errors import InputError, SandboxError
from auditor.execution.harvest import CONVERSIONS, Expect, Harvest
from auditor.execution.runner import NO_OUTPUT, ExecRunner, Limits
from auditor.sandbox._codec import Carry, Opaque, OpaqueEq
from auditor.sandbox._worker import fingerprint
from auditor.types import Outcome, Task

EXPECT_ENTRY = "__auditor_expect__"
# The candidate runs in a namespace of its own, after the builtins the checks apply are
# taken: a module-level `def sorted` or a patched `builtins.bool` cannot change a conversion,
# and `__auditor_expect__` is not among the names the candidate can see (red team s18, B2
# and B5). The function a test calls is looked up by name in that namespace, as the test's
# import would: however the candidate binds it (a def in a `try`, an assignment, a lambda).
# An equality's output goes back inside a `Carry` (the module docstring).
_EXPECT_PROGRAM = """\
from _codec import Carry as _aud_carry
_aud_conv = {{{conversions}}}
_aud_bool, _aud_callable, _aud_exec = bool, callable, exec
_aud_g = {{}}
_aud_exec(compile({source!r}, "<aud-candidate>", "exec", dont_inherit=True), _aud_g)


def __auditor_expect__(name, kind, via, *args):
    fn = _aud_g.get(name)
    if kind == "callable":
        return _aud_callable(fn)
    out = fn(*args)
    if via:
        out = _aud_conv[via](out)
    if kind == "truthy":
        return _aud_bool(out)
    if kind == "falsy":
        return not out
    if kind == "eq":
        return _aud_carry(out)
    return out
"""
_TRUE = fingerprint(True)
_ORDERS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_CONTAINERS = (list, tuple, set, frozenset, KeysView, ItemsView)


@dataclasses.dataclass(frozen=True)
class AssertVerdict:
    """A candidate's outcome on the harvested asserts (None: no assert judged) and how many
    of its asserts were not judged (an `==` on an output with an `==` of its own)."""

    outcome: Outcome | None
    unjudged: int = 0
    failed: str = ""  # the first assert that failed, as the test states it (`described`)


def by_reference(run: ExecRunner, task: Task, codes: Sequence[str]) -> list[Outcome]:
    """Weak-test outcome per code: base_input against the reference (plus_input emptied).

    A reference that fails on its own base inputs (raises, does not parse, times out) is
    the task file's fault: an `InputError` naming the task, not AUD001 for every candidate
    (which would blame them and hide the cause); a sandbox that could not run it is a
    `SandboxError`."""
    from auditor.sandbox import Job
    from auditor.sandbox.spec import task_spec

    spec = task_spec(dataclasses.replace(task, plus_input=()))
    out = [Outcome.ERROR] * len(codes)
    run.sandbox.register([spec])
    for res in run.sandbox.run([Job(i, task.task_id, c, ("base",)) for i, c in enumerate(codes)]):
        if res.error is not None and res.error.startswith("reference "):
            broken = SandboxError if res.error.startswith("reference sandbox:") else InputError
            raise broken(f"task {task.task_id}: its {res.error}")
        phase = res.phases.get("base")
        if res.error is None and phase is not None:
            out[res.job_id] = phase.outcome
    return out


def _raised(expected: str, fp: str) -> bool:
    """Whether "exc:NAME" meets `pytest.raises(expected)`. The child reports a builtin
    exception class by its name and any other class as "Own.Builtin", the nearest builtin
    class in its MRO, found by identity (`_zygote._exc_class_name`); a builtin `expected` is
    judged by `issubclass` on that builtin, so `class Neg(ValueError)` meets ValueError and
    a program's own `class ValueError(Exception)` does not (red team, session 18, A8). A
    class that is not a builtin is met by its name (the child's word, as before)."""
    if not fp.startswith("exc:"):
        return False
    own, _, base = fp[4:].rpartition(".")
    want, got = getattr(builtins, expected, None), getattr(builtins, base, None)
    if isinstance(want, type) and issubclass(want, BaseException):
        return isinstance(got, type) and issubclass(got, want)
    return expected in (own, base)


def _holds_own_eq(value: Any) -> bool:
    """Whether a decoded output holds an object whose `==` is its own (`OpaqueEq`)."""
    todo = [value]
    while todo:
        v = todo.pop()
        if type(v) is OpaqueEq:
            return True
        if isinstance(v, dict):
            todo += [*v.keys(), *v.values()]
        elif isinstance(v, _CONTAINERS):
            todo += v
    return False


class _AnyEq:
    """Stands for an object with an `==` of its own: equal to anything, its most lenient
    answer, so a comparison that fails even so fails whatever that `==` says (or raises)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # never where it would be hashed

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False


class _Hashed(Exception):
    """An object with an `==` of its own where it is hashed: no stand-in answers as it would."""


def _lenient(value: Any) -> Any:
    """`value` with each `OpaqueEq` in a list, a tuple or a dict's value replaced by an
    `_AnyEq` (_Hashed: one is a set's element, a dict's key or in a dict's view)."""
    t = type(value)
    if t is OpaqueEq:
        return _AnyEq()
    if t is list or t is tuple:
        return t(_lenient(v) for v in value)
    if t is dict:
        if _holds_own_eq(list(value)):
            raise _Hashed
        return {k: _lenient(v) for k, v in value.items()}
    if isinstance(value, _CONTAINERS) and _holds_own_eq(value):
        raise _Hashed
    return value


def _equal(value: Any, expected: Any) -> bool | None:
    """Python's `output == expected` on the output as built on this side. An output holding
    objects with an `==` of their own is compared with each standing for equal (`_AnyEq`):
    False then is False whatever they say, True is not known (None)."""
    if isinstance(value, Carry):
        value = value.value
    known = not _holds_own_eq(value)
    try:
        same = bool((value if known else _lenient(value)) == expected)
    except (_Hashed, RecursionError):
        return None
    except (TypeError, ValueError, ArithmeticError):  # raises under pytest too: a failure
        return False
    return same if known or not same else None


def _met(expect: Expect, fp: str, value: Any) -> bool | None:
    """Whether the output (its fingerprint, and its value when it crossed) meets the
    assert (trusted side); None when that is not known (`_equal`)."""
    if expect.kind == "raises":
        return _raised(str(expect.value), fp)
    if expect.kind == "is":  # decoded True, False and None are the singletons themselves
        return value is expect.value
    if expect.kind not in ("eq", "close", "order", "in", "contains"):
        return fp == _TRUE
    if value is NO_OUTPUT:  # raised, timed out, not plain data, or past the cap on values
        return False
    if expect.kind == "eq":
        return _equal(value, expect.value)
    if expect.kind in ("in", "contains"):
        found = _member(value, expect)
        return found if found is None or expect.op == "in" else not found
    try:
        if expect.kind == "order":  # plain data on both sides: Python's own ordering
            return _truth(_ORDERS[expect.op](value, expect.value))
        return _close(value, expect)
    except (TypeError, ValueError, OverflowError):  # not comparable: the test would raise
        return False


def _member(value: Any, expect: Expect) -> bool | None:
    """Python's `in` for an `in` (`output in V`) or `contains` (`V in output`) assert, on
    the output as it crossed (an `eq` query's): a sequence's elements by `_equal` (None
    when only an `==` of its own could say), a str by substring, a set or dict by hash;
    what the test's `in` would raise on (`3 in 5`, a list in a set) is False."""
    if isinstance(value, Carry):
        value = value.value
    within, item = (expect.value, value) if expect.kind == "in" else (value, expect.value)
    if type(within) in (Opaque, OpaqueEq):  # its own `in` (a deque, a generator): not known
        return None
    if isinstance(within, str):
        return isinstance(item, str) and item in within
    if isinstance(within, set | frozenset | dict | KeysView):
        if _holds_own_eq(item) or _holds_own_eq(list(within)):
            return None
        try:
            return item in within
        except TypeError:  # unhashable: the test's `in` raises
            return False
    if not isinstance(within, list | tuple | ItemsView):
        return False
    answers = [_equal(item, v) if expect.kind == "in" else _equal(v, item) for v in within]
    return True if True in answers else None if None in answers else False


def _truth(result: Any) -> bool:
    """What `assert` makes of a comparison's result on the trusted side: a bool, or numpy's
    scalar bool (a numpy scalar output compares to one: `np.float64(2) > 1`); anything
    else, such as an array (`assert` raises on its truth), fails."""
    if type(result) is bool:
        return result
    np = sys.modules.get("numpy")  # decoded numpy values imported it
    return np is not None and isinstance(result, np.bool_) and bool(result)


def _close(value: Any, expect: Expect) -> bool:
    """Whether an output meets a tolerance assert: a number (a str such as "1.5" made
    `float(out)` pass, where the test's `f(x) - V` raises: red team s19), within the
    tolerance as the assert's operator says (`< TOL` fails on the bound itself)."""
    if not (isinstance(value, numbers.Complex) and isinstance(expect.value, numbers.Complex)):
        return False
    if expect.op == "isclose":  # the test's own call, as it would have run (reals only)
        if not (isinstance(value, numbers.Real) and isinstance(expect.value, numbers.Real)):
            return False
        return math.isclose(value, expect.value, rel_tol=expect.rel, abs_tol=expect.tol)
    if expect.op == "approx" and value == expect.value:  # pytest.approx: inf meets inf
        return True
    diff = float(abs(value - expect.value))
    return bool(diff < expect.tol if expect.op == "<" else diff <= expect.tol)


def _checks(tests: Harvest) -> list[tuple[list[Any], Expect]]:
    """(query, what it must meet) per assert, after one per function called asking that
    the candidate has it as a callable (a missing one fails every assert on it)."""
    rows = zip(tests.functions, tests.inputs, tests.expected, strict=True)
    asserted = [(f, a, e) for f, a, e in rows if e is not None]
    if not asserted:
        return []
    has: list[tuple[list[Any], Expect]] = [
        ([f, "callable", ""], Expect("truthy")) for f in dict.fromkeys(tests.functions)
    ]
    # a membership's output crosses as an equality's does (`_member` compares it)
    kind = {"in": "eq", "contains": "eq"}
    return has + [([f, kind.get(e.kind, e.kind), e.via, *a], e) for f, a, e in asserted]


def _verdict(
    checked: Sequence[tuple[list[Any], Expect]], met: Sequence[bool | None]
) -> AssertVerdict:
    """Fail when a check failed, else no outcome when an assert was not judged, else pass.
    What leaves an assert unjudged is the candidate's own output (an `==` of its own, which
    a program may claim for any output), so it never comes with a pass: a program knowing
    one answer would pass by claiming an `==` of its own for the others."""
    asserts = [m for (query, _), m in zip(checked, met, strict=True) if query[1] != "callable"]
    unjudged = sum(m is None for m in asserts)
    failed = [query for (query, _), m in zip(checked, met, strict=True) if m is False]
    if failed:
        first = next(e for (q, e) in checked if q is failed[0])
        return AssertVerdict(Outcome.FAIL, unjudged, described(failed[0], first))
    return AssertVerdict(None if unjudged else Outcome.PASS, unjudged)


# What the message keeps of an argument list or an expected value.
_SHOWN = 60
_STATES = {"truthy": "is true", "falsy": "is false"}


def _shown(value: Any) -> str:
    text = repr(value)  # repr escapes control and bidi characters: one safe line
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def described(query: Sequence[Any], expect: Expect) -> str:
    """An assert as a test states it, shortened (`to_roman(900) == 'CM'`), for the
    finding of a candidate that fails it; its check that the function exists as such."""
    name, kind, via, *args = query
    if kind == "callable":
        return f"{name} is not a function of the candidate"
    listed = ", ".join(map(repr, args))
    call = f"{name}({listed if len(listed) <= _SHOWN else listed[: _SHOWN - 3] + '...'})"
    call = f"{via}({call})" if via else call
    if expect.kind in _STATES:
        return f"{call} {_STATES[expect.kind]}"
    if expect.kind == "raises":
        return f"{call} raises {expect.value}"
    if expect.kind == "close":
        return f"{call} is within {expect.tol:g} of {_shown(expect.value)}"
    if expect.kind == "contains":
        return f"{_shown(expect.value)} {expect.op} {call}"
    op = {"eq": "==", "is": "is", "in": expect.op}.get(expect.kind, expect.op)
    return f"{call} {op} {_shown(expect.value)}"


def by_asserts(
    run: ExecRunner, task_id: str, codes: Sequence[str], tests: Harvest
) -> list[AssertVerdict]:
    """Weak-test verdict per code from the harvested asserts, on every function they call
    (no outcome when no assert states an expectation known without running the tests, or
    none of the candidate's could be judged)."""
    checked = _checks(tests)
    if not checked:
        return [AssertVerdict(None)] * len(codes)
    queries = [q for q, _ in checked]
    conversions = ", ".join(f'"{n}": {n}' for n in CONVERSIONS)  # builtins, by name
    programs = [(_EXPECT_PROGRAM.format(conversions=conversions, source=c), queries) for c in codes]
    lim = Limits(1.0, 10.0)
    values = run.outputs("asserts", task_id, EXPECT_ENTRY, programs, lim)
    vecs = run.run_each("asserts", task_id, EXPECT_ENTRY, programs, lim)  # kept: no rerun
    out: list[AssertVerdict] = []
    for vec, vals in zip(vecs, values, strict=True):
        if vec is None or vals is None:
            out.append(AssertVerdict(Outcome.ERROR))
        elif any(f == "timeout" for f in vec):
            out.append(AssertVerdict(Outcome.TIMEOUT))
        else:
            met = [_met(e, f, v) for (_, e), f, v in zip(checked, vec, vals, strict=True)]
            out.append(_verdict(checked, met))
    return out
