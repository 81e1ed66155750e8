"""Which candidate programs behave the same, so the sandbox runs each behaviour once.

Sampling at a non-zero temperature yields many programs that differ only in comments,
layout, docstrings or the names of their local variables. `behaviour_key` maps such
programs to one key, and programs with equal keys (for the same task) produce the same
outputs on every input, so one run labels them all.

The key is the program's AST with docstrings removed and local names renamed in order of
first appearance (alpha-equivalence), without positions (layout). That preserves
behaviour unless a program can observe its own names, docstrings or line numbers, so a
program that could is keyed on its AST as written, positions included:

* introspection builtins (`locals`, `globals`, `vars`, `dir`, `eval`, `exec`, `getattr`,
  `attrgetter`, `typing.get_type_hints`, ... however imported), dunder names and attributes (`__doc__`, `__builtins__`,
  `f.__code__`, `__dict__`) and strings naming one, the attributes of frames, code objects
  and tracebacks (`gi_frame`, `f_lineno`: layout is not in the key either), and any import
  but of a module on an allowlist of computation-only ones (`math`, `collections`,
  `itertools`, `re`, ...; not `inspect`, `sys`, `pydoc`, `unittest`, `numpy`);
* constructs that bind names through strings (`class` bodies, `global`/`nonlocal`,
  `match` captures, `except ... as e` whose message names variables, `**` in calls), and
  `from m import *`, which binds names the tree does not show: a name the program binds
  elsewhere (a lambda's parameter) was renamed where it meant the module's (`e` and `pi`
  of `math` got one key, and a wrong program the label of a right one: red team s21).

When renaming, a name is kept as written when it is a builtin, a dunder, bound by `def`,
`import` or a keyword argument, bound at module level (the module's interface: a harness
looks its entry point up by name, however it is bound; `add = lambda ...` and `h = lambda
...` swapped between two programs got one key, red team s21), or appears as a word in a
string constant (a `namedtuple` field list, a dict key matched against `**kwargs`). Parse
failures key on the raw text.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable
from typing import Any

_BUILTINS = frozenset(dir(builtins))
_INTROSPECTION = frozenset(
    {
        "locals",
        "globals",
        "vars",
        "dir",
        "eval",
        "exec",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "hasattr",
        "delattr",
        "breakpoint",
        "help",
        "super",
        "attrgetter",
        "methodcaller",
        "get_type_hints",  # `typing`'s: a dict keyed by parameter names (red team, s18)
    }
)
# The modules a renamed program may import: computation only, none that reads a program's
# names, docstrings or frames (`pydoc.getdoc`, `unittest`'s captured exceptions, `inspect`,
# `sys`... were each a way; an allowlist ends the list of ways). Others: keyed as written.
_PURE_MODULES = frozenset(
    {"__future__", "typing", "math", "cmath", "collections", "re", "heapq", "operator",
     "itertools", "functools", "string", "hashlib", "fractions", "decimal", "statistics",
     "bisect", "random", "copy", "datetime", "calendar", "array", "numbers", "json",
     "textwrap", "unicodedata", "struct", "binascii", "base64", "zlib", "time"}
)  # fmt: skip
# Attributes of frames, generators, coroutines, code objects and tracebacks: line numbers,
# names and docstrings the key does not keep.
_RUNTIME_ATTR = re.compile(r"^(?:f|gi|cr|ag|co|tb)_")
_DUNDER = re.compile(r"__\w+__")
_NAME_BINDING_NODES: tuple[type[ast.AST], ...] = (
    ast.ClassDef,
    ast.Global,
    ast.Nonlocal,
    ast.Match,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def behaviour_key(code: str) -> str:
    """Equal keys mean equal behaviour on every input (see the module docstring)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    found = _scan(tree)
    if found is None:  # it may read its names, docstrings or line numbers: all count
        return ast.dump(tree, include_attributes=True)
    mapping, nodes, holders = found
    for node in nodes:
        if isinstance(node, ast.Name):
            node.id = mapping.get(node.id, node.id)
        else:
            node.arg = mapping.get(node.arg, node.arg)
    for holder in holders:
        holder.body = holder.body[1:]
    return ast.dump(tree)


_Holder = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
_SCOPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _module_names(tree: ast.Module) -> set[str]:
    """Names a statement binds at module level (over-approximated: a comprehension's own
    variables count too), outside the bodies of functions and lambdas; their defaults,
    decorators and annotations run at module level."""
    names: set[str] = set()
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        for field, value in ast.iter_fields(node):
            if field == "body" and isinstance(node, _SCOPED):
                continue
            todo += [v for v in (value if isinstance(value, list) else [value])
                     if isinstance(v, ast.AST)]  # fmt: skip
    return names


