"""libcst helpers the harvest reads test modules with (`auditor.execution.harvest`).

Pure functions of syntax: dotted names, the nodes under a node, a compound statement's
suites and the expressions outside them, what a statement stores, the names an import
binds, a `for` target bound to a value, and the test idioms read as plain asserts
(unittest's `assertEqual` & co., `pytest.raises` / `assertRaises`). Nothing is evaluated
here: values come from `folding`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

import libcst as cst

Env = dict[str, Any]


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` of a Name/Attribute chain ('' for anything else)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def bind(target: cst.BaseExpression, value: Any) -> Env | None:
    """Names of a `for` target (a name or nested tuple/list of names) bound to `value`."""
    if isinstance(target, cst.Name):
        return {target.value: value}
    if isinstance(target, cst.Tuple | cst.List) and isinstance(value, list | tuple):
        elems = [e.value for e in target.elements]
        if len(elems) != len(value) or any(
            isinstance(e, cst.StarredElement) for e in target.elements
        ):
            return None
        out: Env = {}
        for e, v in zip(elems, value, strict=True):
            sub = bind(e, v)
            if sub is None:
                return None
            out.update(sub)
        return out
    return None


def target_names(target: cst.CSTNode) -> set[str]:
    return {n.value for n in names_in(target)}


def names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    return (n for n in nodes(node) if isinstance(n, cst.Name))


def suites(node: cst.CSTNode) -> Iterator[Sequence[cst.BaseStatement | cst.BaseSmallStatement]]:
    """The statement lists of a compound statement's suites (if/else, try/except, with...)."""
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield child.body
        elif not isinstance(child, cst.BaseExpression):
            yield from suites(child)


# unittest's assertions, as the assert statement each one means (see `unittest_assert`)
_UNITTEST_EQ = ("assertEqual", "assertEquals", "assertListEqual", "assertTupleEqual",
                "assertDictEqual", "assertSetEqual", "assertMultiLineEqual", "assertIs")  # fmt: skip
_UNITTEST_ONE = {"assertTrue": "", "assertFalse": "not", "assertIsNone": "None"}


