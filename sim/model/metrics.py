"""What the model reports: daily population-level series and the run's summary.

Everything is computed from the columns, never from per-agent reporters
(measured: per-agent collection costs 70-90 ms a step at 100k agents).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .problems import ABANDONED, N_STATUSES, QUEUED, RESOLVED
from .residents import ACTIVE_WINDOW, AGE_GROUPS

if TYPE_CHECKING:  # pragma: no cover
    from .core import GovernanceCore

DAILY = (
    "participation_rate",
    "participation_rate_youth",
    "participation_rate_working_age",
    "participation_rate_elderly",
    "party_member_active_rate",
    "problems_arisen",
    "problems_resolved",
    "problems_abandoned",
    "problems_open",
    "resolution_rate",
    "queue_length",
    "gridworkers_on_duty",
    "mean_efficacy",
    "mean_belonging",
    "mean_burnout",
    "cost_to_date",
)
"""Columns of the daily series (one row per day)."""


@dataclass
class Totals:
    """Running sums the summary needs, advanced once a day.

    Problems before ``first_open`` are all closed, so their outcome counts are
    kept as running sums and each day only the still-open tail is scanned.
    """

    first_open: int = 0
    days: int = 0
    sum_open: float = 0.0
    sum_filled_posts: float = 0.0
    patrol_hours: float = 0.0
    open_by_building: np.ndarray = field(default_factory=lambda: np.zeros(0))
    closed_before: np.ndarray = field(default_factory=lambda: np.zeros(N_STATUSES, dtype=np.int64))
    status_counts: np.ndarray = field(default_factory=lambda: np.zeros(N_STATUSES, dtype=np.int64))

    def advance(self, model: "GovernanceCore") -> None:
        P = model.problems
        status = P.status[self.first_open : P.n]
        still_open = np.flatnonzero(status < RESOLVED)  # open statuses precede the closed ones
        open_ids = self.first_open + still_open
        skip = int(still_open[0]) if len(still_open) else len(status)
        self.status_counts = self.closed_before + np.bincount(status, minlength=N_STATUSES)
        if skip:
            self.closed_before = self.closed_before + np.bincount(status[:skip], minlength=N_STATUSES)
        self.first_open += skip
        self.open_by_building = np.bincount(P.building[open_ids], minlength=model.n_buildings).astype(float)
        self.days += 1
        self.sum_open += len(open_ids)
        self.sum_filled_posts += float(np.count_nonzero(model.gridworkers.filled))


def _rate(mask: np.ndarray, of: np.ndarray) -> float:
    n = np.count_nonzero(of)
    return np.count_nonzero(mask & of) / n if n else float("nan")


def participation(model: "GovernanceCore") -> dict[str, float]:
    R = model.residents
    active = R.active(model.day)
    out = {"participation_rate": np.count_nonzero(active) / R.n if R.n else float("nan")}
    for name, mask in R.group_masks.items():
        size = R.group_sizes[AGE_GROUPS[name]]
        out[f"participation_rate_{name}"] = np.count_nonzero(active & mask) / size if size else float("nan")
    out["party_member_active_rate"] = _rate(active, R.party_member)
    return out


PARTICIPATION_WINDOW = 90
"""Days at the end of a run over which the summary averages the daily participation rates."""


def recent_participation(model: "GovernanceCore") -> dict[str, float]:
    """Today's participation rates, averaged over the run's last ``PARTICIPATION_WINDOW`` days.

    A single day's reading catches scheduled events: emergency drills four
    days before the end of a year made emergency conversion look about four
    times as strong as over the weeks before. The first ``ACTIVE_WINDOW``
    days, while the window of who is active fills from nobody, are left out;
    a run of ``ACTIVE_WINDOW + 1`` days or fewer reports its last day.
    """
    series = model.datacollector.model_vars
    today = participation(model)
    days = len(series.get("participation_rate", ()))
    if days == 0 or any(key not in series for key in today):
        return today
    first = max(days - PARTICIPATION_WINDOW, min(ACTIVE_WINDOW, days - 1))
    return {key: float(np.mean(series[key][first:])) for key in today}


def cost(model: "GovernanceCore") -> float:
    committee = sum(c.spent for c in model.committees)
    return model.salary_cost + committee + sum(m.cost_yuan for m in model.mechanisms)


def daily(model: "GovernanceCore") -> dict[str, float]:
    """Today's values of the DAILY series; run after ``Totals.advance``."""
    status = model.totals.status_counts
    arisen, resolved, abandoned = model.problems.n, int(status[RESOLVED]), int(status[ABANDONED])
    g = model.gridworkers
    filled = g.filled
    out = participation(model)
    out.update(
        problems_arisen=arisen,
        problems_resolved=resolved,
        problems_abandoned=abandoned,
        problems_open=arisen - resolved - abandoned,
        resolution_rate=resolved / arisen if arisen else float("nan"),
        queue_length=int(status[QUEUED]),
        gridworkers_on_duty=np.count_nonzero(filled),
        mean_efficacy=float(model.residents.efficacy.mean()),
        mean_belonging=float(model.residents.belonging.mean()),
        mean_burnout=float(g.burnout[filled].mean()) if np.count_nonzero(filled) else 0.0,
        cost_to_date=cost(model),
    )
    return out


