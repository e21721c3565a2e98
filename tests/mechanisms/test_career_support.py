"""career_support: pay and a leader track lower quits, so trained skills stay."""

import numpy as np

from sim.model.gridworkers import LEADER
from tests.conftest import run_model

HIGH_TURNOVER = {"gridworkers.quit_rate": 0.8, "world.zones": 8}


def test_career_support_lowers_quits_and_keeps_capacity():
    off = run_model(days=365, rng=2, **HIGH_TURNOVER)
    on = run_model(days=365, rng=2, **HIGH_TURNOVER, **{"mechanisms.career_support.enabled": True})
    assert on.gridworkers.quits < 0.8 * off.gridworkers.quits
    assert on.summary()["mean_capacity"] > off.summary()["mean_capacity"]
    assert np.all(on.gridworkers.quit_multiplier < 1)
    assert on.summary()["career_support.cost_yuan_per_year"] > 0


def test_vacant_leader_post_is_filled_from_the_leader_track():
    on = run_model(days=1, rng=2, **{"mechanisms.career_support.enabled": True, "mechanisms.career_support.track_after_years": 0})
    g, mech = on.gridworkers, on.mechanisms[0]
    leader = int(np.flatnonzero(g.tier == LEADER)[0])
    g.vacant_until[leader] = on.day + 30  # the leader has just quit
    on.gridworker_agents[leader].remove()
    on.gridworker_agents[leader] = None
    track = mech._on_track(g)
    best_capacity = g.capacity[track].mean(axis=1).max()
    on.step()
    assert g.filled[leader] and mech.promotions == 1
    assert np.isclose(g.capacity[leader].mean(), best_capacity, atol=0.01)  # skills kept, not entry level
    assert (~g.filled).sum() == 1  # the promoted worker's own post waits for a new hire
    assert on.gridworker_agents[leader] is not None


def test_the_leader_track_cuts_its_workers_quit_hazard_further():
    from sim.model.gridworkers import BACKBONE

    model = run_model(days=2, rng=3, **{"mechanisms.career_support.enabled": True, "mechanisms.career_support.track_after_years": 1.0})
    mech, g = model.mechanisms[0], model.gridworkers
    p = mech.params
    on_track = g.filled & (g.tier == BACKBONE) & (g.tenure >= 365)
    assert on_track.any() and (g.filled & ~on_track).any()
    pay = (1 + p.pay_rise) ** -p.quit_elasticity
    assert np.allclose(g.quit_multiplier[on_track], pay * (1 - p.track_quit_cut))
    assert np.allclose(g.quit_multiplier[g.filled & ~on_track], pay)
