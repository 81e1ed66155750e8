"""Values of a test's argument and expected-value expressions, computed without running it.

A weak test's arguments are often written as expressions of literals and of names bound to
literals (`candidate(3 * 19)`, `candidate(x, x + 1) == str(x)` in a loop,
`tuple(candidate(l)) == tuple([2, 6, 3])`). `evaluate(text, env)` folds such an expression
with simpleeval: operators, comprehensions and a few pure builtins over plain data, the
names of `env` (each read as a fresh copy, so nothing evaluated can change a binding).
Attribute access (methods) and every other name or function are refused. Every operator
and builtin first checks the size of what it is given (`_weight`, in machine words, shared
references counted each time they are reached, so `[[1] * 99999] * 99999` is as big as it
looks to a comparison) and of what it would build (powers, products), and simpleeval bounds
comprehensions: a test module cannot make the harvest hang or fill memory. Only plain data
comes out.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Mapping
from typing import Any

import simpleeval

# Pure builtins over plain data a test may wrap its values in (no `range`: `list(range(n))`
# is not bounded by simpleeval's limits).
FUNCTIONS: Mapping[str, Any] = {
    f.__name__: f
    for f in (str, int, float, bool, tuple, list, set, frozenset, dict, sorted, len, abs,
              min, max, sum, round)
}  # fmt: skip
_PLAIN = (int, float, complex, str, bytes, bool, type(None))
# Largest value an operation may take or make, in machine words: sorting or comparing this
# much is quick, and a comprehension's 10,000 steps over it still end within seconds.
MAX_WEIGHT = 20_000
# Python prints no int beyond 4,300 digits (about 14,300 bits), so a test cannot use one.
MAX_INT_BITS = 14_400


class NotConstant(Exception):
    """An expression that cannot be folded to plain data (see the module docstring)."""


class _Copies(dict[str, Any]):
    """The bindings, each read as a deep copy (a method call cannot change a binding)."""

    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(super().__getitem__(key))


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 20:
        return False
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _weight(value: Any, budget: int = MAX_WEIGHT) -> int:
    """Size of `value` in machine words, counted up to just past `budget` (iteratively:
    nesting cannot overflow the stack)."""
    total, stack = 0, [value]
    while stack and total <= budget:
        v = stack.pop()
        if isinstance(v, int):
            total += 1 + v.bit_length() // 64
        elif isinstance(v, str | bytes):
            total += 1 + len(v) // 8
        elif isinstance(v, dict):
            total += 1
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list | tuple | set | frozenset):
            total += 1
            stack.extend(v)
        else:
            total += 1
    return total


def _check(*values: Any) -> None:
    if sum(_weight(v) for v in values) > MAX_WEIGHT:
        raise NotConstant("too large")


def _int_bits(x: Any) -> int:
    return x.bit_length() if isinstance(x, int) else 64


def _builds_too_much(op: type | None, args: tuple[Any, ...]) -> bool:
    """Whether a power or a product would make more than its operands hold: an int past
    MAX_INT_BITS, a repeated sequence past MAX_WEIGHT."""
    if len(args) != 2 or op not in (ast.Pow, ast.Mult):
        return False
    a, b = args
    if op is ast.Pow:
        return isinstance(b, int) and _int_bits(a) * abs(b) > MAX_INT_BITS
    if isinstance(a, int) and isinstance(b, int):
        return _int_bits(a) + _int_bits(b) > MAX_INT_BITS
    times, seq = (b, a) if isinstance(b, int) else (a, b)
    return isinstance(times, int) and _weight(seq) * max(times, 0) > MAX_WEIGHT


def _guarded(fn: Callable[..., Any], op: type | None = None) -> Callable[..., Any]:
    """`fn` refusing operands, or a result (powers, products), larger than MAX_WEIGHT."""

    def run(*args: Any) -> Any:
        _check(*args)
        if _builds_too_much(op, args):
            raise NotConstant("too large to build")
        out = fn(*args)
        _check(out)
        return out

    return run


_OPERATORS = {op: _guarded(fn, op) for op, fn in simpleeval.DEFAULT_OPERATORS.items()}
_FUNCTIONS = {name: _guarded(fn) for name, fn in FUNCTIONS.items()}


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """The plain-data value of the expression `text` (NotConstant if it has none)."""
    try:
        return ast.literal_eval(text)  # the common case, and the fastest
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    evaluator = simpleeval.EvalWithCompoundTypes(
        operators=dict(_OPERATORS), functions=dict(_FUNCTIONS), names=_Copies(env)
    )
    for node in (ast.Attribute, ast.JoinedStr, ast.FormattedValue):
        evaluator.nodes.pop(node, None)
    try:
        value = evaluator.eval(text)
    except Exception:  # simpleeval's refusals, and whatever the folded operations raise
        raise NotConstant(text) from None
    if not _plain(value) or _weight(value) > MAX_WEIGHT:
        raise NotConstant(text)
    return value
