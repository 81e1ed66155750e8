"""Properties the weak tests imply, and the outputs that break them (`exec.prop_*`).

From the weak tests' (input, expected output) pairs -- the reference's outputs on
`base_input` (the weak tests' expected outputs, nothing more) or the literal values of
harvested asserts -- the properties of a fixed library (`PREDICATES`: predicates over the
arguments and the output) that apply to every pair and hold on every pair are kept: the
output's type, its sign, its length against an argument's, sortedness, no duplicates, being
made of an argument's elements, ... Then each distinct output vector on the kept amplified
inputs is checked against them (one run per output cluster: the predicates see only the
arguments and the output, so a cluster's members break the same ones).

  exec.prop_violations  share of the kept amplified inputs on which the candidate's output
                        breaks some mined property (NaN when none was mined or no input kept)
  exec.prop_excess      the same less the least share among the task's peers: a property
                        every passer breaks says the weak tests were narrow, not that one
                        passer is wrong (NaN without peers)

Everything runs in the sandbox: the library is part of a harness program, and only
True/False/None and small counts cross back, decoded by fingerprinting the known vocabulary
(as `auditor.execution.harness` does). The count comes from the program's own process, so
it carries a canary: among the mined properties the program is asked about is one no
output keeps (its type is `ellipsis`; never mined, since no weak output has it), so every
answer counts it; a count of 0 is a rewritten count (`Violations.tampered`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from auditor.execution.consensus import Vector
from auditor.execution.harvest import Harvest
from auditor.execution.runner import ExecRunner, Limits
from auditor.sandbox._worker import fingerprint

# The canary (session 15) changes no honest program's value: the schema stays (see harness).
PROPERTIES_VERSION = "1"
ENTRY = "__auditor_props__"
COLUMNS = ("exec.prop_violations", "exec.prop_excess")
MIN_PAIRS = 2  # a property seen on one pair only is a coincidence more often than not
MAX_COUNT = 64

# The predicate library, in the harness program's source: each entry maps (args, out) to
# True / False, or None when it does not apply (wrong types, too short to tell).
PREDICATES = r"""
import copy as _aud_copy

def _aud_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)

def _aud_sized(x):
    return isinstance(x, (list, tuple, str, dict, set, frozenset))

def _aud_seq(x):
    return isinstance(x, (list, tuple))

def _aud_library():
    P = {}
    for T in ("bool", "int", "float", "str", "list", "tuple", "dict", "set", "NoneType",
              "ellipsis"):
        P["type_" + T] = (lambda T: lambda a, o: type(o).__name__ == T)(T)
    P["nonneg"] = lambda a, o: o >= 0 if _aud_num(o) else None
    P["positive"] = lambda a, o: o > 0 if _aud_num(o) else None
    P["integral"] = lambda a, o: float(o).is_integer() if isinstance(o, float) else None
    P["sorted"] = lambda a, o: list(o) == sorted(o) if _aud_seq(o) and len(o) > 1 else None
    P["sorted_desc"] = (
        lambda a, o: list(o) == sorted(o, reverse=True) if _aud_seq(o) and len(o) > 1 else None
    )
    P["distinct"] = (
        lambda a, o: len(set(o)) == len(o) if isinstance(o, (list, tuple, str)) and len(o) > 1
        else None
    )
    P["one_elem_type"] = (
        lambda a, o: len({type(e) for e in o}) <= 1 if isinstance(o, (list, tuple, set)) and o
        else None
    )
    P["lowercase"] = lambda a, o: o == o.lower() if isinstance(o, str) and o != o.upper() else None
    P["stripped"] = lambda a, o: o == o.strip() if isinstance(o, str) and o else None
    for k in range(3):
        def arg(a, k=k):
            return a[k] if len(a) > k else None
        P[f"le_arg{k}"] = (
            lambda arg: lambda a, o: o <= arg(a) if _aud_num(o) and _aud_num(arg(a)) else None
        )(arg)
        P[f"ge_arg{k}"] = (
            lambda arg: lambda a, o: o >= arg(a) if _aud_num(o) and _aud_num(arg(a)) else None
        )(arg)
        P[f"len_eq_arg{k}"] = (
            lambda arg: lambda a, o: len(o) == len(arg(a))
            if _aud_sized(o) and _aud_sized(arg(a)) else None
        )(arg)
        P[f"len_le_arg{k}"] = (
            lambda arg: lambda a, o: len(o) <= len(arg(a))
            if _aud_sized(o) and _aud_sized(arg(a)) else None
        )(arg)
        P[f"len_ge_arg{k}"] = (
            lambda arg: lambda a, o: len(o) >= len(arg(a))
            if _aud_sized(o) and _aud_sized(arg(a)) else None
        )(arg)
        P[f"le_len_arg{k}"] = (
            lambda arg: lambda a, o: o <= len(arg(a)) if _aud_num(o) and _aud_sized(arg(a))
            else None
        )(arg)
        P[f"elems_of_arg{k}"] = (
            lambda arg: lambda a, o: all(e in arg(a) for e in o)
            if isinstance(o, (list, tuple, set, str)) and o and _aud_sized(arg(a)) else None
        )(arg)
        P[f"member_of_arg{k}"] = (
            lambda arg: lambda a, o: o in arg(a)
            if (_aud_num(o) or isinstance(o, str)) and _aud_seq(arg(a))
            or isinstance(o, str) and isinstance(arg(a), str) else None
        )(arg)
    return P

