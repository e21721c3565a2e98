"""Verification of the service side against queueing theory.

- Little's law (Little 1961): over a long stationary run, the mean number of
  open problems equals the arrival rate times the mean time in the system.
- Erlang C (Erlang 1917; e.g. Kleinrock 1975, *Queueing Systems* vol. 1,
  §3.5): with Poisson arrivals, c identical servers, exponential service,
  first come first served and no abandonment, the mean wait in queue is
  W_q = C(c, a) / (c·mu − lambda) and the mean queue length L_q = lambda·W_q.

Poisson arrivals to the queue: problems arise as a Poisson process and reach
the queue after independent discovery delays, and a Poisson process whose
points are displaced by independent delays is again Poisson.
"""

from __future__ import annotations

import math

import numpy as np

from sim import GovernanceModel
from sim.model.problems import IN_SERVICE, RESOLVED

KINDS = ("facilities", "environment", "safety", "disputes", "care", "property")


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits, for offered load a = lambda/mu < c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def textbook_queue(servers: int, arrivals_per_day: float, residents: int = 2000) -> dict:
    """Overrides that make one community's gridworkers an M/M/c queue with mu = 1/day."""
    ov = {
        "world.residents": residents, "world.zones": 1, "world.buildings_per_zone": 1,
        "world.property_managed_share": 1.0, "problems.age_pressure": 0.0, "problems.unmanaged_pressure": 0.0,
        "problems.abandonment": False, "service.distribution": "exponential", "service.small_work_days": 1.0,
        "service.capacity_effect": 0.0, "gridworkers.per_zone": float(servers), "gridworkers.full_time_share": 1.0,
        "gridworkers.admin_share": 0.0, "gridworkers.patrol_share": 0.0, "gridworkers.quit_rate": 0.0,
        "organisations.social_orgs_per_community": 0.0, "residents.report_prob": 1.0,
    }
    for kind in KINDS:
        ov[f"problems.kinds.{kind}.rate"] = 0.0
        ov[f"problems.kinds.{kind}.big_share"] = 0.0
    ov["problems.kinds.environment.rate"] = arrivals_per_day * 1000 / residents
    return ov


def run(overrides: dict, days: int, rng: int) -> GovernanceModel:
    model = GovernanceModel(rng=rng, overrides=overrides)
    for _ in range(days):
        model.step()
    return model


def test_erlang_c_waiting_time_and_queue_length():
    c, lam = 5, 4.0  # offered load a = 4, utilisation 0.8
    warmup, days = 100, 4000
    waits, started = [], []
    for seed in (1, 2, 3):
        model = run(textbook_queue(c, lam), days, seed)
        P = model.problems
        assert model.gridworkers.n == c
        assert np.allclose(model.pools[model.community_pool[0]].speed, 1.0)
        status = P.view("status")
        served = ((status == RESOLVED) | (status == IN_SERVICE)) & (P.view("ready") > warmup)
        waits.append((P.view("started") - P.view("ready"))[served])
        started.append(served.sum() / (days - warmup))
    wait = np.concatenate(waits)
    expected_wq = erlang_c(c, lam) / (c * 1.0 - lam)
    assert abs(wait.mean() - expected_wq) < 0.08 * expected_wq, (wait.mean(), expected_wq)
    # probability of waiting at all
    assert abs((wait > 1e-12).mean() - erlang_c(c, lam)) < 0.02
    # L_q = lambda W_q with the measured arrival rate
    arrival_rate = float(np.mean(started))
    assert abs(arrival_rate - lam) < 0.05 * lam
    assert abs(arrival_rate * wait.mean() - lam * expected_wq) < 0.1 * lam * expected_wq


def test_littles_law_for_open_problems():
    """L = lambda W over a long run of the full baseline (abandonment and departments included)."""
    days = 1500
    model = run({"world.residents": 1500, "world.zones": 3, "world.buildings_per_zone": 6}, days, 3)
    s = model.summary()
    lam = s["problems_arisen"] / days
    assert s["mean_open_problems"] > 10
    assert abs(s["mean_open_problems"] - lam * s["mean_days_in_system"]) < 0.03 * s["mean_open_problems"]
