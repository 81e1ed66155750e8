"""AUD1xx style adherence: the readability checks of the RACE benchmark."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from auditor.rules._nodes import body_statements, is_docstring_stmt
from auditor.rules.base import Context, Family, Invalid, Rule, RuleConfig, Valid
from auditor.types import Confidence, Severity

_SNAKE = re.compile(r"_{0,2}[a-z][a-z0-9_]*_{0,2}|_")
_CAMEL = re.compile(r"_{0,2}[a-z][a-zA-Z0-9]*|_")
_MODULE_CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")
_SELF = frozenset({"self", "cls"})


def _conforms(name: str, style: str) -> bool:
    pattern = _CAMEL if style == "camel" else _SNAKE
    return pattern.fullmatch(name) is not None


def _assigned_names(target: cst.BaseExpression) -> list[cst.Name]:
    """Plain names bound by an assignment target (tuples unpacked; attributes skipped)."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, cst.Tuple | cst.List):
        out: list[cst.Name] = []
        for el in target.elements:
            out.extend(_assigned_names(el.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _assigned_names(target.value)
    return []


class NonConformingName(Rule):
    """## What it does
    Checks that function, parameter and variable names follow the configured naming
    style: `snake_case` (the default) or `camelCase` (`naming_style = "camel"`).
    Module-level `UPPER_CASE` constants and the benchmark's entry-point name are exempt.

    ## Why is this bad?
    Mixed naming styles make code harder to read. The RACE benchmark scores generated
    code on whether it follows a requested naming convention.

    ## Example
    ```python
    def sumOfSquares(numberList):
        totalSum = 0
        for x in numberList:
            totalSum += x * x
        return totalSum
    ```

    Use instead:
    ```python
    def sum_of_squares(number_list):
        total_sum = 0
        for x in number_list:
            total_sum += x * x
        return total_sum
    ```

    ## Options
    - `naming_style`: `snake` (default) or `camel`.
    """

    CODE = "AUD101"
    SYMBOL = "non-conforming-name"
    MESSAGE = "name does not follow the naming convention"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.STYLE
    VALID = (
        Valid("def add_one(value):\n    new_value = value + 1\n    return new_value\n"),
        Valid("MAX_SIZE = 10\n\ndef f(n):\n    for i in range(n):\n        pass\n"),
        Valid(
            "def addOne(someValue):\n    newValue = someValue + 1\n    return newValue\n",
            config=RuleConfig(naming_style="camel"),
        ),
        Valid("def hasCloseElements(x):\n    return x\n", entry_point="hasCloseElements"),
    )
    INVALID = (
        Invalid("def addOne(value):\n    return value + 1\n", 1),
        Invalid("def f(x):\n    newValue = x + 1\n    return newValue\n", 2),
        Invalid("def f(someValue):\n    return someValue\n", 1),
        Invalid("def add_one(x):\n    return x + 1\n", 1, config=RuleConfig(naming_style="camel")),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._seen: set[tuple[int, str]] = set()

    def _check(
        self, name: cst.Name, *, module_level: bool = False, at: cst.CSTNode | None = None
    ) -> None:
        value = name.value
        if value in _SELF or _conforms(value, self.config.naming_style):
            return
        if module_level and _MODULE_CONSTANT.fullmatch(value):
            return
        scope = id(self.ctx.functions[-1]) if self.ctx.functions else 0
        if (scope, value) in self._seen:
            return
        self._seen.add((scope, value))
        self.report(at or name, f"name '{value}' is not {self.config.naming_style} case")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if name != self.ctx.entry_point and not (name.startswith("__") and name.endswith("__")):
            self._check(node.name)
        p = node.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            self._check(param.name, at=param)
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                self._check(star.name, at=star)

    def _targets(self, targets: list[cst.BaseExpression]) -> None:
        module_level = not self.ctx.functions
        for target in targets:
            for name in _assigned_names(target):
                self._check(name, module_level=module_level)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._targets([t.target for t in node.targets])

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets([node.target])

    def visit_For(self, node: cst.For) -> None:
        self._targets([node.target])


class LineTooLong(Rule):
    """## What it does
    Checks for lines longer than `max_line_length` characters (79 by default).

    ## Why is this bad?
    Long lines are hard to read side by side and in review tools; PEP 8 and the RACE
    readability checks both limit line length.

    ## Example
    ```python
    result = some_function(first_argument, second_argument, third_argument, fourth_argument)
    ```

    Use instead:
    ```python
    result = some_function(
        first_argument, second_argument, third_argument, fourth_argument
    )
    ```

    ## Options
    - `max_line_length` (default 79).
    """

    CODE = "AUD102"
    SYMBOL = "line-too-long"
    MESSAGE = "line is longer than the limit"
    SEVERITY = Severity.INFO
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.STYLE
    VALID = (
        Valid("x = 1\n"),
        Valid("y = '" + "a" * 73 + "'\n"),
        Valid("z = 1  # " + "c" * 100 + "\n", config=RuleConfig(max_line_length=120)),
    )
    INVALID = (
        Invalid("x = 1\ny = '" + "a" * 80 + "'\n", 2),
        Invalid("def f():\n    return 1  # " + "c" * 80 + "\n", 2),
        Invalid("x = 1\ny = '" + "a" * 8 + "'\n", 2, config=RuleConfig(max_line_length=10)),
    )

    def leave_Module(self, node: cst.Module) -> None:
        limit = self.config.max_line_length
        for lineno, line in enumerate(self.ctx.parsed.lines, 1):
            if len(line) > limit:
                self.report(None, f"line is {len(line)} characters long (> {limit})", line=lineno)


class FunctionTooLong(Rule):
    """## What it does
    Checks for functions spanning more than `max_function_lines` lines (40 by default),
    counted from the `def` line to the last line of the body.

    ## Why is this bad?
    Long functions do several things at once and are hard to read and test; the RACE
    readability checks ask for short functions.

    ## Example
    ```python
    def process(data):
        # ... 60 lines that parse, validate, transform and print ...
        ...
    ```

    Use instead:
    ```python
    def process(data):
        records = parse(data)
        validate(records)
        return transform(records)
    ```

    ## Options
    - `max_function_lines` (default 40).
    """

    CODE = "AUD103"
    SYMBOL = "function-too-long"
    MESSAGE = "function is longer than the limit"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.STYLE
    VALID = (
        Valid("def f(x):\n" + "    x += 1\n" * 38 + "    return x\n"),
        Valid("def f(x):\n    return x\n"),
        Valid(
            "def f(x):\n    x += 1\n    x += 1\n    return x\n",
            config=RuleConfig(max_function_lines=4),
        ),
    )
    INVALID = (
        Invalid("def f(x):\n" + "    x += 1\n" * 40 + "    return x\n", 1),
        Invalid("import os\n\n\ndef g(x):\n" + "    x += 1\n" * 50 + "    return x\n", 4),
        Invalid(
            "def f(x):\n    x += 1\n    x += 1\n    return x\n",
            1,
            config=RuleConfig(max_function_lines=3),
        ),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_Module(self, node: cst.Module) -> None:
        limit = self.config.max_function_lines
        for fn in self._functions:  # spans are exact (and cheap) once the pass is done
            first, last = self.ctx.span(fn)
            n = last - first + 1
            if n > limit:
                self.report(fn, f"function '{fn.name.value}' is {n} lines long (> {limit})")


class SparseComments(Rule):
    """## What it does
    Checks for long functions (at least `comment_min_lines` lines, 15 by default) whose
    `#` comment lines make up less than `min_comment_density` of their lines (5%).
    Docstrings are not comments here; they are checked by `missing-docstring`.

    ## Why is this bad?
    Non-trivial code without comments leaves the reader to reconstruct the intent.
    The RACE readability checks score comment density.

    ## Example
    ```python
    def score(cards):
        total = 0
        aces = 0
        ...  # 20 more lines, no comment
    ```

    Use instead:
    ```python
    def score(cards):
        total = 0
        aces = 0  # counted as 11 until the hand busts
        ...
    ```

    ## Options
    - `comment_min_lines` (default 15), `min_comment_density` (default 0.05).
    """

    CODE = "AUD104"
    SYMBOL = "sparse-comments"
    MESSAGE = "long function has too few comments"
    SEVERITY = Severity.INFO
    CONFIDENCE = Confidence.MEDIUM
    FAMILY = Family.STYLE
    VALID = (
        Valid("def f(x):\n    x += 1\n    return x\n"),
        Valid("def f(x):\n    # step up\n" + "    x += 1\n" * 16 + "    return x\n"),
        Valid(
            "def f(x):\n" + "    x += 1\n" * 20 + "    return x\n",
            config=RuleConfig(comment_min_lines=30),
        ),
    )
    INVALID = (
        Invalid("def f(x):\n" + "    x += 1\n" * 20 + "    return x\n", 1),
        Invalid("x = 0  # a comment\n\ndef g(x):\n" + "    x += 1\n" * 16 + "    return x\n", 3),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._counts: list[int] = []
        self._done: list[tuple[cst.FunctionDef, int]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._counts.append(0)

    def visit_Comment(self, node: cst.Comment) -> None:
        if self._counts:
            self._counts[-1] += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        comments = self._counts.pop()
        if self._counts:  # an inner function's comments also document the outer one
            self._counts[-1] += comments
        self._done.append((node, comments))

    def leave_Module(self, node: cst.Module) -> None:
        for fn, comments in self._done:
            first, last = self.ctx.span(fn)
            n = last - first + 1
            if (
                n >= self.config.comment_min_lines
                and comments / n < self.config.min_comment_density
            ):
                self.report(
                    fn, f"function '{fn.name.value}' has {comments} comment lines in {n} lines"
                )


class MissingDocstring(Rule):
    """## What it does
    Checks for public module-level functions and methods without a docstring.
    Names starting with `_` and functions nested in other functions are exempt.

    ## Why is this bad?
    A docstring states what a function promises; without it a reader must infer the
    contract from the body. The RACE readability checks require docstrings.

    ## Example
    ```python
    def area(radius):
        return 3.14159 * radius ** 2
    ```

    Use instead:
    ```python
    def area(radius):
        \"\"\"Area of a circle of the given radius.\"\"\"
        return 3.14159 * radius ** 2
    ```
    """

    CODE = "AUD105"
    SYMBOL = "missing-docstring"
    MESSAGE = "public function has no docstring"
    SEVERITY = Severity.INFO
    CONFIDENCE = Confidence.HIGH
    FAMILY = Family.STYLE
    VALID = (
        Valid('def f(x):\n    """Return x."""\n    return x\n'),
        Valid("def _helper(x):\n    return x\n"),
        Valid(
            'def f(x):\n    """Outer."""\n    def inner(y):\n        return y\n    return inner(x)\n'
        ),
    )
    INVALID = (
        Invalid("def f(x):\n    return x\n", 1),
        Invalid('class A:\n    """A."""\n\n    def area(self):\n        return 1\n', 4),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.ctx.functions) > 1 or node.name.value.startswith("_"):
            return
        stmts = body_statements(node)
        if not stmts or not is_docstring_stmt(stmts[0]):
            self.report(node.name, f"function '{node.name.value}' has no docstring")


_SPHINX_PARAM = re.compile(r":param\s+(?:[^:]*\s)?\*{0,2}(\w+)\s*:")
_GOOGLE_HEADER = re.compile(r"(Args|Arguments|Parameters|Params|Keyword Args)\s*:\s*")
_NUMPY_HEADER = re.compile(r"Parameters\s*")
_GOOGLE_ITEM = re.compile(r"\*{0,2}(\w+)\s*(\([^)]*\))?\s*:")
_NUMPY_ITEM = re.compile(r"\*{0,2}(\w+)\s*(:.*)?")


def documented_params(doc: str) -> set[str]:
    """Parameter names listed in a Sphinx, Google or NumPy style section of `doc`."""
    found = set(_SPHINX_PARAM.findall(doc))
    lines = doc.expandtabs().splitlines()
    i = 0
    while i < len(lines):
        numpy = _numpy_header(lines, i)
        if numpy or _GOOGLE_HEADER.fullmatch(lines[i].strip()):
            i = _read_section(lines, i, numpy, found)
        else:
            i += 1
    return found


def _numpy_header(lines: Sequence[str], i: int) -> bool:
    """Is line `i` a NumPy `Parameters` header (underlined with dashes)?"""
    return _NUMPY_HEADER.fullmatch(lines[i].strip()) is not None and _underline(lines, i + 1)


def _underline(lines: Sequence[str], i: int) -> bool:
    """Is there a line `i`, and only dashes on it?"""
    return i < len(lines) and set(lines[i].strip()) == {"-"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _read_section(lines: Sequence[str], header: int, numpy: bool, found: set[str]) -> int:
    """Add the parameter names of the section under line `header` to `found`; the index of
    the first line after the section. Items are the lines at the first item's indentation
    (deeper lines describe them); a Google section ends at its first blank line, a NumPy
    one at the next underlined header."""
    indent = _indent(lines[header])
    j = header + (2 if numpy else 1)
    item_indent: int | None = None
    while j < len(lines):
        text = lines[j]
        if not text.strip():
            if numpy:
                j += 1
                continue
            break
        ind = _indent(text)
        if _section_ends(lines, j, ind, indent, numpy):
            break
        if item_indent is None:
            item_indent = ind
        if ind == item_indent:
            name = _item_name(text.strip(), numpy)
            if name is not None:
                found.add(name)
        j += 1
    return j


def _section_ends(lines: Sequence[str], j: int, ind: int, indent: int, numpy: bool) -> bool:
    """Does the non-blank line `j` (indented `ind`) end a section whose header is indented
    `indent`: less indented, as indented in Google style, or the next NumPy header?"""
    if ind < indent or (ind == indent and not numpy):
        return True
    return numpy and ind == indent and _underline(lines, j + 1)


def _item_name(item: str, numpy: bool) -> str | None:
    """The parameter an item line names (`x (int): ...`, `x : int`); a Google item may go
    on after its colon on the same line."""
    m = (_NUMPY_ITEM if numpy else _GOOGLE_ITEM).fullmatch(item)
    if m is None and not numpy:
        m = _GOOGLE_ITEM.match(item)
    return m.group(1) if m else None


class StaleDocstring(Rule):
    """## What it does
    Checks docstrings that list parameters (Sphinx `:param x:`, Google `Args:` or NumPy
    `Parameters` sections) against the real signature: a documented parameter that does
    not exist, or a real one that is not documented, is reported. Docstrings without such
    a section are not judged.

    ## Why is this bad?
    A docstring that describes another signature misleads the reader. In generated code
    it often means the function was rewritten, or copied from a different task.

    ## Example
    ```python
    def scale(values, factor):
        \"\"\"Scale values.

        Args:
            items: the numbers to scale.
            factor: the multiplier.
        \"\"\"
        return [v * factor for v in values]
    ```

    Use instead:
    ```python
    def scale(values, factor):
        \"\"\"Scale values.

        Args:
            values: the numbers to scale.
            factor: the multiplier.
        \"\"\"
        return [v * factor for v in values]
    ```
    """

    CODE = "AUD106"
    SYMBOL = "stale-docstring"
    MESSAGE = "docstring parameters do not match the signature"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.MEDIUM
    FAMILY = Family.STYLE
    VALID = (
        Valid(
            'def f(a, b):\n    """Add.\n\n    Args:\n        a: x.\n        b (int): y.\n    """\n'
        ),
        Valid('def f(a):\n    """Return a plus one; a must be an int."""\n    return a + 1\n'),
        Valid('def f(a, *args):\n    """:param a: x\n    :param args: rest\n    """\n'),
        Valid(
            'def f(a):\n    """Do.\n\n    Parameters\n    ----------\n    a : int\n'
            '        The value.\n\n    Returns\n    -------\n    int\n    """\n'
        ),
    )
    INVALID = (
        Invalid(
            'def f(a, b):\n    """Add.\n\n    Args:\n        a: x.\n        c: y.\n    """\n', 1
        ),
        Invalid('def f(a, b):\n    """:param a: first\n    """\n    return a + b\n', 1),
        Invalid(
            'def f(a):\n    """Do.\n\n    Parameters\n    ----------\n    x : int\n'
            '        The value.\n    """\n',
            1,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        stmts = body_statements(node)
        if not stmts or not is_docstring_stmt(stmts[0]):
            return
        doc = node.get_docstring(clean=True)
        if not doc:
            return
        documented = documented_params(doc)
        if not documented:
            return
        actual = set(self.ctx.params(node)) - _SELF
        extra, missing = sorted(documented - actual), sorted(actual - documented)
        if extra or missing:
            parts = []
            if extra:
                parts.append("documents unknown " + ", ".join(extra))
            if missing:
                parts.append("omits " + ", ".join(missing))
            self.report(node.name, f"docstring of '{node.name.value}' " + "; ".join(parts))
