"""The input domain the weak tests imply: per argument, its type, sizes and value ranges.

`infer_domain(base_inputs)` joins what every weak input shows at each position (argument,
list element, dict key/value, tuple slot) into a `Shape`; `in_domain(args, domain)` says
whether a generated input stays inside it. The limits are deliberately a little wider than
what was seen (one step beyond the tested range, a few more elements), because the missing
edge case or the off-by-one just past the tested range is what amplification is for, while
values far outside (negative where all were natural, unicode where all were ASCII letters,
10x the largest size) are where correct programs legitimately disagree or crash.

Strings keep their character classes (lower, upper, digit, space, punct, other) and, where
the weak strings are written in a few symbols of a notation class (brackets "<>" or "()",
binary digits, the "|" and "." of a music notation; letters stay whole), just those
symbols: a string of other punctuation given to a bracket matcher is outside its contract,
and correct programs split on it (one raises, another skips the character), which
consensus would read as a wrong minority.
Likewise arguments that have the same length in every weak input (two lists compared
element by element, two strings XORed bit by bit) keep it: unequal lengths break the
contract, not the program. And a list of lists whose rows had one length in every weak
value (a grid, a list of pairs) stays rectangular, one whose rows were as many as their
length (a determinant, a path in an N x N grid, a magic-square test) stays square, at any
list position, given 4 such values (`MATRIX_SEEDS`; three hand-written grids of one shape
were often chance): a ragged or oblong grid is where correct programs raise or stop early
at different places. On the shared corpora this decides the implied domain of HumanEval/129
and Mbpp/721 (square), HumanEval/115 and Mbpp/780 (rectangular); reports/execution/README.md
has what it changed there (nothing measurable: one of them has weak passers).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

# A container or string may grow to max(GROW_FACTOR * largest seen, largest seen + GROW_ADD).
GROW_FACTOR = 2
GROW_ADD = 4
# A class of at most this many distinct symbols is closed to others (see the module
# docstring) when the weak strings hold this many characters per distinct symbol: "<<><>>"
# and "0110" close theirs, a sentence (many letters, each seen a few times) does not.
CLOSED_MAX = 3
CLOSED_EVIDENCE = 4
# Notation closes (brackets, binary digits, a separator); letters do not: a few capitals
# seen in names ("Mary", "Sam") say nothing against other capitals, and closing them hid the
# upper-case vowels that caught false positives of a consonant counter (HumanEval/117).
CLOSABLE = frozenset({"punct", "digit", "space"})
# Arguments of equal length in this many weak inputs or more keep it (two could be chance).
# Three is chance about half the time (10 of 22 such tasks break the tie in their strong
# tests), but a chance tie only sends unequal lengths to the wide inputs, while a real one
# dropped splits correct programs (reports/execution/README.md, session 21).
SAME_LEN_SEEDS = 3
# A list of lists is rectangular (square) where this many values seen at its position had two
# or more non-empty rows, all of one length (as many as the rows), and none broke it; a
# single row or empty rows show nothing (one row is trivially rectangular). Four, one more
# than SAME_LEN_SEEDS: hand-written examples copy one shape, so three grids are often
# chance. Of the 20 MBPP+ tasks with 3 weak grids, all rectangular, the strong tests of 10
# hold ragged grids, and of the 5 square ones all hold oblong grids (a program that differs
# there is a false positive by the labels); the 4 tasks with 4 or more (HumanEval/115, /129,
# Mbpp/721, /780) keep the contract in every strong test (reports/execution/README.md).
MATRIX_SEEDS = 4


@dataclass(frozen=True)
class Shape:
    """What the weak inputs show at one position.

    `kind` is int, float, bool, str, none, list, tuple, set, dict or any (mixed types);
    `lo`/`hi` bound the numbers (numbers) or the lengths (str and containers);
    `items` holds the element shape (list, set), the slot shapes (tuple), or (key, value)
    shapes (dict); `chars` is the set of character classes seen in strings.
    """

    kind: str
    lo: float = 0.0
    hi: float = 0.0
    items: tuple[Shape, ...] = ()
    chars: frozenset[str] = frozenset()
    n: int = 1  # how many values were joined into this shape
    symbols: frozenset[str] = frozenset()  # the characters seen in strings
    n_chars: int = 0  # how many characters were seen in strings
    # top-level arguments only: the other arguments whose length this one's always equalled
    same_len: tuple[int, ...] = ()
    # lists of lists: how many values showed all rows of one length (as many as the rows),
    # or -1 once one did not (`tally`; see `rectangular`)
    n_rect: int = 0
    n_square: int = 0

    @cached_property
    def closed(self) -> frozenset[str]:
        """Character classes whose seen symbols are all a string may use (see the module
        docstring): at most CLOSED_MAX symbols of the class, among strings long enough to
        have shown more (CLOSED_EVIDENCE characters per distinct symbol seen)."""
        if self.n_chars < CLOSED_EVIDENCE * max(1, len(self.symbols)):
            return frozenset()
        seen: dict[str, int] = {}
        for ch in self.symbols:
            seen[char_class(ch)] = seen.get(char_class(ch), 0) + 1
        return frozenset(c for c, k in seen.items() if k <= CLOSED_MAX and c in CLOSABLE)

    def allows(self, ch: str) -> bool:
        """Whether a string at this position may hold `ch`."""
        cls = char_class(ch)
        return cls in self.chars and (cls not in self.closed or ch in self.symbols)

    @property
    def rectangular(self) -> bool:
        """A list whose rows must all have one length (MATRIX_SEEDS)."""
        return self.kind == "list" and self.n_rect >= MATRIX_SEEDS

    @property
    def square(self) -> bool:
        """A list of as many rows as each row has elements (MATRIX_SEEDS)."""
        return self.kind == "list" and self.n_square >= MATRIX_SEEDS

    @property
    def natural(self) -> bool:
        return self.lo >= 0

    def num_range(self) -> tuple[float, float]:
        """Allowed numbers: one span beyond the seen range each way, never across zero."""
        span = max(self.hi - self.lo, abs(self.hi), abs(self.lo), 10.0)
        lo, hi = self.lo - span, self.hi + span
        if self.lo >= 0:
            lo = max(lo, 0.0)
        if self.hi <= 0:
            hi = min(hi, 0.0)
        return lo, hi

    def len_range(self) -> tuple[int, int]:
        """Allowed lengths: down to one below the shortest seen, up to a grown largest."""
        lo = max(0, int(self.lo) - 1)
        hi = max(GROW_FACTOR * int(self.hi), int(self.hi) + GROW_ADD)
        return lo, hi


def char_class(ch: str) -> str:
    """A coarse class of a character: lower, upper, digit, space, punct or other."""
    if ch.isascii():
        if ch.islower():
            return "lower"
        if ch.isupper():
            return "upper"
        if ch.isdigit():
            return "digit"
        if ch.isspace():
            return "space"
        return "punct"
    return "space" if unicodedata.category(ch).startswith("Z") else "other"


def kind_of(value: Any) -> str:
    if value is None:
        return "none"
    kinds: tuple[tuple[Any, str], ...] = (
        (bool, "bool"),
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (list, "list"),
        (tuple, "tuple"),
        (set | frozenset, "set"),
        (dict, "dict"),
    )
    return next((name for t, name in kinds if isinstance(value, t)), "any")


def shape_of(value: Any, depth: int = 0) -> Shape:
    """The shape of a single value."""
    kind = kind_of(value)
    if kind in ("int", "float"):
        x = float(value) if math.isfinite(float(value)) else 0.0
        return Shape(kind, x, x)
    if kind == "str":
        chars = frozenset(map(char_class, value))
        return Shape(kind, len(value), len(value), chars=chars, symbols=frozenset(value),
                     n_chars=len(value))  # fmt: skip
    if kind in ("list", "set", "tuple", "dict") and depth < 6:
        items: tuple[Shape, ...] = ()
        if kind == "tuple":
            items = tuple(shape_of(v, depth + 1) for v in value)
        elif kind == "dict" and value:
            keys = join_all([shape_of(k, depth + 1) for k in value])
            vals = join_all([shape_of(v, depth + 1) for v in value.values()])
            items = (keys, vals)
        elif value:
            items = (join_all([shape_of(v, depth + 1) for v in value]),)
        rect, square = _grid(value) if kind == "list" else (0, 0)
        return Shape(kind, len(value), len(value), items, n_rect=rect, n_square=square)
    return Shape(kind)


def _grid(value: list[Any]) -> tuple[int, int]:
    """(rectangular, square) evidence of one list: 1 if it has two or more non-empty rows of
    one length (as many as the rows), 0 if it shows nothing (no rows, one row, only empty
    rows), -1 if it breaks it (an element that is no list, rows of different lengths; for
    square, a row count other than the row length: `[[]]` is one row of none)."""
    if not all(isinstance(r, list) for r in value):
        return -1, -1
    lengths = {len(r) for r in value}
    if len(lengths) > 1:
        return -1, -1
    if not value:
        return 0, 0
    shown = int(len(value) >= 2 and lengths != {0})
    return shown, shown if lengths == {len(value)} else -1


def tally(a: int, b: int) -> int:
    """Evidence joined: counts add up, one counter-example (-1) breaks it for good."""
    return -1 if a < 0 or b < 0 else a + b


def _join_items(a: Shape, b: Shape) -> tuple[Shape, ...]:
    if not a.items:
        return b.items
    if not b.items:
        return a.items
    if len(a.items) != len(b.items):  # tuples of different lengths: slots unknown
        return ()
    return tuple(join(x, y) for x, y in zip(a.items, b.items, strict=True))


def join(a: Shape, b: Shape) -> Shape:
    """The smallest shape covering both (int and float join to float, else mixed -> any)."""
    kinds = {a.kind, b.kind}
    if len(kinds) > 1:
        if kinds == {"int", "float"}:
            kind = "float"
        elif kinds <= {"int", "bool"}:
            kind = "int"
        else:
            return Shape("any", n=a.n + b.n)
        a, b = replace(a, kind=kind), replace(b, kind=kind)
    return Shape(
        a.kind,
        min(a.lo, b.lo),
        max(a.hi, b.hi),
        _join_items(a, b),
        a.chars | b.chars,
        a.n + b.n,
        a.symbols | b.symbols,
        a.n_chars + b.n_chars,
        n_rect=tally(a.n_rect, b.n_rect),
        n_square=tally(a.n_square, b.n_square),
    )


def join_all(shapes: Sequence[Shape]) -> Shape:
    out = shapes[0]
    for s in shapes[1:]:
        out = join(out, s)
    return out


def infer_domain(base_inputs: Sequence[Any]) -> tuple[Shape, ...]:
    """One shape per argument, joined over the weak inputs that have the common arity."""
    seeds = [list(s) for s in base_inputs if isinstance(s, list | tuple)]
    if not seeds:
        return ()
    arity = max({len(s) for s in seeds}, key=lambda k: sum(len(s) == k for s in seeds))
    seeds = [s for s in seeds if len(s) == arity]
    shapes = [join_all([shape_of(s[i]) for s in seeds]) for i in range(arity)]
    return tuple(
        replace(shape, same_len=_same_length(seeds, i)) if len(seeds) >= SAME_LEN_SEEDS else shape
        for i, shape in enumerate(shapes)
    )


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | set | frozenset | dict) else None


def _same_length(seeds: Sequence[Sequence[Any]], i: int) -> tuple[int, ...]:
    """The other positions whose value had argument i's length in every seed."""
    return tuple(
        j
        for j in range(len(seeds[0]))
        if j != i
        and all(_length(s[i]) is not None and _length(s[i]) == _length(s[j]) for s in seeds)
    )


