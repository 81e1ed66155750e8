"""Properties of the weak tests (`auditor.execution.properties`): mining, breaking, columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from auditor.execution import properties, solo
from auditor.execution.harvest import harvest
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, ExecConfig, peer_score, task_block
from auditor.types import Task

PROMPT = 'def running_max(xs: list) -> list:\n    """Running maximum."""\n'
REF = (
    "    out, m = [], None\n    for x in xs:\n        m = x if m is None else max(m, x)\n"
    "        out.append(m)\n    return out\n"
)
BASE = ([[1, 3, 2]], [[5, 4, 6, 1]], [[2]], [[0, 0, 1]])
TASK = Task("toy/rmax", PROMPT, "running_max", REF, BASE, ())
GOOD = PROMPT + REF
LOOP = "def running_max(xs):\n    return [max(xs[: i + 1]) for i in range(len(xs))]\n"
# Special-cases the weak inputs; anything else gets [] (a lookup table's default).
TABLE = (
    "def running_max(xs):\n    return {(1, 3, 2): [1, 3, 3], (5, 4, 6, 1): [5, 5, 6, 6],"
    " (2,): [2], (0, 0, 1): [0, 0, 1]}.get(tuple(xs), [])\n"
)


def _library() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(properties.PREDICATES, namespace)  # the library's own source, not a candidate
    return namespace


@pytest.mark.parametrize(
    ("name", "args", "out", "holds"),
    [
        ("type_list", ([1],), [1], True),
        ("type_int", ([1],), True, False),  # a bool is not an int here
        ("nonneg", (3,), 0, True),
        ("nonneg", (3,), "x", None),
        ("len_eq_arg0", ([1, 2],), [2, 1], True),
        ("len_eq_arg0", ([1, 2],), [], False),
        ("elems_of_arg0", ([1, 2],), [2, 2], True),
        ("elems_of_arg0", ([-3, -1],), [0, 0], False),  # a running max started at 0
        ("member_of_arg0", ([4, 7],), 7, True),
        ("member_of_arg1", ("abc", "b"), "b", True),
        ("sorted", ([3, 1],), [1, 3], True),
        ("sorted", ([3, 1],), [1], None),  # too short to tell
        ("le_len_arg0", ([1, 2, 3],), 4, False),
        ("ge_arg1", ("x", 2), 1, False),
        ("le_arg2", (1, 2), 0, None),  # no third argument
    ],
)
def test_each_predicate_holds_fails_or_does_not_apply(
    name: str, args: tuple, out: Any, holds: bool | None
) -> None:
    assert _library()["_aud_holds"](name, args, out) is holds


def test_the_columns_are_exec_columns_and_the_solo_set_reads_the_raw_share() -> None:
    assert set(properties.COLUMNS) <= set(COLUMNS)
    assert properties.COLUMNS[0] in solo.SINGLE_COLUMNS  # the solo set reads the raw share
    assert properties.COLUMNS[1] not in solo.SINGLE_COLUMNS  # the excess needs peers


def test_mined_from_the_reference_and_from_asserts() -> None:
    with ExecRunner(1) as run:
        ref = properties.mine(run, TASK.task_id, reference=(GOOD, "running_max", BASE))
        pairs = [([[1, 3, 2]], [1, 3, 3]), ([[4, 1]], [4, 4]), ([[0]], [0])]  # (args, output)
        asserted = properties.mine(run, TASK.task_id, pairs)
        one = properties.mine(run, TASK.task_id, pairs[:1])
    assert {"type_list", "len_eq_arg0", "elems_of_arg0"} <= set(ref)
    assert "sorted" not in ref  # [2] -> [2] is too short to tell, so not on every pair
    assert {"type_list", "len_eq_arg0", "elems_of_arg0"} <= set(asserted)
    assert one == ()  # one pair proves nothing


def test_harvested_equalities_are_the_pairs() -> None:
    found = harvest(
        "def test():\n    assert f(3) == 4\n    assert f(5)\n    assert f(0) == 1\n", ["f"]
    )
    assert properties.asserted_pairs(found) == [([3], 4), ([0], 1)]


def test_lookup_table_breaks_the_properties_its_correct_peers_keep() -> None:
    codes = [GOOD, LOOP, GOOD, TABLE]
    with ExecRunner(2) as run:
        X = task_block(run, TASK, codes, [True] * len(codes), ExecConfig()).values
        again = task_block(run, TASK, codes, [True] * len(codes), ExecConfig()).values
    shares = X[:, COLUMNS.index("exec.prop_violations")]
    excess = X[:, COLUMNS.index("exec.prop_excess")]
    assert shares[:3].tolist() == [0.0, 0.0, 0.0] and shares[3] > 0.5
    assert excess.tolist() == shares.tolist()  # the cleanest peer breaks none
    np.testing.assert_array_equal(shares, again[:, COLUMNS.index("exec.prop_violations")])


def test_excess_is_over_the_cleanest_peer_and_nan_alone() -> None:
    got = properties.excess(np.array([0.5, 0.25, np.nan, 0.75]), [True, True, True, False])
    assert got[:2].tolist() == [0.25, 0.0] and np.isnan(got[2:]).all()
    assert np.isnan(properties.excess(np.array([0.5]), [True])).all()


def test_peer_score_orders_a_tie_by_property_excess() -> None:
    share, survival = np.array([0.5, 0.5]), np.array([0.0, 0.0])
    got = peer_score(share, survival, None, None, np.array([0.0, 0.5]))
    assert got[0] < got[1]
    assert peer_score(share, survival, None, None, np.array([np.nan, 0.0])).tolist() == [
        0.5,
        0.5,
    ]


BIG = "def running_max(xs):\n    return [2 ** 20000 for _ in xs]\n"


def test_a_huge_int_output_is_counted_not_a_crash() -> None:
    """A candidate whose outputs hold an int past repr's 4300 digits: its row is computed
    (it breaks the properties), and its peers' rows too (red team A5 crashed the run)."""
    codes = [GOOD, LOOP, BIG]
    with ExecRunner(2) as run:
        X = task_block(run, TASK, codes, [True] * len(codes), ExecConfig()).values
    shares = X[:, COLUMNS.index("exec.prop_violations")]
    assert shares[:2].tolist() == [0.0, 0.0]
    assert not shares[2] < 0.5  # broken (or NaN: not measured), never taken as clean


