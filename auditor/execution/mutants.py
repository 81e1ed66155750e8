"""First-order mutants of a candidate program (source in, sources out; nothing is run here).

Classic operators (as in mutmut / Cosmic Ray): swap an arithmetic or comparison operator
with its neighbour, and <-> or, drop a `not`, negate an `if`/`while` condition, shift an
integer constant by one, replace a returned value by None. Mutants are picked with a
seeded generator from all mutation points, so the same program gives the same mutants.

Canaries: the candidate runs in the process that measures it, so a program can tell it was
mutated (its code object changed, or it looks at its caller) and fail on purpose, which
makes every mutant look killed. `with_canaries` hides among the mutants some that compute
exactly what the program computes (a dead assignment somewhere in a function's body, of a
random fresh name or of a parameter to itself: the function's code changes, its results do
not); a canary that is "killed" is evidence of
such tampering (`auditor.execution.solo.tamper_evidence`), not of weak tests.
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import random
import re
from collections.abc import Iterator

MUTANTS_VERSION = "1"  # the canaries leave the real mutants and their order as they were
DEFAULT_MAX = 16

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BINOPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}
_CMPOPS: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _points(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """(node, operator name) for every place one mutation can be applied."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            yield node, "binop"
        elif isinstance(node, ast.Compare):
            yield from ((node, f"cmp{k}") for k, op in enumerate(node.ops) if type(op) in _CMPOPS)
        elif isinstance(node, ast.BoolOp):
            yield node, "boolop"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not"
        elif isinstance(node, ast.If | ast.While):
            yield node, "negate"
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, "int+1"
            yield node, "int-1"
        elif isinstance(node, ast.Return) and node.value is not None:
            yield node, "return-none"


def _apply(node: ast.AST, how: str) -> None:
    """Mutate `node` in place."""
    if how == "binop" and isinstance(node, ast.BinOp):
        node.op = _BINOPS[type(node.op)]()
    elif how.startswith("cmp") and isinstance(node, ast.Compare):
        k = int(how[3:])
        node.ops[k] = _CMPOPS[type(node.ops[k])]()
    elif how == "boolop" and isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif how == "not" and isinstance(node, ast.UnaryOp):
        node.op = ast.UAdd()  # +x: truthiness of x without the not, when x is a bool or int
        node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
    elif how == "negate" and isinstance(node, ast.If | ast.While):
        node.test = ast.UnaryOp(ast.Not(), node.test)
    elif how in ("int+1", "int-1") and isinstance(node, ast.Constant):
        if isinstance(node.value, int):
            node.value = node.value + (1 if how == "int+1" else -1)
    elif how == "return-none" and isinstance(node, ast.Return):
        node.value = ast.Constant(None)


def mutants(code: str, *, max_n: int = DEFAULT_MAX, seed: int = 0) -> tuple[str, ...]:
    """Up to `max_n` distinct first-order mutants of `code` (none if it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return ()
    points = list(enumerate(_points(tree)))
    random.Random(f"{MUTANTS_VERSION}/{seed}/{len(points)}").shuffle(points)
    original = ast.unparse(tree)
    out: dict[str, None] = {}
    for k, _ in points:
        if len(out) >= max_n:
            break
        copy = ast.parse(code)
        node, how = list(_points(copy))[k]
        _apply(node, how)
        ast.fix_missing_locations(copy)
        try:
            text = ast.unparse(copy)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, RecursionError):
            continue
        if text != original:
            out.setdefault(text, None)
    return tuple(out)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _fresh_name(rng: random.Random, taken: set[str]) -> str:
    """A random identifier that is no word of the source (no fixed prefix or shape)."""
    while True:
        name = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 9)))
        name += rng.choice(("", "", "_" + rng.choice(_LETTERS), str(rng.randint(0, 99))))
        if name not in taken and not keyword.iskeyword(name):
            return name


def _dead_statement(rng: random.Random, fn: ast.FunctionDef | ast.AsyncFunctionDef,
                    taken: set[str]) -> ast.stmt:  # fmt: skip
    """One equivalent statement, varied: a fresh local bound to a random constant, or a
    parameter bound to itself (new bytecode, the same results; no new name)."""
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    if params and rng.random() < 0.3:
        p = rng.choice(params)
        return ast.Assign([ast.Name(p, ast.Store())], ast.Name(p, ast.Load()))
    value = rng.choice((rng.randint(-9, 999), rng.choice(_LETTERS) * rng.randint(1, 4), None,
                        float(rng.randint(0, 99)) / 4, True, False))  # fmt: skip
    return ast.Assign([ast.Name(_fresh_name(rng, taken), ast.Store())], ast.Constant(value))


def _canary(code: str, tree: ast.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef,
            rng: random.Random) -> str:  # fmt: skip
    """The program with one equivalent statement (`_dead_statement`) in `fn`'s body: a
    parameter's self-binding first (before any rebinding of it), a fresh local anywhere
    among the body's statements (after its docstring: `__doc__` stays)."""
    taken = set(re.findall(r"\w+", code))
    stmt = _dead_statement(rng, fn, taken)
    body = fn.body
    first = (
        1
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
        else 0
    )
    self_binding = isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
    at = first if self_binding else rng.randint(first, max(first, len(body) - 1))
    body.insert(at, stmt)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)


def canaries(code: str, entry_point: str, *, max_n: int = 2, seed: int = 0) -> tuple[str, ...]:
    """Equivalent mutants of `code`: the entry point first, then other functions (at most
    `max_n`; none if it does not parse or defines no function). Their text is drawn from a
    generator seeded by `seed` and the code: no fixed name, statement or place for a
    program to recognise (red team, session 18: `_tN = 0` first in a body was)."""
    try:
        names = [n for n in ast.walk(ast.parse(code)) if isinstance(n, _FUNCS)]
    except (SyntaxError, ValueError, RecursionError):
        return ()
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
    rng = random.Random(f"canary-text/{seed}/{digest}")
    order = sorted(range(len(names)), key=lambda k: names[k].name != entry_point)
    out = []
    for k in order[:max_n]:
        tree = ast.parse(code)
        fn = [n for n in ast.walk(tree) if isinstance(n, _FUNCS)][k]
        text = _canary(code, tree, fn, rng)
        try:
            compile(text, "<canary>", "exec")
        except (SyntaxError, ValueError, RecursionError):
            continue
        out.append(text)
    return tuple(out)


def with_canaries(
    code: str, entry_point: str, real: tuple[str, ...], *, seed: int = 0
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(`real` with the canaries of `code` at seeded positions, those positions)."""
    hidden = canaries(code, entry_point, seed=seed)
    if not real or not hidden:
        return real, ()
    rng = random.Random(f"canary/{seed}/{len(real)}")
    slots = sorted(rng.sample(range(len(real) + len(hidden)), len(hidden)))
    left, fill, out = iter(real), iter(hidden), []
    for k in range(len(real) + len(hidden)):
        out.append(next(fill) if k in slots else next(left))
    return tuple(out), tuple(slots)
