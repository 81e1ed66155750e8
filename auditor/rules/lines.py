"""Line numbers of libcst nodes without libcst's PositionProvider.

PositionProvider re-generates the whole module to learn positions and costs about twice
the parse. The CPython AST of the same code (kept by `auditor.parse`) already knows
every statement's, call's, parameter's... position. Nodes of a mapped libcst class are
numbered in traversal order (which is source order); the k-th one is the k-th node of
the matching AST classes sorted by position. Comments are matched the same way against
`tokenize`'s COMMENT tokens. When the counts of a class differ between the two trees the
class is not trusted and the caller falls back to PositionProvider.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

# libcst class -> the CPython AST classes that correspond one to one.
MAPPED: Mapping[type[cst.CSTNode], tuple[type[ast.AST], ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith),
    cst.Try: (ast.Try,),
    cst.TryStar: (ast.TryStar,),
    cst.Match: (ast.Match,),
    cst.ExceptHandler: (ast.ExceptHandler,),
    cst.Return: (ast.Return,),
    cst.Assign: (ast.Assign,),
    cst.AugAssign: (ast.AugAssign,),
    cst.AnnAssign: (ast.AnnAssign,),
    cst.Expr: (ast.Expr,),
    cst.Assert: (ast.Assert,),
    cst.Raise: (ast.Raise,),
    cst.Pass: (ast.Pass,),
    cst.Break: (ast.Break,),
    cst.Continue: (ast.Continue,),
    cst.Import: (ast.Import,),
    cst.ImportFrom: (ast.ImportFrom,),
    cst.Global: (ast.Global,),
    cst.Nonlocal: (ast.Nonlocal,),
    cst.Del: (ast.Delete,),
    cst.Call: (ast.Call,),
    cst.Subscript: (ast.Subscript,),
    cst.IfExp: (ast.IfExp,),
    cst.Lambda: (ast.Lambda,),
    cst.ListComp: (ast.ListComp,),
    cst.SetComp: (ast.SetComp,),
    cst.DictComp: (ast.DictComp,),
    cst.Param: (ast.arg,),
}
_AST_TO_CST = {a: c for c, asts in MAPPED.items() for a in asts}
COUNTED = frozenset((*MAPPED, cst.Comment))

Span = tuple[int, int, int]  # (line, col, end_line); col is CPython's (UTF-8 bytes)


def _key(node: ast.AST) -> tuple[int, int, int, int]:
    # Outer before inner on ties: `g(x).f()` starts where `g(x)` does.
    return (
        node.lineno,  # type: ignore[attr-defined]
        node.col_offset,  # type: ignore[attr-defined]
        -(node.end_lineno or 0),  # type: ignore[attr-defined]
        -(node.end_col_offset or 0),  # type: ignore[attr-defined]
    )


@dataclass
class LineIndex:
    """Positions of the mapped classes, by class, in source order (built lazily)."""

    tree: ast.Module
    code: str
    _buckets: dict[type[cst.CSTNode], list[Span]] | None = None
    _comments: list[Span] | None = field(default=None)

    def bucket(self, kind: type[cst.CSTNode]) -> list[Span]:
        if self._buckets is None:
            grouped: dict[type[cst.CSTNode], list[ast.AST]] = {}
            for node in ast.walk(self.tree):
                target = _AST_TO_CST.get(type(node))
                if target is not None:
                    grouped.setdefault(target, []).append(node)
            self._buckets = {
                k: [
                    (n.lineno, n.col_offset, n.end_lineno or n.lineno)  # type: ignore[attr-defined]
                    for n in sorted(v, key=_key)
                ]
                for k, v in grouped.items()
            }
        if kind is cst.Comment:
            return self.comments()
        return self._buckets.get(kind, [])

    def comments(self) -> list[Span]:
        if self._comments is None:
            out: list[Span] = []
            try:
                # Universal newlines: a line ends at \r\n, \r or \n, where Python ends
                # one (`auditor.io.NEWLINE`); read as is, a file ending its lines in \r
                # alone was one line, and every comment on line 1.
                lines = io.StringIO(self.code, newline=None)
                for tok in tokenize.generate_tokens(lines.readline):
                    if tok.type == tokenize.COMMENT:
                        out.append((tok.start[0], tok.start[1], tok.start[0]))
            except (tokenize.TokenError, SyntaxError):
                out = []
            self._comments = out
        return self._comments


@dataclass
class NodeOrder:
    """Traversal-order numbers of counted nodes, filled by the engine's visitor."""

    index: dict[cst.CSTNode, int] = field(default_factory=dict)
    counts: dict[type[cst.CSTNode], int] = field(default_factory=dict)

    def add(self, node: cst.CSTNode) -> None:
        kind = type(node)
        n = self.counts.get(kind, 0)
        self.index[node] = n
        self.counts[kind] = n + 1

    def locate(self, node: cst.CSTNode, lines: LineIndex) -> Span | None:
        """The node's span from the AST, or None when the trees disagree for its class."""
        if isinstance(node, cst.SimpleStatementLine) and node.body:
            node = node.body[0]
        n = self.index.get(node)
        if n is None:
            return None
        bucket = lines.bucket(type(node))
        if len(bucket) != self.counts[type(node)]:
            return None
        return bucket[n]
