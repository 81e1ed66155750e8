"""Input amplification without a reference: new inputs from the weak inputs alone.

Strategies (each deterministic under `seed`; none reads `plus_input` or a reference):
  boundary   one argument of a weak input replaced by a special value of its type
             (0, +-1, the seen extremes and one beyond, empty / one-element / duplicated /
             sorted / reversed containers, whitespace and case edits, nan/inf for floats)
  typed      values drawn per argument from the shape the weak inputs imply, refined by
             the prompt's type hints where the inputs say nothing (e.g. an empty list)
  mutation   `auditor.behavior.mutate` at a larger budget
  guided     mutation around the inputs on which the passers disagree (DiffTrust)
  wide       the boundary values and mutations the domain filter rejects (`wide`)
Every input but the wide ones goes through the domain filter (`domain.in_domain`); the wide
ones are compared only among themselves (`exec.wide_share`), never mixed into the in-domain
consensus. The run-time half of the validity filter (inputs on which most passers raise)
is in `auditor.execution.signals`.

Values are drawn with a seeded `random.Random`, not hypothesis: hypothesis draws are
driven by its engine inside `@given` (shrinking, a database, health checks), and
`.example()` is neither deterministic nor meant for generation; what is needed here is a
fixed, reproducible list of inputs per (task, seed), which a seeded generator gives simply.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from auditor.behavior.mutate import SIZE_CAP, input_key, probe_inputs, size
from auditor.execution.domain import Shape, char_class, in_domain, infer_domain

# 2: wide inputs; 3: closed alphabets, equal lengths; 4: rectangular / square lists of lists
AMPLIFY_VERSION = "4"


@dataclass(frozen=True)
class Amplified:
    """Generated inputs (argument lists) and the strategy that made each."""

    inputs: tuple[tuple[Any, ...], ...]
    origin: tuple[str, ...]


# The generators' seed text: kept when AMPLIFY_VERSION changes, so that a change of the
# strategies is measured on the same draws (a new draw of 16 typed inputs moves a task's
# within-task AUC by up to 0.5 where one lucky input was all that split a wrong cluster).
RNG_VERSION = "2"


def _rng(task_id: str, strategy: str, seed: int) -> random.Random:
    text = f"auditor.execution/{RNG_VERSION}/{strategy}/{seed}/{task_id}"
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


# -- boundary values ---------------------------------------------------------------------------
def _special_numbers(shape: Shape, like: Any) -> list[Any]:
    lo, hi = int(shape.lo), int(shape.hi)
    if shape.kind == "int":
        vals = [0, 1, -1, 2, lo, hi, lo - 1, hi + 1, like + 1, like - 1, -like, 2 * hi]
        return [int(v) for v in vals]
    vals = [0.0, 0.5, -0.5, 1.0, -1.0, shape.lo, shape.hi, shape.lo - 1, shape.hi + 1]
    return [*map(float, vals), math.nan, math.inf, -math.inf, 1e-9]


def _special_strings(like: str) -> list[str]:
    out = ["", " ", "a", "A", like + like, like[::-1], like.upper(), like.lower(), like.swapcase()]
    out += [f" {like}", f"{like} ", like.replace(" ", "  "), like + "\u00e9", "\u00e9"]
    if like:
        out += [like[:1], like[1:], like[:-1], like[0] * len(like), like + like[-1]]
    return out


def _special_sequences(like: Sequence[Any]) -> list[list[Any]]:
    xs = list(like)
    out: list[list[Any]] = [[], xs[:1], xs[:1] * 2, xs[::-1], xs + xs[:1], xs[:1] + xs, xs[1:]]
    out += [xs[:-1], xs + xs[-1:], xs[:1] * max(2, len(xs))]
    with contextlib.suppress(TypeError):  # unorderable elements
        out += [sorted(xs), sorted(xs, reverse=True)]
        out += [[min(xs)], [max(xs)]] if xs else []
    numbers = [v for v in xs if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(xs):  # all-negative, with zeros, without the first
        out += [[-v for v in xs], [0 * v for v in xs], [v - max(xs) - 1 for v in xs]]
    return out


def _special_grids(like: list[Any]) -> list[list[Any]]:
    """Edits of a rectangular list of lists that keep it so (and square ones square): the
    transpose, the rows mirrored, the last row and column dropped or repeated, one cell; the
    row edits of `_special_sequences` would make a square one oblong."""
    rows = [list(r) for r in like]
    if not rows or not rows[0]:
        return []
    transposed = [list(c) for c in zip(*rows, strict=True)]
    shrunk = [r[:-1] for r in rows[:-1]]  # n-1 x n-1
    grown = [[*r, r[-1]] for r in [*rows, rows[-1]]]  # n+1 x n+1
    narrower, wider = [r[:-1] for r in rows], [[*r, r[-1]] for r in rows]  # oblong if square
    return [transposed, [r[::-1] for r in rows], rows[::-1], [[rows[0][0]]], shrunk, grown,
            narrower, wider]  # fmt: skip


def specials(shape: Shape, like: Any) -> list[Any]:
    """Special values of `like`'s type, built from `like` (a value seen at that position)."""
    if (
        shape.kind in ("int", "float")
        and isinstance(like, int | float)
        and not isinstance(like, bool)
    ):
        return _special_numbers(shape, like)
    if shape.kind == "bool":
        return [True, False]
    if isinstance(like, str):
        return _special_strings(like)
    if isinstance(like, list):
        return _special_sequences(like) + (_special_grids(like) if shape.rectangular else [])
    if isinstance(like, set | frozenset):
        return [type(like)(s) for s in ([], list(like)[:1])]
    if isinstance(like, dict):
        return [{}, dict(list(like.items())[:1])]
    return []


