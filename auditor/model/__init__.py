"""The false-positive classifier: train, evaluate, save and load.

Training uses the candidates that pass the weak tests (status correct or false_positive);
the positive class is false_positive. Rooms:

- `context`: feature sets and the task context (numpy only; `check` imports it);
- `transform`: `TaskContext`, the context as the first step of every pipeline;
- `families`: the estimator pipelines (logistic regression, gradient boosting);
- `data`: labeled corpora as one training matrix, and as `check` reads them (`CheckView`);
- `baselines`: random, the same-task prior and the best single feature, beside every model row;
- `selection`: grouped folds, nested cross-validation, calibrated fitting (`fit`);
- `training`: `train`, the whole recipe (tables, CV report, fit, cross-model rows, card);
- `evaluation`: metrics of a trained model on labeled data, cross-model rows;
- `trained`: `TrainedModel` (risk scoring) and its metadata;
- `persistence` and `compiled`: skops files with a numpy export for scikit-learn-free loading.

Metrics live in `auditor.metrics`. The names below are importable from `auditor.model`;
those needing scikit-learn at import time load on first use, so `check` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from auditor.model.context import SETS, default_cv_sets, feature_sets, has_task, with_task_context
from auditor.model.data import (
    CheckView,
    TrainingData,
    check_view,
    corpus_digest,
    corpus_table,
    stack_tables,
    stack_views,
)
from auditor.model.families import FAMILIES
from auditor.model.persistence import (
    TRUSTED_TYPES,
    default_model_path,
    load_model,
    model_loader,
    save_model,
)
from auditor.model.trained import MIN_PEERS, MODEL_FORMAT, ModelMeta, TrainedModel

_LAZY = {
    "CVReport": "selection",
    "cross_validate": "selection",
    "fit": "selection",
    "group_splits": "selection",
    "train_tables": "selection",
    "TrainOptions": "training",
    "TrainResult": "training",
    "train": "training",
    "Evaluation": "evaluation",
    "cross_corpus": "evaluation",
    "evaluate": "evaluation",
    "evaluate_data": "evaluation",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"auditor.model.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'auditor.model' has no attribute {name!r}")


__all__ = [
    "FAMILIES",
    "MIN_PEERS",
    "MODEL_FORMAT",
    "SETS",
    "TRUSTED_TYPES",
    "ModelMeta",
    "TrainedModel",
    "TrainingData",
    "CheckView",
    "check_view",
    "stack_views",
    "corpus_digest",
    "corpus_table",
    "default_cv_sets",
    "default_model_path",
    "feature_sets",
    "has_task",
    "load_model",
    "model_loader",
    "save_model",
    "stack_tables",
    "with_task_context",
    *_LAZY,
]
