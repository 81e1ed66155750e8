"""Execution signals: amplification, domain filter, consensus, harness and planted bugs."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.behavior.mutate import input_key
from auditor.execution import consensus as cons
from auditor.execution.amplify import (
    Budget,
    amplify,
    boundary_inputs,
    guided,
    hint_domain,
    typed_inputs,
    wide,
)
from auditor.execution.domain import Shape, in_domain, infer_domain
from auditor.execution.mutants import mutants
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import (
    COLUMNS,
    SCORE_INPUTS,
    SURVIVAL_WEIGHT,
    ExecConfig,
    contenders,
    peer_score,
    task_features,
)
from auditor.execution.solo import code_map
from auditor.types import Task

BASES: dict[str, list[list[Any]]] = {
    "ints": [[3, 4], [10, 2], [7, 0]],
    "floats": [[1.5], [2.25], [0.0]],
    "words": [["hello world"], ["abc"], ["a b c"]],
    "lists": [[[1, 2, 3], 2], [[5, 4], 1], [[9, 9, 1, 0], 3]],
    "nested": [[[[1, 2], [3]]], [[[4], [], [5, 6]]]],
    "dicts": [[{"a": 1, "b": 2}], [{"c": 3}]],
    "tuples": [[(1, "x")], [(2, "y")]],
}


def _keys(inputs: Any) -> list[str]:
    return [input_key(list(i)) for i in inputs]


def test_input_keys_are_total_and_exact() -> None:
    """A value the sandbox's format carries has a key, and different values differ: repr
    raises past 4300 digits and numpy's elides the middle of a long array (red team A5)."""
    big = 2**20000
    assert input_key([big]) != input_key([big + 1])
    assert input_key({"s": {big}}) != input_key({"s": {big - 1}})
    a = np.zeros(2000)
    b = a.copy()
    b[1000] = 1.0
    assert input_key([a]) != input_key([b])
    assert input_key(a) != input_key(a.astype(np.float32))  # the dtype counts
    assert input_key([1, "a", (2,), {3: 4.5}]) == repr([1, "a", (2,), {3: 4.5}])  # unchanged


# -- amplification -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BASES))
def test_amplify_deterministic_under_seed(name: str) -> None:
    base = BASES[name]
    a = amplify(name, base, seed=1)
    b = amplify(name, base, seed=1)
    assert _keys(a.inputs) == _keys(b.inputs) and a.origin == b.origin
    assert a.inputs, "every base set leaves something to amplify"
    c = amplify(name, base, seed=2)
    assert _keys(c.inputs) != _keys(a.inputs) or name == "tuples"


@pytest.mark.parametrize("name", sorted(BASES))
def test_amplified_inputs_stay_in_the_implied_domain(name: str) -> None:
    base = BASES[name]
    domain = infer_domain(base)
    got = amplify(name, base, budget=Budget(200, 50, 100, 0))
    seen = set(_keys(base))
    for args in got.inputs:
        assert in_domain(args, domain), args
        assert input_key(list(args)) not in seen  # new, no duplicates
        seen.add(input_key(list(args)))


def test_domain_limits_sign_alphabet_and_size() -> None:
    base = [[[1, 2, 3], "abc", 4], [[5], "de", 0]]
    dom = infer_domain(base)
    assert in_domain([[2, 2], "ab", 11], dom)
    assert not in_domain([[-1], "ab", 1], dom)  # natural numbers stay natural
    assert not in_domain([[1], "aBc", 1], dom)  # no upper case where none was seen
    assert not in_domain([[1], "\u00e9", 1], dom)  # no unicode where none was seen
    assert not in_domain([list(range(40)), "a", 1], dom)  # far larger than seen
    assert not in_domain([[1], "a"], dom)  # arity
    assert not in_domain([[1.5], "a", 1], dom)  # float where only ints were seen
    assert in_domain([[1], "a", 5 + 1], dom)  # one beyond the tested range is allowed


def test_strings_of_a_few_symbols_close_their_class() -> None:
    brackets = infer_domain([["<<><>>"], ["<>"], ["><<>"], [""]])
    assert in_domain(["<>><<"], brackets)
    assert not in_domain(["(<)"], brackets)  # other punctuation: outside the notation
    drawn = amplify("t", [["<<><>>"], ["<>"], ["><<>"]], budget=Budget(0, 40, 0, 0))
    assert drawn.inputs and all(set(x[0]) <= set("<>") for x in drawn.inputs)
    binary = infer_domain([["111000", "101010"], ["1", "1"], ["0101", "0000"]])
    assert in_domain(["0110", "1001"], binary) and not in_domain(["0120", "1001"], binary)
    # strings with many symbols, each seen a few times, keep whole classes
    prose = infer_domain([["Hello world."], ["good morning to you, sir"]])
    assert in_domain(["xyz Quit! Then go on"], prose)
    assert not in_domain(["xyz 1 Then go on"], prose)  # no digit was seen
    assert not infer_domain([["ab"], ["a"]])[0].closed  # too little seen to close anything
    # letters never close: a few capitals seen in names say nothing against others
    names = infer_domain([["Mama ma"], ["Ma am"], ["Amma mama"]])
    assert in_domain(["Bama ma"], names) and not in_domain(["Ma-ma"], names)


def test_arguments_of_one_length_keep_it() -> None:
    base = [[[1, 2, 3], [3, 2, 1]], [[4, 5], [0, 5]], [[7, 7, 7, 7], [1, 2, 3, 4]]]
    dom = infer_domain(base)
    assert in_domain([[1, 9], [2, 2]], dom) and not in_domain([[1, 9], [2]], dom)
    got = amplify("t", base)
    assert got.inputs and all(len(a) == len(b) for a, b in got.inputs)
    assert any(len(a) != len(b) for a, b in wide("t", base))  # what breaks it goes wide
    # two weak inputs of equal lengths could be chance; a length and an int never tie
    assert in_domain([[1], [2, 3]], infer_domain(base[:2]))
    assert not infer_domain([[[1, 2], 2], [[3], 1], [[4, 5, 6], 3]])[0].same_len


GRIDS = [
    [[[1, 2], [3, 4]]],
    [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]],
    [[[2, 0, 0, 0]] * 4],
    [[[5, 1], [1, 5]]],
]
OBLONG = [
    [[[1, 2, 3], [4, 5, 6]]],
    [[[1, 2], [3, 4], [5, 6]]],
    [[[0, 1, 2, 3]] * 2],
    [[[7, 8, 9]] * 4],
]


def test_lists_of_lists_keep_rectangular_and_square_shapes() -> None:
    square, oblong = infer_domain(GRIDS)[0], infer_domain(OBLONG)[0]
    assert square.rectangular and square.square
    assert oblong.rectangular and not oblong.square
    assert not infer_domain([*OBLONG, [[[1], [2, 3]]]])[0].rectangular  # one ragged breaks it
    assert not infer_domain(GRIDS[:3])[0].rectangular  # three could be chance
    # one row, no rows and empty rows show nothing; [[]] is one row of none, not square
    shows_nothing = [[[[1, 2, 3]]], [[]], [[[], []]]]
    assert not infer_domain([*GRIDS[:3], *shows_nothing])[0].rectangular
    with_empty = infer_domain([*GRIDS, [[[]]]])[0]
    assert with_empty.rectangular and not with_empty.square
    assert not infer_domain([[[1, 2]], [[3, 4]], [[5, 6]]])[0].rectangular  # not rows at all
    # nested positions: a list of grids (of different sizes: the list itself is ragged)
    nested = infer_domain([[[g[0], [[1]]]] for g in GRIDS])[0]
    assert nested.items[0].square and not nested.rectangular


def test_the_domain_keeps_lists_of_lists_rectangular_or_square() -> None:
    square, oblong = infer_domain(GRIDS), infer_domain(OBLONG)
    assert in_domain([[[1, 2, 3]] * 3], square) and in_domain([[[7]]], square)
    assert not in_domain([[[1, 2, 3]] * 2], square)  # oblong
    assert not in_domain([[[1, 2], [3]]], square) and not in_domain([[[]]], square)
    assert in_domain([[[1, 2, 3]] * 2], oblong) and in_domain([[[1, 2]] * 4], oblong)
    assert not in_domain([[[1, 2], [3, 4, 5]]], oblong)
    nested = infer_domain([[[g[0], [[1]]]] for g in GRIDS])
    assert in_domain([[[[1, 2], [3, 4]], [[5]]]], nested)
    assert not in_domain([[[[1, 2], [3, 4]], [[5, 6]]]], nested)


@pytest.mark.parametrize("base", [GRIDS, OBLONG], ids=["square", "oblong"])
def test_generated_lists_of_lists_keep_the_contract(base: list[list[Any]]) -> None:
    dom = infer_domain(base)
    got = amplify("t", base)
    assert _keys(got.inputs) == _keys(amplify("t", base).inputs)
    assert all(in_domain(x, dom) for x in got.inputs)
    typed = [x[0] for x, o in zip(got.inputs, got.origin, strict=True) if o == "typed"]
    assert len(typed) == Budget().typed and len({len(m) for m in typed}) > 2  # sizes vary
    assert got.origin.count("mutation") == Budget().mutation  # enough mutations keep it
    transposed = [list(c) for c in zip(*base[1][0], strict=True)]
    assert [transposed] in list(boundary_inputs(base, dom)) and in_domain([transposed], dom)
    assert any(not in_domain(x, dom) for x in wide("t", base))  # what breaks it goes wide


def test_draws_do_not_move_with_the_strategies_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.execution.amplify as amp

    before = _keys(amplify("t", BASES["lists"]).inputs)
    monkeypatch.setattr(amp, "AMPLIFY_VERSION", "next")  # a change is measured on these draws
    assert _keys(amplify("t", BASES["lists"]).inputs) == before


def test_each_strategy_is_deterministic() -> None:
    base = BASES["lists"]
    dom = infer_domain(base)
    assert _keys(boundary_inputs(base, dom)) == _keys(boundary_inputs(base, dom))

    def first(stream: Iterator[list[Any]], n: int = 20) -> list[str]:
        return _keys([next(stream) for _ in range(n)])

    assert first(typed_inputs(dom, random.Random(5))) == first(typed_inputs(dom, random.Random(5)))
    split = [([1, 2, 3], 2)]
    g1 = guided("t", split, base, [], n=10, seed=3)
    assert g1 and _keys(g1) == _keys(guided("t", split, base, [], n=10, seed=3))
    assert all(in_domain(x, dom) for x in g1)


def test_boundary_values_include_edges() -> None:
    got = {input_key(list(x)) for x in amplify("t", [[[3.5, 2.0]]]).inputs}
    assert input_key([[]]) in got or input_key([[3.5]]) in got
    floats = amplify("f", [[1.5], [2.0]]).inputs
    assert any(isinstance(x[0], float) and math.isnan(x[0]) for x in floats)


def test_type_hints_fill_what_the_inputs_do_not_show() -> None:
    prompt = "from typing import List\n\ndef f(xs: List[int], k: int) -> int:\n    pass\n"
    assert hint_domain(prompt, "f")[0] == Shape("list", 0.0, 5.0, (Shape("int", 0.0, 10.0),))
    got = amplify("t", [[[], 1], [[], 2]], prompt=prompt, entry_point="f")
    assert any(x[0] and all(isinstance(v, int) for v in x[0]) for x in got.inputs)


# -- consensus ---------------------------------------------------------------------------------
def _col(block: np.ndarray, name: str) -> np.ndarray:
    return block[:, cons.COLUMNS.index(name)]


