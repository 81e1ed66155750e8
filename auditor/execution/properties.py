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

The program's own process is asked nothing: its outputs on the kept inputs cross the
sandbox's value format (`ExecRunner.outputs`: plain data only), and the predicates run on
those values in a sandboxed program that holds no candidate code. Only counts and
True/False come back from it, decoded by fingerprinting the known vocabulary (as
`auditor.execution.harness` does). A program can change what it returns, never what is
counted of it (before session 17 it counted its own breaks, which a canary guarded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from auditor.behavior.mutate import input_key
from auditor.execution.consensus import Vector
from auditor.execution.harvest import Harvest
from auditor.execution.runner import NO_OUTPUT, ExecRunner, Limits
from auditor.sandbox._worker import fingerprint

# Counting on the trusted side (session 17) changes no honest program's value (measured:
# reports/execution/README.md), so the schema the packaged model was trained for stays.
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
    for T in ("bool", "int", "float", "str", "list", "tuple", "dict", "set", "NoneType"):
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
_AUD_MINED = {mined!r}


def __auditor_props__(kind, *rest):
    if kind == "value":  # does property p hold on an (input, output) pair
        return _aud_holds(rest[0], rest[2:], rest[1])
    if kind == "count":  # how many mined properties an (input, output) pair breaks
        out, args = rest[0], rest[1:]
        return sum(1 for p in _AUD_MINED if _aud_holds(p, args, out) is False)
    raise ValueError(kind)
"""


def _names() -> tuple[str, ...]:
    namespace: dict[str, Any] = {}
    exec(compile(PREDICATES, "<auditor-predicates>", "exec"), namespace)  # our own source
    return tuple(sorted(namespace["_AUD_P"]))


NAMES = _names()
_TRUE = fingerprint(True)
_COUNTS = {fingerprint(k): k for k in range(MAX_COUNT + 1)}


def program(mined: Sequence[str] = ()) -> str:
    """The program answering `ENTRY` queries about given (input, output) pairs: our
    predicates and nothing of any candidate's."""
    return PREDICATES + _QUERY.format(mined=tuple(mined))


def mine(
    run: ExecRunner,
    task_id: str,
    pairs: Sequence[tuple[Sequence[Any], Any]] = (),
    *,
    reference: tuple[str, str, Sequence[Sequence[Any]]] | None = None,
    limits: Limits | None = None,
) -> tuple[str, ...]:
    """The library's properties that apply to and hold on every weak pair: `pairs` of
    (arguments, asserted output), or the `reference` (code, entry point, inputs)'s outputs
    (none when it has no plain output on one of them). Empty with fewer than MIN_PAIRS."""
    if reference is not None:
        code, entry, inputs = reference
        outs = run.outputs("harness", f"props:{task_id}", entry, [(code, inputs)], limits)[0]
        if outs is None or any(o is NO_OUTPUT for o in outs):
            return ()
        pairs = list(zip(inputs, outs, strict=True))
    n = len(pairs)
    if n < MIN_PAIRS:
        return ()
    queries = [["value", p, out, *a] for p in NAMES for a, out in pairs]
    vec = run.run_each("harness", f"props:{task_id}", ENTRY, [(program(), queries)], limits)[0]
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


def _keyable(queries: Sequence[Any]) -> bool:
    """Whether queries holding a candidate's outputs can be keyed and sent; one program's
    odd output must cost that program its count, not the run (`input_key` is total for
    what the value format decodes: this guards what it may miss)."""
    try:
        input_key(queries)
    except Exception:  # any failure is that program's alone
        return False
    return True


def violation_shares(
    run: ExecRunner,
    task_id: str,
    entry_point: str,
    codes: Sequence[str],
    vectors: Sequence[Vector | None],
    inputs: Sequence[Sequence[Any]],
    mined: Sequence[str],
    limits: Limits | None = None,
) -> np.ndarray:
    """Per code, the share of `inputs` on which its output breaks some `mined` property
    (inputs on which it raised or timed out do not count; NaN: not measured). One run of
    one program per distinct vector for its outputs, one of the predicates on them.

    That run must give the cluster's vector again (its fingerprints, from the same run as
    the values): a program can tell it is run without timing passes and return other
    outputs there, and the first member of the right cluster returning -1 in that run had
    the whole cluster counted as breaking the properties, so a wrong cluster was picked
    (red team s23, A6). A member whose run differs is passed over for the next one."""
    out = np.full(len(codes), np.nan)
    if not mined or not inputs:
        return out
    members: dict[Vector, list[int]] = {}
    for i, v in enumerate(vectors):
        if v is not None:
            members.setdefault(v, []).append(i)
    where = f"props:{task_id}"
    told: dict[Vector, tuple[Any, ...]] = {}  # per vector, outputs that reproduce it
    for k in range(max((len(m) for m in members.values()), default=0)):
        ask = [v for v, m in members.items() if v not in told and k < len(m)]
        if not ask:
            break
        progs = [(codes[members[v][k]], inputs) for v in ask]
        outs = run.outputs("harness", where, entry_point, progs, limits)
        again = run.vectors("harness", where, entry_point, progs, limits)
        told |= {
            v: o for v, o, fp in zip(ask, outs, again, strict=True) if o is not None and fp == v
        }
    asks = [
        [["count", o, *a] for a, o in zip(inputs, got, strict=True) if o is not NO_OUTPUT]
        for got in told.values()
    ]
    asks = [q if _keyable(q) else [] for q in asks]  # no queries: NaN for that cluster
    counted = run.run_each("harness", where, ENTRY, [(program(mined), q) for q in asks], limits)
    share: dict[Vector, float] = {}
    for v, vec in zip(told, counted, strict=True):
        counts = [] if vec is None else [_COUNTS[f] for f in vec if f in _COUNTS]
        if counts:
            share[v] = float(np.mean([c > 0 for c in counts]))
    for i, v in enumerate(vectors):
        if v is not None and v in share:
            out[i] = share[v]
    return out


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
