"""Confidence intervals over replications, paired effects and cost ratios.

Replications are independent runs, so a metric's mean over them has a
Student-t interval. Runs of two arms with the same replication index share
their seed (common random numbers), so an effect is the mean of the
per-replication differences, with a t interval on those differences: this
removes the noise both arms share and gives much narrower intervals than
comparing two separate means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float
    n: int

    @property
    def clear(self) -> bool:
        """The interval excludes zero."""
        return math.isfinite(self.low) and (self.low > 0 or self.high < 0)

    def scaled(self, factor: float) -> "Estimate":
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Estimate(self.mean * factor, lo, hi, self.n)


def t_quantile(n: int, level: float = LEVEL) -> float:
    return float(stats.t.ppf(0.5 + level / 2, n - 1)) if n >= 2 else math.nan


def mean_ci(values, level: float = LEVEL) -> Estimate:
    """Mean and t-based interval; NaN values (a metric a run could not compute) are left out."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)
    half = t_quantile(n, level) * float(x.std(ddof=1)) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def paired(treated: pd.DataFrame, base: pd.DataFrame, column: str) -> pd.Series:
    """Per-replication differences treated - base of one column, over replications both have."""
    a = treated.set_index("replication")[column]
    b = base.set_index("replication")[column]
    both = a.index.intersection(b.index)
    return (a.loc[both] - b.loc[both]).astype(float)


def paired_effect(treated: pd.DataFrame, base: pd.DataFrame, column: str, level: float = LEVEL) -> Estimate:
    return mean_ci(paired(treated, base, column), level)


def fieller_ratio(cost, gain, level: float = LEVEL) -> Estimate:
    """Ratio mean(cost) / mean(gain) of paired per-replication values, with Fieller's interval.

    Fieller's interval is the set of ratios R for which mean(cost - R*gain)
    is not significantly different from zero (t test): it stays consistent
    with the t intervals elsewhere and needs no resampling. It is bounded only
    when the gain itself is clearly non-zero; otherwise the high end is inf
    (or both ends NaN), and the report says the cost per unit cannot be told.
    """
    c, g = np.asarray(cost, float), np.asarray(gain, float)
    keep = np.isfinite(c) & np.isfinite(g)
    c, g = c[keep], g[keep]
    n = len(c)
    if n < 2 or g.mean() == 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    ratio = float(c.mean() / g.mean())
    t2 = t_quantile(n, level) ** 2
    s_cc, s_gg = float(np.var(c, ddof=1)) / n, float(np.var(g, ddof=1)) / n
    s_cg = float(np.cov(c, g, ddof=1)[0, 1]) / n
    a = g.mean() ** 2 - t2 * s_gg
    b = c.mean() * g.mean() - t2 * s_cg
    k = c.mean() ** 2 - t2 * s_cc
    disc = b * b - a * k
    if a <= 0 or disc < 0:  # the gain is not clearly away from zero: no finite interval
        return Estimate(ratio, math.nan, math.inf, n)
    root = math.sqrt(disc)
    return Estimate(ratio, (b - root) / a, (b + root) / a, n)


def bands(series: pd.DataFrame, column: str, level: float = LEVEL) -> pd.DataFrame:
    """Per day: mean over replications and its t interval (columns day, mean, low, high, n)."""
    grouped = series.groupby("day")[column]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy()
    t = np.where(n >= 2, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
    half = t * out["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out.rename(columns={"count": "n"})[["day", "mean", "low", "high", "n"]]
