"""The sandbox's value format: what crosses, and that decoding untrusted text is bounded."""

from __future__ import annotations

import collections
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
