"""Extract the entry point and what it needs from a raw completion, without running it.

Raw completions carry junk after (and sometimes around) the function: truncated asserts,
`if __name__ == "__main__":` blocks, prints, doctest runners, test calls, whole unrelated
programs. `sanitize` keeps:

- every import, except unused stdlib imports after the entry point (`import doctest`):
  an import that may fail is part of the program's behaviour, and EvalPlus keeps them all;
- the entry point and the top-level functions, classes, constants and other statements
  it (transitively) references by a free name;
- a module docstring.

Everything else at top level is dropped and recorded in `Sanitized.removed`. Kept statements
keep their original text (comments and formatting inside them survive), so style features
still see the candidate as written. Code that does not parse is cut back line by line to the
longest prefix that does (still defining the entry point when the original did); if nothing
parses, the original comes back with `parsed=False`.

Only the stdlib `ast` is used: it is several times faster than libcst and ~50k candidates
must sanitize in seconds.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Sanitized", "sanitize"]


@dataclass(frozen=True)
class Sanitized:
    """The sanitized program, what was removed (``"line N: what"``), and whether it parses."""

    code: str
    removed: tuple[str, ...]
    parsed: bool


# Each truncation step re-parses a prefix; bound the work on huge unparsable inputs.
_MAX_TRUNCATIONS = 256
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
# Compound statements kept in keep-all mode when they bind a name (try/except imports, ...).
_BINDING_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith, ast.Match)
_DOCTEST_RUNNERS = frozenset({"testmod", "run_docstring_examples"})
_KIND_WORDS: dict[type[ast.stmt], str] = {
    ast.For: "for loop",
    ast.AsyncFor: "async for loop",
    ast.While: "while loop",
    ast.If: "if block",
    ast.Try: "try block",
    ast.TryStar: "try block",
    ast.With: "with block",
    ast.AsyncWith: "async with block",
    ast.Match: "match block",
    ast.Raise: "raise statement",
    ast.Delete: "del statement",
    ast.Pass: "pass statement",
    ast.Global: "global statement",
    ast.Nonlocal: "nonlocal statement",
    ast.Return: "return statement",
    ast.Break: "break statement",
    ast.Continue: "continue statement",
}


def sanitize(code: str, entry_point: str | None) -> Sanitized:
    """Keep `entry_point` and what it needs from `code`; drop and record the rest.

    With `entry_point` None or not defined in `code`, keep every import, definition and
    assignment and drop only junk statements (expressions, asserts, loops, main guards).
    """
    tree, source, removed = _parse_or_truncate(code, entry_point)
    if tree is None:
        return Sanitized(code=code, removed=(), parsed=False)
    stmts = tree.body
    keep, reasons = _select(stmts, entry_point)
    removed[:0] = [
        f"{_span(_first_line(s), s.end_lineno or s.lineno)}: {reasons[i]}"
        for i, s in enumerate(stmts)
        if not keep[i]
    ]
    if not removed:
        return Sanitized(code=code, removed=(), parsed=True)
    out = source if all(keep) else _render(source, stmts, keep)
    return Sanitized(code=out, removed=tuple(removed), parsed=_parses(out))


# --- parsing with truncation fallback ------------------------------------------------------


def _parse(code: str) -> tuple[ast.Module | None, int | None]:
    """The module, or None and the (1-based) line the error points at."""
    try:
        # Invalid escapes etc. warn at compile time; under `-W error` they would raise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(code), None
    except SyntaxError as exc:
        if exc.lineno is None and "\x00" in code:  # 3.11 gives no line for null bytes
            return None, code.count("\n", 0, code.index("\x00")) + 1
        return None, exc.lineno
    except UnicodeEncodeError as exc:  # lone surrogates cannot be encoded for the parser
        return None, code.count("\n", 0, exc.start) + 1
    except (ValueError, MemoryError, RecursionError):
        return None, None


def _parses(code: str) -> bool:
    return _parse(code)[0] is not None


def _parse_or_truncate(
    code: str, entry_point: str | None
) -> tuple[ast.Module | None, str, list[str]]:
    """Parse `code`, or the longest line prefix that parses (and keeps the entry point)."""
    tree, err_line = _parse(code)
    if tree is not None:
        return tree, code, []
    lines = _split_lines(code)
    n = len(lines)
    # When the original defines the entry point, a prefix without it is no repair.
    floor = 0
    if entry_point:
        m = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(entry_point)}\b", code, re.M)
        if m is not None:
            floor = code.count("\n", 0, m.start()) + 1  # the def line must stay
    cut = n
    for _ in range(_MAX_TRUNCATIONS):
        # Cut above the line the parser blames (or drop one more line); cut strictly shrinks.
        cut = err_line - 1 if err_line is not None and err_line <= cut else cut - 1
        if cut < max(floor, 1):
            return None, code, []
        prefix = "".join(lines[:cut])
        tree, err_line = _parse(prefix)
        if tree is not None:
            if tree.body and _defines(tree, entry_point, floor > 0):
                return tree, prefix, [f"{_span(cut + 1, n)}: unparsable tail"]
            err_line = None
    return None, code, []


def _defines(tree: ast.Module, entry_point: str | None, required: bool) -> bool:
    if not required or entry_point is None:
        return True
    return any(
        isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == entry_point
        for s in tree.body
    )


def _split_lines(code: str) -> list[str]:
    """Lines with their endings, split exactly where the tokenizer counts lines."""
    out: list[str] = []
    pos = 0
    for m in _NEWLINE.finditer(code):
        out.append(code[pos : m.end()])
        pos = m.end()
    if pos < len(code):
        out.append(code[pos:])
    return out


# --- what to keep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    binds: frozenset[str]
    uses: frozenset[str]


def _select(stmts: Sequence[ast.stmt], entry_point: str | None) -> tuple[list[bool], list[str]]:
    """Per statement: keep it?, and if not, why (a short description)."""
    facts = [_facts(s) for s in stmts]
    binders: dict[str, list[int]] = {}
    redefined: set[int] = set()
    seen_defs: set[str] = set()
    reasons = [_junk_reason(s, i) for i, s in enumerate(stmts)]
    for i, (s, f) in enumerate(zip(stmts, facts, strict=True)):
        if reasons[i] is not None:
            continue  # junk binds nothing worth keeping (a main guard's `n = 5`, ...)
        if isinstance(s, _SCOPES):
            if s.name in seen_defs:
                redefined.add(i)
                continue
            seen_defs.add(s.name)
        for name in f.binds:
            binders.setdefault(name, []).append(i)

    if entry_point is None or entry_point not in binders:
        keep = [r is None for r in reasons]
        return keep, [r or "" for r in reasons]

    keep = [False] * len(stmts)
    entry_at = binders[entry_point][0]
    for i, s in enumerate(stmts):
        # An import that may fail is part of the program's behaviour (and EvalPlus keeps
        # every import); only an unused stdlib import after the entry point is junk.
        keep[i] = isinstance(s, _IMPORTS) and (i < entry_at or not _stdlib_only(s))
    if reasons[0] is None and _is_docstring(stmts[0]):
        keep[0] = True
    todo = [entry_point]
    reached = {entry_point}
    while todo:
        for i in binders.get(todo.pop(), ()):
            if keep[i]:
                continue
            keep[i] = True
            for name in facts[i].uses - reached:
                reached.add(name)
                todo.append(name)
    for i, s in enumerate(stmts):
        if not keep[i] and reasons[i] is None:
            reasons[i] = _unused_reason(s, i in redefined)
    return keep, [r or "" for r in reasons]


def _facts(stmt: ast.stmt) -> _Facts:
    """Names a top-level statement binds at module level, and free names it uses."""
    loads: set[str] = set()
    stores: set[str] = set()
    declared_global: set[str] = set()
    for node in ast.walk(stmt):
        t = type(node)
        if t is ast.Name:
            (loads if type(node.ctx) is ast.Load else stores).add(node.id)  # type: ignore[attr-defined]
        elif t is ast.arg:
            stores.add(node.arg)  # type: ignore[attr-defined]
        elif t in _SCOPES:
            stores.add(node.name)  # type: ignore[attr-defined]
        elif t in _IMPORTS:
            stores.update(_alias_names(node.names))  # type: ignore[attr-defined]
        elif t is ast.ExceptHandler or t is ast.MatchAs or t is ast.MatchStar:
            if node.name:  # type: ignore[attr-defined]
                stores.add(node.name)  # type: ignore[attr-defined]
        elif t is ast.MatchMapping:
            if node.rest:  # type: ignore[attr-defined]
                stores.add(node.rest)  # type: ignore[attr-defined]
        elif t is ast.Global:
            declared_global.update(node.names)  # type: ignore[attr-defined]
    if isinstance(stmt, _SCOPES):
        # Names bound anywhere inside are local (over-approximating nested scopes).
        uses = (loads - stores) | declared_global
        return _Facts(binds=frozenset({stmt.name}), uses=frozenset(uses))
    if isinstance(stmt, _IMPORTS):
        return _Facts(binds=frozenset(_alias_names(stmt.names)), uses=frozenset())
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        binds = {
            n.id
            for t in targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and type(n.ctx) is ast.Store
        }
        if isinstance(stmt, ast.AugAssign):
            loads |= binds
        return _Facts(binds=frozenset(binds), uses=frozenset(loads))
    return _Facts(binds=frozenset(stores), uses=frozenset(loads))


def _stdlib_only(stmt: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(stmt, ast.ImportFrom):
        modules = [stmt.module or ""] if stmt.level == 0 else [""]
    else:
        modules = [a.name for a in stmt.names]
    return all(m.partition(".")[0] in sys.stdlib_module_names for m in modules)


def _alias_names(aliases: Iterable[ast.alias]) -> set[str]:
    return {a.asname or a.name.split(".")[0] for a in aliases if a.name != "*"}


def _junk_reason(stmt: ast.stmt, index: int) -> str | None:
    """Why a statement is junk whatever the entry point, or None if it may be kept."""
    if isinstance(stmt, ast.Expr):
        if index == 0 and _is_docstring(stmt):
            return None
        return _expr_reason(stmt.value)
    if isinstance(stmt, ast.Assert):
        return "assert statement"
    if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
        return "`if __name__ == '__main__'` block"
    if isinstance(stmt, _SCOPES + _IMPORTS + _ASSIGNS):
        return None
    if isinstance(stmt, _BINDING_BLOCKS) and _facts(stmt).binds:
        return None
    return "top-level " + _KIND_WORDS.get(type(stmt), type(stmt).__name__.lower() + " statement")


def _expr_reason(value: ast.expr) -> str:
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Constant):
        return "stray string" if isinstance(value.value, str) else "stray constant"
    if not isinstance(value, ast.Call):
        return "stray expression"
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in _DOCTEST_RUNNERS:
        return "doctest runner"
    name = _dotted(func)
    if name == "print":
        return "print call"
    if name in _DOCTEST_RUNNERS:
        return "doctest runner"
    return f"top-level call to {name}" if name else "top-level call"


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a plain dotted name, else None (keeps descriptions short)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _unused_reason(stmt: ast.stmt, redefinition: bool) -> str:
    if isinstance(stmt, ast.ClassDef):
        return f"{'redefinition of' if redefinition else 'unused'} class {stmt.name}"
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"{'redefinition of' if redefinition else 'unused'} function {stmt.name}"
    if isinstance(stmt, _IMPORTS):
        names = sorted(a.asname or a.name for a in stmt.names)
        return "unused stdlib import after the entry point: " + ", ".join(names)
    if isinstance(stmt, _ASSIGNS):
        names = sorted(_facts(stmt).binds)
        return "unused assignment" + (" to " + ", ".join(names) if names else "")
    return "unused top-level " + _KIND_WORDS.get(type(stmt), "statement")


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.comparators) == 1):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


# --- rendering ------------------------------------------------------------------------------


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return decorators[0].lineno if decorators else stmt.lineno


def _span(first: int, last: int) -> str:
    return f"line {first}" if first >= last else f"lines {first}-{last}"


def _render(source: str, stmts: Sequence[ast.stmt], keep: Sequence[bool]) -> str:
    """The source with dropped statements cut out, keeping kept statements' original text.

    Text between two kept statements stays verbatim. Next to a dropped statement, only the
    blank lines and the comment block directly above the following kept statement stay.
    """
    lines = _split_lines(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
        if not line.isascii():  # ast columns count UTF-8 bytes
            col = len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))
        return starts[lineno - 1] + col

    spans = []
    for s in stmts:
        if getattr(s, "decorator_list", None):
            begin = starts[_first_line(s) - 1]
        else:
            begin = offset(s.lineno, s.col_offset)
        spans.append((begin, offset(s.end_lineno or s.lineno, s.end_col_offset or 0)))

    out: list[str] = []

    def emit(text: str) -> None:
        if text:
            out.append(text)

    def ensure_newline() -> None:
        if out and not out[-1].endswith(("\n", "\r")):
            out.append("\n")

    prev_kept = True  # the file start counts as kept, so a header stays verbatim
    prev_end = 0
    for i, ((begin, end), kept) in enumerate(zip(spans, keep, strict=True)):
        gap = source[prev_end:begin]
        m = _NEWLINE.search(gap) if i else None
        head, nl, body = (gap[: m.start()], m.group(), gap[m.end() :]) if m else ("", "", gap)
        if i and prev_kept:
            emit(head + nl)  # the rest of the kept statement's line (a trailing comment)
        if kept:
            if prev_kept:
                emit(body)
            else:
                ensure_newline()
                emit(_attached(body if nl else "", bool(out)))
            emit(source[begin:end])
        prev_kept, prev_end = kept, end
    if prev_kept:
        emit(source[prev_end:])
    else:
        ensure_newline()
    return "".join(out)


def _attached(body: str, after_code: bool) -> str:
    """From the text above a kept statement, its blank-line separation and comment block."""
    lines = _split_lines(body)
    indent = lines.pop() if lines and not _NEWLINE.search(lines[-1]) else ""
    comments: list[str] = []
    while lines and lines[-1].lstrip().startswith("#"):
        comments.insert(0, lines.pop())
    blanks: list[str] = []
    while lines and not lines[-1].strip():
        blanks.insert(0, lines.pop())
    return "".join((blanks if after_code else []) + comments) + indent