def today(model: "GovernanceCore", key: str) -> float:
    """DataCollector reporter: one value of today's metrics (picklable, no lambda)."""
    return model.today[key]


class DailySeries(mesa.DataCollector):
    """Mesa's DataCollector for the DAILY series, filled from ``model.today`` in one pass.

    Mesa's own ``collect`` calls each reporter and deep-copies its value; ours
    are plain numbers already computed together, and that per-reporter work
    was a sizeable share of a small community's day.
    """

    def __init__(self) -> None:
        super().__init__(model_reporters={name: partial(today, key=name) for name in DAILY})

    def collect(self, model: "GovernanceCore") -> None:
        if hasattr(self, "_collection_steps"):  # Mesa >= 3.4 records when each row was taken
            self._collection_steps.append(model.time)
        today_values = model.today
        for name, series in self.model_vars.items():
            series.append(today_values[name])


def _satisfaction(P, closed: np.ndarray, end: float, half_life: float) -> float:
    """Mean rating over every problem that arose, open ones as if resolved at ``end``.

    Rating only the closed problems would leave out those still waiting at
    the end, mostly big ones: a mechanism that brings more big problems to a
    close within the run would then lower satisfaction by counting them at
    all (the whistle did, by half a point, while rating each big problem
    higher). An open problem is rated by how long it has waited so far, the
    most it can still get, as ``mean_days_in_system`` counts it up to the end.
    """
    if P.n == 0:
        return float("nan")
    waited = end - P.view("arose")[~closed]
    still_open = np.sum(0.5 ** (waited / half_life))
    return float((np.sum(P.view("rating")[closed], dtype=np.float64) + still_open) / P.n)


def summary(model: "GovernanceCore") -> dict[str, float]:
    """Summary metrics of the run so far; names are part of the public interface."""
    P, T = model.problems, model.totals
    n = P.n
    status, big = P.view("status"), P.view("big")
    resolved, abandoned = status == RESOLVED, status == ABANDONED
    days_to_resolve = (P.view("closed") - P.view("arose"))[resolved]
    end = model.day + 1.0
    in_system = np.where(np.isnan(P.view("closed")), end, P.view("closed")) - P.view("arose")
    closed = resolved | abandoned
    days = max(T.days, 1)
    out = recent_participation(model)
    out.update(
        problems_arisen=n,
        problems_resolved=int(resolved.sum()),
        problems_abandoned=int(abandoned.sum()),
        problems_open=int(n - resolved.sum() - abandoned.sum()),
        resolution_rate=_rate(resolved, np.ones(n, bool)),
        resolution_rate_small=_rate(resolved, ~big),
        resolution_rate_big=_rate(resolved, big),
        median_resolution_days=float(np.median(days_to_resolve)) if len(days_to_resolve) else float("nan"),
        resolved_within_1_day=float((days_to_resolve <= 1.0).mean()) if len(days_to_resolve) else float("nan"),
        mean_open_problems=T.sum_open / days,
        mean_days_in_system=float(in_system.mean()) if n else float("nan"),
        satisfaction=_satisfaction(P, closed, end, model.params.problems.rating_half_life_days),
        gridworker_turnover=model.gridworkers.quits / max(T.sum_filled_posts / days, 1e-9) * 365 / days,
        total_cost=cost(model),
        residents=model.residents.n,
        gridworkers=model.gridworkers.n,
        days=T.days,
        mean_efficacy=float(model.residents.efficacy.mean()),
        mean_belonging=float(model.residents.belonging.mean()),
        patrol_hours_per_gridworker_day=T.patrol_hours / max(T.sum_filled_posts, 1e-9),
        share_reported_by_residents=_rate(P.view("channel") == 0, P.view("channel") >= 0),
        mean_capacity=float(model.gridworkers.capacity[model.gridworkers.filled].mean()),
    )
    for mechanism in model.mechanisms:
        out[f"{mechanism.name}.cost_yuan_per_year"] = mechanism.cost_yuan * 365 / days
        for key, value in mechanism.metrics().items():
            out[f"{mechanism.name}.{key}"] = float(value)
    return out
