"""The value format between sandboxed children and the trusted worker (stdlib only, no pickle).

A value becomes a JSON document in which JSON objects only ever appear as one-key type tags:
plain lists, str, bool, None, floats (NaN and +-Infinity included) and ints up to ~3000 digits
are native JSON; tuples, sets, frozensets, dicts (any hashable keys), bytes, bytearray,
complex, big ints and numpy arrays/scalars (numeric and bool dtypes) are tagged; the
standard library's `Counter`, `defaultdict` and `OrderedDict` cross as the dicts they
compare equal to (references return them: MBPP+'s Mbpp/88 returns a `Counter`). Anything
else, subclasses of the plain types included, is "opaque": only its type name crosses, and
the worker counts such an output as a failure (an object's `__eq__` is never consulted).

`Carry(x)` asks for more: `x` crosses as what Python's `==` sees of it against plain data,
for `check`'s judgement of an assert's `==` on the trusted side (`verify`). Inside it, a
subclass of a plain type that keeps its base's `__eq__` and `__hash__` (a namedtuple, an
`IntEnum`, `class T(tuple): pass`) crosses as the base's value; a `Fraction` (tag "fr", its
numerator and denominator), a `Decimal` ("dm", its text) and a dict's keys or items view
("dk", "di") cross as themselves and decode to the same standard type; an object whose
`==` is identity, or is False against any plain value (a generator, a dict's values view, a
`deque`, a `range`, a `date`), stays opaque ("o"); any other object ("u": a dataclass, a
class with an `__eq__` of its own) decodes to `OpaqueEq`, whose equality is not known here.
The child's word is only a claim: a value it can claim is one it could have returned.

Decoding untrusted text is bounded: the caller caps its size, the number of values in it is
capped (MAX_VALUES: 32 MiB of `[],` decodes to 900 MiB of lists otherwise), JSON nesting
is capped by the decoder's recursion guard, big ints are hex (linear to parse) and every
error is a ValueError.
This file is imported inside the sandbox (to encode outputs, decode inputs) and by the
worker (to decode outputs): it must stay small and stdlib only.
"""

from __future__ import annotations

import collections
import json
import math
import sys
from typing import Any, NamedTuple

MAX_DEPTH = 200
# Values one text may hold (its commas, brackets and braces, strings' included): a list of
# 4M ints is 150-250 MB decoded, far beyond any benchmark's output, far below the machine.
MAX_VALUES = 4_000_000
_NATIVE_INT_BITS = 9000  # json writes ints below this as decimal, larger ones as hex
_HEX_CAP = 1 << 20  # hex digits of one big int the decoder accepts
_SEP = (",", ":")
# Comparisons of keys with equal hashes a set, frozenset or dict may cost per key
# (`hashed`): colliding groups of a few dozen pass (hash(-1) == hash(-2); the powers of two
# below 2**3000 hash to 61 values), a group of thousands does not.
_HASH_COST, _HASH_SLACK = 32, 10_000
_SCALARS = frozenset({int, float, str, bool, type(None)})
# Taken before any program runs (a program may rebind the module's names); their items are
# read with dict's own method, whatever the class was patched with.
_COUNTER, _DEFAULT, _ORDERED = collections.Counter, collections.defaultdict, collections.OrderedDict
# Inside a `Carry`: the plain types a subclass crosses as, the `__eq__`s that compare its
# instances with plain data as the base's does (a Counter's or an OrderedDict's `==` with a
# plain dict is dict's), and how the base's value is read past the subclass's own methods.
_KEYS: type = type({}.keys())
_ITEMS: type = type({}.items())
_ODICT_VIEWS: tuple[type, type] = (type(_ORDERED().keys()), type(_ORDERED().items()))


class _Base(NamedTuple):
    base: type
    eqs: tuple[Any, ...]
    value: Any


_BASES = (
    _Base(int, (int.__eq__,), int.__int__),
    _Base(float, (float.__eq__,), float.__float__),
    _Base(complex, (complex.__eq__,), complex.__complex__),
    _Base(str, (str.__eq__,), str.__str__),
    _Base(bytes, (bytes.__eq__,), bytes.__bytes__),
    _Base(bytearray, (bytearray.__eq__,), bytearray),
    _Base(tuple, (tuple.__eq__,), lambda x: tuple(tuple.__iter__(x))),
    _Base(list, (list.__eq__,), lambda x: list(list.__iter__(x))),
    _Base(set, (set.__eq__,), lambda x: set(set.__iter__(x))),
    _Base(frozenset, (frozenset.__eq__,), lambda x: frozenset(frozenset.__iter__(x))),
    _Base(dict, (dict.__eq__, _COUNTER.__eq__, _ORDERED.__eq__), lambda x: dict(dict.items(x))),
)
# Standard types whose `==` against any plain value is False (as identity's is).
_NEVER_PLAIN = (collections.deque, range)
_DATETIME = ("date", "datetime", "time", "timedelta", "timezone")
# Bits of a Fraction's numerator times its denominator's: normalizing one costs about their
# product (2**24: 40 us), and a decoded value may hold thousands.
_FRACTION_COST = 1 << 24