def unittest_assert(node: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    """`self.assertEqual(a, b)` as `a == b`, `assertTrue(x)` as `x`, `assertFalse(x)` as
    `not x`, `assertIsNone(x)` as `x is None`, `assertIn(a, b)` as `a in b` (NotIn
    likewise), `assertAlmostEqual(a, b[, places])` as
    `abs(a - b) < 0.5 * 10 ** -places` (or `delta=`); None for any other statement."""
    call = node.value if isinstance(node, cst.Expr) else None
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
        return None
    name = call.func.attr.value
    pos = [a.value for a in call.args if a.keyword is None and not a.star]
    kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if name in _UNITTEST_EQ and len(pos) >= 2:
        op = cst.Is() if name == "assertIs" else cst.Equal()
        return cst.Comparison(pos[0], [cst.ComparisonTarget(op, pos[1])])
    if name in ("assertIn", "assertNotIn") and len(pos) >= 2:
        member = cst.In() if name == "assertIn" else cst.NotIn()
        return cst.Comparison(pos[0], [cst.ComparisonTarget(member, pos[1])])
    if name in _UNITTEST_ONE and pos:
        form = _UNITTEST_ONE[name]
        if form == "not":
            return cst.UnaryOperation(cst.Not(), pos[0])
        if form == "None":
            return cst.Comparison(pos[0], [cst.ComparisonTarget(cst.Is(), cst.Name("None"))])
        return pos[0]
    if name in ("assertAlmostEqual", "assertAlmostEquals") and len(pos) >= 2:
        places = pos[2] if len(pos) > 2 else kw.get("places", cst.Integer("7"))
        tol = kw.get("delta") or cst.parse_expression(
            f"0.5 * 10 ** -({cst.Module([]).code_for_node(places)})"
        )
        diff = cst.BinaryOperation(pos[0], cst.Subtract(), pos[1])
        lhs = cst.Call(cst.Name("abs"), [cst.Arg(diff)])
        return cst.Comparison(lhs, [cst.ComparisonTarget(cst.LessThanEqual(), tol)])
    return None


# Calls that assert an exception; the `_MATCHING` ones also its message, by a pattern.
_MATCHING = ("assertRaisesRegex", "assertRaisesRegexp")
RAISES = ("raises", "assertRaises", *_MATCHING)


def exception_name(node: cst.BaseExpression) -> str:
    """`ValueError` of `ValueError` or `mod.ValueError` ('' for anything else)."""
    return dotted(node).split(".")[-1]


def raises_name(node: cst.BaseExpression) -> str:
    """E of `pytest.raises(E)` / `raises(E, match=P)` / `self.assertRaises(E)` /
    `self.assertRaisesRegex(E, P)` ('' otherwise)."""
    if not (isinstance(node, cst.Call) and dotted_call(node).split(".")[-1] in RAISES):
        return ""
    pos = [a.value for a in node.args if a.keyword is None and not a.star]
    return exception_name(pos[0]) if len(pos) == 1 + message_args(node) else ""


def message_args(call: cst.Call) -> int:
    """Positional arguments of a raises call that state the message (assertRaisesRegex's
    pattern: 1, else 0)."""
    return 1 if dotted_call(call).split(".")[-1] in _MATCHING else 0


def states_message(call: cst.BaseExpression) -> bool:
    """Does a raises call also assert the exception's message (`match=`, a pattern)?"""
    return isinstance(call, cst.Call) and bool(
        message_args(call)
        or any(a.keyword is not None and a.keyword.value == "match" for a in call.args)
    )


def assertion_call(node: cst.BaseSmallStatement) -> cst.Call | None:
    """The call of a statement that calls an assertion helper (`self.assertIsInstance(...)`,
    `np.testing.assert_allclose(...)`, a raises call), else None."""
    call = node.value if isinstance(node, cst.Expr) else None
    if not isinstance(call, cst.Call):
        return None
    name = dotted_call(call).split(".")[-1]
    return call if name.startswith("assert") or name in RAISES else None


_TARGETED = (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr,
             cst.Del)  # fmt: skip


def store_targets(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The targets a node itself binds or deletes. (libcst's ExpressionContextProvider says
    the same for a whole module, but resolving it took half of the harvest's time.)"""
    if isinstance(node, _TARGETED):
        yield node.target
    elif isinstance(node, cst.AsName | cst.FunctionDef | cst.ClassDef):
        yield node.name
    elif isinstance(node, cst.ImportAlias):
        yield node.asname.name if node.asname is not None else node.name


# Methods of the plain values a test binds (list, dict, set, str...) that change nothing: a
# test reading its table (`for n, want in CASES.items():`) leaves it bound.
READ_ONLY = frozenset(
    ("items", "keys", "values", "get", "copy", "count", "index", "union", "intersection",
     "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint")
)  # fmt: skip


def _changes(call: cst.Call) -> bool:
    """Whether a method call may change its base (any method but the READ_ONLY ones)."""
    return isinstance(call.func, cst.Attribute) and call.func.attr.value not in READ_ONLY


def rebound(nodes: Sequence[cst.CSTNode], env: Env) -> set[str]:
    """Names a statement (its `nodes`) may rebind: every name in a target (`a[i] = ...` changes `a`; `i` goes
    too, which only forgets more), and a bound list, dict or set whose method it calls."""
    out: set[str] = set()
    for n in nodes:
        for target in store_targets(n):
            out.update(target_names(target))
        if isinstance(n, cst.Call) and _changes(n):
            assert isinstance(n.func, cst.Attribute)
            base = n.func.value
            if isinstance(base, cst.Name) and isinstance(env.get(base.value), list | dict | set):
                out.add(base.value)
    return out


# The name a fixture attribute `self.X` is bound under (not an identifier a test can write).
SELF = "__self_"
# The methods unittest and pytest run before each test of a class, which set its fixtures.
SETUPS = ("setUp", "setup_method")


def self_attribute(node: cst.CSTNode) -> str:
    """X of `self.X` ('' for anything else)."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return node.attr.value if node.value.value == "self" else ""
    return ""


def self_changed(found: Sequence[cst.CSTNode] | Iterator[cst.CSTNode]) -> list[str]:
    """The attributes `self.X` the nodes store into (`self.X = v`, `self.X[i] = v`, each
    time) or call a changing method of (`self.X.append(v)`)."""
    out: list[str] = []
    for n in found:
        for target in store_targets(n):
            out.extend(a for a in map(self_attribute, nodes(target)) if a)
        if isinstance(n, cst.Call) and _changes(n):
            assert isinstance(n.func, cst.Attribute)
            head = n.func.value
            while isinstance(head, cst.Attribute | cst.Subscript) and not self_attribute(head):
                head = head.value
            out.extend([self_attribute(head)] if self_attribute(head) else [])
    return out


def helpers(module: cst.Module) -> dict[tuple[int, str], cst.FunctionDef]:
    """The functions a test module calls only as whole statements, `check(3, 9)` (a module
    function) or `self.check(3, 9)` (a method), keyed by (0 or id of the class, name):
    each defined once in its scope, undecorated, not a test or a setUp, and called at
    least once, never named otherwise (handed on, rebound). Their asserts are read at
    each call, with the parameters bound to the call's arguments."""
    scopes = [(0, module.body)] + [
        (id(c), c.body.body) for c in module.body if isinstance(c, cst.ClassDef)
    ]
    found: dict[tuple[int, str], cst.FunctionDef] = {}
    for key, body in scopes:
        defs = [d for d in body if isinstance(d, cst.FunctionDef)]
        names = [d.name.value for d in defs]
        for d in defs:
            name = d.name.value
            if names.count(name) == 1 and not d.decorators and not name.startswith("test"):
                found[(key, name)] = d
    called: set[int] = set()  # the func nodes of statement calls
    uses: dict[tuple[bool, str], list[int]] = {}  # (a method?, name) -> its references
    for n in nodes(module):
        if isinstance(n, cst.Expr) and isinstance(n.value, cst.Call):
            if not any(a.star for a in n.value.args):
                called.add(id(n.value.func))
        elif isinstance(n, cst.Attribute) and self_attribute(n):
            uses.setdefault((True, n.attr.value), []).append(id(n))
        elif isinstance(n, cst.Name):
            uses.setdefault((False, n.value), []).append(id(n))
    defined = {id(d.name) for d in found.values()}
    return {
        (key, name): d
        for (key, name), d in found.items()
        if name not in SETUPS
        and (refs := [r for r in uses.get((key != 0, name), []) if r not in defined])
        and all(r in called for r in refs)
    }


def late_changed(module: cst.Module) -> frozenset[str]:
    """Module names a function body may not find as they were bound when it was defined:
    tests run after the whole module, so a name that module-level statements bind or
    change more than once (`X = 5` ... `X = 6`, `X.append(6)`), that a function declares
    `global`, or whose value a function changes (`X[k] = v`, `X.append(v)`) may hold
    another value by then."""
    counts: dict[str, int] = {}
    for stmt in module.body:
        for name in _bases(_own_nodes(stmt), plain=True):
            counts[name] = counts.get(name, 0) + 1
    out = {name for name, n in counts.items() if n > 1}
    for node in nodes(module):
        if isinstance(node, cst.Global):
            out.update(item.name.value for item in node.names)
        elif isinstance(node, cst.FunctionDef | cst.Lambda):
            out |= _bases(nodes(node.body), plain=False)
    return frozenset(out)


def _own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, without the bodies of the functions and classes in it
    (their `def`/`class` nodes, which bind a name, are kept)."""
    yield node
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
        return
    for child in node.children:
        yield from _own_nodes(child)


def _bases(found: Iterator[cst.CSTNode], *, plain: bool) -> set[str]:
    """Names the nodes store into or call a method of: the head of every element or
    attribute target (`a[i] = v` -> a) and method call (`a.append(v)` -> a); with `plain`,
    every name a target binds too (`a = v`)."""
    out: set[str] = set()
    for n in found:
        if isinstance(n, cst.Call) and _changes(n):
            assert isinstance(n.func, cst.Attribute)
            head = dotted(n.func.value).split(".")[0]
            out.update([head] if head else [])
        for target in store_targets(n):
            if plain:
                out |= target_names(target)
            else:
                out.update(
                    head
                    for t in nodes(target)
                    if isinstance(t, cst.Subscript | cst.Attribute)
                    and (head := dotted(t.value).split(".")[0])
                )
    return out


def imported_names(module: cst.Module) -> frozenset[str]:
    """Names an import binds anywhere in `module` (`import a as b` -> b, `from p import m`
    -> m, `import a.b` -> a)."""
    out = set()
    for node in nodes(module):
        if isinstance(node, cst.Import | cst.ImportFrom) and not isinstance(
            node.names, cst.ImportStar
        ):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                out.add(dotted(cast(cst.BaseExpression, bound)).split(".")[0])
    return frozenset(out)


def heads(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The expressions of a compound statement outside its suites (an `if`'s test...)."""
    for child in node.children:
        if isinstance(child, cst.BaseExpression):
            yield child
        elif not isinstance(child, cst.BaseSuite):
            yield from heads(child)


def nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, in source order."""
    yield node
    for child in node.children:
        yield from nodes(child)


def single_positional(node: cst.BaseExpression) -> bool:
    """A call with exactly one plain positional argument."""
    return (
        isinstance(node, cst.Call)
        and len(node.args) == 1
        and node.args[0].keyword is None
        and not node.args[0].star
    )


# Calls that end a test where they stand: (a skip, a declared failure), as `return` does.
_STOPS = ("skip", "skipTest", "xfail", "fail")
# Markers under which a test is not run, or not expected to pass: its asserts state nothing.
_NOT_RUN = ("skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure")


def exit_kind(node: cst.BaseSmallStatement) -> str | None:
    """ "continue", "break" or "return" (also `raise`, `pytest.skip(...)`, `self.skipTest`,
    `pytest.fail`) for a statement that leaves its block; else None."""
    if isinstance(node, cst.Continue | cst.Break):
        return "continue" if isinstance(node, cst.Continue) else "break"
    if isinstance(node, cst.Return | cst.Raise):
        return "return"
    call = node.value if isinstance(node, cst.Expr) else None
    name = dotted_call(call) if isinstance(call, cst.Call) else ""
    head, _, last = name.rpartition(".")
    return "return" if head in ("pytest", "self") and last in _STOPS else None


def not_run(node: cst.FunctionDef | cst.ClassDef) -> bool:
    """Whether a test (or a class of them) is marked skip, skipif, xfail or
    expectedFailure (`@pytest.mark.xfail(...)`, `@unittest.skip("...")`)."""
    return any(
        dotted(decorator_callee(d.decorator)).split(".")[-1] in _NOT_RUN for d in node.decorators
    )


def marked_not_run(node: cst.Call) -> bool:
    """Whether a `pytest.param(..., marks=...)` row carries a skip or xfail mark."""
    return any(
        a.keyword is not None
        and a.keyword.value == "marks"
        and any(
            dotted(decorator_callee(n)).split(".")[-1] in _NOT_RUN
            for n in nodes(a.value)
            if isinstance(n, cst.Attribute | cst.Call)
        )
        for a in node.args
    )


def decorator_callee(node: cst.BaseExpression) -> cst.BaseExpression:
    """`pytest.fixture` of `@pytest.fixture` and of `@pytest.fixture(scope=...)`."""
    return node.func if isinstance(node, cst.Call) else node


def dotted_call(node: cst.BaseExpression) -> str:
    return dotted(node.func) if isinstance(node, cst.Call) else ""