def test_consensus_on_hand_made_vectors() -> None:
    a, b = ("v:1", "v:2", "v:3"), ("v:1", "v:9", "exc:ValueError")
    vectors = [a, a, a, b, None]
    block = cons.consensus_features(vectors, [True] * 5)
    share = _col(block, "exec.cluster_share")
    assert share[:3].tolist() == [2 / 3] * 3 and share[3] == 0.0
    assert math.isnan(share[4])  # could not be run
    dist = _col(block, "exec.dist_plurality")
    assert dist[:3].tolist() == [0.0] * 3 and dist[3] == pytest.approx(2 / 3)
    assert _col(block, "exec.margin")[3] == pytest.approx(-1.0)
    assert _col(block, "exec.agree_mean")[3] == pytest.approx(1 / 3)  # agrees on input 0 only
    assert _col(block, "exec.agree_mean")[0] == pytest.approx(7 / 9)  # (3/3 + 2/3 + 2/3) / 3
    assert _col(block, "exec.minority_inputs")[3] == 2
    assert _col(block, "exec.crash_rate")[3] == pytest.approx(1 / 3)
    assert set(_col(block, "exec.n_clusters")[:4]) == {2}
    assert set(_col(block, "exec.split_inputs")[:4]) == {2}
    assert cons.splitting_inputs(vectors, [True] * 5) == [1, 2]


def test_lonely_candidate_gets_nan_not_zero() -> None:
    block = cons.consensus_features([("v:1", "v:2")], [True])
    for name in ("exec.cluster_share", "exec.dist_plurality", "exec.margin"):
        assert math.isnan(_col(block, name)[0])
    assert _col(block, "exec.crash_rate")[0] == 0.0  # needs no peers
    non_peer = cons.consensus_features([("v:1",), ("v:1",)], [True, False])
    share = _col(non_peer, "exec.cluster_share")
    assert math.isnan(share[0]) and share[1] == 1.0  # the only peer has no other peer


# -- mutants and code map ----------------------------------------------------------------------
def test_mutants_are_distinct_compilable_and_deterministic() -> None:
    code = "def f(x, y):\n    if x < y and x > 0:\n        return x + 1\n    return y * 2\n"
    got = mutants(code, max_n=50)
    assert got == mutants(code, max_n=50) and len(got) == len(set(got)) >= 8
    for m in got:
        compile(m, "<m>", "exec")
    assert mutants("def (:", max_n=5) == ()


def test_code_map_lines_and_arms() -> None:
    code = 'def f(x):\n    """doc"""\n    if x:\n        return 1\n    else:\n        return 2\n'
    cmap = code_map(code)
    assert cmap is not None and cmap.lines == (3, 4, 6) and cmap.arms == (4, 6)


# -- in the sandbox ----------------------------------------------------------------------------
class _Poison(tuple):  # type: ignore[type-arg]
    """A `plus_input` that fails the test if anything looks at it."""

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("plus_input was read")

    def __len__(self) -> int:
        raise AssertionError("plus_input was read")

    def __getitem__(self, k: Any) -> Any:
        raise AssertionError("plus_input was read")

    def __bool__(self) -> bool:
        raise AssertionError("plus_input was read")


class _PoisonStr(str):
    def __getattribute__(self, name: str) -> Any:
        raise AssertionError("the reference was read")


PROMPT = "def sum_to(n: int) -> int:\n    pass\n"
CORRECT = (
    "def sum_to(n):\n    return n * (n + 1) // 2\n",
    "def sum_to(n):\n    return sum(range(n + 1))\n",
    "def sum_to(n):\n    t = 0\n    for i in range(1, n + 1):\n        t += i\n    return t\n",
)
PLANTED = {
    "special_cased": "def sum_to(n):\n    return {3: 6, 5: 15, 10: 55}.get(n, 0)\n",
    "missing_edge": "def sum_to(n):\n    return n * (n + 1) // 2 if n > 1 else 0\n",
    "off_by_one_beyond": "def sum_to(n):\n    return n * (n + 1) // 2 if n <= 10 else n * n // 2\n",
}


def _task() -> Task:
    return Task("toy/sum_to", PROMPT, "sum_to", _PoisonStr("x"), ([3], [5], [10]), _Poison((1,)))


@pytest.fixture(scope="module")
def planted() -> np.ndarray:
    codes = [*CORRECT, *PLANTED.values()]
    with ExecRunner(2) as run:
        return task_features(run, _task(), codes, [True] * len(codes))


def test_planted_false_positives_flagged_correct_ones_not(planted: np.ndarray) -> None:
    """Never reading plus_input or the reference (both poisoned)."""
    dist = planted[:, COLUMNS.index("exec.dist_plurality")]
    share = planted[:, COLUMNS.index("exec.cluster_share")]
    n = len(CORRECT)
    assert (dist[:n] == 0).all() and (share[:n] == 2 / 5).all()  # the other two of five
    assert (dist[n:] > 0).all() and (share[n:] == 0).all()


def test_solo_signals_in_the_sandbox(planted: np.ndarray) -> None:
    missed = planted[:, COLUMNS.index("exec.missed_lines")]
    survival = planted[:, COLUMNS.index("exec.mutant_survival")]
    assert missed[:3].tolist() == [0, 0, 0]
    assert missed[4] == 0  # `else 0` is on the if's line: lines cannot see it
    assert survival[4] > 0 and survival[5] > 0  # mutants of the untested arm survive
    assert planted[:, COLUMNS.index("exec.type_consistency")].tolist() == [1.0] * 6


def test_solo_crash_and_hang_rates() -> None:
    task = Task("toy/inv", "def inv(x: int) -> float:\n    pass\n", "inv", "", ([1], [2], [4]), ())
    codes = ["def inv(x):\n    return 1 / x\n", "def inv(x):\n    while x:\n        pass\n"]
    with ExecRunner(2) as run:
        got = task_features(run, task, codes, [True, True])
    crash = got[:, COLUMNS.index("exec.crash_rate")]
    assert 0 < crash[0] < 0.5 and crash[1] > 0.9  # 1/0 raises; the loop hangs unless x == 0
    assert got[1, COLUMNS.index("exec.timeout_rate")] > 0


# -- wide inputs: outside the implied domain, a consensus of their own ---------------------------
@pytest.mark.parametrize("name", sorted(BASES))
def test_wide_inputs_leave_the_domain_and_are_deterministic(name: str) -> None:
    base = BASES[name]
    dom = infer_domain(base)
    got = wide(name, base, n=30, seed=1)
    assert _keys(got) == _keys(wide(name, base, n=30, seed=1)) and len(got) <= 30
    assert not any(in_domain(x, dom) for x in got)
    keys = _keys(got)
    assert len(set(keys)) == len(keys) and not set(keys) & set(_keys(base))
    assert not set(keys) & set(_keys(amplify(name, base).inputs))  # never in the in-domain set


def test_wide_inputs_of_natural_lists_include_negatives() -> None:
    got = wide("t", [[[1, 2, 3]], [[4, 3, 2, 1]], [[3, 2, 3, 100, 3]]], n=48)
    assert any(any(v < 0 for v in x[0]) for x in got)


def test_wide_share_is_a_leave_one_out_share_nan_without_wide_inputs() -> None:
    assert cons.shares([("a",), ("a",), ("b",), None], [True] * 4).tolist()[:3] == [0.5, 0.5, 0]
    assert np.isnan(cons.shares([(), ()], [True, True])).all()  # no wide input kept
    assert np.isnan(cons.shares([("a",)], [True])).all()  # no other peer
    vecs = [("v:1",)] * 3
    col = cons.COLUMNS.index("exec.wide_share")
    got = cons.consensus_features(vecs, [True] * 3, wide=[("v:x",), ("v:x",), ("v:y",)])
    assert got[:, col].tolist() == [0.5, 0.5, 0.0]
    assert np.isnan(cons.consensus_features(vecs, [True] * 3)[:, col]).all()


def test_peer_score_ranks_wide_disagreement_inside_a_cluster() -> None:
    share, survival = np.array([0.5, 0.5]), np.array([0.0, 0.0])
    got = peer_score(share, survival, None, np.array([1.0, 0.0]))
    assert got[1] > got[0]  # same in-domain cluster; the second disagrees outside
    assert peer_score(share, survival, None, np.array([np.nan, 1.0])).tolist() == [0.5, 0.5]
    assert got[1] - got[0] < 0.5  # never outweighs half a cluster of in-domain agreement


_UNIT = st.floats(0.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(_UNIT, _UNIT, st.floats(-4.0, 8.0) | st.just(math.nan), _UNIT, _UNIT),
        min_size=1,
        max_size=12,
    )
)
def test_the_contenders_hold_the_pick_of_a_full_run(rows: list[tuple[float, ...]]) -> None:
    """Measuring survival only for `contenders` (the rest count 0.5, as missing) gives the
    lowest score that measuring it for every row gives, on a contender."""
    values = np.full((len(rows), len(COLUMNS)), np.nan)
    for name, col in zip(SCORE_INPUTS, zip(*rows, strict=True), strict=True):
        values[:, COLUMNS.index(name)] = col
    survival = values[:, COLUMNS.index("exec.mutant_survival")].copy()
    values[:, COLUMNS.index("exec.mutant_survival")] = np.nan  # not measured yet
    chosen = contenders(values)
    measured = np.where(np.isin(np.arange(len(rows)), chosen), survival, np.nan)

    def score(surv: np.ndarray) -> np.ndarray:
        cols = [values[:, COLUMNS.index(c)] for c in SCORE_INPUTS]
        return peer_score(cols[0], surv, *cols[2:])

    full, partial = score(survival), score(measured)
    assert int(np.argmin(partial)) in chosen
    assert partial.min() == pytest.approx(full.min())
    # every row left out scores more than SURVIVAL_WEIGHT above the lowest
    left = np.setdiff1d(np.arange(len(rows)), chosen)
    assert (score(np.full(len(rows), np.nan))[left] > full.min() + SURVIVAL_WEIGHT / 2).all()


RUNNING_MAX = "def running_max(xs: list[int]) -> list[int]:\n    pass\n"
RUNNING_MAX_CORRECT = (
    "def running_max(xs):\n    out = []\n    for x in xs:\n"
    "        out.append(x if not out else max(out[-1], x))\n    return out\n",
    "def running_max(xs):\n    import itertools\n    return list(itertools.accumulate(xs, max))\n",
    "def running_max(xs):\n    return [max(xs[: i + 1]) for i in range(len(xs))]\n",
)
# Starts at 0: right on every natural list (all the weak tests show), wrong on negatives.
RUNNING_MAX_ZERO = (
    "def running_max(xs):\n    m, out = 0, []\n    for x in xs:\n"
    "        m = max(m, x)\n        out.append(m)\n    return out\n"
)


BALANCED = "def balanced(s: str) -> bool:\n    pass\n"
# Both right on strings of "<" and ">" (all the weak tests show); they differ on any other
# character, which is outside the contract.
BALANCED_CORRECT = (
    "def balanced(s):\n    d = 0\n    for c in s:\n        d += 1 if c == '<' else -1\n"
    "        if d < 0:\n            return False\n    return d == 0\n",
    "def balanced(s):\n    d = 0\n    for c in s:\n        d += {'<': 1, '>': -1}[c]\n"
    "        if d < 0:\n            return False\n    return d == 0\n",
)
BALANCED_WRONG = "def balanced(s):\n    return s.count('<') == s.count('>')\n"


def test_correct_programs_agree_where_the_weak_strings_close_their_alphabet() -> None:
    base = (["<>"], ["<<><>>"], ["><<>"], ["<<<><>>>>"], ["<"], [""])
    task = Task("toy/balanced", BALANCED, "balanced", "", base, ())
    codes = [*BALANCED_CORRECT, *BALANCED_CORRECT, BALANCED_WRONG]
    with ExecRunner(2) as run:
        got = task_features(run, task, codes, [True] * len(codes))
    share = got[:, COLUMNS.index("exec.cluster_share")]
    assert (share[:4] == 0.75).all() and share[4] == 0.0  # only the wrong one is apart


TRACE = "def trace(m: list[list[int]]) -> int:\n    pass\n"
# Right on square matrices (all the weak tests show); on an oblong or ragged one the first
# two raise or stop early where the others do not, so they split there.
TRACE_CORRECT = (
    "def trace(m):\n    return sum(m[i][i] for i in range(len(m)))\n",
    "def trace(m):\n    t = 0\n    for i, row in enumerate(m):\n        t += row[i]\n    return t\n",
    "def trace(m):\n    return sum(m[i][i] for i in range(len(m[0]))) if m else 0\n",
    "def trace(m):\n    return sum(x for i, r in enumerate(m) for j, x in enumerate(r) if i == j)\n",
)
# Looks the weak inputs up by their first row: right on them, 0 elsewhere.
TRACE_WRONG = "def trace(m):\n    return {(1, 2): 5, (1, 2, 3): 15, (2, 0, 0, 0): 8, (5, 1): 10}.get(tuple(m[0]), 0)\n"


