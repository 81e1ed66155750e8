"""AUD2xx complexity: cyclomatic complexity, nesting depth, boolean-operator chains."""

from __future__ import annotations

import libcst as cst

from auditor.rules.base import Context, Family, Invalid, Rule, RuleConfig, Valid
from auditor.types import Confidence, Severity

_TEN_IFS = (
    "def f(x):\n"
    + "".join(f"    if x > {i}:\n        x -= {i}\n" for i in range(10))
    + "    return x\n"
)


class TooComplexFunction(Rule):
    """## What it does
    Checks for functions whose McCabe cyclomatic complexity exceeds `max_complexity`
    (10 by default). Each `if`/`elif`, loop, `except`, conditional expression,
    comprehension clause, `case` and `and`/`or` operand adds one path. Nested functions
    are measured on their own.

    ## Why is this bad?
    Every path needs a test; functions with many paths hide untested ones. In generated
    code a sudden jump in complexity often comes from special cases bolted on for tests.

    ## Example
    ```python
    def grade(score):
        if score > 90: ...
        elif score > 80: ...
        # ... ten more branches
    ```

    Use instead:
    ```python
    GRADES = [(90, "A"), (80, "B"), (70, "C")]

    def grade(score):
        return next((g for limit, g in GRADES if score > limit), "F")
    ```

    ## Options
    - `max_complexity` (default 10).
    """

    CODE = "AUD201"
    SYMBOL = "too-complex-function"
    MESSAGE = "function is too complex"
    SEVERITY = Severity.MEDIUM
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.COMPLEXITY
    VALID = (
        Valid("def f(x):\n    if x:\n        return 1\n    return 2\n"),
        Valid(_TEN_IFS, config=RuleConfig(max_complexity=11)),
        Valid("def f(x):\n    def g(y):\n        return y and x or y\n    return g(x)\n"),
    )
    INVALID = (
        Invalid(_TEN_IFS, 1),
        Invalid(
            "def f(a, b):\n    return [x for x in a if x and b or x > 1]\n",
            1,
            config=RuleConfig(max_complexity=3),
        ),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._counts: list[int] = []

    def _add(self, n: int = 1) -> None:
        if self._counts:
            self._counts[-1] += n

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._counts.append(1)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        cc = self._counts.pop()
        if cc > self.config.max_complexity:
            self.report(
                node.name,
                f"function '{node.name.value}' has cyclomatic complexity {cc}"
                f" (> {self.config.max_complexity})",
            )

    def visit_If(self, node: cst.If) -> None:
        self._add()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._add()

    def visit_For(self, node: cst.For) -> None:
        self._add()

    def visit_While(self, node: cst.While) -> None:
        self._add()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._add()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._add(1 + len(node.ifs))

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._add()

    def visit_MatchCase(self, node: cst.MatchCase) -> None:
        self._add()


class DeepNesting(Rule):
    """## What it does
    Checks for blocks (`if`, `for`, `while`, `with`, `try`, `match`) nested more than
    `max_nesting` levels deep (4 by default) inside one function or at module level.
    An `elif` does not add a level. Reported once per function, at the first block
    that is too deep.

    ## Why is this bad?
    Deeply nested code is hard to follow and usually mixes several concerns; early
    returns or helper functions flatten it.

    ## Example
    ```python
    def f(rows):
        for row in rows:
            if row:
                for cell in row:
                    if cell:
                        while cell > 0:
                            cell -= 1
    ```

    Use instead:
    ```python
    def f(rows):
        for cell in (c for row in rows if row for c in row if c):
            drain(cell)
    ```

    ## Options
    - `max_nesting` (default 4).
    """

    CODE = "AUD202"
    SYMBOL = "deep-nesting"
    MESSAGE = "blocks are nested too deeply"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.COMPLEXITY
    VALID = (
        Valid(
            "def f(x):\n    for a in x:\n        if a:\n            for b in a:\n"
            "                if b:\n                    print(b)\n"
        ),
        Valid(
            "def f(x):\n    if x == 1:\n        pass\n    elif x == 2:\n        pass\n"
            "    elif x == 3:\n        pass\n    elif x == 4:\n        pass\n"
            "    elif x == 5:\n        pass\n"
        ),
        Valid(
            "def f(x):\n    for a in x:\n        if a:\n            for b in a:\n"
            "                if b:\n                    while b:\n                        b -= 1\n",
            config=RuleConfig(max_nesting=5),
        ),
    )
    INVALID = (
        Invalid(
            "def f(x):\n    for a in x:\n        if a:\n            for b in a:\n"
            "                if b:\n                    while b:\n                        b -= 1\n",
            6,
        ),
        Invalid(
            "def f(x):\n    if x:\n        with open(x) as fh:\n            try:\n"
            "                for line in fh:\n                    if line:\n"
            "                        if line[0]:\n                            pass\n"
            "            except OSError:\n                pass\n",
            6,
        ),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._depth: list[int] = [0]
        self._reported: list[bool] = [False]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth.append(0)
        self._reported.append(False)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth.pop()
        self._reported.pop()

    def _is_elif(self, node: cst.CSTNode) -> bool:
        parent = self.ctx.parent()
        return isinstance(parent, cst.If) and parent.orelse is node

    def _enter(self, node: cst.CSTNode) -> None:
        if self._is_elif(node):
            return
        self._depth[-1] += 1
        if self._depth[-1] > self.config.max_nesting and not self._reported[-1]:
            self._reported[-1] = True
            self.report(
                node,
                f"block nested {self._depth[-1]} levels deep (> {self.config.max_nesting})",
            )

    def _leave(self, node: cst.CSTNode) -> None:
        if not self._is_elif(node):
            self._depth[-1] -= 1

    visit_If = visit_For = visit_While = visit_With = visit_Try = visit_Match = _enter
    leave_If = leave_For = leave_While = leave_With = leave_Try = leave_Match = _leave


class LongBooleanChain(Rule):
    """## What it does
    Checks for boolean expressions with more than `max_bool_ops` `and`/`or` operators
    (3 by default), counted over the whole expression including parenthesized parts.

    ## Why is this bad?
    Long conditions are hard to read and to get right; a named helper or an `any`/`all`
    over a collection says what the condition means. Chains of equality tests joined by
    `or` are also a common way to special-case inputs.

    ## Example
    ```python
    if x == 1 or x == 3 or x == 5 or x == 7 or x == 9:
        ...
    ```

    Use instead:
    ```python
    if x in {1, 3, 5, 7, 9}:
        ...
    ```

    ## Options
    - `max_bool_ops` (default 3).
    """

    CODE = "AUD203"
    SYMBOL = "long-boolean-chain"
    MESSAGE = "boolean expression has too many operators"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.COMPLEXITY
    VALID = (
        Valid("ok = a and b and c and d\n"),
        Valid("ok = (a or b) and (c or d)\n"),
        Valid("ok = a and b and c and d and e\n", config=RuleConfig(max_bool_ops=4)),
    )
    INVALID = (
        Invalid("x = 1\nok = a and b and c and d and e\n", 2),
        Invalid("if (a or b) and (c or d) and e:\n    pass\n", 1),
        Invalid("ok = [a for a in b if a == 1 or a == 2 or a == 3 or a == 4 or a == 5]\n", 1),
    )

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if isinstance(self.ctx.parent(), cst.BooleanOperation):
            return  # counted with its outermost chain
        ops = 0
        stack: list[cst.BaseExpression] = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, cst.BooleanOperation):
                ops += 1
                stack.extend((cur.left, cur.right))
        if ops > self.config.max_bool_ops:
            self.report(
                node, f"boolean expression has {ops} operators (> {self.config.max_bool_ops})"
            )
