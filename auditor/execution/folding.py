"""Values of a test's argument and expected-value expressions, computed without running it.

A weak test's arguments are often written as expressions of literals and of names bound to
literals (`candidate(3 * 19)`, `candidate(x, x + 1) == str(x)` in a loop,
`tuple(candidate(l)) == tuple([2, 6, 3])`). `evaluate(text, env)` folds such an expression
with simpleeval: operators, comprehensions and a few pure builtins over plain data, the
names of `env` (each read as a fresh copy, so nothing evaluated can change a binding).
Attribute access (methods) and every other name or function are refused, and simpleeval's
limits bound powers, sequence lengths and comprehensions, so a test module cannot make the
harvest hang or fill memory. Only plain data comes out.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping
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


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """The plain-data value of the expression `text` (NotConstant if it has none)."""
    try:
        return ast.literal_eval(text)  # the common case, and the fastest
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    evaluator = simpleeval.EvalWithCompoundTypes(names=_Copies(env), functions=dict(FUNCTIONS))
    for node in (ast.Attribute, ast.JoinedStr, ast.FormattedValue):
        evaluator.nodes.pop(node, None)
    try:
        value = evaluator.eval(text)
    except Exception:  # simpleeval's refusals, and whatever the folded operations raise
        raise NotConstant(text) from None
    if not _plain(value):
        raise NotConstant(text)
    return value
