"""`TaskContext`: the task context as the first step of every saved pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from auditor.model.context import context_names, with_task_context


class TaskContext(TransformerMixin, BaseEstimator):
    """Input: feature columns, then the batch code of each row (`context.with_batch`).
    Output: the feature columns, then each base column's mean and std over the row's batch.

    Stateless: the context is a property of the batch being scored, so `fit` learns only
    the column names (`columns`, or `x0, x1, ...` when not given)."""

    def __init__(self, columns: Sequence[str] | None = None) -> None:
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> TaskContext:
        X = validate_data(self, X, ensure_all_finite="allow-nan")
        n = X.shape[1] - 1
        if n < 1:
            raise ValueError(
                f"TaskContext needs feature columns and a last batch column; got {X.shape[1]} feature(s)"
            )
        names = (
            tuple(self.columns) if self.columns is not None else tuple(f"x{i}" for i in range(n))
        )
        if len(names) != n:
            raise ValueError(f"{len(names)} column names for {n} feature columns")
        self.feature_columns_ = names
        self.names_ = context_names(names)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, ensure_all_finite="allow-nan", reset=False)
        return with_task_context(X[:, :-1], self.feature_columns_, X[:, -1])[0]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.names_, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def fitted_context(columns: Sequence[str]) -> TaskContext:
    """A fitted `TaskContext` for `columns` (no data needed: it learns only the names)."""
    return TaskContext(tuple(columns)).fit(np.zeros((1, len(columns) + 1)))