def _trace_scores() -> tuple[np.ndarray, np.ndarray]:
    task = Task("toy/trace", TRACE, "trace", "", tuple(GRIDS), ())
    codes = [*TRACE_CORRECT, TRACE_WRONG]
    with ExecRunner(2) as run:
        got = task_features(run, task, codes, [True] * len(codes))
    return got[:, COLUMNS.index("exec.cluster_share")], peer_score(
        *(got[:, COLUMNS.index(c)] for c in SCORE_INPUTS)
    )


def test_correct_programs_agree_where_the_weak_matrices_are_square(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditor.execution.domain as domain

    monkeypatch.setattr(domain, "MATRIX_SEEDS", 10**6)  # as before: any list of lists
    share, score = _trace_scores()
    assert share[:4].max() < 0.75  # the correct ones split on oblong and ragged inputs
    assert share[:4].min() == share[4] == 0.0  # one is as alone as the wrong one
    assert score[4] - score[:4].max() < 0.5  # ranked below it by the tie-breaks only
    monkeypatch.undo()
    share, score = _trace_scores()
    assert (share[:4] == 0.75).all() and share[4] == 0.0  # only the wrong one is apart
    assert score[4] - score[:4].max() > 0.5


def test_mistake_outside_the_domain_shows_in_wide_share_only() -> None:
    task = Task("toy/running_max", RUNNING_MAX, "running_max", "",
                ([[1, 2, 3]], [[4, 3, 2, 1]], [[3, 2, 3, 100, 3]]), ())  # fmt: skip
    codes = [*RUNNING_MAX_CORRECT, RUNNING_MAX_ZERO]
    with ExecRunner(2) as run:
        got = task_features(run, task, codes, [True] * 4)
    share = got[:, COLUMNS.index("exec.cluster_share")]
    wide_share = got[:, COLUMNS.index("exec.wide_share")]
    assert (share == 1.0).all()  # in the domain, all four agree
    assert (wide_share[:3] == 2 / 3).all() and wide_share[3] == 0.0


# -- slowdown among peers ----------------------------------------------------------------------
def test_slowdown_identical_times_zero_and_no_peers_nan() -> None:
    same = [(0.01, 0.02, 0.03)] * 3
    assert np.allclose(cons.slowdown(same, [True] * 3, 1.0), 0.0)
    assert np.isnan(cons.slowdown([(0.01, 0.02)], [True], 1.0)).all()
    # a non-peer is compared with the peers; a None row stays NaN
    got = cons.slowdown([(0.01,), (0.01,), (0.04,), None], [True, True, False, True], 1.0)
    assert got[:3] == pytest.approx([0.0, 0.0, 2.0]) and np.isnan(got[3])


def test_slowdown_counts_own_timeouts_at_the_limit_and_skips_peers_gaps() -> None:
    nan = math.nan
    times = [(0.01, 0.01, 0.5), (0.01, 0.01, nan), (nan, 0.01, 0.5)]
    got = cons.slowdown(times, [True] * 3, 0.5)
    # row 0: others miss inputs 0 and 2 -> input 1 only; equal
    assert got[0] == 0.0
    # row 1: inputs 1 and 2 (the others both reported); its timeout counts at 0.5
    assert got[1] == pytest.approx(np.log2(0.51 / np.median([0.51, 0.51])))
    # row 2: inputs 0 and 1 (the others reported both); its own timeout counts at 0.5
    assert got[2] == pytest.approx(np.log2(0.51 / 0.02))
    slow = cons.slowdown([(0.2,), (0.01,), (0.01,)], [True] * 3, 1.0)
    fast = cons.slowdown([(1e-9,), (1.0,), (1.0,)], [True] * 3, 1.0)
    assert slow[0] == pytest.approx(np.log2(20)) and fast[0] == cons.SLOWDOWN_CLIP[0]


def test_slowdown_column_in_consensus_features() -> None:
    vecs = [("v:a", "v:b")] * 3
    times = [(0.01, 0.01), (0.01, 0.01), (0.04, 0.04)]
    col = cons.COLUMNS.index("exec.slowdown")
    got = cons.consensus_features(vecs, [True] * 3, times, 1.0)[:, col]
    low = np.log2(0.02 / 0.05)  # the others of row 0: 0.02 and 0.08, median 0.05
    assert got == pytest.approx([low, low, 2.0])
    assert np.isnan(cons.consensus_features(vecs, [True] * 3)[:, col]).all()


SORTS = (
    "def f(xs):\n    return sorted(xs)\n",
    "def f(xs):\n    ys = list(xs)\n    ys.sort()\n    return ys\n",
    "def f(xs):\n    return sorted(list(xs))\n",
)
INSERTION = (
    "def f(xs):\n    ys = list(xs)\n    for i in range(len(ys)):\n"
    "        for j in range(i, 0, -1):\n            if ys[j - 1] > ys[j]:\n"
    "                ys[j - 1], ys[j] = ys[j], ys[j - 1]\n    return ys\n"
)


def _sort_inputs() -> list[list[list[int]]]:
    """Four lists of 400 ints: long enough for an O(n^2) sort to take milliseconds."""
    rng = random.Random(0)
    return [[[rng.randint(0, 10**6) for _ in range(400)]] for _ in range(4)]


def test_quadratic_program_is_slower_than_its_linear_peers() -> None:
    """Same outputs, same inputs: only the time tells the O(n^2) sort apart (timed as
    `task_features` times them: quick runs again, least time kept, which one preempted or
    page-faulting call in a busy CI no longer decides)."""
    inputs = _sort_inputs()
    codes = [*SORTS, INSERTION]
    lim = ExecConfig().limits
    with ExecRunner(2) as run:
        vecs = run.run("humaneval", "toy/sort", "f", codes, inputs, lim)
        times = run.times("humaneval", "toy/sort", "f", codes, inputs, lim)
        assert run.times("humaneval", "toy/sort", "f", codes, inputs[:1], lim) == [None] * 4
    assert len({v for v in vecs}) == 1  # identical outputs
    assert all(t is not None and len(t) == len(inputs) for t in times)
    got = cons.slowdown(times, [True] * 4, 1.0)
    assert got[3] > 3 and (np.abs(got[:3]) < 2).all()


def test_slowdown_is_bounded_by_the_kernels_cpu_time() -> None:
    """A row reporting less time than its CPU seconds allow is raised to the CPU ratio less
    CPU_MARGIN; a row whose report is above that bound keeps it; no CPU, no change."""
    times = [(0.01,), (0.01,), (0.01,), (1e-9,)]
    cpu = [0.02, 0.02, 0.02, 0.16]  # the last row's run took 8x the CPU of its peers'
    got = cons.slowdown(times, [True] * 4, 1.0, cpu)
    assert got[3] == pytest.approx(np.log2(8) - cons.CPU_MARGIN)
    assert got[:3] == pytest.approx(cons.slowdown(times, [True] * 4, 1.0)[:3])
    assert cons.slowdown(times, [True] * 4, 1.0)[3] == cons.SLOWDOWN_CLIP[0]
    unmeasured = cons.slowdown(times, [True] * 4, 1.0, [math.nan] * 4)
    assert np.array_equal(unmeasured, cons.slowdown(times, [True] * 4, 1.0))


CLOCK_FORGER = """import gc
def f(xs):
    for o in gc.get_objects():  # the child's timing harness: stop its clock
        try:
            if hasattr(o, "clock") and hasattr(o, "wfd"):
                o.clock = lambda: 0.0
        except Exception:
            pass
    ys = list(xs)
    for i in range(len(ys)):
        for j in range(i, 0, -1):
            if ys[j - 1] > ys[j]:
                ys[j - 1], ys[j] = ys[j], ys[j - 1]
    return ys
"""


def test_a_program_rewriting_its_clock_is_still_slow() -> None:
    """The O(n^2) sort that stops its child's clock reports 0 s per input; the kernel's CPU
    seconds for its run, which it cannot touch, keep its slowdown high."""
    inputs = _sort_inputs()
    codes = [*SORTS, CLOCK_FORGER]
    lim = ExecConfig().limits
    with ExecRunner(2) as run:
        vecs = run.run("humaneval", "toy/sort", "f", codes, inputs, lim)
        times = run.times("humaneval", "toy/sort", "f", codes, inputs, lim)
        cpu = run.cpu("humaneval", "toy/sort", "f", codes, inputs, lim)
    assert len(set(vecs)) == 1 and all(math.isfinite(c) and c > 0 for c in cpu)
    assert times[3] is not None and sum(times[3]) == 0.0  # the forged report
    assert cons.slowdown(times, [True] * 4, 1.0)[3] <= 0  # believed, it would look fast
    assert cons.slowdown(times, [True] * 4, 1.0, cpu)[3] > 2


def test_signals_deterministic_except_the_times(planted: np.ndarray) -> None:
    codes = [*CORRECT, *PLANTED.values()]
    with ExecRunner(2) as run:
        again = task_features(run, _task(), codes, [True] * len(codes))
    col = COLUMNS.index("exec.slowdown")
    rest = [k for k in range(len(COLUMNS)) if k != col]
    assert np.array_equal(planted[:, rest], again[:, rest], equal_nan=True)
    assert np.isfinite(planted[:, col]).all() and np.isfinite(again[:, col]).all()


# -- harvesting weak tests from a test module --------------------------------------------------
HARVEST_SRC = """
import math
def check(candidate):
    assert candidate([1, 2, 3], 2) == [1, 2]
    assert [] == candidate([], 0)
    assert abs(candidate([1.5], 1) - 1.5) < 1e-6
    assert not candidate([9], x)
    assert candidate([5], 1)
    assert not candidate([7], 0)
    assert candidate([1, 2, 3], 2) == [1, 2]
    candidate([4], key=1)
    for i in range(3):
        candidate([i], 1)
"""


def test_harvest_inputs_and_literal_expectations() -> None:
    from auditor.execution.harvest import Expect, harvest

    got = harvest(HARVEST_SRC, ["candidate"])
    assert got.inputs == (
        ([1, 2, 3], 2), ([], 0), ([1.5], 1), ([5], 1), ([7], 0), ([0], 1), ([1], 1), ([2], 1)
    )  # fmt: skip
    assert got.expected == (
        Expect("eq", [1, 2]),
        Expect("eq", []),
        Expect("close", 1.5, 1e-6, op="<"),
        Expect("truthy"),
        Expect("falsy"),
        None,
        None,
        None,
    )


PYTEST_SRC = """
import pytest
from mod import sq

CASES = [(1, 1), (2, 4)]

@pytest.mark.parametrize("x, y", [(3, 9), pytest.param(4, 16, id="four")])
def test_rows(x, y):
    assert sq(x) == y

@pytest.mark.parametrize(("x", "y"), CASES)
def test_module_constant(x, y):
    assert sq(x) == y

@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("x", [5])
def test_product(x, k):
    assert sq(x) >= k

@pytest.mark.parametrize("x", make_cases())
def test_unreadable_rows(x):
    assert sq(x) == 0

def test_variables():
    data = 7
    result = sq(data)
    assert result == 49
    assert sq(8) == pytest.approx(64.0)
    data = make()
    assert sq(data) == 1

class TestLoops:
    def test_literal_loops(self):
        for x, y in [(10, 100), (11, 121)]:
            assert sq(x) == y
        for i in range(12, 14):
            sq(i)
        for i in range(1_000_000_000):
            assert sq(i) >= 0

    def test_calls_outside_asserts(self, x):
        if sq(20) != 400:
            raise AssertionError
        assert sq(x) == 0

def test_module_attribute():
    import mod
    assert mod.sq(21) == 441
    items = make()
    assert items.sq(99) == 0  # a method that shares the entry point's name

@pytest.fixture
def thirty_three():
    return 3 + 30

@pytest.fixture(scope="module")
def unknown():
    return make()

def test_fixtures(thirty_three, unknown):
    assert sq(thirty_three) == 1089
    assert sq(unknown) == 0
"""


def test_harvest_follows_literal_bindings() -> None:
    """parametrize rows (pytest.param too, module constants, products), literal loops and
    ranges (capped), variables bound to values or holding a call's result, approx, fixtures
    returning a value; names bound to anything else (a fixture calling a helper, a test's
    own parameter, a call) are not followed."""
    from auditor.execution.harvest import APPROX_REL, MAX_UNROLL, Expect, harvest

    got = harvest(PYTEST_SRC, ["sq"])
    pairs: dict[tuple[Any, ...], set[Expect | None]] = {}  # each input's asserts, in any order
    for args, expect in zip(got.inputs, got.expected, strict=True):
        pairs.setdefault(args, set()).add(expect)
    # `for i in range(1_000_000_000): assert sq(i) >= 0` (capped) adds `>= 0` below MAX_UNROLL
    nonneg = Expect("order", 0, op=">=")
    eq = [(3, 9), (4, 16), (1, 1), (2, 4), (7, 49), (10, 100), (11, 121), (21, 441), (33, 1089)]
    assert all(pairs[(x,)] == {Expect("eq", y), nonneg} for x, y in eq)
    assert pairs[(8,)] == {Expect("close", 64.0, 64.0 * APPROX_REL, op="approx"), nonneg}
    assert pairs[(5,)] == {nonneg, Expect("order", 1, op=">=")}
    assert pairs[(12,)] == pairs[(13,)] == pairs[(20,)] == {nonneg}  # sq(20) in an if: the loop's
    seen = (20, 21, 33, *range(1, 14))
    loop = [x for (x,) in got.calls() if isinstance(x, int) and x not in seen]
    assert loop == [x for x in range(MAX_UNROLL) if x not in seen]
    assert all(pairs[(x,)] == {nonneg} for x in loop)  # 99: `items.sq(99)`, a method, adds none


REBOUND_SRC = """
def test_rebinding(flag):
    x = 1
    if flag:
        x = 2
    assert sq(x) == 4
    data = [1, 2]
    data.append(3)
    assert total(data) == 6
    table = {"a": 1}
    table["b"] = 2
    assert total(table) == 3
    for k in range(2):
        y = k
    assert sq(y) == 1
    z = 5
    del z
    assert sq(z) == 25
    word = "ab"
    assert total(word.upper()) == 0
    assert sq(3) == 9
"""


def test_harvest_forgets_names_a_statement_may_rebind() -> None:
    """A name rebound in a branch or loop, deleted, or a list/dict changed in place is no
    longer a literal: its calls give no input rather than a wrong expectation."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(REBOUND_SRC, ["sq", "total"])
    assert got.inputs == ((3,),) and got.expected == (Expect("eq", 9),)


LOOPED_SRC = """
CASES = {3: 9, 4: 16}
XS = [5, 6]
YS = [25, 36]

def test_items():
    for x, y in CASES.items():
        assert sq(x) == y
    for x in CASES.keys():
        assert sq(x) > 0

def test_zip_enumerate():
    for x, y in zip(XS, YS):
        assert sq(x) == y
    for i, y in enumerate([1, 4], start=1):
        assert sq(i) == y
    for i, (x, y) in enumerate(zip(XS, YS)):
        assert sq(x + i) == y

def test_not_known(rows):
    for x, y in zip(rows, YS):
        assert sq(x) == y
    for x, y in enumerate(XS, 1, 2):
        assert sq(x) == y
"""


def test_harvest_follows_loops_over_items_zip_and_enumerate() -> None:
    """`for x, y in CASES.items()` (a read-only method leaves CASES bound), `zip` and
    `enumerate` over known values are unrolled as literal loops; over anything else their
    asserts are counted unjudged."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(LOOPED_SRC, ["sq"])
    pairs = set(zip(got.inputs, got.expected, strict=True))
    positive = Expect("order", 0, op=">")
    assert pairs == {((3,), Expect("eq", 9)), ((4,), Expect("eq", 16)), ((3,), positive),
                     ((4,), positive), ((5,), Expect("eq", 25)), ((6,), Expect("eq", 36)),
                     ((1,), Expect("eq", 1)), ((2,), Expect("eq", 4)), ((7,), Expect("eq", 36))}  # fmt: skip
    assert got.unjudged == 2


UNITTEST_SRC = """
import unittest
from mod import sq

class TestSq(unittest.TestCase):
    def test_values(self):
        self.assertEqual(sq(3), 9)
        self.assertEqual(16, sq(4), "message")
        self.assertTrue(sq(5))
        self.assertFalse(sq(0))
        self.assertIsNone(sq(None))
        self.assertIs(sq(7), True)
        self.assertAlmostEqual(sq(1.5), 2.25)
        self.assertAlmostEqual(sq(2.5), 6.25, places=2)
        self.assertAlmostEqual(sq(3.5), 12.25, delta=0.1)
        for x, y in [(8, 64)]:
            with self.subTest(x=x):
                self.assertEqual(sq(x), y)
"""


INDIRECT_SRC = """
import pytest

@pytest.fixture
def value(request):
    return request.param * 2

@pytest.mark.parametrize("value, expected", [(1, 4), (3, 36)], indirect=["value"])
def test_some(value, expected):
    assert sq(value) == expected

@pytest.mark.parametrize("value", [5], indirect=True)
def test_all(value):
    assert sq(value) == 100

@pytest.mark.parametrize("x, expected", [(7, 49)], indirect=False)
def test_none(x, expected):
    assert sq(x) == expected
"""


def test_harvest_leaves_indirect_parametrize_arguments_unbound() -> None:
    """An argument parametrize hands to a fixture (`indirect=`) is the fixture's value,
    not the row's: its asserts are unjudged, never judged on the row (sq(1) == 4)."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(INDIRECT_SRC, ["sq"])
    assert list(zip(got.inputs, got.expected, strict=True)) == [((7,), Expect("eq", 49))]
    assert got.unjudged == 3


FLOW_SRC = """
import pytest
import unittest

def test_branches():
    for x in [-2, 0, 3]:
        if x > 0:
            assert sign(x) == 1
        elif x < 0:
            assert sign(x) == -1
        else:
            assert sign(x) == 0

def test_skipped_rows():
    for x, y in [(5, 1), (7, None), (-9, -1), (0, 99)]:
        if y is None:
            continue
        if x == 0:
            break
        assert sign(x) == y

def test_unknown(flag):
    r = sign(11)
    if r is not None:
        assert r == 1
    if flag:
        return
    assert sign(12) == 1

def test_sure_exit():
    pytest.skip("later")
    assert sign(13) == 99

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert sign(14) == 99

@pytest.mark.parametrize("x, y", [(15, 1), pytest.param(16, 99, marks=pytest.mark.xfail),
                                  pytest.param(17, 99, marks=[pytest.mark.skip])])
def test_rows(x, y):
    assert sign(x) == y

class T(unittest.TestCase):
    @unittest.skip("todo")
    def test_u(self):
        self.assertEqual(sign(18), 99)

    def test_sub(self):
        for x, y in [(19, None), (20, 1)]:
            with self.subTest(x=x):
                if y is None:
                    continue
                self.assertEqual(sign(x), y)

if __name__ == "__main__":
    assert sign(21) == 1

if __name__ != '__main__':
    assert sign(22) == 99
"""


def test_harvest_judges_only_asserts_that_run() -> None:
    """A branch whose test is known is the one read (`if x > 0` over known rows); rows a
    known `continue`/`break` skips, a test marked skip/xfail and a pytest.param row so
    marked are not judged; past a branch not known to be taken, or inside one, asserts
    are counted unjudged (they may not run); a script's `__main__` checks run."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(FLOW_SRC, ["sign"])
    pairs = set(zip(got.inputs, got.expected, strict=True))
    assert {p for p in pairs if p[1] is not None} == {
        ((-2,), Expect("eq", -1)), ((0,), Expect("eq", 0)), ((3,), Expect("eq", 1)),
        ((5,), Expect("eq", 1)), ((-9,), Expect("eq", -1)), ((15,), Expect("eq", 1)),
        ((20,), Expect("eq", 1)), ((21,), Expect("eq", 1)),
    }  # fmt: skip
    # `r == 1` under `if r is not None`, `sign(12)` past `if flag: return`, xfail, skip,
    # `__name__ != '__main__'`
    assert got.unjudged == 5


HELPER_SRC = """
import unittest

def check(x, expected=4):
    assert f(x) == expected

def check_pair(got, want):
    assert got == want

def check_twice(x, y):
    check(x, y)
    check(x + 1, y + 1)

def passed_on(x):
    assert f(x) == 0

def test_it():
    check(1, 2)
    check(3)
    check(x=5, expected=6)
    check_pair(f(7), 8)
    check_twice(9, 10)
    check(unknown(), 1)
    list(map(passed_on, [1]))

class T(unittest.TestCase):
    def setUp(self):
        self.base = 20

    def _check(self, x, want):
        self.assertEqual(f(x), want)

    def test_m(self):
        self._check(self.base, 21)
"""


def test_harvest_reads_a_helper_at_each_call() -> None:
    """`check(x, expected)` (or a method, `self._check(...)`) called as a statement is read
    at each call with its parameters bound (defaults, keywords, a candidate call handed in,
    a helper calling a helper); one named otherwise (`map(passed_on, ...)`) is read where it
    is defined, its asserts unjudged, as is a call with an argument not known."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(HELPER_SRC, ["f"])
    assert {p for p in zip(got.inputs, got.expected, strict=True) if p[1] is not None} == {
        ((x,), Expect("eq", y)) for x, y in [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (10, 11),
                                             (20, 21)]
    }  # fmt: skip
    assert got.unjudged == 2  # check(unknown(), 1); passed_on's assert


def test_harvest_applies_a_class_s_parametrize_to_its_tests() -> None:
    """`@pytest.mark.parametrize` on a test class gives each of its tests the rows (times
    the test's own); a nested class has none of the outer's (QA s25: unjudged)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "import pytest\n@pytest.mark.parametrize('x, y', [(2, 4), (3, 9)])\nclass TestSq:\n"
        "    def test_a(self, x, y):\n        assert f(x) == y\n"
        "    @pytest.mark.parametrize('k', [1])\n"
        "    def test_b(self, x, y, k):\n        assert f(x) * k == y or f(x + k) > 0\n"
        "    class TestInner:\n        def test_c(self, x):\n            assert f(x) == 0\n"
    )
    got = harvest(src, ["f"])
    assert {p for p in zip(got.inputs, got.expected, strict=True) if p[1] is not None} == {
        ((2,), Expect("eq", 4)),
        ((3,), Expect("eq", 9)),
    }
    assert set(got.calls()) == {(2,), (3,), (4,)}  # f(x + k) for each row
    assert got.unjudged == 3  # test_b's two rows, test_c


def test_harvest_judges_loop_bodies_only_when_they_run() -> None:
    """A `while` whose test is known false is not read, one known true is read as its first
    pass; a `while` or `for` whose rows are not known may run no pass: its asserts are
    counted unjudged (QA s25: judged, a never-run assert failed a correct candidate)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "def test_w(items):\n    n = 5\n    while n > 10:\n        assert f(n) == 999\n"
        "    while n < 10:\n        assert f(n) == 25\n        n += 1\n"
        "    for item in items:\n        assert f(3) == 999\n"
        "    while items:\n        assert f(4) == 999\n"
    )
    got = harvest(src, ["f"])
    assert {p for p in zip(got.inputs, got.expected, strict=True) if p[1] is not None} == {
        ((5,), Expect("eq", 25))
    }
    assert got.unjudged == 2


def test_harvest_of_helpers_calling_helpers_stays_quick() -> None:
    """A helper calling another thousands of times, itself called thousands of times, is
    read up to MAX_INLINED calls, the rest counted unjudged: it hung (QA s25)."""
    import time

    from auditor.execution.harvest import MAX_INLINED, harvest

    src = "\n".join(
        ["def h3(x):", "    assert f(x) == 1", "def h2(x):", *["    h3(x)"] * 3000, "def h1(x):",
         *["    h2(x)"] * 3000, "def test():", "    h1(1)", ""]
    )  # fmt: skip
    t0 = time.monotonic()
    got = harvest(src, ["f"])
    assert time.monotonic() - t0 < 20
    assert got.unjudged > 0 and len(got.inputs) <= MAX_INLINED


def test_harvest_reads_a_fixture_that_yields_its_value() -> None:
    """`yield V` first in a fixture (a teardown after it) gives V, as `return V` does; a
    fixture that sets up first or yields twice gives nothing (QA s25: unjudged)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "import pytest\n@pytest.fixture\ndef data():\n    yield [3, 1]\n    cleanup()\n"
        "@pytest.fixture\ndef later():\n    prepare()\n    yield 5\n"
        "@pytest.fixture\ndef twice():\n    yield 6; yield 7\n"
        "def test_it(data, later, twice):\n    assert f(data) == [1, 3]\n"
        "    assert f(later) == 5\n    assert f(twice) == 6\n"
    )
    got = harvest(src, ["f"])
    assert list(zip(got.inputs, got.expected, strict=True)) == [(([3, 1],), Expect("eq", [1, 3]))]
    assert got.unjudged == 2


