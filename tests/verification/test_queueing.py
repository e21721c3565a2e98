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
    """Each seed is one replication; Erlang C must lie in the 99% t-interval of the replications."""
    from scipy import stats

    c, lam = 5, 3.5  # offered load a = 3.5, utilisation 0.7
    warmup, days, seeds = 100, 2000, range(1, 11)
    mean_wait, p_wait, rate = [], [], []
    for seed in seeds:
        model = run(textbook_queue(c, lam), days, seed)
        P = model.problems
        assert model.gridworkers.n == c
        assert np.allclose(model.pools[model.community_pool[0]].speed, 1.0)
        status = P.view("status")
        served = ((status == RESOLVED) | (status == IN_SERVICE)) & (P.view("ready") > warmup)
        wait = (P.view("started") - P.view("ready"))[served]
        mean_wait.append(wait.mean())
        p_wait.append((wait > 1e-12).mean())
        rate.append(served.sum() / (days - warmup))
    expected = {"W_q": erlang_c(c, lam) / (c - lam), "P(wait)": erlang_c(c, lam), "L_q": lam * erlang_c(c, lam) / (c - lam)}
    observed = {"W_q": mean_wait, "P(wait)": p_wait, "L_q": np.array(rate) * np.array(mean_wait)}
    t = stats.t.ppf(0.995, len(seeds) - 1)
    for name, values in observed.items():
        values = np.asarray(values)
        half = t * values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - expected[name]) <= half, (name, values.mean(), expected[name], half)
        assert half < 0.2 * expected[name], f"{name}: too few replications to tell a 20% error ({half:.3f})"
    assert abs(np.mean(rate) - lam) < 0.03 * lam


def test_littles_law_for_open_problems():
    """L = lambda W over a long run of the full baseline (abandonment and departments included)."""
    days = 1500
    model = run({"world.residents": 1500, "world.zones": 3, "world.buildings_per_zone": 6}, days, 3)
    s = model.summary()
    lam = s["problems_arisen"] / days
    assert s["mean_open_problems"] > 10
    assert abs(s["mean_open_problems"] - lam * s["mean_days_in_system"]) < 0.03 * s["mean_open_problems"]
