"""`ast.*`: node counts by kind, depth, literals, comparisons, functions and parameters.

One stdlib `ast.parse` and one iterative walk (no recursion, so deeply nested input
cannot overflow the stack). Docstrings are not counted as literals. The extraction also
carries the candidate's normalized shape (node kinds in preorder, one character each)
and its literal set in `aux`, for the relative features.
"""

from __future__ import annotations

import ast
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.features.base import Extraction, Item

# Kinds whose counts become columns; the rest only count towards ast.n_nodes.
_KINDS: dict[str, tuple[type[ast.AST], ...]] = {
    "if": (ast.If,),
    "ifexp": (ast.IfExp,),
    "for": (ast.For, ast.AsyncFor),
    "while": (ast.While,),
    "comprehension": (ast.comprehension,),
    "return": (ast.Return,),
    "compare": (ast.Compare,),
    "boolop": (ast.BoolOp,),
    "binop": (ast.BinOp,),
    "unaryop": (ast.UnaryOp,),
    "call": (ast.Call,),
    "attribute": (ast.Attribute,),
    "subscript": (ast.Subscript,),
    "dict": (ast.Dict, ast.DictComp),
    "list": (ast.List, ast.ListComp),
    "tuple": (ast.Tuple,),
    "set": (ast.Set, ast.SetComp),
    "lambda": (ast.Lambda,),
    "assign": (ast.Assign, ast.AnnAssign),
    "augassign": (ast.AugAssign,),
    "try": (ast.Try, ast.TryStar),
    "raise": (ast.Raise,),
    "assert": (ast.Assert,),
    "import": (ast.Import, ast.ImportFrom),
    "break_continue": (ast.Break, ast.Continue),
    "name": (ast.Name,),
}
_KIND_OF: dict[type[ast.AST], str] = {t: k for k, ts in _KINDS.items() for t in ts}

# Node kinds in a fixed order: a kind's index gives its one-character shape code, so a
# shape string means the same across Python versions. Unknown kinds map to '?'.
_SHAPE_KINDS = [
    "Module",
    "FunctionDef",
    "AsyncFunctionDef",
    "ClassDef",
    "Return",
    "Delete",
    "Assign",
    "AugAssign",
    "AnnAssign",
    "For",
    "AsyncFor",
    "While",
    "If",
    "With",
    "AsyncWith",
    "Match",
    "Raise",
    "Try",
    "TryStar",
    "Assert",
    "Import",
    "ImportFrom",
    "Global",
    "Nonlocal",
    "Expr",
    "Pass",
    "Break",
    "Continue",
    "BoolOp",
    "NamedExpr",
    "BinOp",
    "UnaryOp",
    "Lambda",
    "IfExp",
    "Dict",
    "Set",
    "ListComp",
    "SetComp",
    "DictComp",
    "GeneratorExp",
    "Await",
    "Yield",
    "YieldFrom",
    "Compare",
    "Call",
    "FormattedValue",
    "JoinedStr",
    "Constant",
    "Attribute",
    "Subscript",
    "Starred",
    "Name",
    "List",
    "Tuple",
    "Slice",
    "And",
    "Or",
    "Add",
    "Sub",
    "Mult",
    "MatMult",
    "Div",
    "Mod",
    "Pow",
    "LShift",
    "RShift",
    "BitOr",
    "BitXor",
    "BitAnd",
    "FloorDiv",
    "Invert",
    "Not",
    "UAdd",
    "USub",
    "Eq",
    "NotEq",
    "Lt",
    "LtE",
    "Gt",
    "GtE",
    "Is",
    "IsNot",
    "In",
    "NotIn",
    "comprehension",
    "ExceptHandler",
    "arguments",
    "arg",
    "keyword",
    "alias",
    "withitem",
    "match_case",
]
_SHAPE_CODE = {k: chr(0x30 + i) for i, k in enumerate(_SHAPE_KINDS)}
_SKIP_IN_SHAPE = (ast.expr_context, ast.type_ignore)

_TRIVIAL = {0, 1, -1, 2, ""}  # too common to say anything; bools and None are skipped too


@dataclass(frozen=True)
class _Walk:
    n_nodes: int
    max_depth: int
    kinds: Counter[str]
    shape: str
    literals: tuple[str, ...]
    consts: Counter[str]
    n_distinct_const: int
    n_distinct_names: int
    n_functions: int
    n_params: int
    n_params_unused: int
    n_return_const: int
    n_compare_const: int
    n_branch_on_const: int
    n_except_broad: int
    n_recursive_calls: int


def _docstring_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                ids.add(id(body[0]))
    return ids


def _preorder(tree: ast.AST, skip: set[int]) -> Iterator[tuple[ast.AST, int]]:
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in skip or isinstance(node, _SKIP_IN_SHAPE):
            continue
        yield node, depth
        children = list(ast.iter_child_nodes(node))
        stack.extend((c, depth + 1) for c in reversed(children))


def _const_kind(value: object) -> str:
    if isinstance(value, bool) or value is None or value is Ellipsis:
        return "other"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | complex):
        return "float"
    if isinstance(value, str):
        return "str"
    return "other"


def _literal_key(value: object) -> str | None:
    """A normalized, hashable form of a non-trivial literal (for overlap features)."""
    if isinstance(value, bool) or value is None or value is Ellipsis or value in _TRIVIAL:
        return None
    if isinstance(value, int | float):
        return f"n:{value!r}"
    if isinstance(value, str):
        return f"s:{value[:50]}"
    return None


def _is_const(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_const(e) for e in node.elts)
    return isinstance(node, ast.Constant)


def _param_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in ("self", "cls")]


