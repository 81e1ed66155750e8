"""Which features carry signal: within-task ROC-AUC of each column against the FP label."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from auditor.errors import UsageError
from auditor.metrics import rank_columns
from auditor.types import FeatureTable, Status


@dataclass(frozen=True)
class FeatureSignal:
    """A feature's mean within-task AUC (false positive vs correct) and its task count."""

    feature: str
    within_task_auc: float | None
    tasks: int


def feature_signals(table: FeatureTable) -> tuple[FeatureSignal, ...]:
    """One entry per column, strongest first (`metrics.rank_columns`).

    Rows are the candidates that pass the weak tests; the positive class is a false
    positive. Higher AUC means larger values go with false positives.
    """
    if table.labels is None:
        raise UsageError("a summary needs labels (give a labels file or label directory)")
    status = np.array([s.value if s else "" for s in table.labels])
    passing = (status == Status.CORRECT.value) | (status == Status.FALSE_POSITIVE.value)
    y = status[passing] == Status.FALSE_POSITIVE.value
    groups = np.array([k[0] for k in table.keys])[passing]
    ranked = rank_columns(y, table.values[passing], groups, table.columns)
    return tuple(
        FeatureSignal(name, None if math.isnan(auc) else round(auc, 4), n)
        for name, auc, n in ranked
    )


def render_json(signals: Sequence[FeatureSignal]) -> str:
    return json.dumps([asdict(s) for s in signals], indent=1) + "\n"


def render_text(signals: Sequence[FeatureSignal]) -> str:
    width = max((len(s.feature) for s in signals), default=7)
    lines = [f"{'feature':<{width}}  {'auc':>6}  {'tasks':>5}"]
    for s in signals:
        auc = f"{s.within_task_auc:6.3f}" if s.within_task_auc is not None else "     -"
        lines.append(f"{s.feature:<{width}}  {auc}  {s.tasks:>5}")
    return "\n".join(lines) + "\n"
