"""The rule engine: rule classes discovered from the family modules, run in one pass.

>>> from auditor.parse import parse
>>> [f.code for f in check_rules(parse("def f(x):\\n    if x == 3:\\n        return 7\\n"))]
['AUD105', 'AUD301']
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from auditor.parse import Parsed
from auditor.rules import complexity, gaming, hygiene, internal, style
from auditor.rules.base import HEADINGS, Example, Family, Invalid, Rule, RuleConfig, Valid
from auditor.rules.engine import run_rules
from auditor.rules.suppress import count_suppressions
from auditor.types import Finding

FAMILY_MODULES: tuple[ModuleType, ...] = (style, complexity, gaming, hygiene, internal)


def _discover(modules: tuple[ModuleType, ...]) -> dict[str, type[Rule]]:
    found: dict[str, type[Rule]] = {}
    symbols: set[str] = set()
    for module in modules:
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Rule)
                and obj.__module__ == module.__name__
                and "CODE" in vars(obj)
            ):
                if obj.CODE in found or obj.SYMBOL in symbols:
                    raise RuntimeError(f"duplicate rule {obj.CODE} / {obj.SYMBOL}")
                if not obj.CODE.startswith(obj.FAMILY.prefix):
                    raise RuntimeError(f"{obj.CODE} is not in family {obj.FAMILY}")
                found[obj.CODE] = obj
                symbols.add(obj.SYMBOL)
    return dict(sorted(found.items()))


RULES: Mapping[str, type[Rule]] = MappingProxyType(_discover(FAMILY_MODULES))
SYNTAX_ERROR = internal.SyntaxErrorRule
RULE_ERROR = internal.RuleErrorRule
UNANALYSABLE = internal.UnanalysableCode


def get_rule(code_or_symbol: str) -> type[Rule] | None:
    """A rule by code (case-insensitive) or symbol."""
    rule = RULES.get(code_or_symbol.upper())
    if rule is not None:
        return rule
    return next((r for r in RULES.values() if code_or_symbol == r.SYMBOL), None)


def check_rules(
    parsed: Parsed, *, entry_point: str | None = None, config: RuleConfig | None = None
) -> tuple[Finding, ...]:
    """All enabled rules' findings on `parsed`, sorted by (line, col, code).

    One traversal runs every rule; a parse failure gives a single AUD901 finding and a
    crashing rule an AUD902 finding, never an exception.
    """
    config = config or RuleConfig()
    active = [
        cls
        for cls in RULES.values()
        if cls.FAMILY is not Family.INTERNAL and config.enabled(cls.CODE)
    ]
    return run_rules(
        parsed,
        active,
        entry_point=entry_point,
        config=config,
        syntax_rule=SYNTAX_ERROR,
        error_rule=RULE_ERROR,
        limit_rule=UNANALYSABLE,
    )


__all__ = [
    "HEADINGS",
    "RULES",
    "Example",
    "Family",
    "Invalid",
    "Rule",
    "RuleConfig",
    "Valid",
    "check_rules",
    "count_suppressions",
    "get_rule",
]
