"""Weak tests from a test module: inputs from calls to the entry point, outputs from asserts.

`harvest(source, names)` reads an assert-based or pytest-style module (or a HumanEval
`check(candidate)` function) with libcst and collects every call `NAME(literal args)` where
NAME is one of `names` (the entry point, `candidate`). An assert on such a call gives its
expected output when it is one of
    assert f(x) == LIT        assert LIT == f(x)        assert f(x) is True / False / None
    assert f(x)               assert not f(x)           assert abs(f(x) - LIT) < TOL
Calls with non-literal arguments are skipped; their assert then checks nothing here. Nothing
is executed: literals are read with `ast.literal_eval`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from auditor.errors import InputError


@dataclass(frozen=True)
class Expect:
    """What a weak test asserts about one call: kind eq | truthy | falsy | close."""

    kind: str
    value: Any = None
    tol: float = 0.0


@dataclass(frozen=True)
class Harvest:
    """Distinct argument lists, in order of appearance, with what is asserted (or None)."""

    inputs: tuple[tuple[Any, ...], ...]
    expected: tuple[Expect | None, ...]


class _Bad(Exception):
    """A node that is not a literal."""


def _literal(module: cst.Module, node: cst.CSTNode) -> Any:
    try:
        return ast.literal_eval(module.code_for_node(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _Bad from None


class _Collector(cst.CSTVisitor):
    def __init__(self, module: cst.Module, names: frozenset[str]) -> None:
        self.module = module
        self.names = names
        self.calls: list[tuple[Any, ...]] = []
        self.expects: dict[int, Expect] = {}  # id(call node) -> expectation
        self.call_args: dict[int, tuple[Any, ...]] = {}

    def _args(self, call: cst.Call) -> tuple[Any, ...] | None:
        if not (isinstance(call.func, cst.Name) and call.func.value in self.names):
            return None
        if any(a.keyword is not None or a.star for a in call.args):
            return None
        try:
            return tuple(_literal(self.module, a.value) for a in call.args)
        except _Bad:
            return None

    def visit_Call(self, node: cst.Call) -> None:
        args = self._args(node)
        if args is not None:
            self.calls.append(args)
            self.call_args[id(node)] = args

    def visit_Assert(self, node: cst.Assert) -> None:
        found = _expectation(self.module, node.test)
        if found is not None:
            call, expect = found
            self.expects[id(call)] = expect


def _expectation(module: cst.Module, test: cst.BaseExpression) -> tuple[cst.Call, Expect] | None:
    """(the call, what is asserted about it) for the supported assert forms."""
    try:
        if isinstance(test, cst.Call):
            return test, Expect("truthy")
        if (
            isinstance(test, cst.UnaryOperation)
            and isinstance(test.operator, cst.Not)
            and isinstance(test.expression, cst.Call)
        ):
            return test.expression, Expect("falsy")
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            return _compared(module, test)
    except _Bad:
        return None
    return None


def _compared(module: cst.Module, test: cst.Comparison) -> tuple[cst.Call, Expect] | None:
    op, right = test.comparisons[0].operator, test.comparisons[0].comparator
    left = test.left
    if isinstance(op, cst.Equal | cst.Is):
        if isinstance(left, cst.Call) and not _is_abs(left):
            return left, Expect("eq", _literal(module, right))
        if isinstance(right, cst.Call):
            return right, Expect("eq", _literal(module, left))
    if isinstance(op, cst.LessThan | cst.LessThanEqual) and _is_abs(left):
        assert isinstance(left, cst.Call)
        inner = left.args[0].value if len(left.args) == 1 else None
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Subtract):
            call, lit = inner.left, inner.right
            if not isinstance(call, cst.Call):
                call, lit = inner.right, inner.left
            if isinstance(call, cst.Call):
                tol = float(_literal(module, right))
                return call, Expect("close", _literal(module, lit), tol)
    return None


def _is_abs(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "abs"
    )


def harvest(source: str, names: Sequence[str], *, where: str = "tests") -> Harvest:
    """Inputs and expectations of calls to `names` in `source` (InputError if none)."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise InputError(f"{where}: does not parse (line {exc.raw_line})") from None
    col = _Collector(module, frozenset(names))
    module.visit(col)
    order: dict[str, int] = {}
    inputs: list[tuple[Any, ...]] = []
    expected: list[Expect | None] = []
    for key, args in col.call_args.items():
        text = repr(args)
        if text not in order:
            order[text] = len(inputs)
            inputs.append(args)
            expected.append(None)
        exp = col.expects.get(key)
        if exp is not None and expected[order[text]] is None:
            expected[order[text]] = exp
    if not inputs:
        raise InputError(f"{where}: no call to {' or '.join(names)} with literal arguments")
    return Harvest(tuple(inputs), tuple(expected))
