"""The rule engine: every rule example, the registry, the catalogue, suppressions, the CLI."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest
from click.testing import CliRunner

from auditor.cli import cli, main
from auditor.parse import parse
from auditor.rules import (
    HEADINGS,
    RULES,
    Family,
    Rule,
    RuleConfig,
    catalogue,
    check_rules,
    count_suppressions,
)
from auditor.rules.base import Example
from auditor.rules.catalogue import CHECK_RULES
from auditor.rules.engine import run_rules
from auditor.types import Confidence, Severity

CASES = [
    pytest.param(rule, ex, id=f"{code}-{'valid' if ex.line is None else 'invalid'}-{i}")
    for code, rule in RULES.items()
    for i, ex in enumerate((*rule.VALID, *rule.INVALID))
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(rule: type[Rule], example: Example) -> None:
    findings = check_rules(
        parse(example.source), entry_point=example.entry_point, config=example.config
    )
    lines = sorted(f.line for f in findings if f.code == rule.CODE)
    if example.line is None:
        assert lines == [], f"{rule.CODE} fired on a valid example at {lines}"
    else:
        assert lines == [example.line], f"{rule.CODE} expected at {example.line}, got {lines}"
    assert not [f for f in findings if f.code == "AUD902"], "a rule crashed on an example"


def test_registry_has_enough_rules_in_every_family() -> None:
    assert len(RULES) >= 20
    families = {rule.FAMILY for rule in RULES.values()}
    assert families == set(Family)


def test_codes_and_symbols_are_unique_and_well_formed() -> None:
    codes = [r.CODE for r in RULES.values()]
    symbols = [r.SYMBOL for r in RULES.values()]
    assert len(set(codes)) == len(codes)
    assert len(set(symbols)) == len(symbols)
    for rule in RULES.values():
        assert re.fullmatch(r"AUD\d{3}", rule.CODE)
        assert rule.CODE.startswith(rule.FAMILY.prefix)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.SYMBOL), rule.SYMBOL
        assert isinstance(rule.SEVERITY, Severity) and isinstance(rule.CONFIDENCE, Confidence)
        assert rule.MESSAGE and not rule.MESSAGE.endswith(".")


def test_every_docstring_has_every_heading_in_order() -> None:
    for rule in RULES.values():
        doc = rule.__doc__ or ""
        positions = [doc.find(h) for h in HEADINGS]
        assert all(p >= 0 for p in positions), f"{rule.CODE} lacks a heading"
        assert positions == sorted(positions), f"{rule.CODE} headings out of order"
        assert "Use instead:" in doc, f"{rule.CODE} has no 'Use instead:'"


def test_every_rule_has_two_valid_and_two_invalid_examples() -> None:
    for rule in RULES.values():
        assert len(rule.VALID) >= 2, rule.CODE
        if rule.CODE != "AUD902":  # a correct rule never crashes; see the injection test
            assert len(rule.INVALID) >= 2, rule.CODE
        assert all(ex.line is None for ex in rule.VALID)
        assert all(ex.line is not None for ex in rule.INVALID)


class _Crashes(Rule):
    CODE = "AUD999"
    SYMBOL = "always-crashes"
    MESSAGE = "boom"
    SEVERITY = Severity.LOW
    CONFIDENCE = Confidence.LOW
    FAMILY = Family.INTERNAL
    calls: ClassVar[list[str]] = []

    def visit_Return(self, node: cst.Return) -> None:
        raise ZeroDivisionError("boom")

    def visit_Name(self, node: cst.Name) -> None:
        self.calls.append(node.value)


def test_crashing_rule_gives_rule_error_and_others_still_run() -> None:
    _Crashes.calls.clear()
    parsed = parse("def f(x):\n    print(x)\n    return x\n\ndef g(y):\n    return y\n")
    active = [_Crashes, RULES["AUD403"]]
    findings = run_rules(
        parsed,
        active,
        entry_point=None,
        config=RuleConfig(),
        syntax_rule=RULES["AUD901"],
        error_rule=RULES["AUD902"],
        limit_rule=RULES["AUD903"],
    )
    got = [(f.code, f.line) for f in findings]
    assert got == [("AUD403", 2), ("AUD902", 3)]
    assert "AUD999" in findings[1].message and "ZeroDivisionError" in findings[1].message
    assert "y" not in _Crashes.calls  # disabled after its first failure


def test_parse_failure_is_a_single_syntax_finding() -> None:
    findings = check_rules(parse("x = 1\n\ndef f(:\n    pass\n"))
    assert [(f.code, f.symbol, f.line) for f in findings] == [("AUD901", "syntax-error", 3)]


@pytest.mark.parametrize(
    "code",
    [
        "",
        "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "x = " + "+".join(["1"] * 5000) + "\n",
        "x = " + "[" * 150 + "]" * 150 + "\n",
        "def f(n):\n"
        + "".join(
            f"    {'el' if i else ''}if n == {i + 5}:\n        return {i}\n" for i in range(600)
        ),
        "def f(x):\n    return '\udcff'\n",
        "x = '\x00'\n",
        "def f(x):\n    return x\n" * 44000,  # ~1 MB
        "x = 1\n" + "def f(x):\n    return x\n" * 400,  # 9 kB, analysed
    ],
    ids=["empty", "parens", "binop", "lists", "elif-600", "surrogate", "null", "1mb", "9kb"],
)
def test_check_never_crashes_on_edge_cases(code: str) -> None:
    parsed = parse(code)
    findings = check_rules(parsed)
    assert all(f.line >= 1 for f in findings)
    assert not [f for f in findings if f.code == "AUD902"]
    if parsed.ok:
        assert "AUD901" not in {f.code for f in findings}
    else:
        assert len(findings) == 1 and findings[0].code in {"AUD901", "AUD903"}


def test_long_magic_elif_chain_is_analysed_not_rejected() -> None:
    code = "def f(n):\n" + "".join(
        f"    {'el' if i else ''}if n == {i + 5}:\n        return {i}\n" for i in range(600)
    )
    codes = {f.code for f in check_rules(parse(code))}
    assert {"AUD303", "AUD301", "AUD201"} <= codes
    assert "AUD901" not in codes


def test_findings_are_sorted_and_carry_rule_metadata() -> None:
    code = "def f(list):\n    print(list)  # TODO\n    if list == [1, 2]:\n        return 3\n"
    findings = check_rules(parse(code))
    keys = [(f.line, f.col, f.code) for f in findings]
    assert keys == sorted(keys)
    for f in findings:
        rule = RULES[f.code]
        assert f.symbol == rule.SYMBOL and f.severity is rule.SEVERITY and f.source == "rules"
    by_code = {f.code: f for f in findings}
    assert by_code["AUD301"].confidence is Confidence.HIGH  # container compared: strong


def test_select_and_ignore() -> None:
    parsed = parse("def f(x):\n    if x == 3:\n        return 7\n    return x\n")
    only = check_rules(parsed, config=RuleConfig(select=frozenset({"AUD3"})))
    assert {f.code for f in only} == {"AUD301"}
    none = check_rules(parsed, config=RuleConfig(ignore=frozenset({"AUD301", "AUD1"})))
    assert "AUD301" not in {f.code for f in none}


SUPPRESSED = (
    "def f(x):\n"
    "    if x == 3:  # noqa\n"
    "        return 7\n"
    "    if x == 'hello':  # auditor: ignore[AUD301]\n"
    "        return 'olleh'\n"
    "    if x == 'world':  # auditor: ignore[unused-parameter]\n"
    "        return 'dlrow'\n"
    "    return x  # type: ignore\n"
)


def test_suppressions_are_ignored_by_default_and_honoured_on_request() -> None:
    parsed = parse(SUPPRESSED)
    lines = [f.line for f in check_rules(parsed) if f.code == "AUD301"]
    assert lines == [2, 4, 6]
    honoured = check_rules(parsed, config=RuleConfig(honor_suppressions=True))
    assert [f.line for f in honoured if f.code == "AUD301"] == [6]
    assert not [f for f in honoured if f.line == 2]  # bare noqa silences everything
    assert [f.code for f in honoured if f.line == 4] == ["AUD411"]  # only AUD301 named
    assert count_suppressions(parsed) == 4
    assert count_suppressions(parse("x = '# not a comment'\n")) == 0
    assert count_suppressions(parse("def f(:\n    pass  # noqa\n")) == 1


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_comments_are_on_the_lines_python_numbers(end: str) -> None:
    """Comment findings (AUD410 TODO, AUD411 suppression) are numbered by line ends at
    `\\r\\n`, `\\r` or `\\n`, as Python numbers lines: a file ending its lines in `\\r`
    alone had them all on line 1."""
    code = end.join(["def f(x):", "    # TODO fix", "    y = 1  # noqa", "    return x + y", ""])
    found = sorted((f.code, f.line) for f in check_rules(parse(code)) if f.code >= "AUD4")
    assert found == [("AUD410", 2), ("AUD411", 3)]


def test_camel_case_config_flips_naming() -> None:
    code = "def f(someValue, other_value):\n    return someValue + other_value\n"
    snake = {f.message for f in check_rules(parse(code)) if f.code == "AUD101"}
    camel = {
        f.message
        for f in check_rules(parse(code), config=RuleConfig(naming_style="camel"))
        if f.code == "AUD101"
    }
    assert snake == {"name 'someValue' is not snake case"}
    assert camel == {"name 'other_value' is not camel case"}


def test_catalogue_is_current(repo_root: Path) -> None:
    stale = catalogue.stale_pages(repo_root / "rules")
    assert stale == [], f"run `python -m auditor.rules.catalogue`; stale: {stale}"


def test_catalogue_check_detects_a_stale_page(tmp_path: Path) -> None:
    catalogue.write_pages(tmp_path)
    assert catalogue.stale_pages(tmp_path) == []
    assert catalogue.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "AUD301.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "AUD999.md").write_text("orphan\n", encoding="utf-8")
    assert catalogue.stale_pages(tmp_path) == ["AUD301.md", "AUD999.md"]
    assert catalogue.main(["--check", "--out", str(tmp_path)]) == 1


def test_page_has_headings_and_examples() -> None:
    page = catalogue.render_page(RULES["AUD301"])
    assert page.startswith("# AUD301: literal-return-on-equality\n")
    for heading in HEADINGS:
        assert heading in page
    assert "Use instead:" in page and "**Severity**: high" in page


def test_cli_rules_list_json() -> None:
    result = CliRunner().invoke(cli, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # every code a run can report: check's own first (they were missing, review s18)
    assert [r["code"] for r in rows] == [i.code for i in CHECK_RULES] + list(RULES)
    assert rows[0].keys() == {"code", "symbol", "family", "severity", "confidence", "message"}


def test_cli_rules_list_text() -> None:
    result = CliRunner().invoke(cli, ["rules", "list"])
    assert result.exit_code == 0
    assert "AUD301" in result.output and "literal-return-on-equality" in result.output
    assert len(result.output.strip().splitlines()) == len(CHECK_RULES) + len(RULES) + 1


def test_cli_rules_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "explain", "AUD301"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == catalogue.render_page(RULES["AUD301"]).strip()
    assert main(["rules", "explain", "catch-all-returns-default"]) == 0
    assert "# AUD305" in capsys.readouterr().out
    assert main(["rules", "explain", "AUD000"]) == 0  # a code `check` emits itself
    assert capsys.readouterr().out.startswith("# AUD000: false-positive-risk")


def test_cli_rules_explain_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "explain", "AUD999"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "AUD999" in err


@pytest.mark.integration
def test_rules_never_crash_on_shared_corpus(shared_corpora: Path) -> None:
    path = shared_corpora / "samples" / "humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        codes = list(dict.fromkeys(json.loads(line)["solution"] for line in fh))[:400]
    for code in codes:
        findings = check_rules(parse(code))
        assert not [f for f in findings if f.code == "AUD902"], code[:200]


TRICKY = '''\
import os  # a comment


@decorator(arg)
def f(a,
      b=[x for x in range(3)],  # noqa
      *args, key=lambda y: y, **kw):
    """Doc."""
    # leading comment
    g(h(a)).i(
        b,
    )[0] if a else {k: v for k, v in kw.items()}
    try:
        pass
    except (ValueError, TypeError):
        return (
            1
        )
    async def inner():
        async with ctx() as c:
            async for z in c:
                del z
    return [s[1:2] for s in args]
'''


def _ast_lines_agree(code: str) -> tuple[int, int]:
    """(nodes checked, nodes whose AST-derived line differs from PositionProvider's)."""
    from auditor.rules.base import Context
    from auditor.rules.engine import BatchedVisitor
    from auditor.rules.lines import LineIndex

    parsed = parse(code)
    assert parsed.module is not None and parsed.tree is not None
    ctx = Context(parsed=parsed, config=RuleConfig(), entry_point=None)
    parsed.module.visit(BatchedVisitor(ctx, []))
    index = LineIndex(parsed.tree, parsed.code)
    wrong = 0
    for node in ctx.order.index:
        span = ctx.order.locate(node, index)
        assert span is not None, f"{type(node).__name__} counts differ between the trees"
        wrong += span[0] != parsed.positions[node].start.line
    return len(ctx.order.index), wrong


def test_ast_derived_lines_match_libcst_positions() -> None:
    checked, wrong = _ast_lines_agree(TRICKY)
    assert checked > 30 and wrong == 0


@pytest.mark.integration
def test_ast_derived_lines_match_on_shared_corpus(shared_corpora: Path) -> None:
    path = shared_corpora / "samples" / "humaneval_code-davinci-002_t0.8_n200.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        codes = list(dict.fromkeys(json.loads(line)["solution"] for line in fh))[:300]
    total = 0
    for code in codes:
        if parse(code).ok:
            checked, wrong = _ast_lines_agree(code)
            assert wrong == 0, code[:300]
            total += checked
    assert total > 3000


@pytest.mark.parametrize(
    ("comment", "silenced"),
    [
        ("  # pylint: disable=literal-return-on-equality", True),  # by symbol, pylint style
        ("  # noqa: AUD3", True),  # a prefix names a family
        ("  # noqa: AUD1 AUD301", True),  # space-separated codes
        ("  # auditor: ignore[AUD4]", False),  # another family
        ("  # pylint: disable", False),  # pylint needs `=CODES`
        ("", False),
    ],
)
def test_one_suppression_grammar_for_the_engine_and_check(comment: str, silenced: bool) -> None:
    from auditor.rules.suppress import is_suppressed_on

    parsed = parse(f"def f(x):\n    if x == 3:{comment}\n        return 7\n    return x\n")
    plain = [f for f in check_rules(parsed) if f.code == "AUD301"]
    honoured = check_rules(parsed, config=RuleConfig(honor_suppressions=True))
    assert plain and all(f.line == 2 for f in plain)
    assert (not [f for f in honoured if f.code == "AUD301"]) is silenced  # the engine
    assert all(is_suppressed_on(parsed.lines[1], f) is silenced for f in plain)  # check
