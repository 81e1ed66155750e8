"""Extract the entry point and what it needs from a raw completion, without running it.

Raw completions carry junk after (and sometimes around) the function: truncated asserts,
`if __name__ == "__main__":` blocks, prints, doctest runners, test calls, whole unrelated
programs. `sanitize` keeps:

- every import, except unused stdlib imports after the entry point (`import doctest`):
  an import that may fail is part of the program's behaviour, and EvalPlus keeps them all;
- the entry point and the top-level functions, classes, constants and other statements
  it (transitively) references by a free name;
- the statements that change an object it so references (`x[k] = v`, `x.a = v`,
  `x[k] += 1`, `x.append(v)`, a loop filling a table) or the interpreter
  (`sys.setrecursionlimit(n)`): they are part of the program as written, though EvalPlus's
  sanitizer (imports, definitions and assignments to plain names only) drops them;
- every other statement that `auditor.inert` cannot prove inert, or that rebinds a name the
  kept program reads: what looks like junk may change the program (`builtins.sum = ...`, a
  decorator of an unused function, `exec(...)`; red team s18, B1);
- a module docstring.

Everything else at top level (prints, asserts, test calls, main guards: junk that provably
changes nothing) is dropped and recorded in `Sanitized.removed`. Kept statements
keep their original text (comments and formatting inside them survive), so style features
still see the candidate as written. Code that does not parse is cut back line by line to the
longest prefix that does (still defining the entry point when the original did); if nothing
parses, the original comes back with `parsed=False`.

Chat-style answers (Markdown and prose around the code) go through `auditor.markdown`: the
block that defines the entry point is kept (the last one, if several do: answers put drafts
and "first versions" before the final one; a block tagged as another language or a REPL
session only when no Python block does; with no entry point, the one with the most
definitions), plus the imports and helpers it needs from the other blocks (the last block
binding each name, as Python runs the answer's blocks in order); the rest of the answer is
recorded as removed. Code in `<think>` reasoning counts only when the answer has
no program outside it. Input that parses as Python, or has no code fence and already yields
the entry point, never takes that path, so plain code comes out byte for byte as before;
but an answer that parses and whose Markdown shows the entry point defined elsewhere than
where Python defines it (a fence in a module-level string, red team s19, C4; an indented
block that bare code takes in as a body, such as a method, red team s21) is refused as
ambiguous: no program, and a reason (`_two_programs`). So is bare code, cut before prose or
read among blocks, whose lines show such a block.
`Sanitized.line_map` maps each line of the program back to the raw text, and
`Sanitized.extracted` says which blocks it came from.

A `completion` is sanitized after its task's prompt (`sanitize_completion`): a body continues
the prompt, but a chat answer restates the function, and joined to the prompt it would leave
only the prompt's stub; such an answer is read on its own, and a body it gives in a fence is
read after the prompt.

Only the stdlib `ast` is used for Python: it is several times faster than libcst and ~50k
candidates must sanitize in seconds.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import copy
import functools
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.inert import Inertness, free_loads, free_stores, is_main_guard
from auditor.io import NEWLINE, source_lines
from auditor.markdown import (
    CodeBlock,
    code_blocks,
    has_fence,
    has_reasoning,
    is_code_start,
    looks_like_code,
)
from auditor.types import LineMap

__all__ = ["CodeBlock", "LineMap", "Sanitized", "sanitize", "sanitize_completion"]


@dataclass(frozen=True)
class Sanitized:
    """The sanitized program, what was removed (``"line N: what"``), and whether it parses.

    Line numbers in `removed` are raw-text lines. `line_map` maps program lines to raw
    lines; `extracted` lists the Markdown/prose blocks the program came from (main block
    first; empty for plain code); `reason` says why there is no program when `parsed` is
    False (e.g. "no code in the answer").
    """

    code: str
    removed: tuple[str, ...]
    parsed: bool
    line_map: LineMap = field(default_factory=LineMap)
    extracted: tuple[CodeBlock, ...] = ()
    reason: str | None = None

    def raw_line(self, line: int) -> int:
        """The raw-text line of program line `line` (see LineMap.raw_line)."""
        return self.line_map.raw_line(line)


# Each truncation step re-parses a prefix; bound the work on huge unparsable inputs.
_MAX_TRUNCATIONS = 256
# Each piece of bare code re-parses the rest of its run: bound them too (code and prose
# alternating thousands of times is no chat answer).
_MAX_PIECES = 32
# A `removed` item as `_describe` writes it ("line 3: what", "lines 3-5: what").
_SPAN_TEXT = re.compile(r"lines? (?P<first>\d+)(?:-(?P<last>\d+))?: (?P<what>.*)", re.S)
_NO_CODE = "no code in the answer"
# A REPL prompt: `>>> ` or `... ` (or the bare marker on an otherwise empty line).
_PROMPT = re.compile(r"(?:>>>|\.\.\.)(?: |(?=\s*$))")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
# Compound statements kept in keep-all mode when they bind a name (try/except imports, ...).
_BINDING_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith, ast.Match)
_DOCTEST_RUNNERS = frozenset({"testmod", "run_docstring_examples"})
_MAIN_GUARD = "`if __name__ == '__main__'` block"
_LOCAL_SCOPES = (*_SCOPES, ast.Lambda)
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


_Removal = tuple[int, int, str]  # first line, last line, what


@dataclass(frozen=True)
class _Core:
    """A sanitized piece of code with lines relative to its source (1-based)."""

    code: str
    removals: tuple[_Removal, ...]
    parsed: bool
    rows: Sequence[int]  # source line of each output line
    whole: bool = False  # the whole source parsed
    kept: tuple[ast.stmt, ...] = ()  # the kept top-level statements (to judge the result)


def sanitize(code: str, entry_point: str | None) -> Sanitized:
    """Keep `entry_point` and what it needs from `code`; drop and record the rest.

    With `entry_point` None or not defined in `code`, keep every import, definition and
    assignment and drop only junk statements (expressions, asserts, loops, main guards).
    A chat-style answer (code in Markdown or after prose) gets its code extracted first.
    """
    tree, source, trunc = _parse_or_truncate(code, entry_point)
    plain = _core(tree, code, source, trunc, entry_point)
    fenced = has_fence(code)
    if plain.whole or (not fenced and _good(plain, entry_point)):
        lines = None if plain.whole else (1, len(source_lines(code, keepends=True)))
        why = _two_programs(code, plain.kept, entry_point, lines)
        return _finish(plain, code) if why is None else _refused(why)
    found = _from_blocks(code, entry_point)
    if found is not None:
        result, good = found
        plain_good = _good(plain, entry_point)
        # Bare code that reads as the plain program (code, then a stray fence) keeps the
        # plain record, so such raw completions come out exactly as before.
        same = (
            plain_good
            and result.code == plain.code
            and bool(result.extracted)  # not a refusal
            and result.extracted[0].kind == "bare"
        )
        if (good and not same) or (fenced and not plain_good):
            return result
    return _finish(plain, code)


def _refused(reason: str) -> Sanitized:
    """No program, and why: code that neither reading of the answer would run."""
    return Sanitized("", (), False, reason=reason)


def _two_programs(
    code: str,
    kept: Sequence[ast.stmt],
    entry_point: str | None,
    lines: tuple[int, int] | None = None,
) -> str | None:
    """Why `code` is two answers in one; None if it is not.

    `kept` are the top-level statements of the program judged: of the whole text, which
    parses as Python (`lines` None), or of bare code on raw lines `lines` (first, last),
    cut where it stops parsing (line 1 of `kept` is raw line `first`). That program defines
    the entry point (with None: its last top-level function, which `check` scores) at some
    line. Rendered as Markdown (a chat UI, an extractor of the answer's code block), the
    answer may show a code block (fenced or indented, any tag, a REPL session) defining it
    elsewhere: inside a string, which Python never runs; outside the statement that binds
    it last (code nested in an `if` that a later `def` replaces); after the cut, below a
    line of prose ("Final answer:"); or as a method or a nested function (`class f:`, a
    blank line, an indented `def f`), an indented block that bare code takes in as a body
    but a renderer shows as code on its own. Judging either reading would pass a program
    that the other reader does not see (red team s19, C4; s21, C7; s22), so the answer is
    refused. A block inside the binding statement's own code is the same program only
    when it shows the one place there that binds the name other than by an import (a
    fallback `def` in `try`/`except ImportError`): a block showing one branch of an
    `if`/`else` or a `try` whose other branch defines the name too is not what Python runs
    (red team s21). A block showing the very definition judged (the same `def`, docstrings
    and dead code aside; nothing else touching it, no helper shown otherwise) is the same
    program wherever it stands (`_same_program`). Only text with a second line that may
    bind the name is read as Markdown: parsing all plain code with markdown-it would cost
    more than sanitizing it.
    """
    name = entry_point or next(
        (s.name for s in reversed(kept) if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)),
        None,
    )
    if name is None or code.count(name) < 2:
        return None
    binder = _last_binder(kept, name)
    first, last = lines or (1, None)
    if binder is None or not _binds_elsewhere(code, name, first + binder.lineno - 1):
        return None
    sites = {first + s.lineno - 1: isinstance(s, _IMPORTS) for s in _sites(binder, name)}
    judged = _Judged(name, binder, first, last, sites, _string_lines(kept, first))
    blocks = _shown_blocks(code, name)
    same_program = functools.cache(lambda: _same_program(blocks, kept, name))  # once needed
    for p in blocks:
        shows = judged.shown_by(p)
        if shows is None:
            continue
        shown = p.block.first_line + shows.lineno - 1  # a block's line i is raw line first_line + i
        if judged.binds_at(shown) or same_program() or not judged.apart(p, shows):
            continue
        how = "run as Python it defines" if lines is None else "its code defines"
        return (
            f"ambiguous answer: {how} `{name}` on line {judged.bound}, but a code block it "
            f"shows as Markdown defines `{name}` on line {shown}"
        )
    return None


@dataclass(frozen=True)
class _Judged:
    """The program `_two_programs` judges: the statement binding `name` last (`binder`),
    its raw lines `first` to `last` (None: to the end), the raw lines of the statements
    in `binder` that bind `name` (`sites`: True for an import), and its string literals'
    raw line ranges (`strings`)."""

    name: str
    binder: ast.stmt
    first: int
    last: int | None
    sites: Mapping[int, bool]
    strings: Sequence[tuple[int, int]]

    @property
    def bound(self) -> int:
        """The raw line of `binder`."""
        return self.first + self.binder.lineno - 1

    def shown_by(self, p: _Block) -> ast.stmt | None:
        """The statement of block `p`, shown within the program's lines, binding the
        name last (by a definition or assignment, or renaming it); None if none does."""
        block = p.block
        inside = self.first <= block.first_line and (
            self.last is None or block.last_line <= self.last
        )
        shows = _last_binder(p.tree.body, self.name) if inside else None
        if shows is None or (self.name not in p.defines and not _renamed(p.tree.body, self.name)):
            return None
        return shows

    def binds_at(self, shown: int) -> bool:
        """Is raw line `shown` the one place in `binder` that binds the name other than by
        an import (a fallback `def` in `try`/`except ImportError`), and not inside a
        string literal (unless it is the binder's own line)?"""
        sites = self.sites
        same = shown in sites and all(imported for at, imported in sites.items() if at != shown)
        return same and not (shown != self.bound and any(a <= shown <= z for a, z in self.strings))

    def apart(self, p: _Block, shows: ast.stmt) -> bool:
        """Is block `p`, showing the name bound by `shows`, a program a renderer shows on
        its own: not an indented block bare code takes in as the body that runs there
        (a method, a nested function)?"""
        if p.block.kind != "indented" or _a_program(p.tree) or _a_definition(shows, self.name):
            return True
        lines = [p.block.first_line - self.first + s.lineno for s in _sites(shows, self.name)]
        return not _runs_in(self.binder, lines)


def _shown_blocks(code: str, name: str) -> list[_Block]:
    """The code blocks a renderer shows in `code`, parsed as a reader reads them: without
    the indentation a block opens with (in a fence, or past an indented block's four
    spaces), and past a line that does not parse (`$ cat solution.py`, a line of prose,
    a docstring's `Example:`), as bare code is read. As they stand such blocks do not
    parse, and an answer showing only a wrong `def` in one was judged on the hidden right
    one (red team s22, C11 and O2). A function shown as its docstring's example is the
    same program (`_same_program`). The lines stay where they were."""
    parsed: list[_Block] = []
    for b in code_blocks(code, bare=False):
        b = replace(b, code=_dedented(b.code))
        if b.kind == "bare" or _is_transcript(b.code) or _parses(b.code):
            parsed += _parsed_blocks([b], name)
            continue
        for p in _parsed_blocks([replace(b, kind="bare")], name):
            parsed.append(replace(p, block=replace(p.block, kind=b.kind)))
    return parsed


def _same_program(shown: Sequence[_Block], kept: Sequence[ast.stmt], name: str) -> bool:
    """Do the blocks a renderer shows (`shown`) show `name` as the judged program (`kept`)
    runs it? The program defines it by a `def` or `class` that nothing else in it reads or
    rebinds, and every statement of a block binding a name the program binds is the
    program's own (the same syntax tree, but for layout, docstrings and dead code). Then a
    block showing that `def` shows the program judged, wherever it stands: a function as
    its own docstring's example, a dead copy of it after its `return` (s23). A patch after
    it (`f.__code__ = ...`) or a helper shown otherwise (`def g`, in the same block or
    another) makes the same `def` another program."""
    runs = _last_binder(kept, name)
    if not isinstance(runs, _SCOPES) or any(
        name in _facts(s).uses | _facts(s).binds for s in kept if s is not runs
    ):
        return False
    judged = {n: s for s in kept for n in _facts(s).binds}
    text = functools.cache(_layout_free)
    return all(
        text(s) == text(judged[n])
        for p in shown
        for s in p.tree.body
        for n in _facts(s).binds
        if n in judged
    )


def _layout_free(stmt: ast.stmt) -> str:
    """`stmt` as its syntax tree, without positions, docstrings and dead code (what follows
    a `return`, `raise`, `break` or `continue` in its body, such as that dead copy)."""
    stmt = copy.deepcopy(stmt)
    for node in ast.walk(stmt):
        for part, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                end = next((i for i, s in enumerate(value) if isinstance(s, _ENDS)), len(value))
                setattr(node, part, value[: end + 1])
        body = getattr(node, "body", None)
        if isinstance(node, _SCOPES) and body and _is_docstring(body[0]):
            node.body = body[1:]
    return ast.dump(stmt)


def _dedented(code: str) -> str:
    lines = source_lines(code, keepends=True)
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return code
    return "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def _string_lines(stmts: Sequence[ast.stmt], first: int) -> list[tuple[int, int]]:
    """The raw lines (first, last) of each string in `stmts`, whose line 1 is raw `first`."""
    return [
        (first + n.lineno - 1, first + (n.end_lineno or n.lineno) - 1)
        for s in stmts
        for n in ast.walk(s)
        if isinstance(n, ast.JoinedStr)
        or (isinstance(n, ast.Constant) and isinstance(n.value, str | bytes))
    ]


def _a_program(tree: ast.Module) -> bool:
    """Does Python run `tree` as a module? Lines of a function's body after a blank line
    are an indented block too, often binding a local of the function's name (`longest =
    strings[0]`), and with a `return` at their top they are no program a reader could
    take for the answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, "<block>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# Statements after which the rest of their body never runs.
_ENDS = (ast.Return, ast.Raise, ast.Break, ast.Continue)


def _runs_in(binder: ast.stmt, lines: Sequence[int]) -> bool:
    """Are the statements on `lines` (lines of `binder`'s numbering) code that the function
    `binder` runs, not after a `return`, `raise`, `break` or `continue` of their own body or
    an enclosing one? A body fragment binding a local of the function's name (`longest =
    strings[0]`) is the function's own code; the same shape after the `return` is dead
    code showing another value (`add = operator.sub`; red team s22, O1). Dead as Python's
    compiler sees it, not as the values may make it (`if x == x: return ...`)."""
    if not isinstance(binder, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return all(_live(binder.body, line) for line in lines)


def _live(body: Sequence[ast.stmt], line: int) -> bool:
    """Is a statement starting on `line` in `body` (or nested in one of its statements)
    reached?"""
    for stmt in body:
        if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            if stmt.lineno == line:
                return True
            return any(_live(inner, line) for inner in _bodies(stmt))
        if isinstance(stmt, _ENDS):
            return False
    return False


def _bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in `stmt` (bodies, `else`, handlers, cases)."""
    for _, value in ast.iter_fields(stmt):
        if not isinstance(value, list) or not value:
            continue
        if isinstance(value[0], ast.stmt):
            yield value
        elif isinstance(value[0], ast.ExceptHandler | ast.match_case):
            yield from (part.body for part in value)


def _renamed(stmts: Sequence[ast.stmt], name: str) -> bool:
    """Does one of `stmts` import something of another name as `name` (`from operator
    import sub as add`)? A block showing that defines the name as much as a `def` does
    (red team s22); one importing `name` itself (`from solution import add`, a usage
    example) shows no other program."""
    return any(
        alias.asname == name and alias.name.rpartition(".")[2] != name
        for s in stmts
        if isinstance(s, _IMPORTS)
        for alias in s.names
    )


def _a_definition(stmt: ast.stmt, name: str) -> bool:
    """Does `stmt` show `name` defined as a function or class (a `def`, a `class`, a
    lambda, another name imported as it: `_renamed`), what a reader takes for the answer
    whether or not its block runs alone? A stray `return add` after the shown `def add`
    made the block no program, and the answer passed on the hidden one (red team s22);
    the honest block that runs not alone binds a local of the function's name (`longest =
    strings[0]`)."""
    return any(
        isinstance(site, _SCOPES)
        or (isinstance(site, ast.Assign | ast.AnnAssign) and isinstance(site.value, ast.Lambda))
        or _renamed([site], name)
        for site in _sites(stmt, name)
    )


def _last_binder(stmts: Sequence[ast.stmt], name: str) -> ast.stmt | None:
    """The last of `stmts` binding `name` (its `lineno` is a `def` line, not its
    decorators), or None."""
    return next((s for s in reversed(stmts) if name in _facts(s).binds), None)


# Statements whose bodies hold statements that run as part of them (not a def's or a class's).
_COMPOUND = (
    ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar,
    ast.Match,
)  # fmt: skip


def _sites(stmt: ast.stmt, name: str) -> list[ast.stmt]:
    """The statements that may bind `name` when `stmt` runs: `stmt` itself, or for a
    compound statement (`if`, `try`, `with`, a loop, `match`) those in its bodies, not in a
    `def` or `class` (whose nested `def` of the name is a local or a method), and the
    statement itself when its header binds it (a loop target, an `as` name, a walrus)."""
    if not isinstance(stmt, _COMPOUND):
        return [stmt] if name in _facts(stmt).binds else []
    sites: list[ast.stmt] = []
    todo: list[ast.AST] = [stmt]
    while todo:
        for child in ast.iter_child_nodes(todo.pop()):
            if isinstance(child, ast.stmt):
                sites += _sites(child, name)
                continue
            if _stores(child) == name and stmt not in sites:
                sites.append(stmt)
            todo.append(child)
    return sites


def _stores(node: ast.AST) -> str | None:
    """The name a node of a statement's header binds, if any."""
    if isinstance(node, ast.Name):
        return node.id if isinstance(node.ctx, ast.Store) else None
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        return node.name
    return node.rest if isinstance(node, ast.MatchMapping) else None


def _binds_elsewhere(code: str, name: str, line: int) -> bool:
    """Does a line of `code` that mentions `name`, other than `line` (where Python binds
    it), look as if it binds it (`_binding`)? Only those lines are matched: the pattern run
    over all of a text cost as much as a twentieth of sanitizing it. A line is read with the
    lines a backslash joins to it (`def \\` then `f(x):` is one `def`) or, when it may be part
    of a target list, the lines brackets join to it (`_target_end`), and a lone carriage
    return ends a line, as for Python and CommonMark. (Red team s21: Python's own binding
    was also matched, and a `def \\`, a tuple target over two lines or lone carriage returns
    hid it, so an answer showing another definition was never read as Markdown.)"""
    if "\r" in code:
        code = code.replace("\r\n", "\n").replace("\r", "\n")
    pattern = _binding(name)
    start = 0
    while (at := code.find(name, start)) >= 0:
        begin = code.rfind("\n", 0, at) + 1
        end = code.find("\n", at)
        end = len(code) if end < 0 else end
        while begin > 1 and code[begin - 2] == "\\":  # a continued line: from its start
            begin = code.rfind("\n", 0, begin - 1) + 1
        while end < len(code) and code[end - 1 : end] == "\\":  # continued: to its end
            more = code.find("\n", end + 1)
            end = len(code) if more < 0 else more
        first = code.count("\n", 0, begin) + 1
        python = first <= line <= first + code.count("\n", begin, end)
        whole = _target_end(code, begin, at, at + len(name), end)
        text = code[begin:end] if whole == end else _joined(code[begin:whole])
        if not python and _may_bind(text, at - begin, name, pattern):
            return True
        start = end + 1
    return False


# The rest of a line after a name in a target list that may go on over lines (`(f,` then
# `_) = ...`): names, commas, brackets, dots, stars; not a call.
_TARGET_LINE = re.compile(r"[\w \t,()\[\].*]*")
_TARGET_REST = re.compile(r"(?![ \t]*\()" + _TARGET_LINE.pattern)
_MAX_TARGET_LINES = 16
_WORD = re.compile(r"\w")


def _target_end(code: str, begin: int, at: int, after: int, end: int) -> int:
    """Where a target list that the name on `at`..`after` (a whole word, on the line
    `begin`..`end`) may be in ends: `end`, or the end of the lines it takes. Brackets join
    lines for Python: `(f,` then `_) = (g, 0)` binds `f` on a line with no `=` (red team
    s21). A line may be such a part when the rest after the name holds only what a target
    does, and the line leaves a bracket open (or closes one it did not open), ends with a
    comma, or holds only what a target does before the name too (`(` then ` a, f` then
    `) = ...`); the target list goes on over lines like it, and one
    more (which holds the `=` or the `in`). Loose, as `_binding` is: a line too many only
    costs a Markdown parse."""
    rest = code[after:end]
    word = (at == 0 or _WORD.match(code, at - 1) is None) and _WORD.match(code, after) is None
    if not word or _TARGET_REST.fullmatch(rest) is None:  # `f` in `from`; not a target
        return end
    line = code[begin:end]
    unbalanced = sum(map(line.count, "([{")) != sum(map(line.count, ")]}"))
    head = _TARGET_LINE.fullmatch(code, begin, at) is not None
    if not (unbalanced or head or rest.rstrip().endswith(",")):
        return end
    for _ in range(_MAX_TARGET_LINES):
        if end >= len(code):
            break
        nxt = code.find("\n", end + 1)
        nxt = len(code) if nxt < 0 else nxt
        more = _TARGET_LINE.fullmatch(code, end + 1, nxt) is not None
        end = nxt
        if not more:
            break
    return end


def _joined(lines: str) -> str:
    """Physical lines as one logical line, each character where it was."""
    return lines.replace("\\\n", "  ").replace("\n", " ")


def _may_bind(line: str, at: int, name: str, pattern: re.Pattern[str]) -> bool:
    """Whether `line` (a logical line, mentioning `name` first at `at`) may bind `name`."""
    if "\\\n" in line:  # the backslashes' lines one by one, and joined
        joined = line.replace("\\\n", " ")
        return any(_may_bind(part, part.find(name), name, pattern) for part in line.split("\n")
                   if name in part) or _may_bind(joined, joined.find(name), name, pattern)  # fmt: skip
    after = line[at + len(name) :].lstrip()
    if after.startswith("("):  # a call (most mentions), or a `def f(`, `class f(`
        return line[:at].split()[-1:] in (["def"], ["class"])
    return pattern.search(line) is not None


@functools.lru_cache(maxsize=1024)  # entry points; any function's name with None
def _binding(name: str) -> re.Pattern[str]:
    """Lines that may bind `name` as Python, also in a Markdown quote, list or REPL session:
    a `def`/`class`, an assignment (augmented, annotated, to a tuple), a `for` target, an
    `as` name, a walrus, an import, a `case` capture. Loose on purpose: a false match only costs a Markdown parse."""
    n = re.escape(name)
    pre = r"^[ \t>*+\-\d.)]*(?:(?:>>>|\.\.\.)[ \t]*)?"
    eq = r"(?<![=!<>])=(?!=)"
    return re.compile(
        rf"{pre}(?:(?:async[ \t]+)?def|class)[ \t]+{n}\b|{pre}for\b[^\n]*?\b{n}\b[^\n]*?\bin\b"
        rf"|\b{n}[ \t]*(?:(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|[,)\]][^=\n]*?{eq}|:[^=\n]*?{eq})"
        rf"|\bas[ \t]+{n}\b|\b{n}[ \t]*:=|\b(?:import|case)\b[^\n#]*\b{n}\b",
        re.M,
    )


def sanitize_completion(prompt: str, completion: str, entry_point: str | None) -> Sanitized:
    """Sanitize `prompt + completion`; lines refer to that text.

    A body continues the prompt, so the two are sanitized together, as EvalPlus joins them.
    A chat answer restates the whole function (after prose, or not): joined, the text may
    parse only up to the prompt's stub, and the stub would pass for the program. When nothing of the completion survives that way,
    the answer is read alone: its program if it defines the entry point, its reason if it
    holds no code. An answer that is a body in a fence (no `def`) is the prompt plus that
    body; one whose code defines no entry point (a renamed function) and that does not join
    the prompt into a program is no program, and says so. Otherwise the joined result stands.
    """
    joined = prompt + completion
    result = sanitize(joined, entry_point)
    if not prompt or not _only_prompt_kept(result, prompt, completion):
        return result
    alone = sanitize(completion, entry_point)
    if alone.reason == _NO_CODE and not _parses(joined):
        return _no_program(joined, _NO_CODE)
    tree = _parse(alone.code)[0] if alone.parsed else None
    if tree is None or entry_point not in _top_binds(tree.body):
        body = _fenced_body(prompt, completion, entry_point)
        if body is None and tree is not None and not _parses(joined):
            # Code, but not the function asked for (renamed): the prompt's stub is no answer.
            return _no_program(joined, f"no code to keep; the answer defines no `{entry_point}`")
        return body or result
    return _after_prompt(alone, len(NEWLINE.findall(prompt)))


def _no_program(joined: str, reason: str) -> Sanitized:
    """Nothing invented: the raw text, and why it is no program."""
    return Sanitized(joined, (), False, LineMap.from_rows(_identity(joined)), reason=reason)


def _only_prompt_kept(result: Sanitized, prompt: str, completion: str) -> bool:
    """Does the program of the joined text keep lines of the prompt only (and the
    completion is not blank)? Also when it was extracted as bare code (a prompt that
    starts with blank lines, joined to a fenced answer)."""
    if not result.parsed or not completion.strip() or not result.line_map.runs:
        return False
    # A prompt not ending in a newline shares its last line with the completion. Blank
    # lines do not count: `<think>` reasoning, cut out, leaves its line breaks.
    lines = source_lines(result.code)
    last = next((n for n in range(len(lines), 0, -1) if lines[n - 1].strip()), 0)
    return result.raw_line(last) <= len(NEWLINE.findall(prompt)) if last else True


def _last_raw_line(result: Sanitized) -> int:
    return max((raw + n - 1 for _, raw, n in result.line_map.runs), default=0)


def _after_prompt(alone: Sanitized, lines: int) -> Sanitized:
    """`alone`, the sanitized completion, with its lines moved past the prompt's `lines`."""
    prompt = (f"{_span(1, lines)}: the prompt (the answer restates the function)",) * (lines > 0)
    moved = _relined(alone, lambda n: n + lines)
    return replace(moved, removed=prompt + moved.removed)


def _fenced_body(prompt: str, completion: str, entry_point: str | None) -> Sanitized | None:
    """The prompt plus a body the answer gives in a Markdown block (the last one that
    continues the prompt), as EvalPlus would run the body as a completion; None if none.

    Joined as they stand, the fence line ends the prompt's function and the body is cut
    as an unparsable tail, leaving the stub, which returns None.
    """
    if not prompt.endswith(("\n", "\r")):
        return None
    lines = len(NEWLINE.findall(prompt))
    for block in reversed(code_blocks(completion)):
        if block.kind == "bare" or not block.code[:1].isspace():
            continue  # bare code continues the prompt already; a body is indented
        body = sanitize(prompt + block.code, entry_point)
        if body.parsed and not body.extracted and _last_raw_line(body) > lines:
            return _body_after_prompt(body, completion, block, lines)
    return None


def _body_after_prompt(body: Sanitized, completion: str, block: CodeBlock, lines: int) -> Sanitized:
    """`body`, the sanitized prompt + `block`, with lines of `prompt + completion`."""
    shift = block.first_line - 1
    moved = _relined(body, lambda n: n if n <= lines else n + shift)
    text = tuple(
        f"{_span(a + lines, z + lines)}: text outside the code"
        for a, z in _text_runs(completion, [block])
    )
    at = replace(block, first_line=block.first_line + lines, last_line=block.last_line + lines)
    return replace(moved, removed=moved.removed + text, extracted=(at,))


def _relined(result: Sanitized, raw: Callable[[int], int]) -> Sanitized:
    """`result` with each raw line n moved to raw(n): in `removed`, the map and the blocks."""

    def moved(item: str) -> str:
        m = _SPAN_TEXT.match(item)
        if m is None:  # not written by _describe
            return item
        first, last = raw(int(m["first"])), raw(int(m["last"] or m["first"]))
        return f"{_span(first, last)}: {m['what']}"

    rows = [raw(result.raw_line(i)) for i in range(1, result.line_map.lines + 1)]
    return replace(
        result,
        removed=tuple(moved(r) for r in result.removed),
        line_map=LineMap.from_rows(rows),
        extracted=tuple(
            replace(b, first_line=raw(b.first_line), last_line=raw(b.last_line))
            for b in result.extracted
        ),
    )


def _core(
    tree: ast.Module | None,
    code: str,
    source: str,
    trunc: list[_Removal],
    entry_point: str | None,
) -> _Core:
    """Select and render the statements of a parsed (maybe truncated) `source` of `code`."""
    if tree is None:
        return _Core(code, (), False, _identity(code))
    stmts = tree.body
    keep, reasons = _select(stmts, entry_point)
    removals = [
        (_first_line(s), s.end_lineno or s.lineno, reasons[i])
        for i, s in enumerate(stmts)
        if not keep[i]
    ] + trunc
    if not removals:
        return _Core(code, (), True, _identity(code), whole=True, kept=tuple(stmts))
    kept = tuple(s for s, k in zip(stmts, keep, strict=True) if k)
    if all(keep):
        return _Core(source, tuple(removals), True, _identity(source), not trunc, kept)
    out, rows = _render(source, stmts, keep)
    return _Core(out, tuple(removals), _parses(out), rows, not trunc, kept)


def _finish(core: _Core, code: str) -> Sanitized:
    """The Sanitized result of plain code (lines are already raw lines)."""
    return Sanitized(
        code=core.code,
        removed=tuple(_describe(r) for r in core.removals),
        parsed=core.parsed,
        line_map=LineMap.from_rows(core.rows),
        reason=_unparsable_reason(code) if not core.parsed or not code.strip() else None,
    )


def _describe(removal: _Removal) -> str:
    first, last, what = removal
    return f"{_span(first, last)}: {what}"


def _identity(code: str) -> range:
    """Lines 1..n of `code`, counted as `source_lines` counts them."""
    if "\r" in code:
        return range(1, len(source_lines(code, keepends=True)) + 1)
    return range(1, code.count("\n") + (bool(code) and not code.endswith("\n")) + 1)


def _good(core: _Core, entry_point: str | None) -> bool:
    """Does the result hold a program worth keeping (the entry point, or some definition)?"""
    if not core.parsed:
        return False
    if entry_point is None:
        return any(isinstance(s, _SCOPES) for s in core.kept)
    return entry_point in _top_binds(core.kept)


def _top_binds(stmts: Sequence[ast.stmt]) -> set[str]:
    return {n for i, s in enumerate(stmts) if _junk_reason(s, i) is None for n in _facts(s).binds}


def _unparsable_reason(code: str) -> str:
    if not code.strip():
        return "empty answer"
    if has_fence(code):
        return "no code block parses as Python"
    if not any(looks_like_code(line) for line in source_lines(code, keepends=True)):
        return _NO_CODE
    _, err_line = _parse(code)
    return "does not parse as Python" + (f" (line {err_line})" if err_line else "")


# --- chat-style answers: code in Markdown blocks or after prose -----------------------------


@dataclass(frozen=True)
class _Block:
    """A code block that parses (maybe after cutting its tail)."""

    block: CodeBlock
    tree: ast.Module
    source: str
    trunc: list[_Removal]
    binds: frozenset[str]
    defines: frozenset[str]  # bound by a definition or assignment, not by an import
    transcript: bool = False  # a REPL transcript, its `>>> ` / `... ` prompts stripped
    unindented: bool = False  # a fence's code read without the indentation it opens with

    @property
    def size(self) -> int:
        """Non-blank lines, the length EvalPlus compares candidate code by."""
        return sum(1 for line in source_lines(self.source, keepends=True) if line.strip())


def _from_blocks(code: str, entry_point: str | None) -> tuple[Sanitized, bool] | None:
    """The program from the answer's code blocks, and whether it is good; None if no block.

    Drafts in `<think>` reasoning are not the answer; they are read only when the code
    outside gives no program (an answer cut off while reasoning).
    """
    found = _from_these_blocks(code, code_blocks(code), entry_point)
    if (found is None or not found[1]) and has_reasoning(code):
        drafts = _from_these_blocks(code, code_blocks(code, reasoning=True), entry_point)
        if drafts is not None and (found is None or drafts[1]):
            return drafts
    return found


def _from_these_blocks(
    code: str, blocks: tuple[CodeBlock, ...], entry_point: str | None
) -> tuple[Sanitized, bool] | None:
    """The program from `blocks` of the answer `code`, and whether it is good."""
    parsed = _parsed_blocks(blocks, entry_point)
    if not parsed:
        return None
    main, good = _choose(parsed, entry_point)
    # A Markdown block is code the answer shows as a whole: a function defined twice in
    # it is a correction ("# fixed version"), and Python runs the last definition.
    core = _core(main.tree, main.block.code, main.source, main.trunc, entry_point)
    if main.block.kind == "bare":  # rendered, its indented blocks are code on their own
        why = _two_programs(code, core.kept, entry_point, _run(main.block, blocks))
        if why is not None:
            return _refused(why), True
    blocks = _answer_blocks(parsed, blocks)
    helpers = _helpers(core, [p for p in parsed if p is not main])
    pieces: list[_Piece] = [(main.block, core.code, core.rows)]
    removals = [_shift(r, main.block) for r in core.removals]
    for p, keep in helpers:
        text, rel = _render(p.source, p.tree.body, keep)
        pieces.append((p.block, text, rel))
        removals += _helper_removals(p, keep)
    removals += _left_out(code, blocks, {piece[0] for piece in pieces})
    return _joined_pieces(pieces, removals, entry_point, good)


# A block's code as it goes into the program, and the raw line of each of its lines.
_Piece = tuple[CodeBlock, str, Sequence[int]]


def _answer_blocks(parsed: Sequence[_Block], blocks: Sequence[CodeBlock]) -> tuple[CodeBlock, ...]:
    """The blocks the answer shows as code: those that parse, then the fenced ones that do
    not (bare code that does not parse is prose, not a block left out)."""
    return tuple(p.block for p in parsed) + tuple(
        b for b in blocks if b.kind != "bare" and all(p.block != b for p in parsed)
    )


def _helper_removals(helper: _Block, keep: Sequence[bool]) -> list[_Removal]:
    """What a helper block loses: the statements the program does not need, and the tail
    cut off so that it parses (in raw lines)."""
    removals = [
        _shift(
            (_first_line(s), s.end_lineno or s.lineno, "not needed by the program"), helper.block
        )
        for s, k in zip(helper.tree.body, keep, strict=True)
        if not k
    ]
    return removals + [_shift(r, helper.block) for r in helper.trunc]


def _left_out(code: str, blocks: Sequence[CodeBlock], used: set[CodeBlock]) -> list[_Removal]:
    """The shown blocks the program does not use, then the text outside every block."""
    removals = [
        (b.first_line, b.last_line, f"{b.kind} code block not used")
        for b in blocks
        if b not in used
    ]
    return removals + [(a, z, "text outside the code") for a, z in _text_runs(code, blocks)]


def _joined_pieces(
    pieces: Sequence[_Piece], removals: Sequence[_Removal], entry_point: str | None, good: bool
) -> tuple[Sanitized, bool]:
    """The pieces joined in raw order as the program, and whether it is good (the chosen
    block was, and the joined program parses)."""
    out, rows = _join(sorted(pieces, key=lambda piece: piece[0].first_line))
    parsed_ok = _parses(out)
    result = Sanitized(
        code=out,
        removed=tuple(_describe(r) for r in sorted(removals)),
        parsed=parsed_ok,
        line_map=LineMap.from_rows(rows),
        extracted=tuple(piece[0] for piece in pieces),
        reason=_blocks_reason(out, parsed_ok, entry_point),
    )
    return result, good and parsed_ok


def _run(piece: CodeBlock, blocks: Sequence[CodeBlock]) -> tuple[int, int]:
    """The raw lines from bare code `piece` to the end of the bare block (the run of lines
    outside fences) it was cut from: what is read after it may show another definition."""
    end = next(
        (
            b.last_line
            for b in blocks
            if b.kind == "bare" and b.first_line <= piece.first_line <= b.last_line
        ),
        piece.last_line,
    )
    return piece.first_line, end


def _blocks_reason(out: str, parsed: bool, entry_point: str | None) -> str | None:
    """Why the program extracted from blocks is none: it does not parse, or nothing in the
    blocks was worth keeping (a bare `return x` at column 0 parses, and is dropped)."""
    if not parsed:
        return "the extracted code does not parse as Python"
    if out.strip():
        return None
    defines = f"; the answer defines no `{entry_point}`" if entry_point else ""
    return "no code to keep" + defines


def _parsed_blocks(blocks: Sequence[CodeBlock], entry_point: str | None) -> list[_Block]:
    """The blocks (bare code in pieces) that parse, at least after cutting their tails."""
    parsed: list[_Block] = []
    for b in blocks:
        transcript = b.kind != "bare" and _is_transcript(b.code)
        if transcript:
            b = replace(b, code=_without_prompts(b.code))
        code = _unindented(b.code) if b.kind == "fenced" and not transcript else b.code
        unindented = code != b.code
        b = replace(b, code=code) if unindented else b
        for piece, tree, source, trunc in _pieces(b, entry_point):
            if tree is not None and tree.body:
                binds = frozenset(_top_binds(tree.body))
                imported = {
                    n for s in tree.body if isinstance(s, _IMPORTS) for n in _facts(s).binds
                }
                defines = binds - imported
                parsed.append(
                    _Block(piece, tree, source, trunc, binds, defines, transcript, unindented)
                )
    return parsed


def _unindented(code: str) -> str:
    """A fence's code indented as a whole (`    def f(x):` under the fence line) without
    that indentation, as a reader takes it and the C4 check reads it; other code as it
    is. As it stands it does not parse, and an honest answer gave no program (red team
    s22, O3). Code that parses as it stands (an indented comment first) is left alone."""
    first = next((line for line in source_lines(code, keepends=True) if line.strip()), "")
    if not first[:1].isspace() or first.lstrip().startswith("#") or _parses(code):
        return code
    return _dedented(code)


def _is_transcript(code: str) -> bool:
    """Is a block a REPL session (`>>> def f(x):`), which never parses as it stands?"""
    first = next((line for line in source_lines(code, keepends=True) if line.strip()), "")
    return first.startswith(">>>") and _PROMPT.match(first) is not None


def _without_prompts(code: str) -> str:
    """A REPL session as code: prompts stripped, as doctest does; output lines left blank
    (the line count stays, so lines still map to the raw text)."""
    out = []
    for line in source_lines(code, keepends=True):
        m = _PROMPT.match(line)
        body = line[m.end() :] if m else ""
        out.append(body if body.strip() else line[len(line.rstrip("\r\n")) :])
    return "".join(out)


def _pieces(
    block: CodeBlock, entry_point: str | None
) -> Iterator[tuple[CodeBlock, ast.Module | None, str, list[_Removal]]]:
    """A block parsed (its tail cut if need be); bare code also in pieces between prose.

    Bare code is cut where it stops parsing (prose); more code may start after the cut
    ("First import math: ... Then define the function: ..."), so the rest is searched again.
    """
    if block.kind != "bare":
        yield (block, *_parse_or_truncate(block.code, entry_point))
        return
    for _ in range(_MAX_PIECES):
        tree, source, trunc = _parse_or_truncate(block.code, None)
        if trunc:
            source, trunc = _trim_headings(source, trunc)
        lines = source_lines(block.code, keepends=True)
        cut = trunc[0][0] if trunc else (len(lines) + 1 if tree is not None else 2)
        nxt = next((i for i in range(cut, len(lines) + 1) if is_code_start(lines[i - 1])), None)
        if tree is not None:
            # What was cut is outside the piece: recorded as text outside the code.
            piece = replace(block, last_line=block.first_line + cut - 2, code=source)
            yield piece, tree, source, []
        if nxt is None:
            return
        rest = "".join(lines[nxt - 1 :])
        block = replace(block, first_line=block.first_line + nxt - 1, code=rest)


def _trim_headings(source: str, trunc: list[_Removal]) -> tuple[str, list[_Removal]]:
    """Bare code cut before prose: `## Explanation` above the prose is Markdown, not a comment."""
    lines = source_lines(source, keepends=True)
    headings = False
    while lines and (not lines[-1].strip() or lines[-1].startswith("#")):
        headings |= lines.pop().startswith("#")
    if not headings or not lines:
        return source, trunc
    return "".join(lines), [(len(lines) + 1, trunc[0][1], trunc[0][2])]


def _choose(parsed: list[_Block], entry_point: str | None) -> tuple[_Block, bool]:
    """The main block: the best one defining the entry point (`_rank`), else the one with
    the most definitions (of those read as they stand, if any)."""
    if entry_point is not None:
        # `from solution import f` in a test block does not define f.
        definers = [p for p in parsed if entry_point in p.defines]
        if definers:
            return max(definers, key=_rank), True
    main = max(
        parsed,
        key=lambda p: (not p.unindented, sum(isinstance(s, _SCOPES) for s in p.tree.body), p.size),
    )
    has_defs = any(isinstance(s, _SCOPES) for s in main.tree.body)
    return main, entry_point is None and has_defs


def _rank(p: _Block) -> tuple[bool, bool, bool, bool, int]:
    """How a block defining the entry point ranks; the highest is the program.

    Python code beats a block tagged as another language (a `js` version with the same
    name); real code beats a REPL transcript, and code as it stands beats a fence's read
    without its indentation (an excerpt: `    def f(self, x):`, a method); a Markdown
    block beats bare code, which next to a fence is most often the task's prompt (a stub)
    a `completion` was appended to. Then the last block wins: answers put drafts, the user's buggy code and "first
    versions" before the final one ("that has a bug; fixed:").
    """
    return (
        not _other_language(p.block.info),
        not p.transcript,
        not p.unindented,
        p.block.kind != "bare",
        p.block.first_line,
    )


def _other_language(info: str) -> bool:
    """Does a fence's tag name a language other than Python (`python2`, `py` are Python;
    no tag or a generic one such as `text` says nothing)?"""
    tag = info.lower()
    return not (tag in _GENERIC_TAGS or tag.startswith(("py", "ipython")) or tag == "sage")


# Fence tags that name no language (models tag Python code with them too).
_GENERIC_TAGS = frozenset({"", "text", "txt", "plain", "plaintext", "code", "none"})
_BUILTINS = frozenset(dir(builtins))


def _helpers(main: _Core, others: list[_Block]) -> list[tuple[_Block, list[bool]]]:
    """Statements of other blocks that bind names the main program uses but lacks.

    A name no statement binds may come from a star import (`from itertools import *` in a
    block of its own): then the other blocks' stdlib star imports are kept too (not
    `from solution import *` in a test block: that module is the answer itself).
    """
    if not others:
        return []
    bound = {n for s in main.kept for n in _facts(s).binds}
    seen = set(bound) | _BUILTINS
    todo = sorted({n for s in main.kept for n in _facts(s).uses} - seen)
    seen.update(todo)
    chosen, unbound = _needed(others, _other_binders(others, bound), todo, seen)
    if unbound:
        chosen |= _stdlib_star_imports(others)
    return [
        (p, [(bi, si) in chosen for si in range(len(p.tree.body))])
        for bi, p in enumerate(others)
        if any(b == bi for b, _ in chosen)
    ]


# A statement of another block: (index of the block, index of the statement in it).
_Where = tuple[int, int]


def _other_binders(others: Sequence[_Block], bound: set[str]) -> dict[str, _Where]:
    """Per name, the last statement of the other blocks binding it (the last one, as for
    the entry point); junk binds nothing, nor does another version of a statement binding
    what the main block defines."""
    binders: dict[str, _Where] = {}
    for bi, p in enumerate(others):
        for si, s in enumerate(p.tree.body):
            names = _facts(s).binds if _junk_reason(s, si) is None else frozenset()
            if names & bound:
                continue  # another version of something the main block defines
            for name in names:
                binders[name] = (bi, si)
    return binders


def _needed(
    others: Sequence[_Block], binders: Mapping[str, _Where], todo: list[str], seen: set[str]
) -> tuple[set[_Where], bool]:
    """The statements binding the names in `todo` and, in turn, the names they use that
    are not in `seen` (both are used up); and whether some name has no binder."""
    chosen: set[_Where] = set()
    unbound = False
    while todo:
        loc = binders.get(todo.pop())
        unbound |= loc is None
        if loc is None or loc in chosen:
            continue
        chosen.add(loc)
        new = _facts(others[loc[0]].tree.body[loc[1]]).uses - seen
        seen.update(new)
        todo.extend(sorted(new))
    return chosen, unbound


def _stdlib_star_imports(others: Sequence[_Block]) -> set[_Where]:
    """The star imports of stdlib modules in the other blocks (where a name nothing binds
    may come from)."""
    return {
        (bi, si)
        for bi, p in enumerate(others)
        for si, s in enumerate(p.tree.body)
        if _stdlib_star_import(s)
    }


def _stdlib_star_import(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.ImportFrom)
        and any(a.name == "*" for a in stmt.names)
        and _stdlib_only(stmt)
    )


def _shift(removal: _Removal, block: CodeBlock) -> _Removal:
    first, last, what = removal
    return first + block.first_line - 1, last + block.first_line - 1, what


def _text_runs(code: str, blocks: Sequence[CodeBlock]) -> list[tuple[int, int]]:
    """Runs of non-blank raw lines outside every code block (prose, fence lines)."""
    lines = source_lines(code, keepends=True)
    inside = [False] * (len(lines) + 1)
    for b in blocks:
        for i in range(b.first_line, min(b.last_line, len(lines)) + 1):
            inside[i] = True
    runs: list[tuple[int, int]] = []
    for i, line in enumerate(lines, start=1):
        if inside[i] or not line.strip():
            continue
        if runs and all(inside[j] is False for j in range(runs[-1][1] + 1, i)):
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _join(pieces: Sequence[tuple[CodeBlock, str, Sequence[int]]]) -> tuple[str, list[int]]:
    """Pieces of code in raw order as one program, with raw lines of its lines.

    Pieces from different blocks are two blank lines apart (PEP 8, so style rules do not
    fire on the join); an added line maps to the last line of the piece above.
    """
    out = ""
    rows: list[int] = []
    for block, text, rel in pieces:
        if out:
            tail = out[len(out.rstrip("\r\n")) :]
            ends = len(NEWLINE.findall(tail))  # 1: the line ends; 2: one blank line; ...
            added = max(0, 3 - ends)
            out += "\n" * added
            rows += [rows[-1]] * (added - (1 if ends == 0 else 0))
        out += text
        rows += [block.first_line - 1 + r for r in rel]
    return out, rows


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
) -> tuple[ast.Module | None, str, list[_Removal]]:
    """Parse `code`, or the longest line prefix that parses (and keeps the entry point)."""
    tree, err_line = _parse(code)
    if tree is not None:
        return tree, code, []
    lines = source_lines(code, keepends=True)
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
                return tree, prefix, [(cut + 1, n, "unparsable tail")]
            err_line = None
    return None, code, []


def _defines(tree: ast.Module, entry_point: str | None, required: bool) -> bool:
    if not required or entry_point is None:
        return True
    return any(
        isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == entry_point
        for s in tree.body
    )


# --- what to keep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    binds: frozenset[str]
    uses: frozenset[str]


def _select(stmts: Sequence[ast.stmt], entry_point: str | None) -> tuple[list[bool], list[str]]:
    """Per statement: keep it?, and if not, why (a short description).

    Of a function or class defined twice, the last definition is kept: Python runs it.
    (EvalPlus keeps the first, taking what a base model writes after its answer for junk;
    but then a later `def` of the entry point was a wrong program judged by its right draft.)
    Earlier drafts go unless defining them does something.
    """
    facts = [_facts(s) for s in stmts]
    reasons = [_junk_reason(s, i) for i, s in enumerate(stmts)]
    redefined = _redefined(stmts)
    binders = _binders(facts, reasons, redefined)
    acts = _actions(stmts, reasons)
    module = _Module(stmts, facts, reasons, redefined, binders, acts)
    if entry_point is None or entry_point not in binders:
        keep = module.keep_all()
    else:
        keep = module.keep_for(entry_point)
    return keep, [r or "" for r in reasons]


def _binders(
    facts: Sequence[_Facts], reasons: Sequence[str | None], redefined: set[int]
) -> dict[str, list[int]]:
    """Per name, the statements binding it, in order; junk binds nothing worth keeping (a
    main guard's `n = 5`, ...), nor does a draft a later definition overrides."""
    binders: dict[str, list[int]] = {}
    for i, f in enumerate(facts):
        if reasons[i] is not None or i in redefined:
            continue
        for name in f.binds:
            binders.setdefault(name, []).append(i)
    return binders


@dataclass
class _Module:
    """The top-level statements and what `_select` knows of them; `reasons` (why a
    statement goes, None while it may stay) and `binders` are completed in place."""

    stmts: Sequence[ast.stmt]
    facts: Sequence[_Facts]
    reasons: list[str | None]
    redefined: set[int]
    binders: dict[str, list[int]]
    acts: Sequence[_Action]

    def keep_all(self) -> list[bool]:
        """Without the entry point: every statement but junk, what changes the names
        they bind, what changes interpreter state, and what is not provably inert."""
        keep = [r is None for r in self.reasons]
        bound = {n for i, f in enumerate(self.facts) if keep[i] for n in f.binds}
        for i, a in enumerate(self.acts):
            keep[i] = keep[i] or a.state or bool(a.names & bound)
        reached = {n for i, f in enumerate(self.facts) if keep[i] for n in f.uses}
        reach = _Reach(self.facts, self.binders, reached)
        _keep_effects(self.stmts, keep, self.reasons, self.redefined, reach)
        return keep

    def keep_for(self, entry_point: str) -> list[bool]:
        """With the entry point: what it reads, in turn, from where each name is bound or
        acted on; the imports it may need; what changes interpreter state; and what is
        not provably inert. The others get the reason they go."""
        keep = self._kept_heads(self.binders[entry_point][0])
        # A statement acting on a name binds it too: the program reads what it stored.
        for i, a in enumerate(self.acts):
            for name in a.names:
                self.binders.setdefault(name, []).append(i)
        reach = _Reach(self.facts, self.binders, set())
        todo = [entry_point]
        for i, a in enumerate(self.acts):
            if a.state:  # interpreter state the program relies on without naming it
                keep[i] = True
                todo += self.facts[i].uses
        reach.spread(todo, keep)
        _keep_effects(self.stmts, keep, self.reasons, self.redefined, reach)
        for i, s in enumerate(self.stmts):
            if not keep[i] and self.reasons[i] is None:
                self.reasons[i] = _unused_reason(s, i in self.redefined)
        return keep

    def _kept_heads(self, entry_at: int) -> list[bool]:
        """The imports the program may need, and the module docstring."""
        keep = [False] * len(self.stmts)
        for i, s in enumerate(self.stmts):
            # An import that may fail is part of the program's behaviour (and EvalPlus keeps
            # every import); only an unused stdlib import after the entry point is junk.
            keep[i] = isinstance(s, _IMPORTS) and (i < entry_at or not _stdlib_only(s))
        if self.reasons[0] is None and _is_docstring(self.stmts[0]):
            keep[0] = True
        return keep


@dataclass
class _Reach:
    """The module-level names the kept program reads, and the statements binding each."""

    facts: Sequence[_Facts]
    binders: dict[str, list[int]]
    reached: set[str]

    def spread(self, names: Iterable[str], keep: list[bool]) -> None:
        """Mark `names` read: keep their binders and, in turn, what those read."""
        todo = [n for n in names if n not in self.reached]
        self.reached.update(todo)
        while todo:
            for i in self.binders.get(todo.pop(), ()):
                if keep[i]:
                    continue
                keep[i] = True
                for name in self.facts[i].uses - self.reached:
                    self.reached.add(name)
                    todo.append(name)


def _keep_effects(
    stmts: Sequence[ast.stmt],
    keep: list[bool],
    reasons: Sequence[str | None],
    overridden: set[int],
    reach: _Reach,
) -> None:
    """Also keep every statement that is not provably inert (`auditor.inert`) or that binds
    a name the kept program reads (a loop rebinding the entry point, a later `def` of it,
    which is what Python runs): what looks like junk may change the program (red team s18,
    B1). A main guard's body never runs; an `overridden` draft, which the last definition
    replaces, goes unless defining it does something."""
    inert = Inertness(stmts)
    changed = True
    while changed:
        changed = False
        # Junk may not be handed what the kept program reads or binds (it may change it).
        bound = {n for i, f in enumerate(reach.facts) if keep[i] for n in f.binds}
        held = frozenset(reach.reached | bound)
        for i, s in enumerate(stmts):
            if keep[i] or reasons[i] == _MAIN_GUARD:
                continue
            rebinds = i not in overridden and reach.facts[i].binds & reach.reached
            if rebinds or not inert.statement(s, held):
                keep[i] = changed = True
                reach.spread(reach.facts[i].uses, keep)


def _redefined(stmts: Sequence[ast.stmt]) -> set[int]:
    """Indices of the definitions another definition of the same name overrides."""
    kept: dict[str, int] = {}
    for i, s in enumerate(stmts):
        if isinstance(s, _SCOPES):
            kept[s.name] = i
    return {i for i, s in enumerate(stmts) if isinstance(s, _SCOPES) and kept[s.name] != i}


def _facts(stmt: ast.stmt) -> _Facts:
    """Names a top-level statement binds at module level, and free names it uses."""
    if isinstance(stmt, _SCOPES):
        return _Facts(binds=frozenset({stmt.name}), uses=frozenset(_scope_uses(stmt)))
    if isinstance(stmt, _IMPORTS):
        return _Facts(binds=frozenset(_alias_names(stmt.names)), uses=frozenset())
    if isinstance(stmt, _ASSIGNS):
        return _assignment_facts(stmt)
    # Comprehension variables are their own; a loop's body reads its target's value.
    binds = free_stores(stmt)
    if isinstance(stmt, ast.For | ast.AsyncFor):
        target = free_stores(stmt.target)
        inner = {n for s in (*stmt.body, *stmt.orelse) for n in free_loads(s)} - target
        return _Facts(frozenset(binds), frozenset(free_loads(stmt.iter) | inner))
    return _Facts(binds=frozenset(binds), uses=frozenset(free_loads(stmt)))


def _scope_uses(scope: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """The free names a definition uses: those it loads and binds nowhere inside (names
    bound anywhere inside are local, over-approximating nested scopes), and those it
    declares global (a store into one changes the module's name)."""
    loads: set[str] = set()
    stores: set[str] = set()
    declared_global: set[str] = set()
    for node in ast.walk(scope):
        t = type(node)  # exact types, looked up rather than isinstance: this runs per node
        if t is ast.Name:
            (loads if type(node.ctx) is ast.Load else stores).add(node.id)  # type: ignore[attr-defined]
        elif t is ast.Global:
            declared_global.update(node.names)  # type: ignore[attr-defined]
        else:
            stored = _BINDERS_INSIDE.get(t)
            if stored is not None:
                stores.update(stored(node))
    return (loads - stores) | declared_global


# Per node type other than `Name`, the names a node of it binds in its scope.
_BINDERS_INSIDE: dict[type[ast.AST], Callable[[Any], Iterable[str]]] = {
    ast.arg: lambda node: (node.arg,),
    **dict.fromkeys(_SCOPES, lambda node: (node.name,)),
    **dict.fromkeys(_IMPORTS, lambda node: _alias_names(node.names)),
    # `except E as e`, `case [*rest]`, `case x`: the name is optional
    **dict.fromkeys(
        (ast.ExceptHandler, ast.MatchAs, ast.MatchStar),
        lambda node: (node.name,) if node.name else (),
    ),
    ast.MatchMapping: lambda node: (node.rest,) if node.rest else (),  # `case {**rest}`
}


def _assignment_facts(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> _Facts:
    """An assignment binds the names it stores into (not `x[k]`, `x.a`), and uses what it
    reads; `n += v` also reads `n`."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    binds = {
        n.id
        for t in targets
        for n in ast.walk(t)
        if isinstance(n, ast.Name) and type(n.ctx) is ast.Store
    }
    uses = free_loads(stmt) | (binds if isinstance(stmt, ast.AugAssign) else set())
    return _Facts(binds=frozenset(binds), uses=frozenset(uses))


@dataclass(frozen=True)
class _Action:
    """What a top-level statement does besides binding names: the names whose objects it
    changes (`x[k] = v`, `x.a = v`, `x[k] += 1`, `x.append(v)`), and whether it changes
    interpreter state (`sys.setrecursionlimit(n)`)."""

    names: frozenset[str] = frozenset()
    state: bool = False


# Calls that change the interpreter for the whole program, which never names them again.
_STATE_CALLS = frozenset({"setrecursionlimit", "set_int_max_str_digits"})
# Calls on a module that change the module's state (other module calls leave it as it was:
# `asyncio.run(main())`, `unittest.main()`, `sys.exit()` are a script's junk).
_MODULE_STATE_CALLS = frozenset({"seed", "setrecursionlimit", "set_int_max_str_digits"})
_NO_ACTION = _Action()


def _actions(stmts: Sequence[ast.stmt], reasons: Sequence[str | None]) -> list[_Action]:
    """Per statement, what it changes (see `_Action`); nothing for a statement that never
    runs in the program or only checks (asserts, main guards, doctest runners)."""
    modules = {n for s in stmts if isinstance(s, _IMPORTS) for n in _alias_names(s.names)}
    values = {n for s in stmts if not isinstance(s, _IMPORTS) for n in _facts(s).binds}
    data = {n for s in stmts if isinstance(s, _ASSIGNS) for n in _facts(s).binds}
    reach = {
        s.name: _changed_inside(s) & (data | _declared_global(s))
        for s in stmts
        if isinstance(s, _SCOPES)
    }
    return [
        _NO_ACTION
        if isinstance(s, _SCOPES + _IMPORTS + (ast.Assert,))
        or reasons[i] == _MAIN_GUARD
        or reasons[i] == "doctest runner"
        else _action(s, modules, values - modules, _Callees(reach, data - modules))
        for i, s in enumerate(stmts)
    ]


def _declared_global(scope: ast.stmt) -> frozenset[str]:
    return frozenset(n for g in ast.walk(scope) if isinstance(g, ast.Global) for n in g.names)


def _changed_inside(scope: ast.stmt) -> frozenset[str]:
    """Names a def or class changes when run: its `global` names, and the names whose
    objects it stores into or calls a method of for its effect (`T[k] = v`, `L.append(v)`)."""
    names = set(_declared_global(scope))
    for node in ast.walk(scope):
        if isinstance(node, ast.Attribute | ast.Subscript) and type(node.ctx) is not ast.Load:
            names.update(_receiver(node.value)[0])
        elif isinstance(node, ast.Expr) and _is_method_call(node.value):
            names.update(_receiver(node.value.func.value)[0])  # type: ignore[attr-defined]
    return frozenset(names)


@dataclass(frozen=True)
class _Callees:
    """What a call to one of the module's own functions or classes may change: the
    globals it declares (`global x`), the data objects (bound by assignment) it changes
    (`_changed_inside`), and those it is handed. A test function that only calls the entry
    point changes none."""

    reach: Mapping[str, frozenset[str]]
    data: set[str]

    def changed_by(self, call: ast.Call) -> set[str]:
        if not isinstance(call.func, ast.Name) or call.func.id not in self.reach:
            return set()
        args = [*call.args, *(k.value for k in call.keywords)]
        handed = {a.id for a in args if isinstance(a, ast.Name) and a.id in self.data}
        return set(self.reach[call.func.id]) | handed


def _action(stmt: ast.stmt, modules: set[str], values: set[str], callees: _Callees) -> _Action:
    """What `stmt` changes, outside the functions, classes and lambdas it defines.

    A method call counts on a value the module binds (a call on a name nothing binds
    fails as written, as test code calling `re.sub` with no `import re` would), or on a
    module when it sets the module's state (`random.seed(0)`); a call of the module's own
    function or class on the globals it declares and the data it reads or is handed
    (`_init()` setting a `global` or a table's item, `_fill(TABLE)`: red team s18, after
    A0)."""
    names: set[str] = set()
    state = False
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        todo += (c for c in ast.iter_child_nodes(node) if not isinstance(c, _LOCAL_SCOPES))
        if isinstance(node, ast.Attribute | ast.Subscript) and type(node.ctx) is not ast.Load:
            root, through_call = _receiver(node.value)
            state |= through_call  # `getcontext().prec = 50`: state behind a function
            names.update(root)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else _dotted(func)
            state |= called in _STATE_CALLS
            names |= callees.changed_by(node)
        elif isinstance(node, ast.Expr) and _is_method_call(node.value):
            # A method called for its effect (`x.append(v)`); its value would be assigned.
            func = node.value.func  # type: ignore[attr-defined]
            root, _ = _receiver(func.value)
            if root and (
                root[0] in values or (root[0] in modules and func.attr in _MODULE_STATE_CALLS)
            ):
                names.update(root)
    return _Action(frozenset(names), state) if names or state else _NO_ACTION


def _is_method_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)


def _receiver(node: ast.expr) -> tuple[tuple[str, ...], bool]:
    """The name an attribute/subscript/call chain starts from (none if it starts elsewhere),
    and whether the chain goes through a call."""
    through_call = False
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        through_call |= isinstance(node, ast.Call)
        node = node.func if isinstance(node, ast.Call) else node.value
    return ((node.id,) if isinstance(node, ast.Name) else ()), through_call


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
    if isinstance(stmt, ast.If) and is_main_guard(stmt.test) and not stmt.orelse:
        return _MAIN_GUARD
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


def _unused_reason(stmt: ast.stmt, redefined: bool) -> str:
    if isinstance(stmt, _SCOPES):
        what = f"{'class' if isinstance(stmt, ast.ClassDef) else 'function'} {stmt.name}"
        if not redefined:
            return f"unused {what}"
        return f"{what}, defined again below"
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


# --- rendering ------------------------------------------------------------------------------


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return decorators[0].lineno if decorators else stmt.lineno


def _span(first: int, last: int) -> str:
    return f"line {first}" if first >= last else f"lines {first}-{last}"


def _render(
    source: str, stmts: Sequence[ast.stmt], keep: Sequence[bool]
) -> tuple[str, tuple[int, ...]]:
    """The source with dropped statements cut out, keeping kept statements' original text.

    Text between two kept statements stays verbatim. Next to a dropped statement, only the
    blank lines and the comment block directly above the following kept statement stay.
    Also returns the source line of each output line.
    """
    lines = source_lines(source, keepends=True)
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

    out: list[tuple[str, int]] = []  # pieces of text and their offsets in `source`

    def emit(text: str, at: int) -> None:
        if text:
            out.append((text, at))

    def ensure_newline() -> None:
        if out and not out[-1][0].endswith(("\n", "\r")):
            out.append(("\n", -1))

    prev_kept = True  # the file start counts as kept, so a header stays verbatim
    prev_end = 0
    for i, ((begin, end), kept) in enumerate(zip(spans, keep, strict=True)):
        gap = source[prev_end:begin]
        m = NEWLINE.search(gap) if i else None
        head, nl, body = (gap[: m.start()], m.group(), gap[m.end() :]) if m else ("", "", gap)
        if i and prev_kept:
            emit(head + nl, prev_end)  # the rest of the kept statement's line (a comment)
        if kept:
            if prev_kept:
                emit(body, begin - len(body))
            else:
                ensure_newline()
                above = _attached(body if nl else "", bool(out))
                emit(above, begin - len(above))
            emit(source[begin:end], begin)
        prev_kept, prev_end = kept, end
    if prev_kept:
        emit(source[prev_end:], prev_end)
    else:
        ensure_newline()
    return "".join(t for t, _ in out), _rows(out, starts)


def _rows(pieces: Sequence[tuple[str, int]], starts: Sequence[int]) -> tuple[int, ...]:
    """The source line where each output line of the joined `pieces` starts."""
    rows: list[int] = []
    at_start = True
    for text, at in pieces:
        if at < 0:  # a synthetic newline ends the current line
            at_start = True
            continue
        line_starts = [0] if at_start else []
        line_starts += [m.end() for m in NEWLINE.finditer(text) if m.end() < len(text)]
        rows += [bisect.bisect_right(starts, at + p) for p in line_starts]
        at_start = text.endswith(("\n", "\r"))
    return tuple(rows)


def _attached(body: str, after_code: bool) -> str:
    """From the text above a kept statement, its blank-line separation and comment block."""
    lines = source_lines(body, keepends=True)
    indent = lines.pop() if lines and not NEWLINE.search(lines[-1]) else ""
    comments: list[str] = []
    while lines and lines[-1].lstrip().startswith("#"):
        comments.insert(0, lines.pop())
    blanks: list[str] = []
    while lines and not lines[-1].strip():
        blanks.insert(0, lines.pop())
    return "".join((blanks if after_code else []) + comments) + indent