_AUD_P = _aud_library()

def _aud_holds(p, args, out):
    try:
        r = _AUD_P[p](args, out)
        return None if r is None else bool(r)
    except Exception:
        return None
"""

_QUERY = """
_AUD_SOURCE = {source!r}
_AUD_ENTRY = {entry!r}
_AUD_MINED = {mined!r}
_aud_fn = []
_aud_outs = {{}}


def _aud_call(args):
    if not _aud_fn:
        g = {{}}
        exec(compile(_AUD_SOURCE, "<aud-candidate>", "exec"), g)
        _aud_fn.append(g[_AUD_ENTRY])
    return _aud_fn[0](*_aud_copy.deepcopy(args))


def __auditor_props__(kind, *rest):
    if kind == "holds":  # does property p hold on input i and the program's output on it
        p, i, args = rest[0], rest[1], rest[2:]
        if i not in _aud_outs:
            _aud_outs[i] = _aud_call(args)
        return _aud_holds(p, args, _aud_outs[i])
    if kind == "value":  # does property p hold on an asserted (input, output) pair
        return _aud_holds(rest[0], rest[2:], rest[1])
    if kind == "breaks":  # how many mined properties the program's output breaks
        out = _aud_call(rest)
        return sum(1 for p in _AUD_MINED if _aud_holds(p, rest, out) is False)
    raise ValueError(kind)
