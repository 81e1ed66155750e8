"""Small helpers over libcst nodes shared by several rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import libcst as cst

_NAMED_CONSTANTS = {"True": True, "False": False, "None": None}
_MISSING = object()


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """All nodes under `node` (itself included), without recursion."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(cur.children)


def names_in(node: cst.CSTNode) -> set[str]:
    """Identifiers referenced anywhere under `node` (True/False/None excluded)."""
    return {
        n.value for n in walk(node) if isinstance(n, cst.Name) and n.value not in _NAMED_CONSTANTS
    }


def literal_value(expr: cst.BaseExpression | None) -> Any:
    """The Python value of a literal expression, or `_MISSING` if it is not one.

    Literals are numbers, strings (not f-strings), True/False/None, unary +/- numbers,
    and lists, tuples, sets and dicts built only from literals.
    """
    if expr is None:
        return _MISSING
    if isinstance(expr, cst.Integer | cst.Float | cst.Imaginary):
        return expr.evaluated_value
    if isinstance(expr, cst.SimpleString | cst.ConcatenatedString):
        value = expr.evaluated_value
        return _MISSING if value is None else value
    if isinstance(expr, cst.Name):
        return _NAMED_CONSTANTS.get(expr.value, _MISSING)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus | cst.Plus):
        return _signed(expr.operator, literal_value(expr.expression))
    if isinstance(expr, cst.List | cst.Tuple | cst.Set):
        return _collection(expr)
    if isinstance(expr, cst.Dict):
        return _dict(expr)
    return _MISSING


def _signed(operator: cst.BaseUnaryOp, inner: Any) -> Any:
    """`-x` / `+x` of a literal number `inner` (not a bool: `-True` is no literal)."""
    if isinstance(inner, int | float | complex) and not isinstance(inner, bool):
        return -inner if isinstance(operator, cst.Minus) else inner
    return _MISSING


def _collection(expr: cst.List | cst.Tuple | cst.Set) -> Any:
    """A list, tuple or (frozen) set of literals; `_MISSING` if an element is starred
    (`[*xs]`) or not a literal."""
    items = []
    for el in expr.elements:
        if not isinstance(el, cst.Element):
            return _MISSING
        v = literal_value(el.value)
        if v is _MISSING:
            return _MISSING
        items.append(v)
    if isinstance(expr, cst.List):
        return items
    return tuple(items) if isinstance(expr, cst.Tuple) else _freeze_set(items)


def _dict(expr: cst.Dict) -> Any:
    """A dict of literal keys and values; `_MISSING` for `{**d}`, a key or value that is not
    a literal, or an unhashable key."""
    out: dict[Any, Any] = {}
    for item in expr.elements:
        if not isinstance(item, cst.DictElement):
            return _MISSING
        k, v = literal_value(item.key), literal_value(item.value)
        if k is _MISSING or v is _MISSING:
            return _MISSING
        try:
            out[k] = v
        except TypeError:  # unhashable key such as a list: not a usable table
            return _MISSING
    return out


def _freeze_set(items: list[Any]) -> Any:
    try:
        return frozenset(items)
    except TypeError:
        return _MISSING


def is_docstring_stmt(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def body_statements(fn: cst.FunctionDef) -> tuple[cst.BaseStatement, ...]:
    """Statements of a function body (an inline `def f(): pass` gives its small statements)."""
    body = fn.body
    if isinstance(body, cst.IndentedBlock):
        return tuple(body.body)
    assert isinstance(body, cst.SimpleStatementSuite)
    return (cst.SimpleStatementLine(body=body.body),)


def call_name(call: cst.Call) -> str | None:
    """Dotted name of the called function (`print`, `doctest.testmod`), if simple."""
    parts: list[str] = []
    func: cst.BaseExpression = call.func
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if not isinstance(func, cst.Name):
        return None
    parts.append(func.value)
    return ".".join(reversed(parts))


def is_missing(value: Any) -> bool:
    return value is _MISSING
