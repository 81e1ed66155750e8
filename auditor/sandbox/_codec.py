"""The value format between sandboxed children and the trusted worker (stdlib only, no pickle).

A value becomes a JSON document in which JSON objects only ever appear as one-key type tags:
plain lists, str, bool, None, floats (NaN and +-Infinity included) and ints up to ~3000 digits
are native JSON; tuples, sets, frozensets, dicts (any hashable keys), bytes, bytearray,
complex, big ints and numpy arrays/scalars (numeric and bool dtypes) are tagged; the
standard library's `Counter`, `defaultdict` and `OrderedDict` cross as the dicts they
compare equal to (references return them: MBPP+'s Mbpp/88 returns a `Counter`). Anything
else, subclasses of the plain types included, is "opaque": only its type name crosses, and
the worker counts such an output as a failure (an object's `__eq__` is never consulted).

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
from typing import Any

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


class Opaque:
    """An output that is not plain data (only its type name crossed the boundary)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<opaque {self.name}>"


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


def _tree(x: Any, depth: int = 0, fast: bool = True) -> Any:
    """The JSON-able tagged tree of `x` (see the module docstring); `fast` leaves lists of
    scalars as they are (json then refuses an int of more than 4300 digits among them)."""
    if depth > MAX_DEPTH:
        raise Unencodable("output nested too deeply")
    t = type(x)
    if t is int:
        return x if x.bit_length() < _NATIVE_INT_BITS else {"h": hex(x)}
    if t in _SCALARS:
        return x
    if t is list:
        if fast and set(map(type, x)) <= _SCALARS:
            return x
        return [_tree(v, depth + 1, fast) for v in x]
    if t is tuple:
        return {"t": [_tree(v, depth + 1, fast) for v in x]}
    if t is set or t is frozenset:
        return {"s" if t is set else "f": [_tree(v, depth + 1, fast) for v in x]}
    if t is dict or t is _COUNTER or t is _DEFAULT or t is _ORDERED:  # identity: no __eq__
        items = dict.items(x)
        return {"d": [[_tree(k, depth + 1, fast), _tree(v, depth + 1, fast)] for k, v in items]}
    if t is bytes or t is bytearray:
        return {"b" if t is bytes else "ba": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray | np.generic):
        return _numpy_tree(x, np, depth)
    return {"o": str(getattr(t, "__name__", "?"))[:60]}


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
