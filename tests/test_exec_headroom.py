"""The headroom benchmark's pure helpers: where false positives sit among output clusters."""

import numpy as np

from tests.benchmarks.exec_headroom import cluster_ids, loo_share, oracle, placement


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