class Opaque:
    """An output that is not plain data (only its type name crossed the boundary)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<opaque {self.name}>"


class OpaqueEq(Opaque):
    """An opaque output whose type has an `==` of its own: whether it equals a value is not
    known on this side (see `Carry`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<opaque {self.name} with its own ==>"


class Carry:
    """A value to cross as what `==` sees of it (see the module docstring)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Carry({self.value!r})"


class Unencodable(Exception):
    """The value is too deep to send."""


def _numpy_tree(x: Any, np: Any, depth: int) -> Any:
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biufc" or x.dtype.byteorder not in "=|<":
            return {"o": "ndarray"}
        return {"nd": [x.dtype.str, list(x.shape), _tree(x.ravel().tolist(), depth + 1)]}
    if x.dtype.kind not in "biufc":
        return {"o": type(x).__name__}
    return {"ng": [x.dtype.str, _tree(x.item(), depth + 1)]}


def _tree(x: Any, depth: int = 0, fast: bool = True, carry: bool = False) -> Any:
    """The JSON-able tagged tree of `x` (see the module docstring); `fast` leaves lists of
    scalars as they are (json then refuses an int of more than 4300 digits among them);
    `carry`: inside a `Carry`."""
    if depth > MAX_DEPTH:
        raise Unencodable("output nested too deeply")
    t, down = type(x), depth + 1
    if t is int:
        return x if x.bit_length() < _NATIVE_INT_BITS else {"h": hex(x)}
    if t in _SCALARS:
        return x
    if t is list:
        if fast and set(map(type, x)) <= _SCALARS:
            return x
        return [_tree(v, down, fast, carry) for v in x]
    if t is tuple:
        return {"t": [_tree(v, down, fast, carry) for v in x]}
    if t is set or t is frozenset:
        return {"s" if t is set else "f": [_tree(v, down, fast, carry) for v in x]}
    if t is dict or t is _COUNTER or t is _DEFAULT or t is _ORDERED:  # identity: no __eq__
        items = dict.items(x)
        return {"d": [[_tree(k, down, fast, carry), _tree(v, down, fast, carry)] for k, v in items]}
    if t is bytes or t is bytearray:
        return {"b" if t is bytes else "ba": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}
    if t is Carry:
        return {"e": _tree(x.value, down, fast, True)}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray | np.generic):
        return _numpy_tree(x, np, depth)
    if carry:
        return _carried(x, t, down, fast)
    return {"o": _name(t)}


def _name(t: type) -> str:
    return str(getattr(t, "__name__", "?"))[:60]


def _carried(x: Any, t: type, depth: int, fast: bool) -> Any:
    """The tree of `x`, not plain data, inside a `Carry` (see the module docstring)."""
    if t is Opaque or t is OpaqueEq:  # a decoded value sent on keeps what it was
        return {"o" if t is Opaque else "u": x.name}
    eq = getattr(t, "__eq__", None)
    for b in _BASES:
        if issubclass(t, b.base) and any(eq is e for e in b.eqs) and t.__hash__ is b.base.__hash__:
            return _tree(b.value(x), depth, fast, True)
    if t is _KEYS or t is _ITEMS or t in _ODICT_VIEWS:
        tag = "dk" if t is _KEYS or t is _ODICT_VIEWS[0] else "di"
        return {tag: [_tree(list(v) if tag == "di" else v, depth, fast, True) for v in x]}
    fractions, decimal = sys.modules.get("fractions"), sys.modules.get("decimal")
    if fractions is not None and t is fractions.Fraction:
        return {"fr": [_tree(x.numerator, depth), _tree(x.denominator, depth)]}
    if decimal is not None and t is decimal.Decimal:
        return {"dm": str(x)}
    dt = sys.modules.get("datetime")
    never = t in _NEVER_PLAIN or (dt is not None and t in [getattr(dt, n, 0) for n in _DATETIME])
    return {"o" if never or eq is object.__eq__ else "u": _name(t)}


def dumps(x: Any) -> bytes:
    """Encode `x`; raises Unencodable (too deep) or ValueError."""
    try:
        text = _ENCODER.encode(_tree(x))
    except ValueError:  # a huge int in a list of scalars: tag every int
        text = _ENCODER.encode(_tree(x, fast=False))
    return text.encode("ascii")


def listed_size(shape: tuple[int, ...]) -> int:
    """Values plus the lists `tolist` builds for an array of `shape`: one per index of
    every leading prefix of it, so a zero anywhere but first still lists the dimensions
    before it ((10**3, 10**3, 10**3, 0, 1) holds nothing and lists 10**9 empty lists)."""
    total, prefix = math.prod(shape), 1
    for n in shape:
        total += prefix  # the lists of this depth: one per index of the dimensions before
        prefix *= n
    return total


def _numpy_value(tag: str, body: Any) -> Any:
    import numpy as np  # only the worker decodes numpy values

    dtype = np.dtype(body[0])
    if dtype.kind not in "biufc":
        raise ValueError("bad dtype")
    if tag == "ng":
        return dtype.type(body[1])
    shape = tuple(int(n) for n in body[1])
    if len(shape) > 32 or min(shape, default=0) < 0 or listed_size(shape) > MAX_VALUES:
        raise ValueError("bad shape")  # (4M, 0) is 29 bytes and 4M lists once listed
    return np.array(body[2], dtype=dtype).reshape(shape)


def hashed(keys: Any) -> Any:
    """`keys` once a hash table of them is known to be cheap to build. The table compares
    each key with the distinct keys of equal hash before it, so `{0, P, 2P, ...}` (P =
    2**61 - 1: every hash 0) took hours in one C call for 25 MB (red team, session 18).
    Those comparisons are made here first, within a budget linear in the number of keys;
    equal keys (a list's repeats, for a set built from one) cost one each. The groups are
    found in linear time: the hashes are ints, and distinct ints' hashes collide at most 8
    ways in 64 bits."""
    if not isinstance(keys, list):
        raise ValueError("bad container")
    budget = _HASH_COST * len(keys) + _HASH_SLACK
    sizes = collections.Counter(map(hash, keys))  # TypeError (unhashable) -> ValueError
    if sum(g * (g - 1) // 2 for g in sizes.values()) <= budget:
        return keys  # cheap even if no two keys of a group were equal
    groups: dict[int, list[Any]] = {}
    for key in keys:
        same = groups.setdefault(hash(key), [])
        for other in same:
            budget -= 1
            if other is key or other == key:
                break
        else:
            same.append(key)
        if budget < 0:
            raise ValueError("colliding hashes")
    return keys


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise ValueError("bad tag")
    ((tag, body),) = obj.items()
    if tag == "t":
        return tuple(body)
    if tag == "s":
        return set(hashed(body))
    if tag == "f":
        return frozenset(hashed(body))
    if tag == "d":
        if not isinstance(body, list) or any(type(kv) is not list or len(kv) != 2 for kv in body):
            raise ValueError("bad dict")
        hashed([k for k, _ in body])
        return {k: v for k, v in body}
    if tag == "b":
        return bytes.fromhex(body)
    if tag == "ba":
        return bytearray.fromhex(body)
    if tag == "c":
        return complex(float(body[0]), float(body[1]))
    if tag == "h":
        if not isinstance(body, str) or len(body) > _HEX_CAP:
            raise ValueError("bad big int")
        return int(body, 16)
    if tag in ("nd", "ng"):
        return _numpy_value(tag, body)
    if tag == "o":
        return Opaque(str(body)[:60])
    if tag == "e":
        return Carry(body)
    if tag == "u":
        return OpaqueEq(str(body)[:60])
    return _carried_value(tag, body)


def _carried_value(tag: str, body: Any) -> Any:
    """A value of a standard type that crossed inside a `Carry`, built on this side."""
    if tag == "dk":
        return dict.fromkeys(hashed(body)).keys()
    if tag == "di":
        return _hook({"d": body}).items()
    if tag == "fr":
        from fractions import Fraction

        n, d = body
        if type(n) is not int or type(d) is not int or d == 0:
            raise ValueError("bad fraction")
        if n.bit_length() * d.bit_length() > _FRACTION_COST:
            return OpaqueEq("Fraction")  # too costly to normalize: not judged
        return Fraction(n, d)
    if tag == "dm":
        from decimal import Decimal

        if not isinstance(body, str):
            raise ValueError("bad decimal")
        if len(body) > _HEX_CAP:
            return OpaqueEq("Decimal")  # too long to judge
        try:
            return Decimal(body)
        except ArithmeticError:  # decimal.InvalidOperation
            raise ValueError("bad decimal") from None
    raise ValueError("unknown tag")


def loads(data: bytes | str) -> Any:
    """Decode what `dumps` wrote; any malformed input raises ValueError."""
    try:  # as json.loads reads bytes
        text = (
            data
            if isinstance(data, str)
            else data.decode(json.detect_encoding(data), "surrogatepass")
        )
        if text.count(",") + text.count("[") + text.count("{") > MAX_VALUES:
            raise ValueError("too many values")
        return _DECODER.decode(text)
    except ValueError:
        raise
    except (TypeError, KeyError, IndexError, AttributeError, RecursionError, OverflowError) as e:
        raise ValueError(f"malformed value: {type(e).__name__}") from None


# One of each, made once: `json.dumps`/`json.loads` with arguments build a new one per call,
# which cost more than the encoding of a small value (one per input in the sandbox).
_ENCODER = json.JSONEncoder(separators=_SEP, ensure_ascii=True)
_DECODER = json.JSONDecoder(object_hook=_hook)