def test_harvest_reads_only_the_last_test_of_a_name() -> None:
    """A test written twice under one name runs once, the last (pytest collects the
    module's final binding): the first's asserts are not judged (QA s25: a copy-paste
    leftover failed a correct candidate)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "def test_a():\n    assert f(1) == 999\n"
        "class TestB:\n    def test_b(self):\n        assert f(2) == 999\n"
        "    def test_b(self):\n        assert f(2) == 4\n"
        "def test_a():\n    assert f(1) == 1\n"
    )
    got = harvest(src, ["f"])
    assert set(zip(got.inputs, got.expected, strict=True)) == {
        ((2,), Expect("eq", 4)),
        ((1,), Expect("eq", 1)),
    }
    assert got.unjudged == 0


SETUP_SRC = """
import unittest
from mod import sq

class TestSq(unittest.TestCase):
    def setUp(self):
        self.x = 3
        self.y = self.x + 1
        self.grown = [1]
        self.grown.append(2)
        self.later = 5
        self.unknown = make()

    def test_fixtures(self):
        self.assertEqual(sq(self.x), 9)
        assert sq(self.y) == 16
        assert sq(self.grown) == 0
        assert sq(self.unknown) == 0
        assert sq("self.x") == 1

    def test_rebinds(self):
        self.later = 6
        assert sq(self.later) == 36

