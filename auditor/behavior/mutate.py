"""Deterministic, type-aware mutation of a task's weak-test inputs into probe inputs.

Like EvalPlus's TypedMutGen (gen/type_mut.py) but only mutation of existing inputs, small,
and reproducible: the random stream is seeded from a sha256 of the task id, never from
Python's salted `hash()`. Every probe keeps the arity of its seed and the type of each
argument (ints stay ints, lists stay lists, list elements come from the same position in
the task's inputs). Values stay close to the seeds (ints +-small, strings edited with their
own characters, lists with their own elements) so probes mostly stay inside the task's
input domain, where correct programs agree. No contract or reference is consulted.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

MUTATOR_VERSION = "1"
DEFAULT_N = 24
# Size of a probe (leaves + string characters, see `size`); a probe may reach its seed's
# size when the seed is larger.
SIZE_CAP = 400
MAX_STEPS = 3  # mutation steps applied to one seed (1..MAX_STEPS)
_ATTEMPTS_PER_PROBE = 12

Path = tuple[Any, ...]  # (argument index, "e" | "k" | "v", ...): where a value sits


def stable_seed(task_id: str) -> int:
    """A seed from the task id that is the same in every process and Python version."""
    digest = hashlib.sha256(f"auditor.behavior/{MUTATOR_VERSION}/{task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def size(value: Any, budget: int = 1 << 20) -> int:
    """Leaves plus string/bytes characters plus containers, capped at `budget`."""
    total = 0
    stack = [value]
    while stack and total < budget:
        x = stack.pop()
        total += 1
        if isinstance(x, str | bytes):
            total += len(x)
        elif isinstance(x, list | tuple | set | frozenset):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
    return min(total, budget)


# repr of an int past 4300 digits raises, and numpy's repr of an array past 1000 elements
# elides its middle: values holding either are keyed by `_exact_text`. Ints below this many
# bits are well within repr's limit.
_REPR_INT_BITS = 14_000


def _repr_is_exact(value: Any) -> bool:
    """Whether `repr(value)` is total and exact: no numpy value, no int past the limit."""
    stack = [value]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is int:
            if x.bit_length() > _REPR_INT_BITS:
                return False
        elif t is list or t is tuple or t is set or t is frozenset:
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(dict.keys(x))
            stack.extend(dict.values(x))
        elif getattr(t, "__module__", "") == "numpy":
            return False
    return True


def _exact_text(x: Any) -> str:
    """repr's form with every int past the limit in hex and numpy values in full (dtype,
    shape and every element); depth is bounded by the value format's (200)."""
    t = type(x)
    if t is int:
        return hex(x) if x.bit_length() > _REPR_INT_BITS else repr(x)
    if t is list or t is tuple:
        inner = ",".join(map(_exact_text, x))
        return f"[{inner}]" if t is list else f"({inner},)"
    if t is set or t is frozenset:
        return f"{t.__name__}({{{','.join(map(_exact_text, x))}}})"
    if isinstance(x, dict):
        items = ",".join(f"{_exact_text(k)}:{_exact_text(v)}" for k, v in dict.items(x))
        return f"{t.__name__}({{{items}}})"
    if getattr(t, "__module__", "") == "numpy" and hasattr(x, "tolist"):
        shape = getattr(x, "shape", ())
        return f"np.{t.__name__}({x.dtype.str},{shape},{_exact_text(x.tolist())})"
    return repr(x)


def input_key(value: Any) -> str:
    """Exact, deterministic text of an input for dedupe and hashing: its repr (type-tagged)
    where that is exact, else "x:" and `_exact_text` (no repr starts so). Total for every
    value the sandbox's value format decodes: a candidate's output `2**20000` in a property
    query crashed a whole `check` run (red team, session 18)."""
    if _repr_is_exact(value):
        return repr(value)
    return "x:" + _exact_text(value)


