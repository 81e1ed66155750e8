"""parse(): one libcst parse per candidate; every failure is data with a line."""

from __future__ import annotations

import ast
import sys

import libcst as cst
import pytest

from auditor.config import MAX_SOURCE_CHARS
from auditor.parse import MAX_DEPTH, Parsed, ast_depth, parse


def test_valid_code_has_module_tree_and_positions() -> None:
    parsed = parse("def f(x):\n    return x + 1\n")
    assert parsed.ok and parsed.error is None and parsed.error_line is None
    assert isinstance(parsed.module, cst.Module) and isinstance(parsed.tree, ast.Module)
    assert parsed.module.code == parsed.code  # libcst round-trips the source exactly
    fn = parsed.module.body[0]
    assert isinstance(fn, cst.FunctionDef)
    assert parsed.positions[fn.name].start.line == 1
    assert parsed.wrapper is parsed.wrapper  # metadata wrapper built once, then reused
    assert parsed.lines == ("def f(x):", "    return x + 1")


def test_empty_code_parses() -> None:
    parsed = parse("")
    assert parsed.ok and parsed.module is not None and len(parsed.module.body) == 0


@pytest.mark.parametrize(
    ("code", "line", "fragment"),
    [
        ("x = 1\ndef f(:\n    pass\n", 2, "SyntaxError"),
        ("def f(x):\n    return x\n  y = 2\n", 3, "IndentationError"),
        ("def f(x):\n    return (x +\n", 2, "SyntaxError"),
        ("x = 1\ny = 'a\udcffb'\n", 2, "invalid UTF-8"),
        ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", 1, "nested parentheses"),
    ],
    ids=["syntax", "indent", "unclosed", "surrogate", "parens-5000"],
)
def test_failures_are_data_with_a_line(code: str, line: int, fragment: str) -> None:
    parsed = parse(code)
    assert not parsed.ok and parsed.module is None and parsed.tree is None
    assert parsed.error is not None and fragment in parsed.error
    assert parsed.error_line == line
    assert not parsed.unanalysable
    assert parsed.positions == {} and parsed.wrapper is None


def test_null_byte_is_an_error_not_an_exception() -> None:
    parsed = parse("x = 1\x00\n")
    assert not parsed.ok and parsed.error is not None


def test_chained_operators_beyond_cpython_limit_are_an_error() -> None:
    parsed = parse("x = " + "+".join(["1"] * 5000) + "\n")
    assert not parsed.ok and "nested" in (parsed.error or "")


def test_deep_but_valid_code_is_unanalysable_not_a_syntax_error() -> None:
    parsed = parse("x = " + "+".join(["1"] * (MAX_DEPTH + 50)) + "\n")
    assert not parsed.ok and parsed.unanalysable and parsed.error_line == 1


def test_deep_code_within_limit_parses_and_restores_recursion_limit() -> None:
    before = sys.getrecursionlimit()
    parsed = parse("x = " + "+".join(["1"] * 600) + "\n")
    assert parsed.ok
    assert len(parsed.positions) > 600
    assert sys.getrecursionlimit() == before


def test_one_megabyte_is_unanalysable_quickly() -> None:
    code = "def f(x):\n    return x\n" * 44_000
    assert len(code) > 1_000_000
    parsed = parse(code)
    assert not parsed.ok and parsed.unanalysable and str(MAX_SOURCE_CHARS) in (parsed.error or "")


def test_ast_depth() -> None:
    assert ast_depth(ast.parse("")) == 1
    assert ast_depth(ast.parse("x = 1")) == 4  # Module > Assign > Name > Store
    assert ast_depth(ast.parse("x = [[1]]")) == 5


def test_parsed_is_frozen() -> None:
    parsed = parse("x = 1\n")
    with pytest.raises(AttributeError):
        parsed.code = "y = 2\n"  # type: ignore[misc]
    assert isinstance(parsed, Parsed)