"""


def _names() -> tuple[str, ...]:
    namespace: dict[str, Any] = {}
    exec(compile(PREDICATES, "<auditor-predicates>", "exec"), namespace)  # our own source
    return tuple(sorted(namespace["_AUD_P"]))


NAMES = _names()
CANARY = "type_ellipsis"  # broken by every plain-data output
_TRUE = fingerprint(True)
_COUNTS = {fingerprint(k): k for k in range(MAX_COUNT + 2)}


def program(code: str, entry_point: str, mined: Sequence[str] = ()) -> str:
    """The harness program answering `ENTRY` queries for `code` (its `entry_point`)."""
    query = _QUERY.format(source=code, entry=entry_point, mined=tuple(mined))
    return PREDICATES + query


def mine(
    run: ExecRunner,
    task_id: str,
    pairs: Sequence[tuple[Sequence[Any], Any]] = (),
    *,
    reference: tuple[str, str, Sequence[Sequence[Any]]] | None = None,
    limits: Limits | None = None,
) -> tuple[str, ...]:
    """The library's properties that apply to and hold on every weak pair: `pairs` of
    (arguments, asserted output), or the `reference` (code, entry point, inputs)'s outputs.
    Empty with fewer than MIN_PAIRS pairs."""
    if reference is not None:
        code, entry, inputs = reference
        queries = [["holds", p, i, *a] for p in NAMES for i, a in enumerate(inputs)]
        n = len(inputs)
    else:
        code, entry = "", "_"
        queries = [["value", p, out, *a] for p in NAMES for a, out in pairs]
        n = len(pairs)
    if n < MIN_PAIRS:
        return ()
    vec = run.run_each("harness", f"props:{task_id}", ENTRY, [(program(code, entry), queries)],
                       limits)[0]  # fmt: skip
    if vec is None:
        return ()
    return tuple(
        p for k, p in enumerate(NAMES) if all(f == _TRUE for f in vec[k * n : (k + 1) * n])
    )


def asserted_pairs(tests: Harvest) -> list[tuple[list[Any], Any]]:
    """The (arguments, output) pairs of the asserts that state an output (`==`)."""
    return [
        (list(a), e.value)
        for a, e in zip(tests.inputs, tests.expected, strict=True)
        if e is not None and e.kind == "eq"
    ]


@dataclass(frozen=True)
class Violations:
    """Per code, the share of inputs on which its output breaks a mined property (NaN: not
    measured), and whether the count its program reported skipped the canary (`tampered`,
    for the program that ran; its cluster's shares are then NaN)."""

    shares: np.ndarray
    tampered: tuple[bool, ...]


def _with_canary(mined: Sequence[str], seed: str) -> tuple[str, ...]:
    """`mined` with CANARY at a place drawn from `seed` (not always last)."""
    at = random.Random(f"canary/{seed}").randrange(len(mined) + 1)
    return (*mined[:at], CANARY, *mined[at:])


def violation_shares(
    run: ExecRunner,
    task_id: str,
    entry_point: str,
    codes: Sequence[str],
    vectors: Sequence[Vector | None],
    inputs: Sequence[Sequence[Any]],
    mined: Sequence[str],
    limits: Limits | None = None,
) -> Violations:
    """Per code, the share of `inputs` on which its output breaks some `mined` property
    (inputs on which it raised or timed out do not count); one run per distinct vector."""
    out = np.full(len(codes), np.nan)
    tampered = [False] * len(codes)
    if not mined or not inputs:
        return Violations(out, tuple(tampered))
    first: dict[Vector, int] = {}
    for i, v in enumerate(vectors):
        if v is not None:
            first.setdefault(v, i)
    queries = [["breaks", *a] for a in inputs]
    asked = {i: _with_canary(mined, codes[i]) for i in first.values()}
    progs = [(program(codes[i], entry_point, asked[i]), queries) for i in first.values()]
    got = run.run_each("harness", f"props:{task_id}", ENTRY, progs, limits)
    share: dict[Vector, float] = {}
    for (v, i), vec in zip(first.items(), got, strict=True):
        counts = [] if vec is None else [_COUNTS[f] for f in vec if f in _COUNTS]
        if 0 in counts:  # the canary is broken on every input: the count was rewritten
            tampered[i] = True
        elif counts:
            share[v] = float(np.mean([c > 1 for c in counts]))
    for i, v in enumerate(vectors):
        if v is not None and v in share:
            out[i] = share[v]
    return Violations(out, tuple(tampered))


def excess(shares: np.ndarray, peers: Sequence[bool]) -> np.ndarray:
    """Each peer's share less the least share among the peers (NaN for a row that is not a
    peer or has no share, and for every row when fewer than two peers have one)."""
    out = np.full(len(shares), np.nan)
    have = [i for i, (s, p) in enumerate(zip(shares, peers, strict=True)) if p and np.isfinite(s)]
    if len(have) < 2:
        return out
    least = float(np.min(shares[have]))
    for i in have:
        out[i] = float(shares[i]) - least
    return out