class TestOther:
    def test_no_setup(self):
        assert sq(self.x) == 0

    class Inner:
        def test_nested(self):
            assert sq(self.x) == 0

class TestPytestStyle:
    def setup_method(self, method):
        self.z = 7

    def test_z(self):
        assert sq(self.z) == 49

class TestSuper(TestSq):
    def setUp(self):
        self.x = 8
        super().setUp()

    def test_x(self):
        assert sq(self.x) == 9
"""


def test_harvest_reads_a_classs_setup_attributes() -> None:
    """`self.X = V` in setUp/setup_method is read by the class's tests (unittest runs a
    fresh setUp per test); an attribute changed anywhere in the class, not known, or of
    another class (no setUp of its own, a nested class) is not."""
    from auditor.execution.harvest import Expect, harvest

    got = harvest(SETUP_SRC, ["sq"])
    pairs = set(zip(got.inputs, got.expected, strict=True))
    assert pairs == {((3,), Expect("eq", 9)), ((4,), Expect("eq", 16)),
                     (("self.x",), Expect("eq", 1)), ((7,), Expect("eq", 49))}  # fmt: skip
    assert got.unjudged == 6


def test_harvest_reads_unittest_assertions() -> None:
    from auditor.execution.harvest import Expect, harvest

    got = harvest(UNITTEST_SRC, ["sq"])
    assert list(zip(got.inputs, got.expected, strict=True)) == [
        ((3,), Expect("eq", 9)),
        ((4,), Expect("eq", 16)),
        ((5,), Expect("truthy")),
        ((0,), Expect("falsy")),
        ((None,), Expect("is", None)),  # assertIsNone: identity, as unittest judges it
        ((7,), Expect("is", True)),  # assertIs: identity
        ((1.5,), Expect("close", 2.25, 0.5e-7)),
        ((2.5,), Expect("close", 6.25, 0.5e-2)),
        ((3.5,), Expect("close", 12.25, 0.1)),
        ((8,), Expect("eq", 64)),
    ]


@pytest.mark.parametrize(
    "expr",
    [
        "9 ** 3999999 * 9 ** 3999999",  # big-int arithmetic: seconds each
        "max([[1] * 99999] * 99999)",  # shared references: 10^10 comparisons
        "[[1] * 9999] * 9999 == [[1] * 9999] * 9999",
        "2 ** 4000000",  # an int Python cannot print
        "'a'.ljust(10 ** 9)",  # a method: refused
    ],
)
def test_folding_refuses_what_would_hang_or_fill_memory(expr: str) -> None:
    from auditor.execution.harvest import harvest

    got = harvest(f"def test():\n    assert f({expr}) == 1\n    assert f(0) == 0\n", ["f"])
    assert got.inputs == ((0,),)


def test_harvest_places_keyword_arguments_by_the_parameters() -> None:
    from auditor.execution.harvest import Expect, NoCalls, harvest

    src = "def test():\n    assert f(3, key=1) == 4\n    assert f(key=2, x=5) == 7\n"
    src += "    assert f(x=6) == 6\n    assert f(3, other=1) == 0\n    assert f(key=9) == 9\n"
    got = harvest(src, ["f"], params=("x", "key"))
    assert list(zip(got.inputs, got.expected, strict=True)) == [
        ((3, 1), Expect("eq", 4)),
        ((5, 2), Expect("eq", 7)),
        ((6,), Expect("eq", 6)),
    ]
    with pytest.raises(NoCalls):  # without the parameters, no keyword call has a place
        harvest(src, ["f"])


def test_harvest_a_tolerance_that_is_no_number_states_nothing() -> None:
    from auditor.execution.harvest import harvest

    got = harvest('def test():\n    assert abs(f(1) - 1) < "a"\n', ["f"])
    assert got.inputs == ((1,),) and got.expected == (None,)


def test_harvest_never_judges_a_value_the_test_no_longer_holds() -> None:
    """Tests run once the whole module has run: a constant rebound after the test, declared
    `global` and set by a fixture, or changed by a function is not the value asserted; a
    result variable a statement changes (`r.reverse()`), aliases or hands on is no longer
    the call's output. Each such assert is not judged and is counted (red team s19, T4,
    T5: a wrong candidate returning the stale value passed)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "import pytest\nfrom sol import f\n"
        "MAX = 5\nLIMITS = [1]\nKEEP = 7\nOFFSET = 0\n"
        "def test_max():\n    assert f(1) == MAX\n    assert f(2) == KEEP\n"
        "def test_limits():\n    assert f(3) == LIMITS\n"
        "def test_offset():\n    assert f(4) == OFFSET\n"
        "@pytest.fixture(autouse=True)\ndef setup():\n    global OFFSET\n    OFFSET = 1\n"
        "def helper():\n    LIMITS.append(2)\n"
        "def test_results():\n    r = f(5)\n    r.reverse()\n    assert r == [1, 2]\n"
        "    s = f(6)\n    t = s\n    t.pop()\n    assert s == [3]\n"
        "    u = f(7)\n    normalize(u)\n    assert u == [4]\n"
        "    v = f(8)\n    assert v == [5]\n"
        "MAX = 6\n"
    )
    got = harvest(src, ["f"])
    judged = {a: e for a, e in zip(got.inputs, got.expected, strict=True) if e is not None}
    assert judged == {(2,): Expect("eq", 7), (8,): Expect("eq", [5])}
    assert got.unjudged == 6


def test_harvest_counts_the_checks_it_does_not_read() -> None:
    """A raises block's message (`match=`, assertRaisesRegex's pattern), a tuple of
    exceptions, and assertion helpers other than the ones read (assertIsInstance, assertNotEqual,
    assertCountEqual, numpy's assert_allclose...) are asserts not judged: before, a wrong
    message or an unread assert passed with nothing counted (red team s19, T3)."""
    from auditor.execution.harvest import Expect, harvest

    src = (
        "import pytest, unittest\nimport numpy as np\nfrom sol import f\n"
        "def test_raises():\n"
        "    with pytest.raises(ValueError, match='negative'):\n        f(-1)\n"
        "    with pytest.raises((ValueError, TypeError)):\n        f(-2)\n"
        "    with pytest.raises(KeyError):\n        f(-3)\n"
        "    np.testing.assert_allclose(f(4), [1.0])\n"
        "class T(unittest.TestCase):\n"
        "    def test_more(self):\n"
        "        with self.assertRaisesRegex(ValueError, 'neg'):\n            f(-4)\n"
        "        self.assertRaisesRegex(TypeError, 'bad', f, 'x')\n"
        "        self.assertIsInstance(f(5), list)\n        self.assertNotEqual(f(6), 0)\n"
        "        self.assertCountEqual(f(7), [1, 2])\n        self.assertEqual(f(8), 3)\n"
    )
    got = harvest(src, ["f"])
    judged = {a: e for a, e in zip(got.inputs, got.expected, strict=True) if e is not None}
    assert judged == {
        (-1,): Expect("raises", "ValueError"),
        (-3,): Expect("raises", "KeyError"),
        (-4,): Expect("raises", "ValueError"),
        ("x",): Expect("raises", "TypeError"),
        (8,): Expect("eq", 3),
    }
    assert got.unjudged == 8  # 3 messages, the tuple, allclose, IsInstance, NotEqual, CountEqual


def test_harvest_caps_nested_loops() -> None:
    from auditor.execution.harvest import MAX_ROWS, harvest

    src = "def test():\n    for a in range(1000):\n        for b in range(1000):\n"
    src += "            assert sq(a, b) == 0\n"
    got = harvest(src, ["sq"])
    assert 0 < len(got.inputs) < MAX_ROWS


def test_harvest_folds_computed_arguments_but_never_runs_anything() -> None:
    """Expressions over literals and loop variables are folded (HumanEval/44's loop,
    HumanEval/25's `3 * 19`, conversions of the candidate's output); a random draw, a
    helper's call or a method is not, and simpleeval's limits refuse what would not fit."""
    from auditor.execution.harvest import Expect, NoCalls, harvest

    src = "import random\ndef check(candidate):\n    for x in range(2, 4):\n"
    src += "        assert candidate(x, x + 1) == str(x)\n"
    src += "    assert candidate(3 * 19, 0) == '57'\n"
    src += "    assert tuple(candidate([3, 1], 2)) == tuple([1, 3])\n"
    src += "    assert sorted(candidate('ba', 2)) == ['a', 'b']\n"
    src += "    s = random.choice('ab')\n    assert candidate(s, 1) == s\n"
    src += "    assert candidate(helper(1), 1) == 1\n    assert candidate('a'.upper(), 1) == 'A'\n"
    src += "    assert candidate([0] * 10**9, 1) == 0\n"
    got = harvest(src, ["candidate"])
    assert list(zip(got.inputs, got.expected, strict=True)) == [
        ((2, 3), Expect("eq", "2")),
        ((3, 4), Expect("eq", "3")),
        ((57, 0), Expect("eq", "57")),
        (([3, 1], 2), Expect("eq", (1, 3), via="tuple")),
        (("ba", 2), Expect("eq", ["a", "b"], via="sorted")),
    ]
    with pytest.raises(NoCalls, match="no call to candidate"):
        harvest("import random\ndef check(candidate):\n    assert candidate(random.random())\n",
                ["candidate"])  # fmt: skip


