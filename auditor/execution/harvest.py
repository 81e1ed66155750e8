"""Weak tests from a test module: inputs from calls to the entry point, outputs from asserts.

`harvest(source, names)` reads an assert-based or pytest-style module (or a HumanEval
`check(candidate)` function) with libcst and collects every call `NAME(args)` or
`module.NAME(args)` (a module the test imports) whose arguments have a value without
running anything, where NAME is one of `names` (the functions tested, each by the names
the tests call it: a HumanEval test's `candidate` is the entry point); keyword arguments
take their places from the function's `params`. An assert on such a call
gives its expected output when it is one of
    assert f(x) == V          assert V == f(x)          assert f(x) is True / False / None
    assert f(x)               assert not f(x)           assert abs(f(x) - V) < TOL
    assert f(x) == approx(V)  r = f(x); assert r == V   assert sorted(f(x)) == V
    assert f(x) > V           assert f(x) in (V, W)     assert V not in f(x)
(`sorted` standing for any of CONVERSIONS around the call, applied to the output in the
sandbox), or unittest's `self.assertEqual`, `assertTrue`, `assertFalse`, `assertIs`,
`assertIsNone`, `assertIn`, `assertNotIn` and `assertAlmostEqual` (`places` or `delta`), read as the assert each one means; and a
call expected to raise: `with pytest.raises(E):` around one statement with one call,
`self.assertRaises(E)` likewise, or `assertRaises(E, f, *args)` (judged on the exception's
class name, `verify`). Every assert on a call is kept, not only the first
(`len(f(x)) == 3` then `f(x) == [1, 3, 3]`), and asserts read without an expectation (a
value a helper returns, an argument not known, a raises block's message, an assertion
helper not read such as `assertIsInstance`) are counted (`Harvest.unjudged`).

Arguments and expected values are folded by `folding.evaluate`: literals, operators and a
few pure builtins over literals (`3 * 19`, `str(x)`, `tuple([1, 3])`) and over the names
bound to such values where the binding is plain to read: an assignment (`data = [3, 1, 2]`,
module constants included), the variables of a `for` over a value, a `range`, a dict's
`items()` or `zip`/`enumerate` of such values, the
arguments of `pytest.mark.parametrize` (each row, the first MAX_UNROLL of them), and the
parameters named after a `pytest.fixture` whose body is `return V`, and a test class's
`self.x = V` in its setUp or setup_method (`_Walker._setup`); a helper called as a
statement (`check(3, 9)`, `syntax.helpers`) is read at each call, its parameters bound. A name a later
statement may rebind (in a branch, by `del`, by a list method) is forgotten, and so is a
result variable a later statement mentions; a function body does not see the module
names rebound or changed anywhere after (`syntax.late_changed`): tests run once the
whole module has run. Only asserts that run are judged: an `if` whose test folds is read
down its branch, and `continue`/`break`/`return`/`pytest.skip()` where they stand; a test
marked skip or xfail, a branch not known to be taken and what follows a statement that may
leave the block are read muted (asserts counted unjudged). Calls with
other arguments are skipped; their assert then checks nothing here. Nothing in the module
is executed, so a value computed at run time (`random`, a helper) is not followed.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import libcst as cst

from auditor.errors import InputError
from auditor.execution.folding import NotConstant, evaluate
from auditor.execution.syntax import (
    RAISES,
    SELF,
    SETUPS,
    Env,
    assertion_call,
    bind,
    decorator_callee,
    dotted,
    dotted_call,
    exception_name,
    exit_kind,
    heads,
    helpers,
    imported_names,
    late_changed,
    marked_not_run,
    message_args,
    nodes,
    not_run,
    raises_name,
    rebound,
    self_attribute,
    self_changed,
    single_positional,
    states_message,
    suites,
    target_names,
    unittest_assert,
)
from auditor.parse import Parsed, deep_recursion, parse

# Rows of one loop or one parametrized test followed: the weak tests' evidence grows slowly
# past a few dozen rows, while the inputs (each run by every candidate) cost time.
MAX_UNROLL = 100
# Rows followed in the whole module: nested loops multiply, and harvesting must stay quick.
MAX_ROWS = 400
# Helpers calling helpers (`check` calling `check_one`) read this deep: each level is read
# once per call of it, so deeper chains would multiply.
MAX_HELPER_DEPTH = 3
# Helper calls read in the whole module: a helper calling another thousands of times, itself
# called thousands of times, must not make the harvest hang. Past it a call's asserts are
# one unjudged count. Each read costs milliseconds (about 8 ms a call in scipy's
# test_decomp_update.py, whose helpers call helpers 3,069 times: 5,000 took its harvest from
# 7 s to 24-32 s), and a test's table of cases is rarely longer than this.
MAX_INLINED = 500
# A test module's size limit: larger than a candidate's (tables of cases), still bounded
# because reading costs about 1 ms per assert.
MAX_TEST_CHARS = 1_000_000
# pytest.approx's default tolerance (relative 1e-6, absolute 1e-12).
APPROX_REL, APPROX_ABS = 1e-6, 1e-12
# An ordering assert's operator, as written with the call on the left (`0 < f(x)` is `>`).
ORDERS = {cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">",
          cst.GreaterThanEqual: ">="}  # fmt: skip
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
# math.isclose's defaults (rel_tol, abs_tol).
ISCLOSE_REL, ISCLOSE_ABS = 1e-9, 0.0

ABS = ("abs", "fabs", "math.fabs")
CONSTANTS = ("True", "False", "None")
# Builtins a test may apply to the output before comparing it (`sorted(f(x)) == [...]`).
CONVERSIONS = ("tuple", "list", "sorted", "set", "frozenset", "str", "int", "float", "bool",
               "len", "abs", "round")  # fmt: skip


@dataclass(frozen=True)
class Expect:
    """What a weak test asserts about one call: kind eq | is (`is True`, `is None`: the
    value itself) | truthy | falsy | close | order (`f(x) OP value`, `op` one of ORDERS) |
    in (`f(x) in value`, `op` "in" or "not in") | contains (`value in f(x)`, likewise) |
    raises (`value`: the exception's class name).

    A `close` output is a number within `tol` of `value`: `op` "<" (`abs(f(x) - V) < T`
    holds only strictly), "<=" (`<= T`, assertAlmostEqual), "approx" (pytest.approx:
    equal, or within `tol`) or "isclose" (`math.isclose`: `tol` its `abs_tol`, `rel` its
    `rel_tol`, relative to the larger of the two numbers)."""

    kind: str
    value: Any = None
    tol: float = 0.0
    via: str = ""  # a conversion of the output first (`tuple(f(x)) == ...`): CONVERSIONS
    op: str = "<="
    rel: float = 0.0


def _is_singleton(expect: Expect) -> bool:
    """An `eq` expectation of True, False or None, which `is` judges by identity."""
    return expect.kind == "eq" and any(expect.value is v for v in (True, False, None))


@dataclass(frozen=True)
class Harvest:
    """The calls read, in order of first appearance: `inputs[i]` asserted `expected[i]`
    (None: only called). A call asserted several ways (`len(f(x)) == 3`, then
    `f(x) == [1, 3, 3]`) has one entry per distinct assert, all of them weak tests, so an
    argument list can repeat (`calls()` lists each once)."""

    inputs: tuple[tuple[Any, ...], ...]
    expected: tuple[Expect | None, ...]
    functions: tuple[str, ...]  # per entry, the function called (by its name in the candidate)
    # Asserts read (each time a loop or parametrized test repeats one) that state nothing
    # judged here: an expected value or an argument not known without running the tests.
    unjudged: int = 0

    def calls(self) -> tuple[tuple[Any, ...], ...]:
        """The distinct argument lists, in order (the weak inputs)."""
        return tuple({repr(a): a for a in self.inputs}.values())

    def of(self, function: str) -> Harvest:
        """The entries on one function."""
        keep = [i for i, f in enumerate(self.functions) if f == function]
        return Harvest(
            tuple(self.inputs[i] for i in keep),
            tuple(self.expected[i] for i in keep),
            (function,) * len(keep),
            self.unjudged,
        )


class NoCalls(InputError):
    """A test module that parses but has no call to the entry point whose arguments are
    known without running it."""


# A call read: (the function called, its arguments in parameter order).
_Call = tuple[str, tuple[Any, ...]]


class _Bad(Exception):
    """A node without a value known before running (see `folding`)."""


class _SelfNames(cst.CSTTransformer):
    """`self.X` as the name SELF + X its value is bound under (`_Walker._setup`)."""

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        name = self_attribute(original_node)
        return cst.Name(SELF + name) if name else updated_node


def _literal(module: cst.Module, node: cst.CSTNode, env: Env) -> Any:
    """The value of `node` folded over the names bound in `env` (`folding`; else _Bad);
    `self.X` reads a class's fixture attribute, when `env` binds one."""
    if any(k.startswith(SELF) for k in env):
        node = cast(cst.CSTNode, node.visit(_SelfNames()))
    try:
        return evaluate(module.code_for_node(node).strip(), env)
    except (NotConstant, RecursionError):  # RecursionError: nesting too deep to print
        raise _Bad from None


@dataclass
class _Walker:
    """Reads statements in order, tracking the names bound to literals (see module doc)."""

    module: cst.Module
    names: Mapping[str, str]  # a name the tests call -> the function it means
    found: list[tuple[_Call, Expect | None]] = field(default_factory=list)
    modules: frozenset[str] = frozenset()  # names the test module imports
    params: Mapping[str, Sequence[str]] = field(default_factory=dict)  # for keyword arguments
    memo: dict[int, list[cst.CSTNode]] = field(default_factory=dict)
    fixtures: Env = field(default_factory=dict)  # pytest fixtures returning a value
    rows_left: int = MAX_ROWS
    unjudged: int = 0  # asserts read that gave no expectation
    # Module names a function body does not take from its definition's bindings
    # (`syntax.late_changed`: rebound or changed later, before any test runs).
    late: frozenset[str] = frozenset()
    isclose: frozenset[str] = frozenset()  # what the module calls math.isclose (`isclose_names`)
    # Reading statements that may not run (a skipped test, a branch not known to be taken):
    # their asserts are counted unjudged, their calls kept as inputs only.
    muted: bool = False
    # Functions read at each statement that calls them (`syntax.helpers`), the class whose
    # body is being read (its methods' key), and the helpers being read (no recursion).
    helpers: Mapping[tuple[int, str], cst.FunctionDef] = field(default_factory=dict)
    cls: int = 0
    active: tuple[cst.FunctionDef, ...] = ()
    helper_envs: dict[int, Env] = field(default_factory=dict)  # bindings where defined
    # The rows of the enclosing class's parametrize decorators, which apply to each test.
    class_rows: list[Env] = field(default_factory=lambda: [{}])
    inlined: int = 0  # helper calls read so far (MAX_INLINED)

    def _rows(self, rows: Sequence[Any] | None) -> Sequence[Any] | None:
        """`rows` within what is left of MAX_ROWS (None once it is spent)."""
        if rows is None or self.rows_left <= 0:
            return None
        rows = rows[: min(MAX_UNROLL, self.rows_left)]
        self.rows_left -= len(rows)
        return rows

    # -- calls and their expectations ------------------------------------------------------
    def _args(self, call: cst.Call, env: Env) -> _Call | None:
        """The function called and its arguments in parameter order (None: not a tested
        function, a value not known, `*args`, or keywords that do not fill the parameters
        after the positional ones in order)."""
        if not self._is_candidate(call) or any(a.star for a in call.args):
            return None
        function = self.names[dotted(call.func).split(".")[-1]]
        positional = [a.value for a in call.args if a.keyword is None]
        named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if named:
            rest = list(self.params.get(function, ())[len(positional) :])
            if set(named) - set(rest) or any(p not in named for p in rest[: len(named)]):
                return None
            positional += [named[p] for p in rest[: len(named)]]
        try:
            return function, tuple(_literal(self.module, v, env) for v in positional)
        except _Bad:
            return None

    def _subtree(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """`nodes(node)`, kept: a statement is searched for calls and for stores, and
        listing a libcst node's children is a visit of its own."""
        key = id(node)
        if key not in self.memo:
            self.memo[key] = list(nodes(node))
        return self.memo[key]

    def _candidate_calls(self, node: cst.CSTNode) -> list[cst.Call]:
        return [n for n in self._subtree(node) if isinstance(n, cst.Call) and self._is_candidate(n)]

    def _calls(self, node: cst.CSTNode, env: Env, expect: tuple[cst.Call, Expect] | None) -> None:
        """Every call to the entry point under `node`, with `expect` on its call."""
        for call in self._candidate_calls(node):
            args = self._args(call, env)
            if args is not None:
                self.found.append((args, expect[1] if expect and expect[0] is call else None))

    def _expectation(self, test: cst.BaseExpression, env: Env, results: Env) -> Any:
        """(the call or the result variable's args, Expect) of a supported assert, or None."""
        try:
            if isinstance(test, cst.Call) and dotted_call(test) in self.isclose:
                return self._isclose(test, env, results)
            if isinstance(test, cst.Call):
                return test, Expect("truthy")
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                inner = test.expression
                if isinstance(inner, cst.Call):
                    return inner, Expect("falsy")
                if isinstance(inner, cst.Name) and inner.value in results:
                    return results[inner.value], Expect("falsy")
            if isinstance(test, cst.Name) and test.value in results:
                return results[test.value], Expect("truthy")
            if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
                return self._compared(test, env, results)
        except _Bad:
            return None
        return None

    def _compared(self, test: cst.Comparison, env: Env, results: Env) -> Any:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        left = test.left
        if isinstance(op, cst.Equal | cst.Is):
            for side, other in ((left, right), (right, left)):
                found = self._target(side, results)
                if found is not None:
                    expect = replace(self._equal_to(other, env), via=found[1])
                    if isinstance(op, cst.Is):  # identity: `is True` fails on 1
                        if not _is_singleton(expect):
                            raise _Bad  # another object's identity cannot cross: unjudged
                        expect = replace(expect, kind="is")
                    return found[0], expect
        if isinstance(op, cst.LessThan | cst.LessThanEqual) and dotted_call(left) in ABS:
            assert isinstance(left, cst.Call)
            inner = left.args[0].value if len(left.args) == 1 else None
            if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Subtract):
                for side, lit in ((inner.left, inner.right), (inner.right, inner.left)):
                    found = self._target(side, results)
                    if found is not None:
                        tol = _literal(self.module, right, env)
                        if not isinstance(tol, int | float) or isinstance(tol, bool):
                            raise _Bad
                        value = _literal(self.module, lit, env)
                        op_text = "<" if isinstance(op, cst.LessThan) else "<="
                        return found[0], Expect("close", value, float(tol), found[1], op_text)
        if isinstance(op, cst.In | cst.NotIn):
            return self._membership(op, left, right, env, results)
        return self._ordered(op, left, right, env, results)

    def _membership(
        self,
        op: cst.In | cst.NotIn,
        left: cst.BaseExpression,
        right: cst.BaseExpression,
        env: Env,
        results: Env,
    ) -> Any:
        """`f(x) in V` (V a collection: `in (1, 2)`) and `V in f(x)` (`"a" in f(s)`), or
        `not in`: the call and its `in` or `contains` expectation, or None."""
        negated = "not in" if isinstance(op, cst.NotIn) else "in"
        found = self._target(left, results)
        if found is not None:
            within = _literal(self.module, right, env)
            if not isinstance(within, list | tuple | set | frozenset | dict | str):
                raise _Bad
            return found[0], Expect("in", within, via=found[1], op=negated)
        found = self._target(right, results)
        if found is not None:
            item = _literal(self.module, left, env)
            return found[0], Expect("contains", item, via=found[1], op=negated)
        return None

    def _ordered(
        self,
        op: cst.BaseCompOp,
        left: cst.BaseExpression,
        right: cst.BaseExpression,
        env: Env,
        results: Env,
    ) -> Any:
        """`f(x) < V`, `V <= f(x)`...: the call and its `order` expectation, or None."""
        order = ORDERS.get(type(op))
        if order is None:
            return None
        for side, other, flip in ((left, right, False), (right, left, True)):
            found = self._target(side, results)
            if found is not None:
                value = _literal(self.module, other, env)
                return found[0], Expect(
                    "order", value, via=found[1], op=_FLIPPED[order] if flip else order
                )
        return None

    def _target(self, node: cst.BaseExpression, results: Env) -> tuple[Any, str] | None:
        """(the entry-point call, or the args of the call a result variable holds; the
        conversion applied to its output) of one side of a comparison, or None."""
        via = ""
        if dotted_call(node) in CONVERSIONS and single_positional(node):
            assert isinstance(node, cst.Call)
            via, node = dotted_call(node), node.args[0].value
        if isinstance(node, cst.Name) and node.value in results:
            return results[node.value], via
        if isinstance(node, cst.Call) and self._is_candidate(node):
            return node, via
        return None

    def _is_candidate(self, call: cst.Call) -> bool:
        """`f(...)`, or `module.f(...)` for a module the test imports (`import solution;
        solution.f(3)`; not `data.count(3)` when the entry point is `count`)."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            return func.attr.value in self.names and func.value.value in self.modules
        return isinstance(func, cst.Name) and func.value in self.names

    def _equal_to(self, node: cst.BaseExpression, env: Env) -> Expect:
        """`== LIT`, or `== approx(LIT[, rel=R][, abs=A])` for a number: pytest's tolerance
        (`abs` alone is the tolerance; else the larger of `rel` x |LIT| and `abs`, their
        defaults APPROX_REL and APPROX_ABS)."""
        if isinstance(node, cst.Call) and dotted_call(node).split(".")[-1] == "approx":
            (arg,), named = self._numeric_args(node, 1, ("rel", "abs"), env)
            value = self._number(arg, env)
            if named.get("rel") is None and named.get("abs") is not None:
                return Expect("close", value, named["abs"], op="approx")
            rel = APPROX_REL if named.get("rel") is None else named["rel"]
            tol = max(rel * abs(value), APPROX_ABS if named.get("abs") is None else named["abs"])
            return Expect("close", value, tol, op="approx")
        return Expect("eq", _literal(self.module, node, env))

    def _isclose(self, call: cst.Call, env: Env, results: Env) -> Any:
        """`math.isclose(f(x), V[, rel_tol=R][, abs_tol=A])` (either order): the call and
        its `isclose` expectation, or None when neither side is a call of the candidate's."""
        (a, b), named = self._numeric_args(call, 2, ("rel_tol", "abs_tol"), env)
        for side, other in ((a, b), (b, a)):
            found = self._target(side, results)
            if found is not None:
                rel, tol = named.get("rel_tol"), named.get("abs_tol")
                return found[0], Expect(
                    "close", self._number(other, env), ISCLOSE_ABS if tol is None else tol,
                    found[1], "isclose", ISCLOSE_REL if rel is None else rel,
                )  # fmt: skip
        return None

    def _numeric_args(
        self, call: cst.Call, n: int, keywords: tuple[str, ...], env: Env
    ) -> tuple[list[cst.BaseExpression], dict[str, float]]:
        """A tolerance call's `n` positional argument nodes and its keyword tolerances
        (numbers >= 0, finite); anything else (`nan_ok=`, `*args`) is not judged (`_Bad`)."""
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if len(positional) != n or len(positional) + len(named) != len(call.args):
            raise _Bad
        if set(named) - set(keywords):
            raise _Bad
        tolerances = {k: self._number(v, env) for k, v in named.items()}
        if any(not (math.isfinite(t) and t >= 0) for t in tolerances.values()):
            raise _Bad
        return positional, {k: float(t) for k, t in tolerances.items()}

    def _number(self, node: cst.BaseExpression, env: Env) -> float:
        """The literal int or float `node` holds (not a bool), else `_Bad`."""
        value = _literal(self.module, node, env)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _Bad
        return value

    def _forget(self, node: cst.CSTNode, env: Env, results: Env) -> None:
        """Drop the bindings `node` may change: names it assigns or deletes (an element or
        attribute store changes its base, `rebound`), mutable values whose methods it
        calls (`data.append(4)`), and any result variable it mentions (`r.reverse()`, an
        alias, a helper handed it: an assert after it no longer reads the call's output;
        red team s19). What a helper does to a literal argument is not seen."""
        below = self._subtree(node)
        held = {n.value for n in below if isinstance(n, cst.Name) and n.value in results}
        fixtures = {SELF + name for name in self_changed(below)}
        for name in rebound(below, env) | held | fixtures:
            env.pop(name, None)
            results.pop(name, None)

    # -- statements ------------------------------------------------------------------------
    def block(
        self, stmts: Sequence[cst.CSTNode], env: Env, results: Env | None = None
    ) -> str | None:
        """Statements in order; `env` (names -> literal values) and `results` (names -> the
        args of the entry-point call they hold) are updated by assignments as they come.
        Returns how the block may be left early (`_leave`); past a statement that may leave
        it, the rest is read muted (its asserts unjudged: they may not run)."""
        results = {} if results is None else results
        muted, maybe = self.muted, None
        replaced = _redefined(stmts)
        try:
            for stmt in stmts:
                if id(stmt) in replaced:  # a later def of its name is the one that runs
                    continue
                left = self._statement(stmt, env, results)
                if left is not None and not left.startswith(MAYBE):
                    return left
                if left is not None:
                    self.muted = True
                    maybe = _strongest(maybe, left)
            return maybe
        finally:
            self.muted = muted

    def _statement(self, stmt: cst.CSTNode, env: Env, results: Env) -> str | None:
        """Read one statement (see `block`); how it leaves the block, if it may."""
        if isinstance(stmt, cst.SimpleStatementLine | cst.BaseSmallStatement):
            smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
            for small in smalls:
                if exit_kind(small) is not None:
                    self._calls(small, env, None)
                    return exit_kind(small)
                self.small(small, env, results)
        elif isinstance(stmt, cst.For):
            self._calls(stmt.iter, env, None)
            left = self.loop(stmt, env)
            self._forget(stmt, env, results)
            return left
        elif isinstance(stmt, cst.FunctionDef):
            self._function(stmt, env)
        elif isinstance(stmt, cst.ClassDef):
            for head in heads(stmt):
                self._calls(head, env, None)
            outer = self.cls, self.class_rows
            self.cls, self.class_rows = id(stmt), _parametrized(self.module, stmt, env)
            with self._muted(not_run(stmt)):
                self.block(stmt.body.body, self._setup(stmt, env), dict(results))
            self.cls, self.class_rows = outer
            self._forget(stmt, env, results)
        elif isinstance(stmt, cst.If):
            left = self._if(stmt, env, results)
            self._forget(stmt, env, results)  # what a branch may have rebound
            return left
        elif isinstance(stmt, cst.While):
            left = self._while(stmt, env, results)
            self._forget(stmt, env, results)
            return left
        elif isinstance(stmt, cst.With) and self._raising(stmt, env):
            self._forget(stmt, env, results)
        else:  # with/try: their suites see the bindings so far
            for head in heads(stmt):
                self._calls(head, env, None)
            left = None
            for body in suites(stmt):
                left = _strongest(left, self.block(body, dict(env), dict(results)))
            self._forget(stmt, env, results)  # what a suite may have rebound
            return _leave(stmt, left)
        return None

    def _function(self, fn: cst.FunctionDef, env: Env) -> None:
        """A function's body, once per parametrize row (a fixture returning a value is
        bound instead); a test marked skip or xfail is read muted."""
        if self._fixture(fn, self._body_env(env)):
            return
        if self.helpers.get((self.cls, fn.name.value)) is fn:  # read where it is called
            self.helper_envs[id(fn)] = self._body_env(env)
            return
        params = target_names(fn.params)
        outer = {k: v for k, v in self._body_env(env).items() if k not in params}
        outer.update({k: v for k, v in self.fixtures.items() if k in params})
        with self._muted(not_run(fn)):
            own = _parametrized(self.module, fn, env)
            rows = [{**c, **r} for c in self.class_rows for r in own][:MAX_UNROLL]
            for row in self._rows(rows) or [{}]:
                self.block(fn.body.body, {**outer, **row})

    def _if(self, node: cst.If, env: Env, results: Env) -> str | None:
        """The branch an `if` takes when its test is known (`x > 0` in a loop over known
        values), else every branch muted: an assert there may not run."""
        self._calls(node.test, env, None)
        try:
            taken: bool | None = bool(_literal(self.module, node.test, env))
        except _Bad:
            taken = True if _is_main(node.test) else None
        if taken:
            return self.block(node.body.body, dict(env), dict(results))
        left = None
        if taken is None:
            with self._muted(True):
                left = _maybe(self.block(node.body.body, dict(env), dict(results)))
        if isinstance(node.orelse, cst.If):
            other = self._if(node.orelse, dict(env), dict(results))
        elif node.orelse is not None:
            other = self.block(node.orelse.body.body, dict(env), dict(results))
        else:
            return left
        return other if taken is not None else _strongest(left, _maybe(other))

    def _while(self, node: cst.While, env: Env, results: Env) -> str | None:
        """A `while`'s body read once, as its first pass sees the bindings: skipped when its
        test is known false, muted when not known (it may not run)."""
        self._calls(node.test, env, None)
        try:
            runs: bool | None = bool(_literal(self.module, node.test, env))
        except _Bad:
            runs = None
        left = None
        if runs is not False:
            with self._muted(runs is None):
                left = self.block(node.body.body, dict(env), dict(results))
        if node.orelse is not None:
            with self._muted(runs is not False):
                left = _strongest(left, self.block(node.orelse.body.body, dict(env), dict(results)))
        return _leave(node, left)

    @contextlib.contextmanager
    def _muted(self, on: bool) -> Iterator[None]:
        """Read muted while inside (when `on`): asserts are counted, not judged."""
        before = self.muted
        self.muted = before or on
        try:
            yield
        finally:
            self.muted = before

    def _setup(self, cls: cst.ClassDef, env: Env) -> Env:
        """The bindings a class's methods see: `env`'s (not an outer class's fixtures) and
        each `self.X = V` statement of its setUp/setup_method (V known; tests run each on a
        fresh setUp), under SELF + X, less an attribute stored twice or changed anywhere
        in the class (`self.data.append(4)`), and those set before another statement that
        calls something (`super().setUp()` may set them again). An inherited setUp is not
        read."""
        outer = {k: v for k, v in env.items() if not k.startswith(SELF)}
        out = dict(outer)
        stores = collections.Counter(self_changed(self._subtree(cls.body)))
        for fn in cls.body.body:
            if not (isinstance(fn, cst.FunctionDef) and fn.name.value in SETUPS):
                continue
            for line in fn.body.body:
                for small in line.body if isinstance(line, cst.SimpleStatementLine) else [line]:
                    name = self_attribute(small.targets[0].target) if (
                        isinstance(small, cst.Assign) and len(small.targets) == 1
                    ) else ""  # fmt: skip
                    if not name and self._calls_any(small):
                        out = dict(outer)
                    elif name and stores[name] == 1:
                        assert isinstance(small, cst.Assign)
                        with contextlib.suppress(_Bad):
                            out[SELF + name] = _literal(self.module, small.value, out)
        return out

    def _calls_any(self, node: cst.CSTNode) -> bool:
        """Whether a statement calls anything that may set a fixture attribute: any call
        but a method of one (`self.data.append(4)` changes only `data`: `self_changed`)."""
        return any(
            isinstance(n, cst.Call)
            and not (isinstance(n.func, cst.Attribute) and self_attribute(n.func.value))
            for n in self._subtree(node)
        )

    def _body_env(self, env: Env) -> Env:
        """The bindings a function body sees: its definition's, less the names the module
        rebinds or changes after it (a test runs once the whole module has run: `X = 5`,
        a test reading X, then `X = 6` asserts 6; red team s19)."""
        return {k: v for k, v in env.items() if k not in self.late}

    def _judged(self, before: int, test: cst.CSTNode | None = None) -> None:
        """Count the assert just read (`test`: its condition) as unjudged when it added no
        expectation after `self.found[before]`; `assert True, "..."` (constants only, as
        HumanEval's tests end) states nothing to judge."""
        if test is not None and not any(
            isinstance(n, cst.Call) or (isinstance(n, cst.Name) and n.value not in CONSTANTS)
            for n in self._subtree(test)
        ):
            return
        if all(e is None for _, e in self.found[before:]):
            self.unjudged += 1

    def _judged_parts(self, test: cst.BaseExpression, env: Env, results: Env) -> list[Any]:
        """The expectations (`_expectation`, None: not judged) of an assert's test: a
        chained comparison (`0 < f(x) < 4`) gives one per link (`0 < f(x)`, `f(x) < 4`)
        when every link states something judged, else None, as any assert left unread."""
        found = [self._expectation(link, env, results) for link in _links(test)]
        return [None] if len(found) > 1 and None in found else found

    def small(self, node: cst.BaseSmallStatement, env: Env, results: Env) -> None:
        before = len(self.found)
        stated = node.test if isinstance(node, cst.Assert) else assertion_call(node)
        if self.muted and stated is not None:  # an assert that may not run: unjudged
            self._calls(node, env, None)
            self._judged(before, stated)
            return
        if self._assert_raises_call(node, env):
            self._judged(before)
            return
        test = node.test if isinstance(node, cst.Assert) else unittest_assert(node)
        if test is not None:
            # The calls are looked up in `test` itself: a link is a new node, and `_subtree`
            # keys its memo by id (a freed link's id may come back for another node).
            for found in self._judged_parts(test, env, results):
                if found is not None and isinstance(found[0], tuple):
                    self.found.append((found[0], found[1]))
                    self._calls(test, env, None)
                else:
                    self._calls(test, env, found)
            self._judged(before, test)
            return
        if self._helper_call(node, env, results):
            return
        helper = assertion_call(node)
        if helper is not None:  # an assertion not read (assertIsInstance, assert_allclose...)
            self._calls(node, env, None)
            self._judged(before, helper)
            return
        self._calls(node, env, None)
        self._forget(node, env, results)
        if isinstance(node, cst.Assign | cst.AnnAssign):
            self._assign(node, env, results)

    def _helper_call(self, node: cst.BaseSmallStatement, env: Env, results: Env) -> bool:
        """`check(3, 9)` or `self.check(3, 9)` of a helper (`syntax.helpers`): its body read
        with each parameter bound to the argument's value, or to the candidate call it is
        handed (`check(f(3), 9)`); a parameter not known is unbound. False otherwise."""
        call = node.value if isinstance(node, cst.Expr) else None
        if not isinstance(call, cst.Call) or len(self.active) >= MAX_HELPER_DEPTH:
            return False
        method = self_attribute(call.func)
        name = method or (call.func.value if isinstance(call.func, cst.Name) else "")
        fn = self.helpers.get((self.cls if method else 0, name))
        if fn is None or fn in self.active:
            return False
        self._calls(node, env, None)
        self.inlined += 1
        if self.inlined > MAX_INLINED:
            self.unjudged += 1
            return True
        params = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
        params = params[1:] if method else params
        given = dict(zip(params, [a.value for a in call.args if a.keyword is None], strict=False))
        given.update({a.keyword.value: a.value for a in call.args if a.keyword is not None})
        keep = {k: v for k, v in env.items() if k.startswith(SELF)} if method else {}
        inner = {**self.helper_envs.get(id(fn), keep), **keep}
        inner = {k: v for k, v in inner.items() if k not in target_names(fn.params)}
        defaults = [p for p in (*fn.params.posonly_params, *fn.params.params) if p.default]
        for p in defaults:  # a default not overridden, read where the helper is defined
            with contextlib.suppress(_Bad):
                if p.name.value not in given and p.default is not None:
                    inner[p.name.value] = _literal(self.module, p.default, inner)
        bound: Env = {}
        for param, arg in given.items():
            target = self._target(arg, results)
            if target is not None and not target[1]:
                found = target[0] if isinstance(target[0], tuple) else self._args(target[0], env)
                bound.update({param: found} if found is not None else {})
                continue
            with contextlib.suppress(_Bad):
                inner[param] = _literal(self.module, arg, env)
        self.active += (fn,)
        try:
            self.block(fn.body.body, inner, bound)
        finally:
            self.active = self.active[:-1]
        return True

    def _assert_raises_call(self, node: cst.BaseSmallStatement, env: Env) -> bool:
        """`self.assertRaises(E, f, *args)` / `pytest.raises(E, f, *args)`: f(*args) raises E
        (`assertRaisesRegex(E, P, f, *args)` too: its pattern is an assert not judged)."""
        call = node.value if isinstance(node, cst.Expr) else None
        if not isinstance(call, cst.Call) or dotted_call(call).split(".")[-1] not in RAISES:
            return False
        pos = [a for a in call.args if a.keyword is None and not a.star]
        at = 1 + message_args(call)  # the function's place
        if len(pos) < at + 1 or len(pos) != len(call.args):
            return False
        name, fn = exception_name(pos[0].value), pos[at].value
        if not name or not (isinstance(fn, cst.Name | cst.Attribute)):
            return False
        as_call = cst.Call(fn, list(pos[at + 1 :]))
        args = self._args(as_call, env)
        if args is not None:
            self.found.append((args, Expect("raises", name)))
            self.unjudged += message_args(call)
        return True

    def _fixture(self, fn: cst.FunctionDef, env: Env) -> bool:
        """A `@pytest.fixture` whose body is `return V` or starts with `yield V` (V with a
        value, `_fixture_value`): tests taking a parameter of its name get V. False for any
        other function."""
        if not any(
            dotted(decorator_callee(d.decorator)).endswith("fixture") for d in fn.decorators
        ):
            return False
        value = _fixture_value(fn)
        try:
            if value is None:
                raise _Bad
            self.fixtures[fn.name.value] = _literal(self.module, value, env)
        except _Bad:
            self.fixtures.pop(fn.name.value, None)
        return True

    def _raising(self, node: cst.With, env: Env) -> bool:
        """`with pytest.raises(E):` (or `self.assertRaises(E)`) around one statement with
        one call to the entry point: that call is expected to raise E. False otherwise;
        a raises block not read so, and the message a read one also asserts (`match=`,
        assertRaisesRegex's pattern), are asserts not judged (`unjudged`)."""
        items = [item.item for item in node.items]
        raising = [i for i in items if dotted_call(i).split(".")[-1] in RAISES]
        if not raising:
            return False
        if self.muted:  # may not run: its calls are inputs only
            self.unjudged += 1
            return False
        body = node.body.body
        smalls = (
            body[0].body
            if len(body) == 1 and isinstance(body[0], cst.SimpleStatementLine)
            else body
        )
        calls = self._candidate_calls(smalls[0]) if len(smalls) == 1 else []
        name = raises_name(items[0]) if len(items) == 1 else ""
        if not name or len(calls) != 1:
            self.unjudged += 1  # (a, b) of exceptions, several items or statements
            return False
        before = len(self.found)
        self._calls(calls[0], env, (calls[0], Expect("raises", name)))
        self._judged(before)
        self.unjudged += states_message(items[0])
        return True

    def _assign(self, node: cst.Assign | cst.AnnAssign, env: Env, results: Env) -> None:
        """Bind a single target to a literal (or to an entry-point call's args); the old
        bindings of its names are already gone (`_forget`)."""
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        value = node.value
        if value is None or len(targets) != 1:
            return
        target = targets[0]
        if isinstance(value, cst.Call) and isinstance(target, cst.Name):
            args = self._args(value, env)
            if args is not None:
                results[target.value] = args
                return
        try:
            got = bind(target, _literal(self.module, value, env))
        except _Bad:
            return
        env.update(got or {})

    def loop(self, node: cst.For, env: Env) -> str | None:
        """A `for`'s body once per known row (else once, muted past what may leave it); a
        row that breaks ends the rows, one that may break or return mutes the rest."""
        names = target_names(node.target)
        inner = {k: v for k, v in env.items() if k not in names}
        rows = self._rows(_iteration(self.module, node.iter, env))
        left = None
        with self._muted(False):
            if rows is None:  # rows not known: maybe none, so its asserts may not run
                with self._muted(True):
                    left = _maybe(self.block(node.body.body, inner))
            for value in rows or ():
                bound = bind(node.target, value)
                got = self.block(node.body.body, {**inner, **bound}) if bound is not None else None
                if got in ("break", "return"):
                    left = got
                    break
                if got in (MAYBE + "break", MAYBE + "return"):
                    left = _strongest(left, got)
                    self.muted = True  # later rows may not run
        if node.orelse is not None and left != "break":
            left = _strongest(left, self.block(node.orelse.body.body, dict(inner)))
        return _leave(node, left)


# How a block may be left early: "continue", "break" or "return" surely (`exit_kind`), or
# MAYBE + one of them (under a test not known, in a `try`...); the rest of it is then muted.
MAYBE = "maybe-"
_STRENGTH = ("continue", "break", "return")


def _fixture_value(fn: cst.FunctionDef) -> cst.BaseExpression | None:
    """V of a fixture whose body is `return V`, or whose one `yield V` is its first
    statement (a teardown may follow: the test sees V); None for any other body."""
    body = fn.body.body
    first = body[0].body[0] if body and isinstance(body[0], cst.SimpleStatementLine) else None
    if isinstance(first, cst.Return) and len(body) == 1:
        return first.value
    value = first.value if isinstance(first, cst.Expr) else None
    if not isinstance(value, cst.Yield) or not isinstance(value.value, cst.BaseExpression):
        return None
    rest = [*cast(cst.SimpleStatementLine, body[0]).body[1:], *body[1:]]
    yields = [n for b in rest for n in nodes(b) if isinstance(n, cst.Yield | cst.Return)]
    return None if yields else value.value


def _redefined(stmts: Sequence[cst.CSTNode]) -> set[int]:
    """The `def`s and `class`es of a block that a later one of the same name replaces:
    pytest collects (and a helper's caller finds) only the last, so a test written twice
    under one name runs once."""
    last: dict[str, int] = {}
    for stmt in stmts:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            last[stmt.name.value] = id(stmt)
    return {
        id(s)
        for s in stmts
        if isinstance(s, cst.FunctionDef | cst.ClassDef) and last[s.name.value] != id(s)
    }


def _strongest(a: str | None, b: str | None) -> str | None:
    """Of two ways a block may be left, the one that skips most (sure beats maybe)."""

    def rank(x: str | None) -> tuple[bool, int]:
        if x is None:
            return (False, -1)
        return (not x.startswith(MAYBE), _STRENGTH.index(x.removeprefix(MAYBE)))

    return max(a, b, key=rank)


def _maybe(left: str | None) -> str | None:
    """A way of leaving that may not happen (a branch not known to be taken)."""
    return None if left is None else MAYBE + left.removeprefix(MAYBE)


def _leave(stmt: cst.CSTNode, left: str | None) -> str | None:
    """How a compound statement leaves its enclosing block, given how its suites may:
    a loop consumes its own break/continue; a `with` body runs, so its exits are sure;
    anything else (try, while) may not reach them."""
    if isinstance(stmt, cst.For | cst.While) and left is not None:
        left = None if left.removeprefix(MAYBE) in ("continue", "break") else left
        return left if isinstance(stmt, cst.For) else _maybe(left)
    return left if isinstance(stmt, cst.With) else _maybe(left)


def _is_main(test: cst.BaseExpression) -> bool:
    """`__name__ == "__main__"`: a script's checks, which run when it is run."""
    text = cst.Module([]).code_for_node(test).replace("'", '"')
    return text in ('__name__ == "__main__"', '"__main__" == __name__')


def _iteration(module: cst.Module, it: cst.BaseExpression, env: Env) -> list[Any] | None:
    """The values a `for` runs over: a literal collection or `range` of literals, a dict's
    `items()`, `keys()` or `values()`, or `zip`/`enumerate` over such values (else None)."""
    try:
        zipped = _zipped(module, it, env)
        if zipped is not None:
            return zipped
        if dotted_call(it) == "range":
            assert isinstance(it, cst.Call)
            if not 1 <= len(it.args) <= 3 or any(a.keyword or a.star for a in it.args):
                return None
            bounds = [_literal(module, a.value, env) for a in it.args]
            if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
                return None
            return list(itertools.islice(range(*bounds), MAX_UNROLL))
        value = _literal(module, it, env)
    except _Bad:
        return None
    if isinstance(value, list | tuple | set | frozenset | str):
        return list(value)
    if isinstance(value, dict):
        return list(value)
    return None


_VIEWS = {"items": dict.items, "keys": dict.keys, "values": dict.values}


def _zipped(module: cst.Module, it: cst.BaseExpression, env: Env) -> list[Any] | None:
    """`D.items()` (keys, values) of a dict value; `zip(a, b...)` and `enumerate(a[, n])`
    of values `_iteration` reads, as tuples (None: another expression; `_Bad`: a value not
    known). Tests loop over their cases this way (`for n, want in CASES.items():`)."""
    if not isinstance(it, cst.Call) or any(a.star for a in it.args):
        return None
    func = it.func
    if isinstance(func, cst.Attribute) and func.attr.value in _VIEWS and not it.args:
        table = _literal(module, func.value, env)
        if not isinstance(table, dict):
            raise _Bad
        return list(_VIEWS[func.attr.value](table))
    name = dotted_call(it)
    if name not in ("zip", "enumerate"):
        return None
    named = {a.keyword.value: a.value for a in it.args if a.keyword is not None}
    positional = [a.value for a in it.args if a.keyword is None]
    if name == "zip":
        columns = [_iteration(module, a, env) for a in positional]
        if not columns or set(named) - {"strict"} or any(c is None for c in columns):
            raise _Bad
        return list(zip(*cast(list[list[Any]], columns), strict=False))
    start = [*positional[1:], *named.values()]
    first = _literal(module, start[0], env) if start else 0
    column = _iteration(module, positional[0], env) if positional else None
    if column is None or len(start) > 1 or set(named) - {"start"} or not isinstance(first, int):
        raise _Bad
    return list(enumerate(column, first))


def _parametrized(module: cst.Module, fn: cst.FunctionDef | cst.ClassDef, env: Env) -> list[Env]:
    """The rows of a test's (or a test class's) `parametrize` decorators ([{}] without
    any), their product capped at MAX_UNROLL; a decorator not read as literals contributes
    nothing."""
    rows: list[Env] = [{}]
    for dec in fn.decorators:
        call = dec.decorator
        if not (isinstance(call, cst.Call) and dotted_call(call).endswith("parametrize")):
            continue
        own = _parametrize_rows(module, call, env)
        if own is None:
            continue
        rows = [{**a, **b} for a, b in itertools.islice(itertools.product(rows, own), MAX_UNROLL)]
    return rows


def _parametrize_rows(module: cst.Module, call: cst.Call, env: Env) -> list[Env] | None:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if len(positional) < 2:
        return None
    try:
        spec = _literal(module, positional[0], env)
        names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
        values = _param_values(module, positional[1], env)
    except (_Bad, TypeError):
        return None
    if values is None or not all(isinstance(n, str) and n.isidentifier() for n in names):
        return None
    out = []
    for row in values:
        if len(names) == 1:
            out.append({names[0]: row})
        elif isinstance(row, list | tuple) and len(row) == len(names):
            out.append(dict(zip(names, row, strict=True)))
    indirect = _indirect(module, call, names, env)
    return [{k: v for k, v in row.items() if k not in indirect} for row in out]


def _indirect(module: cst.Module, call: cst.Call, names: list[str], env: Env) -> set[str]:
    """The argnames parametrize hands to fixtures (`indirect=True` or a list of names),
    whose values the test sees only as the fixture makes them: not bound (all of them
    when `indirect=` is not read)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "indirect":
            try:
                value = _literal(module, arg.value, env)
            except _Bad:
                return set(names)
            if isinstance(value, list | tuple):
                return {n for n in value if isinstance(n, str)}
            return set(names) if value else set()
    return set()


def _param_values(module: cst.Module, node: cst.BaseExpression, env: Env) -> list[Any] | None:
    """parametrize's argvalues, `pytest.param(a, b, ...)` rows read as (a, b, ...)."""
    if not isinstance(node, cst.List | cst.Tuple):
        value = _literal(module, node, env)
        return list(value) if isinstance(value, list | tuple) else None
    out = []
    for elem in node.elements:
        v = elem.value
        if isinstance(v, cst.Call) and dotted_call(v).split(".")[-1] == "param":
            if marked_not_run(v):  # a skipped or xfail row states nothing
                continue
            out.append(tuple(_literal(module, a.value, env) for a in v.args if a.keyword is None))
        else:
            out.append(_literal(module, v, env))
    return out


@functools.lru_cache(maxsize=8)
def _parsed(source: str) -> Parsed:
    """The guarded parse (libcst's native parser can overflow) of a test module, kept: one
    module is read at load and again at run time (a HumanEval-form task), or once per
    candidate function (`--tests`). libcst modules are immutable."""
    return parse(source, MAX_TEST_CHARS)


def harvest(
    source: str,
    names: Sequence[str] | Mapping[str, str],
    *,
    where: str = "tests",
    params: Sequence[str] | Mapping[str, Sequence[str]] = (),
) -> Harvest:
    """Inputs and expectations of calls to `names` in `source` (InputError if it does not
    parse, NoCalls if no call is found). `names` maps a name the tests call to the function
    it means (HumanEval's `candidate` is the entry point); a sequence, each to itself.
    `params`, a function's parameter names (by function; a sequence: every function's),
    puts keyword arguments in their places (`f(3, key=1)`)."""
    parsed = _parsed(source)
    if parsed.module is None:
        line = f" (line {parsed.error_line})" if parsed.error_line else ""
        raise InputError(f"{where}: does not parse: {parsed.error}{line}")
    called = dict(names) if isinstance(names, Mapping) else {n: n for n in names}
    by_function = params if isinstance(params, Mapping) else dict.fromkeys(called.values(), params)
    walker = _Walker(
        parsed.module,
        called,
        modules=imported_names(parsed.module),
        params=by_function,
        late=late_changed(parsed.module),
        isclose=isclose_names(parsed.module),
        helpers=helpers(parsed.module),
    )
    try:
        with deep_recursion():
            walker.block(parsed.module.body, {})
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to read") from None
    if not walker.found:
        raise NoCalls(
            f"{where}: no call to {' or '.join(names)} whose arguments are known without running the tests"
        )
    return _distinct(walker.found, walker.unjudged)


def _links(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """A chained comparison's links as comparisons of their own (`a < b < c`: `a < b`,
    `b < c`, what Python evaluates, `b` once); any other test as it is."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) < 2:
        return [test]
    lefts = [test.left, *(c.comparator for c in test.comparisons[:-1])]
    return [
        cst.Comparison(left, [cst.ComparisonTarget(c.operator, c.comparator)])
        for left, c in zip(lefts, test.comparisons, strict=True)
    ]


def isclose_names(module: cst.Module) -> frozenset[str]:
    """The dotted names `module` calls `math.isclose` by: `M.isclose` for `import math [as
    M]`, `N` for `from math import isclose [as N]` (a bare `isclose` of its own is not it)."""
    out = set()
    for node in nodes(module):
        if isinstance(node, cst.Import):
            out |= {f"{_bound(a, 'math')}.isclose" for a in node.names if dotted(a.name) == "math"}
        elif _from_math(node):
            assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
            out |= {_bound(a, "isclose") for a in node.names if dotted(a.name) == "isclose"}
    return frozenset(out)


def _from_math(node: cst.CSTNode) -> bool:
    """`from math import NAMES` (not `*`, not a relative import)."""
    return (
        isinstance(node, cst.ImportFrom)
        and not isinstance(node.names, cst.ImportStar)
        and node.module is not None
        and dotted(node.module) == "math"
        and not node.relative
    )


def _bound(alias: cst.ImportAlias, name: str) -> str:
    """The name an import alias binds: its `as` name, else `name`."""
    return dotted(cast(cst.BaseExpression, alias.asname.name)) if alias.asname else name


def _distinct(found: Sequence[tuple[_Call, Expect | None]], unjudged: int) -> Harvest:
    """Each call once per distinct assert on it (once with None when none asserts),
    grouped in order of the call's first appearance."""
    asserted: dict[str, tuple[_Call, dict[str, Expect]]] = {}
    for call, exp in found:
        entry = asserted.setdefault(repr(call), (call, {}))
        if exp is not None:
            entry[1].setdefault(repr(exp), exp)
    rows: list[tuple[_Call, Expect | None]] = []
    for call, exps in asserted.values():
        rows += [(call, e) for e in exps.values()] or [(call, None)]
    return Harvest(
        tuple(c[1] for c, _ in rows), tuple(e for _, e in rows), tuple(c[0] for c, _ in rows),
        unjudged,
    )  # fmt: skip
