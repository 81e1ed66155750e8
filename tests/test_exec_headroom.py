"""The headroom benchmark's pure helpers: where false positives sit among output clusters."""

import numpy as np

from tests.benchmarks.exec_headroom import (
    SHRINK,
    cluster_ids,
    loo_share,
    oracle,
    paired_within,
    placement,
    program_shares,
    shrunk,
)


def test_placement_oracle_and_share() -> None:
    # task a: one cluster (blind); task b: a mixed cluster and an all-false-positive one
    vectors = [("1",), ("1",), ("1",), ("2",), ("2",), ("3",), None]
    groups = np.array(["a", "a", "a", "b", "b", "b", "b"])
    y = np.array([True, False, False, True, False, True, False])
    clusters = cluster_ids(vectors, groups)
    assert clusters[0] == clusters[1] != clusters[3] and clusters[6] == ""
    assert list(placement(y, groups, clusters)) == [
        "blind", "blind", "blind", "mixed", "mixed", "separable", ""
    ]  # fmt: skip
    np.testing.assert_allclose(oracle(y, clusters)[:6], [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 1.0])
    assert np.isnan(oracle(y, clusters)[6])
    # leave-one-out among the group's rows with a vector: b has three
    np.testing.assert_allclose(loo_share(clusters, groups)[:6], [1, 1, 1, 0.5, 0.5, 0])


def test_program_shares_count_each_program_once() -> None:
    # one group: program p (three copies) gives output 1, q gives 1, r gives 2
    clusters = np.array(["1", "1", "1", "1", "2"])
    programs = ["p", "p", "p", "q", "r"]
    groups = np.array(["a"] * 5)
    got = program_shares(clusters, programs, groups)
    # p's rows: other programs q (same) and r (different); q: p same, r not; r: none of two
    np.testing.assert_allclose(got, [0.5, 0.5, 0.5, 0.5, 0.0])
    # by samples, p's copies vote for each other
    np.testing.assert_allclose(loo_share(clusters, groups), [0.75, 0.75, 0.75, 0.75, 0.0])
    # one program only: the sample share stands
    np.testing.assert_allclose(program_shares(clusters[:3], programs[:3], groups[:3]), [1, 1, 1])


def test_shrunk_pulls_small_groups_towards_half() -> None:
    clusters = np.array(["1", "1", "1"] + ["1"] * 41)
    groups = np.array(["a"] * 3 + ["b"] * 41)
    got = shrunk(np.ones(44), clusters, groups)
    assert got[0] < got[3] < 1.0  # 2 agreeing peers are weaker evidence than 40
    np.testing.assert_allclose(got[0], (2 + SHRINK / 2) / (2 + SHRINK))


def test_paired_within_is_zero_for_the_same_score_and_signed() -> None:
    y = np.array([True, False, False, True, False, False])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    good = np.array([0.9, 0.1, 0.2, 0.8, 0.3, 0.1])
    assert paired_within(y, good, good, groups) == (0.0, 0.0, 0.0)
    diff, lo, hi = paired_within(y, good, -good, groups)
    assert diff == 1.0 and lo <= diff <= hi