def walk(tree: ast.AST) -> _Walk:
    """Counts and shape of a parsed module, docstrings excluded: one pass over the tree
    that fills every counter at once (`_Tally`)."""
    tally = _Tally()
    for node, depth in _preorder(tree, _docstring_ids(tree)):
        tally.add(node, depth)
    return tally.result()


@dataclass
class _Tally:
    """The counters of `walk`, filled node by node (one handler per node type)."""

    kinds: Counter[str] = field(default_factory=Counter)
    consts: Counter[str] = field(default_factory=Counter)
    distinct_consts: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    literals: list[str] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)
    func_names: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    n: int = 0
    depth_max: int = 0
    n_functions: int = 0
    n_params: int = 0
    n_unused: int = 0
    n_return_const: int = 0
    n_compare_const: int = 0
    n_branch_const: int = 0
    n_broad: int = 0

    def add(self, node: ast.AST, depth: int) -> None:
        self.n += 1
        self.depth_max = max(self.depth_max, depth)
        self.shape.append(_SHAPE_CODE.get(type(node).__name__, "?"))
        kind = _KIND_OF.get(type(node))
        if kind:
            self.kinds[kind] += 1
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)

    def _constant(self, node: ast.Constant) -> None:
        self.consts[_const_kind(node.value)] += 1
        self.distinct_consts.add(repr(node.value)[:80])
        key = _literal_key(node.value)
        if key is not None and len(self.literals) < 200:
            self.literals.append(key)

    def _name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            self.n_functions += 1
            self.func_names.add(node.name)
        params = _param_names(node.args)
        body = node.body if isinstance(node.body, list) else [node.body]
        used = {
            x.id
            for stmt in body
            for x in ast.walk(stmt)
            if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load)
        }
        self.n_params += len(params)
        self.n_unused += sum(p not in used for p in params)

    def _return(self, node: ast.Return) -> None:
        self.n_return_const += node.value is not None and _is_const(node.value)

    def _compare(self, node: ast.Compare) -> None:
        self.n_compare_const += any(_is_const(c) for c in (node.left, *node.comparators))

    def _if(self, node: ast.If) -> None:
        """An `if x == <const>: return ...` (a special case keyed on a literal)."""
        test = node.test
        on_const = (
            isinstance(test, ast.Compare)
            and any(isinstance(op, ast.Eq | ast.Is | ast.In) for op in test.ops)
            and any(_is_const(c) for c in (test.left, *test.comparators))
        )
        self.n_branch_const += bool(on_const and any(isinstance(s, ast.Return) for s in node.body))

    def _except(self, node: ast.ExceptHandler) -> None:
        self.n_broad += node.type is None or (
            isinstance(node.type, ast.Name) and node.type.id in ("Exception", "BaseException")
        )

    def _call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name):
            self.calls.append(node.func.id)

    def result(self) -> _Walk:
        return _Walk(
            n_nodes=self.n,
            max_depth=self.depth_max,
            kinds=self.kinds,
            shape="".join(self.shape),
            literals=tuple(sorted(set(self.literals))),
            consts=self.consts,
            n_distinct_const=len(self.distinct_consts),
            n_distinct_names=len(self.names),
            n_functions=self.n_functions,
            n_params=self.n_params,
            n_params_unused=self.n_unused,
            n_return_const=self.n_return_const,
            n_compare_const=self.n_compare_const,
            n_branch_on_const=self.n_branch_const,
            n_except_broad=self.n_broad,
            n_recursive_calls=sum(c in self.func_names for c in self.calls),
        )


# Node types are disjoint (no ast node class here subclasses another), so the exact type
# selects the handler.
_HANDLERS: dict[type[ast.AST], Callable[[_Tally, Any], None]] = {
    ast.Constant: _Tally._constant,
    ast.Name: _Tally._name,
    ast.FunctionDef: _Tally._function,
    ast.AsyncFunctionDef: _Tally._function,
    ast.Lambda: _Tally._function,
    ast.Return: _Tally._return,
    ast.Compare: _Tally._compare,
    ast.If: _Tally._if,
    ast.ExceptHandler: _Tally._except,
    ast.Call: _Tally._call,
}


_SCALARS = (
    "n_nodes",
    "max_depth",
    "n_distinct_const",
    "n_distinct_names",
    "n_functions",
    "n_params",
    "n_params_unused",
    "n_return_const",
    "n_compare_const",
    "n_branch_on_const",
    "n_except_broad",
    "n_recursive_calls",
)
_CONST_KINDS = ("int", "float", "str", "other")


def shape_hash(shape: str) -> str:
    return hashlib.sha1(shape.encode()).hexdigest()[:16]


class AstExtractor:
    """Node counts and shape from the stdlib parser."""

    name = "ast"
    version = "1"
    fingerprint = ""  # stdlib only: the Python version is in every cache key
    columns: tuple[str, ...] = (
        *(f"ast.{s}" for s in _SCALARS),
        *(f"ast.n_{k}" for k in _KINDS),
        "ast.n_const",
        *(f"ast.n_const_{k}" for k in _CONST_KINDS),
        "ast.n_loop",
    )

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        return [self.extract_one(item) for item in batch]

    def extract_one(self, item: Item) -> Extraction:
        try:
            w = walk(ast.parse(item.text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return Extraction(failed=True)
        row = {f"ast.{s}": float(getattr(w, s)) for s in _SCALARS}
        row.update({f"ast.n_{k}": float(w.kinds[k]) for k in _KINDS})
        row["ast.n_const"] = float(sum(w.consts.values()))
        row.update({f"ast.n_const_{k}": float(w.consts[k]) for k in _CONST_KINDS})
        row["ast.n_loop"] = float(w.kinds["for"] + w.kinds["while"] + w.kinds["comprehension"])
        return Extraction(features=row, aux={"shape": w.shape, "literals": list(w.literals)})