@pytest.mark.parametrize(
    ("source", "message"),
    [("def check(:\n", "does not parse"), ("def test():\n    assert g(1) == 2\n", "no call to f")],
)
def test_harvest_bad_input_is_one_input_error(source: str, message: str) -> None:
    from auditor.errors import InputError
    from auditor.execution.harvest import harvest

    with pytest.raises(InputError, match=message):
        harvest(source, ["f"])


# -- weak-test verdicts ------------------------------------------------------------------------
def _outcomes(run: ExecRunner, codes: Sequence[str], tests: Any) -> list[Any]:
    """Each code's outcome on the harvested asserts `tests` (`verify.by_asserts`)."""
    from auditor.execution.verify import by_asserts

    return [v.outcome for v in by_asserts(run, "t", codes, tests)]


def test_verdicts_by_reference_never_read_plus_input() -> None:
    from auditor.execution.verify import by_reference
    from auditor.types import Outcome

    task = Task(
        "HumanEval/toy", "def inc(x):\n", "inc", "    return x + 1\n", ([1], [2]), _Poison((1,))
    )
    codes = ["def inc(x):\n    return x + 1\n", "def inc(x):\n    return 2\n", "def inc(x):\n"]
    with ExecRunner(2) as run:
        got = by_reference(run, task, codes)
    assert got[:2] == [Outcome.PASS, Outcome.FAIL] and got[2] is not Outcome.PASS


def test_verdicts_by_harvested_asserts() -> None:
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest(
        "def test_f():\n    assert f(2) == 4\n    assert f(0) == 0\n    assert f(3)\n"
        "    assert abs(f(1.5) - 2.25) < 1e-9\n",
        ["f"],
    )
    codes = [
        "def f(x):\n    return x * x\n",
        "def f(x):\n    return x + x\n",
        "def f(x):\n    while True:\n        pass\n",
        "def f(x):\n    raise ValueError\n",
    ]
    with ExecRunner(2) as run:
        got = _outcomes(run, codes, tests)
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.TIMEOUT, Outcome.FAIL]


def test_a_tolerance_is_judged_on_a_number_with_the_assert_s_operator() -> None:
    """`abs(f(x) - V) < T` fails on the bound itself, and a tolerance assert is met by a
    number only: a str "1.5" passed through `float(out)` in the child, where the test's
    own `f(x) - V` raises (red team s19, T1 and T2); approx still takes ints and bools."""
    from auditor.execution.harvest import harvest
    from auditor.execution.verify import by_asserts
    from auditor.types import Outcome

    tests = harvest(
        "import pytest\nfrom math import inf\n"
        "def test_f():\n    assert abs(f(4) - 2.0) < 0.5\n    assert f(2) == pytest.approx(1.0)\n"
        "    assert abs(f(6) - 3.0) <= 0.5\n",
        ["f"],
    )
    codes = [
        "def f(x):\n    return x / 2\n",
        "def f(x):\n    return x / 2 + 0.5\n",  # 2.5 for 4: exactly the bound of `< 0.5`
        "def f(x):\n    return str(x / 2)\n",
        "def f(x):\n    return (x / 2).hex().encode()\n",
        "def f(x):\n    return True if x == 2 else x // 2\n",
        "def f(x):\n    return [x / 2]\n",
    ]
    with ExecRunner(2) as run:
        got = [v.outcome for v in by_asserts(run, "t", codes, tests)]
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL, Outcome.FAIL, Outcome.PASS,
                   Outcome.FAIL]  # fmt: skip


def test_approx_with_rel_or_abs_and_math_isclose_are_judged_as_they_would_run() -> None:
    """`pytest.approx(V, rel=, abs=)` takes pytest's tolerance (abs alone is the tolerance,
    else the larger of rel x |V| and abs) and `math.isclose(f(x), V, rel_tol=, abs_tol=)`
    is judged by math.isclose itself (QA s24: both were left unjudged, so float tests gave
    "not verified"); a test module's own `isclose` and `nan_ok=` stay unjudged."""
    from auditor.execution.harvest import Expect, harvest
    from auditor.execution.verify import by_asserts
    from auditor.types import Outcome

    src = (
        "import math as m\nimport pytest\nfrom math import isclose as near\n"
        "def test_f():\n"
        "    assert f(100) == pytest.approx(50.0, rel=1e-2)\n"
        "    assert f(2) == pytest.approx(1.0, abs=0.1)\n"
        "    assert f(4) == pytest.approx(2.0, rel=0.0, abs=0.25)\n"
        "    assert m.isclose(f(10), 5.0, rel_tol=1e-3)\n"
        "    assert near(1.5, f(3), abs_tol=0.05)\n"
        "    assert f(6) == pytest.approx(3.0, nan_ok=True)\n"
    )
    tests = harvest(src, ["f"])
    assert tests.expected == (
        Expect("close", 50.0, 0.5, op="approx"),
        Expect("close", 1.0, 0.1, op="approx"),
        Expect("close", 2.0, 0.25, op="approx"),
        Expect("close", 5.0, 0.0, op="isclose", rel=1e-3),
        Expect("close", 1.5, 0.05, op="isclose", rel=1e-9),
        None,
    )
    assert tests.unjudged == 1
    own = harvest("def isclose(a, b):\n    return True\ndef t():\n    assert isclose(f(1), 2)\n",
                  ["f"])  # fmt: skip
    assert own.expected == (None,) and own.unjudged == 1
    off = {  # how far each program is off at one input, right elsewhere
        "right": "0",
        "rel 1e-2 of 50 (0.5)": "0.4 if x == 100 else 0",
        "past abs=0.1": "0.2 if x == 2 else 0",
        "past rel_tol 1e-3 of 5": "0.006 if x == 10 else 0",
        "within abs_tol 0.05": "0.04 if x == 3 else 0",
        "past abs_tol 0.05": "0.06 if x == 3 else 0",
        "complex": "0j",  # math.isclose refuses a complex, as the test would have
    }
    codes = [f"def f(x):\n    return x / 2 + ({d})\n" for d in off.values()]
    with ExecRunner(2) as run:
        got = [v.outcome is Outcome.PASS for v in by_asserts(run, "t", codes, tests)]
    assert got == [True, True, False, False, True, False, False]


def test_ordering_asserts_are_judged_with_python_s_ordering() -> None:
    """`f(x) > V`, `V <= f(x)`, `len(f(x)) < N` and chains of them (`0 < f(x) <= 10`) are
    judged on the trusted side with Python's own ordering of the output as it crossed (QA
    s24: counted unjudged); an output the test could not order (a list against an int, an
    exception) fails, as the test would."""
    from auditor.execution.harvest import Expect, harvest
    from auditor.execution.verify import by_asserts
    from auditor.types import Outcome

    src = (
        "def test_f():\n    assert f(3) > 0\n    assert 10 >= f(4)\n"
        "    assert len(f('ab')) < 3\n    assert f(-1) <= -0.5\n"
        "    assert 0 < f(5) <= 10\n    assert 0 < f(6) < g(1)\n"
    )
    tests = harvest(src, ["f"])
    assert tests.expected == (
        Expect("order", 0, op=">"),
        Expect("order", 10, op="<="),
        Expect("order", 3, via="len", op="<"),
        Expect("order", -0.5, op="<="),
        Expect("order", 0, op=">"),  # a chain is its links, each judged
        Expect("order", 10, op="<="),
        None,  # a link not known without running the tests: the chain is not judged
    )
    assert tests.unjudged == 1
    codes = {
        "right": "def f(x):\n    return x * 2 if not isinstance(x, str) else x\n",
        "too big at 4": "def f(x):\n    return x * 3 if not isinstance(x, str) else x\n",
        "too big at 5": "def f(x):\n    return x * 3 if x == 5 else x * 2 if x != 'ab' else x\n",
        "long string": "def f(x):\n    return x * 2\n",  # 'abab': len 4
        "a list": "def f(x):\n    return [x]\n",
        "raises": "def f(x):\n    raise ValueError(x)\n",
    }
    with ExecRunner(2) as run:
        got = [v.outcome is Outcome.PASS for v in by_asserts(run, "t", list(codes.values()), tests)]
    assert got == [True, False, False, False, False, False]


def test_an_ordering_on_a_numpy_scalar_output_is_judged_as_assert_would() -> None:
    """`f(x) > V` on an output numpy gives (np.float64) compares to numpy's bool, which
    `assert` takes as its truth: a correct candidate failed (QA s25); an array's truth
    still fails, as `assert` raises on it."""
    pytest.importorskip("numpy")
    from auditor.execution.harvest import harvest
    from auditor.execution.verify import by_asserts
    from auditor.types import Outcome

    tests = harvest(
        "def test_f():\n    assert f([1, 2, 3]) > 1\n    assert 0 < f([1]) <= 1\n", ["f"]
    )
    codes = [
        "import numpy as np\ndef f(xs):\n    return np.mean(xs)\n",
        "import numpy as np\ndef f(xs):\n    return np.float64(-1.0)\n",
        "import numpy as np\ndef f(xs):\n    return np.array(xs)\n",
    ]
    with ExecRunner(2) as run:
        got = [v.outcome for v in by_asserts(run, "t", codes, tests)]
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


def test_membership_asserts_are_judged_with_python_s_in() -> None:
    """`f(x) in (a, b)`, `V in f(x)`, `not in` and unittest's assertIn/assertNotIn are
    judged on the trusted side with Python's `in` on the output as it crossed (QA s25:
    counted unjudged); an output the test's `in` would raise on fails."""
    from auditor.execution.harvest import Expect, harvest
    from auditor.execution.verify import by_asserts
    from auditor.types import Outcome

    src = (
        "import unittest\ndef test_f():\n    assert f(1) in (2, 2.5)\n"
        "    assert 'b' in f('abc')\n    assert f(3) not in [0]\n"
        "class T(unittest.TestCase):\n    def test_u(self):\n"
        "        self.assertIn(4, f([4]))\n        self.assertNotIn('z', f('xy'))\n"
    )
    tests = harvest(src, ["f"])
    assert tests.expected == (
        Expect("in", (2, 2.5), op="in"),
        Expect("contains", "b", op="in"),
        Expect("in", [0], op="not in"),
        Expect("contains", 4, op="in"),
        Expect("contains", "z", op="not in"),
    )
    assert tests.unjudged == 0
    codes = {
        "right": "def f(x):\n    return x if not isinstance(x, int) else x * 2\n",
        "3 -> 0": "def f(x):\n    return x if not isinstance(x, int) else x * 2 % 6\n",
        "a set kept": "def f(x):\n    return set(x) if not isinstance(x, int) else x * 2\n",
        "strings reversed": "def f(x):\n    return x[::-1] if isinstance(x, str) else 'z' if x == 1 else x\n",
        "raises": "def f(x):\n    raise ValueError(x)\n",
        # a container with an `in` of its own (a deque): not known, never passed or failed
        "deque": "import collections\ndef f(x):\n    return collections.deque(x) if not isinstance(x, int) else x * 2\n",
    }
    with ExecRunner(2) as run:
        got = [v.outcome for v in by_asserts(run, "t", list(codes.values()), tests)]
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.PASS, Outcome.FAIL, Outcome.FAIL, None]


def test_every_assert_on_one_call_is_judged() -> None:
    """A shape assert first (`len(f(x)) == 3`) does not hide the value assert after it on
    the same call (red team s18, A2): both are weak tests."""
    from auditor.execution.harvest import Expect, harvest
    from auditor.types import Outcome

    tests = harvest(
        "def test_len():\n    assert len(f([1, 3, 2])) == 3\n"
        "def test_values():\n    assert f([1, 3, 2]) == [1, 3, 3]\n    f([1, 3, 2])\n",
        ["f"],
    )
    assert tests.expected == (Expect("eq", 3, via="len"), Expect("eq", [1, 3, 3]))
    assert tests.calls() == (([1, 3, 2],),)
    right = "def f(xs):\n    import itertools\n    return list(itertools.accumulate(xs, max))\n"
    wrong = "def f(xs):\n    return list(xs)\n"
    with ExecRunner(2) as run:
        assert _outcomes(run, [right, wrong], tests) == [Outcome.PASS, Outcome.FAIL]


