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
                "TaskContext needs feature columns and a last batch column; "
                f"got {X.shape[1]} feature(s)"
            )
        if self.columns is not None and len(self.columns) != n:
            raise ValueError(f"{len(self.columns)} column names for {n} feature columns")
        return self

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """The feature column names (`x0, x1, ...` when not given). Not stored as fitted
        attributes: every saved pipeline has a context step, and skops writes each name."""
        check_is_fitted(self)
        if self.columns is not None:
            return tuple(self.columns)
        return tuple(f"x{i}" for i in range(self.n_features_in_ - 1))

    @property
    def names(self) -> tuple[str, ...]:
        """The output column names: the feature columns, then the context columns."""
        return context_names(self.feature_columns)

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, ensure_all_finite="allow-nan", reset=False)
        return with_task_context(X[:, :-1], self.feature_columns, X[:, -1])[0]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.names, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
