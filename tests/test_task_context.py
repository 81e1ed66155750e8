"""`TaskContext`, the task context as a scikit-learn transformer, follows the estimator API."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from auditor.model.context import with_batch, with_task_context
from auditor.model.transform import TaskContext


@parametrize_with_checks([TaskContext()])
def test_sklearn_estimator_api(estimator: TaskContext, check: Callable[..., None]) -> None:
    check(estimator)


def test_transform_is_the_context_over_each_batch() -> None:
    columns = ("rules.a", "rel.b", "radon.c")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 3))
    batches = np.array(["t", "u", "t", "v", "u", "t", "v", "v", "u"])
    out = TaskContext(columns).fit(with_batch(X[:2], batches[:2])).transform(with_batch(X, batches))
    expect, names = with_task_context(X, columns, batches)
    np.testing.assert_array_equal(out, expect)
    assert tuple(TaskContext(columns).fit(with_batch(X, batches)).get_feature_names_out()) == names


def test_column_names_must_match_the_input() -> None:
    with pytest.raises(ValueError, match="column names"):
        TaskContext(("a", "b")).fit(np.zeros((3, 4)))
