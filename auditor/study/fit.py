"""The least-squares line of resampling ceiling against single-sample accuracy (Figure 1a)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fit:
    """ceiling = slope * pass@1 + intercept, over n models.

    `p_value` (F-test of a zero slope: the chance that points with no linear relation give
    an R² this high) and the slope's 95% t interval need n >= 3; they are NaN otherwise and
    for published fits, whose points we do not all have.
    """

    slope: float
    intercept: float
    r2: float
    n: int
    p_value: float = math.nan
    slope_lo: float = math.nan
    slope_hi: float = math.nan

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "slope": self.slope,
            "intercept": self.intercept,
            "r2": self.r2,
            "n": self.n,
        }
        if not math.isnan(self.p_value):
            out |= {"p_value": self.p_value, "slope_ci": [self.slope_lo, self.slope_hi]}
        return out


def fit_line(x: Sequence[float], y: Sequence[float]) -> Fit | None:
    """Least-squares line and R²; None with fewer than two distinct x."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    if len(xa) < 2 or np.ptp(xa) == 0:
        return None
    slope, intercept = np.polyfit(xa, ya, 1)
    resid = ya - (slope * xa + intercept)
    ss_res = float((resid**2).sum())
    ss_tot = float(((ya - ya.mean()) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    fit = Fit(float(slope), float(intercept), r2, len(xa))
    return _with_uncertainty(fit, xa, ss_res) if len(xa) >= 3 else fit


def _with_uncertainty(fit: Fit, x: np.ndarray, ss_res: float) -> Fit:
    """The fit with its F-test p-value and the slope's 95% t interval (n - 2 df)."""
    from scipy import stats

    df = fit.n - 2
    se = math.sqrt(ss_res / df / float(((x - x.mean()) ** 2).sum()))
    half = float(stats.t.ppf(0.975, df)) * se
    # Under a zero slope with normal errors, R² ~ Beta(1/2, df/2): its tail is the F-test p.
    p = float(stats.beta.sf(fit.r2, 0.5, df / 2)) if fit.r2 < 1 else 0.0
    return Fit(fit.slope, fit.intercept, fit.r2, fit.n, p, fit.slope - half, fit.slope + half)
