"""The sandbox's value format: what crosses, and that decoding untrusted text is bounded."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import json
import math

import pytest

from auditor.sandbox import _codec


@pytest.mark.parametrize(
    "value",
    [
        [1, 2.5, "x", None, True],
        (1, (2, [3])),
        {1: {"a", "b"}, (2, 3): frozenset({4})},
        b"\x00\xff",
        complex(1, -2),
        10**5000,
        [10**5000, 1],
    ],
    ids=["scalars", "tuples", "dicts-sets", "bytes", "complex", "big-int", "big-int-in-list"],
)
def test_plain_data_round_trips(value: object) -> None:
    assert _codec.loads(_codec.dumps(value)) == value


def test_special_floats_and_standard_dicts() -> None:
    got = _codec.loads(_codec.dumps([math.inf, -0.0, collections.Counter("aab")]))
    assert got[0] == math.inf and math.copysign(1, got[1]) < 0 and got[2] == {"a": 2, "b": 1}
    assert type(got[2]) is dict


def test_other_objects_cross_by_type_name_only() -> None:
    class Box:
        def __eq__(self, other: object) -> bool:
            return True

    got = _codec.loads(_codec.dumps([Box(), True]))
    assert isinstance(got[0], _codec.Opaque) and got[0].name == "Box" and got[1] is True


def test_decoding_is_bounded_by_the_number_of_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """32 MiB of `[],` took the trusted worker to 900 MiB (red team, session 17)."""
    monkeypatch.setattr(_codec, "MAX_VALUES", 1000)
    assert _codec.loads("[" + ",".join(["[]"] * 400) + "]") == [[]] * 400
    with pytest.raises(ValueError, match="too many values"):
        _codec.loads("[" + ",".join(["[]"] * 600) + "]")
    with pytest.raises(ValueError):
        _codec.loads("[" * 100_000 + "]" * 100_000)  # nesting: the recursion guard


P61 = (1 << 61) - 1  # hash(k * P61) == 0 for every int k


@pytest.mark.parametrize("tag", ["s", "f", "d"])
def test_keys_whose_hashes_collide_are_refused_before_hashing_into_a_table(tag: str) -> None:
    """A set of 60,000 ints hashing alike took the worker 86 s, a million hours (red team,
    session 18, A6): such a set, frozenset or dict fails the input; a few collisions pass."""
    keys = [k * P61 for k in range(5000)]
    body = [[k, 0] for k in keys] if tag == "d" else keys
    with pytest.raises(ValueError, match="colliding"):
        _codec.loads(json.dumps({tag: body}))
    assert _codec.loads(_codec.dumps({-1, -2, 0, P61, *range(10**5)})) == {
        -1, -2, 0, P61, *range(10**5)
    }  # fmt: skip
    assert _codec.loads(_codec.dumps({k: 1 for k in keys[:50]})) == {k: 1 for k in keys[:50]}
    with pytest.raises(ValueError):
        _codec.loads('{"s": [[1], [2]]}')  # unhashable


def test_keys_sharing_hashes_a_few_dozen_ways_pass() -> None:
    """The powers of two below 2**1000 hash to 61 values, 16 keys each: a correct output
    such as `{2**k for k in range(1000)}` was refused (red team s19)."""
    powers = {2**k for k in range(1000)}
    assert _codec.loads(_codec.dumps(powers)) == powers
    assert _codec.loads(_codec.dumps(dict.fromkeys(powers, 1))) == dict.fromkeys(powers, 1)


def test_repeated_keys_cost_one_comparison_each() -> None:
    """A list may repeat a value any number of times (a set built from it stays cheap);
    distinct values sharing a hash may not (red team s19, D2: MBPP+'s set-equality oracle
    built `set(out)` from a candidate's list of k * (2**61 - 1) in the trusted worker)."""
    assert _codec.hashed([5] * 100_000 + [(1, 2)] * 1000) is not None
    with pytest.raises(ValueError, match="colliding"):
        _codec.hashed([k * P61 for k in range(5000)])


def test_the_set_equality_oracle_refuses_colliding_outputs() -> None:
    from auditor.sandbox._worker import _mbpp_match

    bomb = [k * P61 for k in range(20_000)]  # 10 s in one C call before
    with pytest.raises(ValueError, match="colliding"):
        _mbpp_match("similar_elements", bomb, (1, 2), ([1, 2], [2, 1]), 0.0, False)
    assert _mbpp_match("similar_elements", [2, 1, 1, 2] * 5000, (1, 2), ([1], [2]), 0.0, False)


def test_array_shapes_are_bounded_like_values() -> None:
    """A (10**7, 0) array is 29 bytes on the wire and 10**7 lists once listed (round 4)."""
    assert _codec.loads('{"nd": ["<f8", [2, 0], []]}').shape == (2, 0)
    for shape in ([10**7, 0], [-1, 0], [1] * 40, [10**3, 10**3, 10**3, 0, 1]):
        with pytest.raises(ValueError):
            _codec.loads(json.dumps({"nd": ["<f8", shape, []]}))


def test_every_list_an_array_would_list_counts() -> None:
    """A zero anywhere but first holds nothing, yet `tolist` makes one list per index of
    the dimensions before it: 36 bytes of (10**3, 10**3, 10**3, 0, 1) were 10**9 lists in
    the trusted worker's fingerprint (red team s19)."""
    assert _codec.listed_size((2, 3)) == 6 + 1 + 2
    assert _codec.listed_size((10, 0)) == 0 + 1 + 10
    assert _codec.listed_size((10**3, 10**3, 10**3, 0, 1)) > 10**9
    assert _codec.listed_size(()) == 1


def test_a_big_array_is_fingerprinted_by_its_bytes_within_the_budget() -> None:
    """Past the node budget an array is hashed whole, never listed (a (3e6, 0) array
    would be 3e6 empty lists)."""
    import numpy as np

    from auditor.sandbox._worker import _Fingerprint, fingerprint

    wide = np.zeros((3_000_000, 0))
    assert _Fingerprint().text(wide).startswith("ndbig:<f8:(3000000, 0):")
    hollow = np.zeros((200, 200, 200, 0, 1))  # 8 million empty lists once listed
    assert _Fingerprint().text(hollow).startswith("ndbig:<f8:(200, 200, 200, 0, 1):")
    assert _Fingerprint().text(np.arange(4)) == "nd[0,1,2,3]"
    assert fingerprint(wide) != fingerprint(np.zeros((3_000_001, 0)))
    assert fingerprint(np.arange(4)) == fingerprint(np.arange(4)) != fingerprint(np.arange(5))


# -- Carry: an output crossing as what `==` sees of it (check --tests, session 19) -------------
Point = collections.namedtuple("Point", "x y")


class Level(enum.IntEnum):
    LOW = 1


class Colour(enum.Enum):
    RED = 1


class Row(tuple):  # keeps tuple's == and hash
    pass


class AnyRow(tuple):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = tuple.__hash__


class OddHash(tuple):
    def __hash__(self) -> int:
        return 7


class Tally(collections.Counter):  # Counter's == against a plain dict is dict's
    pass


@dataclasses.dataclass
class Pair:
    a: int


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True


def _carried(value: object) -> object:
    """`value` as the trusted side sees it inside a Carry, after the worker re-encoded it."""
    got = _codec.loads(_codec.dumps(_codec.loads(_codec.dumps(_codec.Carry(value)))))
    assert isinstance(got, _codec.Carry)
    return got.value


@pytest.mark.parametrize(
    ("value", "seen"),
    [
        (Point(1, 2), (1, 2)),
        ([Point(1, [Level.LOW])], [(1, [1])]),
        ({Point(1, 2): Level.LOW}, {(1, 2): 1}),
        (Row((1,)), (1,)),
        (Tally("aab"), {"a": 2, "b": 1}),
        (fractions.Fraction(1, 3), fractions.Fraction(1, 3)),
        (decimal.Decimal("1.10"), decimal.Decimal("1.1")),
        ({1: 2, 3: 4}.keys(), {1, 3}),
        ({1: [2]}.items(), {1: [2]}.items()),
        (collections.OrderedDict(b=1, a=2).keys(), {"a", "b"}),
    ],
    ids=[
        "namedtuple",
        "nested",
        "keys",
        "tuple-subclass",
        "counter-subclass",
        "fraction",
        "decimal",
        "dict-keys",
        "dict-items",
        "odict-keys",
    ],
)
def test_a_carried_value_crosses_as_what_eq_sees(value: object, seen: object) -> None:
    got = _carried(value)
    assert got == seen and seen == got
    plain = (tuple, list, dict, fractions.Fraction, decimal.Decimal)
    assert type(got) in (*plain, type({}.keys()), type({}.items()))


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        (AnyRow(), _codec.OpaqueEq),
        (OddHash(), _codec.OpaqueEq),
        (Pair(1), _codec.OpaqueEq),
        (AlwaysEqual(), _codec.OpaqueEq),
        (Colour.RED, _codec.Opaque),
        ((i for i in range(3)), _codec.Opaque),
        ({1: 2}.values(), _codec.Opaque),
        (collections.deque([1]), _codec.Opaque),
        (range(3), _codec.Opaque),
        (datetime.date(2020, 1, 2), _codec.Opaque),
        (fractions.Fraction(2**5000 + 1, 3**3000), _codec.OpaqueEq),  # too costly to build
    ],
    ids=[
        "eq-of-its-own",
        "hash-of-its-own",
        "dataclass",
        "always-equal",
        "enum",
        "generator",
        "dict-values",
        "deque",
        "range",
        "date",
        "huge-fraction",
    ],
)
def test_what_carry_cannot_cross_stays_opaque(value: object, cls: type) -> None:
    """Objects whose `==` is identity or False against plain data stay `Opaque` (they equal
    no expected value); an `==` of their own is `OpaqueEq`, not known on this side."""
    got = _carried([value])
    assert isinstance(got, list) and type(got[0]) is cls


