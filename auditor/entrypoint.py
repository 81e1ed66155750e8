"""The function `check` scores in a candidate: its last top-level `def`.

Turns each input (a read Python file, or the candidates of a samples file) into a
`PendingCandidate`: the candidate, where to report it, its entry point's line, and
whether it can be scored. A candidate that does not parse gets one AUD901 finding.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.config import MAX_SOURCE_CHARS
from auditor.discover import SourceFile, problem_finding
from auditor.parse import python_ast
from auditor.results import TOO_LARGE_CODE
from auditor.types import Candidate, Finding, Task

NO_FUNCTION = "no top-level function to score"


@dataclass(frozen=True)
class PendingCandidate:
    """A candidate on its way through `check`."""

    candidate: Candidate
    display: str
    embedded: bool
    entry_line: int = 1
    scoreable: bool = True
    note: str | None = None
    problems: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class EntryPoint:
    """The last top-level function of a candidate, or why there is none."""

    name: str | None
    line: int = 1  # its `def` line (or first decorator's), 1 when there is none
    error: str | None = None  # set when the code does not parse
    error_line: int = 1  # where the parser stopped


def entry_point(code: str) -> EntryPoint:
    """Find the entry point; a syntax error, or nesting too deep to parse, is `error`."""
    tree = python_ast(code)
    if isinstance(tree, RecursionError | MemoryError):
        return EntryPoint(None, error="syntax error: too deeply nested to parse")
    if isinstance(tree, SyntaxError):
        return EntryPoint(
            None, error=f"syntax error: {tree.msg}", error_line=max(1, tree.lineno or 1)
        )
    if isinstance(tree, ValueError):
        return EntryPoint(None, error=f"syntax error: {tree}")
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not funcs:
        return EntryPoint(None)
    last = funcs[-1]
    return EntryPoint(last.name, min([last.lineno, *(d.lineno for d in last.decorator_list)]))


def _functions(code: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """A candidate's top-level functions, in order (none when it does not parse)."""
    tree = python_ast(code)
    if not isinstance(tree, ast.Module):
        return []
    return [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def top_functions(code: str) -> tuple[str, ...]:
    """Names of a candidate's top-level functions, in order."""
    return tuple(n.name for n in _functions(code))


def parameters(code: str, name: str) -> tuple[str, ...]:
    """The positional parameter names of function `name` defined at module level in `code`
    (its last `def`, in a `try` or `if` too; empty when there is none or the code does not
    parse)."""
    defs = [n for n in _module_level(code) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in reversed(defs):
        if node.name == name:
            return tuple(a.arg for a in [*node.args.posonlyargs, *node.args.args])
    return ()


def module_names(code: str) -> frozenset[str]:
    """Names `code` binds in its module's namespace: by a def, class, assignment or import
    anywhere outside function and class bodies (inside `try`, `if`, `with`...)."""
    out: set[str] = set()
    for node in _module_level(code):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.alias) and node.name != "*":
            out.add((node.asname or node.name).split(".")[0])
    return frozenset(out)


def _module_level(code: str) -> list[ast.AST]:
    """The nodes of `code` that run in its module's scope, in source order, with the defs
    and classes themselves but not their bodies (none when it does not parse)."""
    tree = python_ast(code)
    if not isinstance(tree, ast.Module):
        return []
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(reversed(tree.body))
    while todo:  # a stack, not recursion: deeply nested code parses
        node = todo.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            todo += reversed(list(ast.iter_child_nodes(node)))
    return out


def _aud901(message: str, line: int = 1) -> Finding:
    """AUD901: code that does not parse, or a sample the sanitizer found no program in."""
    from auditor.rules.internal import SyntaxErrorRule as Rule  # only for such code

    return Finding(Rule.CODE, Rule.SYMBOL, message, line, 0, Rule.SEVERITY, Rule.CONFIDENCE)


def _syntax_finding(entry: EntryPoint) -> Finding:
    assert entry.error is not None
    return _aud901(entry.error, entry.error_line)


def python_candidate(src: SourceFile) -> PendingCandidate:
    """The candidate of one Python file (one that could not be read carries its problem)."""
    text = src.text or ""
    cand = Candidate(task_id=src.path.stem, sample_id=src.display, code=text, path=src.display)
    if src.problem is not None:
        return PendingCandidate(
            cand, src.display, False, 1, False, src.problem.message, (src.problem,)
        )
    entry = entry_point(text)
    if entry.error is not None:
        return PendingCandidate(
            cand, src.display, False, entry.line, False, entry.error, (_syntax_finding(entry),)
        )
    if entry.name is None:
        return PendingCandidate(cand, src.display, False, 1, False, NO_FUNCTION)
    return PendingCandidate(cand, src.display, False, entry.line)


def sample_candidates(
    path: Path,
    display: str,
    tasks: Mapping[str, Task] | None = None,
    max_bytes: int = MAX_SOURCE_CHARS,
) -> list[PendingCandidate]:
    """The candidates of a samples file (their syntax errors are notes, not findings; code
    over `max_bytes` in UTF-8 is AUD910, as a file is). With `tasks`, every task id must be
    known and a `completion` gets its task's prompt."""
    from auditor.corpus.samples import read_samples

    out = []
    for cand in read_samples(path, tasks).candidates:
        cand = replace(cand, path=display)
        size = len(cand.code.encode("utf-8", "surrogatepass"))
        if size > min(max_bytes, MAX_SOURCE_CHARS):  # as a .py file over it: not analysed
            out.append(_too_large(cand, display, size, min(max_bytes, MAX_SOURCE_CHARS)))
            continue
        entry = entry_point(cand.code)
        scoreable = entry.error is None and entry.name is not None
        # A chat answer with no program says why ("no code in the answer"), not "syntax error".
        note = cand.reason or entry.error or (None if entry.name else NO_FUNCTION)
        # An empty program (nothing to keep, or an answer refused as ambiguous) parses, so
        # no rule reports it; it must not pass as a clean candidate all the same.
        problems = (_aud901(cand.reason),) if cand.reason and entry.error is None else ()
        out.append(PendingCandidate(cand, display, True, entry.line, scoreable, note, problems))
    return out


def _too_large(cand: Candidate, display: str, size: int, limit: int) -> PendingCandidate:
    """A sample whose code the extractors would not analyse: AUD910 and no risk, never a
    silent pass (padding must not buy an empty feature row)."""
    note = f"code is {size:,} bytes, over the {limit:,}-byte limit; not analysed"
    return PendingCandidate(
        cand, display, True, 1, False, note, (problem_finding(TOO_LARGE_CODE, note),)
    )