def boundary_inputs(base: Sequence[Sequence[Any]], domain: Sequence[Shape]) -> Iterator[list[Any]]:
    """Each weak input with one argument swapped for each of its special values."""
    for seed in base:
        for i, shape in enumerate(domain):
            for value in specials(shape, seed[i]):
                yield [*seed[:i], value, *seed[i + 1 :]]


# -- typed random values -----------------------------------------------------------------------
def draw(shape: Shape, rng: random.Random, depth: int = 0, length: int | None = None) -> Any:
    """A random value inside `shape`'s domain (None where the shape says too little), of
    `length` when given (strings and containers)."""
    kind = shape.kind
    if kind in ("int", "float"):
        lo, hi = shape.num_range()
        lo, hi = (lo, hi) if rng.random() < 0.3 else (shape.lo, shape.hi)
        return rng.randint(math.ceil(lo), math.floor(hi)) if kind == "int" else rng.uniform(lo, hi)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "str":
        lo, hi = shape.len_range()
        alphabet = _alphabet(shape)
        n = rng.randint(lo, min(hi, 40)) if length is None else length
        return "".join(rng.choice(alphabet) for _ in range(n))
    if kind == "tuple" and shape.items and depth < 5:
        return tuple(draw(s, rng, depth + 1) for s in shape.items)
    if shape.rectangular and shape.items and depth < 5:
        return _draw_grid(shape, rng, depth, length)
    if kind in ("list", "set", "dict") and shape.items and depth < 5:
        lo, hi = shape.len_range()
        n = rng.randint(lo, min(hi, 30)) if length is None else length
        if kind == "dict":
            return {draw(shape.items[0], rng, depth + 1): draw(shape.items[1], rng, depth + 1)
                    for _ in range(n)}  # fmt: skip
        items = [draw(shape.items[0], rng, depth + 1) for _ in range(n)]
        return items if kind == "list" else set(items)
    return None


def _draw_grid(shape: Shape, rng: random.Random, depth: int, length: int | None) -> list[Any]:
    """A rectangular list of lists inside `shape` (square where it is square): every row
    drawn at one length, within both the row count's and the row length's ranges."""
    row = shape.items[0]
    (lo, hi), (row_lo, row_hi) = shape.len_range(), row.len_range()
    if shape.square:  # as many rows as a row may be long
        lo, hi = max(lo, row_lo), min(hi, row_hi)
    n = rng.randint(lo, max(lo, min(hi, 30))) if length is None else length
    cols = n if shape.square else rng.randint(row_lo, min(row_hi, 30))
    return [draw(row, rng, depth + 1, length=cols) for _ in range(n)]


