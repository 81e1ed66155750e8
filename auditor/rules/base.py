"""The rule shape, its options, its examples, and the per-pass context rules report to."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Literal

import libcst as cst

from auditor.rules.lines import COUNTED, LineIndex, NodeOrder, Span
from auditor.types import Confidence, Severity

if TYPE_CHECKING:
    from auditor.parse import Parsed

HEADINGS = ("## What it does", "## Why is this bad?", "## Example")


class Family(StrEnum):
    """Rule families; the value is the code prefix's meaning."""

    STYLE = "style"
    COMPLEXITY = "complexity"
    GAMING = "test-gaming"
    HYGIENE = "hygiene"
    INTERNAL = "internal"

    @property
    def prefix(self) -> str:
        return {
            Family.STYLE: "AUD1",
            Family.COMPLEXITY: "AUD2",
            Family.GAMING: "AUD3",
            Family.HYGIENE: "AUD4",
            Family.INTERNAL: "AUD9",
        }[self]


@dataclass(frozen=True)
class RuleConfig:
    """Options for the rules. Defaults follow the RACE readability checks (PEP 8 style)."""

    naming_style: Literal["snake", "camel"] = "snake"
    max_line_length: int = 79
    max_function_lines: int = 40
    max_complexity: int = 10
    max_nesting: int = 4
    max_bool_ops: int = 3
    comment_min_lines: int = 15  # functions shorter than this are not judged on comments
    min_comment_density: float = 0.05  # comment lines per function line
    honor_suppressions: bool = False
    select: frozenset[str] = frozenset()  # codes or prefixes to run; empty = all
    ignore: frozenset[str] = frozenset()  # codes or prefixes to skip

    def enabled(self, code: str) -> bool:
        """Whether rule `code` runs under select/ignore (prefix match, e.g. AUD3)."""
        if any(code.startswith(p) for p in self.ignore):
            return False
        return not self.select or any(code.startswith(p) for p in self.select)


@dataclass(frozen=True)
class Example:
    """A rule example. `code` is dedented and its leading newline stripped; `line`
    (1-based, in that text) is where an invalid example must fire, None for a valid one."""

    code: str
    line: int | None = None
    entry_point: str | None = None
    config: RuleConfig | None = None

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


def Valid(
    code: str, *, entry_point: str | None = None, config: RuleConfig | None = None
) -> Example:
    """An example the rule must not flag."""
    return Example(code, None, entry_point, config)


def Invalid(
    code: str, line: int, *, entry_point: str | None = None, config: RuleConfig | None = None
) -> Example:
    """An example the rule must flag exactly at `line`."""
    return Example(code, line, entry_point, config)


@dataclass
class Report:
    """A raw finding before positions are resolved."""

    rule: type[Rule]
    node: cst.CSTNode | None
    line: int | None
    message: str
    confidence: Confidence
    anchor: cst.CSTNode | None = None  # nearest counted ancestor, for line lookup


@dataclass
class Context:
    """State shared by all rules during one pass over one module."""

    parsed: Parsed
    config: RuleConfig
    entry_point: str | None
    reports: list[Report] = field(default_factory=list)
    stack: list[cst.CSTNode] = field(default_factory=list)  # ancestors of the current node
    functions: list[cst.FunctionDef] = field(default_factory=list)  # enclosing defs
    order: NodeOrder = field(default_factory=NodeOrder)
    _params: dict[cst.FunctionDef, tuple[str, ...]] = field(default_factory=dict)
    _lines: LineIndex | None = None

    @property
    def module(self) -> cst.Module:
        assert self.parsed.module is not None  # the engine only runs rules on parsed code
        return self.parsed.module

    def parent(self, depth: int = 1) -> cst.CSTNode | None:
        """The ancestor `depth` levels above the node being visited."""
        idx = len(self.stack) - 1 - depth
        return self.stack[idx] if idx >= 0 else None

    def locate(self, node: cst.CSTNode, anchor: cst.CSTNode | None = None) -> Span:
        """(line, col, end line) of `node`; exact for counted classes once the traversal
        has finished (use from `leave_Module` or later), else via PositionProvider."""
        if self.parsed.tree is not None:
            if self._lines is None:
                self._lines = LineIndex(self.parsed.tree, self.parsed.code)
            span = self.order.locate(node, self._lines)
            if span is None and anchor is not None:
                span = self.order.locate(anchor, self._lines)
            if span is not None:
                return span
        rng = self.parsed.positions.get(node)
        if rng is None:
            return (1, 0, 1)
        return (rng.start.line, rng.start.column, rng.end.line)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """First and last line of `node` (call from `leave_Module`: see `locate`)."""
        line, _, end = self.locate(node)
        return line, end

    def anchor_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The nearest ancestor (in the visit stack) whose line the AST knows."""
        if type(node) in COUNTED:
            return None
        for above in reversed(self.stack):
            if above is not node and type(above) in COUNTED and type(above) is not cst.Comment:
                return above
        return None

    def params(self, fn: cst.FunctionDef) -> tuple[str, ...]:
        """Names of all parameters of `fn`, in order (cached)."""
        got = self._params.get(fn)
        if got is None:
            got = param_names(fn)
            self._params[fn] = got
        return got


def param_names(fn: cst.FunctionDef) -> tuple[str, ...]:
    p = fn.params
    out = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star.name.value)
    return tuple(out)


class Rule:
    """Base class. Subclasses define the class attributes and libcst-style
    `visit_<Node>` / `leave_<Node>` methods; the engine calls them in one shared pass.
    Returning a value from `visit_*` has no effect (children are always visited)."""

    CODE: ClassVar[str]
    SYMBOL: ClassVar[str]
    MESSAGE: ClassVar[str]
    SEVERITY: ClassVar[Severity]
    CONFIDENCE: ClassVar[Confidence]
    FAMILY: ClassVar[Family]
    VALID: ClassVar[tuple[Example, ...]] = ()
    INVALID: ClassVar[tuple[Example, ...]] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.config = ctx.config

    def report(
        self,
        node: cst.CSTNode | None = None,
        message: str | None = None,
        *,
        line: int | None = None,
        confidence: Confidence | None = None,
    ) -> None:
        """Record a finding at `node` (or at `line` for text-based rules)."""
        anchor = self.ctx.anchor_of(node) if node is not None else None
        self.ctx.reports.append(
            Report(
                type(self),
                node,
                line,
                message or self.MESSAGE,
                confidence or self.CONFIDENCE,
                anchor,
            )
        )

    @classmethod
    def handlers(cls) -> tuple[str, ...]:
        """Names of the `visit_*` / `leave_*` methods, computed once per class."""
        got = cls.__dict__.get("_handlers")
        if got is None:
            got = tuple(
                name
                for name in dir(cls)
                if name.startswith(("visit_", "leave_")) and callable(getattr(cls, name))
            )
            cls._handlers = got  # type: ignore[attr-defined]
        return got
