"""Parse a candidate once with libcst; a failure is data, not an exception.

CPython's own parser runs first as a gate: it is ~20x faster, gives the same syntax
errors the interpreter would, and rejects inputs on which libcst's native parser
overflows its stack and kills the process (e.g. 5000 nested parentheses). The
resulting `ast.Module` is kept on `Parsed.tree` so other extractors need not re-parse.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from auditor.config import MAX_SOURCE_CHARS
from auditor.io import source_lines

if TYPE_CHECKING:  # libcst.metadata is imported lazily: it is slow and warns on import
    from libcst.metadata import CodeRange, MetadataWrapper

# Deepest AST accepted. CPython itself stops near 3000 for chained operators; libcst
# needs about 4 Python frames per level, hence the raised recursion limit below.
MAX_DEPTH = 1000
_RECURSION_LIMIT = 12 * MAX_DEPTH


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise the recursion limit for libcst's recursive visitors, then restore it."""
    old = sys.getrecursionlimit()
    if old < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@dataclass(frozen=True)
class Parsed:
    """One candidate's source and its libcst module, or why it has none.

    Exactly one of `module` and `error` is set. `error_line` is 1-based (None if unknown).
    `unanalysable` marks valid Python beyond the size or depth limits (not a syntax error).
    """

    code: str
    module: cst.Module | None
    error: str | None
    error_line: int | None
    tree: ast.Module | None = None  # CPython AST of the same code when it parsed
    unanalysable: bool = False

    @property
    def ok(self) -> bool:
        return self.module is not None

    @cached_property
    def lines(self) -> tuple[str, ...]:
        """Source lines without their line endings, numbered as Python numbers them."""
        return tuple(source_lines(self.code))

    @cached_property
    def wrapper(self) -> MetadataWrapper | None:
        """A metadata wrapper over `module` (no copy; metadata is cached per provider)."""
        if self.module is None:
            return None
        from libcst.metadata import MetadataWrapper

        return MetadataWrapper(self.module, unsafe_skip_copy=True)

    @cached_property
    def positions(self) -> dict[cst.CSTNode, CodeRange]:
        """Node -> source range, computed on first use (about as costly as the parse)."""
        if self.wrapper is None:
            return {}
        from libcst.metadata import PositionProvider

        with deep_recursion():
            return dict(self.wrapper.resolve(PositionProvider))


def _failed(code: str, error: str, line: int | None, *, limit: bool = False) -> Parsed:
    return Parsed(code=code, module=None, error=error, error_line=line, unanalysable=limit)


def _surrogate_line(code: str) -> int | None:
    """1-based line of the first lone surrogate (undecodable byte), if any."""
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        return code.count("\n", 0, exc.start) + 1
    return None


def ast_depth(tree: ast.AST) -> int:
    """Nesting depth of an AST, computed without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


ParseFailure = SyntaxError | ValueError | RecursionError | MemoryError


def python_ast(code: str) -> ast.Module | ParseFailure:
    """CPython's AST of `code`, or the exception that parsing raised (returned, not raised).

    The one place that calls `ast.parse` on a candidate for `parse` and `check`: deep
    nesting raises RecursionError or MemoryError there, which must not end a run."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return exc


def parse(code: str, max_chars: int = MAX_SOURCE_CHARS) -> Parsed:
    """Parse `code` (at most `max_chars` long); never raises for any input string."""
    bad_line = _surrogate_line(code)
    if bad_line is not None:
        return _failed(code, "invalid UTF-8: undecodable byte in source", bad_line)
    if len(code) > max_chars:
        msg = f"too large to analyse ({len(code)} > {max_chars} characters)"
        return _failed(code, msg, 1, limit=True)
    tree = python_ast(code)
    if isinstance(tree, SyntaxError):  # includes IndentationError, too many parentheses
        return _failed(code, f"{type(tree).__name__}: {tree.msg}", tree.lineno)
    if isinstance(tree, RecursionError | MemoryError):
        return _failed(code, "too deeply nested to parse", None)
    if isinstance(tree, ValueError):  # e.g. null bytes
        return _failed(code, f"ValueError: {tree}", None)
    depth = ast_depth(tree)
    if depth > MAX_DEPTH:
        msg = f"too deeply nested to analyse (depth {depth} > {MAX_DEPTH})"
        return _failed(code, msg, 1, limit=True)
    try:
        with deep_recursion():
            module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        first = str(exc.message).splitlines()[0] if exc.message else "syntax error"
        return _failed(code, f"libcst: {first}", exc.raw_line)
    except (RecursionError, MemoryError):
        return _failed(code, "too deeply nested to analyse", 1, limit=True)
    except Exception as exc:  # libcst's native parser can raise odd types; stay data
        return _failed(code, f"libcst: {type(exc).__name__}: {exc}", None)
    return Parsed(code=code, module=module, error=None, error_line=None, tree=tree)