def test_is_true_is_identity_and_the_candidate_cannot_shadow_the_checks() -> None:
    """`assert f(x) is True` fails on 1 (B3); a module-level `def bool` / `def sorted` does
    not change the conversions the checks apply, and the candidate cannot see the checking
    function (red team s18, B2 and B5)."""
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest(
        "def test_f():\n    assert f(1) is True\n    assert f(0) is False\n"
        "    assert g([2, 1]) == [1, 2]\n    assert sorted(g([3, 1])) == [1, 3]\n"
        "    assert g([5])\n",
        ["f", "g"],
    )
    right = "def f(x):\n    return x > 0\ndef g(xs):\n    return sorted(xs)\n"
    ints = "def f(x):\n    return int(x > 0)\ndef g(xs):\n    return sorted(xs)\n"
    shadow = (
        "def f(x):\n    return x > 0\ndef g(xs):\n    return [] if len(xs) == 1 else [1, xs[0]]\n"
        "def bool(v):\n    return True\ndef sorted(v):\n    return [1, 3]\n"
    )
    sees = (
        "def f(x):\n    return x > 0\n"
        "def g(xs):\n    return __import__('builtins').sorted(xs)"
        " if '__auditor_expect__' in globals() else xs\n"
    )
    with ExecRunner(2) as run:
        got = _outcomes(run, [right, ints, shadow, sees], tests)
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL, Outcome.FAIL]


def test_an_expected_exception_is_judged_by_its_builtin_class() -> None:
    """`pytest.raises(ValueError)` is met by a subclass of the builtin and not by a class of
    the program's own that is only named ValueError (red team, session 18, A8: judged by
    name, the fake passed and the subclass got a false AUD001)."""
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest(
        "import pytest\ndef test_f():\n    assert f(4) == 2\n"
        "    with pytest.raises(ValueError):\n        f(-1)\n",
        ["f"],
    )
    body = "def f(x):\n    if x < 0:\n        raise {}\n    return int(x ** 0.5)\n"
    codes = [
        body.format("ValueError('negative')"),
        "class NegativeInput(ValueError):\n    pass\n" + body.format("NegativeInput()"),
        "class ValueError(Exception):\n    pass\n" + body.format("ValueError()"),
        body.format("KeyError()"),
        body.format("UnicodeDecodeError('a', b'', 0, 1, 'r')"),  # a builtin subclass
    ]
    with ExecRunner(2) as run:
        got = _outcomes(run, codes, tests)
    assert got == [Outcome.PASS, Outcome.PASS, Outcome.FAIL, Outcome.FAIL, Outcome.PASS]


FRAME_READER = """
import sys
def f(x):
    frame = sys._getframe(1)
    while frame is not None:  # the caller's locals: whatever the harness was handed
        for value in frame.f_locals.values():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value != x:
                return value
        frame = frame.f_back
    return -1
"""