def _docstring(node: ast.AST) -> ast.Constant | None:
    if isinstance(node, _Holder) and node.body:
        first = node.body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            return first.value
    return None


def _scan(
    tree: ast.Module,
) -> tuple[dict[str, str], list[ast.Name | ast.arg], list[_Holder]] | None:
    """(canonical names of the renamable identifiers, the nodes naming identifiers, the
    nodes with a docstring), or None if the program could observe its own names (then
    neither names nor docstrings are touched). One pass over the tree."""
    scan = _Scan()
    # breadth-first: a holder comes before its docstring
    if not all(scan.visit(node) for node in ast.walk(tree)):
        return None
    keep = scan.literal | _BUILTINS | _module_names(tree)
    mapping: dict[str, str] = {}
    for name in scan.order:
        if name in scan.bound and name not in keep and not name.startswith("__"):
            # NUL cannot occur in an identifier, so a new name never meets a kept one
            mapping.setdefault(name, f"\0{len(mapping)}")
    return mapping, scan.nodes, scan.holders


class _Scan:
    """What `_scan` collects: the names bound, the words that must keep their names (in
    strings, keywords, imports, `def`s), every identifier in order with its node, and the
    docstrings."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.literal: set[str] = set()
        self.order: list[str] = []
        self.nodes: list[ast.Name | ast.arg] = []
        self.holders: list[_Holder] = []
        self.docstrings: set[int] = set()

    def visit(self, node: ast.AST) -> bool:
        """Record `node`; False if it lets the program observe its own names."""
        visit = _VISITS.get(type(node))
        if visit is not None and not visit(self, node):
            return False
        if isinstance(node, _Holder):
            self._hold(node)
        return True

    def _name(self, node: ast.Name) -> bool:
        if node.id in _INTROSPECTION or _DUNDER.fullmatch(node.id):
            return False
        if not isinstance(node.ctx, ast.Load):
            self.bound.add(node.id)
        self.order.append(node.id)
        self.nodes.append(node)
        return True

    def _arg(self, node: ast.arg) -> bool:
        self.bound.add(node.arg)
        self.order.append(node.arg)
        self.nodes.append(node)
        return True

    def _constant(self, node: ast.Constant) -> bool:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            if _DUNDER.search(node.value):  # `attrgetter("__doc__")` and the like
                return False
            self.literal.update(_WORD.findall(node.value))
        return True

    def _keyword(self, node: ast.keyword) -> bool:
        if node.arg is None:
            return False
        self.literal.add(node.arg)
        return True

    def _import(self, node: ast.Import | ast.ImportFrom) -> bool:
        if not _imports_purely(node):
            return False
        self.literal.update((a.asname or a.name).split(".")[0] for a in node.names)
        return True

    def _hold(self, node: _Holder) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.literal.add(node.name)
        doc = _docstring(node)
        if doc is not None:
            self.docstrings.add(id(doc))
            self.holders.append(node)


def _imports_purely(node: ast.Import | ast.ImportFrom) -> bool:
    """Does `node` import only allowlisted modules, and neither an introspection builtin
    (`import ... as g`) nor `*` (which binds names the tree does not show)?"""
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
    if isinstance(node, ast.ImportFrom) and node.module:
        modules.append(node.module)
    if any(m.split(".")[0] not in _PURE_MODULES for m in modules):
        return False
    return not any(a.name in _INTROSPECTION or a.name == "*" for a in node.names)


def _plain_attribute(node: ast.Attribute) -> bool:
    """An attribute naming no dunder, introspection function or frame part."""
    return not (
        node.attr.startswith("__") or node.attr in _INTROSPECTION or _RUNTIME_ATTR.match(node.attr)
    )


# What `_Scan.visit` does per node type (the types `ast.parse` makes, exactly): False
# from one means the program may observe its names.
_VISITS: dict[type[ast.AST], Callable[[_Scan, Any], bool]] = {
    ast.Name: _Scan._name,
    ast.arg: _Scan._arg,
    ast.Constant: _Scan._constant,
    ast.keyword: _Scan._keyword,
    ast.Import: _Scan._import,
    ast.ImportFrom: _Scan._import,
    # constructs that bind names through strings
    **dict.fromkeys(_NAME_BINDING_NODES, lambda _, node: False),
    ast.ExceptHandler: lambda _, node: not node.name,  # `except ... as e`
    ast.Attribute: lambda _, node: _plain_attribute(node),
}
