"""whistle_escalation: communities summon departments, big problems move to them and resolve more."""

import numpy as np

from sim.model.problems import RESOLVED
from tests.conftest import run_model

ON = {"mechanisms.whistle_escalation.enabled": True}


def _big_at_departments(model) -> tuple[int, int]:
    """Big problems that reached a department pool (ordinary or summons), and how many resolved."""
    P = model.problems
    department = {i for i, pool in enumerate(model.pools) if pool.name.startswith("department")}
    big = P.view("big") & np.isin(P.view("pool"), list(department))
    return int(big.sum()), int((big & (P.view("status") == RESOLVED)).sum())


def test_summons_move_big_problems_to_departments_and_resolve_more():
    off = run_model(days=150, rng=3)
    on = run_model(days=150, rng=3, **ON)
    assert not any("summons" in pool.name for pool in off.pools)
    summons_pools = [i for i, pool in enumerate(on.pools) if "summons" in pool.name]
    assert summons_pools
    P = on.problems
    summoned = np.isin(P.view("pool"), summons_pools)
    assert summoned.sum() > 0 and P.view("big")[summoned].all()
    # a summoned case reaches its department within days, not the weeks of a referral
    assert np.nanmedian(P.view("ready")[summoned] - P.view("discovered")[summoned]) < 3
    # departments resolve many more big problems, and more big problems are resolved overall
    _, resolved_off = _big_at_departments(off)
    _, resolved_on = _big_at_departments(on)
    assert resolved_on >= resolved_off + 10
    assert on.summary()["resolution_rate_big"] > off.summary()["resolution_rate_big"] + 0.1
    assert on.summary()["whistle_escalation.cost_yuan_per_year"] > 0


def test_monthly_quota_caps_summons():
    model = run_model(days=60, rng=3, **ON, **{"mechanisms.whistle_escalation.max_summons_per_month": 2})
    assert model.summary()["whistle_escalation.summons"] == 4  # two months of a binding quota, one community