# Right in a run with timing passes (the consensus run), wrong in any other probe run (the
# properties' run of its cluster's outputs): it looks for the sandbox's phase in its frames.
POISON = (
    "import sys\n\n"
    "def running_max(xs):\n"
    "    f = sys._getframe(1)\n"
    "    while f is not None:\n"
    "        phase = f.f_locals.get('phase')\n"
    "        if isinstance(phase, dict) and phase.get('name') == 'probe':\n"
    "            if not phase.get('repeats'):\n"
    "                return [-1 for _ in xs]\n"
    "            break\n"
    "        f = f.f_back\n"
    "    return [max(xs[: i + 1]) for i in range(len(xs))]\n"
)


def test_a_cluster_is_not_judged_on_outputs_its_vector_does_not_show() -> None:
    """The properties were counted on a rerun of the cluster's first member, trusting its
    outputs to be the cluster's: a member returning other outputs when run without timing
    passes had every right peer counted as breaking the properties (prop_excess 1), and a
    wrong cluster was picked (red team s23, A6). A member whose rerun does not give the
    cluster's vector is passed over for the next one."""
    codes = [POISON, GOOD, LOOP, TABLE]
    cfg = ExecConfig()
    with ExecRunner(2) as run:
        X = task_block(run, TASK, codes, [True] * len(codes), cfg).values
        # the poisoner does what it says: right with timing passes, -1 without
        inputs = [[[3, 1, 2]], [[4, 9]]]
        timed = run.run("humaneval", TASK.task_id, TASK.entry_point, [POISON, GOOD], inputs,
                        cfg.limits)  # fmt: skip
        told = run.outputs("harness", "poison", TASK.entry_point, [(POISON, inputs)],
                           cfg.property_limits)  # fmt: skip
    assert timed[0] == timed[1] and told == [([-1, -1, -1], [-1, -1])]
    shares = X[:, COLUMNS.index("exec.prop_violations")]
    assert shares[:3].tolist() == [0.0, 0.0, 0.0] and shares[3] > 0.5
