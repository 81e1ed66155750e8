"""One pass of every rule over one parsed module, dispatched by a single visitor."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from auditor.parse import Parsed, deep_recursion
from auditor.rules.base import Context, Report, Rule, RuleConfig
from auditor.rules.lines import COUNTED
from auditor.rules.suppress import finding_names, is_suppressed, suppressed
from auditor.types import Confidence, Finding

Bound = tuple[Rule, Callable[[cst.CSTNode], object]]


class BatchedVisitor(cst.CSTVisitor):
    """Calls each rule's `visit_<Node>`/`leave_<Node>` for every node, in one traversal.

    A rule that raises is recorded (AUD902 later) and dropped for the rest of the pass.
    """

    def __init__(self, ctx: Context, rules: Iterable[Rule]) -> None:
        self.ctx = ctx
        self.rules = list(rules)
        self.failures: list[tuple[Rule, cst.CSTNode, BaseException]] = []
        self._index()

    def _index(self) -> None:
        self._visit: dict[str, list[Bound]] = {}
        self._leave: dict[str, list[Bound]] = {}
        for rule in self.rules:
            for name in type(rule).handlers():
                kind, node_type = name.split("_", 1)
                table = self._visit if kind == "visit" else self._leave
                table.setdefault(node_type, []).append((rule, getattr(rule, name)))

    def _fail(self, rule: Rule, node: cst.CSTNode, exc: BaseException) -> None:
        self.failures.append((rule, node, exc))
        self.rules.remove(rule)
        self._index()

    def _dispatch(self, table: dict[str, list[Bound]], node: cst.CSTNode) -> None:
        bound = table.get(type(node).__name__)
        if not bound:
            return
        for rule, handler in bound:  # _fail rebuilds the tables, never mutates `bound`
            try:
                handler(node)
            except RecursionError:
                raise
            except Exception as exc:  # one bad rule must not stop the others
                self._fail(rule, node, exc)

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.ctx.stack.append(node)
        kind = type(node)
        if kind in COUNTED:
            self.ctx.order.add(node)
            if kind is cst.FunctionDef:
                self.ctx.functions.append(node)  # type: ignore[arg-type]
        self._dispatch(self._visit, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._dispatch(self._leave, original_node)
        if type(original_node) is cst.FunctionDef:
            self.ctx.functions.pop()
        self.ctx.stack.pop()

    # The base class looks up `visit_<Node>_<attr>` per attribute; we never use them.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def _finding(
    rule: type[Rule], line: int, col: int, message: str, confidence: Confidence | None = None
) -> Finding:
    return Finding(
        code=rule.CODE,
        symbol=rule.SYMBOL,
        message=message,
        line=line,
        col=col,
        severity=rule.SEVERITY,
        confidence=confidence or rule.CONFIDENCE,
        source="rules",
    )


def _resolve(ctx: Context, report: Report) -> Finding:
    line, col = report.line or 1, 0
    if report.node is not None:
        line, col, _ = ctx.locate(report.node, report.anchor)
    return _finding(report.rule, line, col, report.message, report.confidence)


def run_rules(
    parsed: Parsed,
    rule_classes: Iterable[type[Rule]],
    *,
    entry_point: str | None,
    config: RuleConfig,
    syntax_rule: type[Rule],
    error_rule: type[Rule],
    limit_rule: type[Rule],
) -> tuple[Finding, ...]:
    """Findings of `rule_classes` on `parsed`, sorted by (line, col, code).

    Code that did not parse gives one `syntax_rule` finding (`limit_rule` when it is
    valid but beyond the size/depth limits); a rule that raised gives an `error_rule` one.
    """
    if parsed.module is None:
        rule = limit_rule if parsed.unanalysable else syntax_rule
        if not config.enabled(rule.CODE):
            return ()
        verb = "cannot analyse" if parsed.unanalysable else "does not parse"
        return (_finding(rule, parsed.error_line or 1, 0, f"{verb}: {parsed.error}"),)
    ctx = Context(parsed=parsed, config=config, entry_point=entry_point)
    visitor = BatchedVisitor(ctx, [cls(ctx) for cls in rule_classes])
    try:
        with deep_recursion():
            parsed.module.visit(visitor)
            findings = [_resolve(ctx, r) for r in ctx.reports]
    except RecursionError:
        return (_finding(limit_rule, 1, 0, "cannot analyse: too deeply nested"),)
    for failed, node, exc in visitor.failures:
        line, col, _ = ctx.locate(node, ctx.anchor_of(node))
        findings.append(
            _finding(
                error_rule,
                line,
                col,
                f"rule {failed.CODE} ({failed.SYMBOL}) failed: {type(exc).__name__}: {exc}",
            )
        )
    if config.honor_suppressions:
        table = suppressed(parsed)
        if table:
            findings = [f for f in findings if not is_suppressed(table, f.line, finding_names(f))]
    return tuple(sorted(findings, key=lambda f: (f.line, f.col, f.code)))
