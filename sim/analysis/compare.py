"""Tables behind the comparison, effect and cost-effectiveness figures.

All values stay in stored units (shares, yuan, counts); the text and figure
modules convert them for display.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from .results import Arm, Results
from .stats import Estimate, fieller_ratio, mean_ci, paired

YEAR = 365.0

BaseOf = Callable[[Arm], Arm]
"""Which arm an arm is compared with (by default the results' baseline at the same sweep point)."""


def summary_table(results: Results, arms: list[Arm], metrics: list[str]) -> pd.DataFrame:
    """Per arm and metric: mean with its 95% interval over replications."""
    rows = []
    for arm in arms:
        frame = results.rows(arm)
        for metric in metrics:
            if metric not in frame:
                continue
            e = mean_ci(frame[metric])
            rows.append({"arm": arm.id, "metric": metric, "mean": e.mean, "low": e.low, "high": e.high, "n": e.n})
    return pd.DataFrame(rows, columns=["arm", "metric", "mean", "low", "high", "n"])


def _against_baseline(results: Results, arms: list[Arm], base_of: BaseOf | None):
    """Each arm other than a baseline, with its baseline and both arms' runs."""
    base_of = base_of or results.baseline_arm
    for arm in arms:
        base = base_of(arm)
        if base != arm:
            yield arm, base, results.rows(arm), results.rows(base)


def effect_table(results: Results, arms: list[Arm], metrics: list[str], base_of: BaseOf | None = None) -> pd.DataFrame:
    """Per arm (other than its own baseline) and metric: the mean paired difference from the baseline."""
    rows = []
    for arm, base, treated, reference in _against_baseline(results, arms, base_of):
        for metric in metrics:
            if metric not in treated or metric not in reference:
                continue
            e = mean_ci(paired(treated, reference, metric))
            rows.append({"arm": arm.id, "baseline": base.id, "metric": metric, "effect": e.mean, "low": e.low, "high": e.high, "n": e.n})
    return pd.DataFrame(rows, columns=["arm", "baseline", "metric", "effect", "low", "high", "n"])


def cost_effectiveness(results: Results, arms: list[Arm], base_of: BaseOf | None = None) -> pd.DataFrame:
    """Per arm: extra cost a year, extra participants, unresolved problems avoided a year, and cost per unit.

    Extra participants = the paired difference in participation rate x the
    arm's residents; extra cost is the paired difference in the run's total
    cost (so indirect savings or costs, e.g. from turnover, count too).
    Unresolved problems avoided = the paired fall in problems left unresolved
    (abandoned or still open: arisen - resolved), not the rise in problems
    resolved: an arm that prevents problems (property management) resolves
    fewer but leaves fewer unresolved, and counting resolutions would score
    it as a loss and a surge of problems as a gain. Both are scaled to a
    year. Costs per unit are Fieller ratios of the paired values.
    """
    rows = []
    for arm, _base, treated, reference in _against_baseline(results, arms, base_of):
        needed = ("total_cost", "participation_rate", "residents", "problems_arisen", "problems_resolved", "days")
        if any(c not in treated or c not in reference for c in needed):
            continue
        per_year = YEAR / paired_days(treated)
        cost = paired(treated, reference, "total_cost") * per_year
        residents = treated.set_index("replication")["residents"].loc[cost.index]
        participants = paired(treated, reference, "participation_rate") * residents
        avoided = (paired(treated, reference, "problems_resolved") - paired(treated, reference, "problems_arisen")) * per_year
        rows.append(
            {
                "arm": arm.id,
                **_est("cost", mean_ci(cost)),
                **_est("participants", mean_ci(participants)),
                **_est("avoided", mean_ci(avoided)),
                **_est("per_participant", fieller_ratio(cost, participants)),
                **_est("per_avoided", fieller_ratio(cost, avoided)),
                "n": len(cost),
            }
        )
    return pd.DataFrame(rows)


def paired_days(frame: pd.DataFrame) -> float:
    days = frame["days"].to_numpy(dtype=float)
    return float(np.nanmax(days)) if len(days) and np.isfinite(days).any() else YEAR


def _est(prefix: str, e: Estimate) -> dict[str, float]:
    return {prefix: e.mean, f"{prefix}_low": e.low, f"{prefix}_high": e.high}


def efficient_frontier(cost: list[float], gain: list[float], gain_low: list[float] | None = None) -> list[int]:
    """Indices of the options no other option beats on both cost and gain, cheapest first.

    The baseline (no extra cost, no gain) is the implicit starting point, so an
    option with no positive gain is never on the frontier. With ``gain_low``
    (the lower ends of the gains' intervals) neither is one whose gain is not
    clearly above zero: it may be no better than the baseline.
    """
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -gain[i]))
    frontier, best = [], 0.0
    for i in order:
        if gain_low is not None and not gain_low[i] > 0:
            continue
        if math.isfinite(gain[i]) and math.isfinite(cost[i]) and gain[i] > best:
            frontier.append(i)
            best = gain[i]
    return frontier
