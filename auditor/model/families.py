"""The model families: scikit-learn pipelines of stock parts behind the task context.

Every estimator `auditor` fits is `Pipeline([("context", TaskContext), ("model", ...)])`:
its input is the feature columns plus the batch code (`context.with_batch`), so the same
object is trained, cross-validated, saved and used to score.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

SEED = 0
HGB_MAX_ITER = 150  # boosting rounds (tests lower it for speed)
_F = TypeVar("_F", bound=Callable[..., Any])


def single_threaded(fn: _F) -> _F:
    """Run `fn` with BLAS/OpenMP pools at one thread: on a shared machine, gradient
    boosting's OpenMP threads oversubscribe the cores and run several times slower."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _logreg(columns: Sequence[int]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("select", ColumnTransformer([("x", "passthrough", list(columns))])),
            ("drop_constant", VarianceThreshold(0.0)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=0.1, max_iter=2000, random_state=SEED)),
        ]
    )


def _hgb(columns: Sequence[int]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("select", ColumnTransformer([("x", "passthrough", list(columns))])),
            # all-NaN columns break the binning; constant ones carry nothing
            ("drop_constant", VarianceThreshold(0.0)),
            (
                "clf",
                HistGradientBoostingClassifier(
                    learning_rate=0.06,
                    max_iter=HGB_MAX_ITER,
                    max_leaf_nodes=15,
                    min_samples_leaf=40,
                    l2_regularization=1.0,
                    early_stopping=False,
                    random_state=SEED,
                ),
            ),
        ]
    )


# Each family over the context columns it is given (indices into `context_names`).
FAMILIES: Mapping[str, Callable[[Sequence[int]], Any]] = {"logreg": _logreg, "hgb": _hgb}


def with_context(columns: Sequence[str], model: Any) -> Any:
    """`model` (over context columns) behind a `TaskContext` for the feature `columns`."""
    from sklearn.pipeline import Pipeline

    from auditor.model.transform import TaskContext

    return Pipeline([("context", TaskContext(tuple(columns))), ("model", model)])


def family(name: str, columns: Sequence[str], cols: Sequence[int]) -> Any:
    """The uncalibrated family `name` on context columns `cols`, behind the context."""
    return with_context(columns, FAMILIES[name](cols))


def calibrated(
    name: str,
    columns: Sequence[str],
    cols: Sequence[int],
    splits: Sequence[Any],
    ensemble: bool | str,
) -> Any:
    """The family `name` calibrated by a sigmoid over the given (grouped) folds."""
    from sklearn.calibration import CalibratedClassifierCV

    cal = CalibratedClassifierCV(
        FAMILIES[name](cols), method="sigmoid", cv=list(splits), ensemble=ensemble
    )
    return with_context(columns, cal)


def calibrated_part(estimator: Any) -> Any:
    """The calibrated classifier of a saved pipeline (what the numpy export reproduces)."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps and steps[0][0] == "context" else estimator


def is_pipeline(estimator: Any) -> bool:
    return calibrated_part(estimator) is not estimator