def test_outside_a_carry_nothing_changes() -> None:
    """The benchmark's outputs and the fingerprints still see these types as opaque."""
    from auditor.sandbox._worker import _codec as codec  # the worker's own import of it
    from auditor.sandbox._worker import fingerprint

    for value in (Point(1, 2), fractions.Fraction(1, 2), {1: 2}.keys(), Level.LOW, Row()):
        got = _codec.loads(_codec.dumps(value))
        assert type(got) is _codec.Opaque and got.name == type(value).__name__
    assert fingerprint(codec.OpaqueEq("Pair")) == fingerprint(codec.Opaque("Pair"))
    assert fingerprint(codec.Carry((1, 2))) == fingerprint((1, 2))


@pytest.mark.parametrize(
    "text",
    [
        '{"fr": [1, 0]}',
        '{"fr": [1.5, 2]}',
        '{"fr": [true, 2]}',
        '{"fr": [1]}',
        '{"dm": 3}',
        '{"dm": "x1"}',
        '{"dk": [[1]]}',
        '{"di": [[1]]}',
        '{"zz": 1}',
    ],
)
def test_malformed_carried_tags_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        _codec.loads(text)


def test_decoding_carried_values_is_bounded() -> None:
    """Keys whose hashes collide are refused, as a set's are; a Fraction too costly to
    normalize (a gcd of two 4M-bit ints takes minutes) or a Decimal too long is not judged."""
    keys = [k * P61 for k in range(5000)]
    for tag, body in (("dk", keys), ("di", [[k, 0] for k in keys])):
        with pytest.raises(ValueError, match="colliding"):
            _codec.loads(json.dumps({tag: body}))
    big = {"h": hex(3**2_000_000)}
    assert type(_codec.loads(json.dumps({"fr": [big, big]}))) is _codec.OpaqueEq
    assert type(_codec.loads(json.dumps({"dm": "1" * (2 << 20)}))) is _codec.OpaqueEq
