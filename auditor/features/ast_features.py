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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
    """Counts and shape of a parsed module, docstrings excluded.

    Long because it is one pass over the tree that fills every counter at once: split into
    several visitors it would walk each candidate several times.
    """
    skip = _docstring_ids(tree)
    kinds: Counter[str] = Counter()
    consts: Counter[str] = Counter()
    distinct_consts: set[str] = set()
    names: set[str] = set()
    literals: list[str] = []
    shape: list[str] = []
    n = depth_max = 0
    n_functions = n_params = n_unused = 0
    n_return_const = n_compare_const = n_branch_const = n_broad = 0
    func_names: set[str] = set()
    calls: list[str] = []
    for node, depth in _preorder(tree, skip):
        n += 1
        depth_max = max(depth_max, depth)
        shape.append(_SHAPE_CODE.get(type(node).__name__, "?"))
        kind = _KIND_OF.get(type(node))
        if kind:
            kinds[kind] += 1
        if isinstance(node, ast.Constant):
            consts[_const_kind(node.value)] += 1
            distinct_consts.add(repr(node.value)[:80])
            key = _literal_key(node.value)
            if key is not None and len(literals) < 200:
                literals.append(key)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            n_functions += not isinstance(node, ast.Lambda)
            if not isinstance(node, ast.Lambda):
                func_names.add(node.name)
            params = _param_names(node.args)
            body = node.body if isinstance(node.body, list) else [node.body]
            used = {
                x.id
                for stmt in body
                for x in ast.walk(stmt)
                if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load)
            }
            n_params += len(params)
            n_unused += sum(p not in used for p in params)
        elif isinstance(node, ast.Return):
            n_return_const += node.value is not None and _is_const(node.value)
        elif isinstance(node, ast.Compare):
            n_compare_const += any(_is_const(c) for c in (node.left, *node.comparators))
        elif isinstance(node, ast.If):
            test = node.test
            on_const = isinstance(test, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.Is | ast.In) for op in test.ops
            )
            on_const = on_const and any(
                _is_const(c)
                for c in (test.left, *test.comparators)  # type: ignore[attr-defined]
            )
            n_branch_const += bool(on_const and any(isinstance(s, ast.Return) for s in node.body))
        elif isinstance(node, ast.ExceptHandler):
            n_broad += node.type is None or (
                isinstance(node.type, ast.Name) and node.type.id in ("Exception", "BaseException")
            )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.append(node.func.id)
    return _Walk(
        n_nodes=n,
        max_depth=depth_max,
        kinds=kinds,
        shape="".join(shape),
        literals=tuple(sorted(set(literals))),
        consts=consts,
        n_distinct_const=len(distinct_consts),
        n_distinct_names=len(names),
        n_functions=n_functions,
        n_params=n_params,
        n_params_unused=n_unused,
        n_return_const=n_return_const,
        n_compare_const=n_compare_const,
        n_branch_on_const=n_branch_const,
        n_except_broad=n_broad,
        n_recursive_calls=sum(c in func_names for c in calls),
    )


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