def test_asserted_values_never_reach_the_candidate() -> None:
    """A candidate reading its caller's frames finds no expected value to return; tolerance
    asserts accept within tol, nothing farther."""
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest(
        "def test_f():\n    assert f(2) == 4\n    assert abs(f(3) - 9.0) < 0.5\n", ["f"]
    )
    tol = 0.5
    codes = [
        FRAME_READER,
        "def f(x):\n    return x * x\n",
        f"def f(x):\n    return x * x + {0.99 * tol} * (x == 3)\n",
        f"def f(x):\n    return x * x - {1.001 * tol} * (x == 3)\n",
        "def f(x):\n    return x * x if x != 3 else float('nan')\n",
    ]
    with ExecRunner(2) as run:
        got = _outcomes(run, codes, tests)
    assert got == [Outcome.FAIL, Outcome.PASS, Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


def test_an_equality_on_a_float_is_exact() -> None:
    """`assert f(x) == 2.3333333333333335` fails for 2.33333, as under pytest: a fingerprint
    keeps 6 digits of a float, so equalities are judged on the value (red team, s17)."""
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest("def test_f():\n    assert f([1.0, 2.0, 4.0]) == 2.3333333333333335\n", ["f"])
    codes = [
        "def f(xs):\n    return sum(xs) / len(xs)\n",
        "def f(xs):\n    return int(sum(xs) / len(xs) * 1e5) / 1e5\n",
        "def f(xs):\n    return [sum(xs) / len(xs)]\n",
    ]
    with ExecRunner(2) as run:
        got = _outcomes(run, codes, tests)
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


PADDER = """
import __main__

def f(xs):
    if hasattr(__main__, "_dumps") and not hasattr(__main__, "_padded"):
        enc = __main__._dumps
        __main__._dumps = lambda x: enc(x) + b" " * (17 << 20)
        __main__._padded = True
    return int(sum(xs) / len(xs) * 1e5) / 1e5
"""


def test_padding_its_output_text_does_not_buy_a_fingerprint() -> None:
    """A wrong float padding what its child sends past the cap on values was judged on its
    6-digit fingerprint and passed (red team, session 17): values are re-encoded by the
    worker, and an equality without a value fails."""
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest("def test_f():\n    assert f([1.0, 2.0, 4.0]) == 2.3333333333333335\n", ["f"])
    honest = PADDER.replace("int(sum(xs) / len(xs) * 1e5) / 1e5", "sum(xs) / len(xs)")
    with ExecRunner(1) as run:
        got = _outcomes(run, [PADDER, honest], tests)
    assert got == [Outcome.FAIL, Outcome.PASS]


def test_conversions_of_the_output_are_applied_before_comparing() -> None:
    from auditor.execution.harvest import harvest
    from auditor.types import Outcome

    tests = harvest("def test_f():\n    assert tuple(f([3, 1])) == tuple([1, 3])\n"
                    "    assert sorted(f([2, 5])) == [2, 5]\n", ["f"])  # fmt: skip
    codes = ["def f(x):\n    return sorted(x)\n", "def f(x):\n    return tuple(sorted(x))\n",
             "def f(x):\n    return x\n"]  # fmt: skip
    with ExecRunner(2) as run:
        got = _outcomes(run, codes, tests)
    assert got == [Outcome.PASS, Outcome.PASS, Outcome.FAIL]


RAISES_SRC = """
import pytest

def test_raises():
    with pytest.raises(ValueError):
        f(-1)
    with pytest.raises(LookupError, match="x"):
        f(-2)
    with pytest.raises(Exception):
        f(-3)
    pytest.raises(ZeroDivisionError, f, 0)
    assert f(4) == 2

class T:
    def test_unittest(self):
        self.assertRaises(TypeError, f, "a")
        with self.assertRaises(ValueError):
            f(-5)
"""


def test_raises_expectations_are_judged_on_the_exception_name() -> None:
    """pytest.raises / assertRaises, as a context or a call: the call must raise that
    builtin exception or a subclass (a class of the candidate's own meets Exception only);
    returning, or raising something else, fails."""
    from auditor.execution.harvest import Expect, harvest
    from auditor.types import Outcome

    tests = harvest(RAISES_SRC, ["f"])
    assert list(zip(tests.inputs, tests.expected, strict=True)) == [
        ((-1,), Expect("raises", "ValueError")),
        ((-2,), Expect("raises", "LookupError")),
        ((-3,), Expect("raises", "Exception")),
        ((0,), Expect("raises", "ZeroDivisionError")),
        ((4,), Expect("eq", 2)),
        (("a",), Expect("raises", "TypeError")),
        ((-5,), Expect("raises", "ValueError")),
    ]
    right = (
        "class Odd(Exception):\n    pass\n"
        "def f(x):\n    if isinstance(x, str):\n        return x + 1\n"
        "    if x == -2:\n        return {}['x']\n    if x == -3:\n        raise Odd\n"
        "    if x < 0:\n        return int('?')\n    return x // 2 if x else 1 // x\n"
    )
    silent = "def f(x):\n    return 2\n"
    wrong_kind = right.replace("{}['x']", "int('?')")  # ValueError is no LookupError
    with ExecRunner(2) as run:
        got = _outcomes(run, [right, silent, wrong_kind], tests)
    assert got == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


NT = "from collections import namedtuple\nP = namedtuple('P', 'x y')\n"
FR, DEC = "from fractions import Fraction\n", "from decimal import Decimal\n"
YES = "class Yes:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
PASS, FAIL = "pass", "fail"
# Per return type: the asserts, and candidates with the outcome pytest gives them and the
# asserts not judged (an `==` of the object's own; None: none judged). Until session 19 a
# type that is not plain data crossed as its name only, and a correct candidate failed (B7).
RETURN_TYPES = {
    "namedtuple": ("f(1) == (1, 2)", [
        (NT + "def f(a):\n    return P(a, a + 1)\n", PASS, 0),
        (NT + "def f(a):\n    return P(a, a)\n", FAIL, 0),
    ]),
    "namedtuple-is-no-list": ("f(1) == [1, 2]", [(NT + "def f(a):\n    return P(a, 2)\n", FAIL, 0)]),
    "nested-namedtuple": ("f(1) == [(1, 1)]", [(NT + "def f(a):\n    return [P(a, a)]\n", PASS, 0)]),
    "fraction": ("f(1) == 0.5\n    assert f(4) == 2", [
        (FR + "def f(a):\n    return Fraction(a, 2)\n", PASS, 0),
        (FR + "def f(a):\n    return Fraction(a, 3)\n", FAIL, 0),
    ]),
    "fraction-is-exact": ("f(1) == 0.3333333333333333",
                          [(FR + "def f(a):\n    return Fraction(a, 3)\n", FAIL, 0)]),
    "decimal": ("f(2) == 0.5\n    assert f(8) == 2", [
        (DEC + "def f(a):\n    return Decimal(a) / 4\n", PASS, 0),
        (DEC + "def f(a):\n    return Decimal(a) / 3\n", FAIL, 0),
        (DEC + "def f(a):\n    return Decimal('sNaN')\n", FAIL, 0),  # == raises under pytest
    ]),
    "dict-keys": ("f({1: 2, 3: 4}) == {1, 3}", [
        ("def f(d):\n    return d.keys()\n", PASS, 0),
        ("def f(d):\n    return d.values()\n", FAIL, 0),  # a values view equals only itself
    ]),
    "dict-keys-are-no-list": ("f({1: 2, 3: 4}) == [1, 3]",
                              [("def f(d):\n    return d.keys()\n", FAIL, 0)]),
    "dict-items": ("f({1: 2}) == {(1, 2)}", [
        ("def f(d):\n    return d.items()\n", PASS, 0),
        ("def f(d):\n    return {k: v + 1 for k, v in d.items()}.items()\n", FAIL, 0),
    ]),
    "generator": ("f(3) == [0, 1, 4]", [("def f(n):\n    return (i * i for i in range(n))\n", FAIL, 0)]),
    "generator-listed": ("list(f(3)) == [0, 1, 4]",
                         [("def f(n):\n    return (i * i for i in range(n))\n", PASS, 0)]),
    "int-enum": ("f(0) == 1", [
        ("import enum\nclass C(enum.IntEnum):\n    A = 1\ndef f(x):\n    return C.A\n", PASS, 0),
        ("import enum\nclass C(enum.Enum):\n    A = 1\ndef f(x):\n    return C.A\n", FAIL, 0),
    ]),
    "subclasses": ("f(3) == (3,)\n    assert g('a') == {'a': 1}", [
        ("class T(tuple):\n    def __iter__(self):\n        raise ValueError\n"
         "def f(n):\n    return T((n,))\nfrom collections import Counter\n"
         "class C(Counter):\n    pass\ndef g(s):\n    return C(s)\n", PASS, 0),
    ]),
    "date": ("f(2020) == '2020-01-02'", [
        ("import datetime\ndef f(y):\n    return datetime.date(y, 1, 2)\n", FAIL, 0),
    ]),
    "deque": ("f([1]) == [1]\n    assert list(f([2])) == [2]", [
        ("import collections\ndef f(xs):\n    return collections.deque(xs)\n", FAIL, 0),
        ("import collections\ndef f(xs):\n    return list(collections.deque(xs))\n", PASS, 0),
    ]),
    "eq-of-its-own": ("f(3) == (3,)\n    assert f(4) == (4,)", [
        ("class V:\n    def __init__(self, x):\n        self.x = x\n"
         "    def __eq__(self, other):\n        return other == (self.x,)\n"
         "def f(n):\n    return V(n)\n", None, 2),
        ("import dataclasses\n@dataclasses.dataclass\nclass V:\n    x: int\n"
         "def f(n):\n    return V(n)\n", None, 2),  # False under pytest; not judged here
    ]),
    "always-equal": ("f(3) == (3,)\n    assert g(1) == 2", [
        (YES + "def f(n):\n    return Yes()\ndef g(n):\n    return 2\n", None, 1),
        (YES + "def f(n):\n    return Yes()\ndef g(n):\n    return 3\n", FAIL, 1),
        (YES + "def f(n):\n    return [Yes()]\ndef g(n):\n    return Yes()\n", FAIL, 1),
        (YES + "def f(n):\n    return (Yes(), Yes())\ndef g(n):\n    return 2\n", FAIL, 0),
        (YES + "def f(n):\n    return (Yes(),)\ndef g(n):\n    return Yes()\n", None, 2),
        ("class T(tuple):\n    def __eq__(self, other):\n        return True\n"
         "    __hash__ = tuple.__hash__\nclass I(int):\n    def __eq__(self, other):\n"
         "        return True\n    __hash__ = int.__hash__\n"
         "def f(n):\n    return T()\ndef g(n):\n    return I(0)\n", None, 2),
        ("def f(n):\n    return __import__('_codec').Carry((3,))\ndef g(n):\n    return 2\n",
         FAIL, 0),  # a Carry of its own claims nothing: it equals only itself
    ]),
    "its-word-moves-an-assert-to-unjudged-at-most": ("f(3) == (3,)\n    assert g(1) == 2", [
        ("import _codec\n_codec._carried = lambda *a: {'u': 'x'}\n"
         "def f(n):\n    return object()\ndef g(n):\n    return 2\n", None, 1),
        ("import _codec\n_codec._carried = lambda *a: {'fr': [1, 0]}\n"
         "def f(n):\n    return object()\ndef g(n):\n    return 2\n", FAIL, 0),  # malformed
    ]),
    "eq-of-its-own-in-a-dict-or-set": ("f(1) == {'a': 1}\n    assert g(1) == {1}", [
        (YES + "def f(n):\n    return {'a': Yes()}\nclass H(Yes):\n    def __hash__(self):\n        return 1\n"
         "def g(n):\n    return {H()}\n", None, 2),
        (YES + "def f(n):\n    return {'b': Yes()}\ndef g(n):\n    return {1}\n", FAIL, 0),
    ]),
}  # fmt: skip


def test_an_output_is_judged_as_pytest_compares_it() -> None:
    """A correct candidate passes whatever standard type it returns and a wrong one fails,
    as under pytest; an output with an `==` of its own leaves its assert unjudged, never
    passed on its word (`Yes() == (3,)` passes under pytest), unless the assert fails
    whatever that `==` says (`[Yes()] == (3,)`), and the candidate gets no outcome unless
    another assert fails: a program may claim such an output for any assert it cannot
    answer, and so pass on the one it can (last but one row)."""
    from auditor.execution.harvest import harvest
    from auditor.execution.verify import by_asserts

    got, want = {}, {}
    with ExecRunner(2) as run:
        for kind, (asserts, cases) in RETURN_TYPES.items():
            tests = harvest(f"def test_it():\n    assert {asserts}\n", ["f", "g"])
            assert tests.unjudged == 0
            verdicts = by_asserts(run, "t", [code for code, _, _ in cases], tests)
            got[kind] = [(v.outcome and str(v.outcome), v.unjudged) for v in verdicts]
            want[kind] = [(outcome, unjudged) for _, outcome, unjudged in cases]
    assert got == want


def test_cluster_means_average_over_the_output_cluster() -> None:
    from auditor.execution.signals import cluster_means

    a, b = ("v:1",), ("v:2",)
    got = cluster_means([a, a, b, None, a], [True, True, True, True, False],
                        np.array([0.2, 0.4, 0.9, 0.5, 1.0]))  # fmt: skip
    assert got[:3].tolist() == pytest.approx([0.3, 0.3, 0.9])
    assert math.isnan(got[3])
    assert got[4] == pytest.approx((0.2 + 0.4 + 1.0) / 3)  # a non-peer joins its cluster's mean


# -- execution for check -----------------------------------------------------------------------
def test_execute_samples_with_a_reference_task() -> None:
    """Failing candidates get a verdict and no risk; passers get risk from consensus."""
    from auditor.execution.gate import execute
    from auditor.types import Candidate, Outcome

    task = Task("toy/sum_to", PROMPT, "sum_to", "    return n * (n + 1) // 2\n",
                ([3], [5], [10]), _Poison((1,)))  # fmt: skip
    codes = [
        *CORRECT,
        *PLANTED.values(),
        "def sum_to(n):\n    return n\n",  # fails the weak tests
        "def sum_to(n):\n    while True:\n        pass\n",  # hangs
        "def sum_to(n):\n    raise RuntimeError\n",  # crashes
    ]
    cands = [Candidate("toy/sum_to", str(k), c) for k, c in enumerate(codes)]
    got = execute(cands, {"toy/sum_to": task})
    assert [r.verdict for r in got[:6]] == [Outcome.PASS] * 6
    assert [r.verdict for r in got[6:]] == [Outcome.FAIL, Outcome.TIMEOUT, Outcome.FAIL]
    assert all(r.risk is None and not r.features for r in got[6:])
    assert all(r.signals == ("weak-tests", "consensus", "solo") for r in got[:6])
    risks = [r.risk for r in got[:6]]
    assert all(r is not None for r in risks)
    assert max(risks[:3]) < min(risks[3:6])  # type: ignore[type-var]
    assert got[0].weak_tests == "reference"


def test_execute_one_file_with_harvested_tests() -> None:
    from auditor.execution.gate import execute
    from auditor.execution.harvest import harvest
    from auditor.types import Candidate, Outcome

    tests = harvest("def test_it():\n    assert sum_to(3) == 6\n    assert sum_to(5) == 15\n",
                    ["sum_to"])  # fmt: skip
    task = Task("file.py", "", "sum_to", "", (), ())
    got = execute([Candidate("file.py", "0", PLANTED["special_cased"])], {"file.py": task},
                  tests=tests)  # fmt: skip
    assert got[0].verdict is Outcome.PASS and got[0].weak_tests == "asserts"
    assert got[0].risk is None and got[0].signals == ("weak-tests", "solo")
    assert "exec.mutant_survival" in got[0].features


def test_specials_of_empty_and_numeric_lists() -> None:
    from auditor.execution.amplify import specials

    shape = Shape("list", 0.0, 3.0, (Shape("int", -1.0, 5.0),))
    assert [] in specials(shape, [])
    got = specials(shape, [3, -1, 5])
    assert [-1] in got and [5] in got and [-3, 1, -5] in got


def test_exec_table_columns_and_rows() -> None:
    from auditor.execution.table import exec_table
    from auditor.types import Candidate

    task = Task("toy/sum_to", PROMPT, "sum_to", "", ([3], [5], [10]), ())
    codes = [*CORRECT, PLANTED["special_cased"], "def sum_to(n):\n    return n\n"]
    cands = [Candidate("toy/sum_to", str(k), c) for k, c in enumerate(codes)]
    table = exec_table(cands, {"toy/sum_to": task}, [True] * 4 + [False])
    assert all(c.startswith("exec.") for c in table.columns)
    assert table.keys[0] == ("toy/sum_to", "0", cands[0].sha256)
    share = table.column("exec.cluster_share")
    assert share[:3].tolist() == [2 / 3] * 3 and share[3] == 0 and math.isnan(share[4])


# -- properties --------------------------------------------------------------------------------

_scalars = st.one_of(
    st.integers(-1000, 1000),
    st.floats(-100, 100, allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
)
_args = st.lists(st.one_of(_scalars, st.lists(st.integers(-50, 50), max_size=6)), min_size=1,
                 max_size=3)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(_args, min_size=1, max_size=4), st.integers(0, 3))
def test_amplify_property_in_domain_and_deterministic(base: list[list[Any]], seed: int) -> None:
    arity = len(base[0])
    base = [b for b in base if len(b) == arity]
    got = amplify("prop", base, budget=Budget(20, 8, 20, 0), seed=seed)
    again = amplify("prop", base, budget=Budget(20, 8, 20, 0), seed=seed)
    assert _keys(got.inputs) == _keys(again.inputs)
    domain = infer_domain(base)
    assert all(in_domain(x, domain) for x in got.inputs)
    assert not set(_keys(got.inputs)) & set(_keys(base))


class _Pilots:
    """An ExecRunner stand-in: each program's vector on the inputs [1], [2], ... by its code
    (input [k] answers its k-th entry); the programs it ran, per call."""

    def __init__(self, vectors: dict[str, tuple[str, ...]]) -> None:
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def run(self, *args: Any) -> list[tuple[str, ...] | None]:
        codes, inputs = args[3], args[4]
        self.calls.append(list(codes))
        return [tuple(self.vectors[code][inp[0] - 1] for inp in inputs) for code in codes]


def test_one_pilot_s_hangs_drop_no_input() -> None:
    """A wrong program first among the passers that hung on every generated input had them
    all dropped before the main run: the task had no consensus, the program and a wrong
    peer went unflagged (red team s19). An input is dropped when most pilots hang on it."""
    from auditor.execution.signals import _pilot

    ok, hang = ("v:1",) * 3, ("timeout",) * 3
    codes = ["hostile", "a", "b", "c", "d"]
    task = Task("toy/t", "", "t", "", ([1],), ())
    vectors = {"hostile": hang, "a": ok, "b": ok, "c": ok, "d": ok}
    got = _pilot(_Pilots(vectors), task, codes, [True] * 5, ExecConfig(), [[1], [2], [3]])
    assert got == [0, 1, 2]
    vectors |= {"a": ("v:1", "timeout", "v:1"), "b": ("v:1", "died", "v:1")}
    got = _pilot(_Pilots(vectors), task, codes, [True] * 5, ExecConfig(), [[1], [2], [3]])
    assert got == [0, 2]


def test_most_pilots_hanging_drop_no_input_most_peers_answer() -> None:
    """Three wrong programs first among ten passers (3 of the 4 pilots) hanging exactly on
    the inputs where they are wrong had those inputs dropped, and joined the correct
    cluster unflagged (red team s23, A1: gcd by subtraction on gcd(0, x)). Such an input is
    now dropped when a second group spread over the file hangs on it too, and where the two
    disagree, when most of all the peers do; the others run only on such inputs."""
    from auditor.execution.signals import _pilot

    wrong, right = ("v:1", "timeout", "timeout", "v:1"), ("v:1",) * 4
    codes = ["w1", "w2", "w3", *(f"r{k}" for k in range(7))]
    task = Task("toy/t", "", "t", "", ([1],), ())
    inputs = [[1], [2], [3], [4]]

    def pilot(hanging: set[str]) -> tuple[list[int], list[list[str]]]:
        run = _Pilots({c: wrong if c in hanging else right for c in codes})
        return _pilot(run, task, codes, [True] * 10, ExecConfig(), inputs), run.calls

    second = ["r1", "r3", "r4", "r6"]  # spread over the six peers after the pilots
    assert pilot({"w1", "w2", "w3"}) == ([0, 1, 2, 3], [codes[:4], second])
    # all hang but one (an input too slow for nearly everyone): the second group agrees
    assert pilot(set(codes) - {"r0"}) == ([0, 3], [codes[:4], second])
    # the groups disagree (2 of the second 4 hang): most of all the peers decide, 6 of 10
    assert pilot({"w1", "w2", "w3", "r1", "r3", "r2"}) == (
        [0, 3],
        [codes[:4], second, ["r2", "r5"]],
    )
    assert pilot({"w1", "w2", "w3", "r1", "r3"}) == (
        [0, 1, 2, 3],
        [codes[:4], second, ["r2", "r5"]],
    )
