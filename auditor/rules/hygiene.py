"""AUD4xx hygiene: dead code, unused parameters, debug and test leftovers."""

from __future__ import annotations

import builtins
import re

import libcst as cst

from auditor.rules._nodes import body_statements, call_name, is_docstring_stmt, walk
from auditor.rules.base import Context, Family, Invalid, Rule, Valid
from auditor.rules.suppress import SUPPRESSION
from auditor.types import Confidence, Severity

_TERMINATORS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_SELF = frozenset({"self", "cls"})
_STUB_DECORATORS = frozenset({"abstractmethod", "overload", "abc.abstractmethod"})


def _is_main_guard(node: cst.If) -> bool:
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides) and any(
        isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides
    )


def _is_stub_statement(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
            continue
        if isinstance(small, cst.Raise) and small.exc is not None:
            exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
            if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                continue
        return False
    return True


def is_stub(fn: cst.FunctionDef) -> bool:
    """A body of only a docstring, `pass`, `...` or `raise NotImplementedError`."""
    stmts = body_statements(fn)
    if stmts and is_docstring_stmt(stmts[0]):
        stmts = stmts[1:]
    return all(_is_stub_statement(s) for s in stmts)


def _decorator_names(fn: cst.FunctionDef) -> set[str]:
    out = set()
    for dec in fn.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if isinstance(expr, cst.Name):
            out.add(expr.value)
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            out.add(f"{expr.value.value}.{expr.attr.value}")
    return out


class UnreachableCode(Rule):
    """## What it does
    Checks for statements that follow a `return`, `raise`, `continue` or `break` in
    the same block. Reported once per block, at the first unreachable statement.

    ## Why is this bad?
    Code that never runs misleads the reader. In generated code it is often a second
    attempt at the solution, or leftover test code, pasted after the real return.

    ## Example
    ```python
    def f(x):
        return x * 2
        print("done")
    ```

    Use instead:
    ```python
    def f(x):
        return x * 2
    ```
    """

    CODE = "AUD401"
    SYMBOL = "unreachable-code"
    MESSAGE = "statement can never run"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    if x:\n        return 1\n    return 2\n"),
        Valid("for i in range(3):\n    if i:\n        break\n    print(i)\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    return x\n    x += 1\n", 3),
        Invalid("for i in range(3):\n    continue\n    print(i)\n    print(i)\n", 3),
        Invalid("def f(x):\n    raise ValueError(x); print(x)\n", 2),
    )

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        body = node.body
        for i, stmt in enumerate(body):
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            small = stmt.body
            for j, part in enumerate(small):
                if isinstance(part, _TERMINATORS):
                    if j < len(small) - 1:
                        self.report(stmt)
                        return
                    if i < len(body) - 1:
                        self.report(body[i + 1])
                        return


