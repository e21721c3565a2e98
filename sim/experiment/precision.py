"""Replications by precision: ``replications = "auto"`` in an experiment file.

    [experiment]
    replications = "auto"
    [experiment.precision]
    metrics = { participation_rate = 0.01 }   # target 95% half-width
    min = 5      # first round
    max = 100    # cap
    step = 5     # added per round

The runner runs ``min`` replications of every arm (scenario and sweep
point), then adds ``step`` at a time until the 95% confidence half-width of
the mean (t interval over finished replications) of every named metric is
at most its target in every arm that reports it (a mechanism's metric only
where the mechanism is on), or ``max`` is reached. Replication *r* has
the same seed whatever the round, so growing a plan only adds runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from scipy import stats

from .store import DONE


def half_width(values: pd.Series) -> float:
    """95% t-interval half-width of the mean of ``values`` (NaN below two values)."""
    values = values.dropna()
    n = len(values)
    if n < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))


def achieved(
    runs: pd.DataFrame,
    targets: dict[str, float],
    arms: list[tuple[str, int]] | None = None,
    reports: Callable[[str, int, str], bool] | None = None,
) -> pd.DataFrame:
    """Per arm (scenario, point) and metric: finished n, half-width, target, met.

    ``arms``: every arm of the plan, so that one with no finished run (all its
    runs failed) counts as unmet instead of being left out; by default the
    arms with a finished run. ``reports(scenario, point, metric)``: whether
    the arm reports the metric at all (a mechanism's metric, in an arm where
    it is off); those that do not are left out rather than counted as never
    precise enough.
    """
    done = runs[runs["status"] == DONE].drop_duplicates("key") if len(runs) else runs
    groups = dict(iter(done.groupby(["scenario", "point"], sort=False))) if len(done) else {}
    rows = []
    for scenario, point in arms if arms is not None else list(groups):
        group = groups.get((scenario, point), done.iloc[0:0])
        for metric, target in targets.items():
            if reports is not None and not reports(scenario, int(point), metric):
                continue
            values = group[metric] if metric in group else pd.Series(dtype=float)
            width = half_width(values)
            rows.append({"scenario": scenario, "point": int(point), "metric": metric, "n": int(values.notna().sum()), "half_width": width, "target": target, "met": bool(width <= target)})
    return pd.DataFrame(rows, columns=["scenario", "point", "metric", "n", "half_width", "target", "met"])


def record(table: pd.DataFrame, replications: int, precision, rounds: int) -> dict[str, Any]:
    """What manifest.json keeps: the count reached and, per arm, the widest interval."""
    met = bool(len(table)) and bool(table["met"].all())
    arms = []
    for (scenario, point), group in table.groupby(["scenario", "point"], sort=False):
        arms.append({"scenario": scenario, "point": int(point), "half_width": {r.metric: r.half_width for r in group.itertuples()}, "n": int(group["n"].min())})
    return {
        "targets": dict(precision.metrics),
        "min": precision.min,
        "max": precision.max,
        "step": precision.step,
        "replications": replications,
        "rounds": rounds,
        "met": met,
        "arms": arms,
    }


def describe(info: dict[str, Any], max_arms: int = 12) -> str:
    """The record in a few lines, for the end of a batch."""
    verdict = "every target met" if info["met"] else f"targets NOT all met at the cap of {info['max']}"
    lines = [f"replications by precision: {info['replications']} per arm after {info['rounds']} round{'s' * (info['rounds'] != 1)} ({verdict})"]
    for arm in info["arms"][:max_arms]:
        where = arm["scenario"] + (f" point {arm['point']}" if len({a["point"] for a in info["arms"]}) > 1 else "")
        widths = ", ".join(f"{m} ±{w:.3g} (target {info['targets'][m]:g})" for m, w in arm["half_width"].items())
        lines.append(f"  {where}: n = {arm['n']}, 95% half-width {widths}")
    if len(info["arms"]) > max_arms:
        lines.append(f"  ... and {len(info['arms']) - max_arms} more arms (manifest.json, key 'precision')")
    return "\n".join(lines)