def fits(value: Any, shape: Shape, depth: int = 0) -> bool:
    """Whether `value` stays in the domain `shape` implies (see the module docstring)."""
    kind = kind_of(value)
    if shape.kind == "any" or depth > 6:
        return True
    if kind != shape.kind and not (shape.kind == "float" and kind in ("int", "float")):
        return False
    if kind in ("int", "float"):
        lo, hi = shape.num_range()
        x = float(value)
        return not math.isfinite(x) or lo <= x <= hi
    if kind == "bool" or kind == "none":
        return True
    lo, hi = shape.len_range()
    if not lo <= len(value) <= hi:
        return False
    if kind == "str":
        return all(shape.allows(c) for c in value)
    return _grid_fits(value, shape) and _items_fit(value, shape, depth)


def _grid_fits(value: Any, shape: Shape) -> bool:
    """Rows of one length where the shape is rectangular, as many as the rows where square."""
    if not shape.rectangular or not value:
        return True
    lengths = {_length(r) for r in value}
    return len(lengths) == 1 and (not shape.square or lengths == {len(value)})


def _items_fit(value: Any, shape: Shape, depth: int) -> bool:
    if not shape.items:
        return True
    if shape.kind == "tuple":
        return len(value) == len(shape.items) and all(
            fits(v, s, depth + 1) for v, s in zip(value, shape.items, strict=True)
        )
    if shape.kind == "dict":
        k, v = shape.items
        return all(fits(a, k, depth + 1) and fits(b, v, depth + 1) for a, b in value.items())
    return all(fits(v, shape.items[0], depth + 1) for v in value)


def in_domain(args: Sequence[Any], domain: Sequence[Shape]) -> bool:
    """An argument list with the domain's arity whose every argument fits its shape, and
    whose arguments of one length in every weak input still have one length."""
    if len(args) != len(domain) or not all(fits(a, s) for a, s in zip(args, domain, strict=True)):
        return False
    return all(
        _length(args[i]) == _length(args[j]) for i, s in enumerate(domain) for j in s.same_len
    )