class UnusedParameter(Rule):
    """## What it does
    Checks for function parameters that the body never reads. `self`, `cls`, names
    starting with `_`, stubs and abstract methods are exempt; a use inside a nested
    function counts.

    ## Why is this bad?
    A parameter the solution ignores usually means part of the task was ignored too,
    e.g. a `threshold` that should bound the answer. Candidates that pass weak tests
    while ignoring an input are a classic false positive.

    ## Example
    ```python
    def has_close_elements(numbers, threshold):
        return len(numbers) != len(set(numbers))
    ```

    Use instead:
    ```python
    def has_close_elements(numbers, threshold):
        s = sorted(numbers)
        return any(b - a < threshold for a, b in zip(s, s[1:]))
    ```
    """

    CODE = "AUD402"
    SYMBOL = "unused-parameter"
    MESSAGE = "parameter is never used"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(a, b):\n    return a + b\n"),
        Valid("def f(a, _unused):\n    return a\n"),
        Valid("def f(a):\n    def g():\n        return a\n    return g()\n"),
        Valid("def f(a):\n    raise NotImplementedError\n"),
        Valid("class A:\n    def f(self, x):\n        return x\n"),
    )
    INVALID = (
        Invalid("def f(a, b):\n    return a * 2\n", 1),
        Invalid("def f(\n    a,\n    threshold,\n):\n    return a.threshold\n", 3),
        Invalid("def f(a, *, key=None):\n    return f(a=a)\n", 1),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._used: list[set[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._used.append(set())

    def visit_Name(self, node: cst.Name) -> None:
        if not self._used:
            return
        parent = self.ctx.parent()
        if isinstance(parent, cst.Param) and parent.name is node:
            return
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return
        self._used[-1].add(node.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        used = self._used.pop()
        if self._used:
            self._used[-1] |= used  # closures read the outer parameters
        if is_stub(node) or _decorator_names(node) & _STUB_DECORATORS:
            return
        p = node.params
        params = [*p.posonly_params, *p.params, *p.kwonly_params]
        params += [s for s in (p.star_arg, p.star_kwarg) if isinstance(s, cst.Param)]
        for param in params:
            name = param.name.value
            if name in _SELF or name.startswith("_") or name in used:
                continue
            self.report(param, f"parameter '{name}' is never used")


_DEBUG_CALLS = frozenset(
    {"print", "pprint", "pprint.pprint", "breakpoint", "pdb.set_trace", "ipdb.set_trace"}
)


class _MainGuardAware(Rule):
    """Tracks whether the visit is inside `if __name__ == "__main__":`."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._main = 0

    def visit_If(self, node: cst.If) -> None:
        if _is_main_guard(node):
            self._main += 1

    def leave_If(self, node: cst.If) -> None:
        if _is_main_guard(node):
            self._main -= 1


class DebugPrint(_MainGuardAware):
    """## What it does
    Checks for `print`, `pprint` and debugger calls (`breakpoint()`, `pdb.set_trace()`)
    outside an `if __name__ == "__main__":` block (which `test-runner` reports).

    ## Why is this bad?
    A function that should return a value has no business writing to stdout; debug
    output left in generated code is a sign of an unfinished or copied solution, and a
    debugger call hangs a test run.

    ## Example
    ```python
    def add(a, b):
        print(a, b)
        return a + b
    ```

    Use instead:
    ```python
    def add(a, b):
        return a + b
    ```
    """

    CODE = "AUD403"
    SYMBOL = "debug-print"
    MESSAGE = "debug output or debugger call"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    return x\n"),
        Valid("def f(x):\n    return x\n\nif __name__ == '__main__':\n    print(f(1))\n"),
        Valid("def f(log, x):\n    log.print(x)\n    return x\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    print(x)\n    return x\n", 2),
        Invalid("def f(x):\n    y = x\n    breakpoint()\n    return y\n", 3),
        Invalid("import pdb\ndef f(x):\n    pdb.set_trace()\n    return x\n", 3),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self._main and call_name(node) in _DEBUG_CALLS:
            self.report(node, f"call to {call_name(node)}()")


class EmptyBody(Rule):
    """## What it does
    Checks for functions whose body is only a docstring, `pass`, `...` or
    `raise NotImplementedError`. Abstract methods and overloads are exempt.

    ## Why is this bad?
    A stub that passes tests means the tests expect nothing (e.g. a function whose
    expected result is `None`); it is not a solution.

    ## Example
    ```python
    def solve(grid):
        pass
    ```

    Use instead:
    ```python
    def solve(grid):
        return sum(map(sum, grid))
    ```
    """

    CODE = "AUD404"
    SYMBOL = "empty-body"
    MESSAGE = "function has an empty body"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    return x\n"),
        Valid(
            "from abc import abstractmethod\n\nclass A:\n    @abstractmethod\n"
            "    def f(self):\n        ...\n"
        ),
        Valid("def f(x):\n    if x:\n        pass\n    return 1\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    pass\n", 1),
        Invalid('def f(x):\n    """Doc."""\n    ...\n', 1),
        Invalid("def g(): raise NotImplementedError()\n", 1),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if is_stub(node) and not _decorator_names(node) & _STUB_DECORATORS:
            self.report(node.name, f"function '{node.name.value}' has an empty body")


_RUNNERS = frozenset(
    {
        "doctest.testmod",
        "doctest.testfile",
        "doctest.run_docstring_examples",
        "testmod",
        "unittest.main",
        "pytest.main",
    }
)


class TestRunner(_MainGuardAware):
    """## What it does
    Checks for test harness code in the candidate: an `if __name__ == "__main__":` block,
    and calls to `doctest.testmod()`, `unittest.main()` or `pytest.main()` outside one.

    ## Why is this bad?
    A solution module should define the solution. Test harness code runs at import time
    in some graders, prints noise, and shows the model produced a script rather than the
    requested function.

    ## Example
    ```python
    def add(a, b):
        return a + b

    if __name__ == "__main__":
        import doctest
        doctest.testmod()
    ```

    Use instead:
    ```python
    def add(a, b):
        return a + b
    ```
    """

    __test__ = False  # not a pytest class, despite the name

    CODE = "AUD405"
    SYMBOL = "test-runner"
    MESSAGE = "test runner or __main__ block in the solution"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    return x\n"),
        Valid("import doctest\n\ndef f(x):\n    return x\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    return x\n\nif __name__ == '__main__':\n    print(f(2))\n", 4),
        Invalid("import doctest\n\ndef f(x):\n    return x\n\ndoctest.testmod()\n", 6),
        Invalid('import unittest\nif __name__ == "__main__":\n    unittest.main()\n', 2),
    )

    def visit_If(self, node: cst.If) -> None:
        if _is_main_guard(node):
            if not self._main:
                self.report(node, "`if __name__ == '__main__':` block in the solution")
            self._main += 1

    def visit_Call(self, node: cst.Call) -> None:
        name = call_name(node)
        if not self._main and name in _RUNNERS:
            self.report(node, f"call to {name}()")


def _calls_local_function(stmt: cst.CSTNode, defined: set[str]) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in defined
        for n in walk(stmt)
    )


class CodeAfterEntryPoint(Rule):
    """## What it does
    Checks for module-level statements after the entry-point function (or after the
    first function when no entry point is known) that do something at import time:
    expression statements, `assert`s, loops, `with`/`try` blocks, conditionals and
    assignments that call a function of the module. Definitions, imports and constant
    assignments are fine; the `__main__` block is reported by `test-runner`.

    ## Why is this bad?
    Code after the solution is usually a model's self-made tests or a demo call: it runs
    at import, slows or breaks grading, and may crash on its own made-up expectations.

    ## Example
    ```python
    def add(a, b):
        return a + b

    assert add(1, 2) == 3
    print(add(2, 2))
    ```

    Use instead:
    ```python
    def add(a, b):
        return a + b
    ```
    """

    CODE = "AUD406"
    SYMBOL = "code-after-entry-point"
    MESSAGE = "module-level code runs after the entry point"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    return x\n\nLIMIT = 10\n\ndef g(y):\n    return f(y)\n"),
        Valid("x = f(1)\n\ndef f(x):\n    return x\n", entry_point="f"),
        Valid("def f(x):\n    return x\n\nif __name__ == '__main__':\n    f(1)\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    return x\n\nassert f(1) == 1\n", 4),
        Invalid(
            "def helper(x):\n    return x\n\nhelper(3)\n\ndef f(x):\n    return helper(x)\n\n"
            "print(f(2))\n",
            9,
            entry_point="f",
        ),
        Invalid("def f(x):\n    return x\n\nresult = f(5)\n", 4),
    )

    def visit_Module(self, node: cst.Module) -> None:
        body = node.body
        defs = [(i, s.name.value) for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)]
        if not defs:
            return
        start = defs[0][0]
        if self.ctx.entry_point is not None:
            named = [i for i, name in defs if name == self.ctx.entry_point]
            start = named[0] if named else start
        defined = {s.name.value for s in body if isinstance(s, cst.FunctionDef | cst.ClassDef)}
        for stmt in body[start + 1 :]:
            if self._runs_code(stmt, defined):
                self.report(stmt)

    @staticmethod
    def _runs_code(stmt: cst.BaseStatement, defined: set[str]) -> bool:
        if isinstance(stmt, cst.If):
            return not _is_main_guard(stmt)
        if isinstance(stmt, cst.For | cst.While | cst.With | cst.Try):
            return True
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Assert):
                return True
            if isinstance(small, cst.Expr) and not isinstance(
                small.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis
            ):
                return True
            if isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign) and (
                _calls_local_function(small, defined)
            ):
                return True
        return False


class InputCall(Rule):
    """## What it does
    Checks for `input()` / `raw_input()` calls and uses of `sys.stdin`.

    ## Why is this bad?
    The task asks for a function of its arguments. Reading stdin blocks or fails under a
    test harness, and shows the model wrote a script for a different problem format.

    ## Example
    ```python
    def solve():
        n = int(input())
        return n * 2
    ```

    Use instead:
    ```python
    def solve(n):
        return n * 2
    ```
    """

    CODE = "AUD407"
    SYMBOL = "input-call"
    MESSAGE = "reads from standard input"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(prompt):\n    return prompt.input()\n"),
        Valid("def f(input_list):\n    return sorted(input_list)\n"),
    )
    INVALID = (
        Invalid("def f():\n    n = int(input())\n    return n\n", 2),
        Invalid("import sys\n\ndef f():\n    return sys.stdin.readline()\n", 4),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in {"input", "raw_input"}:
            self.report(node, f"call to {node.func.value}()")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (
            isinstance(node.value, cst.Name)
            and node.value.value == "sys"
            and node.attr.value == "stdin"
        ):
            self.report(node, "use of sys.stdin")


_MUTABLE_CALLS = frozenset(
    {"list", "dict", "set", "bytearray", "defaultdict", "deque", "OrderedDict", "Counter"}
)


class MutableDefaultArgument(Rule):
    """## What it does
    Checks for parameters whose default is a mutable object: a list, dict or set
    display or comprehension, or a call such as `list()` or `defaultdict(int)`.

    ## Why is this bad?
    The default is created once and shared by every call, so state leaks between calls:
    the second test sees what the first one appended.

    ## Example
    ```python
    def append_to(x, acc=[]):
        acc.append(x)
        return acc
    ```

    Use instead:
    ```python
    def append_to(x, acc=None):
        acc = [] if acc is None else acc
        acc.append(x)
        return acc
    ```
    """

    CODE = "AUD408"
    SYMBOL = "mutable-default-argument"
    MESSAGE = "mutable default argument"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x, acc=None):\n    return acc\n"),
        Valid("def f(x, acc=()):\n    return acc\n"),
        Valid("def f(x, n=len([])):\n    return n\n"),
    )
    INVALID = (
        Invalid("def f(x, acc=[]):\n    return acc\n", 1),
        Invalid("def f(\n    x,\n    memo={},\n):\n    return memo\n", 3),
        Invalid(
            "from collections import defaultdict\ndef f(d=defaultdict(int)):\n    return d\n", 2
        ),
    )

    def visit_Param(self, node: cst.Param) -> None:
        default = node.default
        if default is None:
            return
        mutable = isinstance(
            default, cst.List | cst.Dict | cst.Set | cst.ListComp | cst.DictComp | cst.SetComp
        )
        if isinstance(default, cst.Call):
            name = call_name(default)
            mutable = name is not None and name.rsplit(".", 1)[-1] in _MUTABLE_CALLS
        if mutable:
            self.report(node, f"parameter '{node.name.value}' has a mutable default")


_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


class ShadowedBuiltin(Rule):
    """## What it does
    Checks for functions, classes, parameters, variables, loop targets and import
    aliases named like a builtin (`list`, `sum`, `max`, `input`, `id`, ...).
    Reported once per name per scope.

    ## Why is this bad?
    After `sum = 0`, `sum(xs)` fails in the same scope; the bug shows only on the path
    that calls the builtin, which a weak test may never take.

    ## Example
    ```python
    def total(list):
        sum = 0
        for x in list:
            sum += x
        return sum
    ```

    Use instead:
    ```python
    def total(values):
        acc = 0
        for x in values:
            acc += x
        return acc
    ```
    """

    CODE = "AUD409"
    SYMBOL = "shadowed-builtin"
    MESSAGE = "name shadows a builtin"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(values):\n    total = sum(values)\n    return total\n"),
        Valid("class A:\n    def f(self):\n        self.list = []\n        return self.list\n"),
    )
    INVALID = (
        Invalid("def f(xs):\n    sum = 0\n    for x in xs:\n        sum += x\n    return sum\n", 2),
        Invalid("def f(list):\n    return list\n", 1),
        Invalid("def f(xs):\n    for max in xs:\n        pass\n", 2),
        Invalid("import numpy as np\nfrom os import open as input\n", 2),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._seen: set[tuple[int, str]] = set()

    def _bind(self, name: cst.CSTNode, outer: bool = False) -> None:
        if isinstance(name, cst.Name):
            if name.value not in _BUILTINS:
                return
            fns = self.ctx.functions[:-1] if outer else self.ctx.functions
            scope = id(fns[-1]) if fns else 0
            if (scope, name.value) not in self._seen:
                self._seen.add((scope, name.value))
                self.report(name, f"'{name.value}' shadows a builtin")
        elif isinstance(name, cst.Tuple | cst.List):
            for el in name.elements:
                self._bind(el.value)
        elif isinstance(name, cst.StarredElement):
            self._bind(name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name, outer=True)  # a def name binds in the enclosing scope

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None and isinstance(node.name, cst.Name):
            self._bind(node.name)


_TODO = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")


class TodoComment(Rule):
    """## What it does
    Checks for `TODO`, `FIXME`, `XXX` and `HACK` comments.

    ## Why is this bad?
    A generated solution that says it is unfinished probably is: the model left a case
    unhandled, and the tests may simply not reach it.

    ## Example
    ```python
    def parse(s):
        # TODO: handle negative numbers
        return int(s)
    ```

    Use instead:
    ```python
    def parse(s):
        return int(s)  # int() accepts a leading minus sign
    ```
    """

    CODE = "AUD410"
    SYMBOL = "todo-comment"
    MESSAGE = "unfinished-work comment"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    # the todo list is sorted\n    return x\n"),
        Valid("def f(x):\n    return 'TODO'\n"),
    )
    INVALID = (
        Invalid("def f(x):\n    # TODO: negative numbers\n    return x\n", 2),
        Invalid("def f(x):\n    return x  # FIXME wrong for 0\n", 2),
    )

    def visit_Comment(self, node: cst.Comment) -> None:
        m = _TODO.search(node.value)
        if m:
            self.report(node, f"{m.group(1)} comment")


class SuppressionComment(Rule):
    """## What it does
    Checks for comments that silence a tool: `# noqa`, `# type: ignore`,
    `# pylint: disable`, `# nosec`, `# pragma: no cover`, `# fmt: off`,
    `# auditor: ignore[...]`. The auditor ignores them unless configured otherwise.

    ## Why is this bad?
    Generated code has no reason to silence linters. A suppression hides the very
    finding a reviewer would want to see, whoever wrote it.

    ## Example
    ```python
    def f(x):
        if x == 3: return 7  # noqa
        return x
    ```

    Use instead:
    ```python
    def f(x):
        return x
    ```
    """

    CODE = "AUD411"
    SYMBOL = "suppression-comment"
    MESSAGE = "comment suppresses a linter"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("def f(x):\n    # no quality issues here\n    return x\n"),
        Valid("def f(x):\n    return '# noqa'\n"),
    )
    INVALID = (
        Invalid("import os  # noqa: F401\n", 1),
        Invalid("def f(x):\n    return x  # auditor: ignore[AUD301]\n", 2),
        Invalid("def f(x):\n    y = x  # type: ignore\n    return y\n", 2),
    )

    def visit_Comment(self, node: cst.Comment) -> None:
        if SUPPRESSION.search(node.value):
            self.report(node)


class SwallowedException(Rule):
    """## What it does
    Checks for `except` blocks whose body is only `pass`, `...` or `continue`.

    ## Why is this bad?
    Silently dropping an error lets a wrong path continue as if nothing happened; the
    result is a plausible but wrong answer instead of a visible failure.

    ## Example
    ```python
    for item in items:
        try:
            total += int(item)
        except ValueError:
            pass
    ```

    Use instead:
    ```python
    for item in items:
        if item.lstrip("-").isdigit():
            total += int(item)
    ```
    """

    CODE = "AUD412"
    SYMBOL = "swallowed-exception"
    MESSAGE = "exception is silently ignored"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.MEDIUM
    FAMILY = Family.HYGIENE
    VALID = (
        Valid("try:\n    x = 1\nexcept ValueError:\n    x = 0\n"),
        Valid("try:\n    x = 1\nexcept ValueError:\n    raise\n"),
    )
    INVALID = (
        Invalid("try:\n    x = 1\nexcept ValueError:\n    pass\n", 3),
        Invalid("for i in y:\n    try:\n        x = i\n    except:\n        continue\n", 4),
    )

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        body = node.body
        stmts = body.body if isinstance(body, cst.IndentedBlock) else [body]
        for stmt in stmts:
            smalls = (
                stmt.body
                if isinstance(stmt, cst.SimpleStatementLine | cst.SimpleStatementSuite)
                else None
            )
            if not smalls:
                return
            for small in smalls:
                if isinstance(small, cst.Pass | cst.Continue):
                    continue
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
                    continue
                return
        self.report(node)
