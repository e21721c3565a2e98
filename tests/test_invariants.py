"""Conservation and range invariants over a year of the district scenario (seed 004 scale)."""

from __future__ import annotations

import numpy as np

from sim import GovernanceModel
from sim.model.problems import ABANDONED, IN_SERVICE, RESOLVED
from tests.conftest import SCENARIOS


def check_day(model: GovernanceModel) -> None:
    P, R, g = model.problems, model.residents, model.gridworkers
    today = model.today
    # conservation: every problem that arose is resolved, abandoned or still open
    assert today["problems_arisen"] == today["problems_resolved"] + today["problems_abandoned"] + today["problems_open"]
    status = P.view("status")
    assert today["problems_open"] == int((status < RESOLVED).sum())
    for name in ("participation_rate", "participation_rate_youth", "participation_rate_working_age", "participation_rate_elderly", "resolution_rate"):
        assert 0.0 <= today[name] <= 1.0, name
    for column in (R.efficacy, R.belonging, R.willingness, g.burnout, g.capacity, g.admin_share):
        assert column.min() >= 0.0 and column.max() <= 1.0
    assert (R.last_active <= model.day).all()
    # lifecycle order: arose <= discovered <= started <= finish, closed not before arising
    closed = (status == RESOLVED) | (status == ABANDONED)
    assert (P.view("closed")[closed] >= P.view("arose")[closed]).all()
    assert (P.view("closed")[closed] < model.day + 1).all()
    seen = ~np.isnan(P.view("discovered"))
    assert (P.view("discovered")[seen] >= P.view("arose")[seen]).all()
    served = (status == IN_SERVICE) | (status == RESOLVED)
    assert (P.view("started")[served] >= P.view("ready")[served] - 1e-9).all()
    assert (P.view("ready")[served] >= P.view("discovered")[served]).all()
    done = status == RESOLVED
    assert np.allclose(P.view("closed")[done], P.view("finish")[done])
    assert all(len(pool) >= 0 for pool in model.pools)


def test_district_year_conserves_problems_and_stays_in_range():
    model = GovernanceModel(scenario=SCENARIOS / "district.toml", rng=11)
    assert model.n_communities == 81 and model.n_zones == 562 and model.gridworkers.n == 2329
    assert model.residents.n == 500_000
    for day in range(365):
        model.step()
        if day % 7 == 0 or day == 364:
            check_day(model)
    summary = model.summary()
    assert summary["problems_arisen"] == summary["problems_resolved"] + summary["problems_abandoned"] + summary["problems_open"]
    assert summary["days"] == 365
    # Little's law holds for the stock of open problems (a sanity check, not the verification test)
    rate = summary["problems_arisen"] / 365
    assert abs(summary["mean_open_problems"] - rate * summary["mean_days_in_system"]) < 0.1 * summary["mean_open_problems"]
