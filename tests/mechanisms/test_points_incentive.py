"""points_incentive: points from residents' acts, rewards from a budget, extrinsic bonus, crowding-out."""

import numpy as np

from tests.conftest import run_model

ON = {"mechanisms.points_incentive.enabled": True}


def test_points_rewards_and_willingness_bonus():
    off = run_model(days=120, rng=6)
    on = run_model(days=120, rng=6, **ON)
    mech = next(m for m in on.mechanisms if m.name == "points_incentive")
    R = on.residents
    # points follow the counters: earned = 10 per report and deliberation, 5 per volunteering
    acts = 10 * R.reports.sum() + 10 * R.deliberations.sum() + 5 * R.volunteering.sum()
    assert mech.points_earned == acts
    assert np.allclose(R.logit_bonus[mech.account], 0.4) and np.allclose(R.logit_bonus[~mech.account], 0.1)
    s = on.summary()
    assert s["points_incentive.rewards_yuan"] > 0
    assert s["points_incentive.cost_yuan_per_year"] > s["points_incentive.rewards_yuan"] * 365 / 120 * 0.99
    assert s["participation_rate"] > off.summary()["participation_rate"]
    assert R.volunteering.sum() > off.residents.volunteering.sum()


def test_bigger_rewards_pull_harder_with_diminishing_returns():
    """The willingness gain scales with what an act earns; before, only the budget felt the reward's size."""
    budget = {"mechanisms.points_incentive.budget_per_community": 1e7}  # never runs out: only the pull differs
    bonus = {}
    for yuan in (0.25, 0.5, 1.0):
        model = run_model(days=30, rng=6, **ON, **budget, **{"mechanisms.points_incentive.yuan_per_point": yuan})
        mech = next(m for m in model.mechanisms if m.name == "points_incentive")
        bonus[yuan] = (float(model.residents.logit_bonus[mech.account][0]), model.summary()["participation_rate"])
    assert bonus[0.5][0] == np.float32(0.4)  # the defaults: the bonus as given
    assert bonus[1.0][0] == np.float32(0.4 * 2**0.5) and bonus[0.25][0] == np.float32(0.4 * 0.5**0.5)  # elasticity 0.5
    assert bonus[0.25][1] < bonus[0.5][1] < bonus[1.0][1]
    flat = run_model(days=30, rng=6, **ON, **budget, **{"mechanisms.points_incentive.yuan_per_point": 1.0, "mechanisms.points_incentive.reward_elasticity": 0.0})
    assert flat.summary()["participation_rate"] == bonus[0.5][1]  # elasticity 0: the size does not matter
    none = run_model(days=30, rng=6, **ON, **{"mechanisms.points_incentive.yuan_per_point": 0.0})
    assert (none.residents.logit_bonus == 0).all()  # no reward, no pull


def test_budget_runs_out_and_bonus_stops():
    on = run_model(days=40, rng=6, **ON, **{"mechanisms.points_incentive.budget_per_community": 100.0})
    s = on.summary()
    assert s["points_incentive.rewards_yuan"] <= 100.0
    assert (on.residents.logit_bonus == 0).all()  # rewards no longer honoured


def test_crowding_out_erodes_belonging_of_rewarded():
    kw = {**ON, "mechanisms.points_incentive.crowding_out_rate": 0.2}
    plain = run_model(days=100, rng=6, **kw)
    crowd = run_model(days=100, rng=6, **kw, **{"mechanisms.points_incentive.crowding_out": True})
    assert crowd.summary()["points_incentive.rewards_paid"] > 0
    assert crowd.residents.belonging.mean() < plain.residents.belonging.mean() - 0.005


def test_points_evaluation_activates_units():
    kw = {"organisations.enterprises_per_community": 10, "organisations.enterprise_active_share": 0.0}
    off = run_model(days=65, rng=6, **kw)
    on = run_model(days=65, rng=6, **kw, **ON, **{"mechanisms.points_incentive.unit_activation_prob": 0.5})
    assert sum(e.active for e in off.enterprises) == 0
    active = [e for e in on.enterprises if e.active]
    assert len(active) >= 4 and all(e.volunteer_activities_per_month >= 1 for e in active)


def test_co_building_gifts_earn_unit_points():
    """Pairing gifts and partner support are donations, and the points evaluation of units counts them."""
    kw = {"organisations.enterprises_per_community": 10, "organisations.enterprise_active_share": 0.0, "organisations.donation_prob": 0.0}
    alone = run_model(days=35, rng=6, **kw, **ON)
    paired = run_model(days=35, rng=6, **kw, **ON, **{"mechanisms.enterprise_cobuilding.enabled": True})
    points = lambda m: next(x for x in m.mechanisms if x.name == "points_incentive").unit_points  # noqa: E731
    cobuilding = next(x for x in paired.mechanisms if x.name == "enterprise_cobuilding")
    gifted = np.array([e.donated for e in paired.enterprises]) > 0
    assert gifted.sum() >= 4 and all(e.donated == 0 for e in alone.enterprises)
    assert cobuilding.given > 0
    rate = next(x for x in paired.mechanisms if x.name == "points_incentive").params.unit_points_per_10k_yuan
    from_gifts = np.array([e.donated for e in paired.enterprises]) / 10000 * rate
    assert (points(paired) - points(alone) >= from_gifts - 1e-9).all()