_ALPHABETS = {
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "digit": "0123456789",
    "space": " ",
    "punct": ".,;:!?-_'()",
    "other": "\u00e9\u00df\u4e2d",
}


def _alphabet(shape: Shape) -> str:
    """What typed strings are drawn from: each seen class, or its seen symbols when closed."""
    closed = shape.closed
    picks = [
        "".join(sorted(ch for ch in shape.symbols if char_class(ch) == c))
        if c in closed
        else _ALPHABETS[c]
        for c in sorted(shape.chars)
    ]
    return "".join(picks) or "a"


_HINTS = {"int": "int", "float": "float", "str": "str", "bool": "bool"}


def _hint_shape(node: ast.expr | None) -> Shape | None:
    """A shape for a simple annotation (int, float, str, bool, List[...], list[...])."""
    if isinstance(node, ast.Name) and node.id in _HINTS:
        kind = _HINTS[node.id]
        hi = {"int": 10.0, "float": 10.0, "str": 5.0}.get(kind, 0.0)
        return Shape(kind, 0.0, hi, chars=frozenset({"lower"}) if kind == "str" else frozenset())
    containers = ("List", "list", "Set", "set")
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in containers
    ):
        inner = _hint_shape(node.slice)
        kind = "list" if node.value.id.lower() == "list" else "set"
        return Shape(kind, 0.0, 5.0, (inner,)) if inner else None
    return None


