"""The least-squares line of resampling ceiling against single-sample accuracy (Figure 1a)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fit:
    """ceiling = slope * pass@1 + intercept, over n models."""

    slope: float
    intercept: float
    r2: float
    n: int

    def to_json(self) -> dict[str, float]:
        return {"slope": self.slope, "intercept": self.intercept, "r2": self.r2, "n": self.n}


def fit_line(x: Sequence[float], y: Sequence[float]) -> Fit | None:
    """Least-squares line and R²; None with fewer than two distinct x."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    if len(xa) < 2 or np.ptp(xa) == 0:
        return None
    slope, intercept = np.polyfit(xa, ya, 1)
    resid = ya - (slope * xa + intercept)
    ss_tot = float(((ya - ya.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return Fit(float(slope), float(intercept), r2, len(xa))