class _Pool:
    """Values seen in the base inputs, by path (for same-type insertions) and by type."""

    def __init__(self, base_inputs: Sequence[Any]) -> None:
        self.by_path: dict[Path, list[Any]] = {}
        self.by_type: dict[type, list[Any]] = {}
        self.chars: list[str] = []
        seen_chars: set[str] = set()
        budget = [20000]
        for inp in base_inputs:
            args = inp if isinstance(inp, list | tuple) else (inp,)
            for i, arg in enumerate(args):
                self._add((i,), arg, budget, seen_chars)
        for values in (*self.by_path.values(), *self.by_type.values()):
            self._dedupe(values)

    @staticmethod
    def _dedupe(values: list[Any]) -> None:
        unique = {input_key(v): v for v in values}
        values[:] = [unique[k] for k in sorted(unique)]

    def _add(self, path: Path, value: Any, budget: list[int], chars: set[str]) -> None:
        if budget[0] <= 0:
            return
        budget[0] -= 1
        if size(value, SIZE_CAP + 1) <= SIZE_CAP:
            self.by_path.setdefault(path, []).append(value)
        if type(value) in (int, float, str):
            self.by_type.setdefault(type(value), []).append(value)
        if isinstance(value, str):
            for ch in value[:200]:
                if ch not in chars:
                    chars.add(ch)
                    self.chars.append(ch)
        elif isinstance(value, list | tuple):
            for v in value[:200]:
                self._add((*path, "e"), v, budget, chars)
        elif isinstance(value, dict):
            for k, v in list(value.items())[:200]:
                self._add((*path, "k"), k, budget, chars)
                self._add((*path, "v"), v, budget, chars)