def hint_domain(prompt: str, entry_point: str) -> tuple[Shape | None, ...]:
    """Per-argument shapes from the entry point's annotations in the prompt (None: unknown)."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return tuple(_hint_shape(a.annotation) for a in node.args.args)
    return ()


def refine(domain: Sequence[Shape], hints: Sequence[Shape | None]) -> tuple[Shape, ...]:
    """Fill element shapes the weak inputs left unknown (only empty containers seen)."""
    out = list(domain)
    for i, (seen, hint) in enumerate(zip(domain, hints, strict=False)):
        if hint is not None and seen.kind == hint.kind and not seen.items and hint.items:
            out[i] = replace(seen, hi=max(seen.hi, hint.hi), items=hint.items)
    return tuple(out)


def typed_inputs(domain: Sequence[Shape], rng: random.Random) -> Iterator[list[Any]]:
    """An endless stream of argument lists drawn inside the domain (an argument tied to an
    earlier one's length, `Shape.same_len`, is drawn at that length)."""
    while True:
        args: list[Any] = []
        for i, shape in enumerate(domain):
            tied = [j for j in shape.same_len if j < i and isinstance(args[j], str | list)]
            args.append(draw(shape, rng, length=len(args[tied[0]]) if tied else None))
        yield args


# -- assembling --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    """How many inputs each strategy may contribute (after filtering and dedupe)."""

    boundary: int = 48
    typed: int = 16
    mutation: int = 48
    guided: int = 32
    wide: int = 48


def _take(
    stream: Iterator[Sequence[Any]],
    n: int,
    domain: Sequence[Shape],
    seen: set[str],
    tries: int,
    inside: bool = True,
) -> list[tuple[Any, ...]]:
    """Up to `n` new, not oversized inputs from `stream` (at most `tries` looked at), in the
    domain (`inside`) or outside it."""
    out: list[tuple[Any, ...]] = []
    for _, args in zip(range(tries), stream, strict=False):
        if len(out) >= n:
            break
        key = input_key(list(args))
        if key in seen or in_domain(args, domain) != inside or size(args, SIZE_CAP + 1) > SIZE_CAP:
            continue
        seen.add(key)
        out.append(tuple(args))
    return out


def _spread(items: list[tuple[Any, ...]], n: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """`n` of `items` spread over the list (a seeded sample kept in order)."""
    if len(items) <= n:
        return items
    keep = sorted(rng.sample(range(len(items)), n))
    return [items[k] for k in keep]


def _has_grid(shape: Shape) -> bool:
    """Whether a rectangular list of lists sits at `shape` or inside it."""
    return shape.rectangular or any(map(_has_grid, shape.items))


def amplify(
    task_id: str,
    base_inputs: Sequence[Any],
    *,
    prompt: str = "",
    entry_point: str = "",
    budget: Budget | None = None,
    seed: int = 0,
) -> Amplified:
    """Boundary, typed and mutated inputs inside the domain the weak inputs imply."""
    budget = budget or Budget()
    base = [list(s) for s in base_inputs if isinstance(s, list | tuple)]
    domain = refine(infer_domain(base), hint_domain(prompt, entry_point))
    base = [s for s in base if len(s) == len(domain)]
    if not base:
        return Amplified((), ())
    seen = {input_key(s) for s in base}
    rng = _rng(task_id, "boundary", seed)
    bound = _spread(_take(boundary_inputs(base, domain), 10**6, domain, seen, 20000),
                    budget.boundary, rng)  # fmt: skip
    seen = {input_key(s) for s in base} | {input_key(list(s)) for s in bound}
    typed = _take(typed_inputs(domain, _rng(task_id, "typed", seed)), budget.typed, domain, seen,
                  budget.typed * 20)  # fmt: skip
    # a mutation that adds or drops one cell leaves a grid, so grids look at more of them
    # (a longer stream starts with the shorter one: the first ones stay)
    tries = budget.mutation * (8 if any(map(_has_grid, domain)) else 2)
    mutated = probe_inputs(f"{task_id}#{seed}", base, tries)
    mut = _take(iter(mutated), budget.mutation, domain, seen, len(mutated))
    inputs = bound + typed + mut
    origin = ["boundary"] * len(bound) + ["typed"] * len(typed) + ["mutation"] * len(mut)
    return Amplified(tuple(inputs), tuple(origin))


def guided(
    task_id: str,
    splitting: Sequence[Sequence[Any]],
    base_inputs: Sequence[Any],
    known: Sequence[Sequence[Any]],
    *,
    n: int,
    seed: int = 0,
) -> tuple[tuple[Any, ...], ...]:
    """Up to `n` new in-domain inputs mutated from the inputs that split the passers."""
    if not splitting or n <= 0:
        return ()
    domain = infer_domain([list(s) for s in base_inputs if isinstance(s, list | tuple)])
    seen = {input_key(list(s)) for s in (*base_inputs, *known)}
    mutated = probe_inputs(f"{task_id}#guided#{seed}", [list(s) for s in splitting], n * 3)
    return tuple(_take(iter(mutated), n, domain, seen, len(mutated)))


def wide(
    task_id: str,
    base_inputs: Sequence[Any],
    *,
    prompt: str = "",
    entry_point: str = "",
    n: int = 48,
    seed: int = 0,
) -> tuple[tuple[Any, ...], ...]:
    """Up to `n` inputs OUTSIDE the domain the weak inputs imply: boundary values and
    mutations that `in_domain` rejects (a negative where all were natural, a longer list).

    Correct programs may disagree there (the task may not define them), so these inputs
    never join the in-domain consensus; but the mistake of a wrong program often lives just
    there (a running maximum started at 0 shows on negative numbers only), and within a
    cluster of programs that agree in the domain, the ones that also agree with their peers
    outside it are the likelier correct ones (reports/execution/README.md)."""
    base = [list(s) for s in base_inputs if isinstance(s, list | tuple)]
    domain = refine(infer_domain(base), hint_domain(prompt, entry_point))
    base = [s for s in base if len(s) == len(domain)]
    if not base or n <= 0:
        return ()
    stream = [*islice(boundary_inputs(base, domain), 20000),
              *probe_inputs(f"{task_id}#wide#{seed}", base, 4 * n)]  # fmt: skip
    seen = {input_key(s) for s in base}
    out = _take(iter(stream), len(stream), domain, seen, len(stream), inside=False)
    return tuple(_spread(out, n, _rng(task_id, "wide", seed)))