class _Mutator:
    def __init__(self, rng: random.Random, pool: _Pool) -> None:
        self.rng = rng
        self.pool = pool

    def _same_type_from(self, values: Sequence[Any], like: Any) -> Any | None:
        options = [v for v in values if type(v) is type(like)]
        return self.rng.choice(options) if options else None

    # -- scalars ----------------------------------------------------------------------------
    def mutate_int(self, x: int) -> int:
        if self.rng.random() < 0.25:
            other = self._same_type_from(self.pool.by_type.get(int, ()), x)
            if other is not None and other != x:
                return int(other)
        small = abs(x) < 1 << 31
        ops: list[Callable[[int], int]] = [
            lambda v: v + 1,
            lambda v: v - 1,
            lambda v: v + self.rng.randint(2, 10),
            lambda v: v - self.rng.randint(2, 10),
        ]
        if small:
            ops += [lambda v: v * 2, lambda v: v // 2, lambda v: self.rng.choice((0, 1, 2))]
        y = self.rng.choice(ops)(x)
        return abs(y) if x >= 0 else y  # keep the sign: many tasks want naturals

    def mutate_float(self, x: float) -> float:
        if not math.isfinite(x):
            return x
        if self.rng.random() < 0.25:
            other = self._same_type_from(self.pool.by_type.get(float, ()), x)
            if other is not None and other != x:
                return float(other)
        r = self.rng.random()
        if r < 0.4:
            y = x + self.rng.uniform(-1.0, 1.0)
        elif r < 0.8:
            y = x * (1.0 + self.rng.uniform(-0.5, 0.5))
        else:
            y = float(round(x))
        y = round(y, 4)
        return abs(y) if x >= 0 else y

    def _char(self, s: str) -> str:
        alphabet = sorted(set(s)) if s and self.rng.random() < 0.7 else self.pool.chars
        return self.rng.choice(alphabet) if alphabet else "a"

    def mutate_str(self, s: str) -> str:
        if self.rng.random() < 0.15:
            other = self._same_type_from(self.pool.by_type.get(str, ()), s)
            if other is not None and other != s and len(other) <= SIZE_CAP:
                return str(other)
        if not s:
            return self._char(s)
        op = self.rng.randrange(6)
        i = self.rng.randrange(len(s))
        if op == 0:  # delete a character
            return s[:i] + s[i + 1 :]
        if op == 1:  # insert a character
            return s[:i] + self._char(s) + s[i:]
        if op == 2:  # replace a character
            return s[:i] + self._char(s) + s[i + 1 :]
        if op == 3 and len(s) > 1:  # swap two characters
            j = self.rng.randrange(len(s))
            chars = list(s)
            chars[i], chars[j] = chars[j], chars[i]
            return "".join(chars)
        if op == 4:  # duplicate a character
            return s[:i] + s[i] + s[i:]
        if s.lower() != s or s.upper() != s:  # flip the case of one character
            return s[:i] + s[i].swapcase() + s[i + 1 :]
        return s[:i] + s[i + 1 :]

    # -- containers -------------------------------------------------------------------------
    def _element_like(self, path: Path, elements: Sequence[Any]) -> Any | None:
        """A new element for a container at `path`: one of its own or a pooled one."""
        pooled = self.pool.by_path.get((*path, "e"), [])
        if elements:
            like = elements[self.rng.randrange(len(elements))]
            same = [v for v in pooled if type(v) is type(like)]
            if same and self.rng.random() < 0.5:
                return self.rng.choice(same)
            return self.mutate(like, (*path, "e"))
        return self.rng.choice(pooled) if pooled else None

    def mutate_list(self, xs: list[Any], path: Path) -> list[Any]:
        xs = list(xs)
        if not xs:
            new = self._element_like(path, xs)
            return [new] if new is not None else xs
        op = self.rng.randrange(7)
        i = self.rng.randrange(len(xs))
        if op == 0:  # drop one element
            del xs[i]
        elif op == 1:  # duplicate one element
            xs.insert(self.rng.randrange(len(xs) + 1), xs[i])
        elif op == 2 and len(xs) > 1:  # swap two elements
            j = self.rng.randrange(len(xs))
            xs[i], xs[j] = xs[j], xs[i]
        elif op == 3:  # insert an element of the same type
            new = self._element_like(path, xs)
            if new is not None:
                xs.insert(self.rng.randrange(len(xs) + 1), new)
        elif op == 4 and len(xs) > 1:  # reverse
            xs.reverse()
        else:  # mutate one element in place
            xs[i] = self.mutate(xs[i], (*path, "e"))
        return xs

    def mutate_dict(self, d: dict[Any, Any], path: Path) -> dict[Any, Any]:
        d = dict(d)
        keys = list(d)
        if not keys:
            ks = self.pool.by_path.get((*path, "k"), [])
            vs = self.pool.by_path.get((*path, "v"), [])
            if ks and vs:
                d[self.rng.choice(ks)] = self.rng.choice(vs)
            return d
        op = self.rng.randrange(3)
        k = keys[self.rng.randrange(len(keys))]
        if op == 0:  # drop a key
            del d[k]
        elif op == 1:  # add a key (a mutated existing one) with a same-typed value
            new_key = self.mutate(k, (*path, "k"))
            if new_key not in d:
                d[new_key] = self.mutate(d[k], (*path, "v"))
        else:  # change a value
            d[k] = self.mutate(d[k], (*path, "v"))
        return d

    def mutate(self, x: Any, path: Path) -> Any:
        """A value of the same type as `x`, close to it."""
        if isinstance(x, bool):
            return not x
        if isinstance(x, int):
            return self.mutate_int(x)
        if isinstance(x, float):
            return self.mutate_float(x)
        if isinstance(x, str):
            return self.mutate_str(x)
        if isinstance(x, list):
            return self.mutate_list(x, path)
        if isinstance(x, tuple):
            return tuple(self.mutate_list(list(x), path))
        if isinstance(x, dict):
            return self.mutate_dict(x, path)
        return x  # None and anything else stays as is

    def mutate_input(self, inp: Sequence[Any]) -> list[Any]:
        """Mutate one argument of an input (the argument list keeps its length and types)."""
        args = list(inp)
        if not args:
            return args
        i = self.rng.randrange(len(args))
        args[i] = self.mutate(args[i], (i,))
        return args


def _same_shape(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(type(x) is type(y) for x, y in zip(a, b, strict=True))


def probe_inputs(task_id: str, base_inputs: Sequence[Any], n: int = DEFAULT_N) -> tuple[Any, ...]:
    """Up to `n` new inputs mutated from `base_inputs`, the same for the same arguments.

    Each probe is an argument list mutated from one base input (seeds taken round-robin)
    by 1..MAX_STEPS type-preserving steps; probes equal to a base input or to an earlier
    probe, or larger than max(SIZE_CAP, seed size), are discarded. Fewer than `n` come
    back when the inputs leave little to mutate (e.g. one bool argument).
    """
    seeds = [list(s) for s in base_inputs if isinstance(s, list | tuple)]
    if not seeds or n <= 0:
        return ()
    rng = random.Random(stable_seed(task_id))
    mut = _Mutator(rng, _Pool(seeds))
    seen = {input_key(s) for s in seeds}
    out: list[list[Any]] = []
    for attempt in range(n * _ATTEMPTS_PER_PROBE):
        if len(out) >= n:
            break
        seed = seeds[attempt % len(seeds)]
        cap = max(SIZE_CAP, size(seed, 1 << 16))
        probe = seed
        for _ in range(rng.randint(1, MAX_STEPS)):
            probe = mut.mutate_input(probe)
        key = input_key(probe)
        if key in seen or not _same_shape(probe, seed) or size(probe, cap + 1) > cap:
            continue
        seen.add(key)
        out.append(probe)
    return tuple(out)


def inputs_digest(task_id: str, entry_point: str, inputs: Sequence[Any]) -> str:
    """sha256 naming a task's probe set (part of the output cache key)."""
    h = hashlib.sha256(f"{MUTATOR_VERSION}|{task_id}|{entry_point}|".encode())
    for inp in inputs:
        h.update(input_key(inp).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
